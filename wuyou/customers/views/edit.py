"""Editing a customer's record, the duplicate warning and merging two records (issue 13)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wuyou.accounts.actors import Actor
from wuyou.accounts.views import actor_of, staff_view
from wuyou.core.errors import DomainError, NotFound
from wuyou.core.htmx import (
    apply_domain_error,
    found_or_404,
    not_found,
    refusal_status,
)
from wuyou.customers import selectors, services
from wuyou.customers.erasure import open_jobs_of
from wuyou.customers.forms import (
    EDIT_FIELD_MAP,
    CustomerEditForm,
    MergeForm,
    MergeSearchForm,
)
from wuyou.customers.models import Customer
from wuyou.customers.views.archive import phones_shown


def _edit_refusal(customer: Customer, actor: Actor) -> tuple[str, int] | None:
    if not services.may_edit(actor, customer):
        return _("Your role or outlet may not change this customer's record."), 403
    if customer.anonymised_at is not None:
        return _("This customer was anonymised; his record can no longer be edited."), 409
    return None


@require_http_methods(["GET", "POST"])
@staff_view
def customer_edit(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Correct a customer's record; a form drawn from an older version is refused (409), nothing half-written."""
    actor = actor_of(request)
    customer = found_or_404(request, selectors.customer_get, actor=actor, customer_id=customer_id)
    refusal = _edit_refusal(customer, actor)
    form = CustomerEditForm(request.POST or None, customer=customer)
    status = 200 if refusal is None else refusal[1]
    stale = False
    if request.method == "POST" and refusal is None:
        status = 422
        if form.is_valid():
            try:
                _saved, changed = services.customer_edit(
                    actor=actor,
                    customer_id=customer.pk,
                    changes=form.to_edit(),
                    expected_version=form.cleaned_data["version"],
                )
            except NotFound:
                raise not_found(request) from None
            except DomainError as exc:
                apply_domain_error(form, exc, EDIT_FIELD_MAP)
                status = refusal_status(exc)
                stale = exc.status == 409
            else:
                done = _("Customer record saved.") if changed else _("Nothing was changed.")
                messages.success(request, done)
                return redirect("customers:detail", customer_id=customer.pk)
    context = {"customer": customer, "form": form, "refusal": refusal[0] if refusal else "", "stale": stale}
    return render(request, "customers/customer_edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_view
def customer_merge(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Merge a duplicate into this record: find it by phone or name, preview what moves, confirm (head office)."""
    actor = actor_of(request)
    customer = found_or_404(request, selectors.customer_get, actor=actor, customer_id=customer_id)
    if not services.may_merge(actor):
        raise Forbidden(_("Only a head-office service manager may merge customer records."))
    search = MergeSearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    found = [c for c in selectors.customer_search(actor=actor, query=query) if c.pk != customer.pk] if query else []
    form = MergeForm(request.POST or None, initial={"other_id": request.GET.get("other", "")})
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                _survivor, moved = services.customer_merge(
                    actor=actor, survivor_id=customer.pk, loser_id=form.cleaned_data["other_id"]
                )
            except NotFound:
                raise not_found(request) from None
            except DomainError as exc:
                apply_domain_error(form, exc, {"other_id": "__all__"})
                status = refusal_status(exc)
            else:
                messages.success(request, _("Records merged into %(name)s.") % {"name": customer.name})
                return redirect("customers:detail", customer_id=customer.pk)
    raw = request.POST.get("other_id") if request.method == "POST" else request.GET.get("other", "")
    other = None
    if raw and raw.isdigit() and len(raw) < 16:
        other = found_or_404(request, selectors.customer_get, actor=actor, customer_id=int(raw))
    context: dict[str, Any] = {"customer": customer, "search": search, "query": query, "form": form, "other": other}
    context["found"] = [{"customer": c, "phones": phones_shown(actor, c)} for c in found]
    if other is not None and other.pk != customer.pk:
        context |= {
            "other_phones": phones_shown(actor, other),
            "preview": services.merge_preview(survivor=customer, loser=other),
            "open_jobs": open_jobs_of(customer.pk) + open_jobs_of(other.pk),
        }
    return render(request, "customers/customer_merge.html", context, status=status)
