"""Django admin for loaners: the pool is edited here; loans and take-backs are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from wuyou.core.admin import ReadOnlyAdmin
from wuyou.loaners.models import Loan, LoanerStatus, LoanerUnit, TakeBack


@admin.register(LoanerUnit)
class LoanerUnitAdmin(admin.ModelAdmin):
    """Each outlet's pool of loaner units: added, sent to repair or retired here; lent and returned by services."""

    list_display = ("serial", "product_model", "outlet", "status", "condition_note")
    list_filter = ("status", "outlet", "product_model__category")
    search_fields = ("serial", "product_model__code", "product_model__name")
    list_select_related = ("outlet", "product_model")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # A lent loaner comes back only through loaner_return, which closes its loan; admin must not free it.
        if obj is not None and obj.status == LoanerStatus.LENT:
            return ("status", "outlet")
        return ()


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    """Loans of loaner units against take-back repairs, to look up."""

    list_display = ("loaner", "work_order", "unit", "lent_at", "due_back_on", "receipt_number", "returned_at")
    list_filter = ("work_order__outlet",)
    search_fields = ("loaner__serial", "unit__serial", "receipt_number", "work_order__number")
    list_select_related = ("loaner", "work_order", "unit")
    date_hierarchy = "lent_at"


@admin.register(TakeBack)
class TakeBackAdmin(ReadOnlyAdmin):
    """Customers' units taken back for repair and where each is now, to look up."""

    list_display = ("receipt_number", "unit", "work_order", "stage", "taken_at", "returned_at")
    list_filter = ("stage", "work_order__outlet")
    search_fields = ("unit__serial", "receipt_number", "work_order__number")
    list_select_related = ("unit", "work_order")
    date_hierarchy = "taken_at"
