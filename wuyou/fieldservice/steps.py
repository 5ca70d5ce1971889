"""The visit walk (pure): which steps and exceptions a visit allows from its status (R-F2, R-F3, R-F8).

The services refuse what is not allowed here, the visit page and the API offer what is; nothing else restates it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from wuyou.dispatch.models import PLANNABLE, STARTED, WorkOrderStatus

ROAD = "road"  # taken before the engineer is at the door
SITE = "site"  # taken at the customer's, in any order, each may be redone


@dataclass(frozen=True)
class Step:
    """A step of the visit: the statuses it may be taken from, the status it leaves, the event verb, where it is taken.

    `optional`: not every visit takes it (no part fitted, the unit repaired on site), so the walk goes past it.
    """

    key: str
    sources: tuple[str, ...]
    target: str | None  # None: the status does not change
    verb: str
    stage: str
    optional: bool = False


_ON_SITE = (WorkOrderStatus.ON_SITE,)

# In the order the engineer takes them.
STEPS: dict[str, Step] = {
    s.key: s
    for s in (
        Step("confirm_call", (WorkOrderStatus.PLANNED,), WorkOrderStatus.CONFIRMED, "job_confirmed", ROAD),
        Step(
            "on_the_way",
            (WorkOrderStatus.PLANNED, WorkOrderStatus.CONFIRMED),
            WorkOrderStatus.ON_THE_WAY,
            "job_on_the_way",
            ROAD,
        ),
        Step(
            "arrived",
            (WorkOrderStatus.PLANNED, WorkOrderStatus.CONFIRMED, WorkOrderStatus.ON_THE_WAY),
            WorkOrderStatus.ON_SITE,
            "job_arrived",
            ROAD,
        ),
        Step("diagnosis", _ON_SITE, None, "job_diagnosis", SITE),
        Step("work_done", _ON_SITE, None, "job_work_done", SITE),
        Step("parts_used", _ON_SITE, None, "job_parts_used", SITE, optional=True),
        Step("take_back", _ON_SITE, None, "job_take_back", SITE, optional=True),
        Step("test_run", _ON_SITE, None, "job_test_run", SITE),
        Step("rating", _ON_SITE, None, "job_rated", SITE),
        Step("done", _ON_SITE, WorkOrderStatus.DONE, "job_done", SITE),
    )
}
STEP_ORDER: tuple[str, ...] = tuple(STEPS)
ROAD_STEPS: tuple[str, ...] = tuple(k for k, s in STEPS.items() if s.stage == ROAD)
SITE_STEPS: tuple[str, ...] = tuple(k for k, s in STEPS.items() if s.stage == SITE)
OPTIONAL_STEPS: frozenset[str] = frozenset(k for k, s in STEPS.items() if s.optional)

# Something went wrong on the way or at the door (R-F8).
EXCEPTIONS: tuple[str, ...] = ("nobody_home", "entry_refused", "running_late", "compensation", "hand_back")
# An exception is reported on a visit planned for an engineer or under way, never on one done or still to book.
EXCEPTION_SOURCES: tuple[str, ...] = (*PLANNABLE, *STARTED)
# These take the visit off the engineer's route, back to the desk ...
OFF_THE_ROUTE: frozenset[str] = frozenset({"nobody_home", "entry_refused", "hand_back"})
# ... and these need a new appointment with the customer (hand_back keeps it: another engineer comes).
NEW_APPOINTMENT: frozenset[str] = frozenset({"nobody_home", "entry_refused"})
# Running late says how late instead; every other exception says what happened.
NOTE_REQUIRED: frozenset[str] = frozenset(EXCEPTIONS) - {"running_late"}
LATE_MINUTES_RANGE = (1, 600)


class Visit(Protocol):
    """What the walk reads of a visit (a WorkOrder)."""

    status: str
    engineer_id: int | None
    confirmed_at: dt.datetime | None
    departed_at: dt.datetime | None
    arrived_at: dt.datetime | None
    diagnosis: str
    work_done: str
    take_back_receipt: str
    test_run_ok: bool | None
    quality_rating: int | None

    @property
    def parts_used(self) -> Sequence[Any]:
        """The parts booked on the visit (the stock ledger's, for a WorkOrder)."""


def step_for(key: str) -> Step | None:
    """The step named by a key, or None when there is no such step."""
    return STEPS.get(key)


def step_allowed(key: str, *, status: str) -> bool:
    """Whether a visit in this status may take the step (an unknown step never)."""
    step = STEPS.get(key)
    return step is not None and status in step.sources


def steps_allowed(*, status: str, has_engineer: bool) -> tuple[str, ...]:
    """The steps a visit may take now, in walk order.

    On site: every site step (one already recorded may be redone). On the road: those its status allows, once an
    engineer has it. Not planned yet, handed back, done or cancelled: none.
    """
    if status == WorkOrderStatus.ON_SITE:
        return SITE_STEPS
    if not has_engineer:
        return ()
    return tuple(k for k in ROAD_STEPS if status in STEPS[k].sources)


def exception_allowed(*, status: str, has_engineer: bool) -> bool:
    """Whether a visit may report an exception: planned for an engineer, or under way."""
    return status in EXCEPTION_SOURCES and has_engineer


def exceptions_allowed(*, status: str, has_engineer: bool) -> tuple[str, ...]:
    """The exceptions a visit may report now, in display order."""
    return EXCEPTIONS if exception_allowed(status=status, has_engineer=has_engineer) else ()


def step_recorded(key: str, visit: Visit) -> bool:
    """Whether the visit has recorded the step (what it wrote is there)."""
    recorded = {
        "confirm_call": visit.confirmed_at is not None,
        "on_the_way": visit.departed_at is not None,
        "arrived": visit.arrived_at is not None,
        "diagnosis": bool(visit.diagnosis),
        "work_done": bool(visit.work_done),
        "parts_used": bool(visit.parts_used),
        "take_back": bool(visit.take_back_receipt),
        "test_run": visit.test_run_ok is not None,
        "rating": visit.quality_rating is not None,
        "done": visit.status == WorkOrderStatus.DONE,
    }
    return recorded.get(key, False)


@dataclass(frozen=True)
class Walk:
    """Where a visit stands: the steps and exceptions it allows now, and the first step still to take."""

    steps: tuple[str, ...]
    exceptions: tuple[str, ...]
    next_step: str  # "" when there is no step to take


def visit_walk(visit: Visit) -> Walk:
    """The steps and exceptions the visit allows now; the next step is the first not recorded and not optional
    (the last one when all are, "" when none is allowed)."""
    has_engineer = visit.engineer_id is not None
    keys = steps_allowed(status=visit.status, has_engineer=has_engineer)
    pending = (k for k in keys if not step_recorded(k, visit) and k not in OPTIONAL_STEPS)
    return Walk(
        steps=keys,
        exceptions=exceptions_allowed(status=visit.status, has_engineer=has_engineer),
        next_step=next(pending, keys[-1] if keys else ""),
    )
