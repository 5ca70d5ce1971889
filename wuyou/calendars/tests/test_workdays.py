"""R-E4: working days and business hours on China's calendar, with statutory holidays and make-up days (pure).

The dates come from the chinese-calendar package's table for 2026 (State Council notice):
Spring Festival Feb 15–23 off, make-up Saturdays Feb 14 and Feb 28; Labour Day May 1–5 off, make-up Saturday
May 9 (Sunday Apr 26 is NOT a working day); Mid-Autumn Fri Sep 25 off; National Day Oct 1–7 off, make-up
Sunday Sep 20 and Saturday Oct 10. 2027 is not in the package: it is provisional (weekends only).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wuyou.calendars.workdays import (
    STANDARD_DAY,
    STANDARD_WEEK,
    CalendarError,
    Shift,
    WorkCalendar,
    day_shifts,
    national_calendar,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date.fromisoformat
NATIONAL = national_calendar()


def at(text: str) -> dt.datetime:
    """A Shanghai wall-clock moment, e.g. at("2026-09-30 16:00")."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def shanghai(moment: dt.datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %a %H:%M")


def t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


@pytest.fixture(scope="module")
def china() -> WorkCalendar:
    """The default calendar: Mon–Fri 08:30–12:00 and 13:30–17:30 with the statutory table."""
    return WorkCalendar.build(national=NATIONAL)


# -- which days are worked ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "worked", "why"),
    [
        ("2026-02-13", True, "Friday before the Spring Festival"),
        ("2026-02-14", True, "make-up Saturday (调休) before the Spring Festival"),
        ("2026-02-15", False, "Spring Festival holiday starts (Sunday)"),
        ("2026-02-16", False, "Spring Festival holiday on a Monday"),
        ("2026-02-23", False, "last day of the Spring Festival holiday (Monday)"),
        ("2026-02-24", True, "first working day after the Spring Festival"),
        ("2026-02-28", True, "make-up Saturday after the Spring Festival"),
        ("2026-03-07", False, "an ordinary Saturday"),
        ("2026-04-26", False, "Sunday before Labour Day is NOT a make-up day in 2026"),
        ("2026-05-01", False, "Labour Day"),
        ("2026-05-05", False, "last day of the Labour Day holiday (Tuesday)"),
        ("2026-05-06", True, "first working day after Labour Day"),
        ("2026-05-09", True, "make-up Saturday after Labour Day"),
        ("2026-09-20", True, "make-up Sunday before National Day"),
        ("2026-09-25", False, "Mid-Autumn Festival (Friday)"),
        ("2026-10-01", False, "National Day"),
        ("2026-10-07", False, "last day of the National Day holiday (Wednesday)"),
        ("2026-10-08", True, "first working day after National Day"),
        ("2026-10-10", True, "make-up Saturday after National Day"),
        ("2027-01-01", True, "2027 is not announced yet: only weekends rest (provisional)"),
        ("2027-01-02", False, "a Saturday in a provisional year"),
    ],
)
def test_statutory_holidays_and_make_up_days_r_e4(china, day, worked, why):
    assert china.is_workday(D(day)) is worked, why


@pytest.mark.parametrize(
    ("start", "count", "expected", "why"),
    [
        ("2026-02-13", 0, "2026-02-13", "zero working days is the day itself"),
        ("2026-02-13", 1, "2026-02-14", "the make-up Saturday counts"),
        ("2026-02-13", 2, "2026-02-24", "the whole Spring Festival holiday is skipped"),
        ("2026-02-13", 3, "2026-02-25", ""),
        ("2026-02-26", 2, "2026-02-28", "Friday, then the make-up Saturday"),
        ("2026-04-24", 1, "2026-04-27", "Sunday Apr 26 is not worked in 2026"),
        ("2026-04-30", 1, "2026-05-06", "Labour Day May 1–5 skipped"),
        ("2026-05-08", 1, "2026-05-09", "make-up Saturday after Labour Day"),
        ("2026-09-18", 1, "2026-09-20", "Saturday rests, the make-up Sunday works"),
        ("2026-09-24", 1, "2026-09-28", "Mid-Autumn Friday and the weekend skipped"),
        ("2026-09-30", 3, "2026-10-10", "Oct 8, 9 and the make-up Saturday Oct 10"),
        ("2025-12-31", 1, "2026-01-04", "New Year Jan 1–3 off, make-up Sunday Jan 4"),
        ("2026-12-31", 1, "2027-01-01", "into a provisional year: weekends only"),
        ("2026-02-15", 3, "2026-02-26", "received on a holiday: the count starts after it"),
    ],
)
def test_add_workdays_r_e4(china, start, count, expected, why):
    assert china.add_workdays(D(start), count) == D(expected), why
    assert china.workdays_between(D(start), D(expected)) == count


def test_workdays_between_counts_after_the_first_day_up_to_the_last_r_e4(china):
    # Feb 14, 24, 25, 26, 27, 28: the Spring Festival week counts for nothing.
    assert china.workdays_between(D("2026-02-13"), D("2026-02-28")) == 6
    assert china.workdays_between(D("2026-02-28"), D("2026-02-13")) == -6
    assert china.workdays_between(D("2026-10-01"), D("2026-10-07")) == 0
    assert china.workdays_between(D("2026-12-30"), D("2027-01-05")) == 4  # Dec 31, Jan 1 (provisional), 4, 5


@pytest.mark.parametrize(
    ("received", "due", "why"),
    [
        ("2026-09-30 16:00", "2026-10-10 Sat 17:30", "Oct 8, 9 and the make-up Saturday Oct 10"),
        ("2026-02-13 10:00", "2026-02-25 Wed 17:30", "make-up Sat Feb 14, then Feb 24, 25"),
        ("2026-02-14 10:00", "2026-02-26 Thu 17:30", "received on the make-up Saturday: it does not count"),
        ("2026-02-15 10:00", "2026-02-26 Thu 17:30", "received on a holiday"),
        ("2026-04-30 09:00", "2026-05-08 Fri 17:30", "Labour Day skipped: May 6, 7, 8"),
        ("2026-05-07 20:00", "2026-05-11 Mon 17:30", "May 8, make-up Sat May 9, May 11"),
        ("2026-10-09 23:59", "2026-10-13 Tue 17:30", "late in the evening: Oct 10 (make-up), 12, 13"),
    ],
)
def test_a_complaint_is_disposed_of_by_close_of_the_third_working_day_r_g3(china, received, due, why):
    assert shanghai(china.workdays_deadline(at(received), 3)) == due, why


def test_close_of_a_make_up_saturday_is_the_end_of_mondays_hours_and_of_a_rest_day_midnight(china):
    assert shanghai(china.close_of(D("2026-10-10"))) == "2026-10-10 Sat 17:30"
    assert shanghai(china.close_of(D("2026-10-03"))) == "2026-10-04 Sun 00:00"


def test_the_statutory_table_covers_2026_and_2027_is_provisional_r_e4(china):
    assert not china.is_provisional(D("2026-01-01"), D("2026-12-31"))
    assert china.is_provisional(D("2027-01-04"))
    assert china.is_provisional(D("2026-12-30"), D("2027-01-04")), "a span that reaches into 2027"
    assert not china.is_provisional()


def test_a_holiday_notice_for_2027_makes_it_certain_r_e4():
    noticed = WorkCalendar.build(national=NATIONAL, noticed_years=[2027], extra_holidays=[D("2027-01-01")])
    assert not noticed.is_provisional(D("2027-01-04"))
    assert not noticed.is_workday(D("2027-01-01"))


# -- business hours on split shifts (08:30–12:00, 13:30–17:30) ----------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected", "why"),
    [
        ("2026-03-02 09:00", 1, "2026-03-02 Mon 10:00", "inside the morning shift"),
        ("2026-03-02 11:00", 2, "2026-03-02 Mon 14:30", "across the lunch gap: 1 h before, 1 h after"),
        ("2026-03-02 08:30", 3.5, "2026-03-02 Mon 12:00", "ends exactly at the shift's end, not after lunch"),
        ("2026-03-02 13:30", 4, "2026-03-02 Mon 17:30", "ends exactly at close of business"),
        ("2026-03-02 08:30", 7.5, "2026-03-02 Mon 17:30", "one full day"),
        ("2026-03-02 17:00", 1, "2026-03-03 Tue 09:00", "across the night"),
        ("2026-03-06 17:00", 1, "2026-03-09 Mon 09:00", "across a weekend"),
        ("2026-09-24 17:00", 1, "2026-09-28 Mon 09:00", "across the Mid-Autumn holiday and a weekend"),
        ("2026-09-30 17:00", 1, "2026-10-08 Thu 09:00", "across National Day"),
        ("2026-02-13 17:00", 1, "2026-02-14 Sat 09:00", "a make-up Saturday is worked"),
        ("2026-03-02 07:00", 1, "2026-03-02 Mon 09:30", "a start before opening counts from opening"),
        ("2026-03-02 12:30", 1, "2026-03-02 Mon 14:30", "a start in the lunch gap counts from 13:30"),
        ("2026-03-02 20:00", 1, "2026-03-03 Tue 09:30", "a start in the evening counts from the next opening"),
        ("2026-03-07 10:00", 1, "2026-03-09 Mon 09:30", "a start on a Saturday counts from Monday"),
        ("2026-03-02 12:00", 0.5, "2026-03-02 Mon 14:00", "a start at the exact end of a shift"),
        ("2026-03-02 17:30", 0.5, "2026-03-03 Tue 09:00", "a start at the exact close of business"),
        ("2026-03-02 09:00", 16, "2026-03-04 Wed 10:00", "two days and an hour"),
    ],
)
def test_add_business_hours_on_split_shifts_r_e4(china, start, hours, expected, why):
    due = china.add_business_hours(at(start), hours)
    assert due.tzinfo is dt.UTC
    assert shanghai(due) == expected, why
    assert china.business_seconds_between(at(start), due) == pytest.approx(hours * 3600)


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        ("2026-03-02 11:00", "2026-03-02 14:30", 2),
        ("2026-03-02 12:00", "2026-03-02 13:30", 0),
        ("2026-03-06 17:00", "2026-03-09 09:00", 1),
        ("2026-03-07 00:00", "2026-03-08 23:59", 0),
        ("2026-09-30 08:30", "2026-10-08 08:30", 7.5),
        ("2026-02-13 08:30", "2026-02-24 17:30", 22.5),
    ],
)
def test_business_seconds_between_counts_only_shift_time_r_e4(china, start, end, hours):
    assert china.business_seconds_between(at(start), at(end)) == hours * 3600
    assert china.business_seconds_between(at(end), at(start)) == -hours * 3600


def test_a_make_up_day_is_worked_with_mondays_hours():
    monday = (Shift(t("09:00"), t("12:00")), Shift(t("14:00"), t("18:00")))
    week = (monday,) + (STANDARD_DAY,) * 4 + ((), ())
    calendar = WorkCalendar.build(national=NATIONAL, week=week)
    assert calendar.shifts_on(D("2026-02-14")) == monday
    # Friday's shift ends at 17:30 (half an hour used); the rest starts at Saturday's 09:00.
    assert shanghai(calendar.add_business_hours(at("2026-02-13 17:00"), 1)) == "2026-02-14 Sat 09:30"


def test_explicit_make_up_shifts_are_used_on_a_make_up_day():
    calendar = WorkCalendar.build(national=NATIONAL, makeup_shifts=(Shift(t("10:00"), t("15:00")),))
    assert calendar.shifts_on(D("2026-10-10")) == (Shift(t("10:00"), t("15:00")),)
    assert shanghai(calendar.close_of(D("2026-10-10"))) == "2026-10-10 Sat 15:00"


def test_moments_are_read_in_the_calendars_zone():
    utc_moment = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
    china = WorkCalendar.build(national=NATIONAL)
    assert shanghai(china.add_business_hours(utc_moment, 1)) == "2026-03-02 Mon 10:00"
    urumqi = WorkCalendar.build(national=NATIONAL, zone="Asia/Urumqi")  # 07:00 there: before opening
    assert urumqi.add_business_hours(utc_moment, 1) == dt.datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Asia/Urumqi"))


# -- an admin's exceptions ----------------------------------------------------------------------------------------


def test_an_extra_holiday_on_a_weekday_is_rested_r_e4():
    calendar = WorkCalendar.build(national=NATIONAL, extra_holidays=[D("2026-03-04")])
    assert not calendar.is_workday(D("2026-03-04"))
    assert calendar.add_workdays(D("2026-03-03"), 1) == D("2026-03-05")
    assert shanghai(calendar.add_business_hours(at("2026-03-03 17:00"), 1)) == "2026-03-05 Thu 09:00"


def test_an_extra_working_day_on_a_sunday_is_worked_with_make_up_hours_r_e4():
    calendar = WorkCalendar.build(national=NATIONAL, extra_workdays=[D("2026-03-08")])
    assert calendar.is_workday(D("2026-03-08"))
    assert calendar.shifts_on(D("2026-03-08")) == STANDARD_DAY
    assert calendar.add_workdays(D("2026-03-06"), 1) == D("2026-03-08")


def test_the_admins_word_wins_over_the_statutory_table_r_e4():
    calendar = WorkCalendar.build(national=NATIONAL, extra_workdays=[D("2026-10-02")], extra_holidays=[D("2026-10-10")])
    assert calendar.is_workday(D("2026-10-02")), "an admin's working day on a statutory holiday"
    assert not calendar.is_workday(D("2026-10-10")), "an admin's holiday on a statutory make-up day"
    assert calendar.add_workdays(D("2026-09-30"), 3) == D("2026-10-09")


def test_without_the_statutory_table_only_weekends_rest():
    calendar = WorkCalendar.build(national=None, noticed_years=[2026])
    assert calendar.is_workday(D("2026-10-01"))
    assert not calendar.is_workday(D("2026-09-20"))
    assert not calendar.is_provisional(D("2026-10-01"))
    assert calendar.is_provisional(D("2027-10-01")), "no year is known unless the caller says so"


def test_a_day_that_is_both_an_extra_holiday_and_an_extra_working_day_is_an_error():
    with pytest.raises(CalendarError, match="2026-03-04"):
        WorkCalendar.build(national=NATIONAL, extra_holidays=[D("2026-03-04")], extra_workdays=[D("2026-03-04")])


@pytest.mark.parametrize(
    "question",
    [
        lambda c: c.add_workdays(D("2026-03-02"), -1),
        lambda c: c.add_business_hours(at("2026-03-02 09:00"), -1),
        lambda c: c.add_business_seconds(at("2026-03-02 09:00"), -0.5),
        lambda c: c.is_workday(D("1999-12-31")),
        lambda c: c.add_workdays(D("1999-12-31"), 1),
        lambda c: c.add_workdays(D("2100-12-31"), 1),
        lambda c: c.workdays_between(D("2026-01-01"), D("2101-01-01")),
        lambda c: c.add_business_hours(dt.datetime(2026, 3, 2, 9, 0), 1),
    ],
    ids=[
        "negative-days",
        "negative-hours",
        "negative-seconds",
        "year-before-2000",
        "start-before-2000",
        "past-2100",
        "between-past-2100",
        "naive-moment",
    ],
)
def test_questions_without_an_answer_raise_calendar_error(china, question):
    with pytest.raises(CalendarError):
        question(china)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Shift(t("12:00"), t("08:30")),
        lambda: Shift(t("08:30"), t("08:30")),
        lambda: day_shifts([Shift(t("08:30"), t("12:30")), Shift(t("12:00"), t("17:30"))]),
        lambda: WorkCalendar.build(national=NATIONAL, week=STANDARD_WEEK[:6]),
        lambda: WorkCalendar.build(national=None, week=((),) * 7),
    ],
    ids=["ends-before-start", "empty-shift", "overlapping-shifts", "six-day-week", "no-working-day"],
)
def test_bad_shifts_and_weeks_raise_calendar_error(build):
    with pytest.raises(CalendarError):
        build()


def test_a_split_day_is_kept_in_order():
    afternoon, morning = Shift(t("13:30"), t("17:30")), Shift(t("08:30"), t("12:00"))
    assert day_shifts([afternoon, morning]) == (morning, afternoon)
    assert str(morning) == "08:30–12:00"


# -- properties (hypothesis) --------------------------------------------------------------------------------------

days = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2028, 12, 31))
counts = st.integers(min_value=1, max_value=60)


@settings(max_examples=150, deadline=None)
@given(start=days, n=counts)
def test_add_workdays_lands_on_a_workday_and_counts_back_r_e4(china, start, n):
    end = china.add_workdays(start, n)
    assert china.is_workday(end)
    assert end > start
    assert china.workdays_between(start, end) == n
    assert china.add_workdays(start, n + 1) > end, "monotonic in n"


@settings(max_examples=150, deadline=None)
@given(
    start=st.datetimes(min_value=dt.datetime(2025, 12, 1), max_value=dt.datetime(2027, 2, 1)),
    seconds=st.floats(min_value=0, max_value=40 * 27000, allow_nan=False, allow_infinity=False),
)
def test_business_seconds_round_trip_r_e4(china, start, seconds):
    moment = start.replace(tzinfo=SHANGHAI)
    end = china.add_business_seconds(moment, seconds)
    assert end >= moment
    assert abs(china.business_seconds_between(moment, end) - seconds) <= 1e-6
