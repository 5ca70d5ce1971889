"""R-E4, R-G3: time limits — deadlines, warning points, the escalation ladder and pauses (pure rules).

Also the policy an admin edits: a limit that cannot work is refused with the field named.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from wuyou.calendars.workdays import WorkCalendar, national_calendar
from wuyou.tickets import sla
from wuyou.tickets.models import DEFAULT_CHAIN, TimeLimitPolicy
from wuyou.tickets.sla import BREACHED, BUSINESS_HOURS, CLOCK_HOURS, ON_TIME, WARNED, WORKING_DAYS, Limit
from wuyou.tickets.standards import STANDARDS

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = 3600.0


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def shanghai(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %a %H:%M")


@pytest.fixture(scope="module")
def china() -> WorkCalendar:
    return WorkCalendar.build(national=national_calendar())


# -- a limit's own soundness ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "fields"),
    [
        (Limit(Decimal(3), WORKING_DAYS, 80, 50), set()),
        (Limit(Decimal("1.5"), BUSINESS_HOURS, 1, 1000), set()),
        (Limit(Decimal(1000), CLOCK_HOURS, 99, 1), set()),
        (Limit(Decimal(0), CLOCK_HOURS, 80, 50), {"amount"}),
        (Limit(Decimal(-4), BUSINESS_HOURS, 80, 50), {"amount"}),
        (Limit(Decimal("1.5"), WORKING_DAYS, 80, 50), {"amount"}),
        (Limit(Decimal(1001), WORKING_DAYS, 80, 50), {"amount"}),
        (Limit(Decimal(8), BUSINESS_HOURS, 100, 50), {"warn_percent"}),
        (Limit(Decimal(8), BUSINESS_HOURS, 0, 50), {"warn_percent"}),
        (Limit(Decimal(8), BUSINESS_HOURS, 80, 0), {"escalate_percent"}),
        (Limit(Decimal(8), BUSINESS_HOURS, 80, 1001), {"escalate_percent"}),
        (Limit(Decimal(8), "minutes", 80, 50), {"unit"}),
    ],
)
def test_limit_problems_name_the_field_r_e4(limit, fields):
    assert set(limit.problems()) == fields


def test_every_default_standard_is_a_sound_limit_r_e4():
    for row in STANDARDS:
        assert Limit(row.amount, row.unit, row.warn_percent, 50).problems() == {}, row


# -- deadlines ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "unit", "start", "warn", "due", "span_hours"),
    [
        # Split shifts: Monday gives 7 hours (09:00–12:00, 13:30–17:30), the 8th is Tuesday's first.
        (8, BUSINESS_HOURS, "2026-03-02 09:00", "2026-03-02 Mon 16:54", "2026-03-03 Tue 09:30", 8),
        (4, BUSINESS_HOURS, "2026-03-02 16:00", "2026-03-03 Tue 10:12", "2026-03-03 Tue 11:00", 4),
        # R-G3: a complaint received Wed Sep 30 at 16:00 is disposed of by close of business on the make-up
        # Saturday Oct 10 (Oct 8, 9, 10); 1.5 h on Sep 30 plus three 7.5-hour days = 24 business hours.
        (3, WORKING_DAYS, "2026-09-30 16:00", "2026-10-10 Sat 11:12", "2026-10-10 Sat 17:30", 24),
        # Clock hours ignore the calendar: 24 hours from the eve of National Day ends on the holiday.
        (24, CLOCK_HOURS, "2026-09-30 16:00", "2026-10-01 Thu 11:12", "2026-10-01 Thu 16:00", 24),
    ],
)
def test_deadlines_warn_at_80_percent_of_the_limit_in_its_own_measure_r_e4(
    china, amount, unit, start, warn, due, span_hours
):
    times = sla.deadlines(Limit(Decimal(amount), unit, 80, 50), start=at(start), calendar=china)
    assert (shanghai(times.warn_at), shanghai(times.due_at)) == (warn, due)
    assert times.span_seconds == span_hours * HOUR
    assert times.escalate_seconds == span_hours * HOUR / 2
    assert not times.provisional


def test_a_deadline_in_a_year_without_a_notice_is_provisional_r_e4(china):
    times = sla.deadlines(Limit(Decimal(3), WORKING_DAYS, 80, 50), start=at("2026-12-30 10:00"), calendar=china)
    assert shanghai(times.due_at) == "2027-01-04 Mon 17:30"  # Dec 31, Jan 1 (weekends only in 2027), Jan 4
    assert times.provisional
    noticed = WorkCalendar.build(national=national_calendar(), noticed_years=[2027])
    assert not sla.deadlines(
        Limit(Decimal(3), WORKING_DAYS, 80, 50), start=at("2026-12-30 10:00"), calendar=noticed
    ).provisional, "once a notice for 2027 is entered"
    clock = sla.deadlines(Limit(Decimal(200), CLOCK_HOURS, 80, 50), start=at("2026-12-30 10:00"), calendar=china)
    assert not clock.provisional, "clock hours do not depend on the holiday table"


# -- the escalation ladder ----------------------------------------------------------------------------------------

DUE = at("2026-03-03 10:00")


def step(china, stage, level, scheduled, *, chain_length=4, unit=CLOCK_HOURS, escalate=HOUR, due=DUE):
    return sla.sweep_step(
        stage=stage,
        level=level,
        chain_length=chain_length,
        scheduled_at=scheduled,
        due_at=due,
        unit=unit,
        escalate_seconds=escalate,
        calendar=china,
    )


def test_the_ladder_warns_breaches_then_climbs_one_level_each_interval_until_the_chain_ends_r_e4(china):
    # assignee → outlet manager → service manager → head of service
    warned = step(china, ON_TIME, 0, at("2026-03-03 08:48"))
    assert (warned.action, warned.stage, warned.level, warned.notify_levels) == ("warn", WARNED, 0, (0,))
    assert warned.next_action_at == DUE
    breached = step(china, WARNED, 0, DUE)
    assert (breached.action, breached.stage, breached.level, breached.notify_levels) == ("breach", BREACHED, 1, (0, 1))
    assert shanghai(breached.next_action_at) == "2026-03-03 Tue 11:00"
    second = step(china, BREACHED, 1, breached.next_action_at)
    assert (second.action, second.level, second.notify_levels) == ("escalate", 2, (2,))
    assert shanghai(second.next_action_at) == "2026-03-03 Tue 12:00"
    top = step(china, BREACHED, 2, second.next_action_at)
    assert (top.action, top.level, top.notify_levels, top.next_action_at) == ("escalate", 3, (3,), None)


def test_a_clock_never_warned_breaches_at_its_deadline(china):
    breached = step(china, ON_TIME, 0, DUE)
    assert (breached.action, breached.level, breached.notify_levels) == ("breach", 1, (0, 1))


def test_a_one_level_chain_breaches_to_the_responsible_person_and_stops(china):
    breached = step(china, WARNED, 0, DUE, chain_length=1)
    assert (breached.level, breached.notify_levels, breached.next_action_at) == (0, (0,), None)


def test_a_two_level_chain_stops_after_the_breach(china):
    breached = step(china, WARNED, 0, DUE, chain_length=2)
    assert (breached.level, breached.notify_levels, breached.next_action_at) == (1, (0, 1), None)


def test_business_time_escalation_skips_the_night_and_the_weekend_r_e4(china):
    due = at("2026-03-06 17:30")  # Friday close of business
    breached = step(china, WARNED, 0, due, unit=BUSINESS_HOURS, escalate=2 * HOUR, due=due)
    assert shanghai(breached.next_action_at) == "2026-03-09 Mon 10:30"
    again = step(china, BREACHED, 1, breached.next_action_at, unit=BUSINESS_HOURS, escalate=2 * HOUR, due=due)
    assert shanghai(again.next_action_at) == "2026-03-09 Mon 14:00", "1.5 h before lunch, 0.5 h after"


# -- pauses --------------------------------------------------------------------------------------------------------


def test_resume_shifts_future_points_by_the_business_time_spent_paused_r_e4(china):
    # 8 business hours from Mon 09:00: warns Mon 16:54, due Tue 09:30. Paused Mon 10:00, resumed Wed 10:00:
    # 7 business hours were left to the deadline, so it moves to Thu 09:30 (Wed 10:00–12:00, 13:30–17:30, Thu 1 h).
    moved = sla.resume(
        unit=BUSINESS_HOURS,
        calendar=china,
        paused_at=at("2026-03-02 10:00"),
        resumed_at=at("2026-03-04 10:00"),
        warn_at=at("2026-03-02 16:54"),
        due_at=at("2026-03-03 09:30"),
        next_action_at=at("2026-03-02 16:54"),
    )
    assert shanghai(moved.due_at) == "2026-03-05 Thu 09:30"
    assert shanghai(moved.warn_at) == "2026-03-04 Wed 16:54"
    assert moved.next_action_at == moved.warn_at


def test_a_pause_outside_working_hours_moves_nothing(china):
    moved = sla.resume(
        unit=BUSINESS_HOURS,
        calendar=china,
        paused_at=at("2026-03-06 18:00"),
        resumed_at=at("2026-03-09 08:00"),  # Friday evening to Monday before opening
        warn_at=at("2026-03-09 10:00"),
        due_at=at("2026-03-09 11:00"),
        next_action_at=None,
    )
    assert (shanghai(moved.warn_at), shanghai(moved.due_at)) == ("2026-03-09 Mon 10:00", "2026-03-09 Mon 11:00")
    assert moved.next_action_at is None


def test_clock_hours_resume_by_the_wall_clock_time_paused(china):
    moved = sla.resume(
        unit=CLOCK_HOURS,
        calendar=china,
        paused_at=at("2026-10-01 10:00"),
        resumed_at=at("2026-10-01 15:00"),
        warn_at=at("2026-10-01 20:00"),
        due_at=at("2026-10-02 10:00"),
        next_action_at=at("2026-10-01 20:00"),
    )
    assert (shanghai(moved.warn_at), shanghai(moved.due_at)) == ("2026-10-02 Fri 01:00", "2026-10-02 Fri 15:00")


def test_points_already_passed_when_paused_stay_where_they_were(china):
    moved = sla.resume(
        unit=BUSINESS_HOURS,
        calendar=china,
        paused_at=at("2026-03-03 10:00"),
        resumed_at=at("2026-03-04 10:00"),
        warn_at=at("2026-03-02 16:54"),  # already warned
        due_at=at("2026-03-03 09:30"),  # already overdue
        next_action_at=at("2026-03-03 11:00"),  # the next escalation
    )
    assert shanghai(moved.warn_at) == "2026-03-02 Mon 16:54"
    assert shanghai(moved.due_at) == "2026-03-03 Tue 09:30"
    assert shanghai(moved.next_action_at) == "2026-03-04 Wed 11:00"


def test_step_rules_start_meet_and_moot_the_right_clocks_r_e4():
    rules = sla.STEP_RULES
    assert {step for step, rule in rules.items() if "opened" in rule.starts_on} == {
        "first_response",
        "appointment_confirmed",
        "on_site",
        "resolved",
        "complaint_disposition",
        "authority_report",
    }
    assert rules["callback_due"].starts_on == {"callback_scheduled"}, "issue 14: the callback clock is a callback's"
    assert rules["callback_due"].met_on == {"called_back"}
    assert "callback_dropped" in rules["callback_due"].moot_on
    assert "reopen" in rules["resolved"].starts_on and "reopen" in rules["callback_due"].moot_on
    assert all("cancel" in rule.moot_on for rule in rules.values())
    assert sla.PAUSE_ON == {"wait_customer", "wait_parts"}


# -- the policy an admin edits (R-E4) -----------------------------------------------------------------------------


def policy(**changes: object) -> TimeLimitPolicy:
    values: dict[str, object] = {
        "call_type": "repair",
        "step": "resolved",
        "amount": Decimal(3),
        "unit": WORKING_DAYS,
        "warn_percent": 80,
        "escalate_percent": 50,
        "chain": list(DEFAULT_CHAIN),
    }
    values.update(changes)
    return TimeLimitPolicy(**values)


@pytest.mark.django_db
def test_a_sound_policy_passes_full_clean():
    policy().full_clean()
    policy(amount=Decimal("1.5"), unit=BUSINESS_HOURS, chain=["responsible"]).full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"warn_percent": 100}, "warn_percent"),
        ({"warn_percent": 150}, "warn_percent"),
        ({"warn_percent": 0}, "warn_percent"),
        ({"amount": Decimal(0)}, "amount"),
        ({"amount": Decimal(-2)}, "amount"),
        ({"amount": Decimal("2.5")}, "amount"),
        ({"escalate_percent": 5000}, "escalate_percent"),
        ({"chain": []}, "chain"),
        ({"chain": ["responsible", "boss"]}, "chain"),
        ({"chain": ["responsible", "responsible"]}, "chain"),
        ({"chain": "responsible"}, "chain"),
        ({"unit": "minutes"}, "unit"),
    ],
)
def test_an_unsound_policy_is_refused_naming_the_field_r_e4(changes, field):
    with pytest.raises(ValidationError) as refused:
        policy(**changes).full_clean()
    assert field in refused.value.message_dict


@pytest.mark.django_db
def test_an_escalation_interval_of_zero_is_refused():
    with pytest.raises(ValidationError) as refused:
        policy(escalate_percent=0).full_clean()
    assert "escalate_percent" in refused.value.message_dict
