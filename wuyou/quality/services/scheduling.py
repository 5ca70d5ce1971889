"""Scheduling callbacks (R-G1, issue 14 items 1–2): every callback is placed at the customer's time and owns the
request's callback clock, which starts when the callback may first ring.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import NOBODY, Actor
from wuyou.accounts.selectors import calendar_for_outlet
from wuyou.calendars.workdays import WorkCalendar
from wuyou.core.errors import ValidationFailed
from wuyou.customers.models import ContactWindow, Customer
from wuyou.dispatch.models import WorkOrder
from wuyou.quality.calling_times import CallingRules, CallWindow, NoCallingTime, call_at
from wuyou.quality.models import Callback, CallbackMode, CallbackReason, CallbackStatus, QualityVerb, SampleDraw
from wuyou.tickets.models import ServiceRequest
from wuyou.tickets.services import request_record
from wuyou.tickets.sla import ClockSignal

# Seed 003 回访制度: 2 hours after phone guidance, 3 hours after a repair the engineer was not sure of.
DUE_AFTER: dict[str, dt.timedelta] = {
    CallbackReason.PHONE_GUIDANCE: dt.timedelta(hours=2),
    CallbackReason.UNCERTAIN_REPAIR: dt.timedelta(hours=3),
    CallbackReason.ONSITE_UNSATISFIED: dt.timedelta(hours=2),
    CallbackReason.REVISIT: dt.timedelta(hours=24),
    CallbackReason.COMPLAINT: dt.timedelta(hours=2),
    CallbackReason.SAMPLE: dt.timedelta(0),
}


def calling_rules_of(customer: Customer) -> CallingRules:
    """What the customer asked about being called: his contact windows and "don't call at work"."""
    windows = [
        CallWindow(days=w.days, starts_at=w.starts_at, ends_at=w.ends_at)
        for w in ContactWindow.objects.filter(customer_id=customer.pk).order_by("pk")
    ]
    return CallingRules(windows=tuple(windows), dont_call_at_work=customer.dont_call_at_work)


def may_call(customer: Customer) -> bool:
    """Whether the customer may be called back at all: a customer who withdrew consent is never called."""
    return customer.consent_service_calls and customer.anonymised_at is None and customer.merged_into_id is None


def placed_at(
    *, customer: Customer, due: dt.datetime, calendar: WorkCalendar, can_wait: bool, strict: bool = False
) -> dt.datetime:
    """The first moment at or after `due` the customer allows; weekends preferred for a callback that can wait.

    With contradictory wishes (no allowed moment for three weeks) the rule's moment stands, unless `strict` (a
    moment chosen by hand), which refuses naming the field.
    """
    try:
        return call_at(
            due,
            calling_rules_of(customer),
            zone=calendar.zone,
            is_workday=calendar.is_workday,
            prefer_days_off=can_wait,
        )
    except NoCallingTime:
        if strict:
            raise ValidationFailed(
                _("The customer's contact windows leave no time to call in the coming three weeks."), field="call_at"
            ) from None
        return due


def allowed_at(*, customer: Customer, moment: dt.datetime, calendar: WorkCalendar) -> bool:
    """Whether the customer allows a call at exactly this moment (a time chosen by hand is checked, not slid)."""
    return placed_at(customer=customer, due=moment, calendar=calendar, can_wait=False, strict=True) == moment


def callback_schedule(
    *,
    actor: Actor | None,
    request: ServiceRequest,
    reason: str,
    due_at: dt.datetime | None = None,
    work_order: WorkOrder | None = None,
    follows: Callback | None = None,
    draw: SampleDraw | None = None,
    assigned_to_id: int | None = None,
    mode: str = CallbackMode.PHONE,
) -> Callback | None:
    """Schedule a callback about the request: due by its rule, placed at the customer's time, its clock started.

    `due_at` defaults to now plus the reason's delay (DUE_AFTER). Returns None, writing nothing, for a customer who
    may not be called (no consent, anonymised). Runs in the caller's transaction when there is one.
    """
    if reason not in CallbackReason.values:
        raise ValidationFailed(_("Unknown callback reason."), field="reason")
    customer = Customer.objects.get(pk=request.customer_id)
    if not may_call(customer):
        return None
    now = timezone.now()
    due = due_at or now + DUE_AFTER[reason]
    calendar = calendar_for_outlet(request.outlet_id)
    ring = placed_at(customer=customer, due=due, calendar=calendar, can_wait=reason == CallbackReason.SAMPLE)
    with transaction.atomic():
        callback = Callback.objects.create(
            request=request,
            reason=reason,
            due_at=due,
            call_at=ring,
            work_order=work_order,
            follows=follows,
            draw=draw,
            assigned_to_id=assigned_to_id,
            mode=mode,
            status=CallbackStatus.PENDING,
        )
        local = timezone.localtime(ring)
        request_record(
            actor=actor or NOBODY,  # the daily draw and the rules act as the system
            request=request,
            verb=QualityVerb.CALLBACK_SCHEDULED,
            summary=_("%(number)s: callback scheduled (%(reason)s), call at %(at)s")
            % {"number": request.number, "reason": callback.get_reason_display(), "at": f"{local:%Y-%m-%d %H:%M}"},
            data={
                "callback": callback.pk,
                "reason": reason,
                "due_at": due.isoformat(),
                "call_at": ring.isoformat(),
                **({"work_order": work_order.number} if work_order is not None else {}),
                **({"follows": follows.pk} if follows is not None else {}),
            },
            at=now,
            clock_signal=ClockSignal.CALLBACK_SCHEDULED,
            clock_start=max(ring, now),
        )
    return callback


ONSITE_UNSATISFIED_AT_MOST = 2  # an on-site rating of 1 or 2 of 5 is "not satisfied"


def callbacks_after_visit(actor: Actor, work_order: WorkOrder, at: dt.datetime) -> Callback | None:
    """The callback a finished visit calls for by rule (registered with fieldservice's visit-done hooks).

    The visit for a customer who was not satisfied is followed by the next callback of his chain (R-F3); otherwise
    an engineer's doubt (not sure it is fixed, no time for a test run, a failed test run) calls the customer 3 hours
    later (seed 003), and an on-site "not satisfied" 2 hours later. Sampled callbacks are drawn the next day, not here.
    """
    request = ServiceRequest.objects.get(pk=work_order.request_id)
    if Callback.objects.filter(request=request, status=CallbackStatus.PENDING).exists():
        return None  # already someone's call to make: the customer is not called twice
    unsatisfied = (
        Callback.objects.filter(request=request, status=CallbackStatus.DONE, outcome="unsatisfied")
        .filter(followed_by__isnull=True)
        .order_by("-done_at", "-pk")
        .first()
    )
    if unsatisfied is not None:
        return callback_schedule(
            actor=actor,
            request=request,
            reason=CallbackReason.REVISIT,
            work_order=work_order,
            follows=unsatisfied,
            assigned_to_id=unsatisfied.assigned_to_id,
        )
    if work_order.not_sure_fixed or work_order.no_time_for_test_run or work_order.test_run_ok is False:
        reason = CallbackReason.UNCERTAIN_REPAIR
    elif min(work_order.quality_rating or 5, work_order.attitude_rating or 5) <= ONSITE_UNSATISFIED_AT_MOST:
        reason = CallbackReason.ONSITE_UNSATISFIED
    else:
        return None
    return callback_schedule(
        actor=actor, request=request, reason=reason, work_order=work_order, due_at=at + DUE_AFTER[reason]
    )
