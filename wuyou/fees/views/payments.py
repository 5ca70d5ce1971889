"""Pages of what the customer paid (issue 13 item 4, R-B5): the payment card of the visit page, the invoice
requests for the finance desk, and the day's takings per engineer for the outlet clerk.

Thin views over wuyou.fees.services.payments (writes) and wuyou.fees.selectors (reads). The card posts plain forms: a
good one goes back to the page it came from; a bad one shows the card again, alone, with the errors by field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wuyou.accounts.actors import Actor
from wuyou.accounts.selectors import calendar_for_outlet
from wuyou.accounts.views import actor_of, staff_view
from wuyou.core.dates import day_from_text
from wuyou.core.errors import DomainError, PermissionDenied, ValidationFailed
from wuyou.core.htmx import found_or_404
from wuyou.dispatch.models import WorkOrder
from wuyou.dispatch.selectors import work_order_get, work_orders_visible
from wuyou.fees.models import AGREED, InvoiceStatus, InvoiceTitle, PaymentMethod
from wuyou.fees.selectors import invoices_visible, payment_summary, takings
from wuyou.fees.services import payments as payment_services
from wuyou.tickets.models import ServiceRequest

INVOICES_SHOWN = 200
PAYMENT_FIELDS = ("method", "amount", "reference")
INVOICE_FIELDS = ("title_kind", "title", "tax_number", "email")


def payment_card(
    actor: Actor, wo: WorkOrder, *, form: str = "", values: dict[str, str] | None = None, errors: Any = None
) -> dict[str, Any]:
    """What the payment card shows: the money of the visit and the forms the actor may use, with any errors."""
    found = payment_summary(wo)
    may = payment_services.may_take_payment(actor, wo)
    return {
        "wo": wo,
        "money": found,
        "methods": PaymentMethod.choices,
        "title_kinds": InvoiceTitle.choices,
        "may_pay": may and found.agreed and found.balance_due > 0,
        "may_invoice": may and found.invoice is None and found.paid > 0,
        "form": form,
        "values": values or {},
        "errors": errors or {},
        "receipt_url": reverse("fees:receipt", args=[wo.pk]) if found.agreed else "",
    }


def _back(request: HttpRequest, wo: WorkOrder) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("fieldservice:work_order", args=[wo.pk])


def _card_again(request: HttpRequest, actor: Actor, wo: WorkOrder, form: str, exc: DomainError) -> HttpResponse:
    fields = PAYMENT_FIELDS if form == "payment" else INVOICE_FIELDS
    values = {k: request.POST.get(k, "").strip()[:300] for k in fields}
    errors = exc.errors if exc.errors else {"form": exc.message}
    card = payment_card(actor, wo, form=form, values=values, errors=errors)
    if not card["may_pay" if form == "payment" else "may_invoice"]:
        card["errors"] = {"form": exc.message}  # the form is not on the card (nothing to pay): say why on top
    context = {"card": card, "back": _back(request, wo)}
    status = exc.status if exc.status != 400 else 422
    return render(request, "fees/payment_form.html", context, status=status)


@require_POST
@staff_view
def payment_record(request: HttpRequest, work_order_id: int) -> HttpResponse:
    """The engineer (or the desk) records what the customer paid: method, amount, transaction number."""
    actor = actor_of(request)
    wo: WorkOrder = found_or_404(request, work_order_get, actor=actor, work_order_id=work_order_id)
    try:
        payment = payment_services.payment_record(
            actor=actor,
            work_order_id=wo.pk,
            method=request.POST.get("method", ""),
            amount=request.POST.get("amount", "").strip().replace("¥", "").replace(",", "") or "0",
            reference=request.POST.get("reference", "")[:300],
        )
    except DomainError as exc:
        return _card_again(request, actor, wo, "payment", exc)
    messages.success(
        request,
        _("¥%(amount)s paid by %(method)s recorded.")
        % {"amount": payment.amount, "method": payment.get_method_display()},
    )
    return redirect(_back(request, wo))


@require_POST
@staff_view
def invoice_request(request: HttpRequest, work_order_id: int) -> HttpResponse:
    """The customer's invoice request: title, tax number for a company, e-mail for the e-invoice."""
    actor = actor_of(request)
    wo: WorkOrder = found_or_404(request, work_order_get, actor=actor, work_order_id=work_order_id)
    try:
        payment_services.invoice_request(
            actor=actor,
            work_order_id=wo.pk,
            title_kind=request.POST.get("title_kind", ""),
            title=request.POST.get("title", "")[:300],
            tax_number=request.POST.get("tax_number", "")[:60],
            email=request.POST.get("email", "")[:300],
        )
    except DomainError as exc:
        return _card_again(request, actor, wo, "invoice", exc)
    messages.success(request, _("The invoice request was sent to the finance desk."))
    return redirect(_back(request, wo))


# -- the finance desk's invoice requests ---------------------------------------------------------------------------


def _invoices_page(
    request: HttpRequest, actor: Actor, *, errors: dict[int, str] | None = None, status: int = 200
) -> HttpResponse:
    shown = request.GET.get("status", InvoiceStatus.REQUESTED)
    if shown not in InvoiceStatus.values:
        shown = InvoiceStatus.REQUESTED
    context = {
        "invoices": list(invoices_visible(actor=actor, status=shown)[:INVOICES_SHOWN]),
        "shown": shown,
        "statuses": InvoiceStatus.choices,
        "errors": errors or {},
    }
    return render(request, "fees/invoices.html", context, status=status)


def _desk(request: HttpRequest) -> Actor:
    actor = actor_of(request)
    if not actor.can_run_desk:
        raise PermissionDenied(_("This page is for the outlet and finance desk."))
    return actor


@require_GET
@staff_view
def invoices(request: HttpRequest) -> HttpResponse:
    """Invoice requests of the outlets the desk sees, oldest first; requested ones by default."""
    return _invoices_page(request, _desk(request))


@require_POST
@staff_view
def invoice_issue(request: HttpRequest, invoice_id: int) -> HttpResponse:
    actor = _desk(request)
    try:
        invoice = payment_services.invoice_issue(
            actor=actor, invoice_id=invoice_id, invoice_number=request.POST.get("invoice_number", "")[:100]
        )
    except ValidationFailed as exc:
        return _invoices_page(request, actor, errors={invoice_id: exc.message}, status=422)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _invoices_page(request, actor, errors={invoice_id: exc.message}, status=exc.status)
    messages.success(request, _("Invoice for %(title)s marked issued.") % {"title": invoice.title})
    return redirect("fees:invoices")


# -- the day's takings ---------------------------------------------------------------------------------------------


@require_GET
@staff_view
def takings_page(request: HttpRequest) -> HttpResponse:
    """Per engineer per method, the sum of the day's payments of the clerk's outlet (head office: all outlets)."""
    actor = _desk(request)
    today = timezone.localtime(timezone.now(), calendar_for_outlet(actor.outlet_id).zone).date()
    day_error = ""
    try:
        day = day_from_text(request.GET.get("day"), field="day", label=_("Day")) or today
    except ValidationFailed as exc:
        day, day_error = today, exc.message
    rows = takings(actor=actor, day=day)
    totals = {m: sum((r.by_method[m] for r in rows), Decimal("0.00")) for m in PaymentMethod.values}
    context = {
        "day": day,
        "day_error": day_error,
        "methods": PaymentMethod.choices,
        "rows": [{"row": r, "cells": [r.by_method[m] for m in PaymentMethod.values]} for r in rows],
        "totals": [totals[m] for m in PaymentMethod.values],
        "total": sum(totals.values(), Decimal("0.00")),
    }
    return render(request, "fees/takings.html", context, status=400 if day_error else 200)


# -- the request page's "Payments" panel (registered in FeesConfig.ready) -----------------------------------------


def request_payments_panel(request: HttpRequest, actor: Actor, sr: ServiceRequest) -> str:
    """The request's visits with an agreed quote: what the customer pays, paid, owes, and his invoice request."""
    visits = (
        work_orders_visible(actor=actor)
        .filter(request_id=sr.pk, quotes__status__in=AGREED)
        .select_related("engineer")
        .distinct()
        .order_by("created_at", "pk")
    )
    cards = [payment_card(actor, wo) for wo in visits]
    cards = [c for c in cards if c["money"].agreed]
    if not cards:
        return ""
    return render_to_string("fees/includes/request_payments.html", {"cards": cards, "sr": sr}, request=request)
