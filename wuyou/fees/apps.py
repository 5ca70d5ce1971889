from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeesConfig(AppConfig):
    name = "wuyou.fees"
    label = "fees"
    verbose_name = _("Fees")

    def ready(self) -> None:
        from wuyou.fees.models import FeeVerb
        from wuyou.tickets.history import history_labels_register

        history_labels_register(FeeVerb)  # the request history reads its verbs in words
