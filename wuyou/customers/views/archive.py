"""The agent console: one-box search, new customer, the customer page with its timeline, notes, reveals, the map."""

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
from wuyou.core.errors import DomainError, NotFound
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
from wuyou.customers.address_map import address_maps
from wuyou.customers.erasure import open_jobs_of
from wuyou.customers.forms import (
    CUSTOMER_FIELD_MAP,
    AddressPlaceForm,
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
        "may_edit": services.may_edit(actor, customer) and customer.anonymised_at is None,
        "may_merge": services.may_merge(actor) and customer.anonymised_at is None,
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
    status, duplicates = 200, []
    if request.method == "POST":
        status = 422
        duplicates = _duplicates_shown(actor, form)
        if duplicates:
            status = 409  # the same phone as a customer the agent can open: file a second one on purpose only
        elif form.is_valid():
            try:
                customer = services.customer_create(actor=actor, profile=form.to_input())
            except DomainError as exc:
                apply_domain_error(form, exc, CUSTOMER_FIELD_MAP)
                status = exc.status if exc.status in (403, 409) else 422
            else:
                messages.success(request, _("Customer %(name)s filed.") % {"name": customer.name})
                url = reverse("customers:detail", args=[customer.pk])
                return HttpResponseClientRedirect(url) if wants_partial(request) else redirect(url)
    context = {"form": form, "can_run_desk": actor.can_run_desk, "duplicates": duplicates}
    return render_page_or_partial(request, "customers/customer_new.html", "form", context, status=status)


@require_GET
@staff_view
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The customer's card, timeline, units and requests (the last two load as panels)."""
    actor = actor_of(request)
    try:
        customer = selectors.customer_get(actor=actor, customer_id=customer_id)
    except NotFound:
        survivor_id = _merged_into_visible(actor, customer_id)
        if survivor_id is None:
            raise not_found(request) from None
        messages.info(request, _("That record was merged into this one."))
        return redirect("customers:detail", customer_id=survivor_id)
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


@require_http_methods(["GET", "POST"])
@staff_view
def address_place(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The addresses on a small map (GET, a panel of the customer page); POST moves one's point where it was clicked
    or typed (precision "manual", a line on the timeline). Another outlet's customer or a masked address is a 404."""
    actor = actor_of(request)
    customer = found_or_404(request, selectors.customer_get, actor=actor, customer_id=customer_id)
    form, status = AddressPlaceForm(request.POST or None), 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.address_place(actor=actor, customer_id=customer.pk, **form.cleaned_data)
            except NotFound:
                raise not_found(request) from None
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = refusal_status(exc)
            else:
                if not wants_partial(request):
                    messages.success(request, _("Map point saved."))
                    return redirect("customers:detail", customer_id=customer.pk)
                customer = selectors.customer_get(actor=actor, customer_id=customer.pk)
                form, status = AddressPlaceForm(), 200
    context = {
        "customer": customer,
        "maps": address_maps(actor=actor, customer=customer),
        "place_form": form,
        "can_run_desk": actor.can_run_desk,
        "saved": request.method == "POST" and status == 200,
    }
    response = render_page_or_partial(request, "customers/address_map.html", "panel", context, status=status)
    return trigger_client_event(response, CUSTOMER_CHANGED) if context["saved"] else response


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


def _duplicates_shown(actor: Actor, form: CustomerCreateForm) -> list[dict[str, Any]]:
    """Customers the agent can open who already have the new customer's phone (unless he files anyway)."""
    if not form.is_valid() or form.cleaned_data.get("file_anyway"):
        return []
    phones = [p for p in (form.cleaned_data["phone_1"], form.cleaned_data.get("phone_2") or "") if p.strip()]
    found = services.duplicates_of(actor=actor, phones=phones)
    return [{"customer": c, "phones": phones_shown(actor, c)} for c in found]


def _merged_into_visible(actor: Actor, customer_id: int) -> int | None:
    """The record a merged one now lives in, if the actor may open it (an old link finds the customer)."""
    survivor_id = Customer.objects.filter(pk=customer_id).values_list("merged_into", flat=True).first()
    if survivor_id is None or not selectors.customers_visible(actor=actor).filter(pk=survivor_id).exists():
        return None
    return int(survivor_id)
