"""Anonymisation on request (PIPL art. 47) at the desk: filed by one person, approved by another."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wuyou.accounts.actors import Actor
from wuyou.accounts.views import actor_of, staff_view
from wuyou.core.errors import DomainError
from wuyou.core.htmx import (
    apply_domain_error,
    found_or_404,
    not_found,
    refusal_status,
)
from wuyou.customers import anonymisation, selectors, services
from wuyou.customers.forms import (
    AnonymiseDecideForm,
    AnonymiseRequestForm,
    NoteForm,
    RevealPhonesForm,
)
from wuyou.customers.models import Customer
from wuyou.customers.views.archive import _anonymisation_context, _card, _timeline_context


def _detail_refused(request: HttpRequest, actor: Actor, customer: Customer, status: int, **forms: Any) -> HttpResponse:
    context = (
        _card(actor, customer)
        | _timeline_context(actor, customer, None)
        | {"note_form": NoteForm(), "reveal_form": RevealPhonesForm()}
        | _anonymisation_context(actor, customer, **forms)
    )
    return render(request, "customers/customer_detail.html", context, status=status)


@require_POST
@staff_view
def customer_anonymise_request(request: HttpRequest, customer_id: int) -> HttpResponse:
    """File the customer's request to be anonymised, with its reason; another person approves it."""
    actor = actor_of(request)
    customer = found_or_404(request, selectors.customer_get, actor=actor, customer_id=customer_id)
    form = AnonymiseRequestForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            services.anonymisation_request_file(
                actor=actor, customer_id=customer.pk, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
            status = refusal_status(exc)
        else:
            messages.success(request, _("Anonymisation requested; it waits for a second person's approval."))
            return redirect("customers:detail", customer_id=customer.pk)
    return _detail_refused(request, actor, customer, status, anonymise_form=form)


@require_POST
@staff_view
def anonymisation_decide(request: HttpRequest, anonymisation_id: int) -> HttpResponse:
    """Approve (the customer is anonymised at once) or reject another person's anonymisation request."""
    actor = actor_of(request)
    filed = found_or_404(
        request, anonymisation.anonymisation_request_get, actor=actor, anonymisation_id=anonymisation_id
    )
    form = AnonymiseDecideForm(request.POST)
    status = 422
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.anonymisation_request_decide(
                actor=actor, anonymisation_id=filed.pk, approve=approve, note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
            status = refusal_status(exc)
        else:
            done = _("Customer anonymised.") if approve else _("Anonymisation request rejected.")
            messages.success(request, done)
            return redirect("customers:detail", customer_id=filed.customer_id)
    customer = found_or_404(request, selectors.customer_get, actor=actor, customer_id=filed.customer_id)
    return _detail_refused(request, actor, customer, status, decide_form=form)


@require_GET
@staff_view
def anonymisation_list(request: HttpRequest) -> HttpResponse:
    """The anonymisation requests waiting for a decision, for the approvers and the desk that files them."""
    actor = actor_of(request)
    if not (anonymisation.may_approve(actor) or anonymisation.may_file_any(actor)):
        raise not_found(request)
    pending = anonymisation.anonymisation_requests_pending(actor=actor)
    context = {"pending": pending, "may_approve": anonymisation.may_approve(actor)}
    return render(request, "customers/anonymisation_list.html", context)
