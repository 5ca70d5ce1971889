"""Django admin for field service: field settings and days are edited here; visits and plans are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from wuyou.dispatch.models import (
    AppointmentWindow,
    DispatchPlan,
    EngineerDay,
    FeeQuote,
    FieldEngineer,
    Loan,
    LoanerStatus,
    LoanerUnit,
    Part,
    Requisition,
    RequisitionLine,
    StockBalance,
    StockMove,
    StockPlace,
    TakeBack,
    WorkOrder,
)


@admin.register(FieldEngineer)
class FieldEngineerAdmin(admin.ModelAdmin):
    """Where each engineer starts his day, his field hours and his van."""

    list_display = ("engineer", "starts_from", "calendar", "van_capacity")
    list_filter = ("starts_from", "engineer__outlet")
    search_fields = ("engineer__display_name",)
    autocomplete_fields = ("engineer",)
    list_select_related = ("engineer", "calendar")


@admin.register(EngineerDay)
class EngineerDayAdmin(admin.ModelAdmin):
    """A day off or different hours for one engineer; the route version is the planner's, not editable."""

    list_display = ("engineer", "day", "is_off", "starts_at", "ends_at", "note")
    list_filter = ("is_off", "engineer__outlet")
    search_fields = ("engineer__display_name",)
    date_hierarchy = "day"
    autocomplete_fields = ("engineer",)
    readonly_fields = ("route_version",)


class _ReadOnly(admin.ModelAdmin):
    """Records written only by the services (ledgers, decisions, events): admins look them up, never edit."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AppointmentWindowInline(admin.TabularInline):
    model = AppointmentWindow
    extra = 0
    can_delete = False
    readonly_fields = ("starts_at", "ends_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(_ReadOnly):
    """Visits, to look up; they change through the board, the booking page and the engineer's day."""

    list_display = ("number", "status", "job_type", "outlet", "engineer", "window_start", "planned_start")
    list_filter = ("status", "job_type", "outlet")
    search_fields = ("=number", "request__number", "engineer__display_name")
    list_select_related = ("outlet", "engineer")
    date_hierarchy = "created_at"
    inlines = [AppointmentWindowInline]


@admin.register(DispatchPlan)
class DispatchPlanAdmin(_ReadOnly):
    """Optimisations run, to look up."""

    list_display = ("pk", "outlet", "day", "status", "progress", "reason", "created_at", "committed_at")
    list_filter = ("status", "outlet")
    date_hierarchy = "day"
    exclude = ("proposal",)


# ---------------------------------------------------------------------------------------------------------------
# Spare parts (issue 5 item 4): the catalogue and places are edited here; the ledger, balances and requisitions are
# read-only, because stock changes only through the stock services (receipt, requisition, consumption, count).
# ---------------------------------------------------------------------------------------------------------------


@admin.register(Part)
class PartAdmin(admin.ModelAdmin):
    """The spare-parts catalogue: codes, prices and low-stock levels."""

    list_display = (
        "code",
        "name",
        "cost_price",
        "retail_price",
        "component",
        "unit",
        "low_stock_level",
        "is_consumable",
        "active",
    )
    list_filter = ("active", "is_consumable", "component")
    search_fields = ("code", "name")


@admin.register(StockPlace)
class StockPlaceAdmin(admin.ModelAdmin):
    """Outlet stores, engineers' vans and the head-office warehouse."""

    list_display = ("pk", "kind", "outlet", "engineer")
    list_filter = ("kind", "outlet")
    search_fields = ("outlet__name", "engineer__display_name")
    autocomplete_fields = ("engineer",)
    list_select_related = ("outlet", "engineer")


@admin.register(StockMove)
class StockMoveAdmin(_ReadOnly):
    """The stock ledger, to look up: never edited."""

    list_display = ("created_at", "kind", "part", "place", "quantity", "serial", "work_order", "requisition", "actor")
    list_filter = ("kind", "place__kind", "place__outlet")
    search_fields = ("part__code", "serial", "work_order__number")
    list_select_related = ("part", "place__outlet", "place__engineer", "work_order", "actor")
    date_hierarchy = "created_at"


@admin.register(StockBalance)
class StockBalanceAdmin(_ReadOnly):
    """Each place's stock of each part (the sum of its moves), to look up."""

    list_display = ("place", "part", "quantity")
    list_filter = ("place__kind", "place__outlet")
    search_fields = ("part__code", "part__name")
    list_select_related = ("part", "place__outlet", "place__engineer")


class RequisitionLineInline(admin.TabularInline):
    model = RequisitionLine
    extra = 0
    can_delete = False
    readonly_fields = ("part", "quantity")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Requisition)
class RequisitionAdmin(_ReadOnly):
    """Requisitions between places and their decisions, to look up."""

    list_display = ("pk", "source", "destination", "status", "requested_by", "decided_by", "created_at")
    list_filter = ("status",)
    list_select_related = ("source__outlet", "destination__outlet", "destination__engineer")
    date_hierarchy = "created_at"
    inlines = [RequisitionLineInline]


# ------------------------------------------------------------------------------------------------ Loaner units


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
class LoanAdmin(_ReadOnly):
    """Loans of loaner units against take-back repairs, to look up."""

    list_display = ("loaner", "work_order", "unit", "lent_at", "due_back_on", "receipt_number", "returned_at")
    list_filter = ("work_order__outlet",)
    search_fields = ("loaner__serial", "unit__serial", "receipt_number", "work_order__number")
    list_select_related = ("loaner", "work_order", "unit")
    date_hierarchy = "lent_at"


@admin.register(TakeBack)
class TakeBackAdmin(_ReadOnly):
    """Customers' units taken back for repair and where each is now, to look up."""

    list_display = ("receipt_number", "unit", "work_order", "stage", "taken_at", "returned_at")
    list_filter = ("stage", "work_order__outlet")
    search_fields = ("unit__serial", "receipt_number", "work_order__number")
    list_select_related = ("unit", "work_order")
    date_hierarchy = "taken_at"


@admin.register(FeeQuote)
class FeeQuoteAdmin(_ReadOnly):
    """Quotes shown to customers, as shown (read-only: quotes change only through the visit and the centre)."""

    list_display = ("number", "work_order", "status", "fault_cause", "policy_version", "total", "customer_total")
    list_filter = ("status", "fault_cause", "policy_code")
    search_fields = ("number", "work_order__number", "signed_by")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in FeeQuote._meta.fields if f.name != "signature"]
    exclude = ("signature",)
