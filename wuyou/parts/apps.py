from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartsConfig(AppConfig):
    name = "wuyou.parts"
    label = "parts"
    verbose_name = _("Spare parts")

    def ready(self) -> None:
        from wuyou.parts.models import PartsVerb
        from wuyou.tickets.history import history_labels_register

        history_labels_register(PartsVerb)  # the request history reads its verbs in words

        from wuyou.notifications.links import ref_url_register
        from wuyou.parts.links import place_urls

        ref_url_register("stock_place", place_urls)  # the inbox links `stock_place:<id>` to the place's ledger
