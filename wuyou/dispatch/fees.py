"""Fee quotes on a visit (issue 5 item 3, R-B3, R-B4): priced from the catalogue, shown before work, decided by
the customer, disputes settled by the centre, and the receipt that explains every charge.

The pricing itself is the pure `products.policy.quote` under the unit's policy; this module supplies what only
field service knows: the parts catalogue (prices and warranty component), the fee schedule's labour charge of
the job, the visit's unit and day. A quote is frozen as shown (figures, policy version, explanation keys) so the
receipt says exactly what the customer agreed to, in the reader's language.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Role
from wuyou.accounts.selectors import calendar_for_outlet, outlet_contact_ids
from wuyou.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.dispatch.models import (
    AGREED,
    OPEN,
    FeeQuote,
    Part,
    QuoteStatus,
    StockMove,
    StockMoveKind,
    WorkOrder,
    WorkOrderStatus,
)
from wuyou.dispatch.selectors import work_order_get, work_orders_visible
from wuyou.notifications.services import message_to_staff
from wuyou.products.explanations import explain
from wuyou.products.models import JobSpec, Unit
from wuyou.products.policy import LABOUR_CODE, WHOLE_UNIT, Explanation, PartInput, Quote
from wuyou.products.selectors import unit_fee_quote, unit_for_quote
from wuyou.tickets.services import request_record

MAX_PARTS = 30
MAX_NOTE = 500
MAX_SIGNER = 50
MAX_SIGNATURE_CHARS = 400_000
MAX_YUAN = Decimal("9999999.99")
# Who settles a disputed charge at the centre: money decisions are the service managers' (and the admin's).
SETTLER_ROLES = frozenset({Role.SERVICE_MANAGER, Role.ADMIN})
DECISIONS = ("accept", "refuse", "dispute")


@dataclass(frozen=True)
class QuotePart:
    """A part the job needs, by catalogue code; `card_price` is the price on the customer's warranty card, if any."""

    code: str
    quantity: int = 1
    card_price: Decimal | None = None


# -- pricing (nothing written) ------------------------------------------------------------------------------------


def catalogue_parts(parts: Sequence[QuotePart]) -> list[PartInput]:
    """The parts as the policy prices them, with the catalogue's prices and warranty component.

    A code not in the catalogue (or withdrawn) is a ValidationFailed naming `parts[i].code`.
    """
    if len(parts) > MAX_PARTS:
        raise ValidationFailed(_("At most %(n)d parts on one quote.") % {"n": MAX_PARTS}, field="parts")
    codes = {p.code.strip() for p in parts}
    found = {p.code: p for p in Part.objects.filter(code__in=codes, active=True)}
    priced: list[PartInput] = []
    for i, wanted in enumerate(parts):
        part = found.get(wanted.code.strip())
        if part is None:
            raise ValidationFailed(
                _("%(code)s is not in the parts catalogue.") % {"code": wanted.code.strip()[:40] or "—"},
                field=f"parts[{i}].code",
            )
        if isinstance(wanted.quantity, bool) or not 1 <= wanted.quantity <= 99:
            raise ValidationFailed(_("A quantity is 1 to 99."), field=f"parts[{i}].quantity")
        priced.append(
            PartInput(
                code=part.code,
                name=part.name,
                cost_price=part.cost_price,
                retail_price=part.retail_price,
                quantity=wanted.quantity,
                component=part.component or WHOLE_UNIT,
            )
        )
    return priced


def _card_prices(parts: Sequence[QuotePart], labour_card_price: Decimal | None) -> dict[str, Decimal]:
    prices: dict[str, Decimal] = {}
    for i, part in enumerate(parts):
        if part.card_price is not None:
            prices[part.code.strip()] = _yuan(part.card_price, f"parts[{i}].card_price")
    if labour_card_price is not None:
        prices[LABOUR_CODE] = _yuan(labour_card_price, "labour_card_price")
    return prices


def is_drawn_signature(signature: str) -> bool:
    """Whether the text is a signature drawn on the screen: a PNG data URL no longer than the pad can make."""
    return signature.startswith("data:image/png;base64,") and len(signature) <= MAX_SIGNATURE_CHARS


def _at_most(text: str, limit: int, field: str) -> None:
    if len(text) > limit:
        raise ValidationFailed(_("At most %(max)d characters.") % {"max": limit}, field=field)


def _yuan(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(_("Enter an amount in yuan, e.g. 120.00."), field=field) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_YUAN:
        raise ValidationFailed(_("Enter an amount in yuan, e.g. 120.00."), field=field)
    return amount.quantize(Decimal("0.01"))


def scheduled_labour_fee(unit: Unit, job_type: str) -> Decimal:
    """The fee schedule's labour charge for this job on this model (0 when the schedule has none)."""
    fee = (
        JobSpec.objects.filter(product_model_id=unit.product_model_id, job_type=job_type)
        .values_list("labour_fee", flat=True)
        .first()
    )
    return Decimal(fee) if fee is not None else Decimal("0.00")


def parts_quote(
    *,
    actor: Actor,
    serial: str,
    job_type: str,
    fault_cause: str,
    service_date: dt.date,
    parts: Sequence[QuotePart] = (),
    labour_fee: Decimal | None = None,
    labour_card_price: Decimal | None = None,
) -> tuple[Unit, Quote]:
    """Price a job with catalogue parts; labour defaults to the fee schedule's charge for the job."""
    unit = unit_for_quote(actor=actor, serial=serial)
    return unit, unit_parts_quote(
        unit,
        job_type=job_type,
        fault_cause=fault_cause,
        service_date=service_date,
        parts=parts,
        labour_fee=labour_fee,
        labour_card_price=labour_card_price,
    )


def unit_parts_quote(
    unit: Unit,
    *,
    job_type: str,
    fault_cause: str,
    service_date: dt.date,
    parts: Sequence[QuotePart] = (),
    labour_fee: Decimal | None = None,
    labour_card_price: Decimal | None = None,
) -> Quote:
    """Price a job on a unit already found in scope (through the visit): catalogue parts, scheduled labour."""
    priced_parts = catalogue_parts(parts)
    card_prices = _card_prices(parts, labour_card_price)
    labour = scheduled_labour_fee(unit, job_type) if labour_fee is None else _yuan(labour_fee, "labour_fee")
    return unit_fee_quote(
        unit,
        job_type=job_type,
        fault_cause=fault_cause,
        service_date=service_date,
        parts=priced_parts,
        labour_fee=labour,
        card_prices=card_prices,
    )


def visit_service_date(wo: WorkOrder) -> dt.date:
    """The day of the visit in the outlet's time zone: the date whose policy version and warranty apply."""
    return timezone.localtime(timezone.now(), calendar_for_outlet(wo.outlet_id).zone).date()


def visit_quote_preview(
    *,
    actor: Actor,
    work_order: WorkOrder,
    fault_cause: str,
    parts: Sequence[QuotePart] = (),
    labour_card_price: Decimal | None = None,
) -> Quote:
    """What the visit would cost under the unit's policy today; nothing is written."""
    return unit_parts_quote(
        _visit_unit(work_order),
        job_type=work_order.job_type,
        fault_cause=fault_cause,
        service_date=visit_service_date(work_order),
        parts=parts,
        labour_card_price=labour_card_price,
    )


# -- the customer's quote on a visit ------------------------------------------------------------------------------


def quote_current(work_order: WorkOrder) -> FeeQuote | None:
    """The visit's quote in force (not superseded), if any."""
    return work_order.quotes.exclude(status=QuoteStatus.SUPERSEDED).first()


def visit_quote_offer(
    *,
    actor: Actor,
    work_order: WorkOrder,
    fault_cause: str,
    parts: Sequence[QuotePart] = (),
    labour_card_price: Decimal | None = None,
) -> FeeQuote:
    """Price the visit and show it to the customer: the new quote replaces the current one unless it is disputed."""
    _may_quote(actor, work_order)
    priced = visit_quote_preview(
        actor=actor, work_order=work_order, fault_cause=fault_cause, parts=parts, labour_card_price=labour_card_price
    )
    if not priced.lines:
        raise ValidationFailed(_("A quote needs at least one part or a labour charge."), field="parts")
    with transaction.atomic():
        wo = WorkOrder.objects.select_for_update().get(pk=work_order.pk)  # numbers and the current quote, in turn
        current = quote_current(wo)
        if current is not None and current.status == QuoteStatus.DISPUTED:
            raise TransitionNotAllowed(
                _("The centre is settling the customer's dispute over %(quote)s; wait for its answer.")
                % {"quote": current.number},
                field="quote",
            )
        if current is not None:
            FeeQuote.objects.filter(pk=current.pk).update(status=QuoteStatus.SUPERSEDED, updated_at=timezone.now())
        number = f"{wo.number}-Q{wo.quotes.count() + 1}"
        try:
            with transaction.atomic():
                fee = FeeQuote.objects.create(
                    work_order=wo,
                    number=number,
                    job_type=wo.job_type,
                    fault_cause=fault_cause,
                    service_date=visit_service_date(wo),
                    policy_code=priced.policy,
                    policy_version=priced.version,
                    lines=[_line_data(line) for line in priced.lines],
                    options=[_option_data(option) for option in priced.options],
                    total=priced.total,
                    customer_total=priced.customer_total,
                    quoted_by_id=actor.user_id,
                )
        except IntegrityError as exc:
            raise Conflict(_("Someone else has just quoted this visit; reload it."), field="quote") from exc
        request_record(
            actor=actor,
            request=wo.request,
            verb="fee_quoted",
            summary=_("Quote %(quote)s shown to the customer: ¥%(share)s of ¥%(total)s")
            % {"quote": number, "share": priced.customer_total, "total": priced.total},
            data={
                "quote": number,
                "work_order": wo.number,
                "policy": priced.policy,
                "version": priced.version,
                "total": str(priced.total),
                "customer_total": str(priced.customer_total),
            },
        )
    return fee


def quote_decide(
    *,
    actor: Actor,
    quote_id: int,
    decision: str,
    signed_by: str = "",
    signature: str = "",
    note: str = "",
) -> FeeQuote:
    """Record the customer's answer: accept (signed), refuse, or dispute (the centre is told and settles it)."""
    if decision not in DECISIONS:
        raise ValidationFailed(_("Choose accept, refuse or dispute."), field="decision")
    note = (note or "").strip()
    signed_by = (signed_by or "").strip()
    signature = (signature or "").strip()
    _at_most(note, MAX_NOTE, "note")
    if decision == "accept":
        if not signed_by:
            raise ValidationFailed(_("Write the name of the customer who agrees."), field="signed_by")
        _at_most(signed_by, MAX_SIGNER, "signed_by")
        if not is_drawn_signature(signature):
            raise ValidationFailed(_("Have the customer sign the quote on the screen."), field="signature")
    if decision == "dispute" and not note:
        raise ValidationFailed(_("Write what the customer disputes."), field="note")
    with transaction.atomic():
        fee = quote_get(actor=actor, quote_id=quote_id)
        _may_quote(actor, fee.work_order)
        status = {"accept": QuoteStatus.ACCEPTED, "refuse": QuoteStatus.REFUSED, "dispute": QuoteStatus.DISPUTED}
        now = timezone.now()
        changed = FeeQuote.objects.filter(pk=fee.pk, status=QuoteStatus.PROPOSED).update(
            status=status[decision],
            decided_at=now,
            decided_by_id=actor.user_id,
            signed_by=signed_by if decision == "accept" else "",
            signature=signature if decision == "accept" else "",
            decision_note=note,
            updated_at=now,
        )
        if not changed:
            raise Conflict(
                _("Quote %(quote)s is no longer waiting for the customer's answer; reload the visit.")
                % {"quote": fee.number},
                field="quote",
            )
        fee.refresh_from_db()
        wo = fee.work_order
        summaries = {
            "accept": _("Customer accepted quote %(quote)s: pays ¥%(share)s"),
            "refuse": _("Customer refused quote %(quote)s (¥%(share)s)"),
            "dispute": _("Customer disputes quote %(quote)s (¥%(share)s): sent to the centre"),
        }
        summary = summaries[decision] % {"quote": fee.number, "share": fee.customer_total}
        request_record(
            actor=actor,
            request=wo.request,
            verb=f"fee_{status[decision]}",
            summary=summary,
            data={"quote": fee.number, "work_order": wo.number, "customer_total": str(fee.customer_total)},
            note=note,
        )
        if decision == "dispute":
            # The centre settles money disputes: the service managers, and the outlet manager hears of it.
            message_to_staff(
                user_ids=outlet_contact_ids(wo.outlet_id, managers=True, service_managers=True),
                kind="fee_disputed",
                subject=summary,
                body=f"{summary}\n{wo.request.customer.name} · {wo.address_text}\n{note}",
                ref=f"fee_quote:{fee.pk}",
                dedupe_key=f"fee-disputed:{fee.pk}",
            )
    return fee


def quote_settle(*, actor: Actor, quote_id: int, customer_pays: Any, note: str) -> FeeQuote:
    """The centre's answer to a dispute: what the customer pays (0 up to the total), with the reason."""
    if actor.role not in SETTLER_ROLES:
        raise PermissionDenied(_("Only a service manager of the centre settles a disputed charge."))
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(_("Write the reason for the settlement: the customer is told it."), field="note")
    _at_most(note, MAX_NOTE, "note")
    amount = _yuan(customer_pays, "customer_pays")
    with transaction.atomic():
        fee = quote_get(actor=actor, quote_id=quote_id)
        if amount > fee.total:
            raise ValidationFailed(
                _("The customer cannot pay more than the quote's total of ¥%(total)s.") % {"total": fee.total},
                field="customer_pays",
            )
        now = timezone.now()
        changed = FeeQuote.objects.filter(pk=fee.pk, status=QuoteStatus.DISPUTED).update(
            status=QuoteStatus.SETTLED,
            settled_at=now,
            settled_by_id=actor.user_id,
            settled_total=amount,
            settlement_note=note,
            updated_at=now,
        )
        if not changed:
            raise Conflict(_("Quote %(quote)s is not in dispute any more.") % {"quote": fee.number}, field="quote")
        fee.refresh_from_db()
        wo = fee.work_order
        summary = _("Dispute over quote %(quote)s settled: the customer pays ¥%(amount)s") % {
            "quote": fee.number,
            "amount": amount,
        }
        request_record(
            actor=actor,
            request=wo.request,
            verb="fee_settled",
            summary=summary,
            data={"quote": fee.number, "work_order": wo.number, "customer_pays": str(amount)},
            note=note,
        )
        engineer_user = [wo.engineer.user_id] if wo.engineer is not None else []
        message_to_staff(
            user_ids=[*engineer_user, *outlet_contact_ids(wo.outlet_id, managers=True)],
            kind="fee_settled",
            subject=summary,
            body=f"{summary}\n{note}",
            ref=f"fee_quote:{fee.pk}",
            dedupe_key=f"fee-settled:{fee.pk}",
        )
    return fee


# -- reading ------------------------------------------------------------------------------------------------------


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
    return Receipt(
        work_order=wo,
        quote=current,
        lines=lines,
        options=options,
        total=current.total,
        customer_total=current.customer_total,
        customer_pays=current.customer_pays,
        issued_at=current.settled_at or current.decided_at or current.created_at,
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


# -- internals ----------------------------------------------------------------------------------------------------


def _explained(stored: Mapping[str, Any]) -> str:
    """A stored explanation (`{"key", "params"}`, as _explanation_data wrote it) in the active language."""
    return explain(Explanation(stored["key"], stored["params"]))


def _labour_name(line: Mapping[str, Any]) -> str:
    if line.get("kind") == "labour":
        return _("Labour")
    if line.get("kind") == "software_setup":
        return _("Software and set-up")
    return str(line.get("name", ""))


def _plain(value: Any) -> Any:
    """A JSON-safe copy of an explanation parameter (dates as ISO text, decimals as text)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _explanation_data(explanation: Explanation) -> dict[str, Any]:
    return {"key": explanation.key, "params": {k: _plain(v) for k, v in explanation.params.items()}}


def _line_data(line: Any) -> dict[str, Any]:
    return {
        "kind": line.line_kind,
        "code": line.code,
        "name": line.name,
        "quantity": line.quantity,
        "amount": str(line.amount),
        "customer_share": str(line.customer_share),
        "rule": line.rule_kind,
        "version": line.version,
        "explanation": _explanation_data(line.explanation),
        "notes": [_explanation_data(note) for note in line.notes],
    }


def _option_data(option: Any) -> dict[str, Any]:
    return {
        "kind": option.kind,
        "eligible": option.eligible,
        "deadline": option.deadline.isoformat(),
        "version": option.version,
        "explanation": _explanation_data(option.explanation),
    }


def _visit_unit(wo: WorkOrder) -> Unit:
    unit = wo.request.unit
    if unit is None:
        raise ValidationFailed(
            _("The request names no registered unit: register the unit (serial number) to quote."), field="unit"
        )
    return unit


def _may_quote(actor: Actor, wo: WorkOrder) -> None:
    """The visit's engineer quotes on site; the desk may quote any open visit (e.g. over the phone)."""
    if actor.role == Role.ENGINEER:
        if wo.engineer is None or wo.engineer.user_id != actor.user_id:
            raise PermissionDenied(_("This visit is planned for another engineer."))
        if wo.status != WorkOrderStatus.ON_SITE:
            raise TransitionNotAllowed(_("Quote on site, once you have arrived."), field="quote")
    elif not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not quote fees."))
    elif wo.status not in OPEN:
        raise TransitionNotAllowed(
            _("Visit %(wo)s is %(status)s: it can no longer be quoted.")
            % {"wo": wo.number, "status": wo.get_status_display()},
            field="quote",
        )
