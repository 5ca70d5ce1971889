"""Django admin for the complaint desk: the organisation's complaint settings are edited here; complaints and their
rectification actions are read-only (they change through the desk's services only, with their events)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from wuyou.quality.models import Complaint, ComplaintSettings, RectificationAction


@admin.register(ComplaintSettings)
class ComplaintSettingsAdmin(admin.ModelAdmin):
    """The amount above which the service manager approves a remedy, and the repeat-complaint window."""

    list_display = ("organisation", "approval_above", "repeat_within_days")


class RectificationInline(admin.TabularInline):
    """The complaint's rectification plan, to read."""

    model = RectificationAction
    extra = 0
    can_delete = False
    fields = ("action", "owner", "due_on", "done_at", "escalate_at", "escalation_level")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    """Complaints to look up; registering and disposing of them is the desk's alone."""

    list_display = ("request", "category", "severity", "status", "responsible", "promised_by", "disposed_at")
    list_filter = ("status", "category", "severity", "responsible", "request__outlet")
    search_fields = ("=request__number", "request__customer__name")
    list_select_related = ("request",)
    date_hierarchy = "created_at"
    inlines = [RectificationInline]
    readonly_fields = tuple(
        f.name for f in Complaint._meta.get_fields() if getattr(f, "concrete", False) and not f.many_to_many
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
