"""Django admin for callbacks: read-only (they are scheduled and recorded through the services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from wuyou.quality.models import Callback


@admin.register(Callback)
class CallbackAdmin(admin.ModelAdmin):
    """Callbacks to look up; scheduling and recording them is the services' alone."""

    list_display = ("request", "reason", "status", "due_at", "call_at", "attempts", "outcome", "assigned_to", "done_at")
    list_filter = ("status", "reason", "outcome", "request__outlet")
    search_fields = ("=request__number", "request__customer__name")
    list_select_related = ("request", "assigned_to")
    date_hierarchy = "due_at"
    raw_id_fields = ("request", "assigned_to", "follows", "work_order", "draw", "questionnaire")
    readonly_fields = (
        "request",
        "reason",
        "due_at",
        "call_at",
        "attempts",
        "mode",
        "work_order",
        "draw",
        "questionnaire",
        "status",
        "assigned_to",
        "outcome",
        "note",
        "done_at",
        "done_by",
        "follows",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
