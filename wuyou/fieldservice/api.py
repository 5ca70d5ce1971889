"""The engineer's visit in the API, under /api/v1/dispatch: his day, each step and exception of a visit."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from wuyou.accounts.actors import api_actor
from wuyou.core.schemas import BoundedDate, ObjectId
from wuyou.dispatch import selectors
from wuyou.dispatch.api import IfMatch, OutletToday, expected_version, work_order_answer
from wuyou.dispatch.schemas import WorkOrderOut
from wuyou.fieldservice import services
from wuyou.fieldservice.schemas import ExceptionIn, ExceptionValue, MyDayOut, StepIn, StepValue, StopOut
from wuyou.fieldservice.selectors import engineer_day_route

# Mounted beside dispatch's router under /api/v1/dispatch: the paths stayed when the app was cut (ADR 0004).
router = Router(tags=["dispatch"])


@router.post("/work-orders/{work_order_id}/steps/{step}", response=WorkOrderOut, summary="Record a step of the visit")
def work_order_step(
    request: HttpRequest,
    work_order_id: ObjectId,
    step: StepValue,
    payload: StepIn,
    response: HttpResponse,
    if_match: IfMatch = None,
) -> WorkOrderOut:
    """Confirm, set off, arrive, diagnose, record work and parts, take back, test, rate and sign, finish."""
    actor = api_actor(request)
    wo = selectors.work_order_get(actor=actor, work_order_id=work_order_id)
    services.work_order_step(
        actor=actor,
        work_order=wo,
        step=step,
        entry=services.StepInput(
            note=payload.note,
            parts=tuple((p.code, p.serial, p.quantity) for p in payload.parts),
            receipt=payload.receipt,
            test_run_ok=payload.test_run_ok,
            quality=payload.quality,
            attitude=payload.attitude,
            signature=payload.signature,
            signed_by=payload.signed_by,
            not_sure_fixed=payload.not_sure_fixed,
            no_time_for_test_run=payload.no_time_for_test_run,
        ),
        expected_version=expected_version(payload.version, if_match),
    )
    return work_order_answer(actor, wo, response)


@router.post(
    "/work-orders/{work_order_id}/exceptions/{kind}", response=WorkOrderOut, summary="Report an exception on a visit"
)
def work_order_exception(
    request: HttpRequest,
    work_order_id: ObjectId,
    kind: ExceptionValue,
    payload: ExceptionIn,
    response: HttpResponse,
    if_match: IfMatch = None,
) -> WorkOrderOut:
    """Nobody home, entry refused, running late, compensation asked or handed back; the centre is told."""
    actor = api_actor(request)
    wo = selectors.work_order_get(actor=actor, work_order_id=work_order_id)
    services.work_order_exception(
        actor=actor,
        work_order=wo,
        kind=kind,
        note=payload.note,
        late_minutes=payload.late_minutes,
        expected_version=expected_version(payload.version, if_match),
    )
    # Answered from the object in hand: a visit handed back is no longer the engineer's to read again.
    return work_order_answer(actor, wo, response)


@router.get("/my-day", response=MyDayOut, summary="The engineer's day")
def my_day(request: HttpRequest, day: Annotated[BoundedDate | None, Query(None)] = None) -> MyDayOut:
    """The caller's jobs of the day (today by default) in route order, with when to leave for each.

    The customer's phone is given only while the visit is active; other roles get an empty day.
    """
    actor = api_actor(request)
    day = day or OutletToday().at(actor.outlet_id)
    stops = []
    for stop in engineer_day_route(actor=actor, day=day):
        wo = stop.work_order
        sr = wo.request
        unit = sr.unit
        stops.append(
            StopOut(
                work_order_id=wo.pk,
                number=wo.number or "",
                status=wo.status,
                job_type=wo.job_type,
                route_position=wo.route_position,
                customer_name=sr.customer.name,
                phone=None if stop.contact.phone_masked else stop.contact.phone,
                phone_visible=not stop.contact.phone_masked,
                address=stop.contact.address,
                latitude=float(wo.latitude) if stop.contact.address_shown else None,
                longitude=float(wo.longitude) if stop.contact.address_shown else None,
                product_model=f"{unit.product_model.code} {unit.product_model.name}".strip() if unit else "",
                symptom=sr.symptom,
                window_start=wo.window_start,
                window_end=wo.window_end,
                leave_at=stop.leave_at,
                planned_arrival=wo.planned_arrival,
                planned_start=wo.planned_start,
                planned_end=wo.planned_end,
                travel_minutes=wo.travel_minutes,
                duration_minutes=wo.duration_minutes,
                late_minutes=wo.late_minutes,
                version=wo.version,
            )
        )
    return MyDayOut(day=day, stops=stops)
