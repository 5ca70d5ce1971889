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

        from wuyou.customers.erasure import eraser_register
        from wuyou.fees.erasure import quotes_erase

        # Anonymising a customer (PIPL art. 47) erases his traces here too; customers knows nothing of this app.
        eraser_register("fee_quotes", quotes_erase)
