from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoanersConfig(AppConfig):
    name = "wuyou.loaners"
    label = "loaners"
    verbose_name = _("Loaner units")

    def ready(self) -> None:
        from wuyou.loaners.models import LoanerVerb
        from wuyou.tickets.history import history_labels_register

        history_labels_register(LoanerVerb)  # the request history reads its verbs in words
