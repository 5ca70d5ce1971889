"""Follow-up API under /api/v1/callbacks (issue 14 item 3): the queue of due callbacks, one callback, take it,
record what the customer said, call at another time. Another outlet's callback is a 404; roles without scope get an
empty queue."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router

from wuyou.accounts.actors import Actor, api_actor
from wuyou.core.schemas import Limit, ObjectId, Offset, page_of
from wuyou.customers.selectors import phone_for_display
from wuyou.quality.followup.schemas import CallbackMoveIn, CallbackOut, CallbackPage, CallbackRecordIn
from wuyou.quality.models import Callback
from wuyou.quality.selectors import DueWithin, QueueFilters, Whose, callback_get, callbacks_queue
from wuyou.quality.services import callbacks as callback_services
from wuyou.tickets.selectors import request_contact_number

router = Router(tags=["callbacks"])


def callback_out(actor: Actor, callback: Callback, *, with_answers: bool = False) -> dict[str, Any]:
    """A callback as the caller may see it (the phone masked for roles that do not see whole numbers)."""
    sr = callback.request
    number = request_contact_number(sr)
    holder = callback.assigned_to
    return {
        "id": callback.pk,
        "request_id": sr.pk,
        "request_number": sr.number,
        "outlet_id": sr.outlet_id,
        "reason": callback.reason,
        "mode": callback.mode,
        "status": callback.status,
        "due_at": callback.due_at,
        "call_at": callback.call_at,
        "overdue": callback.is_overdue(timezone.now()),
        "attempts": callback.attempts,
        "version": callback.version,
        "assigned_to_id": callback.assigned_to_id,
        "assigned_to_name": holder.display_name if holder is not None else "",
        "taken_at": callback.taken_at,
        "customer_name": sr.customer.name,
        "phone": phone_for_display(actor=actor, number=number) if number else "",
        "dont_call_at_work": sr.customer.dont_call_at_work,
        "outcome": callback.outcome,
        "note": callback.note,
        "done_at": callback.done_at,
        "questionnaire_version_id": callback.questionnaire_id,
        "answers": [
            {"code": a.question.code, "question": a.question.text, "value": a.value, "rating": a.rating}
            for a in callback.answers.select_related("question").order_by("question__position")
        ]
        if with_answers
        else [],
    }


@router.get("", response=CallbackPage, summary="The follow-up queue: pending callbacks, the next call first")
def callback_list(
    request: HttpRequest,
    due: Annotated[DueWithin, Query()] = DueWithin.TODAY,
    mine: Annotated[bool, Query()] = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CallbackPage:
    """Pending callbacks in "call at" order: due now, due today (overdue included) or all; `mine`: taken by me."""
    actor = api_actor(request)
    filters = QueueFilters(due=due, whose=Whose.MINE if mine else Whose.ALL)
    return page_of(
        CallbackPage, callbacks_queue(actor=actor, filters=filters), lambda c: callback_out(actor, c), limit, offset
    )


@router.get("/{callback_id}", response=CallbackOut, summary="One callback, with its answers once made")
def callback_detail(request: HttpRequest, callback_id: ObjectId) -> dict[str, Any]:
    actor = api_actor(request)
    return callback_out(actor, callback_get(actor=actor, callback_id=callback_id), with_answers=True)


@router.post("/{callback_id}/take", response=CallbackOut, summary="Take the callback onto my list")
def callback_take(request: HttpRequest, callback_id: ObjectId) -> dict[str, Any]:
    """Two staff taking the same callback: one gets it, the other 409."""
    actor = api_actor(request)
    callback = callback_services.callback_take(actor=actor, callback=callback_get(actor=actor, callback_id=callback_id))
    return callback_out(actor, callback_get(actor=actor, callback_id=callback.pk))


@router.post("/{callback_id}/record", response=CallbackOut, summary="Record what the customer said")
def callback_record(request: HttpRequest, callback_id: ObjectId, payload: CallbackRecordIn) -> dict[str, Any]:
    """Answered (the questionnaire decides), satisfied, not satisfied (the request reopens with a visit to book),
    not reached (tried again later, at most a few times) or refused. Recorded twice: 409."""
    actor = api_actor(request)
    callback = callback_services.callback_record(
        actor=actor,
        callback=callback_get(actor=actor, callback_id=callback_id),
        outcome=payload.outcome,
        answers=payload.answers,
        note=payload.note,
        expected_version=payload.expected_version,
    )
    return callback_out(actor, callback_get(actor=actor, callback_id=callback.pk), with_answers=True)


@router.post("/{callback_id}/move", response=CallbackOut, summary="Call at another time, or book a home visit")
def callback_move(request: HttpRequest, callback_id: ObjectId, payload: CallbackMoveIn) -> dict[str, Any]:
    """A phone call must fall inside the customer's contact windows (else 422 naming `call_at`)."""
    actor = api_actor(request)
    callback = callback_services.callback_move(
        actor=actor,
        callback=callback_get(actor=actor, callback_id=callback_id),
        call_at=payload.call_at,
        mode=payload.mode,
        expected_version=payload.expected_version,
    )
    return callback_out(actor, callback_get(actor=actor, callback_id=callback.pk))
