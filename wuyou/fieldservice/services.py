"""Writes of the engineer's visit (R-F2, R-F3, R-F8): each step and exception is an event on the request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Role
from wuyou.accounts.selectors import outlet_contact_ids
from wuyou.core.errors import DomainError, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.core.signatures import signature_normalised
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.dispatch.services import outlet_day_of, routes_bump, unplanned_fields, work_order_claim, work_order_tell
from wuyou.fees.selectors import finish_check, parts_agreed_check
from wuyou.fieldservice import steps
from wuyou.fieldservice.finish import visit_done_run
from wuyou.fieldservice.models import VisitVerb
from wuyou.loaners.services import take_back_record
from wuyou.parts.services import part_consume
from wuyou.tickets.models import OPEN_STATUSES, Status
from wuyou.tickets.services import request_record, request_transition
from wuyou.tickets.sla import ClockSignal

LATE_ALERT_MINUTES = 15  # R-F8: more than 15 minutes late alerts the outlet manager


def _engineer_of(actor: Actor, wo: WorkOrder) -> None:
    """Only the engineer the visit is planned for works it (the desk may record on his behalf)."""
    if actor.role == Role.ENGINEER:
        if wo.engineer is None or wo.engineer.user_id != actor.user_id:
            raise PermissionDenied(_("This visit is planned for another engineer."))
    elif not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not record visits."))


def work_order_may_record(*, actor: Actor, work_order: WorkOrder) -> bool:
    """Whether the actor may record the visit's steps and exceptions: its own engineer, or the desk on his behalf."""
    try:
        _engineer_of(actor, work_order)
    except PermissionDenied:
        return False
    return True


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
    not_sure_fixed: bool = False  # done: the engineer's doubts make a callback 3 hours later (seed 003)
    no_time_for_test_run: bool = False


def _step_changes(step: str, wo: WorkOrder, entry: StepInput, now: dt.datetime) -> tuple[dict[str, Any], str]:
    """The fields a step writes and the note of its event; ValidationFailed names the field at fault."""
    note = entry.note.strip()
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
        if not entry.parts:
            raise ValidationFailed(_("List at least one part."), field="parts")
        for i, (code, _serial, quantity) in enumerate(entry.parts):
            if not code.strip():
                raise ValidationFailed(_("Choose the part from the catalogue."), field=f"parts[{i}].code")
            if not 1 <= quantity <= 99:
                raise ValidationFailed(_("A quantity is 1 to 99."), field=f"parts[{i}].quantity")
        return {}, note  # booked from the van inside the step's transaction (_consume_parts)
    if step == "take_back":
        receipt = entry.receipt.strip()
        if not receipt:
            raise ValidationFailed(_("Give the number of the take-back receipt the customer signed."), field="receipt")
        if not entry.signed_by.strip():
            raise ValidationFailed(_("Write who signed the take-back receipt."), field="signed_by")
        return {"take_back_receipt": receipt[:40]}, note
    if step == "test_run":
        if entry.test_run_ok is None:
            raise ValidationFailed(_("Say whether the test run passed."), field="test_run_ok")
        return {"test_run_ok": entry.test_run_ok, "test_run_note": note[:300]}, note
    if step == "rating":
        for name, value in (("quality", entry.quality), ("attitude", entry.attitude)):
            if value is None or not 1 <= value <= 5:
                raise ValidationFailed(_("Rate from 1 to 5."), field=name)
        signature = entry.signature.strip()
        if not signature and not note:
            raise ValidationFailed(_("Have the customer sign, or say why there is no signature."), field="signature")
        if signature:  # decoded, checked and stored re-encoded; a bad image is refused naming the field
            signature = signature_normalised(signature, field="signature")
        return {
            "quality_rating": entry.quality,
            "attitude_rating": entry.attitude,
            "signature": signature,
            "signed_by": entry.signed_by.strip()[:50],
        }, note
    # done
    finish_check(wo)
    if not wo.work_done and not note:
        raise ValidationFailed(_("Record the work done before finishing."), field="note")
    if wo.quality_rating is None:
        raise ValidationFailed(_("Ask the customer to rate the visit before finishing."), field="rating")
    return {
        "finished_at": now,
        "not_sure_fixed": entry.not_sure_fixed,
        "no_time_for_test_run": entry.no_time_for_test_run,
        **({"work_done": note[:4000]} if note and not wo.work_done else {}),
    }, note


def work_order_step(
    *, actor: Actor, work_order: WorkOrder, step: str, entry: StepInput, expected_version: int | None = None
) -> WorkOrder:
    """Record a step of the visit (R-F2, R-F3); each is an event on the request and moves its clocks."""
    spec = steps.step_for(step)
    if spec is None:
        raise ValidationFailed(_("Unknown step %(step)s.") % {"step": step[:30]}, field="step")
    _engineer_of(actor, work_order)
    if not steps.step_allowed(step, status=work_order.status):
        raise TransitionNotAllowed(
            _("A visit that is %(status)s cannot take this step.") % {"status": work_order.get_status_display()},
            field="step",
        )
    now = timezone.now()
    changes, note = _step_changes(step, work_order, entry, now)
    if spec.target is not None:
        changes["status"] = spec.target
    sr = work_order.request
    with transaction.atomic():
        if step == "parts_used":
            booked = _consume_parts(actor, work_order, entry.parts, note)  # the ledger is the record of parts used
            note = ", ".join(f"{p['name']} {p['serial']}".strip() for p in booked)
            changes["parts_booked"] = booked
        if step == "take_back":
            take_back_record(
                actor=actor, work_order=work_order, receipt_number=entry.receipt, signed_by=entry.signed_by
            )
        event = _event_data(step, changes)
        changes.pop("parts_booked", None)
        work_order_claim(work_order, expected_version=expected_version, from_status=spec.sources, **changes)
        request_record(
            actor=actor,
            request=sr,
            verb=VisitVerb(spec.verb),
            summary=_("%(number)s: %(step)s") % {"number": sr.number, "step": STEP_LABELS[step]},
            data={"work_order": work_order.number, **event},
            note=note,
            at=now,
            clock_signal=ClockSignal.ENGINEER_ON_SITE if step == "arrived" else None,
        )
        if step == "arrived":
            sr.refresh_from_db()  # the page's copy may predate a desk change; the transition guards on its version
            if sr.status == Status.ACCEPTED and not sr.to_verify:
                request_transition(actor=actor, request=sr, action="start")
        if step == "done":
            sr.refresh_from_db()
            if sr.status in OPEN_STATUSES:
                request_transition(actor=actor, request=sr, action="resolve", note=work_order.work_done or note)
            visit_done_run(actor=actor, work_order=work_order, at=now)  # e.g. quality's callbacks after the visit
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
        return {"parts": changes["parts_booked"]}
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
    if kind not in steps.EXCEPTIONS:
        raise ValidationFailed(_("Unknown exception %(kind)s.") % {"kind": kind[:30]}, field="kind")
    _engineer_of(actor, work_order)
    if not steps.exception_allowed(status=work_order.status, has_engineer=work_order.engineer_id is not None):
        raise TransitionNotAllowed(_("Only a planned or started visit can report this."), field="kind")
    note = note.strip()
    if kind in steps.NOTE_REQUIRED and not note:
        raise ValidationFailed(_("Say what happened (a note is required)."), field="note")
    low, high = steps.LATE_MINUTES_RANGE
    if kind == "running_late" and (late_minutes is None or not low <= late_minutes <= high):
        raise ValidationFailed(_("Say how late, 1 to 600 minutes."), field="late_minutes")
    sr = work_order.request
    now = timezone.now()
    day = outlet_day_of(work_order, work_order.planned_start or now)
    changes: dict[str, Any] = {}
    rebook = kind in steps.OFF_THE_ROUTE
    if kind == "running_late":
        changes["late_minutes"] = late_minutes
    elif rebook:
        # The visit goes back to the desk: a new appointment (nobody home, refused) or another engineer.
        changes = unplanned_fields()
        if kind in steps.NEW_APPOINTMENT:
            changes.update(status=WorkOrderStatus.UNBOOKED, window_start=None, window_end=None)
    label = STEP_LABELS[kind]
    summary = _("%(number)s: %(what)s") % {"number": sr.number, "what": label}
    engineer_id = work_order.engineer_id
    assert engineer_id is not None  # steps.exception_allowed: the visit has its engineer
    with transaction.atomic():
        work_order_claim(work_order, expected_version=expected_version, from_status=steps.EXCEPTION_SOURCES, **changes)
        request_record(
            actor=actor,
            request=sr,
            verb=VisitVerb(f"job_{kind}"),
            summary=summary,
            data={"work_order": work_order.number, **({"late_minutes": late_minutes} if late_minutes else {})},
            note=note,
            at=now,
        )
        if rebook:
            routes_bump({engineer_id}, day)
            if kind in steps.NEW_APPOINTMENT:
                request_record(
                    actor=actor,
                    request=sr,
                    verb=VisitVerb.REBOOK,
                    summary=_("%(number)s: a new appointment is needed") % {"number": sr.number},
                    at=now,
                    clock_signal=ClockSignal.APPOINTMENT_NEEDED,
                )
        body = f"{summary}\n{work_order.address_text}\n{note}".strip()
        key = f"{kind}:{work_order.version}"
        told = EXCEPTION_TOLD.get(kind)
        if kind == "running_late" and (late_minutes or 0) <= LATE_ALERT_MINUTES:
            told = None  # a few minutes late is not news (R-F8: more than 15 tells the manager)
        if told is not None:
            work_order_tell(
                work_order,
                kind=f"visit_{kind}",
                subject=summary,
                body=body + (f" ({late_minutes} min)" if late_minutes else ""),
                user_ids=outlet_contact_ids(work_order.outlet_id, **told),
                key=key,
            )
    return work_order
