"""Pricing a job (R-B3, R-B4): the unit's policy applied to catalogue parts and the labour fee; nothing is written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.accounts.selectors import calendar_for_outlet
from wuyou.core.errors import ValidationFailed
from wuyou.dispatch.models import WorkOrder
from wuyou.parts.models import Part
from wuyou.products.models import JobSpec, Unit
from wuyou.products.policy import LABOUR_CODE, WHOLE_UNIT, PartInput, Quote
from wuyou.products.selectors import unit_fee_quote, unit_for_quote


@dataclass(frozen=True)
class QuotePart:
    """A part the job needs, by catalogue code; `card_price` is the price on the customer's warranty card, if any."""

    code: str
    quantity: int = 1
    card_price: Decimal | None = None


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
            prices[part.code.strip()] = yuan_amount(part.card_price, f"parts[{i}].card_price")
    if labour_card_price is not None:
        prices[LABOUR_CODE] = yuan_amount(labour_card_price, "labour_card_price")
    return prices


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
    labour = scheduled_labour_fee(unit, job_type) if labour_fee is None else yuan_amount(labour_fee, "labour_fee")
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


def _visit_unit(wo: WorkOrder) -> Unit:
    unit = wo.request.unit
    if unit is None:
        raise ValidationFailed(
            _("The request names no registered unit: register the unit (serial number) to quote."), field="unit"
        )
    return unit


MAX_PARTS = 30


MAX_YUAN = Decimal("9999999.99")


def yuan_amount(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(_("Enter an amount in yuan, e.g. 120.00."), field=field) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_YUAN:
        raise ValidationFailed(_("Enter an amount in yuan, e.g. 120.00."), field=field)
    return amount.quantize(Decimal("0.01"))
