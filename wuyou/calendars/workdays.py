"""Working-day arithmetic over a business calendar (pure; R-E4).

A day is worked when it has shifts: its weekday's shifts, unless it is a holiday (statutory or added by an admin);
a make-up working day (调休) that falls on a rest day is worked with the make-up shifts (by default Monday's).
Years that neither the statutory table nor an admin's notice covers are computed with weekends as rest days and
are *provisional*: whoever shows such a deadline must say so.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

FIRST_YEAR = 2000
LAST_YEAR = 2100
DAY = dt.timedelta(days=1)


class CalendarError(ValueError):
    """A calendar question that has no answer (a date out of range, a negative count, bad shifts)."""


@dataclass(frozen=True, order=True)
class Shift:
    """One stretch of working time within a day, e.g. 08:30–12:00."""

    start: dt.time
    end: dt.time

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise CalendarError(f"a shift must end after it starts ({self.start:%H:%M}–{self.end:%H:%M})")

    @property
    def seconds(self) -> int:
        return (self.end.hour * 3600 + self.end.minute * 60) - (self.start.hour * 3600 + self.start.minute * 60)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


def day_shifts(shifts: Iterable[Shift]) -> tuple[Shift, ...]:
    """One day's shifts in order; overlapping shifts are an error (a split shift is two shifts with a gap)."""
    ordered = tuple(sorted(shifts))
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.start < before.end:
            raise CalendarError(f"shifts {before} and {after} overlap")
    return ordered


STANDARD_DAY = (Shift(dt.time(8, 30), dt.time(12, 0)), Shift(dt.time(13, 30), dt.time(17, 30)))
STANDARD_WEEK: tuple[tuple[Shift, ...], ...] = (STANDARD_DAY,) * 5 + ((), ())


@dataclass(frozen=True)
class National:
    """The statutory rest days and make-up working days the State Council has announced, and the years covered."""

    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    years: frozenset[int]
    names: Mapping[dt.date, str] = field(default_factory=dict)  # the festival a day belongs to, in English


def national_calendar() -> National:
    """The table shipped in the chinese-calendar package (one State Council notice per year)."""
    from chinese_calendar import constants

    holidays = frozenset(constants.holidays)
    workdays = frozenset(constants.workdays)
    names = {day: name for day, name in {**constants.holidays, **constants.workdays}.items() if name}
    return National(
        holidays=holidays, workdays=workdays, years=frozenset(d.year for d in holidays | workdays), names=names
    )


@dataclass
class WorkCalendar:
    """A business calendar: weekly shifts, holidays, make-up working days and the years known for certain."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    week: Sequence[tuple[Shift, ...]] = STANDARD_WEEK
    makeup_shifts: tuple[Shift, ...] = STANDARD_DAY
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    known_years: frozenset[int] = frozenset()
    names: Mapping[dt.date, str] = field(default_factory=dict)
    # Working-day ordinals per year, built on first use (this instance's own memo, not shared state).
    _years: dict[int, list[int]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise CalendarError("a week has seven days of shifts")
        self.week = tuple(day_shifts(day) for day in self.week)
        self.makeup_shifts = day_shifts(self.makeup_shifts)
        if not any(self.week) and not self.workdays:
            raise CalendarError("a calendar needs at least one working weekday")

    @classmethod
    def build(
        cls,
        *,
        national: National | None,
        week: Sequence[tuple[Shift, ...]] = STANDARD_WEEK,
        makeup_shifts: tuple[Shift, ...] | None = None,
        extra_holidays: Iterable[dt.date] = (),
        extra_workdays: Iterable[dt.date] = (),
        noticed_years: Iterable[int] = (),
        zone: str = "Asia/Shanghai",
        names: Mapping[dt.date, str] | None = None,
    ) -> WorkCalendar:
        """A calendar from the national table plus an admin's exceptions; the admin's word wins on a clash."""
        extra_holidays, extra_workdays = frozenset(extra_holidays), frozenset(extra_workdays)
        clash = extra_holidays & extra_workdays
        if clash:
            raise CalendarError(f"{min(clash)} is both an extra holiday and an extra working day")
        base_holidays = national.holidays if national else frozenset()
        base_workdays = national.workdays if national else frozenset()
        week = tuple(tuple(day) for day in week)
        if makeup_shifts is None:
            makeup_shifts = next((day for day in week if day), STANDARD_DAY)
        return cls(
            zone=ZoneInfo(zone),
            week=week,
            makeup_shifts=makeup_shifts,
            holidays=(base_holidays - extra_workdays) | extra_holidays,
            workdays=(base_workdays - extra_holidays) | extra_workdays,
            known_years=(national.years if national else frozenset()) | frozenset(noticed_years),
            names={**(national.names if national else {}), **(names or {})},
        )

    # -- days -------------------------------------------------------------------------------------------------

    def shifts_on(self, day: dt.date) -> tuple[Shift, ...]:
        """The shifts worked on a day (none on a rest day)."""
        if day in self.workdays:
            return self.week[day.weekday()] or self.makeup_shifts
        if day in self.holidays:
            return ()
        return self.week[day.weekday()]

    def day_kind(self, day: dt.date) -> str:
        """Why a day is worked or not: workday, rest_day, holiday, makeup_workday (a rest day worked instead)."""
        _check_year(day.year)
        if day in self.workdays:
            return "workday" if self.week[day.weekday()] else "makeup_workday"
        if day in self.holidays:
            return "holiday"
        return "workday" if self.week[day.weekday()] else "rest_day"

    def is_workday(self, day: dt.date) -> bool:
        """Whether the day is worked."""
        _check_year(day.year)
        return bool(self.shifts_on(day))

    def is_provisional(self, *days: dt.date) -> bool:
        """Whether any year from the first to the last day is not known for certain (weekends assumed)."""
        if not days:
            return False
        return any(year not in self.known_years for year in range(min(days).year, max(days).year + 1))

    def _year(self, year: int) -> list[int]:
        _check_year(year)
        ordinals = self._years.get(year)
        if ordinals is None:
            day, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
            ordinals = []
            while day <= end:
                if self.shifts_on(day):
                    ordinals.append(day.toordinal())
                day += DAY
            self._years[year] = ordinals
        return ordinals

    def add_workdays(self, start: dt.date, count: int) -> dt.date:
        """The `count`-th working day after `start` (the start day itself never counts; 0 gives `start`)."""
        if count < 0:
            raise CalendarError("the number of working days cannot be negative")
        if count == 0:
            return start
        year = start.year
        days = self._year(year)
        index = bisect_right(days, start.toordinal()) + count - 1
        while index >= len(days):
            index -= len(days)
            year += 1
            days = self._year(year)
        return dt.date.fromordinal(days[index])

    def next_workday(self, day: dt.date) -> dt.date:
        """The first working day after `day`."""
        return self.add_workdays(day, 1)

    def workdays_between(self, first: dt.date, last: dt.date) -> int:
        """How many working days lie after `first` up to and including `last`."""
        if last < first:
            return -self.workdays_between(last, first)
        count = 0
        for year in range(first.year, last.year + 1):
            days = self._year(year)
            lo = bisect_right(days, first.toordinal()) if year == first.year else 0
            hi = bisect_right(days, last.toordinal()) if year == last.year else len(days)
            count += hi - lo
        return count

    # -- business time ----------------------------------------------------------------------------------------

    def local(self, moment: dt.datetime) -> dt.datetime:
        """The moment on this calendar's wall clock."""
        if moment.tzinfo is None:
            raise CalendarError("a moment needs a time zone")
        return moment.astimezone(self.zone)

    def _at(self, day: dt.date, time: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, time, tzinfo=self.zone)

    def _working_days_from(self, day: dt.date) -> Iterable[dt.date]:
        """Working days from `day` (inclusive) onwards."""
        year = day.year
        days = self._year(year)
        index = bisect_left(days, day.toordinal())
        while True:
            while index >= len(days):
                year += 1
                days = self._year(year)
                index = 0
            yield dt.date.fromordinal(days[index])
            index += 1

    def add_business_seconds(self, moment: dt.datetime, seconds: float) -> dt.datetime:
        """The moment `seconds` of working time after `moment` (time outside shifts does not count)."""
        if seconds < 0:
            raise CalendarError("business time cannot be negative")
        here = self.local(moment)
        left = dt.timedelta(seconds=seconds)
        for day in self._working_days_from(here.date()):
            for shift in self.shifts_on(day):
                end = self._at(day, shift.end)
                if here >= end:
                    continue
                begin = max(here, self._at(day, shift.start))
                if left <= end - begin:
                    return (begin + left).astimezone(dt.UTC)
                left -= end - begin
        raise AssertionError("unreachable: working days never run out before the last year")  # pragma: no cover

    def add_business_hours(self, moment: dt.datetime, hours: float) -> dt.datetime:
        """The moment `hours` business hours after `moment`."""
        if hours < 0:
            raise CalendarError("the number of hours cannot be negative")
        return self.add_business_seconds(moment, hours * 3600)

    def business_seconds_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working time from `start` to `end`, negative when `end` comes first."""
        if end < start:
            return -self.business_seconds_between(end, start)
        here, until = self.local(start), self.local(end)
        total = dt.timedelta()
        for day in self._working_days_from(here.date()):
            if day > until.date():
                break
            for shift in self.shifts_on(day):
                begin = max(here, self._at(day, shift.start))
                finish = min(until, self._at(day, shift.end))
                if finish > begin:
                    total += finish - begin
        return total.total_seconds()

    def close_of(self, day: dt.date) -> dt.datetime:
        """When the day's last shift ends (midnight after a rest day)."""
        shifts = self.shifts_on(day)
        if not shifts:
            return self._at(day + DAY, dt.time()).astimezone(dt.UTC)
        return self._at(day, shifts[-1].end).astimezone(dt.UTC)

    def workdays_deadline(self, moment: dt.datetime, count: int) -> dt.datetime:
        """The close of the `count`-th working day after the day of `moment` ("within N working days")."""
        return self.close_of(self.add_workdays(self.local(moment).date(), count))


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CalendarError(f"dates from {FIRST_YEAR} to {LAST_YEAR} only")
