"""Reads for field service: work orders in scope, engineers' shifts and skills, and a day's planning problem."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, F, Min, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor, Scope
from wuyou.accounts.models import Certificate, Outlet, Role, StaffProfile
from wuyou.accounts.selectors import calendar_for_outlet, scoped_to_actor
from wuyou.calendars.selectors import work_calendar_of
from wuyou.calendars.workdays import WorkCalendar
from wuyou.core.errors import NotFound
from wuyou.dispatch.models import (
    PLANNABLE,
    STARTED,
    AppointmentWindow,
    DispatchPlan,
    EngineerDay,
    FieldEngineer,
    StartPlace,
    WorkOrder,
    WorkOrderStatus,
)
from wuyou.routing.optimizer import Engineer, Job, Point, Problem, Window, window_options
from wuyou.tickets.models import OPEN_STATUSES, ClockState, Priority, RequestClock, Status, Step
from wuyou.tickets.selectors import Contact, request_contact

PRIORITY_WEIGHT = {Priority.LOW: 1, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 4}
# How early the engineer should be at the door (R-F2: 5–10 minutes).
ARRIVE_EARLY = dt.timedelta(minutes=7)


def work_orders_visible(*, actor: Actor) -> QuerySet[WorkOrder]:
    """Work orders the actor may see: all, a region's, an outlet's, or an engineer's own."""
    return scoped_to_actor(WorkOrder.objects.all(), actor=actor, own_jobs="engineer__user_id")


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


def day_origin(zone: dt.tzinfo, day: dt.date) -> dt.datetime:
    """Local midnight of the day: time zero of that day's planning problem."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone)


def engineer_calendar(
    field_engineer: FieldEngineer | None, outlet_id: int | None, built: dict[int | None, WorkCalendar] | None = None
) -> WorkCalendar:
    """The hours an engineer works in the field: his field calendar, else his outlet's (`built` caches by calendar)."""
    built = {} if built is None else built
    key = field_engineer.calendar_id if field_engineer is not None else None
    if key not in built:
        built[key] = (
            work_calendar_of(field_engineer.calendar)
            if field_engineer is not None and field_engineer.calendar_id is not None
            else calendar_for_outlet(outlet_id)
        )
    return built[key]


def shift_of(
    calendar: WorkCalendar, day: dt.date, override: EngineerDay | None
) -> tuple[dt.datetime, dt.datetime] | None:
    """The engineer's working span on a day (first start to last end; lunch is taken in the field), or None off duty."""
    if override is not None:
        if override.is_off:
            return None
        if override.starts_at and override.ends_at:
            return override.starts_at, override.ends_at
    shifts = calendar.shifts_on(day)
    if not shifts:
        return None
    zone = calendar.zone
    return dt.datetime.combine(day, shifts[0].start, tzinfo=zone), dt.datetime.combine(day, shifts[-1].end, tzinfo=zone)


def skills_on(day: dt.date, engineer_ids: list[int]) -> dict[int, frozenset[str]]:
    """Each engineer's skills on a day: only certificates valid that day count (R-F7)."""
    found: dict[int, set[str]] = defaultdict(set)
    rows = Certificate.objects.filter(engineer_id__in=engineer_ids, issued_on__lte=day, expires_on__gte=day)
    for engineer_id, code in rows.values_list("engineer_id", "skill__code"):
        found[engineer_id].add(code)
    return {e: frozenset(found.get(e, ())) for e in engineer_ids}


def outlet_engineers(outlet_id: int) -> list[StaffProfile]:
    """The outlet's active engineers with their field settings."""
    return list(
        StaffProfile.objects.filter(outlet_id=outlet_id, role=Role.ENGINEER, user__is_active=True)
        .select_related("field", "field__calendar", "user")
        .order_by("display_name", "pk")
    )


def _point(lat: object, lon: object) -> Point:
    return Point(float(lat), float(lon))  # type: ignore[arg-type]


def _seconds(at: dt.datetime, origin: dt.datetime) -> int:
    return int((at - origin).total_seconds())


@dataclass
class EngineerShift:
    """An engineer's day as the planner sees it."""

    profile: StaffProfile
    starts_at: dt.datetime
    ends_at: dt.datetime
    start: Point
    skills: frozenset[str]
    capacity: int
    route_version: int


@dataclass
class DayProblem:
    """A day's planning problem built from the database, and the keys to map the answer back."""

    outlet_id: int
    day: dt.date
    origin: dt.datetime
    problem: Problem
    work_orders: dict[str, WorkOrder] = field(default_factory=dict)  # job key -> work order
    engineers: dict[str, StaffProfile] = field(default_factory=dict)  # engineer key -> profile
    base_versions: dict[str, int] = field(default_factory=dict)  # str(staff id) -> route version seen
    fixed: dict[str, list[int]] = field(default_factory=dict)  # engineer key -> started work orders kept as they are


def engineer_shifts(outlet: Outlet, day: dt.date, *, now: dt.datetime | None = None) -> list[EngineerShift]:
    """The outlet's engineers on duty that day, each with hours, start point, valid skills and van."""
    engineers = outlet_engineers(outlet.pk)
    overrides = {d.engineer_id: d for d in EngineerDay.objects.filter(engineer__in=engineers, day=day)}
    skills = skills_on(day, [e.pk for e in engineers])
    shifts: list[EngineerShift] = []
    calendars: dict[int | None, WorkCalendar] = {}  # engineers share a few calendars: build each once
    for profile in engineers:
        field_engineer: FieldEngineer | None = getattr(profile, "field", None)
        span = shift_of(engineer_calendar(field_engineer, outlet.pk, calendars), day, overrides.get(profile.pk))
        if span is None:
            continue
        starts_at, ends_at = span
        if now is not None:
            starts_at = max(starts_at, now)
        if starts_at >= ends_at:
            continue
        start = _base_point(field_engineer, outlet)
        if start is None:
            continue  # nowhere to start from: the outlet has no coordinates
        override = overrides.get(profile.pk)
        shifts.append(
            EngineerShift(
                profile=profile,
                starts_at=starts_at,
                ends_at=ends_at,
                start=start,
                skills=skills[profile.pk],
                capacity=field_engineer.van_capacity if field_engineer is not None else 0,
                route_version=override.route_version if override is not None else 0,
            )
        )
    return shifts


def _base_point(field_engineer: FieldEngineer | None, outlet: Outlet) -> Point | None:
    """Where the engineer starts and ends his day: home when he starts from home, else the outlet (None: neither)."""
    if (
        field_engineer is not None
        and field_engineer.starts_from == StartPlace.HOME
        and field_engineer.home_latitude is not None
    ):
        return _point(field_engineer.home_latitude, field_engineer.home_longitude)
    if outlet.latitude is not None and outlet.longitude is not None:
        return _point(outlet.latitude, outlet.longitude)
    return None


def _on_day(day_start: dt.datetime, day_end: dt.datetime) -> Q:
    """Visits booked into the day: by their appointment, or (not yet planned) by a window the customer accepts."""
    return Q(window_start__lt=day_end, window_end__gt=day_start) | Q(
        window_start__isnull=True, windows__starts_at__lt=day_end, windows__ends_at__gt=day_start
    )


def _day_work_orders(outlet_id: int, day_start: dt.datetime, day_end: dt.datetime) -> list[WorkOrder]:
    on_day = _on_day(day_start, day_end)
    # A visit whose request was closed or cancelled meanwhile is not planned (committing it would fail);
    # one the engineer has started stays where it is whatever the request says.
    live = Q(status__in=STARTED) | Q(status__in=PLANNABLE, request__status__in=OPEN_STATUSES)
    return list(
        WorkOrder.objects.filter(on_day, live, outlet_id=outlet_id)
        .distinct()
        .select_related("request")
        .prefetch_related(
            "skills",
            Prefetch(
                "windows", queryset=AppointmentWindow.objects.filter(starts_at__lt=day_end, ends_at__gt=day_start)
            ),
        )
        .order_by("window_start", "pk")
    )


def job_windows(work_order: WorkOrder, origin: dt.datetime, earliest: dt.datetime) -> tuple[Window, ...]:
    """The windows the visit may start in, as seconds of the day; a missed window means "as soon as possible"."""
    spans = (
        [(work_order.window_start, work_order.window_end)]
        if work_order.window_start and work_order.window_end
        else [(w.starts_at, w.ends_at) for w in work_order.windows.all()]
    )
    windows = []
    for start, end in spans:
        start = max(start, earliest)
        end = max(end, start)  # missed: start at once
        windows.append(Window(_seconds(start, origin), _seconds(end, origin)))
    return tuple(windows)


# The time limits a visit answers to: deferring it past one of these breaches it.
VISIT_STEPS = (Step.ON_SITE, Step.RESOLVED, Step.COMPLAINT_DISPOSITION)


def _visit_deadlines(request_ids: list[int]) -> dict[int, dt.datetime]:
    """Each request's nearest running deadline among the steps a visit answers (not, say, the first response)."""
    rows = (
        RequestClock.objects.filter(request_id__in=request_ids, state=ClockState.RUNNING, step__in=VISIT_STEPS)
        .values("request_id")
        .annotate(due=Min("due_at"))
    )
    return {row["request_id"]: row["due"] for row in rows}


def day_problem(*, outlet: Outlet, day: dt.date, now: dt.datetime | None = None) -> DayProblem:
    """The outlet's day as a planning problem: booked and planned jobs, engineers on duty; started jobs stay put.

    A job is required when its request is urgent or a time limit the visit answers (on site, resolved, complaint
    disposition) runs out before the day ends.
    """
    now = now or timezone.now()
    zone = calendar_for_outlet(outlet.pk).zone
    origin = day_origin(zone, day)
    day_end = origin + dt.timedelta(days=1)
    replanning = origin <= now < day_end
    shifts = engineer_shifts(outlet, day, now=now if replanning else None)
    orders = _day_work_orders(outlet.pk, origin, day_end)
    result = DayProblem(outlet_id=outlet.pk, day=day, origin=origin, problem=Problem((), ()))
    by_engineer = {s.profile.pk: s for s in shifts}
    # A started job is kept as it is: the engineer's day resumes from it, where and when it ends.
    for wo in orders:
        if wo.status in STARTED and wo.engineer_id in by_engineer:
            shift = by_engineer[wo.engineer_id]
            begun = wo.arrived_at or wo.planned_start or now
            free_at = max(begun + dt.timedelta(minutes=wo.duration_minutes), now)
            shift.starts_at = max(shift.starts_at, free_at)
            shift.start = _point(wo.latitude, wo.longitude)
            result.fixed.setdefault(f"e{wo.engineer_id}", []).append(wo.pk)
    engineers = []
    for s in shifts:
        key = f"e{s.profile.pk}"
        result.engineers[key] = s.profile
        result.base_versions[str(s.profile.pk)] = s.route_version
        if s.starts_at >= s.ends_at:
            continue
        engineers.append(
            Engineer(
                key=key,
                start=s.start,
                end=s.start if not result.fixed.get(key) else _home_point(s, outlet),
                shift_start=_seconds(s.starts_at, origin),
                shift_end=_seconds(s.ends_at, origin),
                skills=s.skills,
                capacity=s.capacity,
            )
        )
    earliest = max(now, origin) if replanning else origin
    visit_due = _visit_deadlines([wo.request_id for wo in orders])
    jobs = []
    for wo in orders:
        if wo.status in STARTED:
            continue
        key = f"wo{wo.pk}"
        result.work_orders[key] = wo
        due = visit_due.get(wo.request_id)
        pinned = wo.pinned and wo.engineer_id is not None
        jobs.append(
            _job_of(
                wo,
                key,
                job_windows(wo, origin, earliest),
                required=wo.request.priority == Priority.URGENT or (due is not None and due < day_end),
                priority=PRIORITY_WEIGHT.get(wo.request.priority, 1),  # type: ignore[call-overload]
                pinned_to=f"e{wo.engineer_id}" if pinned else None,
                pinned_start=_seconds(wo.planned_start, origin) if pinned and wo.planned_start else None,
            )
        )
    result.problem = Problem(engineers=tuple(engineers), jobs=tuple(jobs))
    return result


def _home_point(shift: EngineerShift, outlet: Outlet) -> Point:
    """Where the engineer ends the day: home or the outlet (not the job he is on)."""
    return _base_point(getattr(shift.profile, "field", None), outlet) or shift.start


def unplanned_work_orders(*, actor: Actor, outlet_id: int, day: dt.date) -> list[WorkOrder]:
    """The day's booked jobs no engineer has yet, for the board."""
    zone = calendar_for_outlet(outlet_id).zone
    origin = day_origin(zone, day)
    end = origin + dt.timedelta(days=1)
    return list(
        work_orders_visible(actor=actor)
        .filter(outlet_id=outlet_id, status=WorkOrderStatus.BOOKED, engineer__isnull=True)
        .filter(_on_day(origin, end))
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


def _job_of(wo: WorkOrder, key: str, windows: tuple[Window, ...], **planning: Any) -> Job:
    """The visit as the optimiser sees it; `planning` adds what a day's plan weighs (required, priority, pin)."""
    return Job(
        key=key,
        location=_point(wo.latitude, wo.longitude),
        duration=wo.duration_minutes * 60,
        windows=windows,
        skills=frozenset(s.code for s in wo.skills.all()),
        load=wo.load,
        **planning,
    )


def booking_options(
    *, actor: Actor, work_order: WorkOrder, days: int = BOOKING_DAYS, now: dt.datetime | None = None
) -> list[BookingOption]:
    """The next days' slots for a visit, each marked feasible or not from the engineers' booked days (R-D3)."""
    from wuyou.dispatch.services import travel_model  # services import this module: late import

    now = now or timezone.now()
    outlet = Outlet.objects.get(pk=work_order.outlet_id)
    zone = calendar_for_outlet(outlet.pk).zone
    today = timezone.localtime(now, zone).date()
    travel = travel_model()
    options: list[BookingOption] = []
    for offset in range(max(1, min(days, 14))):
        day = today + dt.timedelta(days=offset)
        origin = day_origin(zone, day)
        shifts = engineer_shifts(outlet, day)
        if not shifts:
            continue
        engineers = [
            Engineer(
                key=f"e{s.profile.pk}",
                start=s.start,
                end=s.start,
                shift_start=_seconds(s.starts_at, origin),
                shift_end=_seconds(s.ends_at, origin),
                skills=s.skills,
                capacity=s.capacity,
            )
            for s in shifts
        ]
        names = {f"e{s.profile.pk}": s.profile.display_name for s in shifts}
        routes: dict[str, list[Job]] = defaultdict(list)
        waiting: list[Job] = []
        for wo in _day_work_orders(outlet.pk, origin, origin + dt.timedelta(days=1)):
            if wo.pk == work_order.pk:
                continue
            windows = job_windows(wo, origin, origin)
            if wo.engineer_id is not None and wo.planned_start is not None:
                start = _seconds(wo.planned_start, origin)
                routes[f"e{wo.engineer_id}"].append(_job_of(wo, f"wo{wo.pk}", (Window(start, start),)))
            else:
                waiting.append(_job_of(wo, f"wo{wo.pk}", windows))
        for route in routes.values():
            # Visiting order is planned time, not the order of the windows (a long window may be visited late).
            route.sort(key=lambda j: j.windows[0].start)
        # Booked jobs nobody has yet take their room first, so a slot is not offered twice.
        for job in waiting:
            taken = window_options(engineers, routes, job, job.windows[:1], travel=travel)
            if taken and taken[0].engineer is not None:
                routes[taken[0].engineer].append(job)
                routes[taken[0].engineer].sort(key=lambda j: j.windows[0].start)
        candidates = []
        for start_t, end_t in BOOKING_SLOTS:
            slot_start = dt.datetime.combine(day, start_t, tzinfo=zone)
            slot_end = dt.datetime.combine(day, end_t, tzinfo=zone)
            if slot_end <= now + dt.timedelta(minutes=30):
                continue
            candidates.append(Window(_seconds(max(slot_start, now), origin), _seconds(slot_end, origin)))
        if not candidates:
            continue
        job = _job_of(work_order, "new", ())
        for option in window_options(engineers, routes, job, candidates, travel=travel):
            options.append(
                BookingOption(
                    starts_at=origin + dt.timedelta(seconds=option.window.start),
                    ends_at=origin + dt.timedelta(seconds=option.window.end),
                    feasible=option.feasible,
                    engineer=names.get(option.engineer or "", ""),
                    extra_travel_minutes=round(option.extra_travel / 60) if option.extra_travel is not None else None,
                )
            )
    return options


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
