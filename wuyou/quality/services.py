"""Writes for quality: resolving a request by phone guidance (R-E3) and making the callbacks it schedules (R-G1)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import StaffProfile
from wuyou.accounts.selectors import calendar_for_outlet
from wuyou.core.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.dispatch.models import OPEN, WorkOrder
from wuyou.dispatch.services import work_order_cancel, work_order_cancel_check
from wuyou.quality.models import Callback, CallbackOutcome, CallbackReason, CallbackStatus, QualityVerb
from wuyou.quality.selectors import callback_get
from wuyou.tickets.models import OPEN_STATUSES, ServiceRequest
from wuyou.tickets.selectors import request_get
from wuyou.tickets.services import request_record, request_transition
from wuyou.tickets.sla import ClockSignal

# R-E3: "solved by phone guidance, followed by an automatic callback 2 hours later" — clock hours, not business hours.
PHONE_GUIDANCE_CALLBACK_AFTER = dt.timedelta(hours=2)
NOTE_MAX = 4000


def _clean_note(note: str, *, required: bool, why: str) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ValidationFailed(why, field="note")
    if len(note) > NOTE_MAX:
        raise ValidationFailed(
            _("The note is too long (%(max)d characters at most).") % {"max": NOTE_MAX}, field="note"
        )
    return note


def _visits_to_cancel(request: ServiceRequest) -> list[WorkOrder]:
    """The request's open visits (to be called off); refused when one is already under way."""
    open_visits = list(WorkOrder.objects.filter(request=request, status__in=OPEN).order_by("pk"))
    for wo in open_visits:
        work_order_cancel_check(wo)
    return open_visits


def _cancel_visit(actor: Actor, request: ServiceRequest, wo: WorkOrder, now: dt.datetime) -> None:
    """Call off a visit that is not under way, through dispatch (its owner)."""
    wo.request = request
    work_order_cancel(actor=actor, work_order=wo, reason=_("solved by phone guidance"), at=now)


def request_resolve_by_phone(
    *, actor: Actor, request: ServiceRequest, note: str, expected_version: int | None = None
) -> Callback:
    """Resolve a misuse or false report by phone guidance (R-E3): any visit is called off, a callback is due in 2 h.

    One transaction: the request resolved, the guidance recorded, open visits cancelled, the callback scheduled;
    on any refusal nothing is written. Returns the scheduled callback.
    """
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not resolve requests by phone guidance."))
    request_get(actor=actor, request_id=request.pk)  # another outlet's request: NotFound
    note = _clean_note(note, required=True, why=_("Say what the customer was guided to do (a note is required)."))
    if request.status not in OPEN_STATUSES:
        raise TransitionNotAllowed(
            _("A request that is %(status)s cannot be resolved by phone.") % {"status": request.get_status_display()},
            field="note",
        )
    if expected_version is not None and expected_version != request.version:
        raise Conflict(_("The request was changed by someone else; reload it and try again."), field="version")
    visits = _visits_to_cancel(request)
    now = timezone.now()
    due_at = now + PHONE_GUIDANCE_CALLBACK_AFTER
    try:
        with transaction.atomic():
            request_transition(
                actor=actor, request=request, action="resolve", note=note, expected_version=expected_version
            )
            for wo in visits:
                _cancel_visit(actor, request, wo, now)
            # A request resolved by phone before, reopened and guided again: the earlier callback is superseded.
            Callback.objects.filter(
                request=request, reason=CallbackReason.PHONE_GUIDANCE, status=CallbackStatus.PENDING
            ).update(status=CallbackStatus.CANCELLED, updated_at=now)
            callback = Callback.objects.create(
                request=request, reason=CallbackReason.PHONE_GUIDANCE, due_at=due_at, status=CallbackStatus.PENDING
            )
            request_record(
                actor=actor,
                request=request,
                verb=QualityVerb.PHONE_GUIDANCE,
                summary=_("%(number)s solved by phone guidance; callback due %(due)s")
                % {"number": request.number, "due": f"{timezone.localtime(due_at):%Y-%m-%d %H:%M}"},
                data={
                    "callback": callback.pk,
                    "callback_due_at": due_at.isoformat(),
                    "work_orders_cancelled": [wo.number for wo in visits],
                },
                note=note,
                at=now,
            )
    except IntegrityError:
        # Two agents guiding the same customer at once: the version claim normally stops the second first.
        raise Conflict(
            _("The request was changed by someone else; reload it and try again."), field="version"
        ) from None
    return callback


def _next_attempt_due(request: ServiceRequest, now: dt.datetime) -> dt.datetime:
    """The close of the next working day on the outlet's calendar (R-F3: followed up until satisfied)."""
    return calendar_for_outlet(request.outlet_id).workdays_deadline(now, 1)


_STATUS_FOR = {
    CallbackOutcome.SATISFIED: CallbackStatus.DONE,
    CallbackOutcome.UNSATISFIED: CallbackStatus.DONE,
    CallbackOutcome.NO_ANSWER: CallbackStatus.UNREACHABLE,
}


def callback_record(*, actor: Actor, callback: Callback, outcome: str, note: str = "") -> Callback:
    """Record a callback's outcome (R-G1); an unsatisfied or unreached customer gets another call the next working day.

    A reached customer meets the request's callback clock (event "callback"); an unanswered call does not (event
    "callback_no_answer"). Two clerks recording the same callback: the first wins, the second gets Conflict.
    Returns the recorded callback; a follow-up scheduled for it is `callback.followed_by`.
    """
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not record callbacks."))
    callback_get(actor=actor, callback_id=callback.pk)  # another outlet's callback: NotFound
    if outcome not in CallbackOutcome.values:
        raise ValidationFailed(_("Choose what the customer said."), field="outcome")
    chosen = CallbackOutcome(outcome)
    note = _clean_note(
        note,
        required=chosen == CallbackOutcome.UNSATISFIED,
        why=_("Say why the customer is not satisfied (a note is required)."),
    )
    if callback.status != CallbackStatus.PENDING:
        raise Conflict(_("This callback has been recorded already."), field="outcome")
    now = timezone.now()
    status = _STATUS_FOR[chosen]
    request = ServiceRequest.objects.get(pk=callback.request_id)
    staff_id = (
        StaffProfile.objects.filter(user_id=actor.user_id).values_list("pk", flat=True).first()
        if actor.user_id is not None
        else None
    )
    with transaction.atomic():
        updated = Callback.objects.filter(pk=callback.pk, status=CallbackStatus.PENDING).update(
            status=status, outcome=chosen, note=note, done_at=now, done_by_id=actor.user_id, updated_at=now
        )
        if updated != 1:
            raise Conflict(_("This callback has been recorded by someone else meanwhile."), field="outcome")
        callback.status, callback.outcome, callback.note = status, chosen.value, note
        callback.done_at, callback.done_by_id = now, actor.user_id
        follow_up = None
        if chosen != CallbackOutcome.SATISFIED:
            follow_up = Callback.objects.create(
                request=request,
                reason=callback.reason,
                due_at=_next_attempt_due(request, now),
                assigned_to_id=callback.assigned_to_id or staff_id,
                follows=callback,
            )
        reached = chosen != CallbackOutcome.NO_ANSWER
        request_record(
            actor=actor,
            request=request,
            verb=QualityVerb.CALLBACK if reached else QualityVerb.CALLBACK_NO_ANSWER,
            clock_signal=ClockSignal.CALLED_BACK if reached else None,
            summary=_("%(number)s: callback — %(outcome)s") % {"number": request.number, "outcome": chosen.label},
            data={
                "callback": callback.pk,
                "reason": callback.reason,
                "outcome": chosen.value,
                **({"next_callback_due_at": follow_up.due_at.isoformat()} if follow_up else {}),
            },
            note=note,
            at=now,
        )
    return callback
