"""Writes of the complaint desk (R-G3): register a complaint request's record, tell the customer the promise,
dispose of it (approved by the service manager above the amount) and the face-to-face reply to an authority. The
rectification plan is in services/rectification.py.

Each service owns its transaction: on any refusal nothing is written. The complaint's `version` guards against two
people acting on the same complaint at once (the second gets Conflict, 409).
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor, Scope
from wuyou.accounts.models import Role, StaffProfile
from wuyou.accounts.selectors import calendar_for_outlet, outlet_contact_ids, outlets_visible
from wuyou.core.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.core.locks import version_claim
from wuyou.customers.models import Customer
from wuyou.notifications.services import OutgoingMessage, message_queue, message_to_staff, recipient_channels
from wuyou.products.models import Unit
from wuyou.quality import complaints as rules
from wuyou.quality.models import (
    CallbackReason,
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    QualityVerb,
    Remedy,
    ResponsibleParty,
    Severity,
)
from wuyou.quality.selectors import complaint_get, complaint_settings_for
from wuyou.quality.services.scheduling import callback_schedule
from wuyou.tickets.lifecycle import transition_for
from wuyou.tickets.models import CallType, Channel, ServiceRequest, Status
from wuyou.tickets.selectors import request_contact_number, request_get
from wuyou.tickets.services import request_record, request_transition

log = logging.getLogger("wuyou.quality")

UNDISPOSED = (ComplaintStatus.REGISTERED, ComplaintStatus.AWAITING_APPROVAL)


def _stale() -> str:
    return _("The complaint was changed by someone else; reload it and try again.")


def _desk(actor: Actor) -> None:
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not work complaints."))


def _choice(value: str, choices: list[str], field: str, message: str) -> str:
    value = (value or "").strip()
    if value not in choices:
        raise ValidationFailed(message, field=field)
    return value


def _text(value: str, *, field: str, required: str | None, limit: int) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(required, field=field)
    if len(value) > limit:
        raise ValidationFailed(_("The text is too long (%(max)d characters at most).") % {"max": limit}, field=field)
    return value


def _claim(complaint: Complaint, *, expected_version: int | None, from_status: tuple[str, ...] | None, **changes: Any):
    version_claim(
        complaint, expected_version=expected_version, stale_message=_stale(), from_status=from_status, **changes
    )


def _local(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


# --- registering --------------------------------------------------------------------------------------------------


def _unit_of(request: ServiceRequest, unit_id: int | None) -> Unit | None:
    if unit_id is None:
        return request.unit
    unit = Unit.objects.filter(pk=unit_id, owner_id=request.customer_id).first()
    if unit is None:
        raise ValidationFailed(_("The unit is not one of the customer's."), field="unit_id")
    return unit


def _engineer_of(actor: Actor, engineer_id: int | None) -> StaffProfile | None:
    if engineer_id is None:
        return None
    engineer = StaffProfile.objects.filter(
        pk=engineer_id, role=Role.ENGINEER, outlet__in=outlets_visible(actor=actor)
    ).first()
    if engineer is None:
        raise ValidationFailed(_("Unknown engineer."), field="about_engineer_id")
    return engineer


def _repeat_of(
    *, unit: Unit | None, engineer: StaffProfile | None, within_days: int, now: dt.datetime
) -> Complaint | None:
    """The latest earlier complaint about the same unit or the same engineer inside the window, if any."""
    if unit is None and engineer is None:
        return None
    earlier = Complaint.objects.filter(created_at__gte=now - dt.timedelta(days=within_days))
    about = Complaint.objects.none()
    if unit is not None:
        about = about | earlier.filter(unit=unit)
    if engineer is not None:
        about = about | earlier.filter(about_engineer=engineer)
    return about.order_by("-created_at", "-pk").first()


def complaint_register(
    *,
    actor: Actor,
    request: ServiceRequest,
    category: str,
    severity: str = Severity.MINOR,
    unit_id: int | None = None,
    about_engineer_id: int | None = None,
) -> Complaint:
    """Register the record of a complaint request (R-G3): what it is about, the disposition promised in 3 working
    days on the outlet's calendar, and whether it repeats an earlier complaint about the same unit or engineer."""
    _desk(actor)
    request = request_get(actor=actor, request_id=request.pk)  # another outlet's request: NotFound
    if request.call_type != CallType.COMPLAINT:
        raise TransitionNotAllowed(_("Only a complaint request gets a complaint record."), field="request_id")
    if request.status == Status.CANCELLED:
        raise TransitionNotAllowed(_("The request was cancelled."), field="request_id")
    if Complaint.objects.filter(request=request).exists():
        raise Conflict(_("This complaint has been registered already."), field="request_id")
    category = _choice(category, ComplaintCategory.values, "category", _("Choose what the complaint is about."))
    severity = _choice(severity, Severity.values, "severity", _("Choose how severe the complaint is."))
    unit = _unit_of(request, unit_id)
    engineer = _engineer_of(actor, about_engineer_id)
    now = timezone.now()
    # The promise runs from when the customer complained (the request's disposition clock starts then too).
    promised_by = calendar_for_outlet(request.outlet_id).workdays_deadline(
        request.created_at or now, rules.DISPOSITION_WORKDAYS
    )
    settings = complaint_settings_for(outlet_id=request.outlet_id)
    repeat = _repeat_of(unit=unit, engineer=engineer, within_days=settings.repeat_within_days, now=now)
    with transaction.atomic():
        complaint = Complaint.objects.create(
            request=request,
            category=category,
            severity=severity,
            unit=unit,
            about_engineer=engineer,
            promised_by=promised_by,
            repeat_of=repeat,
        )
        request_record(
            actor=actor,
            request=request,
            verb=QualityVerb.COMPLAINT_REGISTERED,
            summary=_("%(number)s: complaint registered (%(category)s), disposition promised by %(when)s")
            % {"number": request.number, "category": complaint.get_category_display(), "when": _local(promised_by)},
            data={
                "complaint": complaint.pk,
                "category": category,
                "severity": severity,
                "promised_by": promised_by.isoformat(),
                **({"repeat_of": repeat.pk} if repeat is not None else {}),
            },
            at=now,
        )
    return complaint


def complaint_promise_told(*, actor: Actor, complaint: Complaint, expected_version: int | None = None) -> Complaint:
    """Record that the agent read out the apology and the promised disposition time to the customer."""
    _desk(actor)
    complaint = complaint_get(actor=actor, complaint_id=complaint.pk)
    if complaint.promise_told_at is not None:
        raise Conflict(_("The customer has been told the promise already."), field="promise_told_at")
    now = timezone.now()
    with transaction.atomic():
        _claim(complaint, expected_version=expected_version, from_status=None, promise_told_at=now)
        request_record(
            actor=actor,
            request=complaint.request,
            verb=QualityVerb.COMPLAINT_PROMISE_TOLD,
            summary=_("%(number)s: customer told the disposition comes by %(when)s")
            % {"number": complaint.request.number, "when": _local(complaint.promised_by or now)},
            data={"complaint": complaint.pk},
            at=now,
        )
    return complaint


# --- disposing ----------------------------------------------------------------------------------------------------


def _amount(value: Decimal | str | None, remedy: str) -> Decimal | None:
    if value is None or value == "":
        if remedy in (Remedy.REFUND, Remedy.COMPENSATION):
            raise ValidationFailed(_("Say how much the customer gets."), field="remedy_amount")
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(_("Enter the amount in yuan."), field="remedy_amount") from None
    if not amount.is_finite() or amount < 0 or amount > rules.AMOUNT_MAX:
        raise ValidationFailed(_("The amount must be between 0 and 99,999,999.99 yuan."), field="remedy_amount")
    if amount == 0 and remedy in (Remedy.REFUND, Remedy.COMPENSATION):
        raise ValidationFailed(_("A refund or compensation is more than 0 yuan."), field="remedy_amount")
    return amount


def _inform_customer(complaint: Complaint, request: ServiceRequest, now: dt.datetime) -> bool:
    """Queue the disposition to the customer through the outbox; False when he cannot be reached by message."""
    customer = Customer.objects.get(pk=request.customer_id)
    number = request_contact_number(request)
    if customer.anonymised_at is not None or not number:
        return False
    subject, body = rules.disposition_message(
        number=request.number or "",
        finding=complaint.finding,
        remedy_label=complaint.get_remedy_display(),
        amount=complaint.remedy_amount,
    )
    # The customer has no account: his message goes to his number through the customer channels configured
    # (the same as a staff member without e-mail gets; the console log on a trial installation).
    channels = recipient_channels(recipient=None)
    message_queue(
        messages=[
            OutgoingMessage(
                recipient_id=None,
                channel=channel,
                kind="complaint_disposed",
                subject=subject,
                body=body,
                ref=f"request:{request.pk}",
                dedupe_key=f"complaint:{complaint.pk}:disposed:{channel}",
                address=number,
            )
            for channel in channels
        ],
        now=now,
    )
    return bool(channels)


def _resolve_request(actor: Actor, request: ServiceRequest, note: str) -> None:
    """Resolve the request (meeting its complaint_disposition clock); one already resolved or closed stays so."""
    transition = transition_for("resolve")
    assert transition is not None
    if request.status in transition.sources:
        request_transition(actor=actor, request=request, action="resolve", note=note)


def _dispose(actor: Actor, complaint: Complaint, now: dt.datetime, *, from_status: tuple[str, ...]) -> Complaint:
    """Complete a disposition inside the caller's transaction: the request resolved, the customer told, the
    callback scheduled."""
    settings = complaint_settings_for(outlet_id=complaint.request.outlet_id)
    if rules.remedy_needs_approval(complaint.remedy_amount, settings.approval_above) and complaint.approved_at is None:
        # The last guard: no path disposes of a remedy above the amount without the service manager's approval.
        raise PermissionDenied(
            _("A remedy above %(amount)s yuan needs the service manager's approval.")
            % {"amount": f"{settings.approval_above:.2f}"},
            field="remedy_amount",
        )
    request = ServiceRequest.objects.select_related("customer").get(pk=complaint.request_id)
    _claim(
        complaint,
        expected_version=None,
        from_status=from_status,
        status=ComplaintStatus.DISPOSED,
        disposed_at=now,
        disposed_by_id=actor.user_id,
    )
    _resolve_request(actor, request, complaint.finding)
    request_record(
        actor=actor,
        request=request,
        verb=QualityVerb.COMPLAINT_DISPOSED,
        summary=_("%(number)s: complaint disposed — %(responsible)s responsible, %(remedy)s")
        % {
            "number": request.number,
            "responsible": complaint.get_responsible_display(),
            "remedy": complaint.get_remedy_display(),
        },
        data={
            "complaint": complaint.pk,
            "responsible": complaint.responsible,
            "remedy": complaint.remedy,
            "remedy_amount": None if complaint.remedy_amount is None else str(complaint.remedy_amount),
            "within_promise": complaint.promised_by is None or now <= complaint.promised_by,
        },
        note=complaint.finding,
        at=now,
    )
    if _inform_customer(complaint, request, now):
        _claim(
            complaint,
            expected_version=None,
            from_status=(ComplaintStatus.DISPOSED,),
            status=ComplaintStatus.INFORMED,
            customer_informed_at=now,
        )
        request_record(
            actor=actor,
            request=request,
            verb=QualityVerb.COMPLAINT_CUSTOMER_INFORMED,
            summary=_("%(number)s: customer informed of the disposition") % {"number": request.number},
            data={"complaint": complaint.pk},
            at=now,
        )
    # The callback report (seed 003): the customer is asked whether the disposition satisfies him.
    callback_schedule(actor=actor, request=request, reason=CallbackReason.COMPLAINT)
    return complaint


def complaint_dispose(
    *,
    actor: Actor,
    complaint: Complaint,
    finding: str,
    responsible: str,
    remedy: str,
    remedy_amount: Decimal | str | None = None,
    expected_version: int | None = None,
) -> Complaint:
    """Dispose of a complaint (R-G3): the finding, the party responsible (required), the remedy and its amount.

    Above the organisation's amount the remedy waits for the service manager's approval (AWAITING_APPROVAL) unless
    the actor is the approver; otherwise the request is resolved (its disposition clock met), the customer told
    through the outbox and the complaint callback scheduled, all in one transaction.
    """
    _desk(actor)
    complaint = complaint_get(actor=actor, complaint_id=complaint.pk)
    if expected_version is not None and expected_version != complaint.version:
        raise Conflict(_stale(), field="version")
    if complaint.status != ComplaintStatus.REGISTERED:
        raise TransitionNotAllowed(
            _("A complaint that is %(status)s cannot be disposed of again.")
            % {"status": complaint.get_status_display()},
            field="status",
        )
    if complaint.request.status == Status.CANCELLED:
        raise TransitionNotAllowed(_("The request was cancelled."), field="status")
    finding = _text(finding, field="finding", required=_("Say what was found."), limit=rules.FINDING_MAX)
    responsible = _choice(
        responsible,
        ResponsibleParty.values,
        "responsible",
        _("Name the party responsible (product, engineer, outlet, dealer, customer or nobody)."),
    )
    remedy = _choice(remedy, Remedy.values, "remedy", _("Choose the remedy."))
    amount = _amount(remedy_amount, remedy)
    settings = complaint_settings_for(outlet_id=complaint.request.outlet_id)
    needs_approval = rules.remedy_needs_approval(amount, settings.approval_above)
    self_approved = needs_approval and rules.may_approve(actor.role)
    now = timezone.now()
    with transaction.atomic():
        changes: dict[str, Any] = {
            "finding": finding,
            "responsible": responsible,
            "remedy": remedy,
            "remedy_amount": amount,
        }
        if self_approved:
            changes.update(approved_by_id=actor.user_id, approved_at=now)
        if needs_approval and not self_approved:
            changes["status"] = ComplaintStatus.AWAITING_APPROVAL
        _claim(complaint, expected_version=complaint.version, from_status=(ComplaintStatus.REGISTERED,), **changes)
        if needs_approval and not self_approved:
            _ask_approval(actor, complaint, settings.approval_above, now)
            return complaint
        return _dispose(actor, complaint, now, from_status=(ComplaintStatus.REGISTERED,))


def _ask_approval(actor: Actor, complaint: Complaint, above: Decimal, now: dt.datetime) -> None:
    request = complaint.request
    request_record(
        actor=actor,
        request=request,
        verb=QualityVerb.COMPLAINT_DISPOSED,
        summary=_("%(number)s: remedy of %(amount)s yuan proposed, awaiting the service manager's approval")
        % {"number": request.number, "amount": f"{complaint.remedy_amount:.2f}"},
        data={
            "complaint": complaint.pk,
            "awaiting_approval": True,
            "responsible": complaint.responsible,
            "remedy": complaint.remedy,
            "remedy_amount": str(complaint.remedy_amount),
            "approval_above": str(above),
        },
        note=complaint.finding,
        at=now,
    )
    message_to_staff(
        user_ids=outlet_contact_ids(request.outlet_id, service_managers=True),
        kind="complaint_approval",
        subject=_("Approve the remedy of complaint %(number)s (%(amount)s yuan)")
        % {"number": request.number, "amount": f"{complaint.remedy_amount:.2f}"},
        body=complaint.finding,
        ref=f"request:{request.pk}",
        dedupe_key=f"complaint:{complaint.pk}:approval:{complaint.version}",
    )


def complaint_approve(*, actor: Actor, complaint: Complaint, expected_version: int | None = None) -> Complaint:
    """The service manager approves a remedy above the amount; the disposition then completes (request resolved,
    customer told, callback scheduled). A clerk's approval is refused."""
    if not rules.may_approve(actor.role) or actor.scope is Scope.NONE:
        raise PermissionDenied(_("Only the service manager approves remedies above the amount."))
    complaint = complaint_get(actor=actor, complaint_id=complaint.pk)
    if expected_version is not None and expected_version != complaint.version:
        raise Conflict(_stale(), field="version")
    if complaint.status != ComplaintStatus.AWAITING_APPROVAL:
        raise TransitionNotAllowed(_("This complaint's remedy is not waiting for approval."), field="status")
    now = timezone.now()
    with transaction.atomic():
        _claim(
            complaint,
            expected_version=complaint.version,
            from_status=(ComplaintStatus.AWAITING_APPROVAL,),
            approved_by_id=actor.user_id,
            approved_at=now,
        )
        request_record(
            actor=actor,
            request=complaint.request,
            verb=QualityVerb.COMPLAINT_APPROVED,
            summary=_("%(number)s: remedy of %(amount)s yuan approved")
            % {"number": complaint.request.number, "amount": f"{complaint.remedy_amount or 0:.2f}"},
            data={"complaint": complaint.pk},
            at=now,
        )
        return _dispose(actor, complaint, now, from_status=(ComplaintStatus.AWAITING_APPROVAL,))


def complaint_face_to_face(
    *, actor: Actor, complaint: Complaint, on: dt.date, expected_version: int | None = None
) -> Complaint:
    """Record the date of the manager's face-to-face reply (面复) to a complaint an authority transferred."""
    if actor.role not in rules.FACE_TO_FACE_REPLIERS:
        raise PermissionDenied(_("Only a manager gives the face-to-face reply."))
    complaint = complaint_get(actor=actor, complaint_id=complaint.pk)
    request = complaint.request
    if request.channel != Channel.AUTHORITY:
        raise TransitionNotAllowed(
            _("Only complaints transferred by an authority get a face-to-face reply."), field="face_to_face_on"
        )
    if not isinstance(on, dt.date):
        raise ValidationFailed(_("Enter the date of the reply."), field="face_to_face_on")
    today = timezone.localdate()
    opened = timezone.localtime(request.created_at).date() if request.created_at else today
    if on > today:
        raise ValidationFailed(_("The reply cannot be dated in the future."), field="face_to_face_on")
    if on < opened:
        raise ValidationFailed(_("The reply cannot be dated before the complaint came in."), field="face_to_face_on")
    now = timezone.now()
    with transaction.atomic():
        _claim(complaint, expected_version=expected_version, from_status=None, face_to_face_on=on)
        request_record(
            actor=actor,
            request=request,
            verb=QualityVerb.COMPLAINT_FACE_TO_FACE,
            summary=_("%(number)s: manager's face-to-face reply on %(day)s")
            % {"number": request.number, "day": on.isoformat()},
            data={"complaint": complaint.pk, "face_to_face_on": on.isoformat()},
            at=now,
        )
    return complaint
