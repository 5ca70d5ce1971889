"""Django admin for fee quotes: read-only; quotes change on the visit page and the centre's disputes."""

from __future__ import annotations

from django.contrib import admin

from wuyou.core.admin import ReadOnlyAdmin
from wuyou.fees.models import FeeQuote, InvoiceRequest, Payment


@admin.register(FeeQuote)
class FeeQuoteAdmin(ReadOnlyAdmin):
    """Quotes shown to customers, as shown (read-only: quotes change only through the visit and the centre)."""

    list_display = ("number", "work_order", "status", "fault_cause", "policy_version", "total", "customer_total")
    list_filter = ("status", "fault_cause", "policy_code")
    search_fields = ("number", "work_order__number", "signed_by")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in FeeQuote._meta.fields if f.name != "signature"]
    exclude = ("signature",)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """What customers paid on site (read-only: payments are recorded on the visit)."""

    list_display = ("work_order", "quote", "method", "amount", "reference", "engineer", "outlet", "day")
    list_filter = ("method", "outlet", "day")
    search_fields = ("work_order__number", "quote__number", "reference")
    date_hierarchy = "created_at"


@admin.register(InvoiceRequest)
class InvoiceRequestAdmin(ReadOnlyAdmin):
    """Customers' invoice requests (read-only: the finance desk marks them issued on its page)."""

    list_display = ("work_order", "title", "title_kind", "tax_number", "amount", "status", "issued_at")
    list_filter = ("status", "title_kind", "outlet")
    search_fields = ("work_order__number", "title", "tax_number")
