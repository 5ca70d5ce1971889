"""Reads of fee quotes, scoped to the actor: quotes, disputes, what the customer agreed to, the receipt."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.accounts.selectors import scoped_to_actor
from wuyou.core.errors import NotFound, PermissionDenied, ValidationFailed
from wuyou.dispatch.models import WorkOrder
from wuyou.dispatch.selectors import work_order_get, work_orders_visible
from wuyou.fees.models import AGREED, FeeQuote, InvoiceRequest, InvoiceStatus, Payment, PaymentMethod, QuoteStatus
from wuyou.parts.models import Part, StockMove, StockMoveKind
from wuyou.products.explanations import explain
from wuyou.products.policy import Explanation


def quote_current(work_order: WorkOrder) -> FeeQuote | None:
    """The visit's quote in force (not superseded), if any."""
    return work_order.quotes.exclude(status=QuoteStatus.SUPERSEDED).first()


def quotes_visible(*, actor: Actor) -> QuerySet[FeeQuote]:
    """Quotes on the visits the actor sees."""
    return FeeQuote.objects.filter(work_order__in=work_orders_visible(actor=actor)).select_related(
        "work_order", "work_order__request", "work_order__request__customer", "work_order__engineer"
    )


def quote_get(*, actor: Actor, quote_id: int) -> FeeQuote:
    found = quotes_visible(actor=actor).filter(pk=quote_id).first()
    if found is None:
        raise NotFound(_("No such quote."))
    return found


def quotes_disputed(*, actor: Actor) -> QuerySet[FeeQuote]:
    """Disputes waiting for the centre, oldest first (the centre sees all; an outlet its own)."""
    return quotes_visible(actor=actor).filter(status=QuoteStatus.DISPUTED).order_by("decided_at", "pk")


def parts_consumed(work_order: WorkOrder) -> list[StockMove]:
    """The parts used on the visit, from the ledger (serials included), in the order they were booked."""
    return list(
        StockMove.objects.filter(work_order=work_order, kind=StockMoveKind.CONSUMPTION)
        .select_related("part")
        .order_by("created_at", "pk")
    )


def parts_agreed_check(work_order: WorkOrder, wanted: Sequence[tuple[str, int]]) -> None:
    """Parts may be used only as the customer agreed: the current quote accepted (or settled) and listing them.

    `wanted` is (part code, quantity) in the order posted; ValidationFailed names the row at fault.
    """
    current = quote_current(work_order)
    if current is None:
        raise ValidationFailed(_("Quote the repair and have the customer agree before using parts."), field="parts")
    if current.status not in AGREED:
        messages = {
            QuoteStatus.PROPOSED: _("The customer has not yet answered quote %(quote)s."),
            QuoteStatus.REFUSED: _("The customer refused quote %(quote)s: no parts may be used."),
            QuoteStatus.DISPUTED: _("Quote %(quote)s is disputed: wait for the centre's settlement."),
        }
        raise ValidationFailed(messages[QuoteStatus(current.status)] % {"quote": current.number}, field="parts")
    quoted = _quoted_parts(current)
    used = _used_parts(work_order)
    for i, (code, quantity) in enumerate(wanted):
        used[code] += quantity
        if used[code] > quoted[code]:
            raise ValidationFailed(
                _("%(code)s is not on quote %(quote)s as agreed (%(n)d quoted); quote again first.")
                % {"code": code, "quote": current.number, "n": quoted[code]},
                field=f"parts[{i}].code",
            )


def agreed_parts_left(work_order: WorkOrder) -> list[tuple[str, int, bool]]:
    """The agreed quote's parts not yet booked as used: (code, how many, consumable); [] until a quote is agreed."""
    current = quote_current(work_order)
    if current is None or current.status not in AGREED:
        return []
    left = _quoted_parts(current)
    left.subtract(_used_parts(work_order))
    consumable = dict(Part.objects.filter(code__in=list(left)).values_list("code", "is_consumable"))
    return [(code, n, consumable.get(code, True)) for code, n in left.items() if n > 0]


def _quoted_parts(quote: FeeQuote) -> Counter[str]:
    quoted = Counter[str]()
    for line in quote.lines:
        if line.get("kind") == "part":
            quoted[line["code"]] += int(line["quantity"])
    return quoted


def _used_parts(work_order: WorkOrder) -> Counter[str]:
    used = Counter[str]()
    for move in parts_consumed(work_order):
        used[move.part.code] -= move.quantity  # consumption moves are negative
    return used


def finish_check(work_order: WorkOrder) -> None:
    """A visit is not finished while the customer still has a quote in front of him."""
    current = quote_current(work_order)
    if current is not None and current.status == QuoteStatus.PROPOSED:
        raise ValidationFailed(
            _("The customer has not answered quote %(quote)s: record the answer first.") % {"quote": current.number},
            field="quote",
        )


@dataclass(frozen=True)
class ReceiptLine:
    """One charge of the receipt with the promise behind it, in the reader's language."""

    kind: str
    code: str
    name: str
    quantity: int
    amount: Decimal
    customer_share: Decimal
    rule: str
    version: str
    explanation: str
    notes: tuple[str, ...]
    serials: tuple[str, ...]


@dataclass(frozen=True)
class Receipt:
    """What the customer takes away: the agreed quote, the parts fitted with their serials, and what he pays."""

    work_order: WorkOrder
    quote: FeeQuote
    lines: tuple[ReceiptLine, ...]
    options: tuple[str, ...]
    total: Decimal
    customer_total: Decimal
    customer_pays: Decimal
    issued_at: dt.datetime
    payments: tuple[Payment, ...] = ()
    paid: Decimal = Decimal("0.00")

    @property
    def balance_due(self) -> Decimal:
        return self.customer_pays - self.paid


def receipt_for(*, actor: Actor, work_order_id: int) -> Receipt:
    """The receipt of a visit whose current quote the customer agreed to (or the centre settled)."""
    wo = work_order_get(actor=actor, work_order_id=work_order_id)
    current = quote_current(wo)
    if current is None or current.status not in AGREED:
        raise NotFound(_("This visit has no agreed quote, so no receipt yet."))
    serials: dict[str, list[str]] = {}
    for move in parts_consumed(wo):
        if move.serial:
            serials.setdefault(move.part.code, []).append(move.serial)
    lines = tuple(
        ReceiptLine(
            kind=line["kind"],
            code=line["code"],
            name=_labour_name(line),
            quantity=int(line["quantity"]),
            amount=Decimal(line["amount"]),
            customer_share=Decimal(line["customer_share"]),
            rule=line["rule"],
            version=line["version"],
            explanation=_explained(line["explanation"]),
            notes=tuple(_explained(n) for n in line.get("notes", [])),
            serials=tuple(serials.get(line["code"], ())) if line["kind"] == "part" else (),
        )
        for line in current.lines
    )
    options = tuple(_explained(o["explanation"]) for o in current.options if o.get("eligible"))
    payments = tuple(payments_of(current))
    return Receipt(
        work_order=wo,
        quote=current,
        lines=lines,
        options=options,
        total=current.total,
        customer_total=current.customer_total,
        customer_pays=current.customer_pays,
        issued_at=current.settled_at or current.decided_at or current.created_at,
        payments=payments,
        paid=sum((p.amount for p in payments), Decimal("0.00")),
    )


def quote_lines_explained(fee: FeeQuote) -> list[dict[str, Any]]:
    """A stored quote's lines with their explanations as sentences in the active language (pages and API)."""
    return [
        {
            **line,
            "name": _labour_name(line),
            "explanation_text": _explained(line["explanation"]),
            "notes_text": [_explained(n) for n in line.get("notes", [])],
        }
        for line in fee.lines
    ]


def quote_options_explained(fee: FeeQuote) -> list[dict[str, Any]]:
    """A stored quote's options (exchange, refund…) with their explanations in the active language."""
    return [{**o, "explanation_text": _explained(o["explanation"])} for o in fee.options]


def _explained(stored: Mapping[str, Any]) -> str:
    """A stored explanation (`{"key", "params"}`, as _explanation_data wrote it) in the active language."""
    return explain(Explanation(stored["key"], stored["params"]))


def _labour_name(line: Mapping[str, Any]) -> str:
    if line.get("kind") == "labour":
        return _("Labour")
    if line.get("kind") == "software_setup":
        return _("Software and set-up")
    return str(line.get("name", ""))


# -- payments, invoices and the day's takings (R-B5) --------------------------------------------------------------


CENTS = Decimal("0.01")


def payments_of(quote: FeeQuote) -> list[Payment]:
    """What the customer paid against a quote, in the order it was taken."""
    return list(quote.payments.select_related("recorded_by").order_by("created_at", "pk"))


def paid_on(quote: FeeQuote) -> Decimal:
    """The sum paid against a quote."""
    total = quote.payments.aggregate(total=Sum("amount"))["total"]
    return Decimal(total if total is not None else 0).quantize(CENTS)


@dataclass(frozen=True)
class PaymentSummary:
    """A visit's money: what the customer pays under the agreed quote, what he paid, what is left, his invoice."""

    work_order: WorkOrder
    quote: FeeQuote | None
    customer_pays: Decimal
    payments: tuple[Payment, ...]
    paid: Decimal
    invoice: InvoiceRequest | None

    @property
    def agreed(self) -> bool:
        return self.quote is not None and self.quote.status in AGREED

    @property
    def balance_due(self) -> Decimal:
        return self.customer_pays - self.paid


def payment_summary(work_order: WorkOrder) -> PaymentSummary:
    """The money of a visit the caller has already found in scope."""
    current = quote_current(work_order)
    agreed = current is not None and current.status in AGREED
    payments = tuple(payments_of(current)) if current is not None and agreed else ()
    return PaymentSummary(
        work_order=work_order,
        quote=current,
        customer_pays=current.customer_pays if current is not None and agreed else Decimal("0.00"),
        payments=payments,
        paid=sum((p.amount for p in payments), Decimal("0.00")),
        invoice=InvoiceRequest.objects.filter(work_order=work_order).first(),
    )


def payments_visible(*, actor: Actor) -> QuerySet[Payment]:
    """Payments of the outlets the actor sees (an engineer: those he collected)."""
    return scoped_to_actor(Payment.objects.all(), actor=actor, own_jobs="engineer__user_id")


def invoices_visible(*, actor: Actor, status: str | None = None) -> QuerySet[InvoiceRequest]:
    """Invoice requests of the outlets the actor sees, oldest first; for the desk (others see none)."""
    if not actor.can_run_desk:
        return InvoiceRequest.objects.none()
    qs = scoped_to_actor(
        InvoiceRequest.objects.select_related("work_order", "work_order__request", "outlet"), actor=actor
    )
    if status is not None:
        if status not in InvoiceStatus.values:
            raise ValidationFailed(_("Choose requested or issued."), field="status")
        qs = qs.filter(status=status)
    return qs.order_by("created_at", "pk")


def invoice_get(*, actor: Actor, invoice_id: int) -> InvoiceRequest:
    found = invoices_visible(actor=actor).filter(pk=invoice_id).first()
    if found is None:
        raise NotFound(_("No such invoice request."))
    return found


@dataclass(frozen=True)
class TakingsRow:
    """One engineer's takings of the day: the sum per method, the count of payments and the total."""

    outlet: str
    engineer_id: int | None
    engineer: str
    by_method: dict[str, Decimal]
    count: int
    total: Decimal


def takings(*, actor: Actor, day: dt.date) -> list[TakingsRow]:
    """The day's payments per engineer per method, of the outlets the actor sees (head office: all); for the desk."""
    if not actor.can_run_desk:
        raise PermissionDenied(_("The day's takings are for the outlet desk."))
    rows: dict[int | None, dict[str, Any]] = {}
    grouped = (
        payments_visible(actor=actor)
        .filter(day=day)
        .values("outlet__name", "engineer_id", "engineer__display_name", "method")
        .annotate(total=Sum("amount"), n=Count("pk"))
        .order_by("outlet__name", "engineer__display_name", "engineer_id", "method")
    )
    for g in grouped:
        row = rows.setdefault(
            g["engineer_id"],
            {
                "outlet": g["outlet__name"],
                "engineer": g["engineer__display_name"] or _("(no engineer)"),
                "by_method": {m: Decimal("0.00") for m in PaymentMethod.values},
                "count": 0,
            },
        )
        row["by_method"][g["method"]] += Decimal(g["total"]).quantize(CENTS)
        row["count"] += g["n"]
    return [
        TakingsRow(engineer_id=pk, total=sum(r["by_method"].values(), Decimal("0.00")), **r) for pk, r in rows.items()
    ]
