"""Reads of the customer archive, scoped to the acting user (R-H1)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from wuyou.accounts.actors import Actor, Scope
from wuyou.accounts.selectors import scoped_to_actor
from wuyou.core.errors import NotFound
from wuyou.core.masking import mask_address, mask_phone
from wuyou.core.phones import phone_search_key
from wuyou.customers.models import Address, Customer, CustomerPhone, TimelineEntry

SEARCH_LIMIT = 20

# An engineer's active jobs (requests) by his user id: registered by the service desk (wuyou.tickets), which knows
# what "active" means; the archive below it cannot. Unregistered, an engineer sees no customer (default deny).
ActiveJobs = Callable[[int], QuerySet[Any]]
_active_jobs: list[ActiveJobs] = []


def engineer_active_jobs_register(jobs: ActiveJobs) -> None:
    """Tell the archive how to find an engineer's active jobs: the one rule for what an engineer may see."""
    if jobs not in _active_jobs:
        _active_jobs.append(jobs)


def engineer_active_jobs(user_id: int) -> QuerySet[Any] | None:
    """The engineer's active jobs (rows with `pk` and `customer_id`), or None when no app told the archive."""
    return _active_jobs[-1](user_id) if _active_jobs else None


def customers_visible(*, actor: Actor) -> QuerySet[Customer]:
    """Customers the actor may see: all, a region's, an outlet's (incl. its requests'), or own jobs'."""
    qs = Customer.objects.filter(merged_into__isnull=True)  # a record merged into another is hidden
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
        # Only the customers of his active jobs: a finished job's customer is no longer his to look up.
        jobs = engineer_active_jobs(actor.user_id)
        return qs.none() if jobs is None else qs.filter(pk__in=jobs.values("customer_id"))
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
    """The customer's timeline as the actor may see it, newest first (R-A2): see timeline_visible."""
    qs = timeline_visible(actor=actor, customer=customer).select_related("actor__staff")
    if before_id is not None:
        qs = qs.filter(pk__lt=before_id)
    return list(qs.order_by("-occurred_at", "-id")[:limit])


def timeline_visible(*, actor: Actor, customer: Customer) -> QuerySet[TimelineEntry]:
    """A shared customer's timeline scoped by what each line is about, not by the customer alone.

    A line about a request shows where the request does (its outlet, region or engineer; an engineer's active jobs
    only); any other line (a call note, a unit, the record) where it was written: the head office's for everyone who
    sees the customer, an outlet's for that outlet (and its region).
    """
    qs = TimelineEntry.objects.filter(customer=customer)
    if actor.scope is Scope.ALL:
        return qs
    about_request = Q(ref_kind=TimelineEntry.Kind.REQUEST)
    if actor.scope is Scope.OWN_JOBS:
        jobs = engineer_active_jobs(actor.user_id or 0)
        if jobs is None:
            return qs.none()
        return qs.filter(about_request, ref_id__in=jobs.filter(customer_id=customer.pk).values("pk"))
    requests = scoped_to_actor(customer.requests.all(), actor=actor).values("pk")
    written_here = scoped_to_actor(qs, actor=actor)
    return qs.filter(
        (about_request & Q(ref_id__in=requests))
        | (~about_request & (Q(outlet__isnull=True) | Q(pk__in=written_here.values("pk"))))
    )


def phone_shown_whole(*, actor: Actor, job_active: bool = False) -> bool:
    """Whether the actor sees whole numbers: the head-office desk, and engineers on an active job."""
    return actor.sees_full_phones or (actor.scope is Scope.OWN_JOBS and job_active)


def phone_for_display(*, actor: Actor, number: str, job_active: bool = False) -> str:
    """The number as this actor may see it: full for the head-office desk and engineers on an active job."""
    return number if phone_shown_whole(actor=actor, job_active=job_active) else mask_phone(number)


@dataclass(frozen=True)
class AddressShown:
    """One of the customer's addresses as an actor may see it: whole, or city and district with the street masked."""

    address: Address
    detail: str
    full_text: str
    masked: bool

    @property
    def latitude(self) -> float | None:
        """The map point of a whole address only: coordinates would give a masked one away."""
        return None if self.masked or self.address.latitude is None else float(self.address.latitude)

    @property
    def longitude(self) -> float | None:
        """See latitude."""
        return None if self.masked or self.address.longitude is None else float(self.address.longitude)


def addresses_shown(*, actor: Actor, customer: Customer) -> list[AddressShown]:
    """The customer's addresses as the actor may see them: see addresses_shown_many."""
    return addresses_shown_many(actor=actor, customers=[customer])[customer.pk]


def addresses_shown_many(*, actor: Actor, customers: Iterable[Customer]) -> dict[int, list[AddressShown]]:
    """Each customer's addresses as the actor may see them (minimal display, PIPL art. 6), in at most one query
    beyond the prefetched addresses.

    The head office sees them whole; an outlet (or region) those of its own customers and those its requests went to,
    every other one masked; an engineer none here (he sees the address on his active job's page only).
    """
    customers = list(customers)
    if actor.scope is Scope.OWN_JOBS or actor.scope is Scope.NONE:
        return {c.pk: [] for c in customers}
    whole: set[int] = set()
    shared: list[int] = []
    for customer in customers:
        if actor.scope is Scope.ALL or _home_in_scope(actor, customer):
            whole.update(a.pk for a in customer.addresses.all())
        else:
            shared.append(customer.pk)
    if shared:
        handled = scoped_to_actor(Customer.objects.filter(pk__in=shared), actor=actor, outlet="requests__outlet")
        whole.update(handled.exclude(requests__address=None).values_list("requests__address", flat=True))
    return {
        c.pk: [
            AddressShown(a, a.detail, a.full_text, False)
            if a.pk in whole
            else AddressShown(a, mask_address(a.detail), f"{a.city}{a.district}{mask_address(a.detail)}", True)
            for a in c.addresses.all()
        ]
        for c in customers
    }


def _home_in_scope(actor: Actor, customer: Customer) -> bool:
    """The customer is the actor's outlet's (or region's) own."""
    if actor.scope is Scope.OUTLET:
        return actor.outlet_id is not None and customer.outlet_id == actor.outlet_id
    return actor.scope is Scope.REGION and actor.region_id is not None and customer.outlet.region_id == actor.region_id
