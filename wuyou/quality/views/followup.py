"""The follow-up desk on the web (issue 14 item 3): the queue of next calls, taking one, and its work page with the
script, the customer's card, the job's history, the questionnaire, the outcome and "call at another time"."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wuyou.accounts.actors import Actor
from wuyou.accounts.views import actor_of, staff_view
from wuyou.core.errors import Conflict, DomainError
from wuyou.core.htmx import apply_domain_error, found_or_404, refusal_status, render_page_or_partial, wants_partial
from wuyou.customers.selectors import phone_for_display
from wuyou.dispatch.selectors import work_orders_visible
from wuyou.quality import selectors
from wuyou.quality.forms import ANSWERED, CallbackMoveForm, CallbackQueueFilterForm, CallbackWorkForm
from wuyou.quality.models import Callback, CallbackOutcome, CallbackStatus, QuestionnaireVersion
from wuyou.quality.selectors import callbacks_queue
from wuyou.quality.services import callbacks as callback_services
from wuyou.quality.views.guidance import desk_only
from wuyou.tickets.history import history_line
from wuyou.tickets.selectors import request_contact_number, request_history

PAGE_SIZE = 25
HISTORY_SHOWN = 50


def _phone(actor: Actor, callback: Callback) -> tuple[str, bool]:
    """The number as the actor may see it, and whether it is whole (then it is a tel: link)."""
    number = request_contact_number(callback.request)
    if not number:
        return "", False
    shown = phone_for_display(actor=actor, number=number)
    return shown, shown == number


def _held_by_another(actor: Actor, callback: Callback) -> bool:
    return (
        callback.taken_at is not None
        and callback.assigned_to is not None
        and callback.assigned_to.user_id != actor.user_id
    )


def _row(actor: Actor, callback: Callback, now: Any) -> Callback:
    """Decorate a callback with what its row shows."""
    callback.overdue = callback.is_overdue(now)  # type: ignore[attr-defined]
    callback.phone, callback.phone_whole = _phone(actor, callback)  # type: ignore[attr-defined]
    callback.mine = callback.assigned_to is not None and callback.assigned_to.user_id == actor.user_id  # type: ignore[attr-defined]
    callback.held = _held_by_another(actor, callback)  # type: ignore[attr-defined]
    return callback


def _list_context(request: HttpRequest, actor: Actor, filter_form: CallbackQueueFilterForm) -> dict[str, Any]:
    page = Paginator(callbacks_queue(actor=actor, filters=filter_form.to_queue_filters()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    for callback in page.object_list:
        _row(actor, callback, now)
    return {
        "title": _("Callbacks"),
        "form": filter_form,
        "query": filter_form.query(),
        "list_url": reverse("quality:callbacks"),
        "page": page,
        "callbacks": page.object_list,
        "now": now,
    }


@require_GET
@staff_view
def callback_list(request: HttpRequest) -> HttpResponse:
    """The follow-up queue: the next calls in "call at" order, overdue marked; htmx swaps only the table."""
    actor = actor_of(request)
    desk_only(actor)
    context = _list_context(request, actor, CallbackQueueFilterForm(request.GET or None))
    return render_page_or_partial(request, "quality/callback_list.html", "results", context)


@require_POST
@staff_view
def callback_take(request: HttpRequest, callback_id: int) -> HttpResponse:
    """Take the callback onto one's list; htmx swaps its row, otherwise the work page. Taken by another: 409."""
    actor = actor_of(request)
    callback = found_or_404(request, selectors.callback_get, actor=actor, callback_id=callback_id)
    desk_only(actor)
    status, refusal = 200, ""
    try:
        callback = callback_services.callback_take(actor=actor, callback=callback)
    except DomainError as exc:
        status, refusal = refusal_status(exc), exc.message
        callback = found_or_404(request, selectors.callback_get, actor=actor, callback_id=callback_id)
    if wants_partial(request):
        row = _row(actor, callback, timezone.now())
        row.refusal = refusal  # type: ignore[attr-defined]
        context = {"callback": row, "query": CallbackQueueFilterForm(request.POST).query()}
        return render(request, "quality/callback_list.html#row", context, status=status)
    if refusal:
        messages.error(request, refusal)
        return redirect("quality:callbacks")
    return redirect("quality:callback_work", callback_id=callback.pk)


def _questionnaire(callback: Callback) -> QuestionnaireVersion | None:
    """The version answered (a made callback), else the one in force for its reason."""
    if callback.questionnaire_id is not None:
        return callback.questionnaire
    return selectors.questionnaire_for(callback.reason) if callback.is_pending else None


def _work_context(
    request: HttpRequest,
    actor: Actor,
    callback: Callback,
    *,
    work_form: CallbackWorkForm | None = None,
    move_form: CallbackMoveForm | None = None,
    conflict: str = "",
) -> dict[str, Any]:
    sr = callback.request
    customer = sr.customer
    version = _questionnaire(callback)
    _row(actor, callback, timezone.now())
    local_call_at = timezone.localtime(callback.call_at)
    return {
        "title": _("Callback %(number)s") % {"number": sr.number},
        "callback": callback,
        "sr": sr,
        "customer": customer,
        "windows": list(customer.contact_windows.order_by("pk")),
        "questionnaire": version,
        "answers": list(callback.answers.select_related("question").order_by("question__position"))
        if not callback.is_pending
        else [],
        "work_form": work_form or CallbackWorkForm(questionnaire=version, initial={"version": callback.version}),
        "move_form": move_form
        or CallbackMoveForm(initial={"call_at": local_call_at.replace(tzinfo=None), "mode": callback.mode}),
        "outcome_buttons": _outcome_buttons(version),
        "visits": list(
            work_orders_visible(actor=actor).filter(request=sr).select_related("engineer").order_by("-pk")[:10]
        ),
        "earlier": [c for c in selectors.callbacks_of_request(actor=actor, request=sr) if c.pk != callback.pk],
        "history": [history_line(event) for event in request_history(request=sr)[:HISTORY_SHOWN]],
        "may_act": callback.is_pending and not callback.held,  # type: ignore[attr-defined]
        "conflict": conflict,
        "queue_url": reverse("quality:callbacks"),
    }


def _outcome_buttons(version: QuestionnaireVersion | None) -> list[tuple[str, str, str]]:
    """(value, label, css) of the outcome buttons: "answered" with a questionnaire, satisfied or not without."""
    reached: list[tuple[str, str, str]] = (
        [(ANSWERED, _("Answered — record the answers"), "primary")]
        if version is not None
        else [
            (CallbackOutcome.SATISFIED.value, _("Satisfied"), "primary"),
            (CallbackOutcome.UNSATISFIED.value, _("Not satisfied"), ""),
        ]
    )
    return [
        *reached,
        (CallbackOutcome.NO_ANSWER.value, _("Not reached"), ""),
        (CallbackOutcome.REFUSED.value, _("Refused"), ""),
    ]


def _work_page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "quality/callback_work.html", context, status=status)


def _callback(request: HttpRequest, actor: Actor, callback_id: int) -> Callback:
    return found_or_404(request, selectors.callback_get, actor=actor, callback_id=callback_id)


@require_GET
@staff_view
def callback_work(request: HttpRequest, callback_id: int) -> HttpResponse:
    """The work page of one callback: script, customer's card, job history, questionnaire and outcome."""
    actor = actor_of(request)
    callback = _callback(request, actor, callback_id)
    desk_only(actor)
    return _work_page(request, _work_context(request, actor, callback))


@require_POST
@staff_view
def callback_record(request: HttpRequest, callback_id: int) -> HttpResponse:
    """Record the outcome (the button pressed) with the answers; the queue again, or the page with its errors."""
    actor = actor_of(request)
    callback = _callback(request, actor, callback_id)
    desk_only(actor)
    version = _questionnaire(callback)
    form = CallbackWorkForm(request.POST, questionnaire=version)
    if not form.is_valid():
        return _work_page(request, _work_context(request, actor, callback, work_form=form), status=422)
    outcome = form.cleaned_data["outcome"]
    reached = outcome in (ANSWERED, CallbackOutcome.SATISFIED, CallbackOutcome.UNSATISFIED)
    answers = form.answers() if reached and version is not None else None
    try:
        recorded = callback_services.callback_record(
            actor=actor,
            callback=callback,
            outcome=outcome,
            answers={k: v for k, v in answers.items() if v} if answers else None,
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as exc:
        conflict = exc.message if isinstance(exc, Conflict) else ""
        if conflict:
            callback = _callback(request, actor, callback_id)
        else:
            apply_domain_error(form, exc, form.field_map())
        context = _work_context(request, actor, callback, work_form=None if conflict else form, conflict=conflict)
        return _work_page(request, context, status=refusal_status(exc))
    messages.success(request, _recorded_message(recorded))
    query = CallbackQueueFilterForm(request.POST).query()
    return redirect(f"{reverse('quality:callbacks')}?{urlencode(query)}")


def _recorded_message(callback: Callback) -> str:
    number = callback.request.number
    if callback.status == CallbackStatus.PENDING:
        return _("%(number)s: not reached (attempt %(n)d); called again at %(at)s.") % {
            "number": number,
            "n": callback.attempts,
            "at": f"{timezone.localtime(callback.call_at):%m-%d %H:%M}",
        }
    if callback.outcome == CallbackOutcome.UNSATISFIED:
        return _("%(number)s: not satisfied — the request is reopened with a new visit for the desk to book.") % {
            "number": number
        }
    return _("Callback for %(number)s recorded: %(outcome)s.") % {
        "number": number,
        "outcome": callback.get_outcome_display(),
    }


@require_POST
@staff_view
def callback_move(request: HttpRequest, callback_id: int) -> HttpResponse:
    """Call at another time the customer allows, or book a home visit; the work page again, errors on the fields."""
    actor = actor_of(request)
    callback = _callback(request, actor, callback_id)
    desk_only(actor)
    form = CallbackMoveForm(request.POST)
    if not form.is_valid():
        return _work_page(request, _work_context(request, actor, callback, move_form=form), status=422)
    try:
        moved = callback_services.callback_move(
            actor=actor, callback=callback, call_at=form.cleaned_data["call_at"], mode=form.cleaned_data["mode"]
        )
    except DomainError as exc:
        conflict = exc.message if isinstance(exc, Conflict) else ""
        if conflict:
            callback = _callback(request, actor, callback_id)
        else:
            apply_domain_error(form, exc, {"callback": "__all__", "callback_id": "__all__", "version": "__all__"})
        context = _work_context(request, actor, callback, move_form=None if conflict else form, conflict=conflict)
        return _work_page(request, context, status=refusal_status(exc))
    messages.success(
        request,
        _("%(number)s: callback moved to %(at)s (%(mode)s).")
        % {
            "number": moved.request.number,
            "at": f"{timezone.localtime(moved.call_at):%Y-%m-%d %H:%M}",
            "mode": moved.get_mode_display(),
        },
    )
    return redirect("quality:callback_work", callback_id=moved.pk)
