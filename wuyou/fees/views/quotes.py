"""The fee quote card of the engineer's visit page, the receipt (page and PDF), and the centre's disputes (issue 5
item 3, R-B3, R-B4).

Thin views over wuyou.fees: the services price, decide and explain; these pages parse the posted rows (the visit page
posts them: wuyou.fieldservice.views.quote) and render what the customer agreed to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from wuyou.accounts.actors import Actor
from wuyou.accounts.selectors import organisation_name
from wuyou.accounts.views import actor_of, desk_actor, staff_view
from wuyou.core.errors import DomainError, ValidationFailed
from wuyou.core.htmx import found_or_404
from wuyou.core.signatures import MAX_SIGNATURE_CHARS
from wuyou.dispatch.models import WorkOrder
from wuyou.fees import services as fees_services
from wuyou.fees.models import AGREED, FeeQuote, QuoteStatus
from wuyou.fees.pricing import QuotePart
from wuyou.fees.receipt_pdf import receipt_pdf
from wuyou.fees.selectors import (
    agreed_parts_left,
    quote_current,
    quote_get,
    quote_lines_explained,
    quote_options_explained,
    quotes_disputed,
    receipt_for,
)
from wuyou.fees.services import SETTLER_ROLES
from wuyou.parts.models import StockPlaceKind
from wuyou.parts.selectors import stock_levels, stock_places_visible
from wuyou.products.policy import FAULT_CAUSES

FAULT_CAUSE_LABELS = {
    "quality": gettext_lazy("Quality fault"),
    "user_damage": gettext_lazy("User damage"),
    "wear": gettext_lazy("Wear"),
    "misuse": gettext_lazy("Misuse"),
}
QUOTE_FIELDS = frozenset({"fault_cause", "parts", "labour_card_price", "unit", "serial", "quote"})
DECISION_FIELDS = frozenset({"signed_by", "signature", "note", "decision"})
DISPUTES_SHOWN = 200
# A blank row the engineer may fill: the van's part, how many, and the price on the customer's warranty card.
BLANK_ROW: dict[str, Any] = {"code": "", "quantity": "1", "card_price": "", "errors": {}}


@dataclass
class QuotePosted:
    """A quote or decision form sent back with errors: which one, what was typed, and the messages by field."""

    form: str  # "quote", "accept", "refuse" or "dispute"
    values: dict[str, Any]
    errors: dict[str, str]
    rows: list[dict[str, Any]] = field(default_factory=list)


# -- the quote card on the visit page -----------------------------------------------------------------------------


def van_parts(actor: Actor, wo: WorkOrder) -> list[dict[str, Any]]:
    """The parts in the visit's engineer's van with what is in stock (only those the van holds now)."""
    if wo.engineer_id is None:
        return []
    van = stock_places_visible(actor=actor).filter(kind=StockPlaceKind.VAN, engineer_id=wo.engineer_id).first()
    if van is None:
        return []
    return [
        {"code": line.part.code, "name": line.part.name, "quantity": line.quantity}
        for line in stock_levels(actor=actor, place_id=van.pk)
        if line.quantity > 0 and line.part.active
    ]


def agreed_part_rows(wo: WorkOrder) -> list[dict[str, Any]]:
    """Rows for "Parts used" from the agreed quote's part lines not yet booked: code and quantity, serial to type.

    A serialised part is booked one at a time, so it gets one row per piece.
    """
    rows: list[dict[str, Any]] = []
    for code, left, consumable in agreed_parts_left(wo):
        pieces = [left] if consumable else [1] * left
        rows += [{"code": code, "serial": "", "quantity": str(n), "errors": {}} for n in pieces]
    return rows


def parts_choices(actor: Actor, wo: WorkOrder) -> list[dict[str, Any]]:
    """What the "Parts used" select offers: the van's parts, and the agreed quote's parts even if the van ran out."""
    choices = {p["code"]: p for p in van_parts(actor, wo)}
    current = quote_current(wo)
    if current is not None and current.status in AGREED:
        for line in current.lines:
            if line.get("kind") == "part" and line["code"] not in choices:
                choices[line["code"]] = {"code": line["code"], "name": line["name"], "quantity": 0}
    return sorted(choices.values(), key=lambda p: p["code"])


def quote_card(actor: Actor, wo: WorkOrder, posted: QuotePosted | None = None) -> dict[str, Any]:
    """Everything the quote card shows: the quote as the customer sees it, the answer forms, or the form to quote."""
    current = quote_current(wo)
    status = current.status if current is not None else ""
    errors = posted.errors if posted is not None else {}
    form_values: dict[str, Any] = {"fault_cause": current.fault_cause if current is not None else ""}
    rows = [dict(BLANK_ROW, errors={})]
    if posted is not None and posted.form == "quote":
        form_values = posted.values
        rows = posted.rows or rows
    decision: dict[str, Any] = {"form": "", "values": {}, "errors": {}}
    if posted is not None and posted.form != "quote":
        decision = {"form": posted.form, "values": posted.values, "errors": posted.errors}
    quote_errors = errors if posted is not None and posted.form == "quote" else {}
    return {
        "quote": current,
        "status": status,
        "lines": quote_lines_explained(current) if current is not None else [],
        "options": [o for o in quote_options_explained(current) if o.get("eligible")] if current else [],
        "causes": [(c, FAULT_CAUSE_LABELS.get(c, c)) for c in FAULT_CAUSES],
        "cause_label": FAULT_CAUSE_LABELS.get(current.fault_cause, current.fault_cause) if current else "",
        "van_parts": van_parts(actor, wo),
        "values": form_values,
        "rows": rows,
        "errors": quote_errors,
        "decision": decision,
        # The form to quote: open when there is nothing to answer; folded to quote again; gone while disputed.
        "may_offer": status != QuoteStatus.DISPUTED,
        "form_open": not current or status == QuoteStatus.REFUSED or bool(quote_errors),
        "agreed": status in AGREED,
        "has_errors": bool(errors),
        "receipt_url": reverse("fees:receipt", args=[wo.pk]) if status in AGREED else "",
        "pdf_url": reverse("fees:receipt_pdf", args=[wo.pk]) if status in AGREED else "",
        "max_signature_chars": MAX_SIGNATURE_CHARS,
    }


def quote_summary(wo: WorkOrder) -> dict[str, Any] | None:
    """The visit's current quote in one line, with the receipt's links once agreed (shown outside the steps)."""
    current = quote_current(wo)
    if current is None:
        return None
    agreed = current.status in AGREED
    return {
        "quote": current,
        "receipt_url": reverse("fees:receipt", args=[wo.pk]) if agreed else "",
        "pdf_url": reverse("fees:receipt_pdf", args=[wo.pk]) if agreed else "",
    }


# -- reading the posted quote (the visit page posts it: wuyou.fieldservice.views.quote) ---------------------------


def amount_typed(raw: str, path: str, errors: dict[str, str]) -> Decimal | None:
    """A yuan amount as typed, or None when left blank; a malformed one is an error on its field."""
    raw = raw.strip().replace("¥", "").replace(",", "")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except (InvalidOperation, ValueError):
        errors[path] = _("Enter an amount in yuan, e.g. 120.00.")
        return None
    if not value.is_finite():
        errors[path] = _("Enter an amount in yuan, e.g. 120.00.")
        return None
    return value


def quote_rows_posted(request: HttpRequest) -> tuple[list[dict[str, Any]], list[QuotePart], dict[str, str]]:
    """The part rows as posted (rows with no part dropped), the service's parts, and errors of malformed input."""
    codes = request.POST.getlist("part_code")
    quantities = request.POST.getlist("part_quantity")
    prices = request.POST.getlist("part_card_price")
    rows: list[dict[str, Any]] = []
    for i in range(max(len(codes), len(quantities), len(prices))):
        code = codes[i].strip() if i < len(codes) else ""
        quantity = quantities[i].strip() if i < len(quantities) else ""
        price = prices[i].strip() if i < len(prices) else ""
        if not code and not price:
            continue  # an empty row left on the form
        rows.append({"code": code[:40], "quantity": quantity[:6], "card_price": price[:14], "errors": {}})
    parts: list[QuotePart] = []
    errors: dict[str, str] = {}
    for i, row in enumerate(rows):
        try:
            count = int(row["quantity"] or "1")
        except ValueError:
            errors[f"parts[{i}].quantity"] = _("A quantity is 1 to 99.")
            count = 1
        if not row["code"]:
            errors[f"parts[{i}].code"] = _("Choose the part from the van.")
        card_price = amount_typed(row["card_price"], f"parts[{i}].card_price", errors)
        parts.append(QuotePart(code=row["code"], quantity=count, card_price=card_price))
    return rows, parts, errors


def place_row_errors(rows: list[dict[str, Any]], errors: dict[str, str]) -> dict[str, str]:
    """Put `parts[i].code`-style messages on their row; the rest stay on the card."""
    rest = {}
    for path, message in errors.items():
        if path.startswith("parts[") and "]." in path:
            index, _dot, name = path[len("parts[") :].partition("].")
            if index.isdigit() and int(index) < len(rows):
                rows[int(index)]["errors"][name] = message
                continue
        rest[path] = message
    return rest


# -- the receipt --------------------------------------------------------------------------------------------------


@require_GET
@staff_view
def work_order_receipt(request: HttpRequest, work_order_id: int) -> HttpResponse:
    """The printable receipt: every line with its rule and policy version, the part serials, what the customer pays."""
    actor = actor_of(request)
    receipt = found_or_404(request, receipt_for, actor=actor, work_order_id=work_order_id)
    context = {"receipt": receipt, "wo": receipt.work_order, "fee": receipt.quote, "company": organisation_name()}
    return render(request, "fees/receipt.html", context)


@require_GET
@staff_view
def work_order_receipt_pdf(request: HttpRequest, work_order_id: int) -> HttpResponse:
    """The same receipt as a PDF the customer can keep."""
    actor = actor_of(request)
    receipt = found_or_404(request, receipt_for, actor=actor, work_order_id=work_order_id)
    response = HttpResponse(receipt_pdf(receipt, company=organisation_name()), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{receipt.quote.number}.pdf"'
    return response


# -- the centre's disputes ----------------------------------------------------------------------------------------


def _disputes_page(
    request: HttpRequest,
    actor: Actor,
    *,
    posted: dict[int, dict[str, Any]] | None = None,
    alert: str = "",
    status: int = 200,
) -> HttpResponse:
    rows = []
    for fee in quotes_disputed(actor=actor)[:DISPUTES_SHOWN]:
        rows.append(
            {
                "fee": fee,
                "lines": quote_lines_explained(fee),
                "form": (posted or {}).get(fee.pk, {"values": {}, "errors": {}}),
            }
        )
    context = {"rows": rows, "may_settle": actor.role in SETTLER_ROLES, "alert": alert}
    return render(request, "fees/disputes.html", context, status=status)


@require_GET
@staff_view
def fee_disputes(request: HttpRequest) -> HttpResponse:
    """Disputed quotes waiting for the centre, oldest first: the centre sees all, an outlet manager his outlet's."""
    return _disputes_page(request, desk_actor(request))


@require_POST
@staff_view
def quote_settle(request: HttpRequest, quote_id: int) -> HttpResponse:
    """The centre's settlement of a dispute: what the customer pays, and why (the engineer is told)."""
    actor = actor_of(request)
    if actor.role not in SETTLER_ROLES:
        message = _("Only a service manager of the centre settles a disputed charge.")
        if not actor.can_run_desk:
            return render(request, "error.html", {"message": message}, status=403)
        return _disputes_page(request, actor, alert=message, status=403)
    fee: FeeQuote = found_or_404(request, quote_get, actor=actor, quote_id=quote_id)
    values = {k: request.POST.get(k, "").strip() for k in ("customer_pays", "note")}
    try:
        fee = fees_services.quote_settle(
            actor=actor, quote_id=fee.pk, customer_pays=values["customer_pays"], note=values["note"]
        )
    except DomainError as exc:
        if isinstance(exc, ValidationFailed):
            posted = {fee.pk: {"values": values, "errors": exc.errors}}
            return _disputes_page(request, actor, posted=posted, status=422)
        return _disputes_page(request, actor, alert=exc.message, status=exc.status if exc.status != 400 else 422)
    messages.success(
        request,
        _("Quote %(quote)s settled: the customer pays ¥%(amount)s.")
        % {"quote": fee.number, "amount": fee.customer_pays},
    )
    return redirect("fees:disputes")
