"""Writes for service requests: open, verify, assign and move through the state machine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor, Scope
from wuyou.accounts.models import Role, StaffProfile
from wuyou.accounts.selectors import outlets_visible
from wuyou.core.bulk import rows_insert
from wuyou.core.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.core.locks import version_claim
from wuyou.core.phones import InvalidPhone, parse_phone
from wuyou.customers.models import CustomerPhone, TimelineEntry
from wuyou.customers.selectors import customers_visible
from wuyou.customers.services import TimelineLine, timeline_record, timeline_record_many
from wuyou.products.models import Unit
from wuyou.products.selectors import units_visible
from wuyou.products.services import normalise_serial, unit_serviced_record
from wuyou.tickets.clocks import clocks_for_opening, clocks_on_event, earliest_due
from wuyou.tickets.intake import IntakeFacts, missing_facts
from wuyou.tickets.lifecycle import AUTHORITY_REPORTERS, role_may, transition_for
from wuyou.tickets.models import (
    OPEN_STATUSES,
    CallType,
    Channel,
    Priority,
    RequestClock,
    RequestEvent,
    RequestVerb,
    ServiceRequest,
    Status,
)
from wuyou.tickets.sla import ClockSignal

MAX_WINDOW_DAYS_AHEAD = 366


@dataclass(frozen=True)
class RequestInput:
    """A service request as captured at intake."""

    call_type: str
    customer_id: int
    channel: str = Channel.HOTLINE
    priority: str = Priority.NORMAL
    unit_serial: str | None = None
    address_id: int | None = None
    contact_phone: str | None = None
    reported_model: str = ""
    reported_purchase_date: dt.date | None = None
    symptom: str = ""
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None
    outlet_id: int | None = None


@dataclass(frozen=True)
class RequestDetails:
    """Facts an agent supplies when verifying a request flagged "to verify"; None leaves a fact as it is."""

    address_id: int | None = None
    contact_phone: str | None = None
    reported_model: str | None = None
    reported_purchase_date: dt.date | None = None
    symptom: str | None = None
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None


def _check_choice(value: str, choices: list[str], field: str) -> None:
    if value not in choices:
        raise ValidationFailed(_("Unknown value %(value)s.") % {"value": value[:30]}, field=field)


def _check_window(start: dt.datetime | None, end: dt.datetime | None) -> None:
    if (start is None) != (end is None):
        raise ValidationFailed(
            _("Give both ends of the requested window."), field="window_end" if end is None else "window_start"
        )
    if start is None or end is None:
        return
    if end <= start:
        raise ValidationFailed(_("The window must end after it starts."), field="window_end")
    now = timezone.now()
    if end < now - dt.timedelta(days=1):
        raise ValidationFailed(_("The requested window is in the past."), field="window_start")
    if start > now + dt.timedelta(days=MAX_WINDOW_DAYS_AHEAD):
        raise ValidationFailed(_("The requested window is more than a year ahead."), field="window_start")


def _normalise_phone(raw: str | None) -> str:
    if not raw:
        return ""
    try:
        return parse_phone(raw).number
    except InvalidPhone:
        raise ValidationFailed(
            _("%(value)s is not a mainland mobile or landline number.") % {"value": raw[:30]}, field="contact_phone"
        ) from None


def intake_facts(sr: ServiceRequest) -> IntakeFacts:
    """What the request knows, from itself, its customer and its unit."""
    customer = sr.customer
    unit = sr.unit
    return IntakeFacts(
        name=bool(customer.name.strip()),
        phone=bool(sr.contact_phone) or getattr(customer, "has_phone", None) or customer.phones.exists(),
        address=sr.address_id is not None,
        model=unit is not None or bool(sr.reported_model.strip()),
        purchase_date=(unit is not None and unit.purchase_date is not None) or sr.reported_purchase_date is not None,
        symptom=bool(sr.symptom.strip()),
        requested_window=sr.window_start is not None,
    )


def _record(
    sr: ServiceRequest,
    actor: Actor,
    verb: str,
    summary: str,
    *,
    from_status: str = "",
    to_status: str = "",
    data: dict[str, Any] | None = None,
    note: str = "",
) -> RequestEvent:
    """Write the request event and its line on the customer's timeline (same transaction)."""
    event = RequestEvent.objects.create(
        request=sr,
        actor_id=actor.user_id,
        verb=verb,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
        note=note,
    )
    phase = TimelineEntry.Phase.IN_SALES if sr.call_type == CallType.ORDER_REPORT else TimelineEntry.Phase.AFTER_SALES
    timeline_record(
        customer_id=sr.customer_id,
        actor=actor,
        kind=TimelineEntry.Kind.REQUEST,
        phase=phase,
        channel=sr.channel if verb == "opened" else "",
        ref_kind="request",
        ref_id=sr.pk,
        ref_label=sr.number or "",
        summary=summary,
        body=note,
        outlet_id=sr.outlet_id,
    )
    return event


def request_open(*, actor: Actor, intake: RequestInput) -> ServiceRequest:
    """Open a request; missing facts flag it "to verify" (R-E2). Nothing is written on error."""
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not open service requests."))
    _check_choice(intake.call_type, CallType.values, "call_type")
    _check_choice(intake.channel, Channel.values, "channel")
    _check_choice(intake.priority, Priority.values, "priority")
    _check_window(intake.window_start, intake.window_end)
    if len(intake.symptom) > 4000:
        raise ValidationFailed(_("The description is too long (4000 characters at most)."), field="symptom")
    if len(intake.reported_model) > 50:
        raise ValidationFailed(_("The model is too long."), field="reported_model")
    customer = (
        customers_visible(actor=actor)
        .select_related("outlet")
        .annotate(has_phone=Exists(CustomerPhone.objects.filter(customer=OuterRef("pk"))))
        .filter(pk=intake.customer_id)
        .first()
    )
    if customer is None:
        raise ValidationFailed(_("Unknown customer."), field="customer_id")
    if customer.anonymised_at is not None:
        # His record stays for the statistics only: a new call from him is filed as a new customer.
        raise ValidationFailed(
            _("This customer's record was anonymised on request: file the caller as a new customer."),
            field="customer_id",
        )
    unit = None
    if intake.unit_serial:
        serial = normalise_serial(intake.unit_serial)
        unit = Unit.objects.select_related("product_model", "install_address").filter(serial=serial).first()
        hidden = unit is not None and unit.owner_id != customer.pk and not units_visible(actor=actor).filter(pk=unit.pk)
        if unit is None or hidden:
            # A unit the actor may not see reads exactly like one that does not exist: no existence oracle.
            raise ValidationFailed(
                _("Unknown serial number %(serial)s.") % {"serial": intake.unit_serial[:40]}, field="unit_serial"
            )
        if unit.owner_id != customer.pk:
            raise ValidationFailed(_("This unit is registered to another customer."), field="unit_serial")
    address = None
    if intake.address_id is not None:
        address = customer.addresses.filter(pk=intake.address_id).first()
        if address is None:
            raise ValidationFailed(_("The address is not one of the customer's."), field="address_id")
    elif unit is not None and unit.install_address_id:
        address = unit.install_address
    else:
        address = customer.addresses.order_by("-is_primary", "id").first()
    if intake.reported_purchase_date and intake.reported_purchase_date > timezone.localdate():
        raise ValidationFailed(_("The purchase date is in the future."), field="reported_purchase_date")
    contact_phone = _normalise_phone(intake.contact_phone)
    if intake.outlet_id is not None:
        outlet = outlets_visible(actor=actor).filter(pk=intake.outlet_id).first()
        if outlet is None:
            raise ValidationFailed(_("Unknown outlet."), field="outlet_id")
    elif actor.scope is Scope.OUTLET and actor.outlet_id is not None:
        outlet = outlets_visible(actor=actor).get(pk=actor.outlet_id)
    else:
        outlet = customer.outlet
    now = timezone.now()
    sr = ServiceRequest(
        call_type=intake.call_type,
        channel=intake.channel,
        priority=intake.priority,
        customer=customer,
        unit=unit,
        address=address,
        contact_phone=contact_phone,
        reported_model=intake.reported_model.strip(),
        reported_purchase_date=intake.reported_purchase_date,
        symptom=intake.symptom.strip(),
        window_start=intake.window_start,
        window_end=intake.window_end,
        outlet=outlet,
        created_by_id=actor.user_id,
    )
    clocks = clocks_for_opening(request=sr, at=now)
    sr.due_at = earliest_due(clocks)
    missing = missing_facts(intake.call_type, intake_facts(sr))
    sr.to_verify, sr.missing_fields = bool(missing), missing
    with transaction.atomic():
        sr.save()
        sr.number = f"SR{timezone.localdate():%y%m%d}{sr.pk:06d}"
        ServiceRequest.objects.filter(pk=sr.pk).update(number=sr.number)
        RequestClock.objects.bulk_create(clocks)
        _record(
            sr,
            actor,
            "opened",
            _("%(type)s request %(number)s opened") % {"type": sr.get_call_type_display(), "number": sr.number},
            to_status=Status.NEW,
            data={"missing": missing, "channel": sr.channel, "priority": sr.priority},
            note=sr.symptom,
        )
        if unit is not None:
            unit_serviced_record(actor=actor, unit=unit, request_number=sr.number, call_type=sr.call_type)
    return sr


def _claim(sr: ServiceRequest, *, expected_version: int | None, from_status: str | None = None, **changes: Any) -> None:
    """Apply changes only if nobody changed the request meanwhile (one of two clerks wins)."""
    version_claim(
        sr,
        expected_version=expected_version,
        stale_message=_("The request was changed by someone else; reload it and try again."),
        from_status=None if from_status is None else (from_status,),
        **changes,
    )


def request_transition(
    *, actor: Actor, request: ServiceRequest, action: str, note: str = "", expected_version: int | None = None
) -> ServiceRequest:
    """Move a visible request by an action of the state machine; a concurrent change is a conflict."""
    transition = transition_for(action)
    if transition is None:
        raise ValidationFailed(_("Unknown action %(action)s.") % {"action": action[:30]}, field="action")
    if actor.role is None or not role_may(transition, role=actor.role, call_type=request.call_type):
        raise PermissionDenied(_("Your role may not %(action)s this request.") % {"action": transition.label})
    if expected_version is not None and expected_version != request.version:
        # The page was stale: say so, rather than "cannot move from <the state someone else moved it to>".
        raise Conflict(_("The request was changed by someone else; reload it and try again."), field="version")
    if request.status not in transition.sources:
        raise TransitionNotAllowed(
            _("A request that is %(status)s cannot be moved by “%(action)s”.")
            % {"status": request.get_status_display(), "action": transition.label},
            field="action",
        )
    note = note.strip()
    if transition.needs_note and not note:
        raise ValidationFailed(_("Say why (a note is required for this step)."), field="note")
    if action == "start" and request.to_verify:
        raise TransitionNotAllowed(_("Verify the request's details before work starts."), field="action")
    now = timezone.now()
    changes: dict[str, Any] = {"status": transition.target}
    if transition.target == Status.RESOLVED:
        changes["resolved_at"] = now
    elif transition.target == Status.CLOSED:
        changes["closed_at"] = now
    elif action == "reopen":
        changes.update(resolved_at=None, closed_at=None)
    from_status = request.status
    with transaction.atomic():
        _claim(request, expected_version=expected_version, from_status=from_status, **changes)
        clocks_on_event(request=request, verb=action, at=now)
        _record(
            request,
            actor,
            action,
            _("%(number)s: %(from)s → %(to)s")
            % {"number": request.number, "from": Status(from_status).label, "to": request.get_status_display()},
            from_status=from_status,
            to_status=transition.target,
            note=note,
        )
    return request


def request_dispatch_check(request: ServiceRequest, *, field: str, closed: str) -> None:
    """Refuse to send anyone to a request that is no longer open (`closed` says so) or whose facts are unverified."""
    if request.status not in OPEN_STATUSES:
        raise TransitionNotAllowed(closed, field=field)
    if request.to_verify:
        raise TransitionNotAllowed(
            _("Verify the request first: %(missing)s missing.") % {"missing": ", ".join(request.missing_fields)},
            field=field,
        )


def request_assign(
    *, actor: Actor, request: ServiceRequest, engineer_id: int, expected_version: int | None = None
) -> ServiceRequest:
    """Dispatch a verified, open request to an engineer of an outlet the actor sees."""
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not dispatch requests."))
    request_dispatch_check(request, field="engineer_id", closed=_("Only open requests can be dispatched."))
    engineer = StaffProfile.objects.filter(
        pk=engineer_id, role=Role.ENGINEER, user__is_active=True, outlet__in=outlets_visible(actor=actor)
    ).first()
    if engineer is None:
        raise ValidationFailed(_("Unknown engineer."), field="engineer_id")
    if engineer.outlet_id != request.outlet_id:
        raise ValidationFailed(_("The engineer works for another outlet than the request's."), field="engineer_id")
    previous = request.assignee.display_name if request.assignee else ""
    with transaction.atomic():
        _claim(request, expected_version=expected_version, assignee_id=engineer.pk)
        request.assignee = engineer
        clocks_on_event(request=request, verb=RequestVerb.ASSIGNED, at=timezone.now())
        _record(
            request,
            actor,
            "assigned",
            _("%(number)s dispatched to %(engineer)s") % {"number": request.number, "engineer": engineer.display_name},
            data={"engineer_id": engineer.pk, "previous": previous},
        )
    return request


def request_verify(
    *, actor: Actor, request: ServiceRequest, details: RequestDetails, expected_version: int | None = None
) -> ServiceRequest:
    """Complete or correct a request's intake facts; it leaves "to verify" once nothing is missing."""
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not verify requests."))
    if request.status not in OPEN_STATUSES:
        raise TransitionNotAllowed(_("Only open requests can be verified."), field="status")
    changes: dict[str, Any] = {}
    if details.address_id is not None:
        if not request.customer.addresses.filter(pk=details.address_id).exists():
            raise ValidationFailed(_("The address is not one of the customer's."), field="address_id")
        changes["address_id"] = details.address_id
    if details.contact_phone is not None:
        changes["contact_phone"] = _normalise_phone(details.contact_phone)
    if details.reported_model is not None:
        changes["reported_model"] = details.reported_model.strip()[:50]
    if details.reported_purchase_date is not None:
        if details.reported_purchase_date > timezone.localdate():
            raise ValidationFailed(_("The purchase date is in the future."), field="reported_purchase_date")
        changes["reported_purchase_date"] = details.reported_purchase_date
    if details.symptom is not None:
        changes["symptom"] = details.symptom.strip()[:4000]
    if details.window_start is not None or details.window_end is not None:
        _check_window(details.window_start, details.window_end)
        changes.update(window_start=details.window_start, window_end=details.window_end)
    for name, value in changes.items():
        setattr(request, name, value)
    missing = missing_facts(request.call_type, intake_facts(request))
    changes.update(to_verify=bool(missing), missing_fields=missing)
    with transaction.atomic():
        _claim(request, expected_version=expected_version, **changes)
        summary = (
            _("%(number)s verified") if not missing else _("%(number)s details updated; still missing: %(m)s")
        ) % {"number": request.number, "m": ", ".join(missing)}
        _record(
            request,
            actor,
            "verified" if not missing else "details_updated",
            summary,
            data={
                "changed": sorted(k for k in changes if k not in {"to_verify", "missing_fields"}),
                "missing": missing,
            },
        )
    return request


def request_authority_report(
    *, actor: Actor, request: ServiceRequest, report: str, expected_version: int | None = None
) -> ServiceRequest:
    """File the manager's written report on a complaint an authority transferred to us (R-E4, R-G3)."""
    if actor.role not in AUTHORITY_REPORTERS:
        raise PermissionDenied(_("Only a manager files the report to the authority."))
    if request.call_type != CallType.COMPLAINT or request.channel != Channel.AUTHORITY:
        raise TransitionNotAllowed(_("Only complaints transferred by an authority need a report."), field="report")
    report = report.strip()
    if len(report) < 20:
        raise ValidationFailed(_("Write the report (20 characters at least)."), field="report")
    if len(report) > 8000:
        raise ValidationFailed(_("The report is too long (8000 characters at most)."), field="report")
    if RequestEvent.objects.filter(request=request, verb=RequestVerb.AUTHORITY_REPORT).exists():
        raise Conflict(_("The report for this complaint has been filed already."), field="report")
    with transaction.atomic():
        _claim(request, expected_version=expected_version)
        clocks_on_event(request=request, verb=RequestVerb.AUTHORITY_REPORT, at=timezone.now())
        _record(
            request,
            actor,
            "authority_report",
            _("%(number)s: report to the authority filed") % {"number": request.number},
            note=report,
        )
    return request


def request_record(
    *,
    actor: Actor,
    request: ServiceRequest,
    verb: str,
    summary: str,
    data: dict[str, Any] | None = None,
    note: str = "",
    at: dt.datetime | None = None,
    clock_signal: ClockSignal | None = None,
    clock_start: dt.datetime | None = None,
) -> RequestEvent:
    """Record a step taken on the request elsewhere (a visit's progress, a plan): event, timeline, clocks.

    The caller's verb is its own (labelled through tickets.history); `clock_signal` says what the event means to the
    request's clocks (sla.STEP_RULES), e.g. a booked visit meets "appointment confirmed"; `clock_start` is when a
    clock the signal starts begins to run, when not now.
    """
    with transaction.atomic():
        if clock_signal is not None:
            clocks_on_event(request=request, verb=clock_signal, at=at or timezone.now(), start_at=clock_start)
        return _record(request, actor, verb, summary, data=data, note=note)


@dataclass(frozen=True)
class RequestRecord:
    """One request's event for `requests_record_many`: what `request_record` is given, with the request's facts."""

    request_id: int
    customer_id: int
    outlet_id: int
    call_type: str
    number: str | None
    summary: str
    data: dict[str, Any]
    note: str = ""


def requests_record_many(*, actor: Actor, verb: str, records: Sequence[RequestRecord], at: dt.datetime) -> None:
    """`request_record` for many requests at once (a bulk job such as the daily sample draw): each request's event
    and its customer's timeline line, in the caller's transaction. Clocks are `clocks_start_many`'s."""
    rows_insert(
        RequestEvent,
        [
            {"request_id": r.request_id, "actor_id": actor.user_id, "verb": verb, "data": r.data, "note": r.note}
            for r in records
        ],
        now=at,
    )
    timeline_record_many(
        actor=actor,
        lines=[
            TimelineLine(
                customer_id=r.customer_id,
                outlet_id=r.outlet_id,
                kind=TimelineEntry.Kind.REQUEST,
                phase=(
                    TimelineEntry.Phase.IN_SALES
                    if r.call_type == CallType.ORDER_REPORT
                    else TimelineEntry.Phase.AFTER_SALES
                ),
                ref_kind="request",
                ref_id=r.request_id,
                ref_label=r.number or "",
                summary=r.summary,
                body=r.note,
            )
            for r in records
        ],
        at=at,
    )
