"""Reads and rules of the anonymisation desk (PIPL art. 47): who may ask, who may approve, what waits.

The writes are in customers.services (anonymisation_request_file, anonymisation_request_decide, customer_anonymise).
"""

from __future__ import annotations

from django.db.models import QuerySet

from wuyou.accounts.actors import Actor, Scope
from wuyou.accounts.models import Role
from wuyou.core.errors import NotFound
from wuyou.customers.models import AnonymisationOutcome, AnonymisationRequest, Customer
from wuyou.customers.selectors import customers_visible

# The head-office desk files requests for any customer; an outlet manager for his own outlet's customers.
HEAD_OFFICE_REQUESTERS = frozenset({Role.SERVICE_MANAGER, Role.CLERK, Role.FOLLOW_UP, Role.TECH_SUPERVISOR, Role.ADMIN})
OUTLET_REQUESTERS = frozenset({Role.OUTLET_MANAGER})
# Approving an erasure is the head-office service manager's (or an administrator's) call.
APPROVERS = frozenset({Role.SERVICE_MANAGER, Role.ADMIN})


def may_request(actor: Actor, customer: Customer) -> bool:
    """Whether the actor may file an anonymisation request for this (visible) customer."""
    if actor.user_id is None:
        return False
    if actor.scope is Scope.ALL:
        return actor.role in HEAD_OFFICE_REQUESTERS
    return actor.scope is Scope.OUTLET and actor.role in OUTLET_REQUESTERS and actor.outlet_id == customer.outlet_id


def may_file_any(actor: Actor) -> bool:
    """Whether the actor's role files anonymisation requests at all (for some customer in his scope)."""
    if actor.user_id is None:
        return False
    if actor.scope is Scope.ALL:
        return actor.role in HEAD_OFFICE_REQUESTERS
    return actor.scope is Scope.OUTLET and actor.role in OUTLET_REQUESTERS


def may_approve(actor: Actor) -> bool:
    """Whether the actor may approve or reject anonymisation requests (never his own: see the service)."""
    return actor.user_id is not None and actor.scope is Scope.ALL and actor.role in APPROVERS


def anonymisation_requests_visible(*, actor: Actor) -> QuerySet[AnonymisationRequest]:
    """Requests about customers the actor sees, newest first."""
    visible = customers_visible(actor=actor).values("pk")
    return (
        AnonymisationRequest.objects.filter(customer_id__in=visible)
        .select_related("customer", "customer__outlet", "requested_by__staff", "decided_by__staff")
        .order_by("-requested_at", "-id")
    )


def anonymisation_requests_pending(*, actor: Actor, limit: int = 100) -> list[AnonymisationRequest]:
    """The requests waiting for a decision that the actor sees (the approvers' list)."""
    return list(anonymisation_requests_visible(actor=actor).filter(outcome=AnonymisationOutcome.PENDING)[:limit])


def anonymisation_pending_count(*, actor: Actor) -> int:
    """How many requests wait for a decision among the customers the actor sees."""
    return anonymisation_requests_visible(actor=actor).filter(outcome=AnonymisationOutcome.PENDING).count()


def anonymisation_request_get(*, actor: Actor, anonymisation_id: int) -> AnonymisationRequest:
    """One request about a customer the actor sees, or NotFound (another outlet's is not there)."""
    found = anonymisation_requests_visible(actor=actor).filter(pk=anonymisation_id).first()
    if found is None:
        raise NotFound("anonymisation request not found", field="anonymisation_id")
    return found


def anonymisation_pending_of(*, customer: Customer) -> AnonymisationRequest | None:
    """The customer's request waiting for a decision, if any (the caller has checked the customer's scope)."""
    return (
        AnonymisationRequest.objects.filter(customer=customer, outcome=AnonymisationOutcome.PENDING)
        .select_related("requested_by__staff")
        .first()
    )
