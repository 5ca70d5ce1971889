"""Django admin for field service: field settings and days are edited here; visits and plans are read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from wuyou.accounts.actors import actor_for_user
from wuyou.core.admin import ReadOnlyAdmin
from wuyou.core.dates import bounded
from wuyou.core.errors import DomainError
from wuyou.dispatch.models import AppointmentWindow, DispatchPlan, EngineerDay, FieldEngineer, WorkOrder
from wuyou.dispatch.services import engineer_day_off_check, engineer_day_save


@admin.register(FieldEngineer)
class FieldEngineerAdmin(admin.ModelAdmin):
    """Where each engineer starts his day, his field hours and his van."""

    list_display = ("engineer", "starts_from", "calendar", "van_capacity")
    list_filter = ("starts_from", "engineer__outlet")
    search_fields = ("engineer__display_name",)
    autocomplete_fields = ("engineer",)
    list_select_related = ("engineer", "calendar")


class EngineerDayForm(forms.ModelForm):
    """Refuses a day off while the engineer's route still holds visits that day (the message names them)."""

    class Meta:
        model = EngineerDay
        fields = ("engineer", "day", "is_off", "starts_at", "ends_at", "note")

    # Years far off overflow the time-zone arithmetic (a 500): bounded as everywhere in the UI (wuyou.core.dates).
    def clean_day(self) -> Any:
        return bounded(self.cleaned_data.get("day"), self.fields["day"].label or "day")

    def clean_starts_at(self) -> Any:
        return bounded(self.cleaned_data.get("starts_at"), self.fields["starts_at"].label or "starts_at")

    def clean_ends_at(self) -> Any:
        return bounded(self.cleaned_data.get("ends_at"), self.fields["ends_at"].label or "ends_at")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        engineer, day = cleaned.get("engineer"), cleaned.get("day")
        if engineer is not None and day is not None:
            try:
                engineer_day_off_check(engineer_id=engineer.pk, day=day, is_off=bool(cleaned.get("is_off")))
            except DomainError as exc:
                self.add_error("is_off", exc.message)
        return cleaned


@admin.register(EngineerDay)
class EngineerDayAdmin(admin.ModelAdmin):
    """A day off or different hours for one engineer; the route version is the planner's, not editable."""

    list_display = ("engineer", "day", "is_off", "starts_at", "ends_at", "note")
    list_filter = ("is_off", "engineer__outlet")
    search_fields = ("engineer__display_name",)
    date_hierarchy = "day"
    autocomplete_fields = ("engineer",)
    readonly_fields = ("route_version",)
    form = EngineerDayForm

    def save_model(self, request: HttpRequest, obj: EngineerDay, form: Any, change: bool) -> None:
        # Through the service: the route version moves, so a plan made on the old day is not committed over it.
        engineer_day_save(actor=actor_for_user(request.user), day=obj)


class AppointmentWindowInline(admin.TabularInline):
    model = AppointmentWindow
    extra = 0
    can_delete = False
    readonly_fields = ("starts_at", "ends_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(ReadOnlyAdmin):
    """Visits, to look up; they change through the board, the booking page and the engineer's day."""

    list_display = ("number", "status", "job_type", "outlet", "engineer", "window_start", "planned_start")
    list_filter = ("status", "job_type", "outlet")
    search_fields = ("=number", "request__number", "engineer__display_name")
    list_select_related = ("outlet", "engineer")
    date_hierarchy = "created_at"
    inlines = [AppointmentWindowInline]


@admin.register(DispatchPlan)
class DispatchPlanAdmin(ReadOnlyAdmin):
    """Optimisations run, to look up."""

    list_display = ("pk", "outlet", "day", "status", "progress", "reason", "created_at", "committed_at")
    list_filter = ("status", "outlet")
    date_hierarchy = "day"
    exclude = ("proposal",)
