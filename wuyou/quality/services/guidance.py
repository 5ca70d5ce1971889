"""Resolving a request by phone guidance (R-E3): the visit called off, a callback scheduled 2 hours later."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.core.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.dispatch.models import OPEN, WorkOrder
from wuyou.dispatch.services import work_order_cancel, work_order_cancel_check
from wuyou.quality.models import Callback, CallbackReason, CallbackStatus, QualityVerb
from wuyou.quality.services.scheduling import callback_schedule
from wuyou.tickets.models import OPEN_STATUSES, ServiceRequest
from wuyou.tickets.selectors import request_get
from wuyou.tickets.services import request_record, request_transition

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
) -> Callback | None:
    """Resolve a misuse or false report by phone guidance (R-E3): any visit is called off, a callback is due in 2 h.

    One transaction: the request resolved, the guidance recorded, open visits cancelled, the callback scheduled;
    on any refusal nothing is written. Returns the scheduled callback (None: the customer may not be called).
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
            callback = callback_schedule(
                actor=actor, request=request, reason=CallbackReason.PHONE_GUIDANCE, due_at=due_at
            )
            request_record(
                actor=actor,
                request=request,
                verb=QualityVerb.PHONE_GUIDANCE,
                summary=_("%(number)s solved by phone guidance; callback due %(due)s")
                % {"number": request.number, "due": f"{timezone.localtime(due_at):%Y-%m-%d %H:%M}"},
                data={
                    "callback": callback.pk if callback else None,
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
