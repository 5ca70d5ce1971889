"""What the demo's requests go through: a plan per request drawn with real weights, and the steps to its state."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from wuyou.customers.models import ContactWindow
from wuyou.demo.world import FIELD_CALL_TYPES
from wuyou.tickets.models import (
    CallType,
    Channel,
    Status,
)

Choice = TypeVar("Choice", bound=str)


@dataclass(frozen=True)
class RequestPlan:
    """What one demo request will go through."""

    call_type: str
    target: str
    to_verify: bool = False
    verify_first: bool = False
    reopen: bool = False
    featured: bool = False  # outlet 1, assigned to the `engineer` login


# Requests that must exist whatever the scale: every state, every call type, "to verify" and the
# featured engineer's jobs (active and finished ones).
COVERAGE: tuple[RequestPlan, ...] = (
    RequestPlan(CallType.REPAIR, Status.ACCEPTED, featured=True),
    RequestPlan(CallType.REPAIR, Status.IN_PROGRESS, featured=True),
    RequestPlan(CallType.ORDER_REPORT, Status.WAITING_CUSTOMER, featured=True),
    RequestPlan(CallType.REPAIR, Status.WAITING_PARTS, featured=True),
    RequestPlan(CallType.REPAIR, Status.RESOLVED, featured=True),
    RequestPlan(CallType.REPAIR, Status.CLOSED, featured=True),
    RequestPlan(CallType.CONSULTATION, Status.CLOSED),
    RequestPlan(CallType.INQUIRY, Status.RESOLVED),
    RequestPlan(CallType.GENERAL, Status.NEW),
    RequestPlan(CallType.COMPLAINT, Status.ACCEPTED),
    RequestPlan(CallType.ORDER_REPORT, Status.NEW),
    RequestPlan(CallType.REPAIR, Status.CANCELLED),
    RequestPlan(CallType.REPAIR, Status.NEW, to_verify=True),
    RequestPlan(CallType.ORDER_REPORT, Status.ACCEPTED, to_verify=True),
    RequestPlan(CallType.REPAIR, Status.CLOSED, verify_first=True),
    RequestPlan(CallType.REPAIR, Status.CLOSED, reopen=True),
)


_CALL_TYPE_WEIGHTS = {
    CallType.REPAIR: 45,
    CallType.ORDER_REPORT: 20,
    CallType.CONSULTATION: 10,
    CallType.INQUIRY: 8,
    CallType.GENERAL: 9,
    CallType.COMPLAINT: 8,
}


_FIELD_STATES = {
    Status.NEW: 8,
    Status.ACCEPTED: 8,
    Status.IN_PROGRESS: 8,
    Status.WAITING_CUSTOMER: 4,
    Status.WAITING_PARTS: 5,
    Status.RESOLVED: 12,
    Status.CLOSED: 45,
    Status.CANCELLED: 10,
}


_COMPLAINT_STATES = {
    Status.NEW: 10,
    Status.ACCEPTED: 15,
    Status.IN_PROGRESS: 10,
    Status.WAITING_CUSTOMER: 5,
    Status.RESOLVED: 15,
    Status.CLOSED: 40,
    Status.CANCELLED: 3,
}


_DESK_STATES = {Status.NEW: 10, Status.ACCEPTED: 10, Status.RESOLVED: 15, Status.CLOSED: 55, Status.CANCELLED: 10}


_FINISHED = (Status.RESOLVED, Status.CLOSED, Status.CANCELLED)


_CHANNELS = {
    Channel.HOTLINE: 55,
    Channel.WECHAT: 15,
    Channel.WEB: 7,
    Channel.PORTAL: 5,
    Channel.DEALER: 12,
    Channel.VISIT: 6,
}


_WINDOWS = (
    (ContactWindow.Days.WEEKDAYS, dt.time(18, 30), dt.time(21, 0)),
    (ContactWindow.Days.WEEKEND, dt.time(9, 0), dt.time(12, 0)),
    (ContactWindow.Days.ANY, dt.time(12, 0), dt.time(13, 30)),
    (ContactWindow.Days.WEEKDAYS, dt.time(20, 0), dt.time(21, 0)),
)


def _weighted(rng: random.Random, weights: Mapping[Choice, int]) -> Choice:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def plan_requests(rng: random.Random, count: int) -> list[RequestPlan]:
    """The requests to load: the coverage set first, then a realistic random mix."""
    plans = list(COVERAGE[:count])
    while len(plans) < count:
        call_type = _weighted(rng, _CALL_TYPE_WEIGHTS)
        if call_type in FIELD_CALL_TYPES:
            target = _weighted(rng, _FIELD_STATES)
        elif call_type == CallType.COMPLAINT:
            target = _weighted(rng, _COMPLAINT_STATES)
        else:
            target = _weighted(rng, _DESK_STATES)
        to_verify = (
            call_type in FIELD_CALL_TYPES
            and target in (Status.NEW, Status.ACCEPTED, Status.CANCELLED)
            and rng.random() < 0.25
        )
        verify_first = (
            call_type == CallType.REPAIR
            and not to_verify
            and target not in (Status.NEW, Status.CANCELLED)
            and rng.random() < 0.06
        )
        reopen = call_type in FIELD_CALL_TYPES and target == Status.CLOSED and rng.random() < 0.05
        plans.append(RequestPlan(call_type, target, to_verify=to_verify, verify_first=verify_first, reopen=reopen))
    return plans


def request_steps(plan: RequestPlan, rng: random.Random) -> list[str]:
    """The actions that take a request of this plan from "new" to its target state."""
    target = plan.target
    steps: list[str] = ["verify"] if plan.verify_first else []
    if plan.call_type in FIELD_CALL_TYPES:
        base = ["accept"] if plan.to_verify else ["accept", "assign"]
        if target == Status.ACCEPTED:
            steps += base
        elif target == Status.IN_PROGRESS:
            steps += base + ["start"]
        elif target == Status.WAITING_CUSTOMER:
            steps += base + (["start"] if rng.random() < 0.5 else []) + ["wait_customer"]
        elif target == Status.WAITING_PARTS:
            steps += base + ["start", "wait_parts"]
        elif target in (Status.RESOLVED, Status.CLOSED):
            steps += base + ["start"] + (["wait_parts", "resume"] if rng.random() < 0.2 else []) + ["resolve"]
            if target == Status.CLOSED:
                steps += ["close"] + (["reopen", "start", "resolve", "close"] if plan.reopen else [])
        elif target == Status.CANCELLED:
            steps += rng.choice([[], ["accept"], base])[:] + ["cancel"]
    elif plan.call_type == CallType.COMPLAINT:
        steps += {
            Status.NEW: [],
            Status.ACCEPTED: ["accept"],
            Status.IN_PROGRESS: ["accept", "start"],
            Status.WAITING_CUSTOMER: ["accept", "wait_customer"],
            Status.RESOLVED: ["accept", "start", "resolve"],
            Status.CLOSED: ["accept", "start", "resolve", "close"],
            Status.CANCELLED: ["accept", "cancel"],
        }[Status(target)]
    else:
        answered = ["accept", "resolve"] if rng.random() < 0.6 else ["resolve"]
        steps += {
            Status.NEW: [],
            Status.ACCEPTED: ["accept"],
            Status.RESOLVED: answered,
            Status.CLOSED: answered + ["close"],
            Status.CANCELLED: ["cancel"],
        }[Status(target)]
    return steps
