from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldServiceConfig(AppConfig):
    name = "wuyou.fieldservice"
    label = "fieldservice"
    verbose_name = _("Field service")

    def ready(self) -> None:
        from wuyou.fieldservice.models import VisitVerb
        from wuyou.tickets.history import history_labels_register

        history_labels_register(VisitVerb)  # the request history reads its verbs in words
