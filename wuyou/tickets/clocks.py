"""Writes for request clocks: start, meet, pause and resume them as the request moves (R-E4).

Called by the request services inside their own transaction, so a clock never disagrees with its request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Min, OuterRef, Q, Subquery

from wuyou.accounts.selectors import calendar_for_outlet, calendars_for_outlets
from wuyou.calendars.workdays import WorkCalendar
from wuyou.core.bulk import rows_insert
from wuyou.tickets import sla
from wuyou.tickets.models import (
    DEFAULT_CHAIN,
    ClockOutcome,
    ClockStage,
    ClockState,
    RequestClock,
    ServiceRequest,
    TimeLimitPolicy,
)
from wuyou.tickets.standards import STANDARDS, Standard

# Set only inside `policies_held()`: a bulk load in one transaction that changes no policy reads each set once.
# Context-local, never shared between requests, threads or processes.
_HELD: ContextVar[dict[tuple[str, str, str], dict[str, TimeLimitPolicy]] | None] = ContextVar(
    "policies_held", default=None
)


@contextmanager
def policies_held() -> Iterator[None]:
    """Within the block, each (call type, priority, channel) reads its policies once (for bulk loads)."""
    token = _HELD.set({})
    try:
        yield
    finally:
        _HELD.reset(token)


def policies_for(*, call_type: str, priority: str, channel: str) -> dict[str, TimeLimitPolicy]:
    """The active policy of each step for a request: an exact priority or channel beats "any"."""
    held = _HELD.get()
    key = (call_type, priority, channel)
    if held is not None and key in held:
        return held[key]
    chosen_policies = _policies_for(call_type=call_type, priority=priority, channel=channel)
    if held is not None:
        held[key] = chosen_policies
    return chosen_policies


def _policies_for(*, call_type: str, priority: str, channel: str) -> dict[str, TimeLimitPolicy]:
    chosen: dict[str, tuple[int, TimeLimitPolicy]] = {}
    candidates = TimeLimitPolicy.objects.filter(
        Q(priority="") | Q(priority=priority), Q(channel="") | Q(channel=channel), call_type=call_type, is_active=True
    )
    for policy in candidates:
        rank = (2 if policy.priority else 0) + (1 if policy.channel else 0)
        if policy.step not in chosen or rank > chosen[policy.step][0]:
            chosen[policy.step] = (rank, policy)
    return {step: policy for step, (_rank, policy) in chosen.items()}


def new_clock(
    *, request: ServiceRequest, policy: TimeLimitPolicy, start: dt.datetime, calendar: WorkCalendar
) -> RequestClock:
    """An unsaved running clock for a step, its deadlines computed on the outlet's calendar."""
    times = sla.deadlines(policy.limit, start=start, calendar=calendar)
    return RequestClock(
        request=request,
        step=policy.step,
        policy=policy,
        unit=policy.unit,
        chain=list(policy.chain),
        pauses_when_waiting=policy.pauses_when_waiting,
        state=ClockState.RUNNING,
        stage=ClockStage.ON_TIME,
        level=0,
        outcome=ClockOutcome.NONE,
        provisional=times.provisional,
        started_at=start,
        warn_at=times.warn_at,
        due_at=times.due_at,
        escalate_seconds=times.escalate_seconds,
        next_action_at=times.warn_at,
    )


def clocks_for_opening(*, request: ServiceRequest, at: dt.datetime) -> list[RequestClock]:
    """The clocks a request starts when it is opened (unsaved; the opening service saves them)."""
    steps = [step for step, rule in sla.STEP_RULES.items() if "opened" in rule.starts_on]
    policies = policies_for(call_type=request.call_type, priority=request.priority, channel=request.channel)
    if not any(step in policies for step in steps):
        return []
    calendar = calendar_for_outlet(request.outlet_id)
    return [new_clock(request=request, policy=policies[s], start=at, calendar=calendar) for s in steps if s in policies]


def earliest_due(clocks: Iterable[RequestClock]) -> dt.datetime | None:
    """The nearest deadline among running clocks: the request's "due" in lists."""
    return min((c.due_at for c in clocks if c.state == ClockState.RUNNING), default=None)


def clocks_on_event(
    *, request: ServiceRequest, verb: str, at: dt.datetime, start_at: dt.datetime | None = None
) -> None:
    """Start, meet, make moot, pause or resume the request's clocks for one of its events (same transaction).

    `start_at`: when the clocks this event starts begin to run, if not at the event (a callback scheduled now to
    ring at the customer's time counts its limit from that time).
    """
    starting = [step for step, rule in sla.STEP_RULES.items() if verb in rule.starts_on]
    stopping = {step for step, rule in sla.STEP_RULES.items() if verb in rule.met_on | rule.moot_on}
    pausing, resuming = verb in sla.PAUSE_ON, verb in sla.RESUME_ON
    if not (starting or stopping or pausing or resuming):
        return
    # Lock this request's clocks so the sweeper (which skips locked rows) never acts on a stale view of them.
    live = RequestClock.objects.select_for_update().filter(request=request).exclude(state=ClockState.STOPPED)
    clocks = {c.step: c for c in live.order_by("pk")}
    calendar: WorkCalendar | None = None
    changed: list[RequestClock] = []
    for step in stopping | set(starting):
        clock = clocks.pop(step, None)
        if clock is None:
            continue
        rule = sla.STEP_RULES[step]
        if verb in rule.met_on:
            # A paused clock's deadline has not been pushed back yet: judge the time it had used when it paused.
            used_until = clock.paused_at if clock.state == ClockState.PAUSED and clock.paused_at else at
            late = clock.stage == ClockStage.BREACHED or used_until > clock.due_at
            clock.outcome = ClockOutcome.MISSED if late else ClockOutcome.MET
        else:
            clock.outcome = ClockOutcome.MOOT
        clock.state, clock.stopped_at, clock.next_action_at, clock.paused_at = ClockState.STOPPED, at, None, None
        changed.append(clock)
    for clock in clocks.values():
        if pausing and clock.state == ClockState.RUNNING and clock.pauses_when_waiting:
            clock.state, clock.paused_at = ClockState.PAUSED, at
            changed.append(clock)
        elif resuming and clock.state == ClockState.PAUSED and clock.paused_at is not None:
            calendar = calendar or calendar_for_outlet(request.outlet_id)
            moved = sla.resume(
                unit=clock.unit,
                calendar=calendar,
                paused_at=clock.paused_at,
                resumed_at=at,
                warn_at=clock.warn_at,
                due_at=clock.due_at,
                next_action_at=clock.next_action_at,
            )
            clock.warn_at, clock.due_at, clock.next_action_at = moved.warn_at, moved.due_at, moved.next_action_at
            clock.state, clock.paused_at = ClockState.RUNNING, None
            # The deadline may have moved into a year whose holidays are not published yet.
            clock.provisional = sla.measured_in_business_time(clock.unit) and calendar.is_provisional(
                calendar.local(clock.started_at).date(), calendar.local(clock.due_at).date()
            )
            changed.append(clock)
    for clock in changed:
        clock.version += 1
    written = ["state", "outcome", "stopped_at", "next_action_at", "paused_at", "warn_at", "due_at", "provisional"]
    RequestClock.objects.bulk_update(changed, [*written, "version"])
    if starting:
        policies = policies_for(call_type=request.call_type, priority=request.priority, channel=request.channel)
        fresh = [step for step in starting if step in policies]
        if fresh:
            calendar = calendar or calendar_for_outlet(request.outlet_id)
            RequestClock.objects.bulk_create(
                [new_clock(request=request, policy=policies[s], start=start_at or at, calendar=calendar) for s in fresh]
            )
    due = RequestClock.objects.filter(request=request, state=ClockState.RUNNING).aggregate(due=Min("due_at"))["due"]
    ServiceRequest.objects.filter(pk=request.pk).update(due_at=due)
    request.due_at = due


_IDS_AT_ONCE = 900  # SQLite's bound on a statement's parameters, with room to spare


@dataclass(frozen=True)
class ClockStart:
    """A request whose step clock starts, with what the policy and the calendar need of it."""

    request_id: int
    call_type: str
    priority: str
    channel: str
    outlet_id: int | None
    start: dt.datetime


def clocks_start_many(*, step: str, starts: Sequence[ClockStart], at: dt.datetime) -> int:
    """Start one step's clock on many requests at once, as `clocks_on_event` does for a signal that starts it: a
    live clock of the step is replaced (moot), the new one counts from its start, the request's "due" follows.

    For bulk jobs (the daily sample draw), in the caller's transaction; how many clocks it started.
    """
    request_ids = [s.request_id for s in starts]
    if not request_ids:
        return 0
    chunks = [request_ids[i : i + _IDS_AT_ONCE] for i in range(0, len(request_ids), _IDS_AT_ONCE)]
    # Locked, so that the sweeper (which skips locked rows) never acts on a replaced clock meanwhile.
    stale = [
        clock
        for chunk in chunks
        for clock in RequestClock.objects.select_for_update()
        .filter(request_id__in=chunk, step=step)
        .exclude(state=ClockState.STOPPED)
    ]
    for clock in stale:
        clock.outcome, clock.state, clock.stopped_at = ClockOutcome.MOOT, ClockState.STOPPED, at
        clock.next_action_at, clock.paused_at, clock.version = None, None, clock.version + 1
    RequestClock.objects.bulk_update(
        stale, ["outcome", "state", "stopped_at", "next_action_at", "paused_at", "version"]
    )
    calendars = calendars_for_outlets({s.outlet_id for s in starts if s.outlet_id is not None})
    default_calendar: WorkCalendar | None = None
    policy_of: dict[tuple[str, str, str], TimeLimitPolicy | None] = {}
    times: dict[tuple[int, dt.datetime, int | None], sla.Deadlines] = {}
    fresh: list[dict[str, object]] = []
    for s in starts:
        kind = (s.call_type, s.priority, s.channel)
        if kind not in policy_of:
            policy_of[kind] = policies_for(call_type=kind[0], priority=kind[1], channel=kind[2]).get(step)
        policy = policy_of[kind]
        if policy is None:
            continue
        key = (policy.pk, s.start, s.outlet_id)
        if key not in times:  # new_clock's deadlines, once per policy, start and calendar
            calendar = calendars.get(s.outlet_id) if s.outlet_id is not None else None
            if calendar is None:
                default_calendar = default_calendar or calendar_for_outlet(None)
                calendar = default_calendar
            times[key] = sla.deadlines(policy.limit, start=s.start, calendar=calendar)
        deadline = times[key]
        fresh.append(
            {
                "request_id": s.request_id,
                "step": policy.step,
                "policy_id": policy.pk,
                "unit": policy.unit,
                "chain": list(policy.chain),
                "pauses_when_waiting": policy.pauses_when_waiting,
                "state": ClockState.RUNNING.value,
                "stage": ClockStage.ON_TIME.value,
                "level": 0,
                "outcome": ClockOutcome.NONE.value,
                "provisional": deadline.provisional,
                "started_at": s.start,
                "warn_at": deadline.warn_at,
                "due_at": deadline.due_at,
                "escalate_seconds": deadline.escalate_seconds,
                "next_action_at": deadline.warn_at,
            }
        )
    rows_insert(RequestClock, fresh, now=at)
    soonest = (
        RequestClock.objects.filter(request_id=OuterRef("pk"), state=ClockState.RUNNING)
        .order_by()
        .values("request_id")
        .annotate(due=Min("due_at"))
        .values("due")
    )
    for chunk in chunks:
        ServiceRequest.objects.filter(pk__in=chunk).update(due_at=Subquery(soonest))
    return len(fresh)


def time_limits_install(*, standards: Iterable[Standard] = STANDARDS) -> int:
    """Create the default policies that are missing (an admin's own policy for the same step is kept)."""
    created = 0
    with transaction.atomic():
        for row in standards:
            known = TimeLimitPolicy.objects.filter(
                call_type=row.call_type, priority=row.priority, channel=row.channel, step=row.step
            )
            if known.exists():  # active or switched off by an admin: his decision stands
                continue
            TimeLimitPolicy.objects.create(
                call_type=row.call_type,
                priority=row.priority,
                channel=row.channel,
                step=row.step,
                amount=row.amount,
                unit=row.unit,
                warn_percent=row.warn_percent,
                pauses_when_waiting=row.pauses_when_waiting,
                chain=list(DEFAULT_CHAIN),
            )
            created += 1
    return created
