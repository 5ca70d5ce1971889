"""Calendar checks for admins through `wuyou calendar` and GET /api/v1/calendar/… (R-E4)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.api_client import ApiClient, fields_of
from wuyou import cli
from wuyou.calendars.models import BusinessCalendar, CalendarException, HolidayNotice, WorkingPeriod


@pytest.fixture
def no_migrate(monkeypatch):
    monkeypatch.setattr(cli, "prepare_database", lambda: None)  # the test database is ready


@pytest.fixture
def saturday_outlet(network):
    """Outlet B keeps a calendar of its own: open Saturdays 09:00–12:00, closed 2026-11-02 (a local day off)."""
    base = BusinessCalendar.objects.create(name="总部")
    own = BusinessCalendar.objects.create(name="市南二网点", base=base)
    for weekday in range(5):
        WorkingPeriod.objects.create(calendar=own, weekday=weekday, start=dt.time(8, 30), end=dt.time(17, 30))
    WorkingPeriod.objects.create(calendar=own, weekday=5, start=dt.time(9), end=dt.time(12))
    CalendarException.objects.create(calendar=base, date=dt.date(2026, 11, 2), kind="holiday", name="厂庆")
    network.outlet_b.calendar = own
    network.outlet_b.save()
    return network.outlet_b


def run(capsys, *argv):
    code = cli.main(["calendar", *argv])
    captured = capsys.readouterr()
    return code, captured.out.strip(), captured.err.strip()


def test_add_workdays_across_national_day_lands_on_the_make_up_saturday(db, no_migrate, capsys, settings):
    settings.LANGUAGE_CODE = "en"
    code, out, _err = run(capsys, "add-workdays", "2026-09-30", "3")
    assert code == 0
    assert out.startswith("2026-09-30 + 3 working days = 2026-10-10")
    assert "make-up working day for National Day" in out


def test_json_output_carries_the_facts(db, no_migrate, capsys):
    code, out, _err = run(capsys, "add-hours", "2026-09-30 16:00", "3", "--json")
    assert code == 0
    facts = json.loads(out)
    assert facts["result"] == "2026-10-08T10:00:00+08:00" and facts["provisional"] is False


def test_is_workday_explains_a_make_up_day(db, no_migrate, capsys):
    code, out, _err = run(capsys, "is-workday", "2026-02-14", "--json")
    assert json.loads(out) == {
        "date": "2026-02-14",
        "workday": True,
        "kind": "makeup_workday",
        "name": "Spring Festival",
        "shifts": ["08:30–12:00", "13:30–17:30"],  # a make-up Saturday is worked with Monday's hours
        "provisional": False,
    }


def test_a_year_without_published_holidays_is_provisional_until_the_notice_is_entered(
    db, no_migrate, capsys, saturday_outlet, settings
):
    settings.LANGUAGE_CODE = "en"
    _code, out, _err = run(capsys, "add-workdays", "2026-12-30", "5")
    assert "provisional" in out and "2027" in out
    HolidayNotice.objects.create(calendar=BusinessCalendar.objects.get(name="总部"), year=2027)
    _code, out, _err = run(capsys, "add-workdays", "2026-12-30", "5", "--outlet", saturday_outlet.code)
    assert "provisional" not in out


def test_an_outlet_calendar_keeps_its_saturday_hours_and_inherits_the_day_off(db, no_migrate, capsys, saturday_outlet):
    _code, out, _err = run(capsys, "is-workday", "2026-11-07", "--outlet", saturday_outlet.code, "--json")
    assert json.loads(out)["workday"] is True and json.loads(out)["shifts"] == ["09:00–12:00"]
    _code, out, _err = run(capsys, "is-workday", "2026-11-02", "--outlet", saturday_outlet.code, "--json")
    assert json.loads(out)["workday"] is False and json.loads(out)["name"] == "厂庆"
    _code, out, _err = run(capsys, "is-workday", "2026-11-07", "--json")  # the organisation rests on Saturdays
    assert json.loads(out)["workday"] is False


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["add-workdays", "2026-02-30", "3"], "date"),
        (["add-workdays", "2026-02-03", "-1"], "working days"),
        (["add-workdays", "2026-02-03", "three"], "working days"),
        (["add-workdays", "1999-02-03", "1"], "date"),
        (["add-hours", "2026-02-03", "2"], "start"),
        (["add-hours", "2026-02-03 09:00", "-2"], "business hours"),
        (["add-hours", "2026-02-03 09:00", "nan"], "business hours"),
        (["is-workday", "2026-02-03", "--outlet", "nowhere"], "outlet"),
        (["add-workdays", "2100-12-01", "3000"], "working days"),
        (["add-hours", "2100-12-30 09:00", "9000"], "business hours"),
    ],
)
def test_bad_input_is_a_clear_error_naming_the_field(db, no_migrate, capsys, argv, field, settings):
    settings.LANGUAGE_CODE = "en"
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith(f"wuyou calendar: {field}: ")


def test_the_api_answers_the_same(network):
    clerk = ApiClient(staff=network.clerk_a)
    answer = clerk.get("/calendar/add-workdays", {"date": "2026-09-30", "n": 3}, **{"Accept-Language": "en"})
    assert answer.status_code == 200
    assert answer.json()["facts"]["result"] == "2026-10-10"
    assert answer.json()["line"].startswith("2026-09-30 + 3 working days = 2026-10-10")
    hours = clerk.get("/calendar/add-hours", {"start": "2026-09-30 16:00", "hours": 3})
    assert hours.json()["facts"]["result"] == "2026-10-08T10:00:00+08:00"
    assert clerk.get("/calendar/is-workday", {"date": "2026-10-10"}).json()["facts"]["workday"] is True


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/calendar/add-workdays", {"date": "2026-13-01", "n": 1}, "date"),
        ("/calendar/add-workdays", {"date": "2026-01-01", "n": -1}, "n"),
        ("/calendar/add-hours", {"start": "tomorrow", "hours": 1}, "start"),
        ("/calendar/add-hours", {"start": "2026-01-05 09:00", "hours": "inf"}, "hours"),
        ("/calendar/is-workday", {"date": "2026-01-01", "outlet": "nowhere"}, "outlet"),
    ],
)
def test_api_bad_input_is_problem_json_naming_the_field(network, path, params, field):
    answer = ApiClient(staff=network.clerk_a).get(path, params)
    assert answer.status_code in (400, 422)
    assert answer["Content-Type"].startswith("application/problem+json")
    assert field in fields_of(answer)


def test_another_outlets_calendar_is_unknown_to_outlet_staff(network, saturday_outlet):
    answer = ApiClient(staff=network.clerk_a).get(
        "/calendar/is-workday", {"date": "2026-11-07", "outlet": saturday_outlet.code}
    )
    assert answer.status_code == 422 and fields_of(answer) == {"outlet"}
    mine = ApiClient(staff=network.clerk_b).get(
        "/calendar/is-workday", {"date": "2026-11-07", "outlet": saturday_outlet.code}
    )
    assert mine.status_code == 200 and mine.json()["facts"]["workday"] is True


def test_the_calendar_needs_a_login(db):
    assert ApiClient().get("/calendar/is-workday", {"date": "2026-11-07"}).status_code == 401
