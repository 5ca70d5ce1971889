"""The dispatcher's board: the day's waiting jobs, each engineer's timeline and route map, optimise, adjust, commit.

Routes are drawn without a tile server: the outlet, the engineers' start points and the jobs are projected into an
SVG view box (equirectangular, which is exact enough across one city). A plan is optimised by the task worker; the
board polls the plan every second while it is queued or running, then shows the proposal for review.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Outlet
from wuyou.accounts.selectors import calendar_for_outlet, outlets_visible
from wuyou.accounts.views import desk_actor, staff_view
from wuyou.core.dates import day_or_default
from wuyou.core.errors import DomainError
from wuyou.core.htmx import found_or_404, not_found, refusal_status, render_page_or_partial, wants_partial
from wuyou.dispatch import selectors, services
from wuyou.dispatch.forms import OPTIMISE_SECONDS_DEFAULT, AdjustForm, OptimiseForm, PinForm
from wuyou.dispatch.models import STARTED, AppointmentWindow, DispatchPlan, PlanStatus, WorkOrderStatus
from wuyou.dispatch.problem import day_origin
from wuyou.dispatch.views.day import DayView, Stop, Waiting, committed_day, proposal_day
from wuyou.routing.geometry import Timeline
from wuyou.tickets.models import Status

TEMPLATE = "dispatch/board.html"
PARTIAL = "day"


# Plans the board shows in its panel; committed and discarded ones give way to the committed routes.
SHOWN = (PlanStatus.QUEUED, PlanStatus.RUNNING, PlanStatus.READY, PlanStatus.FAILED)


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


def _day(raw: str | None, zone: dt.tzinfo) -> tuple[dt.date, str]:
    """The day asked for; a missing one is today in the outlet's zone, and so is a bad one, with the message why."""
    return day_or_default(raw, _today(zone), label=_("Day"))


# How far ahead the board looks for booked work when no day is asked for (issue 13 item 8).
LOOK_AHEAD_DAYS = 14
# Work the board shows on a day: booked, on a route, being done or done there (not what waits for a booking).
BOOKED_WORK = (
    WorkOrderStatus.BOOKED,
    WorkOrderStatus.PLANNED,
    WorkOrderStatus.CONFIRMED,
    *STARTED,
    WorkOrderStatus.DONE,
)


def booked_days(actor: Actor, outlet: Outlet, zone: dt.tzinfo, first: dt.date, last: dt.date) -> set[dt.date]:
    """The days from `first` to `last` (both included) on which the outlet has booked work the actor may see.

    A visit counts on its planned day when it is on a route, else on the days its appointment (or, when several are
    offered, any of its windows) overlaps: the same reading as the board's routes and waiting jobs.
    """
    start = day_origin(zone, first)
    end = day_origin(zone, last + dt.timedelta(days=1))
    orders = (
        selectors.work_orders_visible(actor=actor)
        .filter(outlet_id=outlet.pk, status__in=BOOKED_WORK)
        .exclude(request__status=Status.CANCELLED)
    )
    moments: list[dt.datetime] = []
    planned = Q(planned_start__gte=start, planned_start__lt=end)
    booked = Q(planned_start__isnull=True, window_start__lt=end, window_end__gt=start)
    for planned_start, window_start in orders.filter(planned | booked).values_list("planned_start", "window_start"):
        moment = planned_start or window_start
        if moment is not None:  # always, by the filter
            moments.append(moment)
    choices = orders.filter(planned_start__isnull=True, window_start__isnull=True)
    moments.extend(
        AppointmentWindow.objects.filter(work_order__in=choices, starts_at__lt=end, ends_at__gt=start).values_list(
            "starts_at", flat=True
        )
    )
    return {timezone.localtime(max(moment, start), zone).date() for moment in moments}  # type: ignore[arg-type]


def _nearest_booked(actor: Actor, outlet: Outlet, zone: dt.tzinfo, today: dt.date) -> dt.date | None:
    """The nearest day with booked work beyond the look-ahead, else before today (None when there is none)."""
    after = today + dt.timedelta(days=LOOK_AHEAD_DAYS + 1)
    later = booked_days(actor, outlet, zone, after, after + dt.timedelta(days=365))
    if later:
        return min(later)
    earlier = booked_days(actor, outlet, zone, today - dt.timedelta(days=365), today - dt.timedelta(days=1))
    return max(earlier) if earlier else None


def default_day(actor: Actor, outlet: Outlet, zone: dt.tzinfo) -> tuple[dt.date, str]:
    """The day the board opens on: today if it has booked work, else the next day with some within the look-ahead,
    else today with a line saying where the nearest work is (issue 13 item 8)."""
    today = _today(zone)
    days = booked_days(actor, outlet, zone, today, today + dt.timedelta(days=LOOK_AHEAD_DAYS))
    if days:
        return min(days), ""
    nearest = _nearest_booked(actor, outlet, zone, today)
    if nearest is None:
        return today, _("No work is booked at this outlet yet.")
    return today, _("No work is booked in the next %(days)d days; the nearest booked work is on %(day)s.") % {
        "days": LOOK_AHEAD_DAYS,
        "day": nearest.isoformat(),
    }


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
    notice: str = "",
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
        "timeline_hours": Timeline(day_origin(zone, day)).hours,
        "engineer_choices": _engineer_choices(view),
        "optimise_form": optimise_form
        or OptimiseForm(initial={"outlet": outlet.pk, "day": day, "seconds": OPTIMISE_SECONDS_DEFAULT}),
        "errors": errors or {},
        "alert": alert,
        "notice": notice,
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
    raw_day = request.GET.get("day")
    notice = day_error = ""
    if raw_day is None or not raw_day.strip():
        day, notice = default_day(actor, outlet, zone)  # where the work is: a notice, not an error
    else:
        day, day_error = _day(raw_day, zone)
    plan = selectors.latest_plan(actor=actor, outlet_id=outlet.pk, day=day)
    if plan is not None and plan.status not in SHOWN:
        plan = None
    status = 400 if day_error else 200  # a bad day shows today's board, and says why
    return _render(
        request, actor, outlet, day, plan, outlets=outlets, zone=zone, alert=day_error, status=status, notice=notice
    )


@require_POST
@staff_view
def plan_new(request: HttpRequest) -> HttpResponse:
    """Ask for an optimisation of the day; the worker runs it and the board follows its progress."""
    actor = desk_actor(request)
    outlet, outlets = _outlet(request, actor, request.POST.get("outlet") or None)
    form = OptimiseForm(request.POST)
    day, _day_error = _day(request.POST.get("day"), _zone(outlet))  # the form tells a bad day beside the plan
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
