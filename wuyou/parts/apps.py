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
