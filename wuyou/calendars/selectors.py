"""Reads for business calendars: the working calendar in force for an organisation or outlet."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from wuyou.calendars.models import BusinessCalendar, CalendarException, HolidayNotice, WorkingPeriod
from wuyou.calendars.workdays import FIRST_YEAR, LAST_YEAR, Shift, WorkCalendar, national_calendar


def work_calendar_of(calendar: BusinessCalendar | None) -> WorkCalendar:
    """The working calendar of a stored calendar (and its bases); None gives the standard Mon–Fri week."""
    if calendar is None:
        return WorkCalendar.build(national=national_calendar())
    chain: list[BusinessCalendar] = []
    seen: set[int] = set()
    node: BusinessCalendar | None = calendar
    while node is not None and node.pk not in seen:  # a cycle made in admin must not hang us
        chain.append(node)
        seen.add(node.pk)
        node = node.base
    ids = [c.pk for c in chain]
    week: dict[int, dict[int, list[Shift]]] = defaultdict(lambda: defaultdict(list))
    for calendar_id, weekday, start, end in WorkingPeriod.objects.filter(calendar_id__in=ids).values_list(
        "calendar_id", "weekday", "start", "end"
    ):
        week[calendar_id][weekday].append(Shift(start, end))
    # The nearest calendar in the chain that defines hours gives the whole week.
    hours = next((week[c] for c in ids if c in week), None)
    days = tuple(tuple(hours[d]) for d in range(7)) if hours is not None else None
    holidays: dict[dt.date, bool] = {}
    workdays: dict[dt.date, bool] = {}
    names: dict[dt.date, str] = {}
    # Nearer calendars win: walk from the farthest base to the calendar itself.
    for _calendar_id, date, kind, name in sorted(
        CalendarException.objects.filter(calendar_id__in=ids).values_list("calendar_id", "date", "kind", "name"),
        key=lambda row: -ids.index(row[0]),
    ):
        target, other = (holidays, workdays) if kind == CalendarException.Kind.HOLIDAY else (workdays, holidays)
        target[date] = True
        other.pop(date, None)
        if name:
            names[date] = name
    statutory = all(c.use_statutory_holidays for c in chain)
    years: Iterable[int] = HolidayNotice.objects.filter(calendar_id__in=ids).values_list("year", flat=True)
    if not statutory:
        # No State Council notice will ever change such a calendar: no year of it waits on one (provisional).
        years = range(FIRST_YEAR, LAST_YEAR + 1)
    kwargs = {"week": days} if days is not None else {}
    makeup = days[calendar.makeup_weekday] if days is not None and days[calendar.makeup_weekday] else None
    return WorkCalendar.build(
        national=national_calendar() if statutory else None,
        makeup_shifts=makeup,
        extra_holidays=holidays,
        extra_workdays=workdays,
        noticed_years=years,
        zone=calendar.time_zone,
        names=names,
        **kwargs,
    )
