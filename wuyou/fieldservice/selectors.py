"""Reads of the engineer's day: his route, with when to leave for each stop and whether the phone is shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Role
from wuyou.accounts.selectors import calendar_for_outlet
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.dispatch.selectors import ARRIVE_EARLY, day_origin, phone_visible_to_engineer, work_orders_visible
from wuyou.tickets.models import Status


@dataclass(frozen=True)
class RouteStop:
    """One job in an engineer's day, with when to leave for it."""

    work_order: WorkOrder
    leave_at: dt.datetime | None
    phone_visible: bool


def engineer_day_route(*, actor: Actor, day: dt.date) -> list[RouteStop]:
    """The acting engineer's jobs for the day in route order, each with the departure time worked back (R-F2)."""
    if actor.role != Role.ENGINEER or actor.user_id is None:
        return []
    zone = calendar_for_outlet(actor.outlet_id).zone
    origin = day_origin(zone, day)
    orders = list(
        work_orders_visible(actor=actor)
        .filter(planned_start__gte=origin, planned_start__lt=origin + dt.timedelta(days=1))
        .exclude(status=WorkOrderStatus.CANCELLED)
        .exclude(request__status=Status.CANCELLED)  # a cancelled request's visit is off his route
        .select_related("request", "request__customer", "request__unit__product_model")
        .order_by("planned_start", "route_position", "pk")
    )
    stops = []
    today = timezone.localtime(timezone.now(), zone).date()
    for wo in orders:
        leave_at = None
        if wo.planned_start is not None and wo.travel_minutes is not None:
            # Leave so as to be at the door 5–10 minutes before the planned start.
            leave_at = wo.planned_start - dt.timedelta(minutes=wo.travel_minutes) - ARRIVE_EARLY
        stops.append(
            RouteStop(work_order=wo, leave_at=leave_at, phone_visible=phone_visible_to_engineer(wo, today=today))
        )
    return stops
