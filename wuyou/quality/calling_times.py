"""When a callback may ring the customer (pure; issue 14 item 2, seed 003 回访制度).

A callback is placed in the customer's contact windows. A customer who asked not to be called at work is never
called in weekday working hours, and for a callback that can wait, weekends are preferred (seed 003:
一般应选择在周六周日). Nobody is called before 08:00 or after 21:00 unless his own window says so. A rule-made
callback whose moment falls outside the allowed times slides to the next allowed moment: the list shows both the
moment due by rule and the moment to call.

Which days are working days (调休 included) is the calendar's business: callers pass `is_workday`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

EARLIEST = dt.time(8, 0)
LATEST = dt.time(21, 0)
WORKING_HOURS = (dt.time(9, 0), dt.time(18, 0))  # "at work": weekday office hours
HORIZON_DAYS = 21  # no allowed moment within three weeks: the customer's windows are contradictory

ANY_DAY, WORKING_DAYS, DAYS_OFF = "any", "weekdays", "weekend"


@dataclass(frozen=True)
class CallWindow:
    """One of the customer's contact windows: which days (any, working days, days off) and local times."""

    days: str
    starts_at: dt.time
    ends_at: dt.time


@dataclass(frozen=True)
class CallingRules:
    """What the customer asked: his windows (none: the default 08:00–21:00) and "don't call at work"."""

    windows: Sequence[CallWindow] = ()
    dont_call_at_work: bool = False


class NoCallingTime(ValueError):
    """The customer's wishes leave no moment within the horizon (e.g. only weekday office hours, yet not at work)."""


def _day_spans(day: dt.date, rules: CallingRules, workday: bool) -> list[tuple[dt.time, dt.time]]:
    """The local spans of the day in which he may be called, earliest first."""
    if rules.windows:
        spans = [
            (w.starts_at, w.ends_at) for w in rules.windows if w.days == ANY_DAY or (w.days == WORKING_DAYS) == workday
        ]
    else:
        spans = [(EARLIEST, LATEST)]
    if rules.dont_call_at_work and workday:
        start_work, end_work = WORKING_HOURS
        cut: list[tuple[dt.time, dt.time]] = []
        for start, end in spans:
            if start < start_work:
                cut.append((start, min(end, start_work)))
            if end > end_work:
                cut.append((max(start, end_work), end))
        spans = cut
    return sorted((s, e) for s, e in spans if s < e)


def call_at(
    due: dt.datetime,
    rules: CallingRules,
    *,
    zone: ZoneInfo,
    is_workday: Callable[[dt.date], bool],
    prefer_days_off: bool = False,
) -> dt.datetime:
    """The first moment at or after `due` when the customer may be called.

    With `prefer_days_off` (a sampled callback, which can wait) and "don't call at work", the first allowed moment
    on a day off within the coming week is taken when there is one. Raises NoCallingTime when nothing is allowed
    within HORIZON_DAYS.
    """
    local = due.astimezone(zone)
    first: dt.datetime | None = None
    for offset in range(HORIZON_DAYS + 1):
        day = local.date() + dt.timedelta(days=offset)
        workday = is_workday(day)
        for start, end in _day_spans(day, rules, workday):
            opens = dt.datetime.combine(day, start, tzinfo=zone)
            closes = dt.datetime.combine(day, end, tzinfo=zone)
            moment = max(opens, local)
            if moment >= closes:
                continue
            if first is None:
                first = moment
                if not (prefer_days_off and rules.dont_call_at_work) or not workday:
                    return moment
            elif not workday:
                return moment if moment - first <= dt.timedelta(days=7) else first
        if first is not None and offset >= 7:
            return first
    if first is not None:
        return first
    raise NoCallingTime("no moment within the customer's contact windows in the coming three weeks")
