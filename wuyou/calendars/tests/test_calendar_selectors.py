"""R-E4: the working calendar in force for the organisation and each outlet, built from stored calendars."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.factories import OrganisationFactory, OutletFactory
from wuyou.accounts.selectors import calendar_for_outlet, calendars_for_outlets
from wuyou.calendars.models import BusinessCalendar, CalendarException, HolidayNotice, Weekday, WorkingPeriod
from wuyou.calendars.selectors import work_calendar_of
from wuyou.calendars.workdays import STANDARD_DAY, Shift

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date.fromisoformat
HOLIDAY, WORKDAY = CalendarException.Kind.HOLIDAY, CalendarException.Kind.WORKDAY


def t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def shanghai(moment: dt.datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %a %H:%M")


def hours(calendar: BusinessCalendar, weekdays: range | list[int], *shifts: tuple[str, str]) -> None:
    WorkingPeriod.objects.bulk_create(
        WorkingPeriod(calendar=calendar, weekday=day, start=t(start), end=t(end))
        for day in weekdays
        for start, end in shifts
    )


def exception(calendar: BusinessCalendar, day: str, kind: str) -> None:
    CalendarException.objects.create(calendar=calendar, date=D(day), kind=kind)


@pytest.fixture
def organisation_calendar():
    calendar = BusinessCalendar.objects.create(name="总部日历")
    exception(calendar, "2026-03-04", HOLIDAY)  # the company's anniversary
    exception(calendar, "2026-03-08", WORKDAY)  # a stock-taking Sunday
    return calendar


def test_no_stored_calendar_is_the_standard_week_with_statutory_holidays_r_e4():
    calendar = work_calendar_of(None)
    assert calendar.shifts_on(D("2026-03-02")) == STANDARD_DAY
    assert not calendar.is_workday(D("2026-10-01"))
    assert calendar.is_workday(D("2026-10-10"))
    assert calendar.is_provisional(D("2027-03-01"))


def test_a_calendar_without_hours_keeps_the_standard_week_and_adds_its_exceptions_r_e4(organisation_calendar):
    calendar = work_calendar_of(organisation_calendar)
    assert calendar.shifts_on(D("2026-03-02")) == STANDARD_DAY
    assert not calendar.is_workday(D("2026-03-04")), "an extra holiday on a Wednesday"
    assert calendar.is_workday(D("2026-03-08")), "an extra working day on a Sunday"
    assert calendar.shifts_on(D("2026-03-08")) == STANDARD_DAY, "worked with Monday's hours"
    assert not calendar.is_workday(D("2026-10-01")), "statutory holidays still apply"


def test_an_admin_working_day_on_a_statutory_holiday_wins_r_e4(organisation_calendar):
    exception(organisation_calendar, "2026-10-02", WORKDAY)
    exception(organisation_calendar, "2026-09-20", HOLIDAY)  # a statutory make-up Sunday given off
    calendar = work_calendar_of(organisation_calendar)
    assert calendar.is_workday(D("2026-10-02"))
    assert not calendar.is_workday(D("2026-09-20"))


def test_an_outlet_calendar_inherits_its_bases_exceptions_and_sets_its_own_hours_r_e4(organisation_calendar):
    hours(organisation_calendar, range(5), ("08:00", "17:00"))
    outlet = BusinessCalendar.objects.create(name="市北一网点", base=organisation_calendar)
    hours(outlet, range(6), ("09:00", "12:00"), ("13:00", "18:00"))  # Monday to Saturday, split
    calendar = work_calendar_of(outlet)
    split = (Shift(t("09:00"), t("12:00")), Shift(t("13:00"), t("18:00")))
    assert calendar.shifts_on(D("2026-03-02")) == split, "the outlet's hours, not the organisation's"
    assert calendar.shifts_on(D("2026-03-07")) == split, "the outlet works Saturdays"
    assert not calendar.is_workday(D("2026-03-04")), "the organisation's extra holiday is inherited"
    assert calendar.is_workday(D("2026-03-08")), "the organisation's extra working day is inherited"
    assert shanghai(calendar.add_business_hours(at("2026-03-02 11:00"), 2)) == "2026-03-02 Mon 14:00"
    assert work_calendar_of(organisation_calendar).shifts_on(D("2026-03-07")) == ()


def test_the_outlets_own_exception_beats_its_bases_r_e4(organisation_calendar):
    outlet = BusinessCalendar.objects.create(name="市南二网点", base=organisation_calendar)
    exception(outlet, "2026-03-04", WORKDAY)
    exception(outlet, "2026-03-08", HOLIDAY)
    calendar = work_calendar_of(outlet)
    assert calendar.is_workday(D("2026-03-04"))
    assert not calendar.is_workday(D("2026-03-08"))


def test_an_outlet_without_hours_takes_its_bases_hours(organisation_calendar):
    hours(organisation_calendar, range(5), ("08:00", "17:00"))
    outlet = BusinessCalendar.objects.create(name="市北一网点", base=organisation_calendar)
    assert work_calendar_of(outlet).shifts_on(D("2026-03-02")) == (Shift(t("08:00"), t("17:00")),)


def test_make_up_days_are_worked_with_the_chosen_weekdays_hours():
    calendar = BusinessCalendar.objects.create(name="周六半天", makeup_weekday=Weekday.SATURDAY)
    hours(calendar, range(5), ("08:30", "17:30"))
    hours(calendar, [Weekday.SATURDAY], ("09:00", "12:00"))
    built = work_calendar_of(calendar)
    assert built.shifts_on(D("2026-09-20")) == (Shift(t("09:00"), t("12:00")),), "make-up Sunday like a Saturday"


def test_a_calendar_that_ignores_statutory_holidays_works_national_day():
    calendar = BusinessCalendar.objects.create(name="商场店", use_statutory_holidays=False)
    built = work_calendar_of(calendar)
    assert built.is_workday(D("2026-10-01"))
    assert not built.is_workday(D("2026-09-20")), "nor does it work the make-up Sunday"
    assert not built.is_provisional(D("2027-10-01")), "no State Council notice can change it: never provisional"


def test_a_base_that_ignores_statutory_holidays_is_inherited():
    base = BusinessCalendar.objects.create(name="全年无休", use_statutory_holidays=False)
    outlet = BusinessCalendar.objects.create(name="网点", base=base)
    assert work_calendar_of(outlet).is_workday(D("2026-10-01"))


def test_2027_is_provisional_until_a_holiday_notice_for_it_exists_r_e4(organisation_calendar):
    outlet = BusinessCalendar.objects.create(name="市北一网点", base=organisation_calendar)
    assert work_calendar_of(outlet).is_provisional(D("2027-02-08"))
    HolidayNotice.objects.create(calendar=organisation_calendar, year=2027, published_on=D("2026-11-10"))
    exception(organisation_calendar, "2027-02-08", HOLIDAY)
    calendar = work_calendar_of(outlet)
    assert not calendar.is_provisional(D("2027-02-08")), "the base's notice covers its outlets"
    assert not calendar.is_workday(D("2027-02-08"))
    assert calendar.is_provisional(D("2028-01-03"))


def test_a_cycle_of_bases_made_in_admin_does_not_hang():
    first = BusinessCalendar.objects.create(name="甲")
    second = BusinessCalendar.objects.create(name="乙", base=first)
    BusinessCalendar.objects.filter(pk=first.pk).update(base=second)
    first.refresh_from_db()
    exception(second, "2026-03-04", HOLIDAY)
    assert not work_calendar_of(first).is_workday(D("2026-03-04"))


def test_the_calendars_time_zone_is_used():
    calendar = BusinessCalendar.objects.create(name="乌鲁木齐", time_zone="Asia/Urumqi")
    built = work_calendar_of(calendar)
    urumqi = ZoneInfo("Asia/Urumqi")
    assert built.close_of(D("2026-03-02")) == dt.datetime(2026, 3, 2, 17, 30, tzinfo=urumqi)


# -- which calendar an outlet keeps -------------------------------------------------------------------------------


def test_an_outlet_keeps_its_own_calendar_else_the_organisations_r_e4(organisation_calendar):
    organisation = OrganisationFactory()
    organisation.calendar = organisation_calendar
    organisation.save()
    own = BusinessCalendar.objects.create(name="市北一网点", base=organisation_calendar)
    exception(own, "2026-03-05", HOLIDAY)
    plain, special = OutletFactory(region__organisation=organisation), OutletFactory(region__organisation=organisation)
    special.calendar = own
    special.save()
    assert not calendar_for_outlet(plain.pk).is_workday(D("2026-03-04"))
    assert calendar_for_outlet(plain.pk).is_workday(D("2026-03-05"))
    assert not calendar_for_outlet(special.pk).is_workday(D("2026-03-05"))
    assert not calendar_for_outlet(None).is_workday(D("2026-03-04")), "no outlet: the organisation's"


def test_calendars_for_outlets_builds_each_calendar_once(organisation_calendar, django_assert_max_num_queries):
    organisation = OrganisationFactory(calendar=organisation_calendar)
    outlets = [OutletFactory(region__organisation=organisation) for _ in range(5)]
    with django_assert_max_num_queries(6):
        built = calendars_for_outlets(o.pk for o in outlets)
    assert set(built) == {o.pk for o in outlets}
    assert len({id(c) for c in built.values()}) == 1
    assert not built[outlets[0].pk].is_workday(D("2026-03-04"))


def test_without_an_organisation_calendar_outlets_keep_the_standard_week():
    outlet = OutletFactory()
    calendar = calendar_for_outlet(outlet.pk)
    assert calendar.shifts_on(D("2026-03-02")) == STANDARD_DAY
    assert not calendar.is_workday(D("2026-10-01"))
