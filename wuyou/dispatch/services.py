"""Writes for field service: open and book work orders, plan a day, commit it, and walk a visit to its end."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Skill, StaffProfile
from wuyou.accounts.selectors import calendar_for_outlet, outlets_visible
from wuyou.core.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.core.locks import version_claim
from wuyou.dispatch.models import (
    BOOKABLE,
    OPEN,
    PLANNABLE,
    STARTED,
    AppointmentWindow,
    DispatchPlan,
    DispatchVerb,
    EngineerDay,
    PlanStatus,
    WorkOrder,
    WorkOrderStatus,
)
from wuyou.dispatch.selectors import day_origin, day_problem
from wuyou.notifications.services import message_to_staff
from wuyou.products.models import JobSpec, JobType
from wuyou.routing import proposal
from wuyou.routing.optimizer import plan_check, solve
from wuyou.routing.travel import GreatCircleTravel
from wuyou.tickets.models import OPEN_STATUSES, CallType, Priority, ServiceRequest, Status
from wuyou.tickets.services import request_assign, request_record, request_transition
from wuyou.tickets.sla import ClockSignal

log = logging.getLogger(__name__)

# The call types that send an engineer, and the job each needs by default.
JOB_FOR_CALL = {
    CallType.REPAIR: JobType.REPAIR,
    CallType.ORDER_REPORT: JobType.INSTALLATION,
    CallType.COMPLAINT: JobType.INSPECTION,
}
DEFAULT_MINUTES = {
    JobType.INSTALLATION: 90,
    JobType.REPAIR: 60,
    JobType.MAINTENANCE: 45,
    JobType.DELIVERY: 30,
    JobType.INSPECTION: 45,
}
# Bulky jobs take one van load unit.
LOADED_JOBS = frozenset({JobType.INSTALLATION, JobType.DELIVERY})
MAX_WINDOWS = 6
MAX_DAYS_AHEAD = 60
PLAN_SECONDS = (1, 120)
URGENT_REPLAN_SECONDS = 5


def travel_model() -> GreatCircleTravel:
    """The travel model plans use (great-circle × road factor ÷ speed, until a road network is plugged in)."""
    return GreatCircleTravel()


def work_order_claim(
    wo: WorkOrder, *, expected_version: int | None, from_status: Sequence[str], **changes: Any
) -> None:
    """Apply changes only if the work order is still as the actor saw it (one of two writers wins)."""
    version_claim(
        wo,
        expected_version=expected_version,
        stale_message=_("The work order was changed by someone else; reload it and try again."),
        from_status=from_status,
        **changes,
    )


def _check_windows(windows: Sequence[tuple[dt.datetime, dt.datetime]], now: dt.datetime) -> None:
    if len(windows) > MAX_WINDOWS:
        raise ValidationFailed(_("Offer at most %(n)d windows.") % {"n": MAX_WINDOWS}, field="windows")
    for i, (start, end) in enumerate(windows):
        name = f"windows[{i}]"
        if start is None or end is None:
            raise ValidationFailed(_("Give both ends of the window."), field=name)
        if end <= start:
            raise ValidationFailed(_("The window must end after it starts."), field=name)
        if end - start > dt.timedelta(hours=12):
            raise ValidationFailed(_("A window is at most 12 hours long."), field=name)
        if end <= now:
            raise ValidationFailed(_("The window is in the past."), field=name)
        if start > now + dt.timedelta(days=MAX_DAYS_AHEAD):
            raise ValidationFailed(
                _("The window is more than %(days)d days ahead.") % {"days": MAX_DAYS_AHEAD}, field=name
            )


@dataclass(frozen=True)
class WorkOrderInput:
    """What the desk says about a visit; empty values come from the product's job specification."""

    job_type: str | None = None
    duration_minutes: int | None = None
    skill_codes: tuple[str, ...] | None = None
    windows: tuple[tuple[dt.datetime, dt.datetime], ...] = ()


def _job_spec(request: ServiceRequest, job_type: str) -> JobSpec | None:
    """The job specification of the request's product model for this kind of visit, if the unit is known."""
    if request.unit_id is None or request.unit is None:
        return None
    return (
        JobSpec.objects.filter(product_model_id=request.unit.product_model_id, job_type=job_type)
        .prefetch_related("skills")
        .first()
    )


def standard_minutes(*, request: ServiceRequest, job_type: str) -> int:
    """How long the visit usually takes: the product's job specification, else the job type's default."""
    spec = _job_spec(request, job_type) if job_type in JobType.values else None
    if spec is not None:
        return spec.standard_minutes
    return DEFAULT_MINUTES.get(JobType(job_type), 60) if job_type in JobType.values else 60


def work_order_open(*, actor: Actor, request: ServiceRequest, data: WorkOrderInput) -> WorkOrder:
    """Open a visit for a verified repair, installation or complaint request (R-F1); nothing is written on error."""
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not open work orders."))
    if request.status not in OPEN_STATUSES:
        raise TransitionNotAllowed(_("Only open requests get a visit."), field="request")
    if request.to_verify:
        raise TransitionNotAllowed(
            _("Verify the request first: %(missing)s missing.") % {"missing": ", ".join(request.missing_fields)},
            field="request",
        )
    job_type = data.job_type or JOB_FOR_CALL.get(request.call_type)  # type: ignore[call-overload]
    if job_type is None:
        raise ValidationFailed(_("Say what kind of visit this is."), field="job_type")
    if job_type not in JobType.values:
        raise ValidationFailed(_("Unknown value %(value)s.") % {"value": str(job_type)[:30]}, field="job_type")
    address = request.address
    if address is None or address.latitude is None or address.longitude is None:
        raise ValidationFailed(
            _("The service address has no map position; correct the address first."), field="address_id"
        )
    spec = _job_spec(request, job_type)
    duration = data.duration_minutes
    if duration is None:  # 0 is bad input, not "take the default"
        duration = spec.standard_minutes if spec else DEFAULT_MINUTES[JobType(job_type)]
    if not 5 <= duration <= 600:
        raise ValidationFailed(_("A visit lasts 5 to 600 minutes."), field="duration_minutes")
    if data.skill_codes is not None:
        skills = list(Skill.objects.filter(code__in=data.skill_codes))
        unknown = set(data.skill_codes) - {s.code for s in skills}
        if unknown:
            raise ValidationFailed(
                _("Unknown skill %(code)s.") % {"code": sorted(unknown)[0][:30]}, field="skill_codes"
            )
    else:
        skills = list(spec.skills.all()) if spec else []
    now = timezone.now()
    _check_windows(data.windows, now)
    if WorkOrder.objects.filter(request=request, status__in=OPEN).exists():
        raise Conflict(_("This request already has an open visit."), field="request")
    wo = WorkOrder(
        request=request,
        outlet_id=request.outlet_id,
        job_type=job_type,
        duration_minutes=duration,
        load=1 if job_type in LOADED_JOBS else 0,
        address_text=address.full_text[:300],
        latitude=address.latitude,
        longitude=address.longitude,
        created_by_id=actor.user_id,
    )
    try:
        with transaction.atomic():
            wo.save()
            wo.number = f"WO{timezone.localdate():%y%m%d}{wo.pk:06d}"
            WorkOrder.objects.filter(pk=wo.pk).update(number=wo.number)
            wo.skills.set(skills)
            request_record(
                actor=actor,
                request=request,
                verb=DispatchVerb.WORK_ORDER_OPENED,
                summary=_("%(number)s: visit %(wo)s opened (%(type)s, %(minutes)d min)")
                % {"number": request.number, "wo": wo.number, "type": wo.get_job_type_display(), "minutes": duration},
                data={"work_order": wo.number, "job_type": job_type, "skills": sorted(s.code for s in skills)},
            )
            if data.windows:
                _book(actor, wo, list(data.windows))
    except IntegrityError:
        # Another clerk opened a visit for the request at the same moment (one open visit per request).
        raise Conflict(_("This request already has an open visit."), field="request") from None
    return wo


def work_order_book(
    *,
    actor: Actor,
    work_order: WorkOrder,
    windows: Sequence[tuple[dt.datetime, dt.datetime]],
    expected_version: int | None = None,
) -> WorkOrder:
    """Record the window(s) the customer accepts (R-D3); one window is the appointment, several let the plan choose."""
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not book visits."))
    if not windows:
        raise ValidationFailed(_("Choose at least one window."), field="windows")
    _check_windows(windows, timezone.now())
    if work_order.status not in BOOKABLE:
        raise TransitionNotAllowed(_("A visit that has started cannot be rebooked."), field="windows")
    with transaction.atomic():
        work_order_claim(work_order, expected_version=expected_version, from_status=BOOKABLE)
        _book(actor, work_order, list(windows))
    return work_order


def _book(actor: Actor, wo: WorkOrder, windows: list[tuple[dt.datetime, dt.datetime]]) -> None:
    """Store the windows and the appointment, leave any plan, and re-plan the day at once for an urgent job."""
    windows = sorted(windows)
    previous_engineer, previous_start = wo.engineer_id, wo.planned_start
    AppointmentWindow.objects.filter(work_order=wo).delete()
    AppointmentWindow.objects.bulk_create(AppointmentWindow(work_order=wo, starts_at=s, ends_at=e) for s, e in windows)
    chosen = windows[0] if len(windows) == 1 else (None, None)
    changes = {**unplanned_fields(), "window_start": chosen[0], "window_end": chosen[1]}
    WorkOrder.objects.filter(pk=wo.pk).update(**changes)
    for name, value in changes.items():
        setattr(wo, name, value)
    if previous_engineer is not None and previous_start is not None:
        routes_bump({previous_engineer}, outlet_day_of(wo, previous_start))
    zone = calendar_for_outlet(wo.outlet_id).zone
    text = ", ".join(f"{s.astimezone(zone):%m-%d %H:%M}–{e.astimezone(zone):%H:%M}" for s, e in windows)
    request_record(
        actor=actor,
        request=wo.request,
        verb=DispatchVerb.APPOINTMENT_BOOKED,
        summary=_("%(number)s: visit booked for %(windows)s") % {"number": wo.request.number, "windows": text},
        data={"work_order": wo.number, "windows": [[s.isoformat(), e.isoformat()] for s, e in windows]},
        clock_signal=ClockSignal.APPOINTMENT_AGREED,
    )
    if wo.request.priority == Priority.URGENT:
        today = timezone.localtime(timezone.now(), zone).date()
        if any(s.astimezone(zone).date() <= today for s, _e in windows) and _day_has_plan(wo.outlet_id, today, zone):
            plan_request(
                actor=actor,
                outlet_id=wo.outlet_id,
                day=today,
                seconds=URGENT_REPLAN_SECONDS,
                reason=_("Urgent insertion: %(wo)s") % {"wo": wo.number},
            )


def outlet_day_of(wo: WorkOrder, at: dt.datetime) -> dt.date:
    return at.astimezone(calendar_for_outlet(wo.outlet_id).zone).date()


def _day_has_plan(outlet_id: int, day: dt.date, zone: dt.tzinfo) -> bool:
    origin = day_origin(zone, day)
    return WorkOrder.objects.filter(
        outlet_id=outlet_id,
        engineer__isnull=False,
        planned_start__gte=origin,
        planned_start__lt=origin + dt.timedelta(days=1),
        status__in=[*PLANNABLE, *STARTED],
    ).exists()


def routes_bump(engineer_ids: set[int], day: dt.date) -> None:
    """A route changed outside a plan: plans built on the old route can no longer be committed."""
    for engineer_id in engineer_ids:
        EngineerDay.objects.get_or_create(engineer_id=engineer_id, day=day)
    EngineerDay.objects.filter(engineer_id__in=engineer_ids, day=day).update(route_version=F("route_version") + 1)


# -- planning a day ----------------------------------------------------------------------------------------------


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
            % {"why": _readable_keys(str(exc), stored)},
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
    answer = proposal.plan_load(stored["plan"])
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


def unplanned_fields() -> dict[str, Any]:
    """The fields of a visit taken out of any route: booked, no engineer, no planned times, not pinned."""
    return {
        "status": WorkOrderStatus.BOOKED,
        "engineer_id": None,
        "planned_arrival": None,
        "planned_start": None,
        "planned_end": None,
        "route_position": None,
        "travel_minutes": None,
        "pinned": False,
    }


def _assign_request(actor: Actor, wo: WorkOrder, engineer_id: int) -> None:
    """The request follows its visit: accepted if still new, and assigned to the planned engineer."""
    sr = ServiceRequest.objects.get(pk=wo.request_id)
    if sr.status == Status.NEW:
        request_transition(actor=actor, request=sr, action="accept")
    request_assign(actor=actor, request=sr, engineer_id=engineer_id)
    wo.request = sr


# -- the engineer's visit ----------------------------------------------------------------------------------------


def work_order_tell(wo: WorkOrder, *, kind: str, subject: str, body: str, user_ids: list[int], key: str) -> None:
    message_to_staff(
        user_ids=user_ids,
        kind=kind,
        subject=subject,
        body=body,
        ref=f"work_order:{wo.pk}",
        dedupe_key=f"wo:{wo.pk}:{key}",
    )


# Visits not under way yet may be called off; once the engineer is on his way he finishes or hands it back.
CANCELLABLE = (WorkOrderStatus.UNBOOKED, WorkOrderStatus.BOOKED, WorkOrderStatus.PLANNED)


def work_order_cancel_check(work_order: WorkOrder) -> None:
    """Refuse to call off a visit already under way (callers check a request's visits before writing anything)."""
    if work_order.status not in CANCELLABLE:
        raise TransitionNotAllowed(
            _("Visit %(wo)s is %(status)s: the engineer finishes it or hands it back first.")
            % {"wo": work_order.number, "status": work_order.get_status_display()},
            field="note",
        )


def work_order_cancel(*, actor: Actor, work_order: WorkOrder, reason: str, at: dt.datetime | None = None) -> WorkOrder:
    """Call off a visit that is not under way (e.g. solved by phone); the engineer is told if it was on his route."""
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not call off visits."))
    work_order_cancel_check(work_order)
    now = at or timezone.now()
    engineer_id, planned_start, from_status = work_order.engineer_id, work_order.planned_start, work_order.status
    with transaction.atomic():
        try:
            work_order_claim(
                work_order,
                expected_version=None,
                from_status=CANCELLABLE,
                status=WorkOrderStatus.CANCELLED,
                pinned=False,
            )
        except Conflict:
            raise Conflict(
                _("Visit %(wo)s was changed by someone else; reload the request and try again.")
                % {"wo": work_order.number},
                field="version",
            ) from None
        sr = work_order.request
        request_record(
            actor=actor,
            request=sr,
            verb=DispatchVerb.WORK_ORDER_CANCELLED,
            summary=_("%(number)s: visit %(wo)s called off, %(reason)s")
            % {"number": sr.number, "wo": work_order.number, "reason": reason},
            data={"work_order": work_order.number, "from": from_status},
            at=now,
        )
        if engineer_id is not None:
            if planned_start is not None:
                routes_bump({engineer_id}, outlet_day_of(work_order, planned_start))
            engineer = StaffProfile.objects.filter(pk=engineer_id, user__is_active=True).values("user_id").first()
            if engineer is not None:
                subject = _("Visit %(wo)s called off: %(reason)s") % {"wo": work_order.number, "reason": reason}
                work_order_tell(
                    work_order,
                    kind="visit_cancelled",
                    subject=subject,
                    body=f"{subject}\n{work_order.address_text}",
                    user_ids=[engineer["user_id"]],
                    key="cancelled",
                )
    return work_order
