"""Django admin for service requests: read-only, with their events (changes go through the console or API)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from wuyou.tickets.models import RequestEvent, ServiceRequest


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    fields = ("created_at", "verb", "from_status", "to_status", "actor", "note", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-created_at", "-id")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    """Service requests and their audit trail, to look up; state changes are the services' alone."""

    list_display = (
        "number",
        "call_type",
        "status",
        "to_verify",
        "priority",
        "customer",
        "outlet",
        "assignee",
        "due_at",
        "created_at",
    )
    list_filter = ("status", "call_type", "to_verify", "priority", "channel", "outlet__region", "outlet")
    search_fields = ("=number", "customer__name", "=contact_phone", "=unit__serial")
    list_select_related = ("customer", "outlet", "assignee")
    date_hierarchy = "created_at"
    inlines = [RequestEventInline]
    fieldsets = (
        (None, {"fields": ("number", "call_type", "channel", "priority", "status", "version")}),
        (
            _("Customer and product"),
            {"fields": ("customer", "contact_phone", "address", "unit", "reported_model", "reported_purchase_date")},
        ),
        (_("Request"), {"fields": ("symptom", "window_start", "window_end", "to_verify", "missing_fields")}),
        (
            _("Handling"),
            {
                "fields": (
                    "outlet",
                    "assignee",
                    "due_at",
                    "resolved_at",
                    "closed_at",
                    "created_by",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
