"""R-E1/R-E2: the state machine and intake validation as pure rules."""

import pytest

from wuyou.accounts.models import Role
from wuyou.tickets.intake import REQUIRED_FACTS, IntakeFacts, missing_facts
from wuyou.tickets.lifecycle import TRANSITIONS, allowed_actions
from wuyou.tickets.models import Status

ALL_KNOWN = IntakeFacts(
    name=True, phone=True, address=True, model=True, purchase_date=True, symptom=True, requested_window=True
)


@pytest.mark.parametrize("call_type", list(REQUIRED_FACTS))
def test_nothing_missing_when_everything_is_known(call_type):
    assert missing_facts(call_type, ALL_KNOWN) == []


@pytest.mark.parametrize(
    ("call_type", "unknown", "flagged"),
    [
        ("repair", "purchase_date", ["purchase_date"]),
        ("repair", "address", ["address"]),
        ("repair", "model", ["model"]),
        ("repair", "symptom", ["symptom"]),
        ("order_report", "requested_window", ["requested_window"]),
        ("order_report", "purchase_date", []),  # a booking for a new unit needs no purchase date yet
        ("complaint", "symptom", ["symptom"]),
        ("complaint", "address", []),
        ("consultation", "model", []),
        ("general", "name", []),
        ("general", "phone", ["phone"]),
    ],
)
def test_missing_facts_by_call_type(call_type, unknown, flagged):
    facts = IntakeFacts(**{**ALL_KNOWN.__dict__, unknown: False})
    assert missing_facts(call_type, facts) == flagged


@pytest.mark.parametrize(
    ("status", "role", "call_type", "expected"),
    [
        (Status.NEW, Role.CLERK, "repair", {"accept", "resolve", "cancel"}),
        (Status.NEW, Role.ENGINEER, "repair", {"resolve"}),
        (Status.ACCEPTED, Role.ENGINEER, "repair", {"start", "wait_customer", "wait_parts", "resolve"}),
        (Status.IN_PROGRESS, Role.ENGINEER, "complaint", {"wait_customer", "wait_parts"}),
        (Status.WAITING_PARTS, Role.ENGINEER, "repair", {"resume", "resolve"}),
        (Status.RESOLVED, Role.CLERK, "repair", {"close", "reopen"}),
        (Status.RESOLVED, Role.ENGINEER, "repair", set()),
        (Status.CLOSED, Role.OUTLET_MANAGER, "repair", {"reopen"}),
        (Status.CLOSED, Role.TECH_SUPERVISOR, "repair", set()),
        (Status.CANCELLED, Role.SERVICE_MANAGER, "repair", set()),
        (Status.NEW, Role.SALES_REP, "repair", set()),
        (Status.NEW, None, "repair", set()),
    ],
)
def test_allowed_actions(status, role, call_type, expected):
    assert {t.action for t in allowed_actions(status=status, role=role, call_type=call_type)} == expected


def test_every_state_but_cancelled_has_a_way_out():
    reachable_from = {s for t in TRANSITIONS.values() for s in t.sources}
    assert set(Status.values) - reachable_from == {Status.CANCELLED}
