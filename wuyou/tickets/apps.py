from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "wuyou.tickets"
    label = "tickets"
    verbose_name = _("Service requests")

    def ready(self) -> None:
        from wuyou.tickets.history import history_labels_register
        from wuyou.tickets.lifecycle import TRANSITIONS
        from wuyou.tickets.models import RequestVerb

        history_labels_register(RequestVerb)
        history_labels_register({action: transition.label for action, transition in TRANSITIONS.items()})
