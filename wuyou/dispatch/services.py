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
from django.utils.translation import gettext_lazy

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Role, Skill, StaffProfile
from wuyou.accounts.selectors import calendar_for_outlet, outlet_contact_ids, outlets_visible
from wuyou.core.errors import Conflict, DomainError, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.dispatch import proposal
from wuyou.dispatch.fees import MAX_SIGNATURE_CHARS as MAX_SIGNATURE_CHARS  # the step form and schema import it here
from wuyou.dispatch.fees import finish_check, is_drawn_signature, parts_agreed_check
from wuyou.dispatch.loans import take_back_record
from wuyou.dispatch.models import (
    OPEN,
    PLANNABLE,
    STARTED,
    AppointmentWindow,
    DispatchPlan,
    EngineerDay,
    PlanStatus,
    WorkOrder,
    WorkOrderStatus,
)
from wuyou.dispatch.optimizer import plan_check, solve
from wuyou.dispatch.selectors import day_origin, day_problem
from wuyou.dispatch.stock import part_consume
from wuyou.dispatch.travel import GreatCircleTravel
from wuyou.notifications.services import message_to_staff
from wuyou.products.models import JobSpec, JobType
from wuyou.tickets.models import OPEN_STATUSES, CallType, Priority, ServiceRequest, Status
from wuyou.tickets.services import request_assign, request_record, request_transition

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
LATE_ALERT_MINUTES = 15  # R-F8: more than 15 minutes late alerts the outlet manager


def travel_model() -> GreatCircleTravel:
    """The travel model plans use (great-circle × road factor ÷ speed, until a road network is plugged in)."""
    return GreatCircleTravel()


def _version_claim(wo: WorkOrder, *, expected_version: int | None, from_status: Sequence[str], **changes: Any) -> None:
    """Apply changes only if the work order is still as the actor saw it (one of two writers wins)."""
    if expected_version is not None and expected_version != wo.version:
        raise Conflict(_("The work order was changed by someone else; reload it and try again."), field="version")
    updated = WorkOrder.objects.filter(pk=wo.pk, version=wo.version, status__in=list(from_status)).update(
        version=F("version") + 1, updated_at=timezone.now(), **changes
    )
    if updated != 1:
        raise Conflict(_("The work order was changed by someone else; reload it and try again."), field="version")
    wo.version += 1
    for name, value in changes.items():
        setattr(wo, name, value)


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
                verb="work_order_opened",
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
    if work_order.status not in (WorkOrderStatus.UNBOOKED, *PLANNABLE):
        raise TransitionNotAllowed(_("A visit that has started cannot be rebooked."), field="windows")
    with transaction.atomic():
        _version_claim(
            work_order,
            expected_version=expected_version,
            from_status=(WorkOrderStatus.UNBOOKED, *PLANNABLE),
        )
        _book(actor, work_order, list(windows))
    return work_order


def _book(actor: Actor, wo: WorkOrder, windows: list[tuple[dt.datetime, dt.datetime]]) -> None:
    """Store the windows and the appointment, leave any plan, and re-plan the day at once for an urgent job."""
    windows = sorted(windows)
    previous_engineer, previous_start = wo.engineer_id, wo.planned_start
    AppointmentWindow.objects.filter(work_order=wo).delete()
    AppointmentWindow.objects.bulk_create(AppointmentWindow(work_order=wo, starts_at=s, ends_at=e) for s, e in windows)
    chosen = windows[0] if len(windows) == 1 else (None, None)
    changes = {**_unplanned(), "window_start": chosen[0], "window_end": chosen[1]}
    WorkOrder.objects.filter(pk=wo.pk).update(**changes)
    for name, value in changes.items():
        setattr(wo, name, value)
    if previous_engineer is not None and previous_start is not None:
        _bump_routes({previous_engineer}, _local_day(wo, previous_start))
    zone = calendar_for_outlet(wo.outlet_id).zone
    text = ", ".join(f"{s.astimezone(zone):%m-%d %H:%M}–{e.astimezone(zone):%H:%M}" for s, e in windows)
    request_record(
        actor=actor,
        request=wo.request,
        verb="appointment_booked",
        summary=_("%(number)s: visit booked for %(windows)s") % {"number": wo.request.number, "windows": text},
        data={"work_order": wo.number, "windows": [[s.isoformat(), e.isoformat()] for s, e in windows]},
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


def _local_day(wo: WorkOrder, at: dt.datetime) -> dt.date:
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


def _bump_routes(engineer_ids: set[int], day: dt.date) -> None:
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
                _version_claim(wo, expected_version=None, from_status=PLANNABLE, **changes)
                if reassigned:
                    _assign_request(actor, wo, engineer_id)
        for left in answer.unassigned:
            dropped = work_orders.get(orders.get(left.job, -1))
            if dropped is not None and dropped.engineer_id is not None and dropped.status in PLANNABLE:
                unchanged(left.job, dropped)
                _version_claim(dropped, expected_version=None, from_status=PLANNABLE, **_unplanned())
        updated = DispatchPlan.objects.filter(pk=plan.pk, status=PlanStatus.READY).update(
            status=PlanStatus.COMMITTED, committed_by_id=actor.user_id, committed_at=now, updated_at=now
        )
        if updated != 1:
            raise Conflict(_("The plan was changed by someone else; reload it and try again."), field="plan")
    plan.refresh_from_db()
    return plan


def _unplanned() -> dict[str, Any]:
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


def _engineer_of(actor: Actor, wo: WorkOrder) -> None:
    """Only the engineer the visit is planned for works it (the desk may record on his behalf)."""
    if actor.role == Role.ENGINEER:
        if wo.engineer is None or wo.engineer.user_id != actor.user_id:
            raise PermissionDenied(_("This visit is planned for another engineer."))
    elif not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not record visits."))


def _tell(wo: WorkOrder, *, kind: str, subject: str, body: str, user_ids: list[int], key: str) -> None:
    message_to_staff(
        user_ids=user_ids,
        kind=kind,
        subject=subject,
        body=body,
        ref=f"work_order:{wo.pk}",
        dedupe_key=f"wo:{wo.pk}:{key}",
    )


@dataclass(frozen=True)
class Step:
    """A step of the visit: the statuses it may be taken from, the status it leaves, and the event verb."""

    sources: tuple[str, ...]
    target: str | None  # None: the status does not change
    verb: str


STEPS: dict[str, Step] = {
    "confirm_call": Step((WorkOrderStatus.PLANNED,), WorkOrderStatus.CONFIRMED, "job_confirmed"),
    "on_the_way": Step(
        (WorkOrderStatus.PLANNED, WorkOrderStatus.CONFIRMED), WorkOrderStatus.ON_THE_WAY, "job_on_the_way"
    ),
    "arrived": Step(
        (WorkOrderStatus.PLANNED, WorkOrderStatus.CONFIRMED, WorkOrderStatus.ON_THE_WAY),
        WorkOrderStatus.ON_SITE,
        "job_arrived",
    ),
    "diagnosis": Step((WorkOrderStatus.ON_SITE,), None, "job_diagnosis"),
    "work_done": Step((WorkOrderStatus.ON_SITE,), None, "job_work_done"),
    "parts_used": Step((WorkOrderStatus.ON_SITE,), None, "job_parts_used"),
    "take_back": Step((WorkOrderStatus.ON_SITE,), None, "job_take_back"),
    "test_run": Step((WorkOrderStatus.ON_SITE,), None, "job_test_run"),
    "rating": Step((WorkOrderStatus.ON_SITE,), None, "job_rated"),
    "done": Step((WorkOrderStatus.ON_SITE,), WorkOrderStatus.DONE, "job_done"),
}


@dataclass(frozen=True)
class StepInput:
    """What the engineer enters for a step; only the fields of that step are read."""

    note: str = ""
    parts: tuple[tuple[str, str, int], ...] = ()  # (catalogue part code, serial, quantity)
    receipt: str = ""
    test_run_ok: bool | None = None
    quality: int | None = None
    attitude: int | None = None
    signature: str = ""  # data:image/png;base64,…
    signed_by: str = ""


def _step_changes(step: str, wo: WorkOrder, data: StepInput, now: dt.datetime) -> tuple[dict[str, Any], str]:
    """The fields a step writes and the note of its event; ValidationFailed names the field at fault."""
    note = data.note.strip()
    if step == "confirm_call":
        return {"confirmed_at": now}, note
    if step == "on_the_way":
        return {"departed_at": now}, note
    if step == "arrived":
        return {"arrived_at": now}, note
    if step in ("diagnosis", "work_done"):
        if not note:
            raise ValidationFailed(_("Write what you found or did."), field="note")
        return {step: note[:4000]}, note
    if step == "parts_used":
        if not data.parts:
            raise ValidationFailed(_("List at least one part."), field="parts")
        for i, (code, _serial, quantity) in enumerate(data.parts):
            if not code.strip():
                raise ValidationFailed(_("Choose the part from the catalogue."), field=f"parts[{i}].code")
            if not 1 <= quantity <= 99:
                raise ValidationFailed(_("A quantity is 1 to 99."), field=f"parts[{i}].quantity")
        return {}, note  # booked from the van inside the step's transaction (_consume_parts)
    if step == "take_back":
        receipt = data.receipt.strip()
        if not receipt:
            raise ValidationFailed(_("Give the number of the take-back receipt the customer signed."), field="receipt")
        if not data.signed_by.strip():
            raise ValidationFailed(_("Write who signed the take-back receipt."), field="signed_by")
        return {"take_back_receipt": receipt[:40]}, note
    if step == "test_run":
        if data.test_run_ok is None:
            raise ValidationFailed(_("Say whether the test run passed."), field="test_run_ok")
        return {"test_run_ok": data.test_run_ok, "test_run_note": note[:300]}, note
    if step == "rating":
        for name, value in (("quality", data.quality), ("attitude", data.attitude)):
            if value is None or not 1 <= value <= 5:
                raise ValidationFailed(_("Rate from 1 to 5."), field=name)
        signature = data.signature.strip()
        if not signature and not note:
            raise ValidationFailed(_("Have the customer sign, or say why there is no signature."), field="signature")
        if signature and not is_drawn_signature(signature):
            raise ValidationFailed(_("The signature is not a drawn image."), field="signature")
        return {
            "quality_rating": data.quality,
            "attitude_rating": data.attitude,
            "signature": signature,
            "signed_by": data.signed_by.strip()[:50],
        }, note
    # done
    finish_check(wo)
    if not wo.work_done and not note:
        raise ValidationFailed(_("Record the work done before finishing."), field="note")
    if wo.quality_rating is None:
        raise ValidationFailed(_("Ask the customer to rate the visit before finishing."), field="rating")
    return {"finished_at": now, **({"work_done": note[:4000]} if note and not wo.work_done else {})}, note


def work_order_step(
    *, actor: Actor, work_order: WorkOrder, step: str, data: StepInput, expected_version: int | None = None
) -> WorkOrder:
    """Record a step of the visit (R-F2, R-F3); each is an event on the request and moves its clocks."""
    spec = STEPS.get(step)
    if spec is None:
        raise ValidationFailed(_("Unknown step %(step)s.") % {"step": step[:30]}, field="step")
    _engineer_of(actor, work_order)
    if work_order.status not in spec.sources:
        raise TransitionNotAllowed(
            _("A visit that is %(status)s cannot take this step.") % {"status": work_order.get_status_display()},
            field="step",
        )
    now = timezone.now()
    changes, note = _step_changes(step, work_order, data, now)
    if spec.target is not None:
        changes["status"] = spec.target
    sr = work_order.request
    with transaction.atomic():
        if step == "parts_used":
            changes["parts_used"] = [*work_order.parts_used, *_consume_parts(actor, work_order, data.parts, note)]
            note = ", ".join(f"{p['name']} {p['serial']}".strip() for p in changes["parts_used"][-len(data.parts) :])
        if step == "take_back":
            take_back_record(actor=actor, work_order=work_order, receipt_number=data.receipt, signed_by=data.signed_by)
        _version_claim(work_order, expected_version=expected_version, from_status=spec.sources, **changes)
        request_record(
            actor=actor,
            request=sr,
            verb=spec.verb,
            summary=_("%(number)s: %(step)s") % {"number": sr.number, "step": STEP_LABELS[step]},
            data={"work_order": work_order.number, **_event_data(step, changes)},
            note=note,
            at=now,
        )
        if step == "arrived":
            sr.refresh_from_db()  # the page's copy may predate a desk change; the transition guards on its version
            if sr.status == Status.ACCEPTED and not sr.to_verify:
                request_transition(actor=actor, request=sr, action="start")
        if step == "done":
            sr.refresh_from_db()
            if sr.status in OPEN_STATUSES:
                request_transition(actor=actor, request=sr, action="resolve", note=work_order.work_done or note)
    return work_order


def _consume_parts(
    actor: Actor, wo: WorkOrder, rows: Sequence[tuple[str, str, int]], note: str
) -> list[dict[str, Any]]:
    """Book each part out of the engineer's van, as the customer agreed on the quote; errors name the row."""
    parts_agreed_check(wo, [(code.strip(), quantity) for code, _serial, quantity in rows])
    booked = []
    for i, (code, serial, quantity) in enumerate(rows):
        try:
            move = part_consume(
                actor=actor, work_order_id=wo.pk, part_code=code.strip(), quantity=quantity, serial=serial, note=note
            )
        except DomainError as exc:
            name = {"part": "code", "part_code": "code", None: "code"}.get(exc.field, exc.field)
            raise type(exc)(exc.message, field=f"parts[{i}].{name}") from None
        booked.append(
            {
                "code": move.part.code,
                "name": move.part.name,
                "serial": move.serial,
                "quantity": quantity,
                "move": move.pk,
            }
        )
    return booked


def _event_data(step: str, changes: dict[str, Any]) -> dict[str, Any]:
    if step == "rating":
        return {"quality": changes["quality_rating"], "attitude": changes["attitude_rating"]}
    if step == "parts_used":
        return {"parts": changes["parts_used"]}
    if step == "test_run":
        return {"passed": changes["test_run_ok"]}
    if step == "take_back":
        return {"receipt": changes["take_back_receipt"]}
    return {}


# What each step and exception is called in the request's history and messages.
STEP_LABELS: dict[str, Any] = {
    "confirm_call": gettext_lazy("appointment confirmed by phone"),
    "on_the_way": gettext_lazy("engineer on the way"),
    "arrived": gettext_lazy("engineer arrived"),
    "diagnosis": gettext_lazy("diagnosis recorded"),
    "work_done": gettext_lazy("work recorded"),
    "parts_used": gettext_lazy("parts used"),
    "take_back": gettext_lazy("unit taken back for repair"),
    "test_run": gettext_lazy("test run"),
    "rating": gettext_lazy("customer rated the visit and signed"),
    "done": gettext_lazy("visit done"),
    "nobody_home": gettext_lazy("nobody home"),
    "entry_refused": gettext_lazy("entry refused"),
    "running_late": gettext_lazy("running late"),
    "compensation": gettext_lazy("customer asks for compensation"),
    "hand_back": gettext_lazy("visit handed back for reassignment"),
}

EXCEPTIONS = ("nobody_home", "entry_refused", "running_late", "compensation", "hand_back")
# Who hears of each exception (R-F8): the centre re-books; the manager visits after a refusal, hears of a late
# engineer, and with the service managers handles compensation, never promised on site.
EXCEPTION_TOLD: dict[str, dict[str, bool]] = {
    "nobody_home": {"clerks": True, "managers": False},
    "hand_back": {"clerks": True, "managers": False},
    "entry_refused": {"clerks": True, "managers": True},
    "running_late": {"clerks": False, "managers": True},
    "compensation": {"clerks": False, "managers": True, "service_managers": True},
}


def work_order_exception(
    *,
    actor: Actor,
    work_order: WorkOrder,
    kind: str,
    note: str = "",
    late_minutes: int | None = None,
    expected_version: int | None = None,
) -> WorkOrder:
    """Report an exception on a visit (R-F8): the centre is told, the manager when it matters; never a promise."""
    if kind not in EXCEPTIONS:
        raise ValidationFailed(_("Unknown exception %(kind)s.") % {"kind": kind[:30]}, field="kind")
    _engineer_of(actor, work_order)
    if work_order.status not in (*PLANNABLE, *STARTED) or work_order.engineer_id is None:
        raise TransitionNotAllowed(_("Only a planned or started visit can report this."), field="kind")
    note = note.strip()
    if kind != "running_late" and not note:
        raise ValidationFailed(_("Say what happened (a note is required)."), field="note")
    if kind == "running_late" and (late_minutes is None or not 1 <= late_minutes <= 600):
        raise ValidationFailed(_("Say how late, 1 to 600 minutes."), field="late_minutes")
    sr = work_order.request
    now = timezone.now()
    day = _local_day(work_order, work_order.planned_start or now)
    changes: dict[str, Any] = {}
    rebook = kind in ("nobody_home", "entry_refused", "hand_back")
    if kind == "running_late":
        changes["late_minutes"] = late_minutes
    elif rebook:
        # The visit goes back to the desk: a new appointment (nobody home, refused) or another engineer.
        changes = _unplanned()
        if kind != "hand_back":
            changes.update(status=WorkOrderStatus.UNBOOKED, window_start=None, window_end=None)
    label = STEP_LABELS[kind]
    summary = _("%(number)s: %(what)s") % {"number": sr.number, "what": label}
    engineer_id = work_order.engineer_id
    with transaction.atomic():
        _version_claim(work_order, expected_version=expected_version, from_status=(*PLANNABLE, *STARTED), **changes)
        request_record(
            actor=actor,
            request=sr,
            verb=f"job_{kind}",
            summary=summary,
            data={"work_order": work_order.number, **({"late_minutes": late_minutes} if late_minutes else {})},
            note=note,
            at=now,
        )
        if rebook:
            _bump_routes({engineer_id}, day)
            if kind != "hand_back":
                request_record(
                    actor=actor,
                    request=sr,
                    verb="job_rebook",
                    summary=_("%(number)s: a new appointment is needed") % {"number": sr.number},
                    at=now,
                )
        body = f"{summary}\n{work_order.address_text}\n{note}".strip()
        key = f"{kind}:{work_order.version}"
        told = EXCEPTION_TOLD.get(kind)
        if kind == "running_late" and (late_minutes or 0) <= LATE_ALERT_MINUTES:
            told = None  # a few minutes late is not news (R-F8: more than 15 tells the manager)
        if told is not None:
            _tell(
                work_order,
                kind=f"visit_{kind}",
                subject=summary,
                body=body + (f" ({late_minutes} min)" if late_minutes else ""),
                user_ids=outlet_contact_ids(work_order.outlet_id, **told),
                key=key,
            )
    return work_order


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
            _version_claim(
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
            verb="work_order_cancelled",
            summary=_("%(number)s: visit %(wo)s called off, %(reason)s")
            % {"number": sr.number, "wo": work_order.number, "reason": reason},
            data={"work_order": work_order.number, "from": from_status},
            at=now,
        )
        if engineer_id is not None:
            if planned_start is not None:
                _bump_routes({engineer_id}, _local_day(work_order, planned_start))
            engineer = StaffProfile.objects.filter(pk=engineer_id, user__is_active=True).values("user_id").first()
            if engineer is not None:
                subject = _("Visit %(wo)s called off: %(reason)s") % {"wo": work_order.number, "reason": reason}
                _tell(
                    work_order,
                    kind="visit_cancelled",
                    subject=subject,
                    body=f"{subject}\n{work_order.address_text}",
                    user_ids=[engineer["user_id"]],
                    key="cancelled",
                )
    return work_order
