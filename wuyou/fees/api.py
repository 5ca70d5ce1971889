"""Fee API under /api/v1/fees/: price any job, quote a visit, the customer's decision, the centre's settlement,
and the receipt (R-B3, R-B4). Explanations follow the request's language (Accept-Language)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Status

from wuyou.accounts.actors import api_actor
from wuyou.core.errors import NotFound
from wuyou.core.schemas import PAGE_MAX, ObjectId
from wuyou.dispatch.selectors import work_order_get
from wuyou.fees import services as fees_services
from wuyou.fees.models import AGREED, FeeQuote
from wuyou.fees.pricing import QuotePart, parts_quote
from wuyou.fees.schemas import DecisionIn, FeeQuoteOut, QuoteIn, QuoteOut, ReceiptOut, SettleIn, VisitQuoteIn
from wuyou.fees.selectors import (
    quote_current,
    quote_lines_explained,
    quote_options_explained,
    quotes_disputed,
    receipt_for,
)
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
        "issued_at": found.issued_at,
        "pdf_url": reverse("fees:receipt_pdf", args=[wo.pk]),
    }
