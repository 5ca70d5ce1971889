"""The dispatcher's board: the day's waiting jobs, each engineer's timeline and route map, optimise, adjust, commit.

Routes are drawn without a tile server: the outlet, the engineers' start points and the jobs are projected into an
SVG view box (equirectangular, which is exact enough across one city). A plan is optimised by the task worker; the
board polls the plan every second while it is queued or running, then shows the proposal for review.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from wuyou.accounts.actors import NOBODY, Actor
from wuyou.accounts.models import Outlet
from wuyou.accounts.selectors import calendar_for_outlet, engineers_visible, outlets_visible
from wuyou.accounts.views import desk_actor, staff_view
from wuyou.core.errors import DomainError
from wuyou.core.htmx import found_or_404, not_found, refusal_status, render_page_or_partial, wants_partial
from wuyou.dispatch import selectors, services
from wuyou.dispatch.forms import OPTIMISE_SECONDS_DEFAULT, AdjustForm, OptimiseForm, PinForm
from wuyou.dispatch.models import DispatchPlan, PlanStatus, UnassignedReason, WorkOrder
from wuyou.routing.geometry import COLOURS, Bar, Projection, Timeline

TEMPLATE = "dispatch/board.html"
PARTIAL = "day"

# The optimiser's reason codes in the dispatcher's language.
REASON_LABELS = dict(UnassignedReason.choices)

# Plans the board shows in its panel; committed and discarded ones give way to the committed routes.
SHOWN = (PlanStatus.QUEUED, PlanStatus.RUNNING, PlanStatus.READY, PlanStatus.FAILED)


# -- drawing: timeline bars and the SVG map ---------------------------------------------------------------------


# -- what the board shows ---------------------------------------------------------------------------------------


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
    origin = selectors.day_origin(zone, day)
    timeline = Timeline(origin)
    waiting_orders = selectors.unplanned_work_orders(actor=actor, outlet_id=outlet.pk, day=day)
    routes = selectors.planned_routes(outlet_id=outlet.pk, day=day)
    lanes: dict[int, Lane] = {}
    for shift in selectors.engineer_shifts(outlet, day):
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


# -- pages -----------------------------------------------------------------------------------------------------


def _outlet(request: HttpRequest, actor: Actor, raw: str | None) -> tuple[Outlet, list[Outlet]]:
    """The outlet asked for (another outlet's is a 404), else the actor's own, else the first visible."""
    outlets = list(outlets_visible(actor=actor).order_by("code"))
    if not outlets:
        raise not_found(request)
    if raw:
        try:
            wanted = int(raw)
        except ValueError:
            raise not_found(request) from None
        found = next((o for o in outlets if o.pk == wanted), None)
        if found is None:
            raise not_found(request)
        return found, outlets
    own = next((o for o in outlets if o.pk == actor.outlet_id), None)
    return own or outlets[0], outlets


def _zone(outlet: Outlet) -> dt.tzinfo:
    return calendar_for_outlet(outlet.pk).zone


def _today(zone: dt.tzinfo) -> dt.date:
    return timezone.localtime(timezone.now(), zone).date()  # type: ignore[arg-type]


def _day(raw: str | None, zone: dt.tzinfo) -> dt.date:
    """The day asked for; a missing or malformed day is today in the outlet's zone."""
    try:
        return dt.date.fromisoformat(raw) if raw else _today(zone)
    except ValueError:
        return _today(zone)


def board_url(outlet_id: int, day: dt.date) -> str:
    """The board of an outlet's day."""
    return f"{reverse('dispatch:board')}?{urlencode({'outlet': outlet_id, 'day': day.isoformat()})}"


def _engineer_choices(view: DayView) -> list[tuple[int, str]]:
    return [(lane.engineer_id, lane.name) for lane in view.lanes]


def _render(
    request: HttpRequest,
    actor: Actor,
    outlet: Outlet,
    day: dt.date,
    plan: DispatchPlan | None,
    *,
    outlets: Sequence[Outlet] = (),
    optimise_form: OptimiseForm | None = None,
    errors: dict[int, str] | None = None,
    alert: str = "",
    status: int = 200,
    zone: dt.tzinfo | None = None,
) -> HttpResponse:
    """The board, or (for htmx) just its day panel: plan status, routes, waiting jobs."""
    zone = zone or _zone(outlet)
    ready = plan is not None and plan.status == PlanStatus.READY
    view = proposal_day(actor, plan, zone) if ready and plan is not None else committed_day(actor, outlet, day, zone)
    jobs: list[Stop | Waiting] = [*(stop for lane in view.lanes for stop in lane.stops), *view.waiting]
    for job in jobs:
        job.error = (errors or {}).get(job.work_order_id, "")
    busy = plan is not None and plan.status in (PlanStatus.QUEUED, PlanStatus.RUNNING)
    if not outlets and not wants_partial(request):
        outlets = list(outlets_visible(actor=actor).order_by("code"))
    context = {
        "outlet": outlet,
        "outlets": outlets or [outlet],
        "day": day,
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "today": _today(zone),
        "plan": plan,
        "busy": busy,
        "ready": ready,
        "progress_percent": round((plan.progress if plan else 0) * 100),
        "view": view,
        "timeline_hours": Timeline(selectors.day_origin(zone, day)).hours,
        "engineer_choices": _engineer_choices(view),
        "optimise_form": optimise_form
        or OptimiseForm(initial={"outlet": outlet.pk, "day": day, "seconds": OPTIMISE_SECONDS_DEFAULT}),
        "errors": errors or {},
        "alert": alert,
        "board_url": board_url(outlet.pk, day),
    }
    return render_page_or_partial(request, TEMPLATE, PARTIAL, context, status=status)


@require_GET
@staff_view
def board(request: HttpRequest) -> HttpResponse:
    """The outlet's day: waiting jobs, routes on timelines and a map, and the latest plan if still open."""
    actor = desk_actor(request)
    outlet, outlets = _outlet(request, actor, request.GET.get("outlet"))
    zone = _zone(outlet)
    day = _day(request.GET.get("day"), zone)
    plan = selectors.latest_plan(actor=actor, outlet_id=outlet.pk, day=day)
    if plan is not None and plan.status not in SHOWN:
        plan = None
    return _render(request, actor, outlet, day, plan, outlets=outlets, zone=zone)


@require_POST
@staff_view
def plan_new(request: HttpRequest) -> HttpResponse:
    """Ask for an optimisation of the day; the worker runs it and the board follows its progress."""
    actor = desk_actor(request)
    outlet, outlets = _outlet(request, actor, request.POST.get("outlet") or None)
    form = OptimiseForm(request.POST)
    day = _day(request.POST.get("day"), _zone(outlet))
    if form.is_valid():
        try:
            services.plan_request(
                actor=actor, outlet_id=outlet.pk, day=form.cleaned_data["day"], seconds=form.cleaned_data["seconds"]
            )
        except DomainError as exc:
            form.add_error("seconds" if exc.field == "seconds" else None, exc.message)
        else:
            url = board_url(outlet.pk, form.cleaned_data["day"])
            return HttpResponseClientRedirect(url) if wants_partial(request) else redirect(url)
    plan = selectors.latest_plan(actor=actor, outlet_id=outlet.pk, day=day)
    if plan is not None and plan.status not in SHOWN:
        plan = None
    return _render(request, actor, outlet, day, plan, outlets=outlets, optimise_form=form, status=422)


def _plan(request: HttpRequest, plan_id: int) -> tuple[Actor, DispatchPlan]:
    actor = desk_actor(request)
    return actor, found_or_404(request, selectors.plan_get, actor=actor, plan_id=plan_id)


def _after_change(request: HttpRequest, actor: Actor, plan: DispatchPlan) -> HttpResponse:
    """Post/redirect/get for a whole page; an htmx form gets the fresh day panel at once."""
    if wants_partial(request):
        return _render(request, actor, plan.outlet, plan.day, plan)
    return redirect(reverse("dispatch:plan", args=[plan.pk]))


@require_GET
@staff_view
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    """One plan on its day's board; the board polls this every second while the plan is being optimised."""
    actor, plan = _plan(request, plan_id)
    return _render(request, actor, plan.outlet, plan.day, plan)


@require_POST
@staff_view
def plan_adjust(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Reassign or reorder a job in the proposal, or take it out; a refused move is told next to the job."""
    actor, plan = _plan(request, plan_id)
    engineers = [(pk, str(pk)) for pk in (plan.proposal or {}).get("engineers", {}).values()]
    form = AdjustForm(request.POST, engineers=engineers)
    if not form.is_valid():
        return _refused(request, actor, plan, form.data.get("work_order"), _first_error(form), 422)
    unassign = form.cleaned_data["action"] == AdjustForm.UNASSIGN
    try:
        plan = services.plan_adjust(
            actor=actor,
            plan=plan,
            work_order_id=form.cleaned_data["work_order"],
            engineer_id=None if unassign else form.cleaned_data["engineer"],
            position=None if unassign else form.position_index,
        )
    except DomainError as exc:
        return _refused(request, actor, plan, form.cleaned_data["work_order"], exc.message, refusal_status(exc))
    return _after_change(request, actor, plan)


@require_POST
@staff_view
def plan_pin(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Pin a proposed visit to its engineer and time, or release it."""
    actor, plan = _plan(request, plan_id)
    form = PinForm(request.POST)
    if not form.is_valid():
        return _refused(request, actor, plan, form.data.get("work_order"), _first_error(form), 422)
    try:
        plan = services.plan_pin(
            actor=actor, plan=plan, work_order_id=form.cleaned_data["work_order"], pinned=form.cleaned_data["pinned"]
        )
    except DomainError as exc:
        return _refused(request, actor, plan, form.cleaned_data["work_order"], exc.message, refusal_status(exc))
    return _after_change(request, actor, plan)


@require_POST
@staff_view
def plan_commit(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Make the proposal the engineers' routes; if someone changed a route meanwhile, say so and change nothing."""
    actor, plan = _plan(request, plan_id)
    try:
        plan = services.plan_commit(actor=actor, plan=plan)
    except DomainError as exc:
        fresh = found_or_404(request, selectors.plan_get, actor=actor, plan_id=plan.pk)
        return _render(request, actor, fresh.outlet, fresh.day, fresh, alert=exc.message, status=refusal_status(exc))
    planned = sum(len(r["visits"]) for r in plan.proposal.get("plan", {}).get("routes", []))
    messages.success(request, _("Plan committed: %(count)d visits are on the engineers' routes.") % {"count": planned})
    url = board_url(plan.outlet_id, plan.day)
    return HttpResponseClientRedirect(url) if wants_partial(request) else redirect(url)


@require_POST
@staff_view
def plan_discard(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Throw the proposal away; the committed routes stay as they are."""
    actor, plan = _plan(request, plan_id)
    try:
        plan = services.plan_discard(actor=actor, plan=plan)
    except DomainError as exc:
        return _render(request, actor, plan.outlet, plan.day, plan, alert=exc.message, status=refusal_status(exc))
    messages.info(request, _("Plan discarded; the committed routes are unchanged."))
    url = board_url(plan.outlet_id, plan.day)
    return HttpResponseClientRedirect(url) if wants_partial(request) else redirect(url)


def _first_error(form: Any) -> str:
    for messages_ in form.errors.values():
        return str(messages_[0])
    return _("Check the values and try again.")


def _refused(
    request: HttpRequest, actor: Actor, plan: DispatchPlan, work_order: object, message: str, status: int
) -> HttpResponse:
    """The board again with the refusal next to the job's controls (on top when the job is unknown)."""
    try:
        key = int(str(work_order))
    except ValueError:
        key = 0
    plan = found_or_404(request, selectors.plan_get, actor=actor, plan_id=plan.pk)
    known = (
        any(key == pk for pk in (plan.proposal or {}).get("work_orders", {}).values())
        and plan.status == PlanStatus.READY
    )
    return _render(
        request,
        actor,
        plan.outlet,
        plan.day,
        plan,
        errors={key: message} if known else None,
        alert="" if known else message,
        status=status,
    )
