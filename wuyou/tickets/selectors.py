"""Reads of service requests, scoped to the acting user."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import CharField, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from wuyou.accounts.actors import Actor, Scope
from wuyou.accounts.models import Role
from wuyou.accounts.selectors import scoped_to_actor
from wuyou.core.errors import NotFound
from wuyou.core.masking import mask_phone
from wuyou.customers.selectors import phone_shown_whole
from wuyou.notifications.selectors import messages_to
from wuyou.tickets.lifecycle import AUTHORITY_REPORTERS, Transition, allowed_actions
from wuyou.tickets.models import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    CallType,
    Channel,
    ClockStage,
    ClockState,
    RequestClock,
    RequestEvent,
    RequestVerb,
    ServiceRequest,
    Step,
)

# Managers answer for an outlet rather than for jobs assigned to them: their "mine" is their outlet.
MANAGER_ROLES = frozenset({Role.OUTLET_MANAGER, Role.REGIONAL_MANAGER, Role.SERVICE_MANAGER})
AT_RISK_HOURS = 4
AT_RISK_HOURS_MAX = 168
# A request whose clocks all breached longer ago than this is the old backlog: summarised, not listed first (issue 13).
AT_RISK_BACKLOG_DAYS = 7


def request_contact_number(request: ServiceRequest) -> str:
    """The number to reach the customer on: the one given for this request, else the customer's first ("" if none).

    Callers mask it for the viewer; prefetch `customer__phones` when reading many.
    """
    return request.contact_phone or next((p.number for p in request.customer.phones.all()), "")


def requests_visible(*, actor: Actor) -> QuerySet[ServiceRequest]:
    """Requests the actor may see: all, a region's, an outlet's, or an engineer's own."""
    return scoped_to_actor(ServiceRequest.objects.all(), actor=actor, own_jobs="assignee__user_id")


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


def _running_clocks(condition: Q) -> Exists:
    """Whether the outer request has a running clock that meets `condition`."""
    return Exists(RequestClock.objects.filter(condition, request=OuterRef("pk"), state=ClockState.RUNNING))


def request_list(*, actor: Actor, filters: RequestFilters) -> QuerySet[ServiceRequest]:
    """Visible requests, filtered, newest first, with what a list row shows (and its warned/overdue markers)."""
    now = timezone.now()
    qs = (
        requests_visible(actor=actor)
        .select_related("customer", "outlet", "assignee", "unit", "unit__product_model")
        .annotate(
            clock_overdue=_running_clocks(Q(stage=ClockStage.BREACHED) | Q(due_at__lt=now)),
            clock_warned=_running_clocks(Q(stage=ClockStage.WARNED)),
        )
    )
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
    # Overdue: a running clock breached or past due, or open and past due. The status test keeps requests closed
    # before there were clocks (their due_at was never cleared) out; a resolved one's callback clock still counts.
    overdue = Q(clock_overdue=True) | Q(status__in=OPEN_STATUSES, due_at__lt=now)
    if filters.overdue:
        qs = qs.filter(overdue)
    elif filters.overdue is False:
        qs = qs.exclude(overdue)
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


def engineer_active_jobs(user_id: int) -> QuerySet[ServiceRequest]:
    """The engineer's active jobs: what he may see of customers (the archive asks through this; one rule)."""
    return ServiceRequest.objects.filter(assignee__user_id=user_id, status__in=ACTIVE_STATUSES)


def request_is_active_for(*, actor: Actor, request: ServiceRequest) -> bool:
    """The engineer's job is active: he may see the customer's phone and address."""
    return (
        actor.scope is Scope.OWN_JOBS
        and request.status in ACTIVE_STATUSES
        and request.assignee is not None
        and request.assignee.user_id == actor.user_id
    )


@dataclass(frozen=True)
class Contact:
    """The customer's contact details as one actor may see them (minimal display, PIPL art. 6)."""

    phone: str  # whole, or masked; "" when the customer left no number
    phone_masked: bool  # the actor sees only the masked number; a whole one may be dialled
    address: str  # "" when not shown
    address_shown: bool

    @property
    def dialable(self) -> bool:
        """There is a whole number to call (a tel: link)."""
        return bool(self.phone) and not self.phone_masked


def address_shown_to(*, actor: Actor, job_active: bool) -> bool:
    """An engineer sees a home address while the job is his and active; everyone who sees the request, always."""
    return actor.scope is not Scope.OWN_JOBS or job_active


def request_contact(
    *,
    actor: Actor,
    request: ServiceRequest,
    job_active: bool | None = None,
    address_active: bool | None = None,
    address: str | None = None,
) -> Contact:
    """The request's contact details as the actor may see them: the one rule for pages and the API.

    The head-office desk sees whole numbers, an engineer those of his active job, everyone else masked ones. An
    engineer sees the address while his job is active only, everyone else always. `job_active` (the phone) and
    `address_active` (the address) default to the request's own rule (request_is_active_for); a visit passes its own
    with its address (wuyou.dispatch.selectors.work_order_contact).
    """
    if job_active is None or address_active is None:
        own = request_is_active_for(actor=actor, request=request)
        job_active = own if job_active is None else job_active
        address_active = own if address_active is None else address_active
    number = request_contact_number(request)
    whole = phone_shown_whole(actor=actor, job_active=job_active)
    address_shown = address_shown_to(actor=actor, job_active=address_active)
    if not address_shown:
        address = ""
    elif address is None:
        address = request.address.full_text if request.address is not None else ""
    return Contact(
        phone=number if whole else mask_phone(number),
        phone_masked=not whole,
        address=address,
        address_shown=address_shown,
    )


def request_is_overdue(request: ServiceRequest, clocks: Iterable[RequestClock] | None = None) -> bool:
    """A running clock breached or past due (from `clocks`, else the list's annotation), or open and past due."""
    now = timezone.now()
    if request.is_open and request.due_at is not None and request.due_at < now:
        return True
    if clocks is not None:
        return any(c.state == ClockState.RUNNING and (c.stage == ClockStage.BREACHED or c.due_at < now) for c in clocks)
    return bool(getattr(request, "clock_overdue", False))


def request_clocks(*, request: ServiceRequest) -> list[RequestClock]:
    """The request's clocks, live and stopped: step by step in the order of the work, newest first per step."""
    order = {step: index for index, step in enumerate(Step.values)}
    clocks = list(request.clocks.order_by("-started_at", "-pk"))
    return sorted(clocks, key=lambda c: order.get(c.step, len(order)))  # stable: newest first within a step


class Backlog:
    """What the "at risk" list does with the old backlog: leave it out (the default), show only it, or show all."""

    HIDE = "hide"
    ONLY = "only"
    INCLUDE = "include"
    CHOICES = (HIDE, ONLY, INCLUDE)


@dataclass(frozen=True)
class AtRiskFilters:
    """The "at risk" list's filters: how far ahead to look, only mine or all I may see, and the old backlog."""

    within_hours: int = AT_RISK_HOURS
    mine: bool = False
    backlog: str = Backlog.HIDE


def _at_risk(now: dt.datetime, within_hours: int) -> Q:
    """A running clock that has warned or breached, or falls due within the next hours (or already has)."""
    horizon = now + dt.timedelta(hours=within_hours)
    return Q(state=ClockState.RUNNING) & (
        Q(stage__in=[ClockStage.WARNED, ClockStage.BREACHED]) | Q(due_at__lte=horizon)
    )


def requests_mine(*, actor: Actor, requests: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    """Narrow to what is the actor's to act on: assigned to him, or a warning or escalation reached him.

    A clerk also owns his outlet's unassigned requests (their warnings go to him); a manager above outlets
    keeps everything he sees.
    """
    if actor.user_id is None:
        return requests.none()
    if actor.role in MANAGER_ROLES and actor.outlet_id is None:
        return requests
    reached = messages_to(user_id=actor.user_id).filter(
        ref=Concat(Value("request:"), Cast(OuterRef("pk"), CharField()))
    )
    mine = Q(assignee__user_id=actor.user_id) | Q(Exists(reached))
    if actor.role == Role.CLERK:
        mine |= Q(assignee__isnull=True, outlet_id=actor.outlet_id) if actor.outlet_id else Q(assignee__isnull=True)
    elif actor.role in MANAGER_ROLES:
        mine |= Q(outlet_id=actor.outlet_id)
    return requests.filter(mine)


def _at_risk_requests(*, actor: Actor, filters: AtRiskFilters, now: dt.datetime) -> QuerySet[ServiceRequest]:
    """Visible (or mine) requests with a clock at risk, each with `next_due` (its soonest clock not yet due) and
    `last_due` (its most recently passed one), and `is_backlog`: nothing still to save, last breach long ago."""
    risky = RequestClock.objects.filter(_at_risk(now, filters.within_hours), request=OuterRef("pk"))
    qs = requests_visible(actor=actor)
    if filters.mine:
        qs = requests_mine(actor=actor, requests=qs)
    return qs.filter(Exists(risky)).annotate(
        risk_due_at=Subquery(risky.order_by("due_at").values("due_at")[:1]),
        next_due=Subquery(risky.filter(due_at__gte=now).order_by("due_at").values("due_at")[:1]),
        last_due=Subquery(risky.filter(due_at__lt=now).order_by("-due_at").values("due_at")[:1]),
    )


def _backlog(now: dt.datetime) -> Q:
    return Q(next_due__isnull=True, last_due__lt=now - dt.timedelta(days=AT_RISK_BACKLOG_DAYS))


def requests_at_risk(*, actor: Actor, filters: AtRiskFilters) -> QuerySet[ServiceRequest]:
    """Visible requests with a running clock warned, breached or due soon, the most urgent first (issue 13 item 9).

    First those with a clock not yet due, the soonest due first; then those only overdue, the most recently
    breached first. The old backlog (every clock breached more than AT_RISK_BACKLOG_DAYS ago) is left out unless
    `filters.backlog` asks for it (`requests_at_risk_backlog` counts it). Each request carries `risk_clocks`: its
    clocks at risk, nearest due first (one query for the whole page).
    """
    now = timezone.now()
    qs = _at_risk_requests(actor=actor, filters=filters, now=now)
    if filters.backlog == Backlog.HIDE:
        qs = qs.exclude(_backlog(now))
    elif filters.backlog == Backlog.ONLY:
        qs = qs.filter(_backlog(now))
    return (
        qs.select_related("customer", "outlet", "assignee", "unit", "address")
        .prefetch_related(
            Prefetch(
                "clocks",
                queryset=RequestClock.objects.filter(_at_risk(now, filters.within_hours)).order_by("due_at", "pk"),
                to_attr="risk_clocks",
            )
        )
        .order_by(F("next_due").asc(nulls_last=True), F("last_due").desc(nulls_last=True), "pk")
    )


def requests_at_risk_backlog(*, actor: Actor, filters: AtRiskFilters) -> int:
    """How many requests of the list are the old backlog (every clock breached more than a week ago)."""
    now = timezone.now()
    return _at_risk_requests(actor=actor, filters=filters, now=now).filter(_backlog(now)).count()


def request_needs_authority_report(*, actor: Actor, request: ServiceRequest) -> bool:
    """Whether the actor may file, and the request still lacks, the report to the authority."""
    return (
        actor.role in AUTHORITY_REPORTERS
        and request.call_type == CallType.COMPLAINT
        and request.channel == Channel.AUTHORITY
        and not request.events.filter(verb=RequestVerb.AUTHORITY_REPORT).exists()
    )
