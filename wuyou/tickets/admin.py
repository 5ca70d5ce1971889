"""Django admin for service requests: read-only, with their events (changes go through the console or API)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from wuyou.tickets.models import EscalationLevel, RequestClock, RequestEvent, ServiceRequest, TimeLimitPolicy


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    fields = ("created_at", "verb", "from_status", "to_status", "actor", "note", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-created_at", "-id")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RequestClockInline(admin.TabularInline):
    model = RequestClock
    fields = ("step", "state", "stage", "level", "outcome", "started_at", "warn_at", "due_at", "provisional")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("step", "-started_at")

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
    inlines = [RequestClockInline, RequestEventInline]
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


class TimeLimitPolicyForm(forms.ModelForm):
    """The escalation chain as ticked levels, always climbing in the order of seniority."""

    chain = forms.MultipleChoiceField(
        label=_("escalation chain"),
        choices=EscalationLevel.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Warnings go to the first level ticked; each escalation climbs to the next."),
    )

    class Meta:
        model = TimeLimitPolicy
        fields = (
            "call_type",
            "priority",
            "channel",
            "step",
            "amount",
            "unit",
            "warn_percent",
            "escalate_percent",
            "chain",
            "pauses_when_waiting",
            "is_active",
        )

    def clean_chain(self) -> list[str]:
        ticked = set(self.cleaned_data["chain"])
        return [level for level in EscalationLevel.values if level in ticked]


@admin.register(TimeLimitPolicy)
class TimeLimitPolicyAdmin(admin.ModelAdmin):
    """Time limits per call type, priority and step; running clocks keep the limit they started with."""

    form = TimeLimitPolicyForm
    list_display = ("call_type", "step", "priority", "channel", "amount", "unit", "warn_percent", "is_active")
    list_filter = ("call_type", "step", "unit", "is_active")
    fields = (
        ("call_type", "priority", "channel"),
        "step",
        ("amount", "unit"),
        ("warn_percent", "escalate_percent"),
        "chain",
        "pauses_when_waiting",
        "is_active",
    )
