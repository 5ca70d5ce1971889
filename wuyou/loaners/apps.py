from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoanersConfig(AppConfig):
    name = "wuyou.loaners"
    label = "loaners"
    verbose_name = _("Loaner units")
