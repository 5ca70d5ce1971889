"""Writes for field service: open and book work orders, plan a day, commit it, and walk a visit to its end."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Outlet, Skill, StaffProfile
from wuyou.accounts.selectors import calendar_for_outlet
from wuyou.core.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.dispatch.models import (
    BOOKABLE,
    OPEN,
    AppointmentWindow,
    DispatchVerb,
    WorkOrder,
    WorkOrderStatus,
)
from wuyou.dispatch.selectors import booking_fits
from wuyou.dispatch.services.plans import URGENT_REPLAN_SECONDS, plan_request
from wuyou.dispatch.services.routes import (
    MAX_DAYS_AHEAD,
    day_has_plan,
    outlet_day_of,
    routes_bump,
    unplanned_fields,
    work_order_claim,
    work_order_tell,
)
from wuyou.products.models import JobSpec, JobType
from wuyou.tickets.models import CallType, Priority, ServiceRequest
from wuyou.tickets.services import request_dispatch_check, request_record
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


def work_order_open(*, actor: Actor, request: ServiceRequest, visit: WorkOrderInput) -> WorkOrder:
    """Open a visit for a verified repair, installation or complaint request (R-F1); nothing is written on error."""
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not open work orders."))
    request_dispatch_check(request, field="request", closed=_("Only open requests get a visit."))
    job_type = visit.job_type or JOB_FOR_CALL.get(request.call_type)  # type: ignore[call-overload]
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
    duration = visit.duration_minutes
    if duration is None:  # 0 is bad input, not "take the default"
        duration = spec.standard_minutes if spec else DEFAULT_MINUTES[JobType(job_type)]
    if not 5 <= duration <= 600:
        raise ValidationFailed(_("A visit lasts 5 to 600 minutes."), field="duration_minutes")
    if visit.skill_codes is not None:
        skills = list(Skill.objects.filter(code__in=visit.skill_codes))
        unknown = set(visit.skill_codes) - {s.code for s in skills}
        if unknown:
            raise ValidationFailed(
                _("Unknown skill %(code)s.") % {"code": sorted(unknown)[0][:30]}, field="skill_codes"
            )
    else:
        skills = list(spec.skills.all()) if spec else []
    now = timezone.now()
    _check_windows(visit.windows, now)
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
            if visit.windows:
                _booking_lock(wo)
                _room_check(wo, visit.windows)
                _book(actor, wo, list(visit.windows))
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
        _booking_lock(work_order)
        _room_check(work_order, windows)
        work_order_claim(work_order, expected_version=expected_version, from_status=BOOKABLE)
        _book(actor, work_order, list(windows))
    return work_order


def _booking_lock(work_order: WorkOrder) -> None:
    """One booking of the outlet at a time: each sees the room the ones before it took (a held window)."""
    Outlet.objects.select_for_update().filter(pk=work_order.outlet_id).first()


def _room_check(work_order: WorkOrder, windows: Sequence[tuple[dt.datetime, dt.datetime]]) -> None:
    """A booked window holds an engineer's time: refuse windows no engineer has room for any more (R-D3).

    A day nobody works (no shift at all) is left to the dispatcher, who plans it by hand; several windows need room
    in one of them.
    """
    fits = [booking_fits(work_order=work_order, starts_at=s, ends_at=e) for s, e in windows]
    if any(fit is None or fit.feasible for fit in fits):
        return
    raise Conflict(
        _("No engineer has room for this visit in that window any more: it has just been booked. Choose another."),
        field="windows",
    )


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
        if any(s.astimezone(zone).date() <= today for s, _e in windows) and day_has_plan(wo.outlet_id, today, zone):
            plan_request(
                actor=actor,
                outlet_id=wo.outlet_id,
                day=today,
                seconds=URGENT_REPLAN_SECONDS,
                reason=_("Urgent insertion: %(wo)s") % {"wo": wo.number},
            )


# -- calling a visit off ------------------------------------------------------------------------------------


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
