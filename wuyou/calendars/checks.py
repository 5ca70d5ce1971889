"""Calendar checks for admins (R-E4): "N working days after", "H business hours after", "is it a working day?".

The same answers serve `wuyou calendar …` and `GET /api/v1/calendar/…`: one line a person reads, and a JSON form.
Input arrives as text; every bad value is a ValidationFailed naming its field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuyou.calendars.workdays import FIRST_YEAR, LAST_YEAR, CalendarError, WorkCalendar
from wuyou.core.errors import ValidationFailed

MAX_WORKDAYS = 3650
MAX_HOURS = 10000

FESTIVALS = {
    "New Year's Day": gettext_lazy("New Year's Day"),
    "Spring Festival": gettext_lazy("Spring Festival"),
    "Tomb-sweeping Day": gettext_lazy("Tomb-sweeping Day"),
    "Labour Day": gettext_lazy("Labour Day"),
    "Dragon Boat Festival": gettext_lazy("Dragon Boat Festival"),
    "Mid-autumn Festival": gettext_lazy("Mid-autumn Festival"),
    "National Day": gettext_lazy("National Day"),
    "Anti-Fascist 70th Day": gettext_lazy("Anti-Fascist 70th Day"),
}


@dataclass(frozen=True)
class CalendarAnswer:
    """An answer to a calendar check: one readable line and the same facts as JSON."""

    line: str
    facts: dict[str, Any]


def parse_date(text: str, *, field: str = "date") -> dt.date:
    """A date written YYYY-MM-DD within the years the calendar covers."""
    try:
        day = dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValidationFailed(
            _("%(value)s is not a date; write it as YYYY-MM-DD.") % {"value": str(text)[:30]}, field=field
        ) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationFailed(
            _("Dates from %(first)s to %(last)s only.") % {"first": FIRST_YEAR, "last": LAST_YEAR}, field=field
        )
    return day


def parse_moment(text: str, calendar: WorkCalendar, *, field: str = "start") -> dt.datetime:
    """A local moment written "YYYY-MM-DD HH:MM" on the calendar's wall clock."""
    try:
        naive = dt.datetime.strptime(str(text).strip().replace("T", " "), "%Y-%m-%d %H:%M")
    except ValueError:
        raise ValidationFailed(
            _("%(value)s is not a moment; write it as YYYY-MM-DD HH:MM.") % {"value": str(text)[:30]}, field=field
        ) from None
    parse_date(naive.date().isoformat(), field=field)
    return naive.replace(tzinfo=calendar.zone)


def _count(value: str | float, *, field: str, most: int, whole: bool) -> float:
    try:
        number = int(str(value).strip()) if whole else float(str(value).strip())
    except ValueError:
        raise ValidationFailed(_("%(value)s is not a number.") % {"value": str(value)[:30]}, field=field) from None
    if number != number or number < 0:  # NaN or negative
        raise ValidationFailed(_("The number cannot be negative."), field=field)
    if number > most:
        raise ValidationFailed(_("At most %(most)s.") % {"most": most}, field=field)
    return number


def _past_last_year(field: str) -> ValidationFailed:
    return ValidationFailed(
        _("The answer would fall after %(last)s, the last year the calendar covers.") % {"last": LAST_YEAR}, field=field
    )


def describe_day(calendar: WorkCalendar, day: dt.date) -> str:
    """e.g. "Saturday, make-up working day (National Day)"."""
    kind = calendar.day_kind(day)
    name = calendar.names.get(day, "")
    festival = str(FESTIVALS.get(name, name))
    weekday = formats.date_format(day, "l")
    if kind == "makeup_workday":
        text = _("make-up working day for %(festival)s") if festival else _("make-up working day")
    elif kind == "holiday":
        text = _("%(festival)s holiday") if festival else _("holiday")
    elif kind == "rest_day":
        text = _("rest day")
    else:
        text = _("working day for %(festival)s") if festival else _("working day")
    what = text % {"festival": festival} if festival else text
    return _("%(weekday)s, %(what)s") % {"weekday": weekday, "what": what}


def _provisional_note(calendar: WorkCalendar, *days: dt.date) -> str:
    if not calendar.is_provisional(*days):
        return ""
    unknown = sorted({y for y in range(min(days).year, max(days).year + 1) if y not in calendar.known_years})
    return " — " + _(
        "provisional: the holidays of %(years)s are not published yet, so only weekends were taken as rest days"
    ) % {"years": ", ".join(map(str, unknown))}


def answer_add_workdays(calendar: WorkCalendar, date: str, count: str | int) -> CalendarAnswer:
    """The date `count` working days after `date`."""
    start = parse_date(date)
    n = int(_count(count, field="n", most=MAX_WORKDAYS, whole=True))
    try:
        result = calendar.add_workdays(start, n)
    except CalendarError:  # negative counts are refused above: only the calendar's last year is left
        raise _past_last_year("n") from None
    line = _("%(start)s + %(n)s working days = %(result)s (%(day)s)") % {
        "start": start.isoformat(),
        "n": n,
        "result": result.isoformat(),
        "day": describe_day(calendar, result),
    }
    provisional = calendar.is_provisional(start, result)
    return CalendarAnswer(
        line=line + _provisional_note(calendar, start, result),
        facts={"date": start.isoformat(), "n": n, "result": result.isoformat(), "provisional": provisional},
    )


def answer_add_hours(calendar: WorkCalendar, start: str, hours: str | float) -> CalendarAnswer:
    """The moment `hours` business hours after the local moment `start`."""
    moment = parse_moment(start, calendar)
    amount = _count(hours, field="hours", most=MAX_HOURS, whole=False)
    try:
        result = calendar.local(calendar.add_business_hours(moment, amount))
    except CalendarError:
        raise _past_last_year("hours") from None
    line = _("%(start)s + %(hours)s business hours = %(result)s (%(zone)s)") % {
        "start": moment.strftime("%Y-%m-%d %H:%M"),
        "hours": f"{amount:g}",
        "result": result.strftime("%Y-%m-%d %H:%M"),
        "zone": calendar.zone.key,
    }
    provisional = calendar.is_provisional(moment.date(), result.date())
    return CalendarAnswer(
        line=line + _provisional_note(calendar, moment.date(), result.date()),
        facts={
            "start": moment.isoformat(),
            "hours": amount,
            "result": result.isoformat(),
            "time_zone": calendar.zone.key,
            "provisional": provisional,
        },
    )


def answer_is_workday(calendar: WorkCalendar, date: str) -> CalendarAnswer:
    """Whether `date` is worked, and why."""
    day = parse_date(date)
    worked = calendar.is_workday(day)
    line = (_("%(date)s is a working day: %(why)s") if worked else _("%(date)s is not a working day: %(why)s")) % {
        "date": day.isoformat(),
        "why": describe_day(calendar, day),
    }
    return CalendarAnswer(
        line=line + _provisional_note(calendar, day),
        facts={
            "date": day.isoformat(),
            "workday": worked,
            "kind": calendar.day_kind(day),
            "name": calendar.names.get(day, ""),
            "shifts": [str(s) for s in calendar.shifts_on(day)],
            "provisional": calendar.is_provisional(day),
        },
    )
