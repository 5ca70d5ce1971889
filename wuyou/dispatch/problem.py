"""A day's dispatch problem read from the database (R-F1, R-F6): shifts, skills, homes, visits and windows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Min, Prefetch, Q
from django.utils import timezone

from wuyou.accounts.models import Certificate, Outlet, Role, StaffProfile
from wuyou.accounts.selectors import calendar_for_outlet
from wuyou.calendars.selectors import work_calendar_of
from wuyou.calendars.workdays import WorkCalendar
from wuyou.dispatch.models import (
    PLANNABLE,
    STARTED,
    AppointmentWindow,
    EngineerDay,
    FieldEngineer,
    StartPlace,
    WorkOrder,
)
from wuyou.routing.optimizer import Engineer, Job, Point, Problem, Window
from wuyou.tickets.models import OPEN_STATUSES, ClockState, Priority, RequestClock, Step

PRIORITY_WEIGHT = {Priority.LOW: 1, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 4}


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


def point_of(lat: object, lon: object) -> Point:
    return Point(float(lat), float(lon))  # type: ignore[arg-type]


def seconds_from(at: dt.datetime, origin: dt.datetime) -> int:
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
        return point_of(field_engineer.home_latitude, field_engineer.home_longitude)
    if outlet.latitude is not None and outlet.longitude is not None:
        return point_of(outlet.latitude, outlet.longitude)
    return None


def on_day(day_start: dt.datetime, day_end: dt.datetime) -> Q:
    """Visits booked into the day: by their appointment, or (not yet planned) by a window the customer accepts."""
    return Q(window_start__lt=day_end, window_end__gt=day_start) | Q(
        window_start__isnull=True, windows__starts_at__lt=day_end, windows__ends_at__gt=day_start
    )


def day_work_orders(outlet_id: int, day_start: dt.datetime, day_end: dt.datetime) -> list[WorkOrder]:
    that_day = on_day(day_start, day_end)
    # A visit whose request was closed or cancelled meanwhile is not planned (committing it would fail);
    # one the engineer has started stays where it is whatever the request says.
    live = Q(status__in=STARTED) | Q(status__in=PLANNABLE, request__status__in=OPEN_STATUSES)
    return list(
        WorkOrder.objects.filter(that_day, live, outlet_id=outlet_id)
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
        windows.append(Window(seconds_from(start, origin), seconds_from(end, origin)))
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
    orders = day_work_orders(outlet.pk, origin, day_end)
    result = DayProblem(outlet_id=outlet.pk, day=day, origin=origin, problem=Problem((), ()))
    by_engineer = {s.profile.pk: s for s in shifts}
    # A started job is kept as it is: the engineer's day resumes from it, where and when it ends.
    for wo in orders:
        if wo.status in STARTED and wo.engineer_id in by_engineer:
            shift = by_engineer[wo.engineer_id]
            begun = wo.arrived_at or wo.planned_start or now
            free_at = max(begun + dt.timedelta(minutes=wo.duration_minutes), now)
            shift.starts_at = max(shift.starts_at, free_at)
            shift.start = point_of(wo.latitude, wo.longitude)
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
                shift_start=seconds_from(s.starts_at, origin),
                shift_end=seconds_from(s.ends_at, origin),
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
            job_of(
                wo,
                key,
                job_windows(wo, origin, earliest),
                required=wo.request.priority == Priority.URGENT or (due is not None and due < day_end),
                priority=PRIORITY_WEIGHT.get(wo.request.priority, 1),  # type: ignore[call-overload]
                pinned_to=f"e{wo.engineer_id}" if pinned else None,
                pinned_start=seconds_from(wo.planned_start, origin) if pinned and wo.planned_start else None,
            )
        )
    result.problem = Problem(engineers=tuple(engineers), jobs=tuple(jobs))
    return result


def _home_point(shift: EngineerShift, outlet: Outlet) -> Point:
    """Where the engineer ends the day: home or the outlet (not the job he is on)."""
    return _base_point(getattr(shift.profile, "field", None), outlet) or shift.start


def job_of(wo: WorkOrder, key: str, windows: tuple[Window, ...], **planning: Any) -> Job:
    """The visit as the optimiser sees it; `planning` adds what a day's plan weighs (required, priority, pin)."""
    return Job(
        key=key,
        location=point_of(wo.latitude, wo.longitude),
        duration=wo.duration_minutes * 60,
        windows=windows,
        skills=frozenset(s.code for s in wo.skills.all()),
        load=wo.load,
        **planning,
    )
