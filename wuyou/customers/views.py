"""The agent console: one-box search, new customer, the customer page with its timeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from wuyou.accounts.actors import Actor, Scope
from wuyou.accounts.views import actor_of, staff_view
from wuyou.core.errors import DomainError
from wuyou.core.htmx import (
    apply_domain_error,
    found_or_404,
    not_found,
    refusal_status,
    render_page_or_partial,
    wants_partial,
)
from wuyou.core.phones import phone_search_key
from wuyou.customers import anonymisation, selectors, services
from wuyou.customers.erasure import open_jobs_of
from wuyou.customers.forms import (
    CUSTOMER_FIELD_MAP,
    AnonymiseDecideForm,
    AnonymiseRequestForm,
    CustomerCreateForm,
    CustomerSearchForm,
    NoteForm,
    RevealPhonesForm,
)
from wuyou.customers.models import Customer

TIMELINE_PAGE = 20
CUSTOMER_CHANGED = "customer-changed"


@dataclass(frozen=True)
class PhoneShown:
    """A phone as this actor may see it."""

    shown: str
    masked: bool
    label: str
    is_primary: bool


def phones_shown(actor: Actor, customer: Customer, revealed: bool = False) -> list[PhoneShown]:
    """The customer's phones masked or not for this actor (full after a logged reveal)."""
    shown = []
    for phone in customer.phones.all():
        display = phone.number if revealed else selectors.phone_for_display(actor=actor, number=phone.number)
        shown.append(
            PhoneShown(
                shown=display,
                masked=display != phone.number,
                label=phone.get_kind_display(),
                is_primary=phone.is_primary,
            )
        )
    return shown


def _card(actor: Actor, customer: Customer) -> dict[str, Any]:
    phones = phones_shown(actor, customer)
    return {
        "customer": customer,
        "phones": phones,
        "any_masked": any(p.masked for p in phones),
        # Engineers see a customer's address on the job page, and only while the job is active.
        "show_addresses": actor.scope is not Scope.OWN_JOBS,
        "addresses": selectors.addresses_shown(actor=actor, customer=customer),
        "can_run_desk": actor.can_run_desk,
    }


@require_GET
@staff_view
def console(request: HttpRequest) -> HttpResponse:
    """The console home: one search box with live results and the way to file a new customer."""
    actor = actor_of(request)
    form = CustomerSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    found = selectors.customer_search(actor=actor, query=query) if query else []
    addresses = selectors.addresses_shown_many(actor=actor, customers=found)
    results = [{"customer": c, "phones": phones_shown(actor, c), "addresses": addresses[c.pk]} for c in found]
    context = {
        "form": form,
        "query": query,
        "results": results,
        "can_run_desk": actor.can_run_desk,
        "show_addresses": actor.scope is not Scope.OWN_JOBS,
        "new_customer_phone": query if phone_search_key(query) else "",
        "anonymisations_waiting": anonymisation.anonymisation_pending_count(actor=actor)
        if anonymisation.may_approve(actor)
        else None,
    }
    return render_page_or_partial(request, "customers/console.html", "results", context)


@require_http_methods(["GET", "POST"])
@staff_view
def customer_new(request: HttpRequest) -> HttpResponse:
    """File a new customer; field errors come back next to the inputs, nothing half-written."""
    actor = actor_of(request)
    form = CustomerCreateForm(request.POST or None, actor=actor, initial={"phone_1": request.GET.get("phone", "")})
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                customer = services.customer_create(actor=actor, profile=form.to_input())
            except DomainError as exc:
                apply_domain_error(form, exc, CUSTOMER_FIELD_MAP)
                status = exc.status if exc.status in (403, 409) else 422
            else:
                messages.success(request, _("Customer %(name)s filed.") % {"name": customer.name})
                url = reverse("customers:detail", args=[customer.pk])
                return HttpResponseClientRedirect(url) if wants_partial(request) else redirect(url)
    context = {"form": form, "can_run_desk": actor.can_run_desk}
    return render_page_or_partial(request, "customers/customer_new.html", "form", context, status=status)


@require_GET
@staff_view
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The customer's card, timeline, units and requests (the last two load as panels)."""
    actor = actor_of(request)
    customer = found_or_404(request, selectors.customer_get, actor=actor, customer_id=customer_id)
    context = (
        _card(actor, customer)
        | _timeline_context(actor, customer, None)
        | _anonymisation_context(actor, customer)
        | {"note_form": NoteForm(), "reveal_form": RevealPhonesForm()}
    )
    return render(request, "customers/customer_detail.html", context)


def _timeline_context(actor: Actor, customer: Customer, before_id: int | None) -> dict[str, Any]:
    entries = selectors.customer_timeline(actor=actor, customer=customer, limit=TIMELINE_PAGE, before_id=before_id)
    more = entries[-1].pk if len(entries) == TIMELINE_PAGE else None
    return {"customer": customer, "entries": entries, "more_before_id": more, "before_id": before_id}


@require_GET
@staff_view
def customer_timeline(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The timeline block (refresh) or, with `before_id`, the next older entries ("load more")."""
    actor = actor_of(request)
    customer = found_or_404(request, selectors.customer_get, actor=actor, customer_id=customer_id)
    raw = request.GET.get("before_id", "")
    before_id = int(raw) if raw.isdigit() and len(raw) < 19 else None
    context = _timeline_context(actor, customer, before_id)
    partial = "timeline_more" if before_id is not None else "timeline"
    return render(request, f"customers/customer_detail.html#{partial}", context)


@require_POST
@staff_view
def customer_reveal(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Reveal the full numbers on purpose; the reveal is logged (who, whose, when, why)."""
    actor = actor_of(request)
    customer = found_or_404(request, selectors.customer_get, actor=actor, customer_id=customer_id)
    form = RevealPhonesForm(request.POST)
    revealed = False
    status = 422
    if form.is_valid():
        try:
            services.customer_reveal_phones(actor=actor, customer=customer, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            apply_domain_error(form, exc)
            status = exc.status
        else:
            revealed, status = True, 200
    context = _card(actor, customer) | {"reveal_form": form}
    if revealed:
        context |= {"phones": phones_shown(actor, customer, revealed=True), "any_masked": False}
    if not wants_partial(request):
        context |= (
            _timeline_context(actor, customer, None)
            | _anonymisation_context(actor, customer)
            | {"note_form": NoteForm()}
        )
        return render(request, "customers/customer_detail.html", context, status=status)
    return render(request, "customers/customer_detail.html#phones", context, status=status)


@require_POST
@staff_view
def customer_note(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Write a call note on the timeline."""
    actor = actor_of(request)
    customer = found_or_404(request, selectors.customer_get, actor=actor, customer_id=customer_id)
    form = NoteForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            services.customer_note_add(
                actor=actor,
                customer=customer,
                summary=form.cleaned_data["summary"],
                body=form.cleaned_data["body"],
                phase=form.cleaned_data["phase"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
            status = exc.status
        else:
            if not wants_partial(request):
                messages.success(request, _("Note saved."))
                return redirect("customers:detail", customer_id=customer.pk)
            response = render(
                request,
                "customers/customer_detail.html#note_form",
                {"customer": customer, "note_form": NoteForm(), "note_saved": True},
            )
            return trigger_client_event(response, CUSTOMER_CHANGED)
    if not wants_partial(request):
        context = (
            _card(actor, customer)
            | _timeline_context(actor, customer, None)
            | _anonymisation_context(actor, customer)
            | {"note_form": form, "reveal_form": RevealPhonesForm()}
        )
        return render(request, "customers/customer_detail.html", context, status=status)
    return render(
        request, "customers/customer_detail.html#note_form", {"customer": customer, "note_form": form}, status=status
    )


# --- anonymisation on request (PIPL art. 47): filed by one person, approved by another -------------------------------


def _anonymisation_context(
    actor: Actor,
    customer: Customer,
    *,
    anonymise_form: AnonymiseRequestForm | None = None,
    decide_form: AnonymiseDecideForm | None = None,
) -> dict[str, Any]:
    pending = None if customer.anonymised_at else anonymisation.anonymisation_pending_of(customer=customer)
    may_decide = pending is not None and anonymisation.may_approve(actor) and pending.requested_by_id != actor.user_id
    return {
        "anonymisation_pending": pending,
        "anonymisation_shown": pending is not None and (may_decide or anonymisation.may_request(actor, customer)),
        "may_request_anonymisation": not customer.anonymised_at
        and pending is None
        and anonymisation.may_request(actor, customer),
        "may_decide_anonymisation": may_decide,
        "anonymisation_open_jobs": open_jobs_of(customer.pk) if may_decide else [],
        "anonymise_form": anonymise_form or AnonymiseRequestForm(),
        "decide_form": decide_form or AnonymiseDecideForm(),
    }


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
