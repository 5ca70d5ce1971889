"""Reads of the customer archive, scoped to the acting user (R-H1)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from wuyou.accounts.actors import Actor, Scope
from wuyou.core.errors import NotFound
from wuyou.core.masking import mask_phone
from wuyou.core.phones import phone_search_key
from wuyou.customers.models import Address, Customer, CustomerPhone, TimelineEntry

SEARCH_LIMIT = 20


def customers_visible(*, actor: Actor) -> QuerySet[Customer]:
    """Customers the actor may see: all, a region's, an outlet's (incl. its requests'), or own jobs'."""
    qs = Customer.objects.all()
    scope = actor.scope
    if scope is Scope.ALL:
        return qs
    if scope is Scope.REGION and actor.region_id is not None:
        return qs.filter(
            Q(outlet__region_id=actor.region_id) | Q(requests__outlet__region_id=actor.region_id)
        ).distinct()
    if scope is Scope.OUTLET and actor.outlet_id is not None:
        handled = Customer.objects.filter(requests__outlet_id=actor.outlet_id).values("pk")
        return qs.filter(Q(outlet_id=actor.outlet_id) | Q(pk__in=handled))
    if scope is Scope.OWN_JOBS and actor.user_id is not None:
        return qs.filter(pk__in=Customer.objects.filter(requests__assignee__user_id=actor.user_id).values("pk"))
    return qs.none()


def customer_get(*, actor: Actor, customer_id: int) -> Customer:
    """One visible customer with phones, addresses and contact windows, or NotFound."""
    customer = (
        customers_visible(actor=actor)
        .select_related("outlet")
        .prefetch_related("phones", "addresses", "contact_windows")
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise NotFound("customer not found", field="customer_id")
    return customer


def customer_matches(*, actor: Actor, query: str) -> QuerySet[Customer]:
    """Visible customers matching one-box search text (unordered); the API pages and counts these."""
    text = " ".join(query.split())[:100]
    if not text:
        return Customer.objects.none()
    visible = customers_visible(actor=actor)
    phone = phone_search_key(text)
    if phone:
        qs = visible.filter(phones__number=phone)
    elif text.isdigit() and len(text) >= 4:
        # A partial number typed by the agent: match the number's start.
        qs = visible.filter(phones__number__startswith=text)
    else:
        serial_owners = visible.filter(units__serial=text.upper())
        if serial_owners.exists():
            qs = serial_owners
        else:
            qs = visible.filter(
                Q(name__startswith=text) | Q(pk__in=Address.objects.filter(detail__contains=text).values("customer_id"))
            )
    return qs.distinct()


def customer_search(*, actor: Actor, query: str, limit: int = SEARCH_LIMIT) -> list[Customer]:
    """One-box search (R-A4): a phone number, a serial number, a name or part of an address."""
    return list(
        customer_matches(actor=actor, query=query)
        .select_related("outlet")
        .prefetch_related(
            Prefetch("phones", queryset=CustomerPhone.objects.order_by("-is_primary", "id")),
            Prefetch("addresses", queryset=Address.objects.order_by("-is_primary", "id")),
        )
        .order_by("name", "pk")[:limit]
    )


def customer_timeline(
    *, actor: Actor, customer: Customer, limit: int = 50, before_id: int | None = None
) -> list[TimelineEntry]:
    """The customer's timeline, newest first (R-A2); engineers see only their own jobs' entries."""
    qs = TimelineEntry.objects.filter(customer=customer).select_related("actor__staff")
    if actor.scope is Scope.OWN_JOBS:
        own = customer.requests.filter(assignee__user_id=actor.user_id or 0).values("pk")
        qs = qs.filter(ref_kind="request", ref_id__in=own)
    if before_id is not None:
        qs = qs.filter(pk__lt=before_id)
    return list(qs.order_by("-occurred_at", "-id")[:limit])


def phone_shown_whole(*, actor: Actor, job_active: bool = False) -> bool:
    """Whether the actor sees whole numbers: the head-office desk, and engineers on an active job."""
    return actor.sees_full_phones or (actor.scope is Scope.OWN_JOBS and job_active)


def phone_for_display(*, actor: Actor, number: str, job_active: bool = False) -> str:
    """The number as this actor may see it: full for the head-office desk and engineers on an active job."""
    return number if phone_shown_whole(actor=actor, job_active=job_active) else mask_phone(number)
