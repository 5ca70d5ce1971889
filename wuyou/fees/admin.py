"""Django admin for fee quotes: read-only; quotes change on the visit page and the centre's disputes."""

from __future__ import annotations

from django.contrib import admin

from wuyou.core.admin import ReadOnlyAdmin
from wuyou.fees.models import FeeQuote


@admin.register(FeeQuote)
class FeeQuoteAdmin(ReadOnlyAdmin):
    """Quotes shown to customers, as shown (read-only: quotes change only through the visit and the centre)."""

    list_display = ("number", "work_order", "status", "fault_cause", "policy_version", "total", "customer_total")
    list_filter = ("status", "fault_cause", "policy_code")
    search_fields = ("number", "work_order__number", "signed_by")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in FeeQuote._meta.fields if f.name != "signature"]
    exclude = ("signature",)
