"""The service-request state machine (pure): which action moves which state, and who may take it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from wuyou.accounts.actors import DESK_ROLES
from wuyou.accounts.models import Role
from wuyou.tickets.models import Status

_DESK = DESK_ROLES  # the desk roles of wuyou.accounts.actors: one definition
_MANAGERS = frozenset({Role.SERVICE_MANAGER, Role.OUTLET_MANAGER, Role.REGIONAL_MANAGER, Role.ADMIN})
_FIELD = _DESK | {Role.ENGINEER}
# Complaints transferred by an authority need a manager's written report (R-E4).
AUTHORITY_REPORTERS = frozenset({Role.OUTLET_MANAGER, Role.SERVICE_MANAGER, Role.REGIONAL_MANAGER, Role.ADMIN})


@dataclass(frozen=True)
class Transition:
    """An action: the states it leaves from, the state it reaches, the roles allowed."""

    action: str
    label: Promise
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    needs_note: bool = False


_OPEN_WORK = frozenset({Status.ACCEPTED, Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.WAITING_PARTS})

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("accept", _("Accept"), frozenset({Status.NEW}), Status.ACCEPTED, _DESK),
        Transition("start", _("Start work"), frozenset({Status.ACCEPTED}), Status.IN_PROGRESS, _FIELD),
        Transition(
            "wait_customer",
            _("Wait on customer"),
            frozenset({Status.ACCEPTED, Status.IN_PROGRESS}),
            Status.WAITING_CUSTOMER,
            _FIELD,
            needs_note=True,
        ),
        Transition(
            "wait_parts",
            _("Wait on parts"),
            frozenset({Status.ACCEPTED, Status.IN_PROGRESS}),
            Status.WAITING_PARTS,
            _FIELD,
            needs_note=True,
        ),
        Transition(
            "resume",
            _("Resume"),
            frozenset({Status.WAITING_CUSTOMER, Status.WAITING_PARTS}),
            Status.IN_PROGRESS,
            _FIELD,
        ),
        Transition(
            "resolve", _("Resolve"), frozenset({Status.NEW}) | _OPEN_WORK, Status.RESOLVED, _FIELD, needs_note=True
        ),
        Transition("close", _("Close"), frozenset({Status.RESOLVED}), Status.CLOSED, _DESK),
        Transition(
            "reopen", _("Reopen"), frozenset({Status.RESOLVED, Status.CLOSED}), Status.ACCEPTED, _DESK, needs_note=True
        ),
        Transition(
            "cancel", _("Cancel"), frozenset({Status.NEW}) | _OPEN_WORK, Status.CANCELLED, _DESK, needs_note=True
        ),
    )
}

# Complaints are disposed of by the desk, never by the engineer on site (R-G3).
_DESK_ONLY_FOR_COMPLAINTS = frozenset({"resolve", "close", "cancel"})


def transition_for(action: str) -> Transition | None:
    """The transition named by an action, or None when there is no such action."""
    return TRANSITIONS.get(action)


def allowed_actions(*, status: str, role: str | None, call_type: str) -> list[Transition]:
    """The actions the role may take from the status, in display order."""
    if role is None:
        return []
    return [t for t in TRANSITIONS.values() if status in t.sources and role_may(t, role=role, call_type=call_type)]


def role_may(transition: Transition, *, role: str, call_type: str) -> bool:
    """Whether the role may take the transition on a request of this call type."""
    if role not in transition.roles:
        return False
    if call_type == "complaint" and transition.action in _DESK_ONLY_FOR_COMPLAINTS and role == Role.ENGINEER:
        return False
    if transition.action == "reopen" and role not in _MANAGERS | {Role.CLERK, Role.FOLLOW_UP}:
        return False
    return True
