"""What the board shows of a day: engineers' lanes (timeline, map) and visits waiting, committed or proposed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import prefetch_related_objects
from django.utils import timezone

from wuyou.accounts.actors import NOBODY, Actor
from wuyou.accounts.models import Outlet
from wuyou.accounts.selectors import engineers_visible
from wuyou.dispatch import selectors
from wuyou.dispatch.models import DispatchPlan, UnassignedReason, WorkOrder
from wuyou.dispatch.problem import day_origin, engineer_shifts
from wuyou.routing.geometry import COLOURS, Bar, Projection, Timeline

# The optimiser's reason codes in the dispatcher's language.
REASON_LABELS = dict(UnassignedReason.choices)


@dataclass
class Stop:
    """One visit on an engineer's route: a block on his timeline and a numbered stop on the map."""

    work_order_id: int
    number: str
    customer: str
    phone: str
    position: int  # 1-based, as the dispatcher counts stops
    lat: float
    lon: float
    arrival: str
    start: str
    end: str
    window: str
    travel_minutes: int
    pinned: bool
    status: str
    block: Bar
    travel: Bar
    window_bar: Bar | None
    x: float = 0.0
    y: float = 0.0
    error: str = ""  # a refused hand adjustment of this job


@dataclass
class Lane:
    """An engineer on duty: his shift, route and colour."""

    engineer_id: int
    name: str
    colour: str = ""
    start: tuple[float, float] | None = None
    end: tuple[float, float] | None = None
    shift: Bar | None = None
    shift_label: str = ""
    stops: list[Stop] = field(default_factory=list)
    travel_minutes: int = 0
    path: str = ""
    start_xy: tuple[float, float] | None = None


@dataclass
class Waiting:
    """A job of the day no engineer has: booked and not yet planned, or left out of the proposal (with why)."""

    work_order_id: int
    number: str
    customer: str
    phone: str
    window: str
    skills: str
    duration_minutes: int
    lat: float
    lon: float
    reason: str = ""
    urgent: bool = False
    x: float = 0.0
    y: float = 0.0
    error: str = ""  # a refused hand adjustment of this job


@dataclass
class RouteMap:
    """The SVG map's geometry."""

    view_box: str
    width: int
    height: int
    outlet: tuple[float, float] | None
    lanes: list[Lane]
    waiting: list[Waiting]


@dataclass
class DayView:
    """The day as the board draws it: committed routes, or a plan's proposal."""

    lanes: list[Lane]
    waiting: list[Waiting]
    map: RouteMap | None = None
    travel_hours: float = 0.0
    planned: int = 0
    problems: list[str] = field(default_factory=list)
    is_proposal: bool = False


def _hm(at: dt.datetime, zone: dt.tzinfo) -> str:
    return timezone.localtime(at, zone).strftime("%H:%M")  # type: ignore[arg-type]


def _span(start: dt.datetime | None, end: dt.datetime | None, zone: dt.tzinfo) -> str:
    if start is None or end is None:
        return ""
    return f"{_hm(start, zone)}–{_hm(end, zone)}"


def _phone(wo: WorkOrder) -> str:
    """The contact number masked, whoever looks (as for someone with no rights): the board shows who, not how to
    reach them."""
    return selectors.work_order_contact(actor=NOBODY, work_order=wo).phone


def _windows_text(wo: WorkOrder, origin: dt.datetime, zone: dt.tzinfo) -> str:
    if wo.window_start is not None:
        return _span(wo.window_start, wo.window_end, zone)
    end = origin + dt.timedelta(days=1)
    return ", ".join(_span(w.starts_at, w.ends_at, zone) for w in wo.windows.all() if w.starts_at < end)


def _colour(lanes: Sequence[Lane]) -> None:
    for i, lane in enumerate(lanes):
        lane.colour = COLOURS[i % len(COLOURS)]


def _draw(lanes: list[Lane], waiting: list[Waiting], outlet: Outlet) -> RouteMap:
    """Project everything into one view box and lay the route polylines out in route order."""
    here = (
        (float(outlet.latitude), float(outlet.longitude))
        if outlet.latitude is not None and outlet.longitude is not None
        else None
    )
    points = [here] if here else []
    for lane in lanes:
        points += [p for p in (lane.start, lane.end) if p is not None]
        points += [(s.lat, s.lon) for s in lane.stops]
    points += [(w.lat, w.lon) for w in waiting]
    projection = Projection(p for p in points if p is not None)
    for lane in lanes:
        path = []
        if lane.start is not None:
            lane.start_xy = projection.xy(*lane.start)
            path.append(lane.start_xy)
        for stop in lane.stops:
            stop.x, stop.y = projection.xy(stop.lat, stop.lon)
            path.append((stop.x, stop.y))
        if lane.end is not None and lane.stops:
            path.append(projection.xy(*lane.end))
        lane.path = " ".join(f"{x},{y}" for x, y in path) if lane.stops else ""
    for job in waiting:
        job.x, job.y = projection.xy(job.lat, job.lon)
    return RouteMap(
        view_box=projection.view_box,
        width=projection.width,
        height=projection.height,
        outlet=projection.xy(*here) if here else None,
        lanes=lanes,
        waiting=waiting,
    )


def _waiting_of(work_orders: Iterable[WorkOrder], origin: dt.datetime, zone: dt.tzinfo) -> list[Waiting]:
    return [
        Waiting(
            work_order_id=wo.pk,
            number=str(wo),
            customer=wo.request.customer.name,
            phone=_phone(wo),
            window=_windows_text(wo, origin, zone),
            skills=", ".join(s.name for s in wo.skills.all()),
            duration_minutes=wo.duration_minutes,
            lat=float(wo.latitude),
            lon=float(wo.longitude),
            urgent=wo.request.priority == "urgent",
        )
        for wo in work_orders
    ]


def committed_day(actor: Actor, outlet: Outlet, day: dt.date, zone: dt.tzinfo) -> DayView:
    """The committed routes of the outlet's day per engineer on duty, and the booked jobs nobody has yet."""
    origin = day_origin(zone, day)
    timeline = Timeline(origin)
    waiting_orders = selectors.unplanned_work_orders(actor=actor, outlet_id=outlet.pk, day=day)
    routes = selectors.planned_routes(outlet_id=outlet.pk, day=day)
    lanes: dict[int, Lane] = {}
    for shift in engineer_shifts(outlet, day):
        home = (shift.start.lat, shift.start.lon)
        lanes[shift.profile.pk] = Lane(
            engineer_id=shift.profile.pk,
            name=shift.profile.display_name,
            start=home,
            end=home,
            shift=timeline.bar(shift.starts_at, shift.ends_at),
            shift_label=_span(shift.starts_at, shift.ends_at, zone),
        )
    off_duty = [pk for pk in routes if pk not in lanes]
    if off_duty:  # planned, then taken off duty: his route still shows, without a shift
        names = dict(
            engineers_visible(actor=actor, outlet_id=outlet.pk)
            .filter(pk__in=off_duty)
            .values_list("pk", "display_name")
        )
        for pk in off_duty:
            lanes[pk] = Lane(engineer_id=pk, name=names.get(pk, f"#{pk}"))
    everyone = [wo for orders in routes.values() for wo in orders]
    prefetch_related_objects(
        [wo.request.customer for wo in [*everyone, *waiting_orders]],
        "phones",
    )
    for engineer_id, orders in routes.items():
        lane = lanes[engineer_id]
        for position, wo in enumerate(orders, start=1):
            assert wo.planned_start is not None
            start = wo.planned_start
            end = wo.planned_end or start + dt.timedelta(minutes=wo.duration_minutes)
            arrival = wo.planned_arrival or start
            travel = wo.travel_minutes or 0
            lane.travel_minutes += travel
            lane.stops.append(
                Stop(
                    work_order_id=wo.pk,
                    number=str(wo),
                    customer=wo.request.customer.name,
                    phone=_phone(wo),
                    position=position,
                    lat=float(wo.latitude),
                    lon=float(wo.longitude),
                    arrival=_hm(arrival, zone),
                    start=_hm(start, zone),
                    end=_hm(end, zone),
                    window=_span(wo.window_start, wo.window_end, zone),
                    travel_minutes=travel,
                    pinned=wo.pinned,
                    status=wo.get_status_display(),
                    block=timeline.bar(start, end),
                    travel=timeline.bar(arrival - dt.timedelta(minutes=travel), arrival, least=0.0),
                    window_bar=timeline.bar(wo.window_start, wo.window_end)
                    if wo.window_start and wo.window_end
                    else None,
                )
            )
    ordered = list(lanes.values())
    _colour(ordered)
    waiting = _waiting_of(waiting_orders, origin, zone)
    return DayView(
        lanes=ordered,
        waiting=waiting,
        map=_draw(ordered, waiting, outlet),
        travel_hours=round(sum(lane.travel_minutes for lane in ordered) / 60, 1),
        planned=sum(len(lane.stops) for lane in ordered),
    )


def proposal_day(actor: Actor, plan: DispatchPlan, zone: dt.tzinfo) -> DayView:
    """A ready plan's proposal: per engineer the proposed route, and the jobs left out with the reason."""
    stored: dict[str, Any] = plan.proposal or {}
    origin = dt.datetime.fromisoformat(stored["origin"])
    timeline = Timeline(origin)
    problem = stored.get("problem", {})
    answer = stored.get("plan", {})
    jobs = {j["key"]: j for j in problem.get("jobs", [])}
    order_ids: dict[str, int] = stored.get("work_orders", {})
    staff_ids: dict[str, int] = stored.get("engineers", {})
    pinned = set(stored.get("pinned", []))
    orders = {
        wo.pk: wo
        for wo in selectors.work_orders_visible(actor=actor)
        .filter(pk__in=list(order_ids.values()))
        .select_related("request", "request__customer")
        .prefetch_related("skills", "windows", "request__customer__phones")
    }
    names = dict(
        engineers_visible(actor=actor, outlet_id=plan.outlet_id)
        .filter(pk__in=list(staff_ids.values()))
        .values_list("pk", "display_name")
    )

    def at(seconds: int) -> dt.datetime:
        return origin + dt.timedelta(seconds=seconds)

    def window_of(job: dict[str, Any], index: int) -> tuple[dt.datetime, dt.datetime] | None:
        windows = job.get("windows") or []
        if not 0 <= index < len(windows):
            return None
        return at(windows[index][0]), at(windows[index][1])

    routes = {r["engineer"]: r for r in answer.get("routes", [])}
    lanes: list[Lane] = []
    for engineer in problem.get("engineers", []):
        key = engineer["key"]
        staff_id = staff_ids.get(key)
        if staff_id is None:
            continue
        shift_start, shift_end = at(engineer["shift"][0]), at(engineer["shift"][1])
        lane = Lane(
            engineer_id=staff_id,
            name=names.get(staff_id, f"#{staff_id}"),
            start=tuple(engineer["start"]),  # type: ignore[arg-type]
            end=tuple(engineer["end"]),  # type: ignore[arg-type]
            shift=timeline.bar(shift_start, shift_end),
            shift_label=_span(shift_start, shift_end, zone),
        )
        route = routes.get(key)
        for position, visit in enumerate(route["visits"] if route else [], start=1):
            job = jobs.get(visit["job"], {})
            wo_id = order_ids.get(visit["job"])
            wo = orders.get(wo_id) if wo_id is not None else None
            if wo is None:
                continue
            arrival, start, end = at(visit["arrival"]), at(visit["start"]), at(visit["departure"])
            window = window_of(job, visit["window"])
            travel = round(visit["travel"] / 60)
            lane.stops.append(
                Stop(
                    work_order_id=wo.pk,
                    number=str(wo),
                    customer=wo.request.customer.name,
                    phone=_phone(wo),
                    position=position,
                    lat=float(job["location"][0]),
                    lon=float(job["location"][1]),
                    arrival=_hm(arrival, zone),
                    start=_hm(start, zone),
                    end=_hm(end, zone),
                    window=_span(*window, zone) if window else "",
                    travel_minutes=travel,
                    pinned=visit["job"] in pinned,
                    status=wo.get_status_display(),
                    block=timeline.bar(start, end),
                    travel=timeline.bar(at(visit["arrival"] - visit["travel"]), arrival, least=0.0),
                    window_bar=timeline.bar(*window) if window else None,
                )
            )
        lane.travel_minutes = round(route["travel"] / 60) if route else 0
        lanes.append(lane)
    _colour(lanes)
    waiting = []
    for left in answer.get("unassigned", []):
        wo_id = order_ids.get(left["job"])
        wo = orders.get(wo_id) if wo_id is not None else None
        if wo is None:
            continue
        item = _waiting_of([wo], origin, zone)[0]
        item.reason = str(REASON_LABELS.get(left["reason"], left["reason"]))
        waiting.append(item)
    return DayView(
        lanes=lanes,
        waiting=waiting,
        map=_draw(lanes, waiting, plan.outlet),
        travel_hours=round(answer.get("travel", 0) / 3600, 1),
        planned=sum(len(lane.stops) for lane in lanes),
        problems=list(answer.get("problems", [])),
        is_proposal=True,
    )
