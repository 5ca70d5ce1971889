"""Reads of service requests, scoped to the acting user."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from wuyou.accounts.actors import Actor, Scope
from wuyou.core.errors import NotFound
from wuyou.tickets.lifecycle import Transition, allowed_actions
from wuyou.tickets.models import ACTIVE_STATUSES, OPEN_STATUSES, RequestEvent, ServiceRequest


def requests_visible(*, actor: Actor) -> QuerySet[ServiceRequest]:
    """Requests the actor may see: all, a region's, an outlet's, or an engineer's own."""
    qs = ServiceRequest.objects.all()
    scope = actor.scope
    if scope is Scope.ALL:
        return qs
    if scope is Scope.REGION and actor.region_id is not None:
        return qs.filter(outlet__region_id=actor.region_id)
    if scope is Scope.OUTLET and actor.outlet_id is not None:
        return qs.filter(outlet_id=actor.outlet_id)
    if scope is Scope.OWN_JOBS and actor.user_id is not None:
        return qs.filter(assignee__user_id=actor.user_id)
    return qs.none()


@dataclass(frozen=True)
class RequestFilters:
    """List filters as the console and the API offer them."""

    call_type: str | None = None
    status: str | None = None
    outlet_id: int | None = None
    assignee_id: int | None = None
    customer_id: int | None = None
    overdue: bool | None = None
    to_verify: bool | None = None
    open_only: bool = False


def request_list(*, actor: Actor, filters: RequestFilters) -> QuerySet[ServiceRequest]:
    """Visible requests, filtered, newest first, with what a list row shows."""
    qs = requests_visible(actor=actor).select_related("customer", "outlet", "assignee", "unit", "unit__product_model")
    if filters.call_type:
        qs = qs.filter(call_type=filters.call_type)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.outlet_id:
        qs = qs.filter(outlet_id=filters.outlet_id)
    if filters.assignee_id:
        qs = qs.filter(assignee_id=filters.assignee_id)
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.to_verify is not None:
        qs = qs.filter(to_verify=filters.to_verify)
    if filters.open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if filters.overdue:
        qs = qs.filter(status__in=OPEN_STATUSES, due_at__lt=timezone.now())
    elif filters.overdue is False:
        qs = qs.exclude(status__in=OPEN_STATUSES, due_at__lt=timezone.now())
    return qs.order_by("-created_at", "-id")


def request_get(*, actor: Actor, request_id: int) -> ServiceRequest:
    """One visible request, or NotFound (another outlet's request does not exist for you)."""
    sr = (
        requests_visible(actor=actor)
        .select_related("customer", "outlet", "assignee", "unit", "unit__product_model", "address", "created_by")
        .filter(pk=request_id)
        .first()
    )
    if sr is None:
        raise NotFound("service request not found", field="request_id")
    return sr


def request_history(*, request: ServiceRequest) -> QuerySet[RequestEvent]:
    """The request's audit trail, newest first."""
    return request.events.select_related("actor__staff").order_by("-created_at", "-id")


def request_actions(*, actor: Actor, request: ServiceRequest) -> list[Transition]:
    """The transitions this actor may take on this request now."""
    return allowed_actions(status=request.status, role=actor.role, call_type=request.call_type)


def request_is_active_for(*, actor: Actor, request: ServiceRequest) -> bool:
    """The engineer's job is active: he may see the customer's phone and address."""
    return (
        actor.scope is Scope.OWN_JOBS
        and request.status in ACTIVE_STATUSES
        and request.assignee is not None
        and request.assignee.user_id == actor.user_id
    )


def request_is_overdue(request: ServiceRequest) -> bool:
    """Open and past its answer time."""
    return request.is_open and request.due_at is not None and request.due_at < timezone.now()
