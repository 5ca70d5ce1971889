"""R-E4, R-G3: every step of a request runs a clock — started, met, paused and resumed by the real services.

The `network` fixture installs the default time limits (wuyou/tickets/standards.py): a repair is answered within
24 hours, confirmed within 8 business hours, visited within 2 and resolved within 3 working days; a complaint gets
a disposition within 3 working days, which waiting on the customer does not pause.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import CustomerFactory, UnitFactory
from wuyou.accounts.selectors import calendar_for_outlet
from wuyou.tickets.clocks import policies_for, time_limits_install
from wuyou.tickets.models import ClockOutcome, ClockState, RequestClock, ServiceRequest, TimeLimitPolicy
from wuyou.tickets.services import (
    RequestInput,
    request_assign,
    request_open,
    request_record,
    request_transition,
)
from wuyou.tickets.sla import BUSINESS_HOURS, CLOCK_HOURS, WORKING_DAYS, ClockSignal
from wuyou.tickets.standards import STANDARDS

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def shanghai(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %a %H:%M")


def clocks(sr: ServiceRequest) -> dict[str, RequestClock]:
    """The request's live clocks by step (the stopped ones are history)."""
    return {c.step: c for c in sr.clocks.exclude(state=ClockState.STOPPED)}


def clock(sr: ServiceRequest, step: str) -> RequestClock:
    """The newest clock of a step."""
    return sr.clocks.filter(step=step).latest("pk")


class Desk:
    """The services as outlet A's clerk uses them, at a frozen time."""

    def __init__(self, network, traveller) -> None:
        self.network = network
        self.actor = network.actor(network.clerk_a)
        self.traveller = traveller
        self.customer = CustomerFactory(outlet=network.outlet_a, name="李建国")

    def now(self, text: str) -> None:
        self.traveller.move_to(at(text))

    def open(self, call_type: str = "repair", **kw: Any) -> ServiceRequest:
        if call_type == "repair":
            kw.setdefault("unit_serial", UnitFactory(owner=self.customer).serial)
        kw.setdefault("symptom", "不制冷")
        return request_open(
            actor=self.actor, intake=RequestInput(call_type=call_type, customer_id=self.customer.pk, **kw)
        )

    def act(self, sr: ServiceRequest, action: str) -> ServiceRequest:
        return request_transition(actor=self.actor, request=sr, action=action, note="客户来电")

    def assign(self, sr: ServiceRequest) -> ServiceRequest:
        return request_assign(actor=self.actor, request=sr, engineer_id=self.network.engineer_a.pk)

    def book(self, sr: ServiceRequest) -> None:
        request_record(
            actor=self.actor,
            request=sr,
            verb="appointment_booked",
            summary="visit booked",
            clock_signal=ClockSignal.APPOINTMENT_AGREED,
        )


@pytest.fixture
def desk(network):
    with time_machine.travel(at("2026-03-02 09:00"), tick=False) as traveller:
        yield Desk(network, traveller)


# -- opening ------------------------------------------------------------------------------------------------------


def test_a_repair_opened_gets_a_clock_for_each_step_with_its_deadline_r_e4(desk):
    sr = desk.open()  # Monday 2026-03-02 09:00
    running = clocks(sr)
    assert {step: shanghai(c.due_at) for step, c in running.items()} == {
        "first_response": "2026-03-03 Tue 09:00",  # 24 clock hours ("within one day")
        "appointment_confirmed": "2026-03-03 Tue 09:30",  # 8 business hours: 7 on Monday, 1 on Tuesday
        "on_site": "2026-03-04 Wed 17:30",  # close of the 2nd working day
        "resolved": "2026-03-05 Thu 17:30",  # close of the 3rd working day
    }
    first = running["first_response"]
    assert (first.state, first.stage, first.level, first.unit) == (ClockState.RUNNING, "on_time", 0, CLOCK_HOURS)
    assert shanghai(first.warn_at) == "2026-03-03 Tue 04:12"  # 80% of 24 hours
    assert first.next_action_at == first.warn_at
    assert first.chain == ["responsible", "outlet_manager", "service_manager", "head_of_service"]
    assert not any(c.provisional for c in running.values())
    sr.refresh_from_db()
    assert shanghai(sr.due_at) == "2026-03-03 Tue 09:00", "the request is due at its nearest deadline"


def test_an_urgent_repair_must_be_answered_within_4_hours_r_e4(desk):
    sr = desk.open(priority="urgent")
    running = clocks(sr)
    assert shanghai(running["first_response"].due_at) == "2026-03-02 Mon 13:00"
    assert shanghai(running["on_site"].due_at) == "2026-03-03 Tue 09:30", "8 business hours when urgent"


def test_a_complaint_is_disposed_of_by_close_of_the_third_working_day_r_g3(desk):
    desk.now("2026-09-30 16:00")
    sr = desk.open("complaint", symptom="工程师态度恶劣")
    running = clocks(sr)
    assert set(running) == {"first_response", "complaint_disposition"}
    assert shanghai(running["complaint_disposition"].due_at) == "2026-10-10 Sat 17:30"  # Oct 8, 9, make-up Oct 10
    assert shanghai(running["first_response"].due_at) == "2026-10-08 Thu 11:00"  # 4 business hours


def test_a_complaint_transferred_by_an_authority_needs_its_report_r_e4(desk):
    sr = desk.open("complaint", channel="authority", symptom="12315 转来投诉")
    assert shanghai(clocks(sr)["authority_report"].due_at) == "2026-03-04 Wed 17:30"


def test_a_deadline_in_2027_is_provisional_until_the_notice_is_entered_r_e4(desk):
    desk.now("2026-12-30 10:00")
    running = clocks(desk.open())
    assert shanghai(running["resolved"].due_at) == "2027-01-04 Mon 17:30"
    assert running["resolved"].provisional
    assert not running["first_response"].provisional, "24 clock hours do not depend on the holiday table"


def test_a_deadline_pushed_into_2027_by_a_pause_becomes_provisional_r_e4(desk):
    desk.now("2026-12-28 10:00")
    sr = desk.open()
    assert shanghai(clock(sr, "resolved").due_at) == "2026-12-31 Thu 17:30"
    assert not clock(sr, "resolved").provisional
    desk.act(sr, "accept")
    desk.now("2026-12-28 11:00")
    desk.act(sr, "wait_parts")
    desk.now("2026-12-31 11:00")  # three working days later
    desk.act(sr, "resume")
    resolved = clock(sr, "resolved")
    assert shanghai(resolved.due_at) == "2027-01-05 Tue 17:30"  # Jan 1 counts: 2027 is weekends-only for now
    assert resolved.provisional


def test_a_call_type_without_policies_gets_no_clocks(desk):
    TimeLimitPolicy.objects.filter(call_type="consultation").delete()
    sr = desk.open("consultation")
    assert not sr.clocks.exists() and sr.due_at is None


# -- meeting, pausing, resuming -------------------------------------------------------------------------------------


def test_accepting_meets_the_first_response_and_the_next_deadline_becomes_the_requests_r_e4(desk):
    sr = desk.open()
    desk.now("2026-03-02 10:00")
    desk.act(sr, "accept")
    first = clock(sr, "first_response")
    assert (first.state, first.outcome, first.next_action_at) == (ClockState.STOPPED, ClockOutcome.MET, None)
    assert shanghai(first.stopped_at) == "2026-03-02 Mon 10:00"
    sr.refresh_from_db()
    assert shanghai(sr.due_at) == "2026-03-03 Tue 09:30"
    desk.now("2026-03-02 11:00")
    desk.assign(sr)
    assert clock(sr, "appointment_confirmed").state == ClockState.RUNNING  # an engineer is not an appointment
    desk.book(sr)
    assert clock(sr, "appointment_confirmed").outcome == ClockOutcome.MET
    sr.refresh_from_db()
    assert shanghai(sr.due_at) == "2026-03-04 Wed 17:30"


def test_an_answer_after_the_deadline_is_met_late(desk):
    sr = desk.open()
    desk.now("2026-03-03 09:01")
    desk.act(sr, "accept")
    assert clock(sr, "first_response").outcome == ClockOutcome.MISSED


def test_waiting_for_parts_pauses_and_resuming_shifts_the_deadline_by_the_business_time_paused_r_e4(desk):
    sr = desk.open()
    desk.act(sr, "accept")
    desk.assign(sr)
    desk.book(sr)
    desk.now("2026-03-03 10:00")  # Tuesday
    desk.act(sr, "wait_parts")
    resolved = clock(sr, "resolved")
    assert (resolved.state, shanghai(resolved.paused_at)) == (ClockState.PAUSED, "2026-03-03 Tue 10:00")
    assert clock(sr, "on_site").state == ClockState.PAUSED
    sr.refresh_from_db()
    assert sr.due_at is None, "no clock is running while the request waits"
    before = resolved.due_at
    desk.now("2026-03-05 10:00")  # Thursday: two working days (15 business hours) later
    desk.act(sr, "resume")
    resolved.refresh_from_db()
    assert (resolved.state, resolved.paused_at) == (ClockState.RUNNING, None)
    assert shanghai(resolved.due_at) == "2026-03-09 Mon 17:30"  # was Thu 17:30: + Thu, Fri (the weekend rests)
    calendar = calendar_for_outlet(sr.outlet_id)
    assert calendar.business_seconds_between(before, resolved.due_at) == 15 * 3600
    assert resolved.next_action_at == resolved.warn_at
    sr.refresh_from_db()
    assert sr.due_at == clock(sr, "on_site").due_at


def test_resolving_while_waiting_judges_the_time_used_before_the_pause(desk):
    sr = desk.open()
    desk.act(sr, "accept")
    desk.now("2026-03-03 10:00")
    desk.act(sr, "wait_parts")
    desk.now("2026-03-12 10:00")  # the parts took over a week: long after the original deadline (Thu Mar 5)
    desk.act(sr, "resolve")
    assert clock(sr, "resolved").outcome == ClockOutcome.MET, "the time spent waiting does not count"
    assert clock(sr, "on_site").outcome == ClockOutcome.MOOT


def test_a_complaints_disposition_does_not_pause_while_waiting_on_the_customer_r_g3(desk):
    sr = desk.open("complaint", symptom="安装收费不合理")
    desk.act(sr, "accept")
    desk.now("2026-03-03 09:00")
    desk.act(sr, "wait_customer")
    disposition = clock(sr, "complaint_disposition")
    assert disposition.state == ClockState.RUNNING and disposition.paused_at is None
    assert shanghai(disposition.due_at) == "2026-03-05 Thu 17:30"
    desk.now("2026-03-04 09:00")
    desk.act(sr, "resume")
    disposition.refresh_from_db()
    assert shanghai(disposition.due_at) == "2026-03-05 Thu 17:30", "resuming moves nothing"


def test_resolving_stops_the_clocks_and_starts_no_callback_clock_of_its_own_r_e4(desk):
    sr = desk.open()
    desk.act(sr, "accept")
    desk.assign(sr)
    desk.book(sr)
    desk.now("2026-03-04 15:00")
    desk.act(sr, "start")
    desk.act(sr, "resolve")
    assert clock(sr, "on_site").outcome == ClockOutcome.MET
    assert clock(sr, "resolved").outcome == ClockOutcome.MET
    # Issue 14: the callback clock belongs to a callback; resolving makes none (a job left out of the sample has none)
    assert not sr.clocks.filter(step="callback_due").exists()
    assert set(clocks(sr)) == set()
    desk.act(sr, "close")
    assert not sr.clocks.filter(step="callback_due").exists()


def test_a_scheduled_callback_starts_the_clock_at_its_calling_time_and_reaching_the_customer_meets_it_r_e4(desk):
    from wuyou.tickets.services import request_record
    from wuyou.tickets.sla import ClockSignal

    sr = desk.open()
    desk.act(sr, "accept")
    desk.act(sr, "resolve")
    ring = at("2026-03-07 10:00")  # a Saturday: the limit of one working day counts from then
    request_record(
        actor=desk.actor,
        request=sr,
        verb="callback_scheduled",
        summary="…",
        clock_signal=ClockSignal.CALLBACK_SCHEDULED,
        clock_start=ring,
    )
    callback = clock(sr, "callback_due")
    assert callback.state == ClockState.RUNNING and shanghai(callback.started_at) == "2026-03-07 Sat 10:00"
    assert shanghai(callback.due_at) == "2026-03-09 Mon 17:30"
    desk.act(sr, "close")
    assert clock(sr, "callback_due").state == ClockState.RUNNING, "closing the request no longer meets it"
    request_record(actor=desk.actor, request=sr, verb="callback", summary="…", clock_signal=ClockSignal.CALLED_BACK)
    assert clock(sr, "callback_due").outcome == ClockOutcome.MET


def test_reopening_starts_a_new_resolved_clock_and_keeps_the_old_one_stopped_r_e4(desk):
    sr = desk.open()
    desk.act(sr, "accept")
    desk.now("2026-03-03 10:00")
    desk.act(sr, "resolve")
    desk.now("2026-03-04 10:00")
    desk.act(sr, "reopen")
    resolved = list(sr.clocks.filter(step="resolved").order_by("pk"))
    assert [(c.state, c.outcome) for c in resolved] == [
        (ClockState.STOPPED, ClockOutcome.MET),
        (ClockState.RUNNING, ClockOutcome.NONE),
    ]
    assert shanghai(resolved[1].started_at) == "2026-03-04 Wed 10:00"
    assert shanghai(resolved[1].due_at) == "2026-03-09 Mon 17:30"  # Thu, Fri, Mon
    assert set(clocks(sr)) == {"resolved"}


def test_cancelling_makes_every_clock_moot_r_e4(desk):
    sr = desk.open()
    desk.act(sr, "accept")
    desk.act(sr, "wait_customer")
    desk.act(sr, "cancel")
    assert set(sr.clocks.values_list("state", flat=True)) == {ClockState.STOPPED}
    assert set(sr.clocks.exclude(step="first_response").values_list("outcome", flat=True)) == {ClockOutcome.MOOT}
    assert not sr.clocks.filter(next_action_at__isnull=False).exists()
    sr.refresh_from_db()
    assert sr.due_at is None


def test_a_clock_follows_the_outlets_calendar(desk, network):
    from wuyou.calendars.models import BusinessCalendar, CalendarException

    own = BusinessCalendar.objects.create(name="市北一网点")
    CalendarException.objects.create(calendar=own, date=dt.date(2026, 3, 3), kind="holiday")
    network.outlet_a.calendar = own
    network.outlet_a.save()
    running = clocks(desk.open())
    assert shanghai(running["on_site"].due_at) == "2026-03-05 Thu 17:30", "the outlet rests on Tuesday"


# -- policies --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("priority", "channel", "expected"),
    [
        ("normal", "hotline", "any/any"),
        ("urgent", "hotline", "urgent/any"),
        ("normal", "authority", "any/authority"),
        ("urgent", "authority", "urgent/authority"),
    ],
)
def test_policies_for_picks_the_most_specific_policy_r_e4(priority, channel, expected):
    def make(p: str, c: str, amount: int) -> None:
        TimeLimitPolicy.objects.create(
            call_type="complaint",
            step="first_response",
            priority=p,
            channel=c,
            amount=Decimal(amount),
            unit=BUSINESS_HOURS,
            chain=["responsible"],
        )

    make("", "", 4)
    make("urgent", "", 2)
    make("", "authority", 3)
    make("urgent", "authority", 1)
    TimeLimitPolicy.objects.create(
        call_type="complaint", step="first_response", priority="urgent", channel="authority",
        amount=Decimal(9), unit=BUSINESS_HOURS, chain=["responsible"], is_active=False,
    )  # fmt: skip
    chosen = policies_for(call_type="complaint", priority=priority, channel=channel)["first_response"]
    assert f"{chosen.priority or 'any'}/{chosen.channel or 'any'}" == expected


@pytest.mark.django_db
def test_policies_for_ignores_other_call_types_and_inactive_policies():
    TimeLimitPolicy.objects.create(
        call_type="repair", step="resolved", amount=Decimal(3), unit=WORKING_DAYS, chain=["responsible"],
        is_active=False,
    )  # fmt: skip
    assert policies_for(call_type="repair", priority="normal", channel="hotline") == {}


@pytest.mark.django_db
def test_installing_the_defaults_twice_creates_them_once_and_keeps_an_admins_change():
    assert time_limits_install() == len(STANDARDS)
    TimeLimitPolicy.objects.filter(call_type="repair", step="resolved").update(amount=Decimal(5))
    assert time_limits_install() == 0
    assert TimeLimitPolicy.objects.get(call_type="repair", step="resolved").amount == Decimal(5)


def test_clocks_start_many_starts_a_step_on_many_requests_as_one_event_would_r_e4(desk):
    from wuyou.tickets.clocks import ClockStart, clocks_start_many
    from wuyou.tickets.services import request_record
    from wuyou.tickets.sla import ClockSignal

    one, two = desk.open(), desk.open()
    for sr in (one, two):
        desk.act(sr, "accept")
        desk.act(sr, "resolve")
    ring = at("2026-03-07 10:00")
    request_record(
        actor=desk.actor,
        request=one,
        verb="callback_scheduled",
        summary="…",
        clock_signal=ClockSignal.CALLBACK_SCHEDULED,
        clock_start=ring,
    )
    by_event = clock(one, "callback_due")
    starts = [ClockStart(sr.pk, sr.call_type, sr.priority, sr.channel, sr.outlet_id, ring) for sr in (one, two)]
    assert clocks_start_many(step="callback_due", starts=starts, at=at("2026-03-03 10:00")) == 2
    by_event.refresh_from_db()
    assert (by_event.state, by_event.outcome) == (ClockState.STOPPED, ClockOutcome.MOOT), "replaced, as an event does"
    for sr in (one, two):
        started = clock(sr, "callback_due")
        assert (started.state, started.started_at, started.due_at) == (ClockState.RUNNING, ring, by_event.due_at)
        sr.refresh_from_db()
        assert sr.due_at == started.due_at
