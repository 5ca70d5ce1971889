"""The follow-up desk's writes (R-G1, R-F3, issue 14 items 3–4): taking a callback, recording what the customer
said against the questionnaire, moving it to another time, and following an unsatisfied customer up until satisfied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import StaffProfile
from wuyou.accounts.selectors import calendar_for_outlet
from wuyou.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from wuyou.customers.models import Customer
from wuyou.dispatch.models import OPEN, WorkOrder
from wuyou.dispatch.services import JOB_FOR_CALL, WorkOrderInput, work_order_open
from wuyou.quality.answers import Checked, answers_check
from wuyou.quality.models import (
    Callback,
    CallbackAnswer,
    CallbackMode,
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
    Complaint,
    ComplaintStatus,
    QualityVerb,
)
from wuyou.quality.selectors import callback_get, form_rule_of, questionnaire_for
from wuyou.quality.services.guidance import NOTE_MAX
from wuyou.quality.services.scheduling import allowed_at, callback_schedule, placed_at
from wuyou.tickets.models import OPEN_STATUSES, ServiceRequest, Status
from wuyou.tickets.services import request_record, request_transition
from wuyou.tickets.sla import ClockSignal

MAX_ATTEMPTS = 3  # not reached three times: closed as unreachable (it no longer counts as a response)
RETRY_AFTER = dt.timedelta(hours=2)  # then slid to the customer's next allowed moment
ANSWERED = "answered"  # the questionnaire's rule decides satisfied or not
OUTCOMES = (ANSWERED, *CallbackOutcome.values)
DAYTIME = (dt.time(8, 0), dt.time(20, 0))  # a home visit is booked in daytime


def _staff_id(actor: Actor) -> int | None:
    if actor.user_id is None:
        return None
    return StaffProfile.objects.filter(user_id=actor.user_id).values_list("pk", flat=True).first()


def _desk(actor: Actor, why: str) -> None:
    if not actor.can_run_desk:
        raise PermissionDenied(why)


def _clean_note(note: str, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ValidationFailed(_("Say why the customer is not satisfied (a note is required)."), field="note")
    if len(note) > NOTE_MAX:
        raise ValidationFailed(
            _("The note is too long (%(max)d characters at most).") % {"max": NOTE_MAX}, field="note"
        )
    return note


def _held_by_another(callback: Callback, staff_id: int | None) -> bool:
    """Taken onto another follow-up staff member's list (a callback merely assigned by a rule is anyone's)."""
    return callback.taken_at is not None and callback.assigned_to_id not in (None, staff_id)


def callback_take(*, actor: Actor, callback: Callback) -> Callback:
    """Take a pending callback onto one's own list; two staff taking it at once: one gets it, the other Conflict."""
    _desk(actor, _("Your role may not take callbacks."))
    callback = callback_get(actor=actor, callback_id=callback.pk)  # another outlet's callback: NotFound
    staff_id = _staff_id(actor)
    if staff_id is None:
        raise PermissionDenied(_("Only staff members take callbacks onto their list."))
    if callback.status != CallbackStatus.PENDING:
        raise Conflict(_("This callback has been recorded already."), field="callback")
    now = timezone.now()
    free = Q(taken_at__isnull=True) | Q(assigned_to_id=staff_id)
    taken = Callback.objects.filter(free, pk=callback.pk, status=CallbackStatus.PENDING).update(
        assigned_to_id=staff_id, taken_at=now, version=F("version") + 1, updated_at=now
    )
    if taken != 1:
        raise Conflict(_("Another follow-up staff member has taken this callback."), field="callback")
    callback.refresh_from_db()
    return callback


def _checked_answers(callback: Callback, outcome: str, answers: Mapping[str, object] | None) -> Checked | None:
    """The answers against the questionnaire in force, or None when recorded without one (outcome stated)."""
    version = questionnaire_for(callback.reason)
    if outcome == ANSWERED and version is None:
        raise ValidationFailed(
            _("No questionnaire is in force; say whether the customer is satisfied."), field="outcome"
        )
    if version is None or (not answers and outcome != ANSWERED):
        return None
    checked = answers_check(form_rule_of(version), answers or {})
    if outcome in (CallbackOutcome.SATISFIED, CallbackOutcome.UNSATISFIED) and checked.satisfied != (
        outcome == CallbackOutcome.SATISFIED
    ):
        raise ValidationFailed(_("The answers say otherwise; check the outcome."), field="outcome")
    return checked


def callback_record(
    *,
    actor: Actor,
    callback: Callback,
    outcome: str,
    answers: Mapping[str, object] | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Callback:
    """Record a callback (R-G1): answered (satisfied or not, by the questionnaire's rule), not reached, or refused.

    A reached customer meets the request's callback clock. Not reached: tried again at the next allowed moment, at
    most MAX_ATTEMPTS times, then closed as unreachable (the clock is moot). Not satisfied: the request is reopened
    with a new visit to book, and the visit's end schedules the next callback (R-F3). Recorded twice: one wins,
    the other gets Conflict; nothing is half written.
    """
    _desk(actor, _("Your role may not record callbacks."))
    callback = callback_get(actor=actor, callback_id=callback.pk)  # another outlet's callback: NotFound
    if outcome not in OUTCOMES:
        raise ValidationFailed(_("Choose what the customer said."), field="outcome")
    staff_id = _staff_id(actor)
    if callback.status != CallbackStatus.PENDING:
        raise Conflict(_("This callback has been recorded already."), field="outcome")
    if _held_by_another(callback, staff_id):
        raise Conflict(_("Another follow-up staff member has taken this callback."), field="callback")
    if expected_version is not None and expected_version != callback.version:
        raise Conflict(_("The callback was changed by someone else; reload it and try again."), field="version")
    reached = outcome in (ANSWERED, CallbackOutcome.SATISFIED, CallbackOutcome.UNSATISFIED)
    checked = _checked_answers(callback, outcome, answers) if reached else None
    satisfied = checked.satisfied if checked is not None else outcome == CallbackOutcome.SATISFIED
    note = _clean_note(note, required=reached and not satisfied)
    now = timezone.now()
    request = ServiceRequest.objects.select_related("customer").get(pk=callback.request_id)
    with transaction.atomic():
        if reached:
            chosen = CallbackOutcome.SATISFIED if satisfied else CallbackOutcome.UNSATISFIED
            _finish(callback, CallbackStatus.DONE, chosen, note, actor, now, checked)
            closed = satisfied and _complaint_close(callback)
            _record(
                actor,
                request,
                callback,
                QualityVerb.CALLBACK,
                ClockSignal.CALLED_BACK,
                chosen,
                note,
                now,
                **({"complaint_closed": True} if closed else {}),
            )
            if not satisfied:
                _unsatisfied_follow_up(actor, request, callback, note, now)
        elif outcome == CallbackOutcome.REFUSED:
            _finish(callback, CallbackStatus.REFUSED, CallbackOutcome.REFUSED, note, actor, now, None)
            _record(
                actor,
                request,
                callback,
                QualityVerb.CALLBACK_REFUSED,
                ClockSignal.CALLBACK_DROPPED,
                CallbackOutcome.REFUSED,
                note,
                now,
            )
        elif callback.attempts + 1 >= MAX_ATTEMPTS:
            _finish(callback, CallbackStatus.UNREACHABLE, CallbackOutcome.NO_ANSWER, note, actor, now, None)
            _record(
                actor,
                request,
                callback,
                QualityVerb.CALLBACK_UNREACHABLE,
                ClockSignal.CALLBACK_DROPPED,
                CallbackOutcome.NO_ANSWER,
                note,
                now,
            )
        else:
            _retry_later(actor, request, callback, note, now)
    return callback


def _complaint_close(callback: Callback) -> bool:
    """A satisfied customer on the complaint's callback report closes the complaint (R-G3)."""
    if callback.reason != CallbackReason.COMPLAINT:
        return False
    done = (ComplaintStatus.DISPOSED, ComplaintStatus.INFORMED)
    now = timezone.now()
    return bool(
        Complaint.objects.filter(request_id=callback.request_id, status__in=done).update(
            status=ComplaintStatus.CLOSED, version=F("version") + 1, updated_at=now
        )
    )


def _claim(callback: Callback, **changes: object) -> None:
    """Apply changes only to the callback as it was read (pending, same version): one of two recorders wins."""
    now = timezone.now()
    updated = Callback.objects.filter(pk=callback.pk, status=CallbackStatus.PENDING, version=callback.version).update(
        **changes, version=F("version") + 1, updated_at=now
    )
    if updated != 1:
        raise Conflict(_("This callback has been recorded by someone else meanwhile."), field="outcome")
    for name, value in changes.items():
        setattr(callback, name, value)
    callback.version += 1


def _finish(
    callback: Callback,
    status: str,
    outcome: str,
    note: str,
    actor: Actor,
    now: dt.datetime,
    checked: Checked | None,
) -> None:
    changes: dict[str, object] = {
        "status": status,
        "outcome": outcome,
        "note": note,
        "done_at": now,
        "done_by_id": actor.user_id,
        "attempts": callback.attempts + 1,
    }
    if checked is not None:
        version = questionnaire_for(callback.reason)
        changes["questionnaire_id"] = version.pk if version else None
    _claim(callback, **changes)
    if checked is not None:
        CallbackAnswer.objects.bulk_create(
            [
                CallbackAnswer(callback=callback, question_id=a.question_id, value=a.value, rating=a.rating)
                for a in checked.answers
            ]
        )


def _record(
    actor: Actor,
    request: ServiceRequest,
    callback: Callback,
    verb: str,
    signal: ClockSignal,
    outcome: str,
    note: str,
    now: dt.datetime,
    **data: object,
) -> None:
    request_record(
        actor=actor,
        request=request,
        verb=verb,
        clock_signal=signal,
        summary=_("%(number)s: callback — %(outcome)s")
        % {"number": request.number, "outcome": CallbackOutcome(outcome).label},
        data={"callback": callback.pk, "reason": callback.reason, "outcome": outcome, **data},
        note=note,
        at=now,
    )


def _retry_later(actor: Actor, request: ServiceRequest, callback: Callback, note: str, now: dt.datetime) -> None:
    """Not reached: the same callback rings again at the customer's next allowed moment; the clock runs on."""
    customer = Customer.objects.get(pk=request.customer_id)
    calendar = calendar_for_outlet(request.outlet_id)
    again = placed_at(customer=customer, due=now + RETRY_AFTER, calendar=calendar, can_wait=False)
    _claim(callback, attempts=callback.attempts + 1, call_at=again, note=note)
    request_record(
        actor=actor,
        request=request,
        verb=QualityVerb.CALLBACK_NO_ANSWER,
        summary=_("%(number)s: callback — not reached (attempt %(n)d of %(max)d), next try %(at)s")
        % {
            "number": request.number,
            "n": callback.attempts,
            "max": MAX_ATTEMPTS,
            "at": f"{timezone.localtime(again):%Y-%m-%d %H:%M}",
        },
        data={
            "callback": callback.pk,
            "reason": callback.reason,
            "attempt": callback.attempts,
            "call_at": again.isoformat(),
        },
        note=note,
        at=now,
    )


def _unsatisfied_follow_up(
    actor: Actor, request: ServiceRequest, callback: Callback, note: str, now: dt.datetime
) -> None:
    """Not satisfied (R-F3): the request reopened and a new visit opened for the desk to book; the visit's end makes
    the next callback. A request that sends no engineer, or cannot get a visit, is called again the next working
    day instead, so the chain never stops short of a satisfied customer."""
    if request.status in (Status.RESOLVED, Status.CLOSED):
        request_transition(
            actor=actor,
            request=request,
            action="reopen",
            note=_("Not satisfied on the callback: %(note)s") % {"note": note},
        )
    request.refresh_from_db()
    visit, why_not = _revisit_open(actor, request, callback)
    next_callback = None
    if visit is None:
        due = calendar_for_outlet(request.outlet_id).workdays_deadline(now, 1)
        next_callback = callback_schedule(
            actor=actor,
            request=request,
            reason=CallbackReason.REVISIT,
            due_at=due,
            follows=callback,
            assigned_to_id=callback.assigned_to_id,
        )
    request_record(
        actor=actor,
        request=request,
        verb=QualityVerb.UNSATISFIED_REOPENED,
        summary=(
            _("%(number)s: not satisfied — visit %(wo)s opened for the desk to book")
            % {"number": request.number, "wo": visit.number}
            if visit is not None
            else _("%(number)s: not satisfied — called again the next working day") % {"number": request.number}
        ),
        data={
            "callback": callback.pk,
            **({"work_order": visit.number} if visit is not None else {}),
            **({"next_callback": next_callback.pk} if next_callback is not None else {}),
            **({"visit_not_opened": why_not} if why_not else {}),
        },
        note=note,
        at=now,
    )


def _revisit_open(actor: Actor, request: ServiceRequest, callback: Callback) -> tuple[WorkOrder | None, str]:
    """A new visit of the same kind as the last one, unless one is open already or the request sends nobody."""
    open_visit = WorkOrder.objects.filter(request=request, status__in=OPEN).first()
    if open_visit is not None:
        return open_visit, ""
    if request.status not in OPEN_STATUSES:
        return None, _("the request is not open")
    last = callback.work_order or WorkOrder.objects.filter(request=request).order_by("-pk").first()
    job_type = last.job_type if last is not None else JOB_FOR_CALL.get(request.call_type)  # type: ignore[call-overload]
    if job_type is None:
        return None, _("this kind of request sends no engineer")
    try:
        with transaction.atomic():  # a refusal (no map position) leaves the callback recorded, not the visit
            return work_order_open(actor=actor, request=request, visit=WorkOrderInput(job_type=job_type)), ""
    except DomainError as refusal:
        return None, refusal.message


def callback_move(
    *,
    actor: Actor,
    callback: Callback,
    call_at: dt.datetime,
    mode: str = CallbackMode.PHONE,
    expected_version: int | None = None,
) -> Callback:
    """Call at another moment the customer allows, or book a home visit at a daytime he chose; the clock follows."""
    _desk(actor, _("Your role may not move callbacks."))
    callback = callback_get(actor=actor, callback_id=callback.pk)
    if mode not in CallbackMode.values:
        raise ValidationFailed(_("Choose a phone call or a home visit."), field="mode")
    if callback.status != CallbackStatus.PENDING:
        raise Conflict(_("This callback has been recorded already."), field="call_at")
    if _held_by_another(callback, _staff_id(actor)):
        raise Conflict(_("Another follow-up staff member has taken this callback."), field="callback")
    if expected_version is not None and expected_version != callback.version:
        raise Conflict(_("The callback was changed by someone else; reload it and try again."), field="version")
    if call_at.tzinfo is None:
        raise ValidationFailed(_("Give the time with its zone."), field="call_at")
    now = timezone.now()
    if call_at < now - dt.timedelta(minutes=1):
        raise ValidationFailed(_("Choose a time in the future."), field="call_at")
    request = ServiceRequest.objects.select_related("customer").get(pk=callback.request_id)
    calendar = calendar_for_outlet(request.outlet_id)
    if mode == CallbackMode.HOME_VISIT:
        local = calendar.local(call_at).time()
        if not DAYTIME[0] <= local <= DAYTIME[1]:
            raise ValidationFailed(_("Book a home visit in the daytime (08:00–20:00)."), field="call_at")
    elif not allowed_at(customer=request.customer, moment=call_at, calendar=calendar):
        raise ValidationFailed(
            _("The customer does not allow calls at that time; choose a moment inside his contact windows."),
            field="call_at",
        )
    with transaction.atomic():
        _claim(callback, call_at=call_at, mode=mode)
        request_record(
            actor=actor,
            request=request,
            verb=QualityVerb.CALLBACK_RESCHEDULED,
            summary=_("%(number)s: callback moved to %(at)s (%(mode)s)")
            % {
                "number": request.number,
                "at": f"{timezone.localtime(call_at):%Y-%m-%d %H:%M}",
                "mode": CallbackMode(mode).label,
            },
            data={"callback": callback.pk, "call_at": call_at.isoformat(), "mode": mode},
            at=now,
            clock_signal=ClockSignal.CALLBACK_SCHEDULED,  # the limit counts from the moment agreed
            clock_start=max(call_at, now),
        )
    return callback
