"""When a callback may ring (issue 14 item 2, seed 003): windows, not at work, weekends preferred, 08:00–21:00."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from wuyou.quality.calling_times import CallingRules, CallWindow, NoCallingTime, call_at

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 12, 7)
MAKE_UP_SUNDAY = dt.date(2026, 12, 13)  # a 调休 Sunday worked in this test's calendar


def at(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def is_workday(day: dt.date) -> bool:
    return day == MAKE_UP_SUNDAY or day.weekday() < 5


ANY_TIME = CallingRules()


def when(due: dt.datetime, rules: CallingRules = ANY_TIME, **kw) -> dt.datetime:
    return call_at(due, rules, zone=SHANGHAI, is_workday=is_workday, **kw)


def test_nobody_is_called_before_eight_or_after_nine():
    assert when(at(MONDAY, "07:00")) == at(MONDAY, "08:00")
    assert when(at(MONDAY, "14:20")) == at(MONDAY, "14:20")  # allowed: called when due
    assert when(at(MONDAY, "22:30")) == at(MONDAY + dt.timedelta(days=1), "08:00")


def test_not_at_work_means_not_in_weekday_office_hours():
    rules = CallingRules(dont_call_at_work=True)
    assert when(at(MONDAY, "10:00"), rules) == at(MONDAY, "18:00")
    assert when(at(MONDAY, "08:15"), rules) == at(MONDAY, "08:15")  # before work is fine
    saturday = MONDAY + dt.timedelta(days=5)
    assert when(at(saturday, "10:00"), rules) == at(saturday, "10:00")
    assert when(at(MAKE_UP_SUNDAY, "10:00"), rules) == at(MAKE_UP_SUNDAY, "18:00")  # 调休: a working day


def test_a_callback_that_can_wait_goes_to_the_weekend():
    rules = CallingRules(dont_call_at_work=True)
    assert when(at(MONDAY, "10:00"), rules, prefer_days_off=True) == at(MONDAY + dt.timedelta(days=5), "08:00")


def test_the_customers_own_windows_rule_even_past_nine():
    rules = CallingRules(windows=(CallWindow("weekdays", dt.time(20, 0), dt.time(21, 30)),))
    assert when(at(MONDAY, "21:10"), rules) == at(MONDAY, "21:10")
    assert when(at(MONDAY, "09:00"), rules) == at(MONDAY, "20:00")
    weekend_only = CallingRules(windows=(CallWindow("weekend", dt.time(10, 0), dt.time(12, 0)),))
    assert when(at(MONDAY, "10:00"), weekend_only) == at(MONDAY + dt.timedelta(days=5), "10:00")


def test_a_moment_in_another_zone_is_read_in_the_customers():
    assert when(dt.datetime(2026, 12, 7, 0, 0, tzinfo=dt.UTC)) == at(MONDAY, "08:00")


def test_contradictory_wishes_are_said_not_guessed():
    rules = CallingRules(windows=(CallWindow("weekdays", dt.time(10, 0), dt.time(17, 0)),), dont_call_at_work=True)
    with pytest.raises(NoCallingTime):
        when(at(MONDAY, "09:00"), rules)
