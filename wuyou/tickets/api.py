"""API endpoints for service requests: open, list with filters, "at risk", detail, transitions, assign, verify."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Header, Query, Router

from wuyou.accounts.actors import Actor, api_actor
from wuyou.core.errors import ValidationFailed
from wuyou.core.idempotency import idempotent
from wuyou.core.schemas import OFFSET_MAX, PAGE_MAX, IdempotencyKey, ObjectId
from wuyou.customers.selectors import phone_for_display
from wuyou.tickets import selectors, services
from wuyou.tickets.models import RequestClock, RequestEvent, ServiceRequest
from wuyou.tickets.schemas import (
    ActionOut,
    AssignIn,
    AtRiskOut,
    AtRiskPage,
    AuthorityReportIn,
    CallTypeValue,
    ClockOut,
    RequestDetailOut,
    RequestEventOut,
    RequestIn,
    RequestOut,
    RequestPage,
    StatusValue,
    TransitionIn,
    VerifyIn,
)
from wuyou.tickets.sla import chain_rung

router = Router(tags=["requests"])

HISTORY_LIMIT = 200


def _fields(actor: Actor, sr: ServiceRequest, clocks: Iterable[RequestClock] | None = None) -> dict[str, Any]:
    active = selectors.request_is_active_for(actor=actor, request=sr)
    # An engineer sees the home address and full phone only while the job is his and active.
    shows_address = selectors.address_shown_to(actor=actor, job_active=active)
    return {
        "id": sr.pk,
        "number": sr.number or "",
        "call_type": sr.call_type,
        "channel": sr.channel,
        "priority": sr.priority,
        "status": sr.status,
        "customer_id": sr.customer_id,
        "customer_name": sr.customer.name,
        "contact_phone": phone_for_display(actor=actor, number=sr.contact_phone, job_active=active),
        "unit_serial": sr.unit.serial if sr.unit is not None else None,
        "address_id": sr.address_id,
        "address": sr.address.full_text if sr.address is not None and shows_address else "",
        "reported_model": sr.reported_model,
        "reported_purchase_date": sr.reported_purchase_date,
        "symptom": sr.symptom,
        "window_start": sr.window_start,
        "window_end": sr.window_end,
        "outlet_id": sr.outlet_id,
        "outlet_name": sr.outlet.name,
        "assignee_id": sr.assignee_id,
        "assignee_name": sr.assignee.display_name if sr.assignee is not None else "",
        "to_verify": sr.to_verify,
        "missing_fields": list(sr.missing_fields or []),
        "due_at": sr.due_at,
        "overdue": selectors.request_is_overdue(sr, clocks),
        "resolved_at": sr.resolved_at,
        "closed_at": sr.closed_at,
        "version": sr.version,
        "created_at": sr.created_at,
    }


def request_out(actor: Actor, sr: ServiceRequest) -> RequestOut:
    """A request as a list row, with phone and address as this actor may see them."""
    return RequestOut(**_fields(actor, sr))


def _event_out(event: RequestEvent) -> RequestEventOut:
    user = event.actor
    staff = getattr(user, "staff", None) if user is not None else None  # no profile: AttributeError subclass
    name = staff.display_name if staff is not None else (user.get_username() if user is not None else "")
    return RequestEventOut(
        id=event.pk,
        verb=event.verb,
        from_status=event.from_status,
        to_status=event.to_status,
        note=event.note,
        data=event.data if isinstance(event.data, dict) else {},
        actor_name=name,
        created_at=event.created_at,
    )


def clock_out(clock: RequestClock) -> ClockOut:
    """A request clock as the API shows it (the schema checks the stored choices against its enumerations)."""
    fields: dict[str, Any] = {
        "step": clock.step,
        "state": clock.state,
        "stage": clock.stage,
        "level": clock.level,
        "level_name": chain_rung(clock.chain, clock.level),
        "outcome": clock.outcome,
        "started_at": clock.started_at,
        "warn_at": clock.warn_at,
        "due_at": clock.due_at,
        "provisional": clock.provisional,
        "paused_at": clock.paused_at,
        "stopped_at": clock.stopped_at,
    }
    return ClockOut(**fields)


def request_detail_out(actor: Actor, sr: ServiceRequest) -> RequestDetailOut:
    """A request with its history, its clocks (read now: a write may just have moved them) and the actions."""
    active = selectors.request_is_active_for(actor=actor, request=sr)
    clocks = selectors.request_clocks(request=sr)
    return RequestDetailOut(
        **_fields(actor, sr, clocks),
        clocks=[clock_out(c) for c in clocks],
        customer_phones=[
            phone_for_display(actor=actor, number=n, job_active=active)
            for n in sr.customer.phones.values_list("number", flat=True)
        ],
        events=[_event_out(e) for e in selectors.request_history(request=sr)[:HISTORY_LIMIT]],
        actions=[
            ActionOut(action=t.action, label=str(t.label), needs_note=t.needs_note)
            for t in selectors.request_actions(actor=actor, request=sr)
        ],
    )


def expected_version(body_version: int | None, if_match: str | None) -> int | None:
    """The version the client last saw: from the body, else from `If-Match: "<version>"`."""
    if body_version is not None or if_match is None:
        return body_version
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit() or len(tag) > 9:
        raise ValidationFailed(_('If-Match must carry the request\'s version, e.g. "3".'), field="If-Match")
    return int(tag)


def _with_etag(response: HttpResponse, sr: ServiceRequest) -> None:
    response["ETag"] = f'"{sr.version}"'


@router.post("", response={201: RequestOut}, summary="Open a service request")
@idempotent
def request_create(
    request: HttpRequest,
    payload: RequestIn,
    idempotency_key: IdempotencyKey = None,
) -> RequestOut:
    """Open a request (retry-safe with Idempotency-Key); missing facts flag it `to_verify`."""
    actor = api_actor(request)
    sr = services.request_open(
        actor=actor,
        intake=services.RequestInput(
            call_type=payload.call_type,
            customer_id=payload.customer_id,
            channel=payload.channel,
            priority=payload.priority,
            unit_serial=payload.unit_serial,
            address_id=payload.address_id,
            contact_phone=payload.contact_phone,
            reported_model=payload.reported_model,
            reported_purchase_date=payload.reported_purchase_date,
            symptom=payload.symptom,
            window_start=payload.window_start,
            window_end=payload.window_end,
            outlet_id=payload.outlet_id,
        ),
    )
    # The service returns the request with customer, unit, address and outlet loaded: no second read.
    return request_out(actor, sr)


@router.get("", response=RequestPage, summary="List service requests")
def request_list(
    request: HttpRequest,
    call_type: Annotated[CallTypeValue | None, Query(None)] = None,
    status: Annotated[StatusValue | None, Query(None)] = None,
    outlet_id: Annotated[ObjectId | None, Query(None)] = None,
    assignee_id: Annotated[ObjectId | None, Query(None)] = None,
    customer_id: Annotated[ObjectId | None, Query(None)] = None,
    overdue: Annotated[bool | None, Query(None)] = None,
    to_verify: Annotated[bool | None, Query(None)] = None,
    limit: int = Query(50, ge=1, le=PAGE_MAX),
    offset: int = Query(0, ge=0, le=OFFSET_MAX),
) -> RequestPage:
    """Visible requests, newest first, filtered by type, status, outlet, assignee, customer, overdue, to verify."""
    actor = api_actor(request)
    qs = selectors.request_list(
        actor=actor,
        filters=selectors.RequestFilters(
            call_type=call_type,
            status=status,
            outlet_id=outlet_id,
            assignee_id=assignee_id,
            customer_id=customer_id,
            overdue=overdue,
            to_verify=to_verify,
        ),
    )
    page = qs.select_related("address")[offset : offset + limit]
    return RequestPage(items=[request_out(actor, sr) for sr in page], count=qs.count(), limit=limit, offset=offset)


# Declared before "/{request_id}" so that "at-risk" is never read as an id.
@router.get("/at-risk", response=AtRiskPage, summary="Requests at risk of missing a time limit")
def request_at_risk(
    request: HttpRequest,
    within_hours: int = Query(selectors.AT_RISK_HOURS, ge=0, le=selectors.AT_RISK_HOURS_MAX),
    mine: bool = Query(False),
    backlog: Literal["hide", "only", "include"] = Query("hide"),
    limit: int = Query(50, ge=1, le=PAGE_MAX),
    offset: int = Query(0, ge=0, le=OFFSET_MAX),
) -> AtRiskPage:
    """Visible requests with a running clock warned, breached or due within `within_hours`, the most urgent first:
    those with a clock not yet due (soonest first), then the overdue (most recently breached first).

    `mine`: only those assigned to the caller (a manager: his outlet's). `backlog`: the old backlog (every clock
    breached more than a week ago) is left out (`hide`), alone (`only`) or at the end (`include`). Each item lists
    the clocks at risk.
    """
    actor = api_actor(request)
    filters = selectors.AtRiskFilters(within_hours=within_hours, mine=mine, backlog=backlog)
    qs = selectors.requests_at_risk(actor=actor, filters=filters)
    items = []
    for sr in qs[offset : offset + limit]:
        risky: list[RequestClock] = sr.risk_clocks  # type: ignore[attr-defined]
        items.append(AtRiskOut(**_fields(actor, sr, risky), at_risk=[clock_out(c) for c in risky]))
    return AtRiskPage(items=items, count=qs.count(), limit=limit, offset=offset)


@router.get("/{request_id}", response=RequestDetailOut, summary="A service request with its history")
def request_detail(request: HttpRequest, request_id: ObjectId, response: HttpResponse) -> RequestDetailOut:
    """One visible request: facts, history, allowed actions and `version` (also sent as ETag)."""
    actor = api_actor(request)
    sr = selectors.request_get(actor=actor, request_id=request_id)
    _with_etag(response, sr)
    return request_detail_out(actor, sr)


@router.post("/{request_id}/transitions", response=RequestDetailOut, summary="Move a request")
def request_transition(
    request: HttpRequest,
    request_id: ObjectId,
    payload: TransitionIn,
    response: HttpResponse,
    if_match: str | None = Header(None, alias="If-Match", max_length=40),
) -> RequestDetailOut:
    """Take a state-machine action; 409 when the state forbids it or someone else changed the request first."""
    actor = api_actor(request)
    sr = selectors.request_get(actor=actor, request_id=request_id)
    services.request_transition(
        actor=actor,
        request=sr,
        action=payload.action,
        note=payload.note,
        expected_version=expected_version(payload.version, if_match),
    )
    _with_etag(response, sr)
    return request_detail_out(actor, sr)


@router.post("/{request_id}/assign", response=RequestDetailOut, summary="Dispatch to an engineer")
def request_assign(
    request: HttpRequest,
    request_id: ObjectId,
    payload: AssignIn,
    response: HttpResponse,
    if_match: str | None = Header(None, alias="If-Match", max_length=40),
) -> RequestDetailOut:
    """Assign a verified, open request to an engineer of its outlet."""
    actor = api_actor(request)
    sr = selectors.request_get(actor=actor, request_id=request_id)
    services.request_assign(
        actor=actor,
        request=sr,
        engineer_id=payload.engineer_id,
        expected_version=expected_version(payload.version, if_match),
    )
    _with_etag(response, sr)
    return request_detail_out(actor, sr)


@router.post("/{request_id}/verify", response=RequestDetailOut, summary="Complete or correct intake facts")
def request_verify(
    request: HttpRequest,
    request_id: ObjectId,
    payload: VerifyIn,
    response: HttpResponse,
    if_match: str | None = Header(None, alias="If-Match", max_length=40),
) -> RequestDetailOut:
    """Supply missing facts; the request leaves "to verify" once nothing is missing."""
    actor = api_actor(request)
    sr = selectors.request_get(actor=actor, request_id=request_id)
    services.request_verify(
        actor=actor,
        request=sr,
        details=services.RequestDetails(
            address_id=payload.address_id,
            contact_phone=payload.contact_phone,
            reported_model=payload.reported_model,
            reported_purchase_date=payload.reported_purchase_date,
            symptom=payload.symptom,
            window_start=payload.window_start,
            window_end=payload.window_end,
        ),
        expected_version=expected_version(payload.version, if_match),
    )
    _with_etag(response, sr)
    return request_detail_out(actor, sr)


@router.post("/{request_id}/authority-report", response=RequestDetailOut, summary="File the report to the authority")
def request_authority_report(
    request: HttpRequest,
    request_id: ObjectId,
    payload: AuthorityReportIn,
    response: HttpResponse,
    if_match: str | None = Header(None, alias="If-Match", max_length=40),
) -> RequestDetailOut:
    """A manager's written report on a complaint transferred by an authority; meets its time limit."""
    actor = api_actor(request)
    sr = selectors.request_get(actor=actor, request_id=request_id)
    services.request_authority_report(
        actor=actor, request=sr, report=payload.report, expected_version=expected_version(payload.version, if_match)
    )
    _with_etag(response, sr)
    return request_detail_out(actor, sr)
