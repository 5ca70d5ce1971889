"""Time limits on every step of a request (R-E4): deadlines, pauses and the escalation ladder (pure).

A limit is measured in business hours or working days on the outlet's calendar, or in clock hours. A clock warns
the responsible person at a share of its limit, breaches at the limit (escalating one level), then climbs one level
of the chain each further `escalate_percent` of the limit until the chain ends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from wuyou.calendars.workdays import WorkCalendar

BUSINESS_HOURS = "business_hours"
WORKING_DAYS = "working_days"
CLOCK_HOURS = "clock_hours"
UNITS = (BUSINESS_HOURS, WORKING_DAYS, CLOCK_HOURS)

# Stages of a running clock, in the order the sweeper moves them.
ON_TIME = "on_time"
WARNED = "warned"
BREACHED = "breached"


@dataclass(frozen=True)
class Limit:
    """A step's time limit as a policy states it."""

    amount: Decimal
    unit: str
    warn_percent: int
    escalate_percent: int

    def problems(self) -> dict[str, str]:
        """What is wrong with the limit, by field (empty when it is sound)."""
        found: dict[str, str] = {}
        if self.unit not in UNITS:
            found["unit"] = "unknown unit"
        if self.amount is None or self.amount <= 0:
            found["amount"] = "must be more than zero"
        elif self.unit == WORKING_DAYS and self.amount != int(self.amount):
            found["amount"] = "working days are whole days"
        elif self.amount > 1000:
            found["amount"] = "at most 1000"
        if not 1 <= self.warn_percent <= 99:
            found["warn_percent"] = "the warning must come before the limit (1–99%)"
        if not 1 <= self.escalate_percent <= 1000:
            found["escalate_percent"] = "between 1% and 1000%"
        return found


@dataclass(frozen=True)
class Deadlines:
    """When a clock started now warns and falls due, and how long its limit is in its own measure."""

    warn_at: dt.datetime
    due_at: dt.datetime
    span_seconds: float
    escalate_seconds: float
    provisional: bool


def measured_in_business_time(unit: str) -> bool:
    """Whether time outside working hours stops the clock for this unit."""
    return unit != CLOCK_HOURS


def advance(unit: str, calendar: WorkCalendar, moment: dt.datetime, seconds: float) -> dt.datetime:
    """The moment `seconds` later in the unit's measure (business time or clock time)."""
    if measured_in_business_time(unit):
        return calendar.add_business_seconds(moment, max(seconds, 0.0))
    return moment + dt.timedelta(seconds=seconds)


def measure(unit: str, calendar: WorkCalendar, start: dt.datetime, end: dt.datetime) -> float:
    """Seconds from `start` to `end` in the unit's measure, negative when `end` comes first."""
    if measured_in_business_time(unit):
        return calendar.business_seconds_between(start, end)
    return (end - start).total_seconds()


def deadlines(limit: Limit, *, start: dt.datetime, calendar: WorkCalendar) -> Deadlines:
    """Warning point and deadline of a clock started at `start`."""
    amount = float(limit.amount)
    if limit.unit == WORKING_DAYS:
        due_at = calendar.workdays_deadline(start, int(limit.amount))
    elif limit.unit == BUSINESS_HOURS:
        due_at = calendar.add_business_hours(start, amount)
    else:
        due_at = start + dt.timedelta(hours=amount)
    span = measure(limit.unit, calendar, start, due_at)
    warn_at = advance(limit.unit, calendar, start, span * limit.warn_percent / 100)
    provisional = measured_in_business_time(limit.unit) and calendar.is_provisional(
        calendar.local(start).date(), calendar.local(due_at).date()
    )
    return Deadlines(
        warn_at=warn_at,
        due_at=due_at,
        span_seconds=span,
        escalate_seconds=span * limit.escalate_percent / 100,
        provisional=provisional,
    )


RESPONSIBLE = "responsible"


def chain_rung(chain: Sequence[str] | None, level: int) -> str:
    """The rung of an escalation chain a level stands for; past the chain's end, its last rung."""
    rungs = list(chain or []) or [RESPONSIBLE]
    return str(rungs[min(max(level, 0), len(rungs) - 1)])


@dataclass(frozen=True)
class SweepStep:
    """What the sweeper does to a due clock: the action, the stage and level it leaves, when to act next."""

    action: str  # "warn", "breach" or "escalate"
    stage: str
    level: int
    notify_levels: tuple[int, ...]
    next_action_at: dt.datetime | None


def sweep_step(
    *,
    stage: str,
    level: int,
    chain_length: int,
    scheduled_at: dt.datetime,
    due_at: dt.datetime,
    unit: str,
    escalate_seconds: float,
    calendar: WorkCalendar,
    now: dt.datetime | None = None,
) -> SweepStep:
    """The next rung of the ladder for a clock whose action time `scheduled_at` has come.

    A sweep that comes only after the deadline (the sweeper was down) skips the warning: "due soon" would be false.
    """
    top = max(chain_length - 1, 0)
    if stage == ON_TIME and scheduled_at < due_at and (now is None or now < due_at):
        return SweepStep("warn", WARNED, 0, (0,), due_at)
    if stage in (ON_TIME, WARNED):
        reached = min(1, top)
        later = advance(unit, calendar, due_at, escalate_seconds) if reached < top else None
        return SweepStep("breach", BREACHED, reached, tuple(sorted({0, reached})), later)
    reached = min(level + 1, top)
    later = advance(unit, calendar, scheduled_at, escalate_seconds) if reached < top else None
    return SweepStep("escalate", BREACHED, reached, (reached,), later)


@dataclass(frozen=True)
class Resumed:
    """A paused clock's new times once it runs again."""

    warn_at: dt.datetime
    due_at: dt.datetime
    next_action_at: dt.datetime | None


def resume(
    *,
    unit: str,
    calendar: WorkCalendar,
    paused_at: dt.datetime,
    resumed_at: dt.datetime,
    warn_at: dt.datetime,
    due_at: dt.datetime,
    next_action_at: dt.datetime | None,
) -> Resumed:
    """Shift every future point of a clock by the time it spent paused (in the unit's measure)."""

    def shifted(point: dt.datetime) -> dt.datetime:
        left = measure(unit, calendar, paused_at, point)
        return advance(unit, calendar, resumed_at, left) if left > 0 else point

    return Resumed(
        warn_at=shifted(warn_at),
        due_at=shifted(due_at),
        next_action_at=shifted(next_action_at) if next_action_at is not None else None,
    )


@dataclass(frozen=True)
class StepRule:
    """Which request events start a step's clock, meet it, or make it moot."""

    starts_on: frozenset[str]
    met_on: frozenset[str]
    moot_on: frozenset[str]


class ClockSignal(StrEnum):
    """What an event recorded by an app above tickets means to the clocks: that app says so when it records it.

    tickets never learns the other apps' verbs (ADR 0004): dispatch says "appointment agreed" when a visit is booked,
    fieldservice "engineer on site" and "appointment needed", quality "called back".
    """

    APPOINTMENT_AGREED = "appointment_agreed"
    APPOINTMENT_NEEDED = "appointment_needed"
    ENGINEER_ON_SITE = "engineer_on_site"
    CALLED_BACK = "called_back"
    CALLBACK_SCHEDULED = "callback_scheduled"
    CALLBACK_DROPPED = "callback_dropped"


# Events are the request's own verbs (lifecycle actions plus "opened", "assigned", "authority_report") and the
# clock signals the apps above send with their events.
# A request resolved over the phone never needs a visit: the on-site and appointment clocks become moot, not met.
_FINISHED = frozenset({"cancel"})
STEP_RULES: dict[str, StepRule] = {
    "first_response": StepRule(frozenset({"opened"}), frozenset({"accept", "resolve", "assigned"}), _FINISHED),
    # The customer agreeing a visit window confirms the appointment; a visit handed back or failed needs a new one.
    "appointment_confirmed": StepRule(
        frozenset({"opened", ClockSignal.APPOINTMENT_NEEDED}),
        frozenset({ClockSignal.APPOINTMENT_AGREED}),
        _FINISHED | {"resolve"},
    ),
    "on_site": StepRule(
        frozenset({"opened"}), frozenset({"start", ClockSignal.ENGINEER_ON_SITE}), _FINISHED | {"resolve"}
    ),
    "resolved": StepRule(frozenset({"opened", "reopen"}), frozenset({"resolve"}), _FINISHED),
    "complaint_disposition": StepRule(frozenset({"opened", "reopen"}), frozenset({"resolve"}), _FINISHED),
    "authority_report": StepRule(frozenset({"opened"}), frozenset({"authority_report"}), _FINISHED),
    # The callback clock belongs to a callback (issue 14): it starts when quality schedules one, is met when the
    # customer is reached, and is moot when the callback is dropped (unreachable, refused, cancelled). Resolving or
    # closing the request neither starts nor meets it: a job left out of the sample on purpose has no callback clock.
    "callback_due": StepRule(
        frozenset({ClockSignal.CALLBACK_SCHEDULED}),
        frozenset({ClockSignal.CALLED_BACK}),
        _FINISHED | {"reopen", ClockSignal.CALLBACK_DROPPED},
    ),
}
# Waiting on the customer or on parts pauses the clocks whose policy says so; these events end the wait.
PAUSE_ON = frozenset({"wait_customer", "wait_parts"})
RESUME_ON = frozenset({"resume"})
