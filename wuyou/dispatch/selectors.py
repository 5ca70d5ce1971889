"""Reads for field service: work orders in scope, engineers' shifts and skills, and a day's planning problem."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor, Scope
from wuyou.accounts.models import Outlet, StaffProfile
from wuyou.accounts.selectors import calendar_for_outlet, scoped_to_actor
from wuyou.core.errors import NotFound
from wuyou.dispatch.models import (
    PLANNABLE,
    STARTED,
    AppointmentWindow,
    DispatchPlan,
    WorkOrder,
    WorkOrderStatus,
)
from wuyou.dispatch.problem import (
    day_origin,
    day_work_orders,
    engineer_shifts,
    job_of,
    job_windows,
    on_day,
    outlet_engineers,
    seconds_from,
    skills_on,
)
from wuyou.routing.optimizer import Engineer, Job, TravelModel, Window, can_do, window_options
from wuyou.tickets.models import Status
from wuyou.tickets.selectors import Contact, request_contact

# How early the engineer should be at the door (R-F2: 5–10 minutes).
ARRIVE_EARLY = dt.timedelta(minutes=7)


def work_orders_visible(*, actor: Actor) -> QuerySet[WorkOrder]:
    """Work orders the actor may see: all, a region's, an outlet's, or an engineer's own."""
    return scoped_to_actor(WorkOrder.objects.all(), actor=actor, own_jobs="engineer__user_id")


def parts_used_prefetch() -> Prefetch:
    """Prefetch of the ledger moves that `WorkOrder.parts_used` reads, parts joined (one query for a list).

    The ledger is wuyou.parts' (above dispatch): its model is reached through the reverse relation, not imported.
    """
    ledger = WorkOrder._meta.get_field("stock_moves").related_model
    return Prefetch("stock_moves", queryset=ledger._default_manager.select_related("part"))  # type: ignore[union-attr]


def work_order_get(*, actor: Actor, work_order_id: int) -> WorkOrder:
    """One visible work order with its request, customer and engineer; NotFound otherwise."""
    found = (
        work_orders_visible(actor=actor)
        .select_related("request", "request__customer", "request__unit__product_model", "engineer", "outlet")
        .prefetch_related("skills", "windows")
        .filter(pk=work_order_id)
        .first()
    )
    if found is None:
        raise NotFound(_("No such work order."))
    return found


def plans_visible(*, actor: Actor) -> QuerySet[DispatchPlan]:
    """Dispatch plans of the outlets the actor sees; engineers see none."""
    return scoped_to_actor(DispatchPlan.objects.select_related("outlet"), actor=actor)


def plan_get(*, actor: Actor, plan_id: int) -> DispatchPlan:
    """One visible plan; NotFound otherwise."""
    plan = plans_visible(actor=actor).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(_("No such plan."))
    return plan


def unplanned_work_orders(*, actor: Actor, outlet_id: int, day: dt.date) -> list[WorkOrder]:
    """The day's booked jobs no engineer has yet, for the board."""
    zone = calendar_for_outlet(outlet_id).zone
    origin = day_origin(zone, day)
    end = origin + dt.timedelta(days=1)
    return list(
        work_orders_visible(actor=actor)
        .filter(outlet_id=outlet_id, status=WorkOrderStatus.BOOKED, engineer__isnull=True)
        .filter(on_day(origin, end))
        .distinct()
        .select_related("request", "request__customer")
        .prefetch_related("skills", "windows")
        .order_by("window_start", "pk")
    )


def unbooked_work_orders(*, actor: Actor, outlet_id: int | None = None) -> QuerySet[WorkOrder]:
    """Work orders still waiting for the customer to choose a time."""
    qs = work_orders_visible(actor=actor).filter(status=WorkOrderStatus.UNBOOKED)
    if outlet_id is not None:
        qs = qs.filter(outlet_id=outlet_id)
    return qs.select_related("request", "request__customer").order_by("created_at")


def planned_routes(*, outlet_id: int, day: dt.date) -> dict[int, list[WorkOrder]]:
    """Committed routes of the day per engineer id, in order (started and done jobs included)."""
    zone = calendar_for_outlet(outlet_id).zone
    origin = day_origin(zone, day)
    rows = (
        WorkOrder.objects.filter(
            outlet_id=outlet_id,
            engineer__isnull=False,
            planned_start__gte=origin,
            planned_start__lt=origin + dt.timedelta(days=1),
        )
        .exclude(status=WorkOrderStatus.CANCELLED)
        .exclude(request__status=Status.CANCELLED)  # a cancelled request's visit is off his route
        .select_related("request", "request__customer")
        .order_by("engineer_id", "planned_start", "pk")
    )
    routes: dict[int, list[WorkOrder]] = defaultdict(list)
    for wo in rows:
        assert wo.engineer_id is not None
        routes[wo.engineer_id].append(wo)
    return dict(routes)


def latest_plan(*, actor: Actor, outlet_id: int, day: dt.date) -> DispatchPlan | None:
    """The newest plan of the outlet's day, if any."""
    return plans_visible(actor=actor).filter(outlet_id=outlet_id, day=day).order_by("-created_at", "-pk").first()


# The slots the desk offers a customer, local time; evenings are an ordinary choice (R-D3).
BOOKING_SLOTS = (
    (dt.time(8, 30), dt.time(10, 30)),
    (dt.time(10, 30), dt.time(12, 30)),
    (dt.time(13, 30), dt.time(15, 30)),
    (dt.time(15, 30), dt.time(17, 30)),
    (dt.time(18, 0), dt.time(20, 0)),
    (dt.time(19, 30), dt.time(21, 30)),
)
BOOKING_DAYS = 7


@dataclass(frozen=True)
class BookingOption:
    """A window the desk may offer: feasible when an engineer with the skills has room nearby."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    feasible: bool
    engineer: str  # display name of the engineer who would fit it in
    extra_travel_minutes: int | None


@dataclass
class _BookedDay:
    """An outlet's day as bookings see it: the engineers on shift and the visits already holding their time."""

    origin: dt.datetime
    engineers: list[Engineer]
    names: dict[str, str]
    routes: dict[str, list[Job]]


def _booked_day(
    outlet_id: int, zone: ZoneInfo, day: dt.date, *, leave_out: int, travel: TravelModel
) -> _BookedDay | None:
    """The outlet's booked day without visit `leave_out`, or None when no engineer works that day.

    Planned visits hold their engineer's time at their planned start; booked ones nobody has yet take the room
    they would first fit into, so a window is not offered (nor booked) twice.
    """
    outlet = Outlet.objects.get(pk=outlet_id)
    origin = day_origin(zone, day)
    shifts = engineer_shifts(outlet, day)
    if not shifts:
        return None
    engineers = [
        Engineer(
            key=f"e{s.profile.pk}",
            start=s.start,
            end=s.start,
            shift_start=seconds_from(s.starts_at, origin),
            shift_end=seconds_from(s.ends_at, origin),
            skills=s.skills,
            capacity=s.capacity,
        )
        for s in shifts
    ]
    routes: dict[str, list[Job]] = defaultdict(list)
    waiting: list[Job] = []
    for wo in day_work_orders(outlet_id, origin, origin + dt.timedelta(days=1)):
        if wo.pk == leave_out:
            continue
        if wo.engineer_id is not None and wo.planned_start is not None:
            start = seconds_from(wo.planned_start, origin)
            routes[f"e{wo.engineer_id}"].append(job_of(wo, f"wo{wo.pk}", (Window(start, start),)))
        else:
            waiting.append(job_of(wo, f"wo{wo.pk}", job_windows(wo, origin, origin)))
    for route in routes.values():
        # Visiting order is planned time, not the order of the windows (a long window may be visited late).
        route.sort(key=lambda j: j.windows[0].start)
    for job in waiting:
        taken = window_options(engineers, routes, job, job.windows[:1], travel=travel)
        if taken and taken[0].engineer is not None:
            routes[taken[0].engineer].append(job)
            routes[taken[0].engineer].sort(key=lambda j: j.windows[0].start)
    names = {f"e{s.profile.pk}": s.profile.display_name for s in shifts}
    return _BookedDay(origin=origin, engineers=engineers, names=names, routes=routes)


def _options(
    booked: _BookedDay, work_order: WorkOrder, candidates: list[Window], travel: TravelModel
) -> list[BookingOption]:
    job = job_of(work_order, "new", ())
    return [
        BookingOption(
            starts_at=booked.origin + dt.timedelta(seconds=option.window.start),
            ends_at=booked.origin + dt.timedelta(seconds=option.window.end),
            feasible=option.feasible,
            engineer=booked.names.get(option.engineer or "", ""),
            extra_travel_minutes=round(option.extra_travel / 60) if option.extra_travel is not None else None,
        )
        for option in window_options(booked.engineers, booked.routes, job, candidates, travel=travel)
    ]


def booking_options(
    *, actor: Actor, work_order: WorkOrder, days: int = BOOKING_DAYS, now: dt.datetime | None = None
) -> list[BookingOption]:
    """The next days' slots for a visit, each marked feasible or not from the engineers' booked days (R-D3)."""
    from wuyou.dispatch.services import travel_model  # services import this module: late import

    now = now or timezone.now()
    zone = calendar_for_outlet(work_order.outlet_id).zone
    today = timezone.localtime(now, zone).date()
    travel = travel_model()
    options: list[BookingOption] = []
    for offset in range(max(1, min(days, 14))):
        day = today + dt.timedelta(days=offset)
        candidates = []
        for start_t, end_t in BOOKING_SLOTS:
            slot_start = dt.datetime.combine(day, start_t, tzinfo=zone)
            slot_end = dt.datetime.combine(day, end_t, tzinfo=zone)
            if slot_end > now + dt.timedelta(minutes=30):
                candidates.append((max(slot_start, now), slot_end))
        if not candidates:
            continue
        booked = _booked_day(work_order.outlet_id, zone, day, leave_out=work_order.pk, travel=travel)
        if booked is None:
            continue
        windows = [Window(seconds_from(s, booked.origin), seconds_from(e, booked.origin)) for s, e in candidates]
        options.extend(_options(booked, work_order, windows, travel))
    return options


def booking_fits(*, work_order: WorkOrder, starts_at: dt.datetime, ends_at: dt.datetime) -> BookingOption | None:
    """Whether an engineer still has room for the visit in this window, given every visit booked so far.

    None when no engineer able to do the job works that day (nothing to hold: the board shows the visit unassigned
    with its reason and the dispatcher finds someone). Callers that
    book hold the outlet's booking lock (dispatch.services.work_order_book), so two clerks cannot both take the
    last room.
    """
    from wuyou.dispatch.services import travel_model  # services import this module: late import

    zone = calendar_for_outlet(work_order.outlet_id).zone
    day = timezone.localtime(starts_at, zone).date()
    travel = travel_model()
    booked = _booked_day(work_order.outlet_id, zone, day, leave_out=work_order.pk, travel=travel)
    if booked is None or not any(can_do(e, job_of(work_order, "new", ())) for e in booked.engineers):
        return None
    window = Window(seconds_from(starts_at, booked.origin), seconds_from(ends_at, booked.origin))
    return _options(booked, work_order, [window], travel)[0]


def phone_visible_to_engineer(work_order: WorkOrder, *, today: dt.date) -> bool:
    """The engineer sees the customer's phone only while the visit is active: planned for today and not finished."""
    if work_order.status not in (*PLANNABLE, *STARTED) or work_order.planned_start is None:
        return False
    zone = calendar_for_outlet(work_order.outlet_id).zone
    return work_order.planned_start.astimezone(zone).date() == today


def work_order_contact(
    *, actor: Actor, work_order: WorkOrder, today: dt.date | Callable[[int | None], dt.date] | None = None
) -> Contact:
    """The customer's contact details on a visit as the actor may see them (the request's rule, the visit's activity).

    An engineer sees the whole phone on the visit's day while it is open (phone_visible_to_engineer), and the
    address while it is open; others as on the request. `today` is the outlet's date, or a function of the outlet
    giving it (looked up only for an engineer); default: now in the outlet's zone.
    """
    phone_active = False
    if actor.scope is Scope.OWN_JOBS:  # only an engineer's view hangs on the visit (saves the calendar look-ups)
        if today is None:
            day = timezone.localtime(timezone.now(), calendar_for_outlet(work_order.outlet_id).zone).date()
        else:
            day = today(work_order.outlet_id) if callable(today) else today
        phone_active = phone_visible_to_engineer(work_order, today=day)
    return request_contact(
        actor=actor,
        request=work_order.request,
        job_active=phone_active,
        address_active=work_order.status in (*PLANNABLE, *STARTED),
        address=work_order.address_text,
    )


@dataclass(frozen=True)
class WorkOrderFilters:
    """What a work-order list is narrowed by; None leaves a filter out."""

    status: str | None = None
    outlet_id: int | None = None
    engineer_id: int | None = None
    day: dt.date | None = None


def work_order_list(*, actor: Actor, filters: WorkOrderFilters) -> QuerySet[WorkOrder]:
    """Visible work orders, soonest appointment first; `day` matches the planned start, else the appointment windows."""
    qs = work_orders_visible(actor=actor)
    if filters.status is not None:
        qs = qs.filter(status=filters.status)
    if filters.outlet_id is not None:
        qs = qs.filter(outlet_id=filters.outlet_id)
    if filters.engineer_id is not None:
        qs = qs.filter(engineer_id=filters.engineer_id)
    if filters.day is not None:
        origin = day_origin(calendar_for_outlet(filters.outlet_id or actor.outlet_id).zone, filters.day)
        end = origin + dt.timedelta(days=1)
        offered = AppointmentWindow.objects.filter(work_order=OuterRef("pk"), starts_at__lt=end, ends_at__gt=origin)
        # A planned visit belongs to the day it is planned for; an unplanned one to its appointment or offers.
        qs = qs.filter(
            Q(planned_start__gte=origin, planned_start__lt=end)
            | Q(planned_start__isnull=True, window_start__lt=end, window_end__gt=origin)
            | (Q(planned_start__isnull=True, window_start__isnull=True) & Exists(offered))
        )
    return qs.order_by(F("window_start").asc(nulls_last=True), "pk")


def plan_labels(*, plan: DispatchPlan) -> tuple[dict[int, str], dict[int, str]]:
    """The display names of a plan's engineers and the numbers of its work orders, by id (two queries)."""
    stored = plan.proposal or {}
    engineer_ids = list((stored.get("engineers") or {}).values())
    order_ids = list((stored.get("work_orders") or {}).values())
    names = dict(StaffProfile.objects.filter(pk__in=engineer_ids).values_list("pk", "display_name"))
    numbers = {
        pk: number or f"#{pk}" for pk, number in WorkOrder.objects.filter(pk__in=order_ids).values_list("pk", "number")
    }
    return names, numbers


def skills_nobody_holds(*, work_order: WorkOrder, day: dt.date) -> list[str]:
    """The visit's skills when no engineer of its outlet holds them all on the day (valid certificates), else []."""
    needed = {s.code: s.name for s in work_order.skills.all()}
    if not needed:
        return []
    engineers = [e.pk for e in outlet_engineers(work_order.outlet_id)]
    if any(set(needed) <= held for held in skills_on(day, engineers).values()):
        return []
    return sorted(needed.values())
