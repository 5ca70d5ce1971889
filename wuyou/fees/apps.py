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
        from wuyou.fees.erasure import invoices_erase, quotes_erase

        # Anonymising a customer (PIPL art. 47) erases his traces here too; customers knows nothing of this app.
        eraser_register("fee_quotes", quotes_erase)

        from wuyou.fees.links import quote_urls
        from wuyou.notifications.links import ref_url_register

        ref_url_register("fee_quote", quote_urls)  # the inbox links `fee_quote:<id>` to the quote's request
        eraser_register("fee_invoices", invoices_erase)

        from wuyou.fees.views.payments import request_payments_panel
        from wuyou.tickets.panels import AFTER_DISPATCH, request_panel_register

        # The request page shows what the customer paid; tickets knows nothing of fees (ADR 0004).
        request_panel_register("payments", request_payments_panel, 20, slot=AFTER_DISPATCH)
