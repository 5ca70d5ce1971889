"""R-E4: the deadline sweeper warns before a limit, escalates after it one rung at a time, and never double-acts.

assignee (else the outlet's clerks) → outlet manager → head-office service manager → head of service; an empty
rung falls through to the service managers. Every action is an event on the request and messages in the outbox
(wuyou.notifications.models.Message), written in the same transaction as the clock's move.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from tests.concurrency import run_together
from tests.factories import CustomerFactory, StaffFactory, UnitFactory
from wuyou.accounts.models import Role
from wuyou.notifications.models import Message
from wuyou.tickets import sweep as sweep_module
from wuyou.tickets.models import ClockState, RequestClock, RequestEvent, ServiceRequest
from wuyou.tickets.services import RequestInput, request_assign, request_open, request_transition
from wuyou.tickets.sweep import SweepReport, clocks_sweep

SHANGHAI = ZoneInfo("Asia/Shanghai")
SECOND = dt.timedelta(seconds=1)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def shanghai(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %a %H:%M")


def recipients(sr: ServiceRequest, kind: str) -> set[str]:
    """Usernames the outbox holds messages of this kind for, about this request."""
    return set(Message.objects.filter(ref=f"request:{sr.pk}", kind=kind).values_list("recipient__username", flat=True))


def open_request(network, call_type: str, *, outlet=None, **kw: Any) -> ServiceRequest:
    outlet = outlet or network.outlet_a
    clerk = network.clerk_a if outlet == network.outlet_a else network.clerk_b
    customer = CustomerFactory(outlet=outlet)
    if call_type == "repair":
        kw.setdefault("unit_serial", UnitFactory(owner=customer).serial)
    return request_open(
        actor=network.actor(clerk),
        intake=RequestInput(call_type=call_type, customer_id=customer.pk, symptom="不制冷", **kw),
    )


@pytest.fixture
def monday(db):
    """Frozen at Monday 2026-03-02 09:00 in Shanghai."""
    with time_machine.travel(at("2026-03-02 09:00"), tick=False) as traveller:
        yield traveller


@pytest.fixture
def head_of_service(network):
    head = StaffFactory(user__username="head_of_service", role=Role.ADMIN, display_name="服务总监")
    organisation = network.outlet_a.region.organisation
    organisation.head_of_service = head
    organisation.save()
    return head


def test_a_clock_climbs_the_ladder_once_per_rung_then_stops_r_e4(network, monday, head_of_service):
    # A general call: one step, first response within 16 business hours (Mon 09:00 → Wed 10:00).
    sr = open_request(network, "general")
    clock = sr.clocks.get()
    assert (shanghai(clock.warn_at), shanghai(clock.due_at)) == ("2026-03-03 Tue 15:48", "2026-03-04 Wed 10:00")

    assert clocks_sweep(now=clock.warn_at - SECOND).acted == 0, "nothing before the warning point"

    # Warning: to the person responsible — nobody is assigned, so the outlet's clerks.
    report = clocks_sweep(now=clock.warn_at)
    assert (report.warned, report.breached, report.escalated) == (1, 0, 0)
    clock.refresh_from_db()
    assert (clock.stage, clock.level, clock.next_action_at) == ("warned", 0, clock.due_at)
    warned = sr.events.get(verb="warned")
    assert (warned.actor_id, warned.data["step"], warned.data["level"]) == (None, "first_response", 0)
    assert recipients(sr, "clock_warn") == {"clerk_a"}
    assert sr.number in Message.objects.get(kind="clock_warn").subject

    # The same moment swept again (a second sweeper, a restart) does nothing.
    assert clocks_sweep(now=clock.warn_at).acted == 0
    assert sr.events.filter(verb="warned").count() == 1 and Message.objects.count() == 1

    # Breach at the deadline: level 1, the outlet manager, and the responsible person hears of it too.
    report = clocks_sweep(now=clock.due_at)
    assert (report.warned, report.breached, report.escalated) == (0, 1, 0)
    clock.refresh_from_db()
    assert (clock.stage, clock.level) == ("breached", 1)
    assert (sr.events.get(verb="breached").data["level_name"]) == "outlet_manager"
    assert recipients(sr, "clock_breach") == {"clerk_a", "outlet_manager_a"}
    # Each further 50% of the limit (8 business hours): Wed 10:00 → Thu 10:30 → Fri 11:00.
    assert shanghai(clock.next_action_at) == "2026-03-05 Thu 10:30"
    assert clocks_sweep(now=clock.next_action_at - SECOND).acted == 0

    report = clocks_sweep(now=clock.next_action_at)
    assert report.escalated == 1
    clock.refresh_from_db()
    assert clock.level == 2 and shanghai(clock.next_action_at) == "2026-03-06 Fri 11:00"
    assert recipients(sr, "clock_escalate") == {"manager"}

    report = clocks_sweep(now=clock.next_action_at)
    assert report.escalated == 1
    clock.refresh_from_db()
    assert (clock.level, clock.next_action_at) == (3, None), "the top of the chain: nothing more to do"
    assert recipients(sr, "clock_escalate") == {"manager", "head_of_service"}

    assert clocks_sweep(now=at("2026-06-01 09:00")).acted == 0
    events = sr.events.filter(verb__in=["warned", "breached", "escalated"]).order_by("pk")
    assert [e.data["level"] for e in events] == [0, 1, 2, 3]
    keys = list(Message.objects.values_list("dedupe_key", flat=True))
    assert len(keys) == 1 + 2 + 1 + 1 == len(set(keys)), "one outbox row per recipient and action"


def test_the_warning_goes_to_the_assigned_engineer_r_e4(network, monday):
    sr = open_request(network, "repair")
    clerk = network.actor(network.clerk_a)
    request_transition(actor=clerk, request=sr, action="accept")
    request_assign(actor=clerk, request=sr, engineer_id=network.engineer_a.pk)
    on_site = sr.clocks.get(step="on_site")
    report = clocks_sweep(now=on_site.warn_at)
    assert report.warned == 1, "first response and appointment were met; on-site warns first"
    assert recipients(sr, "clock_warn") == {"engineer_a"}


def test_an_empty_rung_falls_through_to_the_service_managers_r_e4(network, monday):
    # Outlet B has no outlet manager, and the organisation has no head of service.
    sr = open_request(network, "general", outlet=network.outlet_b)
    clock = sr.clocks.get()
    clocks_sweep(now=clock.due_at)  # at the deadline: no warning any more, it breaches
    assert recipients(sr, "clock_breach") == {"clerk_b", "manager"}
    clock.refresh_from_db()
    clocks_sweep(now=clock.next_action_at)
    clock.refresh_from_db()
    clocks_sweep(now=clock.next_action_at)
    escalations = Message.objects.filter(ref=f"request:{sr.pk}", kind="clock_escalate")
    assert list(escalations.values_list("recipient__username", flat=True)) == ["manager", "manager"], "no head"


def test_a_sweeper_that_was_down_catches_up_rung_by_rung_each_once(network, monday):
    sr = open_request(network, "general")
    report = clocks_sweep(now=at("2026-03-20 09:00"))
    # No "due soon" once the deadline has passed: the clock breaches, then climbs the rungs it missed.
    assert (report.warned, report.breached, report.escalated) == (0, 1, 2)
    events = sr.events.filter(verb__in=["warned", "breached", "escalated"]).order_by("pk")
    assert list(events.values_list("verb", flat=True)) == [
        "breached",
        "escalated",
        "escalated",
    ]
    assert clocks_sweep(now=at("2026-03-20 09:00")).acted == 0


def test_a_paused_clock_is_never_swept_r_e4(network, monday):
    sr = open_request(network, "repair")
    clerk = network.actor(network.clerk_a)
    request_transition(actor=clerk, request=sr, action="accept")
    request_assign(actor=clerk, request=sr, engineer_id=network.engineer_a.pk)
    request_transition(actor=clerk, request=sr, action="wait_parts", note="等压缩机")
    assert set(sr.clocks.values_list("state", flat=True)) == {ClockState.STOPPED, ClockState.PAUSED}
    assert clocks_sweep(now=at("2026-04-30 09:00")).acted == 0
    assert not sr.events.filter(verb__in=["warned", "breached", "escalated"]).exists()
    assert not Message.objects.exists()


def test_a_stopped_clock_is_never_swept(network, monday):
    sr = open_request(network, "general")
    request_transition(actor=network.actor(network.clerk_a), request=sr, action="accept")
    assert clocks_sweep(now=at("2026-04-30 09:00")).acted == 0


def test_the_sweep_reads_the_clock_when_no_moment_is_given(network, monday):
    sr = open_request(network, "general")
    monday.move_to(sr.clocks.get().warn_at)
    assert clocks_sweep().warned == 1


def test_a_sweep_that_dies_mid_run_leaves_its_batch_untouched_and_the_next_sweep_finishes_it(
    network, monday, monkeypatch
):
    requests = [open_request(network, "general") for _ in range(3)]
    due = max(sr.clocks.get().warn_at for sr in requests)
    real_queue = sweep_module.message_queue
    calls = Counter[str]()

    def queue_then_die(**kwargs):
        calls["queue"] += 1
        if calls["queue"] == 2:
            raise RuntimeError("killed")
        return real_queue(**kwargs)

    monkeypatch.setattr(sweep_module, "message_queue", queue_then_die)
    with pytest.raises(RuntimeError, match="killed"):
        clocks_sweep(now=due, batch=1)
    assert RequestEvent.objects.filter(verb="warned").count() == 1, "the first batch committed"
    assert RequestClock.objects.filter(stage="on_time", version=1).count() == 2, "the second rolled back whole"
    assert Message.objects.count() == 1
    monkeypatch.setattr(sweep_module, "message_queue", real_queue)
    assert clocks_sweep(now=due).warned == 2
    assert Counter(RequestEvent.objects.filter(verb="warned").values_list("request_id", flat=True)) == Counter(
        {sr.pk: 1 for sr in requests}
    )
    assert Message.objects.count() == 3


# -- PostgreSQL: several sweepers at once, and a sweeper killed halfway (R-E4; reliability: sweeps are race-safe) --

MANY = 300
NOW = at("2026-03-02 12:00")


def due_clocks(network, count: int = MANY) -> list[int]:
    """`count` general requests of outlet A, each with a running first-response clock whose warning is due."""
    customer = CustomerFactory(outlet=network.outlet_a)
    requests = ServiceRequest.objects.bulk_create(
        ServiceRequest(call_type="general", customer=customer, outlet=network.outlet_a, number=f"SR260302{i:06d}")
        for i in range(count)
    )
    RequestClock.objects.bulk_create(
        RequestClock(
            request=sr,
            step="first_response",
            unit="clock_hours",
            chain=["responsible", "outlet_manager", "service_manager", "head_of_service"],
            started_at=NOW - dt.timedelta(hours=20),
            warn_at=NOW - dt.timedelta(minutes=i % 60),
            due_at=NOW + dt.timedelta(hours=4),
            escalate_seconds=12 * 3600,
            next_action_at=NOW - dt.timedelta(minutes=i % 60),
        )
        for i, sr in enumerate(requests)
    )
    return [sr.pk for sr in requests]


def each_warned_once(ids: list[int]) -> None:
    warned = Counter(RequestEvent.objects.filter(verb="warned").values_list("request_id", flat=True))
    assert warned == Counter(dict.fromkeys(ids, 1))
    assert RequestClock.objects.filter(stage="warned", version=2).count() == len(ids)
    keys = Counter(Message.objects.values_list("dedupe_key", flat=True))
    assert len(keys) == len(ids) and set(keys.values()) == {1}
    assert Counter(Message.objects.values_list("ref", flat=True)) == Counter({f"request:{i}": 1 for i in ids})


@pytest.fixture
def postgresql_only(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proved on PostgreSQL (set DATABASE_URL)")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("sweepers", [2, 4])
def test_concurrent_sweepers_act_on_each_clock_exactly_once(postgresql_only, network, sweepers):
    ids = due_clocks(network)
    reports: list[SweepReport | BaseException] = run_together(*[lambda: clocks_sweep(now=NOW, batch=25)] * sweepers)

    assert all(isinstance(r, SweepReport) for r in reports), reports
    assert sum(1 for r in reports if isinstance(r, SweepReport) and r.acted) >= 2, "they really overlapped"
    assert sum(r.warned for r in reports if isinstance(r, SweepReport)) == MANY
    assert sum(r.messages for r in reports if isinstance(r, SweepReport)) == MANY
    each_warned_once(ids)


@pytest.mark.django_db(transaction=True)
def test_a_sweeper_killed_halfway_loses_nothing_and_doubles_nothing(postgresql_only, network, monkeypatch):
    ids = due_clocks(network)
    real_queue = sweep_module.message_queue
    calls = Counter[str]()

    def queue_then_die(**kwargs):
        calls["queue"] += 1
        if calls["queue"] == 2:
            raise RuntimeError("killed")
        return real_queue(**kwargs)

    monkeypatch.setattr(sweep_module, "message_queue", queue_then_die)
    with pytest.raises(RuntimeError, match="killed"):
        clocks_sweep(now=NOW, batch=100)
    assert RequestEvent.objects.filter(verb="warned").count() == 100
    assert RequestClock.objects.filter(stage="on_time", version=1).count() == MANY - 100
    assert Message.objects.count() == 100
    monkeypatch.setattr(sweep_module, "message_queue", real_queue)
    assert clocks_sweep(now=NOW, batch=100).warned == MANY - 100
    each_warned_once(ids)
