"""The quote posted from the visit page and the customer's answer to it; refusals are drawn on the visit page again."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wuyou.accounts.actors import Actor
from wuyou.accounts.views import actor_of, staff_view
from wuyou.core.errors import Conflict, DomainError, TransitionNotAllowed, ValidationFailed
from wuyou.core.htmx import found_or_404, refusal_status
from wuyou.dispatch import selectors
from wuyou.dispatch.models import WorkOrder
from wuyou.fees import services as fees_services
from wuyou.fees.selectors import quote_current, quote_get
from wuyou.fees.services import DECISIONS, visit_quote_offer
from wuyou.fees.views import (
    DECISION_FIELDS,
    QUOTE_FIELDS,
    QuotePosted,
    amount_typed,
    place_row_errors,
    quote_rows_posted,
)
from wuyou.fieldservice.views import visit as engineer
from wuyou.products.policy import FAULT_CAUSES


def _visit_page(
    request: HttpRequest, actor: Actor, wo: WorkOrder, posted: QuotePosted | None, exc: DomainError | None = None
) -> HttpResponse:
    """The visit page again: errors next to their field; a stale page told to reload; a refusal said on top."""

    fresh = found_or_404(request, selectors.work_order_get, actor=actor, work_order_id=wo.pk)
    if exc is None:
        return render(
            request,
            "fieldservice/work_order.html",
            engineer.visit_context(actor, fresh, quote_posted=posted),
            status=422,
        )
    if isinstance(exc, Conflict) and not isinstance(exc, TransitionNotAllowed):
        context = engineer.visit_context(actor, fresh, conflict=exc.message)
        return render(request, "fieldservice/work_order.html", context, status=409)
    if isinstance(exc, ValidationFailed) and posted is not None:
        known = QUOTE_FIELDS if posted.form == "quote" else DECISION_FIELDS
        errors = place_row_errors(posted.rows, exc.errors) if posted.form == "quote" else dict(exc.errors)
        posted.errors = {k: v for k, v in errors.items() if k in known}
        rest = [v for k, v in errors.items() if k not in posted.errors]
        if not posted.errors and not any(row["errors"] for row in posted.rows):
            posted.errors = {"quote" if posted.form == "quote" else "decision": exc.message}
        context = engineer.visit_context(actor, fresh, quote_posted=posted, alert=" ".join(rest))
        return render(request, "fieldservice/work_order.html", context, status=422)
    status = refusal_status(exc)
    return render(
        request, "fieldservice/work_order.html", engineer.visit_context(actor, fresh, alert=exc.message), status=status
    )


def _current_id(wo: WorkOrder) -> str:
    current = quote_current(wo)
    return str(current.pk) if current is not None else ""


@require_POST
@staff_view
def work_order_quote(request: HttpRequest, work_order_id: int) -> HttpResponse:
    """Price the visit and show it to the customer; the page then shows the quote as the customer sees it."""
    actor = actor_of(request)
    wo = found_or_404(request, selectors.work_order_get, actor=actor, work_order_id=work_order_id)
    rows, parts, errors = quote_rows_posted(request)
    values = {k: request.POST.get(k, "").strip() for k in ("fault_cause", "labour_card_price")}
    posted = QuotePosted(form="quote", values=values, errors={}, rows=rows)
    if request.POST.get("current", "") != _current_id(wo):
        stale = Conflict(_("The quote of this visit has changed since the page was opened; reload it."), field="quote")
        return _visit_page(request, actor, wo, posted, stale)
    if values["fault_cause"] not in FAULT_CAUSES:
        errors["fault_cause"] = _("Choose the cause of the fault.")
    labour_card_price = amount_typed(values["labour_card_price"], "labour_card_price", errors)
    if errors:
        posted.errors = place_row_errors(rows, errors)
        return _visit_page(request, actor, wo, posted)
    try:
        fee = visit_quote_offer(
            actor=actor,
            work_order=wo,
            fault_cause=values["fault_cause"],
            parts=parts,
            labour_card_price=labour_card_price,
        )
    except DomainError as exc:
        return _visit_page(request, actor, wo, posted, exc)
    messages.success(request, _("Quote %(quote)s is ready: show it to the customer.") % {"quote": fee.number})
    return redirect(reverse("fieldservice:work_order", args=[wo.pk]) + "#step-quote")


@require_POST
@staff_view
def quote_decide(request: HttpRequest, quote_id: int) -> HttpResponse:
    """Record the customer's answer: accept (signed on the screen), refuse, or dispute (sent to the centre)."""
    actor = actor_of(request)
    fee = found_or_404(request, quote_get, actor=actor, quote_id=quote_id)
    decision = request.POST.get("decision", "")
    values = {k: request.POST.get(k, "") for k in ("signed_by", "signature", "note")}
    posted = QuotePosted(form=decision if decision in DECISIONS else "accept", values=values, errors={})
    try:
        fee = fees_services.quote_decide(
            actor=actor,
            quote_id=fee.pk,
            decision=decision,
            signed_by=values["signed_by"],
            signature=values["signature"],
            note=values["note"],
        )
    except DomainError as exc:
        return _visit_page(request, actor, fee.work_order, posted, exc)
    texts = {
        "accept": _("The customer accepted quote %(quote)s: you may use the parts."),
        "refuse": _("The customer refused quote %(quote)s. You may quote again."),
        "dispute": _("Quote %(quote)s is disputed: the centre has been told and will settle it."),
    }
    text = texts[decision] % {"quote": fee.number}
    (messages.success if decision == "accept" else messages.warning)(request, text)
    return redirect(reverse("fieldservice:work_order", args=[fee.work_order_id]) + "#step-quote")
