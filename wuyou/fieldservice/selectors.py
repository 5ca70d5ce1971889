"""Reads of the engineer's day: his route, with when to leave for each stop and whether the phone is shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Role
from wuyou.accounts.selectors import calendar_for_outlet
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.dispatch.selectors import ARRIVE_EARLY, day_origin, work_order_contact, work_orders_visible
from wuyou.tickets.models import Status
from wuyou.tickets.selectors import Contact


@dataclass(frozen=True)
class RouteStop:
    """One job in an engineer's day, with when to leave for it and the customer's contact details as he sees them."""

    work_order: WorkOrder
    leave_at: dt.datetime | None
    contact: Contact

    @property
    def phone_visible(self) -> bool:
        """He may call the customer: the whole number is shown (on the visit's day, while it is open)."""
        return not self.contact.phone_masked


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
        stops.append(
            RouteStop(
                work_order=wo,
                leave_at=work_order_leave_at(wo),
                contact=work_order_contact(actor=actor, work_order=wo, today=today),
            )
        )
    return stops


def work_order_leave_at(wo: WorkOrder) -> dt.datetime | None:
    """When he must set off for the visit: to be at the door 5–10 minutes before the planned start (R-F2).

    The plan's arrival already says so (the optimiser arrives ARRIVE_EARLY before the start where the route
    allows, or as soon as he can get there after the previous job); an arrival stored earlier than that (a plan
    committed before arrivals were timed late) is moved up to ARRIVE_EARLY before the start.
    """
    if wo.planned_start is None or wo.travel_minutes is None:
        return None
    arrival = wo.planned_start - ARRIVE_EARLY
    if wo.planned_arrival is not None:
        arrival = max(arrival, min(wo.planned_arrival, wo.planned_start))
    return arrival - dt.timedelta(minutes=wo.travel_minutes)
