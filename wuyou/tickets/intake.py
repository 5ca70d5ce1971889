"""Intake validation (R-E2): which facts each call type needs before it may be dispatched (pure)."""

from __future__ import annotations

from dataclasses import dataclass

# The facts an agent must capture, by call type. Repairs and bookings go to a home, so they
# need everything; a complaint needs who and what; questions need a way to call back.
REQUIRED_FACTS: dict[str, tuple[str, ...]] = {
    "repair": ("name", "phone", "address", "model", "purchase_date", "symptom"),
    "order_report": ("name", "phone", "address", "model", "requested_window"),
    "complaint": ("name", "phone", "symptom"),
    "consultation": ("name", "phone"),
    "inquiry": ("name", "phone"),
    "general": ("phone",),
}


@dataclass(frozen=True)
class IntakeFacts:
    """What the request knows at intake, reduced to yes/no per fact."""

    name: bool
    phone: bool
    address: bool
    model: bool
    purchase_date: bool
    symptom: bool
    requested_window: bool


def missing_facts(call_type: str, facts: IntakeFacts) -> list[str]:
    """The facts the call type needs that are not known, in capture order."""
    return [fact for fact in REQUIRED_FACTS.get(call_type, ()) if not getattr(facts, fact)]
