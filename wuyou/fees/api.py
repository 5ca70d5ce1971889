"""Fee API under /api/v1/fees/: price any job, quote a visit, the customer's decision, the centre's settlement,
and the receipt (R-B3, R-B4). Explanations follow the request's language (Accept-Language)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from wuyou.accounts.actors import api_actor
from wuyou.core.errors import NotFound
from wuyou.core.idempotency import idempotent
from wuyou.core.schemas import PAGE_MAX, BoundedDate, IdempotencyKey, ObjectId
from wuyou.dispatch.selectors import work_order_get
from wuyou.fees import services as fees_services
from wuyou.fees.models import AGREED, FeeQuote, InvoiceRequest, Payment, PaymentMethod
from wuyou.fees.pricing import QuotePart, parts_quote
from wuyou.fees.schemas import (
    DecisionIn,
    FeeQuoteOut,
    InvoiceIn,
    InvoiceOut,
    IssueIn,
    PaymentIn,
    PaymentOut,
    QuoteIn,
    QuoteOut,
    ReceiptOut,
    SettleIn,
    TakingsOut,
    VisitPaymentsOut,
    VisitQuoteIn,
)
from wuyou.fees.selectors import (
    invoices_visible,
    paid_on,
    payment_summary,
    quote_current,
    quote_lines_explained,
    quote_options_explained,
    quotes_disputed,
    receipt_for,
    takings,
)
from wuyou.fees.services import payments as payment_services
from wuyou.products.explanations import quote_as_dict

router = Router(tags=["fees"])


def _parts(payload: QuoteIn | VisitQuoteIn) -> list[QuotePart]:
    return [QuotePart(code=p.code, quantity=p.quantity, card_price=p.card_price) for p in payload.parts]


def _line_out(line: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": line["kind"],
        "code": line["code"],
        "name": line["name"],
        "quantity": line["quantity"],
        "amount": line["amount"],
        "customer_share": line["customer_share"],
        "rule": line["rule"],
        "policy_version": line["version"],
        "explanation_key": line["explanation"]["key"],
        "explanation": line["explanation_text"],
        "notes": line["notes_text"],
    }


def fee_quote_out(fee: FeeQuote) -> dict[str, Any]:
    """A stored quote with its explanations in the active language."""
    return {
        "id": fee.pk,
        "number": fee.number,
        "work_order_id": fee.work_order_id,
        "status": fee.status,
        "job_type": fee.job_type,
        "fault_cause": fee.fault_cause,
        "service_date": fee.service_date,
        "policy": fee.policy_code,
        "policy_version": fee.policy_version,
        "lines": [_line_out(line) for line in quote_lines_explained(fee)],
        "options": [
            {
                "kind": o["kind"],
                "eligible": o["eligible"],
                "deadline": o["deadline"],
                "explanation": o["explanation_text"],
            }
            for o in quote_options_explained(fee)
        ],
        "total": fee.total,
        "customer_total": fee.customer_total,
        "customer_pays": fee.customer_pays,
        "decided_at": fee.decided_at,
        "signed_by": fee.signed_by,
        "decision_note": fee.decision_note,
        "settled_at": fee.settled_at,
        "settlement_note": fee.settlement_note,
        "receipt_url": (reverse("fees:receipt", args=[fee.work_order_id]) if fee.status in AGREED else None),
    }


@router.post("/quote", response=QuoteOut, summary="Quote a job, explaining every charge")
def fee_quote(request: HttpRequest, payload: QuoteIn) -> dict[str, Any]:
    """Price a job on a visible unit under its warranty policy; each line names the rule and version behind it.

    Parts are catalogue codes (their prices and warranty component come from the catalogue); labour is the fee
    schedule's charge for the job unless `labour_fee` is given. Nothing is written.
    """
    unit, priced = parts_quote(
        actor=api_actor(request),
        serial=payload.serial,
        job_type=payload.job_type,
        fault_cause=payload.fault_cause,
        service_date=payload.service_date,
        parts=_parts(payload),
        labour_fee=payload.labour_fee,
        labour_card_price=payload.labour_card_price,
    )
    return quote_as_dict(unit.serial, priced)


@router.get(
    "/work-orders/{work_order_id}/quote", response=FeeQuoteOut, summary="The visit's current quote (404 if none)"
)
def visit_quote_get(request: HttpRequest, work_order_id: ObjectId) -> dict[str, Any]:
    wo = work_order_get(actor=api_actor(request), work_order_id=work_order_id)
    current = quote_current(wo)
    if current is None:
        raise NotFound(_("This visit has no quote yet."))
    return fee_quote_out(current)


@router.post(
    "/work-orders/{work_order_id}/quote",
    response={201: FeeQuoteOut},
    summary="Quote the visit and show it to the customer",
)
def visit_quote_offer(request: HttpRequest, work_order_id: ObjectId, payload: VisitQuoteIn) -> Status:
    """Prices the visit under the unit's policy today; replaces the current quote unless it is disputed."""
    actor = api_actor(request)
    wo = work_order_get(actor=actor, work_order_id=work_order_id)
    fee = fees_services.visit_quote_offer(
        actor=actor,
        work_order=wo,
        fault_cause=payload.fault_cause,
        parts=_parts(payload),
        labour_card_price=payload.labour_card_price,
    )
    return Status(201, fee_quote_out(fee))


@router.post("/quotes/{quote_id}/decision", response=FeeQuoteOut, summary="Record the customer's answer")
def quote_decide(request: HttpRequest, quote_id: ObjectId, payload: DecisionIn) -> dict[str, Any]:
    """Accept (signed by the customer), refuse, or dispute: a dispute goes to the centre's service managers."""
    fee = fees_services.quote_decide(
        actor=api_actor(request),
        quote_id=quote_id,
        decision=payload.decision,
        signed_by=payload.signed_by,
        signature=payload.signature,
        note=payload.note,
    )
    return fee_quote_out(fee)


@router.post("/quotes/{quote_id}/settle", response=FeeQuoteOut, summary="Settle a disputed quote (centre)")
def quote_settle(request: HttpRequest, quote_id: ObjectId, payload: SettleIn) -> dict[str, Any]:
    fee = fees_services.quote_settle(
        actor=api_actor(request), quote_id=quote_id, customer_pays=payload.customer_pays, note=payload.note
    )
    return fee_quote_out(fee)


@router.get("/disputes", response=list[FeeQuoteOut], summary="Disputed quotes waiting for the centre")
def disputes(request: HttpRequest) -> list[dict[str, Any]]:
    return [fee_quote_out(fee) for fee in quotes_disputed(actor=api_actor(request))[:PAGE_MAX]]


@router.get("/work-orders/{work_order_id}/receipt", response=ReceiptOut, summary="The visit's receipt")
def receipt(request: HttpRequest, work_order_id: ObjectId) -> dict[str, Any]:
    """The agreed quote's lines with their rules, the serials of the parts fitted, and what the customer pays."""
    found = receipt_for(actor=api_actor(request), work_order_id=work_order_id)
    wo, fee = found.work_order, found.quote
    return {
        "work_order": wo.number,
        "quote": fee.number,
        "customer": wo.request.customer.name,
        "unit_serial": wo.request.unit.serial if wo.request.unit else "",
        "policy": fee.policy_code,
        "policy_version": fee.policy_version,
        "lines": [
            {
                "kind": line.kind,
                "code": line.code,
                "name": line.name,
                "quantity": line.quantity,
                "amount": line.amount,
                "customer_share": line.customer_share,
                "rule": line.rule,
                "policy_version": line.version,
                "explanation_key": "",
                "explanation": line.explanation,
                "notes": list(line.notes),
                "serials": list(line.serials),
            }
            for line in found.lines
        ],
        "total": found.total,
        "customer_total": found.customer_total,
        "customer_pays": found.customer_pays,
        "settlement_note": fee.settlement_note,
        "paid": found.paid,
        "balance_due": found.balance_due,
        "payments": [payment_out(p, balance_due=found.balance_due) for p in found.payments],
        "issued_at": found.issued_at,
        "pdf_url": reverse("fees:receipt_pdf", args=[wo.pk]),
    }


# -- payments, invoices, the day's takings (R-B5) ------------------------------------------------------------------


def payment_out(payment: Payment, *, balance_due: Decimal | None = None) -> dict[str, Any]:
    """A payment; `balance_due` is what the customer still owes on its quote (now)."""
    if balance_due is None:
        balance_due = payment.quote.customer_pays - paid_on(payment.quote)
    return {
        "id": payment.pk,
        "work_order_id": payment.work_order_id,
        "quote": payment.quote.number,
        "method": payment.method,
        "method_label": payment.get_method_display(),
        "amount": payment.amount,
        "reference": payment.reference,
        "recorded_by": payment.recorded_by.get_username() if payment.recorded_by else "",
        "recorded_at": payment.created_at,
        "day": payment.day,
        "balance_due": balance_due,
    }


def invoice_out(invoice: InvoiceRequest) -> dict[str, Any]:
    return {
        "id": invoice.pk,
        "work_order_id": invoice.work_order_id,
        "work_order": invoice.work_order.number,
        "title_kind": invoice.title_kind,
        "title": invoice.title,
        "tax_number": invoice.tax_number,
        "email": invoice.email,
        "amount": invoice.amount,
        "status": invoice.status,
        "requested_at": invoice.created_at,
        "issued_at": invoice.issued_at,
        "invoice_number": invoice.invoice_number,
    }


@router.get("/work-orders/{work_order_id}/payments", response=VisitPaymentsOut, summary="What the customer paid")
def visit_payments(request: HttpRequest, work_order_id: ObjectId) -> dict[str, Any]:
    """The agreed amount, each payment (method, amount, transaction number), the balance due, the invoice request."""
    found = payment_summary(work_order_get(actor=api_actor(request), work_order_id=work_order_id))
    return {
        "work_order_id": work_order_id,
        "quote": found.quote.number if found.quote is not None else None,
        "agreed": found.agreed,
        "customer_pays": found.customer_pays,
        "paid": found.paid,
        "balance_due": found.balance_due,
        "payments": [payment_out(p, balance_due=found.balance_due) for p in found.payments],
        "invoice": invoice_out(found.invoice) if found.invoice is not None else None,
    }


@router.post(
    "/work-orders/{work_order_id}/payments", response={201: PaymentOut}, summary="Record what the customer paid"
)
@idempotent
def payment_create(
    request: HttpRequest, work_order_id: ObjectId, payload: PaymentIn, idempotency_key: IdempotencyKey = None
) -> Status:
    """Once the customer agreed to the quote: payments add up to what he pays at most; non-cash needs a reference."""
    payment = payment_services.payment_record(
        actor=api_actor(request),
        work_order_id=work_order_id,
        method=payload.method,
        amount=payload.amount,
        reference=payload.reference,
    )
    return Status(201, payment_out(payment))


@router.post(
    "/work-orders/{work_order_id}/invoice", response={201: InvoiceOut}, summary="The customer asks for an invoice"
)
@idempotent
def invoice_create(
    request: HttpRequest, work_order_id: ObjectId, payload: InvoiceIn, idempotency_key: IdempotencyKey = None
) -> Status:
    """A personal or company title (with its 18-character unified social credit code) and the e-invoice's e-mail."""
    invoice = payment_services.invoice_request(
        actor=api_actor(request),
        work_order_id=work_order_id,
        title_kind=payload.title_kind,
        title=payload.title,
        tax_number=payload.tax_number,
        email=payload.email,
    )
    return Status(201, invoice_out(invoice))


@router.get("/invoices", response=list[InvoiceOut], summary="Invoice requests for the finance desk")
def invoice_list(
    request: HttpRequest, status: Annotated[Literal["requested", "issued"] | None, Query(None)] = None
) -> list[dict[str, Any]]:
    """The customers' invoice requests of the desk's outlets (head office: all), oldest first."""
    actor = api_actor(request)
    if not actor.can_run_desk:
        return []  # engineers and sales reps see no invoice requests (a list, like every list, not a refusal)
    return [invoice_out(i) for i in invoices_visible(actor=actor, status=status)[:PAGE_MAX]]


@router.post("/invoices/{invoice_id}/issue", response=InvoiceOut, summary="Mark an invoice issued")
def invoice_issue(request: HttpRequest, invoice_id: ObjectId, payload: IssueIn) -> dict[str, Any]:
    invoice = payment_services.invoice_issue(
        actor=api_actor(request), invoice_id=invoice_id, invoice_number=payload.invoice_number
    )
    return invoice_out(invoice)


@router.get("/takings", response=TakingsOut, summary="The day's takings per engineer and method")
def takings_of_day(request: HttpRequest, day: Annotated[BoundedDate | None, Query(None)] = None) -> dict[str, Any]:
    """Sums of the day's payments per engineer and method, of the caller's outlet (head office: every outlet);
    `day` defaults to today."""
    day = day or timezone.localdate()
    actor = api_actor(request)
    # Engineers and sales reps see no takings: an empty day, like every list, not a refusal (the scope walk's rule).
    rows = takings(actor=actor, day=day) if actor.can_run_desk else []
    by_method = {m: sum((r.by_method[m] for r in rows), Decimal("0.00")) for m in PaymentMethod.values}
    return {
        "day": day,
        "rows": [r.__dict__ for r in rows],
        "by_method": by_method,
        "total": sum(by_method.values(), Decimal("0.00")),
    }
