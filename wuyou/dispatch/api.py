"""Field-service API under /api/v1/dispatch/: visits, booking, day plans, the engineer's day and his steps."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Status

from wuyou.accounts.actors import Actor, api_actor
from wuyou.accounts.selectors import calendar_for_outlet
from wuyou.core.errors import PermissionDenied, ValidationFailed
from wuyou.core.idempotency import idempotent
from wuyou.core.schemas import OFFSET_MAX, PAGE_MAX, BoundedDate, IdempotencyKey, ObjectId
from wuyou.dispatch import selectors, services
from wuyou.dispatch.models import DispatchPlan, UnassignedReason, WorkOrder
from wuyou.dispatch.schemas import (
    BookIn,
    BookingOptionsOut,
    BookingSlotOut,
    CancelIn,
    PartOut,
    PinIn,
    PlanAdjustIn,
    PlanIn,
    PlanOut,
    PlanRouteOut,
    PlanUnassignedOut,
    PlanVisitOut,
    WindowOut,
    WorkOrderIn,
    WorkOrderOut,
    WorkOrderPage,
    WorkOrderStatusValue,
)
from wuyou.routing import proposal
from wuyou.tickets.selectors import request_get

router = Router(tags=["dispatch"])

# Why the plan leaves a visit out, in the reader's language; keyed by the optimiser's reason codes.
REASON_LABELS = dict(UnassignedReason.choices)


# -- shaping answers -----------------------------------------------------------------------------------------------


class OutletToday:
    """Today's date in each outlet's zone, looked up once per outlet (phone visibility asks it per visit)."""

    def __init__(self) -> None:
        self._by_outlet: dict[int | None, dt.date] = {}

    def at(self, outlet_id: int | None) -> dt.date:
        """Today in the outlet's zone (the organisation's zone for an actor with no outlet)."""
        if outlet_id not in self._by_outlet:
            zone = calendar_for_outlet(outlet_id).zone
            self._by_outlet[outlet_id] = timezone.localtime(timezone.now(), zone).date()
        return self._by_outlet[outlet_id]


def work_order_out(actor: Actor, wo: WorkOrder, today: OutletToday | None = None) -> WorkOrderOut:
    """A visit as this actor may see it (the phone masked unless his role or the active job shows it)."""
    sr = wo.request
    contact = selectors.work_order_contact(actor=actor, work_order=wo, today=(today or OutletToday()).at)
    return WorkOrderOut(
        id=wo.pk,
        number=wo.number or "",
        request_id=sr.pk,
        request_number=sr.number or "",
        outlet_id=wo.outlet_id,
        job_type=wo.job_type,
        status=wo.status,
        duration_minutes=wo.duration_minutes,
        skills=sorted(s.code for s in wo.skills.all()),
        customer_name=sr.customer.name,
        customer_phone=contact.phone,
        address=contact.address,
        latitude=float(wo.latitude) if contact.address_shown else None,
        longitude=float(wo.longitude) if contact.address_shown else None,
        window_start=wo.window_start,
        window_end=wo.window_end,
        windows=[WindowOut(start=w.starts_at, end=w.ends_at) for w in wo.windows.all()],
        engineer_id=wo.engineer_id,
        engineer_name=wo.engineer.display_name if wo.engineer else "",
        planned_arrival=wo.planned_arrival,
        planned_start=wo.planned_start,
        planned_end=wo.planned_end,
        route_position=wo.route_position,
        travel_minutes=wo.travel_minutes,
        pinned=wo.pinned,
        plan_id=wo.plan_id,
        confirmed_at=wo.confirmed_at,
        departed_at=wo.departed_at,
        arrived_at=wo.arrived_at,
        finished_at=wo.finished_at,
        diagnosis=wo.diagnosis,
        work_done=wo.work_done,
        parts_used=[
            PartOut(code=p["code"], name=p["name"], serial=p["serial"], quantity=p["quantity"]) for p in wo.parts_used
        ],
        take_back_receipt=wo.take_back_receipt,
        test_run_ok=wo.test_run_ok,
        test_run_note=wo.test_run_note,
        quality_rating=wo.quality_rating,
        attitude_rating=wo.attitude_rating,
        has_signature=bool(wo.signature),
        signed_by=wo.signed_by,
        late_minutes=wo.late_minutes,
        version=wo.version,
        created_at=wo.created_at,
    )


def plan_out(plan: DispatchPlan) -> PlanOut:
    """A plan with its proposal as readable routes: engineers and visits by id, times as date-times."""
    stored: dict[str, Any] = plan.proposal or {}
    routes: list[PlanRouteOut] = []
    unassigned: list[PlanUnassignedOut] = []
    travel = distance = 0
    feasible: bool | None = None
    problems: list[str] = []
    if stored.get("plan"):
        answer = proposal.plan_load(stored["plan"])
        jobs = {j.key: j for j in proposal.problem_load(stored["problem"]).jobs}
        origin = dt.datetime.fromisoformat(stored["origin"])
        orders: dict[str, int] = stored.get("work_orders", {})
        engineers: dict[str, int] = stored.get("engineers", {})
        pinned = set(stored.get("pinned", []))
        names, numbers = selectors.plan_labels(plan=plan)

        def at(seconds: int) -> dt.datetime:
            return origin + dt.timedelta(seconds=seconds)

        for route in answer.routes:
            visits = []
            for visit in route.visits:
                job = jobs.get(visit.job)
                window = job.windows[visit.window] if job is not None and 0 <= visit.window < len(job.windows) else None
                wo_id = orders.get(visit.job, 0)
                visits.append(
                    PlanVisitOut(
                        work_order_id=wo_id,
                        number=numbers.get(wo_id, ""),
                        window_start=at(window.start) if window is not None else None,
                        window_end=at(window.end) if window is not None else None,
                        arrival=at(visit.arrival),
                        start=at(visit.start),
                        departure=at(visit.departure),
                        travel_minutes=round(visit.travel / 60),
                        pinned=visit.job in pinned,
                    )
                )
            staff_id = engineers.get(route.engineer, 0)
            routes.append(
                PlanRouteOut(
                    engineer_id=staff_id,
                    engineer_name=names.get(staff_id, ""),
                    leave_at=at(route.leave_at),
                    back_at=at(route.back_at),
                    travel_minutes=round(route.travel / 60),
                    distance_km=round(route.distance / 1000, 1),
                    visits=visits,
                )
            )
        for left in answer.unassigned:
            wo_id = orders.get(left.job, 0)
            unassigned.append(
                PlanUnassignedOut(
                    work_order_id=wo_id,
                    number=numbers.get(wo_id, ""),
                    reason=left.reason,
                    reason_text=str(REASON_LABELS.get(left.reason, left.reason)),
                )
            )
        travel, distance = answer.travel, answer.distance
        feasible, problems = answer.feasible, list(answer.problems)
    return PlanOut(
        id=plan.pk,
        outlet_id=plan.outlet_id,
        day=plan.day,
        status=plan.status,  # type: ignore[arg-type]
        progress=plan.progress,
        seconds=plan.seconds,
        reason=plan.reason,
        error=plan.error,
        routes=routes,
        unassigned=unassigned,
        travel_minutes=round(travel / 60),
        distance_km=round(distance / 1000, 1),
        feasible=feasible,
        problems=problems,
        created_at=plan.created_at,
        committed_at=plan.committed_at,
    )


def expected_version(body_version: int | None, if_match: str | None) -> int | None:
    """The version the client last saw: from the body, else from `If-Match: "<version>"`."""
    if body_version is not None or if_match is None:
        return body_version
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit() or len(tag) > 9:
        raise ValidationFailed(_('If-Match must carry the work order\'s version, e.g. "3".'), field="If-Match")
    return int(tag)


def work_order_answer(actor: Actor, wo: WorkOrder, response: HttpResponse) -> WorkOrderOut:
    """The visit as the answer to a read or a step, its `version` also sent as the ETag for If-Match."""
    response["ETag"] = f'"{wo.version}"'
    return work_order_out(actor, wo)


def _windows(payload_windows: list[Any]) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    return tuple((w.start, w.end) for w in payload_windows)


IfMatch = Annotated[str | None, Header(None, alias="If-Match", max_length=40)]


# -- work orders ---------------------------------------------------------------------------------------------------


@router.post("/requests/{request_id}/work-orders", response={201: WorkOrderOut}, summary="Open a visit")
@idempotent
def work_order_create(
    request: HttpRequest,
    request_id: ObjectId,
    payload: WorkOrderIn,
    idempotency_key: IdempotencyKey = None,
) -> WorkOrderOut:
    """Open a visit for a verified repair, installation or complaint request; with windows it is booked at once."""
    actor = api_actor(request)
    sr = request_get(actor=actor, request_id=request_id)
    wo = services.work_order_open(
        actor=actor,
        request=sr,
        visit=services.WorkOrderInput(
            job_type=payload.job_type,
            duration_minutes=payload.duration_minutes,
            skill_codes=tuple(payload.skill_codes) if payload.skill_codes is not None else None,
            windows=_windows(payload.windows),
        ),
    )
    return work_order_out(actor, selectors.work_order_get(actor=actor, work_order_id=wo.pk))


@router.get("/work-orders", response=WorkOrderPage, summary="List visits")
def work_order_list(
    request: HttpRequest,
    status: Annotated[WorkOrderStatusValue | None, Query(None)] = None,
    outlet_id: Annotated[ObjectId | None, Query(None)] = None,
    engineer_id: Annotated[ObjectId | None, Query(None)] = None,
    day: Annotated[BoundedDate | None, Query(None)] = None,
    limit: int = Query(50, ge=1, le=PAGE_MAX),
    offset: int = Query(0, ge=0, le=OFFSET_MAX),
) -> WorkOrderPage:
    """Visible visits, soonest appointment first; `day` matches the planned start, else the appointment windows."""
    actor = api_actor(request)
    qs = selectors.work_order_list(
        actor=actor,
        filters=selectors.WorkOrderFilters(status=status, outlet_id=outlet_id, engineer_id=engineer_id, day=day),
    )
    page = qs.select_related("request", "request__customer", "engineer").prefetch_related(
        "skills", "windows", "request__customer__phones", selectors.parts_used_prefetch()
    )[offset : offset + limit]
    today = OutletToday()
    return WorkOrderPage(
        items=[work_order_out(actor, wo, today) for wo in page], count=qs.count(), limit=limit, offset=offset
    )


@router.get("/work-orders/{work_order_id}", response=WorkOrderOut, summary="A visit")
def work_order_detail(request: HttpRequest, work_order_id: ObjectId, response: HttpResponse) -> WorkOrderOut:
    """One visible visit with its record so far and `version` (also sent as ETag)."""
    actor = api_actor(request)
    return work_order_answer(actor, selectors.work_order_get(actor=actor, work_order_id=work_order_id), response)


@router.get(
    "/work-orders/{work_order_id}/booking-options", response=BookingOptionsOut, summary="Windows to offer the customer"
)
def work_order_booking_options(
    request: HttpRequest,
    work_order_id: ObjectId,
    days: int = Query(selectors.BOOKING_DAYS, ge=1, le=14),
) -> BookingOptionsOut:
    """The next days' slots, each feasible or not from the engineers' booked days, with who would fit it in."""
    actor = api_actor(request)
    wo = selectors.work_order_get(actor=actor, work_order_id=work_order_id)
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not book visits."))
    options = selectors.booking_options(actor=actor, work_order=wo, days=days)
    return BookingOptionsOut(
        work_order_id=wo.pk,
        slots=[
            BookingSlotOut(
                start=o.starts_at,
                end=o.ends_at,
                feasible=o.feasible,
                engineer=o.engineer,
                extra_travel_minutes=o.extra_travel_minutes,
            )
            for o in options
        ],
    )


@router.post("/work-orders/{work_order_id}/book", response=WorkOrderOut, summary="Book the customer's window(s)")
def work_order_book(
    request: HttpRequest,
    work_order_id: ObjectId,
    payload: BookIn,
    response: HttpResponse,
    if_match: IfMatch = None,
) -> WorkOrderOut:
    """Record the window(s) the customer accepts; one is the appointment, several let the plan choose."""
    actor = api_actor(request)
    wo = selectors.work_order_get(actor=actor, work_order_id=work_order_id)
    services.work_order_book(
        actor=actor,
        work_order=wo,
        windows=_windows(payload.windows),
        expected_version=expected_version(payload.version, if_match),
    )
    return work_order_answer(actor, selectors.work_order_get(actor=actor, work_order_id=work_order_id), response)


@router.post("/work-orders/{work_order_id}/cancel", response=WorkOrderOut, summary="Call off a visit not under way")
def work_order_cancel(
    request: HttpRequest, work_order_id: ObjectId, payload: CancelIn, response: HttpResponse
) -> WorkOrderOut:
    """Call off a visit before the engineer sets out; the engineer is told if it was on his route."""
    actor = api_actor(request)
    wo = selectors.work_order_get(actor=actor, work_order_id=work_order_id)
    services.work_order_cancel(actor=actor, work_order=wo, reason=payload.reason.strip() or "—")
    return work_order_answer(actor, selectors.work_order_get(actor=actor, work_order_id=work_order_id), response)


# -- day plans -----------------------------------------------------------------------------------------------------


@router.post("/plans", response={202: PlanOut}, summary="Optimise an outlet's day")
@idempotent
def plan_create(request: HttpRequest, payload: PlanIn, idempotency_key: IdempotencyKey = None) -> Status:
    """Queue an optimisation; a worker runs it. Poll the plan for `progress` until it is `ready` (or `failed`)."""
    actor = api_actor(request)
    plan = services.plan_request(actor=actor, outlet_id=payload.outlet_id, day=payload.day, seconds=payload.seconds)
    return Status(202, plan_out(plan))


@router.get("/plans/{plan_id}", response=PlanOut, summary="A plan and its proposal")
def plan_detail(request: HttpRequest, plan_id: ObjectId) -> PlanOut:
    """Status and progress; once ready, the proposed routes, the visits left out and why, totals and feasibility."""
    return plan_out(selectors.plan_get(actor=api_actor(request), plan_id=plan_id))


@router.post("/plans/{plan_id}/adjust", response=PlanOut, summary="Move a visit by hand")
def plan_adjust(request: HttpRequest, plan_id: ObjectId, payload: PlanAdjustIn) -> PlanOut:
    """Reassign or reorder a visit, or take it out of the plan (`engineer_id` null); the plan is re-checked."""
    actor = api_actor(request)
    plan = selectors.plan_get(actor=actor, plan_id=plan_id)
    plan = services.plan_adjust(
        actor=actor,
        plan=plan,
        work_order_id=payload.work_order_id,
        engineer_id=payload.engineer_id,
        position=payload.position,
    )
    return plan_out(plan)


@router.post("/plans/{plan_id}/pin", response=PlanOut, summary="Pin or release a visit")
def plan_pin(request: HttpRequest, plan_id: ObjectId, payload: PinIn) -> PlanOut:
    """A pinned visit keeps its engineer and time when the day is planned again."""
    actor = api_actor(request)
    plan = selectors.plan_get(actor=actor, plan_id=plan_id)
    return plan_out(
        services.plan_pin(actor=actor, plan=plan, work_order_id=payload.work_order_id, pinned=payload.pinned)
    )


@router.post("/plans/{plan_id}/commit", response=PlanOut, summary="Commit a plan")
def plan_commit(request: HttpRequest, plan_id: ObjectId) -> PlanOut:
    """Make the proposal the engineers' routes; 409 when another dispatcher changed a route since it was made."""
    actor = api_actor(request)
    plan = selectors.plan_get(actor=actor, plan_id=plan_id)
    return plan_out(services.plan_commit(actor=actor, plan=plan))


@router.post("/plans/{plan_id}/discard", response=PlanOut, summary="Discard a plan")
def plan_discard(request: HttpRequest, plan_id: ObjectId) -> PlanOut:
    """Throw the proposal away."""
    actor = api_actor(request)
    plan = selectors.plan_get(actor=actor, plan_id=plan_id)
    return plan_out(services.plan_discard(actor=actor, plan=plan))
