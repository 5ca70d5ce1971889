"""Planning a day (R-F1): queue an optimisation, run it in a worker, adjust and pin by hand, commit it as the routes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import time
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import StaffProfile
from wuyou.accounts.selectors import calendar_for_outlet, outlets_visible
from wuyou.core.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.dispatch.findings import findings_text
from wuyou.dispatch.models import (
    PLANNABLE,
    DispatchPlan,
    EngineerDay,
    PlanStatus,
    WorkOrder,
    WorkOrderStatus,
)
from wuyou.dispatch.problem import day_problem
from wuyou.dispatch.services.routes import (
    MAX_DAYS_AHEAD,
    travel_model,
    unplanned_fields,
    work_order_claim,
)
from wuyou.routing import proposal
from wuyou.routing.optimizer import plan_check, plan_late, solve
from wuyou.tickets.models import ServiceRequest, Status
from wuyou.tickets.services import request_assign, request_transition

log = logging.getLogger(__name__)

PLAN_SECONDS = (1, 120)


URGENT_REPLAN_SECONDS = 5


def plan_request(*, actor: Actor, outlet_id: int, day: dt.date, seconds: int = 10, reason: str = "") -> DispatchPlan:
    """Queue an optimisation of an outlet's day; a worker runs it (`plan_optimise`) and reports progress."""
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not plan engineers' days."))
    outlet = outlets_visible(actor=actor).filter(pk=outlet_id).first()
    if outlet is None:
        raise ValidationFailed(_("Unknown outlet."), field="outlet_id")
    if not PLAN_SECONDS[0] <= seconds <= PLAN_SECONDS[1]:
        raise ValidationFailed(
            _("Search for %(low)d to %(high)d seconds.") % {"low": PLAN_SECONDS[0], "high": PLAN_SECONDS[1]},
            field="seconds",
        )
    zone = calendar_for_outlet(outlet.pk).zone
    today = timezone.localtime(timezone.now(), zone).date()
    if day < today:
        raise ValidationFailed(_("A past day cannot be planned."), field="day")
    if day > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationFailed(_("The day is too far ahead."), field="day")
    with transaction.atomic():
        plan = DispatchPlan.objects.create(
            outlet=outlet, day=day, seconds=seconds, reason=reason[:200], requested_by_id=actor.user_id
        )
        transaction.on_commit(lambda: _enqueue_optimise(plan.pk))
    return plan


def _enqueue_optimise(plan_id: int) -> None:
    from wuyou.dispatch.tasks import plan_optimise

    plan_optimise.enqueue(plan_id)


def plan_run(*, plan_id: int, now: dt.datetime | None = None) -> DispatchPlan | None:
    """Run a queued plan (in a worker): claim it, build the day's problem, solve, check, store the proposal.

    Two workers handed the same plan never both run it: the claim is a conditional update.
    """
    claimed = DispatchPlan.objects.filter(pk=plan_id, status=PlanStatus.QUEUED).update(
        status=PlanStatus.RUNNING, progress=0.0, updated_at=timezone.now()
    )
    if claimed != 1:
        return None
    plan = DispatchPlan.objects.select_related("outlet").get(pk=plan_id)
    try:
        built = day_problem(outlet=plan.outlet, day=plan.day, now=now)
        last = [0.0]

        def report(fraction: float) -> None:
            # Progress is written at most twice a second: the board polls it.
            if fraction >= 1.0 or time.monotonic() - last[0] > 0.5:
                last[0] = time.monotonic()
                DispatchPlan.objects.filter(pk=plan_id).update(progress=round(min(fraction, 1.0), 3))

        answer = solve(built.problem, travel=travel_model(), seconds=plan.seconds, progress=report)
        stored = {
            "origin": built.origin.isoformat(),
            "problem": proposal.problem_dump(built.problem),
            "plan": proposal.plan_dump(answer),
            "work_orders": {key: wo.pk for key, wo in built.work_orders.items()},
            # The work orders' versions the plan was built on: a visit rebooked or changed since is not committed.
            "versions": {key: wo.version for key, wo in built.work_orders.items()},
            "engineers": {key: p.pk for key, p in built.engineers.items()},
            "fixed": built.fixed,
            "pinned": sorted(key for key, wo in built.work_orders.items() if wo.pinned),
        }
        DispatchPlan.objects.filter(pk=plan_id, status=PlanStatus.RUNNING).update(
            status=PlanStatus.READY,
            progress=1.0,
            proposal=stored,
            base_versions=built.base_versions,
            updated_at=timezone.now(),
        )
    except Exception as exc:  # the worker must record any failure on the plan, not just in its log
        log.exception("plan %s failed", plan_id)
        DispatchPlan.objects.filter(pk=plan_id).update(status=PlanStatus.FAILED, error=str(exc)[:2000])
    plan.refresh_from_db()
    return plan


def _ready(plan: DispatchPlan) -> None:
    if plan.status != PlanStatus.READY:
        raise TransitionNotAllowed(
            _("The plan is %(status)s; only a plan ready for review can be changed or committed.")
            % {"status": plan.get_status_display()},
            field="plan",
        )


def plan_adjust(
    *,
    actor: Actor,
    plan: DispatchPlan,
    work_order_id: int,
    engineer_id: int | None,
    position: int | None = None,
) -> DispatchPlan:
    """Move a job by hand: to another engineer, to another place in a route, or out of the plan; re-checked."""
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not plan engineers' days."))
    _ready(plan)
    stored = plan.proposal
    job = _plan_job(stored, work_order_id)
    engineer = None
    if engineer_id is not None:
        engineer = next((k for k, pk in stored["engineers"].items() if pk == engineer_id), None)
        if engineer is None:
            raise ValidationFailed(_("The engineer is not on duty in this plan."), field="engineer_id")
    if position is not None and position < 0:
        raise ValidationFailed(_("The position must be 0 or more."), field="position")
    try:
        moved = proposal.proposal_move(
            proposal.problem_load(stored["problem"]),
            proposal.plan_load(stored["plan"]),
            job=job,
            engineer=engineer,
            position=position,
            travel=travel_model(),
        )
    except proposal.ProposalError as exc:
        raise ValidationFailed(
            _("This change would break a window, a shift, a skill or a van load (%(why)s).")
            % {"why": _readable_keys(findings_text(str(exc)), stored)},
            field="engineer_id" if exc.code != "infeasible" else "position",
        ) from None
    stored["plan"] = proposal.plan_dump(moved)
    return _proposal_save(plan, stored)


def _plan_job(stored: dict[str, Any], work_order_id: int) -> str:
    """The plan's key of a work order; ValidationFailed when the plan does not hold it."""
    job = next((k for k, pk in stored["work_orders"].items() if pk == work_order_id), None)
    if job is None:
        raise ValidationFailed(_("The work order is not in this plan."), field="work_order_id")
    return job


def _proposal_save(plan: DispatchPlan, stored: dict[str, Any]) -> DispatchPlan:
    """Store the changed proposal only if the plan is as the dispatcher saw it (of two editors, one wins)."""
    updated = DispatchPlan.objects.filter(pk=plan.pk, status=PlanStatus.READY, updated_at=plan.updated_at).update(
        proposal=stored, updated_at=timezone.now()
    )
    if updated != 1:
        raise Conflict(_("The plan was changed by someone else; reload it and try again."), field="plan")
    plan.refresh_from_db()
    return plan


def _readable_keys(text: str, stored: dict[str, Any]) -> str:
    """The checker's finding with work-order numbers and engineers' names in place of the plan's internal keys."""
    numbers = dict(WorkOrder.objects.filter(pk__in=stored["work_orders"].values()).values_list("pk", "number"))
    names = dict(StaffProfile.objects.filter(pk__in=stored["engineers"].values()).values_list("pk", "display_name"))
    labels = {k: numbers.get(pk) or k for k, pk in stored["work_orders"].items()}
    labels.update({k: names.get(pk) or k for k, pk in stored["engineers"].items()})
    return re.sub(r"\b(?:wo|e)\d+\b", lambda m: str(labels.get(m.group(0), m.group(0))), text)


def plan_pin(*, actor: Actor, plan: DispatchPlan, work_order_id: int, pinned: bool) -> DispatchPlan:
    """Pin a job to its engineer and time (re-planning keeps it), or release it."""
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not plan engineers' days."))
    _ready(plan)
    stored = plan.proposal
    job = _plan_job(stored, work_order_id)
    keys = set(stored.get("pinned", []))
    keys = keys | {job} if pinned else keys - {job}
    stored["pinned"] = sorted(keys)
    return _proposal_save(plan, stored)


def plan_discard(*, actor: Actor, plan: DispatchPlan) -> DispatchPlan:
    """Throw a proposal away."""
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not plan engineers' days."))
    updated = DispatchPlan.objects.filter(
        pk=plan.pk, status__in=[PlanStatus.READY, PlanStatus.QUEUED, PlanStatus.FAILED]
    ).update(status=PlanStatus.DISCARDED, updated_at=timezone.now())
    if updated != 1:
        raise TransitionNotAllowed(_("This plan can no longer be discarded."), field="plan")
    plan.refresh_from_db()
    return plan


def plan_commit(*, actor: Actor, plan: DispatchPlan) -> DispatchPlan:
    """Make the proposal the engineers' routes (R-F1).

    Each engineer's day carries a route version; the commit moves every version the plan was built on by one,
    conditionally. If another dispatcher committed (or a job was handed back) in between, this commit is refused
    as a whole and nothing is written.
    """
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not plan engineers' days."))
    _ready(plan)
    stored = plan.proposal
    problem = proposal.problem_load(stored["problem"])
    # Arrivals a few minutes before each start, not hours (R-F2); a no-op on proposals re-timed so already.
    answer = plan_late(problem, proposal.plan_load(stored["plan"]))
    # A job the plan leaves out is listed with its reason on the board; the routes themselves must be sound.
    left_out = {u.job for u in answer.unassigned}
    routed = dataclasses.replace(
        problem,
        jobs=tuple(dataclasses.replace(j, required=False) if j.key in left_out else j for j in problem.jobs),
    )
    problems = plan_check(routed, answer, travel=travel_model())
    if problems:
        raise ValidationFailed(_("The plan is not feasible: %(why)s") % {"why": "; ".join(problems[:3])}, field="plan")
    origin = dt.datetime.fromisoformat(stored["origin"])
    engineers: dict[str, int] = stored["engineers"]
    orders: dict[str, int] = stored["work_orders"]
    pinned = set(stored.get("pinned", []))
    seen_versions: dict[str, int] = stored.get("versions", {})
    now = timezone.now()

    def unchanged(key: str, wo: WorkOrder) -> None:
        if wo.status not in PLANNABLE or seen_versions.get(key, wo.version) != wo.version:
            raise Conflict(
                _("%(wo)s changed since this plan was made; optimise again.") % {"wo": wo.number}, field="plan"
            )

    with transaction.atomic():
        for staff_id, version in sorted(plan.base_versions.items()):
            EngineerDay.objects.get_or_create(engineer_id=int(staff_id), day=plan.day)
            bumped = EngineerDay.objects.filter(engineer_id=int(staff_id), day=plan.day, route_version=version).update(
                route_version=F("route_version") + 1
            )
            if bumped != 1:
                name = StaffProfile.objects.filter(pk=int(staff_id)).values_list("display_name", flat=True).first()
                raise Conflict(
                    _("%(engineer)s's route was changed by someone else since this plan was made; optimise again.")
                    % {"engineer": name or staff_id},
                    field="plan",
                )
        work_orders = {
            wo.pk: wo
            for wo in WorkOrder.objects.select_for_update()
            .select_related("request")
            .filter(pk__in=list(orders.values()))
        }
        jobs = {j.key: j for j in problem.jobs}
        for route in answer.routes:
            engineer_id = engineers[route.engineer]
            for position, visit in enumerate(route.visits):
                wo = work_orders[orders[visit.job]]
                unchanged(visit.job, wo)
                window = jobs[visit.job].windows[visit.window]
                changes: dict[str, Any] = {
                    "engineer_id": engineer_id,
                    "planned_arrival": origin + dt.timedelta(seconds=visit.arrival),
                    "planned_start": origin + dt.timedelta(seconds=visit.start),
                    "planned_end": origin + dt.timedelta(seconds=visit.departure),
                    "route_position": position,
                    "travel_minutes": round(visit.travel / 60),
                    "pinned": visit.job in pinned,
                    "plan_id": plan.pk,
                }
                if wo.window_start is None:
                    # Several windows were offered: the plan chose this one, which becomes the appointment.
                    changes["window_start"] = origin + dt.timedelta(seconds=window.start)
                    changes["window_end"] = origin + dt.timedelta(seconds=window.end)
                reassigned = wo.engineer_id != engineer_id
                if wo.status == WorkOrderStatus.BOOKED or reassigned:
                    changes["status"] = WorkOrderStatus.PLANNED
                work_order_claim(wo, expected_version=None, from_status=PLANNABLE, **changes)
                if reassigned:
                    _assign_request(actor, wo, engineer_id)
        for left in answer.unassigned:
            dropped = work_orders.get(orders.get(left.job, -1))
            if dropped is not None and dropped.engineer_id is not None and dropped.status in PLANNABLE:
                unchanged(left.job, dropped)
                work_order_claim(dropped, expected_version=None, from_status=PLANNABLE, **unplanned_fields())
        updated = DispatchPlan.objects.filter(pk=plan.pk, status=PlanStatus.READY).update(
            status=PlanStatus.COMMITTED, committed_by_id=actor.user_id, committed_at=now, updated_at=now
        )
        if updated != 1:
            raise Conflict(_("The plan was changed by someone else; reload it and try again."), field="plan")
    plan.refresh_from_db()
    return plan


def _assign_request(actor: Actor, wo: WorkOrder, engineer_id: int) -> None:
    """The request follows its visit: accepted if still new, and assigned to the planned engineer."""
    sr = ServiceRequest.objects.get(pk=wo.request_id)
    if sr.status == Status.NEW:
        request_transition(actor=actor, request=sr, action="accept")
    request_assign(actor=actor, request=sr, engineer_id=engineer_id)
    wo.request = sr
