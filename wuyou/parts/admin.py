"""Django admin for spare parts: the catalogue and places are edited here; the ledger and requisitions are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from wuyou.core.admin import ReadOnlyAdmin
from wuyou.parts.models import Part, Requisition, RequisitionLine, StockBalance, StockMove, StockPlace


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
class StockMoveAdmin(ReadOnlyAdmin):
    """The stock ledger, to look up: never edited."""

    list_display = ("created_at", "kind", "part", "place", "quantity", "serial", "work_order", "requisition", "actor")
    list_filter = ("kind", "place__kind", "place__outlet")
    search_fields = ("part__code", "serial", "work_order__number")
    list_select_related = ("part", "place__outlet", "place__engineer", "work_order", "actor")
    date_hierarchy = "created_at"


@admin.register(StockBalance)
class StockBalanceAdmin(ReadOnlyAdmin):
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
class RequisitionAdmin(ReadOnlyAdmin):
    """Requisitions between places and their decisions, to look up."""

    list_display = ("pk", "source", "destination", "status", "requested_by", "decided_by", "created_at")
    list_filter = ("status",)
    list_select_related = ("source__outlet", "destination__outlet", "destination__engineer")
    date_hierarchy = "created_at"
    inlines = [RequisitionLineInline]
