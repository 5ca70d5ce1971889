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

        from wuyou.customers.erasure import eraser_register, open_jobs_register
        from wuyou.loaners.erasure import loans_erase, open_loans

        # Anonymising a customer (PIPL art. 47) erases his traces here too; customers knows nothing of this app.
        open_jobs_register("loans", open_loans)
        eraser_register("loans", loans_erase)
