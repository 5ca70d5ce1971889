"""Business calendars: working hours per weekday, holidays and make-up working days (R-E4)."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from wuyou.core.models import TimeStampedModel


def validate_zone(value: str) -> None:
    """An IANA time-zone name, e.g. Asia/Shanghai."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a time zone."), params={"value": value})


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessCalendar(TimeStampedModel):
    """The organisation's calendar, or an outlet's override that inherits its base's holidays."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_zone])
    base = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="overrides",
        verbose_name=_("based on"),
        help_text=_("An outlet's calendar inherits the holidays and exceptions of the calendar it is based on."),
    )
    use_statutory_holidays = models.BooleanField(
        _("statutory holidays"),
        default=True,
        help_text=_("Rest on China's statutory holidays and work on make-up working days (调休)."),
    )
    makeup_weekday = models.PositiveSmallIntegerField(
        _("make-up days work like"),
        choices=Weekday.choices,
        default=Weekday.MONDAY,
        help_text=_("A make-up working day on a weekend is worked with this weekday's hours."),
    )

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        node, seen = self.base, {self.pk}
        while node is not None:
            if node.pk in seen:
                raise ValidationError({"base": _("A calendar cannot be based, even indirectly, on itself.")})
            seen.add(node.pk)
            node = node.base


class WorkingPeriod(models.Model):
    """One shift of a weekday, e.g. Monday 08:30–12:00; a split day has two."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="periods", verbose_name=_("calendar")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="period_ends_after_start"),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="period_weekday_in_week"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self) -> None:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValidationError({"end": _("The shift must end after it starts.")})


class CalendarException(models.Model):
    """An admin's exception: an extra holiday or an extra working day (wins over the statutory table)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (rest day)")
        WORKDAY = "workday", _("Working day")

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="exceptions", verbose_name=_("calendar")
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True, help_text=_("e.g. Spring Festival"))

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="one_exception_per_day")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class HolidayNotice(models.Model):
    """A year whose holidays an admin has entered from the State Council's notice: no longer provisional."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="notices", verbose_name=_("calendar")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    published_on = models.DateField(_("notice published on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("holiday notice")
        verbose_name_plural = _("holiday notices")
        ordering = ["year"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "year"], name="one_notice_per_year"),
            models.CheckConstraint(condition=models.Q(year__gte=2000, year__lte=2100), name="notice_year_in_range"),
        ]

    def __str__(self) -> str:
        return str(self.year)
