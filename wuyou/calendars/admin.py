"""Django admin for business calendars: hours per weekday, exceptions, and the years whose notice is entered."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wuyou.calendars.models import BusinessCalendar, CalendarException, HolidayNotice, Weekday, WorkingPeriod
from wuyou.calendars.workdays import CalendarError, Shift, day_shifts


class WorkingPeriodFormSet(forms.BaseInlineFormSet):
    """A day's shifts may not overlap (a split shift is two shifts with a gap)."""

    def clean(self) -> None:
        super().clean()
        by_day: dict[int, list[Shift]] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or data.get("start") is None or data.get("end") is None:
                continue
            if data["end"] > data["start"]:  # a reversed shift is the form's own error
                by_day.setdefault(data["weekday"], []).append(Shift(data["start"], data["end"]))
        for weekday, shifts in by_day.items():
            try:
                day_shifts(shifts)  # the calendar's own rule
            except CalendarError:
                raise ValidationError(_("Two shifts overlap on %(day)s.") % {"day": Weekday(weekday).label}) from None


class WorkingPeriodInline(admin.TabularInline):
    model = WorkingPeriod
    formset = WorkingPeriodFormSet
    extra = 0


class CalendarExceptionInline(admin.TabularInline):
    model = CalendarException
    extra = 0


class HolidayNoticeInline(admin.TabularInline):
    model = HolidayNotice
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    """Working hours, holidays and make-up working days; an outlet's calendar is based on the organisation's."""

    list_display = ("name", "time_zone", "base", "use_statutory_holidays")
    search_fields = ("name",)
    inlines = [WorkingPeriodInline, CalendarExceptionInline, HolidayNoticeInline]


@admin.register(CalendarException)
class CalendarExceptionAdmin(admin.ModelAdmin):
    """Extra holidays and extra working days, e.g. next year's holidays before the package knows them."""

    list_display = ("date", "kind", "name", "calendar")
    list_filter = ("kind", "calendar")
    date_hierarchy = "date"
    search_fields = ("name",)
