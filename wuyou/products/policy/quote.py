"""The fee quote (pure; R-B3, R-B4): a job priced under the policy version of its service date, every line explained."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import Any

from wuyou.products.policy.document import Policy, PolicyVersion
from wuyou.products.policy.rules import (
    ExchangeWithinDays,
    FreeConsumable,
    FreeRepair,
    LowerOfTwo,
    OutOfWarranty,
    ReturnWithinDays,
    SoftwareSetup,
    TradeIn,
    UserDamageInWarranty,
)
from wuyou.products.policy.terms import (
    FAULT_CAUSES,
    JOB_TYPES,
    LABOUR_CODE,
    WHOLE_UNIT,
    ZERO,
    PolicyError,
    add_months,
    money,
    months_period_end,
)


@dataclass(frozen=True)
class PartInput:
    """One spare part the job needs, with both prices from the catalogue."""

    code: str
    name: str
    cost_price: Decimal
    retail_price: Decimal
    quantity: int = 1
    component: str = WHOLE_UNIT


@dataclass(frozen=True)
class Explanation:
    """Why a line costs what it does: a message key and its parameters, translated by the caller."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class QuoteLine:
    """One priced line: the fee-standard `amount`, the customer's share, and the rule behind it."""

    line_kind: str  # part | labour | software_setup | trade_in
    code: str
    name: str
    quantity: int
    amount: Decimal
    customer_share: Decimal
    rule_kind: str
    version: str
    explanation: Explanation
    notes: tuple[Explanation, ...] = ()  # adjustments such as lower_of_two


@dataclass(frozen=True)
class QuoteOption:
    """A remedy the customer may choose instead of repair (return, exchange) and until when."""

    kind: str
    eligible: bool
    deadline: dt.date
    version: str
    explanation: Explanation


@dataclass(frozen=True)
class Quote:
    """A priced job: its lines, totals and the customer's options, under one policy version."""

    policy: str
    version: str
    lines: tuple[QuoteLine, ...]
    total: Decimal
    customer_total: Decimal
    options: tuple[QuoteOption, ...]


@dataclass(frozen=True)
class _Job:
    version: PolicyVersion
    purchased_on: dt.date
    installed_on: dt.date
    service_date: dt.date
    fault_cause: str
    lower_of_two: bool
    card_prices: Mapping[str, Decimal]

    def start(self, counted_from: str) -> dt.date:
        return self.installed_on if counted_from == "installation" else self.purchased_on

    def standard(self, code: str, list_price: Decimal) -> tuple[Decimal, tuple[Explanation, ...]]:
        """The fee standard for one unit: the lower of price list and warranty card when the policy says so."""
        card = self.card_prices.get(code)
        if not self.lower_of_two or card is None or card >= list_price:
            return list_price, ()
        note = Explanation("lower_of_two", {"list_price": list_price, "card_price": card})
        return card, (note,)

    def warranty(self, component: str) -> tuple[FreeRepair | None, dt.date | None, bool]:
        """The free-repair rule covering `component` longest, its last day, and whether it covers today."""
        best_rule: FreeRepair | None = None
        best_until: dt.date | None = None
        for rule in self.version.rules_of(FreeRepair):
            if rule.covers(component):
                until = months_period_end(self.start(rule.counted_from), rule.months)
                if best_until is None or until > best_until:
                    best_rule, best_until = rule, until
        return best_rule, best_until, best_until is not None and self.service_date <= best_until


def quote(
    policy: Policy,
    *,
    purchased_on: dt.date,
    installed_on: dt.date | None = None,
    service_date: dt.date,
    job_type: str,
    fault_cause: str,
    parts: Iterable[PartInput] = (),
    labour_fee: Decimal = ZERO,
    labour_minutes: int | None = None,
    card_prices: Mapping[str, Decimal] | None = None,
    trade_in_brand: str | None = None,
) -> Quote:
    """Price a job under the policy version valid on `service_date`, explaining every line (R-B3, R-B4).

    `installed_on` defaults to `purchased_on` for rules counted from installation. `card_prices` maps
    part codes (and `LABOUR_CODE`) to the prices printed on the customer's warranty card.
    """
    parts = list(parts)
    card_prices = dict(card_prices or {})
    _check_request(purchased_on, service_date, job_type, fault_cause, parts, labour_fee, card_prices)
    version = policy.version_on(service_date)
    job = _Job(
        version=version,
        purchased_on=purchased_on,
        installed_on=installed_on or purchased_on,
        service_date=service_date,
        fault_cause=fault_cause,
        lower_of_two=version.rule(LowerOfTwo) is not None,
        card_prices=card_prices,
    )
    lines: list[QuoteLine] = []
    if job_type == "trade_in":
        lines += _trade_in_lines(job, parts, trade_in_brand)
    else:
        lines += [_part_line(job, part) for part in parts]
    if labour_fee > 0 or labour_minutes:
        if job_type == "software_setup":
            lines.append(_software_setup_line(job, labour_fee, labour_minutes))
        else:
            lines.append(_labour_line(job, parts, labour_fee, labour_minutes))
    return Quote(
        policy=policy.code,
        version=version.label,
        lines=tuple(lines),
        total=money(sum((line.amount for line in lines), ZERO)),
        customer_total=money(sum((line.customer_share for line in lines), ZERO)),
        options=tuple(_options(job)),
    )


def _check_request(
    purchased_on: dt.date,
    service_date: dt.date,
    job_type: str,
    fault_cause: str,
    parts: list[PartInput],
    labour_fee: Decimal,
    card_prices: Mapping[str, Decimal],
) -> None:
    errors: dict[str, str] = {}
    if service_date < purchased_on:
        errors["service_date"] = "must not be before the purchase date"
    if job_type not in JOB_TYPES:
        errors["job_type"] = f"must be one of: {', '.join(JOB_TYPES)}"
    if fault_cause not in FAULT_CAUSES:
        errors["fault_cause"] = f"must be one of: {', '.join(FAULT_CAUSES)}"
    if labour_fee < 0:
        errors["labour_fee"] = "must not be negative"
    for i, part in enumerate(parts):
        for name in ("cost_price", "retail_price"):
            if getattr(part, name) < 0:
                errors[f"parts[{i}].{name}"] = "must not be negative"
        if part.quantity < 1:
            errors[f"parts[{i}].quantity"] = "must be at least 1"
    for code, price in card_prices.items():
        if price < 0:
            errors[f"card_prices.{code}"] = "must not be negative"
    if errors:
        raise PolicyError(errors)


def _consumable(job: _Job, part: PartInput) -> tuple[FreeConsumable, dt.date | None] | None:
    for rule in job.version.rules_of(FreeConsumable):
        if fnmatchcase(part.code, rule.part_pattern):
            until = None if rule.months is None else months_period_end(job.purchased_on, rule.months)
            if until is None or job.service_date <= until:
                return rule, until
    return None


def _uncovered_reason(job: _Job, warranty_until: dt.date | None) -> str:
    """Why a line is not free: the warranty expired, there was none for the part, or the cause is not covered."""
    if job.fault_cause != "quality":
        return job.fault_cause
    return "expired" if warranty_until is not None else "no_warranty"


def _charged(
    job: _Job, *, amount: Decimal, reason: str, warranty_until: dt.date | None
) -> tuple[Decimal, str, Explanation]:
    """Share, rule kind and explanation of a charge not covered by any promise."""
    rule = job.version.rule(OutOfWarranty)
    if rule is None:
        return amount, "fee_schedule", Explanation("fee_schedule", {"reason": reason, "warranty_until": warranty_until})
    fraction, step = rule.fraction_at(job.start(rule.counted_from), job.service_date)
    params = {"reason": reason, "fraction": fraction, "from_years": step, "warranty_until": warranty_until}
    return money(amount * fraction), rule.kind, Explanation(rule.kind, params)


def _part_line(job: _Job, part: PartInput) -> QuoteLine:
    unit_standard, notes = job.standard(part.code, part.retail_price)
    amount = money(unit_standard * part.quantity)
    rule, until, in_warranty = job.warranty(part.component)
    consumable = _consumable(job, part) if job.fault_cause in ("quality", "wear") else None
    damage = job.version.rule(UserDamageInWarranty)
    if job.fault_cause == "quality" and in_warranty and rule is not None:
        share, kind = ZERO, rule.kind
        explanation = Explanation(rule.kind, {"months": rule.months, "component": rule.component, "until": until})
    elif consumable is not None:
        share, kind = ZERO, consumable[0].kind
        explanation = Explanation(kind, {"part_pattern": consumable[0].part_pattern, "until": consumable[1]})
    elif job.fault_cause in ("user_damage", "misuse") and in_warranty and damage is not None:
        # Cost price, but never above the fee standard the customer was shown.
        share, kind = money(min(part.cost_price, unit_standard) * part.quantity), damage.kind
        explanation = Explanation(kind, {"charge": "cost_price", "cost_price": part.cost_price, "until": until})
    else:
        reason = _uncovered_reason(job, until)
        share, kind, explanation = _charged(job, amount=amount, reason=reason, warranty_until=until)
    return QuoteLine(
        "part", part.code, part.name, part.quantity, amount, share, kind, job.version.label, explanation, notes
    )


def _labour_line(job: _Job, parts: list[PartInput], labour_fee: Decimal, minutes: int | None) -> QuoteLine:
    standard, notes = job.standard(LABOUR_CODE, labour_fee)
    amount = money(standard)
    components = {p.component for p in parts} or {WHOLE_UNIT}
    cover = [job.warranty(c) for c in sorted(components)]
    in_warranty = all(c[2] for c in cover)
    binding = min(cover, key=lambda c: c[1] or dt.date.min)  # the warranty that ends first decides
    rule, until = binding[0], binding[1]
    damage = job.version.rule(UserDamageInWarranty)
    consumables = [c for c in (_consumable(job, p) for p in parts) if c is not None]
    params: dict[str, Any] = {"minutes": minutes}
    if job.fault_cause == "quality" and in_warranty and rule is not None:
        share, kind = ZERO, rule.kind
        explanation = Explanation(kind, {**params, "months": rule.months, "component": rule.component, "until": until})
    elif (
        job.fault_cause in ("quality", "wear")
        and parts
        and len(consumables) == len(parts)
        and all(rule.labour_free for rule, _until in consumables)
    ):
        consumable_rule, consumable_until = consumables[0]
        share, kind = ZERO, consumable_rule.kind
        explanation = Explanation(
            kind, {**params, "part_pattern": consumable_rule.part_pattern, "until": consumable_until}
        )
    elif job.fault_cause in ("user_damage", "misuse") and in_warranty and damage is not None:
        share, kind = (amount if damage.labour_charged else ZERO), damage.kind
        explanation = Explanation(kind, {**params, "labour": "charged" if damage.labour_charged else "free"})
    else:
        reason = _uncovered_reason(job, until)
        share, kind, explanation = _charged(job, amount=amount, reason=reason, warranty_until=until)
        explanation = Explanation(explanation.key, {**params, **explanation.params})
    return QuoteLine("labour", LABOUR_CODE, "labour", 1, amount, share, kind, job.version.label, explanation, notes)


def _software_setup_line(job: _Job, labour_fee: Decimal, minutes: int | None) -> QuoteLine:
    standard, notes = job.standard(LABOUR_CODE, labour_fee)
    amount = money(standard)
    rule = job.version.rule(SoftwareSetup)
    if rule is None:
        share, kind, explanation = _charged(job, amount=amount, reason="software_setup", warranty_until=None)
        label = job.version.label
        return QuoteLine(
            "software_setup", LABOUR_CODE, "software_setup", 1, amount, share, kind, label, explanation, notes
        )
    start = job.start(rule.counted_from)
    free_until = add_months(start, rule.free_months) - dt.timedelta(days=1)
    charged_from = add_months(start, rule.charged_after_months)
    if job.service_date <= free_until:
        fraction, band = Decimal(0), "free"
    elif job.service_date < charged_from:
        fraction, band = rule.between_fraction, "between"
    else:
        fraction, band = Decimal(1), "charged"
    params = {"band": band, "fraction": fraction, "free_until": free_until, "charged_from": charged_from}
    return QuoteLine(
        "software_setup",
        LABOUR_CODE,
        "software_setup",
        1,
        amount,
        money(amount * fraction),
        rule.kind,
        job.version.label,
        Explanation(rule.kind, {**params, "minutes": minutes}),
        notes,
    )


def _trade_in_lines(job: _Job, parts: list[PartInput], brand: str | None) -> list[QuoteLine]:
    rule = job.version.rule(TradeIn)
    if rule is None:
        raise PolicyError({"job_type": f"version {job.version.label!r} has no trade_in rule"})
    if rule.brand and (brand or "").strip().casefold() != rule.brand.casefold():
        raise PolicyError({"trade_in_brand": f"only old units of {rule.brand} are taken in trade"})
    if not parts:
        raise PolicyError({"parts": "name the new unit being bought"})
    lines = []
    for part in parts:
        unit_standard, notes = job.standard(part.code, part.retail_price)
        amount = money(unit_standard * part.quantity)
        params = {"fraction": rule.customer_pays_fraction, "retail_price": unit_standard, "brand": rule.brand}
        lines.append(
            QuoteLine(
                "trade_in",
                part.code,
                part.name,
                part.quantity,
                amount,
                money(amount * rule.customer_pays_fraction),
                rule.kind,
                job.version.label,
                Explanation(rule.kind, params),
                notes,
            )
        )
    return lines


def _options(job: _Job) -> list[QuoteOption]:
    """Return and exchange: open only for a defect (quality fault) up to the deadline."""
    options = []
    for rule_type in (ReturnWithinDays, ExchangeWithinDays):
        rule = job.version.rule(rule_type)
        if rule is None:
            continue
        deadline = rule.deadline(job.purchased_on)
        eligible = job.fault_cause == "quality" and job.service_date <= deadline
        params = {"days": rule.days, "deadline": deadline, "counting": rule.counting}
        options.append(QuoteOption(rule.kind, eligible, deadline, job.version.label, Explanation(rule.kind, params)))
    return options
