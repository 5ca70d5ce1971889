"""Warranty and fee policies as data, and the fee quote that explains every charge (R-B3, R-B4).

Pure rules: no Django, no database. A `Policy` maps 1:1 to a plain dict (and so to a YAML file):
`policy_from_dict` validates and builds one, `policy_to_dict` exports it. `quote` prices a job
under the policy version valid on the service date; every line names the rule kind and the
version label behind it, with an explanation *key + params* that the caller translates.

Counting conventions (stated as fields on the rules so a policy file says which it follows):
- day rules, ``counting: calendar_days_after_purchase``: the day of purchase is day 0, so
  "within 7 days" allows the service date up to and including purchase + 7 days;
- month rules, ``counting: months_until_day_before_anniversary``: a 12-month warranty from
  1 June 2025 covers up to and including 31 May 2026 (a 31st rolls back to the month's last
  day); "after 4 years" begins on the 4th anniversary.

Money is `Decimal` in yuan, rounded half-up to 2 decimals.

One module on purpose (over 400 lines): the rule kinds, their loading from a dict and the quote that applies
them are one closed vocabulary; a rule added in one place must be loadable, exportable and priced together.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fnmatch import fnmatchcase
from typing import Any, ClassVar, Self

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

DAYS_AFTER_PURCHASE = "calendar_days_after_purchase"
MONTHS_UNTIL_DAY_BEFORE_ANNIVERSARY = "months_until_day_before_anniversary"
WHOLE_UNIT = "whole_unit"
LABOUR_CODE = "labour"  # key of the labour fee in `card_prices`

COUNTED_FROM = ("purchase", "installation")
FAULT_CAUSES = ("quality", "user_damage", "wear", "misuse")
JOB_TYPES = ("repair", "maintenance", "inspection", "installation", "delivery", "software_setup", "trade_in")
APPLIES_TO_KINDS = ("product_model", "category", "default")


class PolicyError(ValueError):
    """A policy document or a quote request is invalid; `errors` maps each field path to its message."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors: dict[str, str] = dict(errors)
        super().__init__("; ".join(f"{path}: {message}" for path, message in self.errors.items()))


def money(value: Decimal) -> Decimal:
    """Round an amount of yuan half-up to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; a day past the month's end becomes its last day."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_period_end(start: dt.date, months: int) -> dt.date:
    """Last day covered by a period of `months` from `start` (the day before the anniversary)."""
    return add_months(start, months) - dt.timedelta(days=1)


# --------------------------------------------------------------------------- reading dicts


class _Reader:
    """Reads typed fields from one mapping, collecting an error per bad field path."""

    def __init__(self, data: Any, path: str, errors: dict[str, str]):
        self.path, self.errors = path, errors
        self.seen: set[str] = set()
        if not isinstance(data, Mapping):
            errors[path or "$"] = "must be a mapping"
            data = {}
        self.data: Mapping[str, Any] = data

    def at(self, name: str) -> str:
        """Path of a field inside this mapping."""
        return f"{self.path}.{name}" if self.path else name

    def _get(self, name: str, default: Any) -> Any:
        self.seen.add(name)
        if name not in self.data or self.data[name] is None:
            if default is _REQUIRED:
                self.errors[self.at(name)] = "required"
            return default
        return self.data[name]

    def text(self, name: str, default: str | None = None) -> str:
        value = self._get(name, default if default is not None else _REQUIRED)
        if value is _REQUIRED:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.errors[self.at(name)] = "must be a non-empty string"
            return ""
        return value.strip()

    def optional_text(self, name: str) -> str | None:
        value = self._get(name, None)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.errors[self.at(name)] = "must be a non-empty string"
            return None
        return value.strip()

    def integer(self, name: str, *, minimum: int = 0, default: int | None = None) -> int:
        value = self._get(name, _REQUIRED if default is None else default)
        if value is _REQUIRED:
            return minimum
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors[self.at(name)] = "must be a whole number"
            return minimum
        if value < minimum:
            self.errors[self.at(name)] = f"must be at least {minimum}"
            return minimum
        return value

    def optional_integer(self, name: str, *, minimum: int = 0) -> int | None:
        if self._get(name, None) is None:
            return None
        return self.integer(name, minimum=minimum)

    def fraction(self, name: str, default: str | None = None) -> Decimal:
        value = self._get(name, _REQUIRED if default is None else default)
        if value is _REQUIRED:
            return Decimal(0)
        return _fraction(value, self.at(name), self.errors)

    def boolean(self, name: str, default: bool) -> bool:
        value = self._get(name, default)
        if not isinstance(value, bool):
            self.errors[self.at(name)] = "must be true or false"
            return default
        return value

    def choice(self, name: str, choices: Sequence[str], default: str | None = None) -> str:
        value = self._get(name, _REQUIRED if default is None else default)
        if value is _REQUIRED:
            return choices[0]
        if value not in choices:
            self.errors[self.at(name)] = f"must be one of: {', '.join(choices)}"
            return choices[0]
        return str(value)

    def date(self, name: str, *, required: bool = True) -> dt.date | None:
        value = self._get(name, _REQUIRED if required else None)
        if value is None or value is _REQUIRED:
            return None
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
            self.errors[self.at(name)] = "must be a date (YYYY-MM-DD)"
            return None
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                self.errors[self.at(name)] = "must be a date (YYYY-MM-DD)"
                return None
        return value

    def items(self, name: str) -> list[Any]:
        value = self._get(name, _REQUIRED)
        if value is _REQUIRED:
            return []
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
            self.errors[self.at(name)] = "must be a list"
            return []
        return list(value)

    def reject_unknown(self) -> None:
        """Name every key this reader did not ask for: a typo must not silently drop a promise."""
        for key in self.data:
            if key not in self.seen:
                self.errors[self.at(str(key))] = "unknown field"


_REQUIRED: Any = object()


def _fraction(value: Any, path: str, errors: dict[str, str]) -> Decimal:
    if isinstance(value, bool):
        errors[path] = "must be a number between 0 and 1"
        return Decimal(0)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors[path] = "must be a number between 0 and 1"
        return Decimal(0)
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(1):
        errors[path] = "must be a number between 0 and 1"
        return Decimal(0)
    return number


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rule:
    """One promise of a policy version; subclasses name it from the business."""

    kind: ClassVar[str] = ""
    repeatable: ClassVar[bool] = False  # may a version hold several rules of this kind?

    @classmethod
    def read(cls, r: _Reader) -> Rule:  # pragma: no cover - every subclass overrides
        """Build the rule from a reader over its mapping."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The rule as a plain mapping, `kind` first."""
        out: dict[str, Any] = {"kind": self.kind}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, tuple):
                value = [v.to_dict() if hasattr(v, "to_dict") else v for v in value]
            out[f.name] = value
        return out


@dataclass(frozen=True)
class WithinDaysOfPurchase(Rule):
    """A defective unit may be taken back within `days` of purchase; the kinds below say what the customer gets."""

    days: int
    counting: str = DAYS_AFTER_PURCHASE

    @classmethod
    def read(cls, r: _Reader) -> Self:
        return cls(
            days=r.integer("days", minimum=1),
            counting=r.choice("counting", (DAYS_AFTER_PURCHASE,), DAYS_AFTER_PURCHASE),
        )

    def deadline(self, purchased_on: dt.date) -> dt.date:
        """Last day it is accepted (the day of purchase is day 0)."""
        return purchased_on + dt.timedelta(days=self.days)


@dataclass(frozen=True)
class ReturnWithinDays(WithinDaysOfPurchase):
    """A defective unit may be returned for a refund within `days` of purchase (三包: 7)."""

    kind: ClassVar[str] = "return_within_days"


@dataclass(frozen=True)
class ExchangeWithinDays(WithinDaysOfPurchase):
    """A defective unit may be exchanged for a new one within `days` of purchase (三包: 15)."""

    kind: ClassVar[str] = "exchange_within_days"


@dataclass(frozen=True)
class FreeRepair(Rule):
    """Quality faults of `component` (or the whole unit) are repaired free for `months`."""

    kind: ClassVar[str] = "free_repair"
    repeatable: ClassVar[bool] = True
    months: int
    component: str = WHOLE_UNIT
    counted_from: str = "purchase"
    counting: str = MONTHS_UNTIL_DAY_BEFORE_ANNIVERSARY

    @classmethod
    def read(cls, r: _Reader) -> FreeRepair:
        return cls(
            months=r.integer("months", minimum=1),
            component=r.text("component", WHOLE_UNIT),
            counted_from=r.choice("counted_from", COUNTED_FROM, "purchase"),
            counting=r.choice("counting", (MONTHS_UNTIL_DAY_BEFORE_ANNIVERSARY,), MONTHS_UNTIL_DAY_BEFORE_ANNIVERSARY),
        )

    def covers(self, component: str) -> bool:
        """Does this warranty apply to a part of `component`?"""
        return self.component in (WHOLE_UNIT, component)


@dataclass(frozen=True)
class UserDamageInWarranty(Rule):
    """User-caused damage inside warranty: parts at cost price, labour free or charged."""

    kind: ClassVar[str] = "user_damage_in_warranty"
    labour_charged: bool = False

    @classmethod
    def read(cls, r: _Reader) -> UserDamageInWarranty:
        return cls(labour_charged=r.boolean("labour_charged", False))


@dataclass(frozen=True)
class AgeFraction:
    """From `from_years` after purchase on, out-of-warranty charges are `fraction` of the fee schedule."""

    from_years: int
    fraction: Decimal

    def to_dict(self) -> dict[str, Any]:
        """The step as a plain mapping."""
        return {"from_years": self.from_years, "fraction": str(self.fraction)}


@dataclass(frozen=True)
class OutOfWarranty(Rule):
    """Repairs not covered are charged from the fee schedule, at a fraction that falls with age."""

    kind: ClassVar[str] = "out_of_warranty"
    age_fractions: tuple[AgeFraction, ...] = ()
    counted_from: str = "purchase"

    @classmethod
    def read(cls, r: _Reader) -> OutOfWarranty:
        steps: list[AgeFraction] = []
        if "age_fractions" in r.data:
            for i, item in enumerate(r.items("age_fractions")):
                sub = _Reader(item, r.at(f"age_fractions[{i}]"), r.errors)
                steps.append(
                    AgeFraction(from_years=sub.integer("from_years", minimum=1), fraction=sub.fraction("fraction"))
                )
                sub.reject_unknown()
        else:
            r.seen.add("age_fractions")
        years = [s.from_years for s in steps]
        if years != sorted(set(years)):
            r.errors[r.at("age_fractions")] = "from_years must be strictly increasing"
        return cls(age_fractions=tuple(steps), counted_from=r.choice("counted_from", COUNTED_FROM, "purchase"))

    def fraction_at(self, start: dt.date, service_date: dt.date) -> tuple[Decimal, int]:
        """The fraction that applies on `service_date` and the age step (years) it comes from, 0 if none."""
        fraction, step = Decimal(1), 0
        for s in self.age_fractions:
            if service_date >= add_months(start, 12 * s.from_years):
                fraction, step = s.fraction, s.from_years
        return fraction, step


@dataclass(frozen=True)
class FreeConsumable(Rule):
    """Parts whose code matches `part_pattern` (e.g. battery) are replaced free, for `months` or always."""

    kind: ClassVar[str] = "free_consumable"
    repeatable: ClassVar[bool] = True
    part_pattern: str
    months: int | None = None
    counting: str = MONTHS_UNTIL_DAY_BEFORE_ANNIVERSARY

    @classmethod
    def read(cls, r: _Reader) -> FreeConsumable:
        return cls(
            part_pattern=r.text("part_pattern"),
            months=r.optional_integer("months", minimum=1),
            counting=r.choice("counting", (MONTHS_UNTIL_DAY_BEFORE_ANNIVERSARY,), MONTHS_UNTIL_DAY_BEFORE_ANNIVERSARY),
        )


@dataclass(frozen=True)
class SoftwareSetup(Rule):
    """Software set-up: free within `free_months` of installation, charged from `charged_after_months`.

    Between the two the fee is multiplied by `between_fraction` (the policy says what happens there).
    """

    kind: ClassVar[str] = "software_setup"
    free_months: int = 1
    charged_after_months: int = 3
    between_fraction: Decimal = Decimal("0.5")
    counted_from: str = "installation"

    @classmethod
    def read(cls, r: _Reader) -> SoftwareSetup:
        rule = cls(
            free_months=r.integer("free_months", minimum=0, default=1),
            charged_after_months=r.integer("charged_after_months", minimum=0, default=3),
            between_fraction=r.fraction("between_fraction", "0.5"),
            counted_from=r.choice("counted_from", COUNTED_FROM, "installation"),
        )
        if rule.charged_after_months < rule.free_months:
            r.errors[r.at("charged_after_months")] = "must not be less than free_months"
        return rule


@dataclass(frozen=True)
class TradeIn(Rule):
    """Any old unit of `brand`, whatever its age, buys the new one at `customer_pays_fraction` of its retail price."""

    kind: ClassVar[str] = "trade_in"
    customer_pays_fraction: Decimal = Decimal("0.5")
    brand: str = ""

    @classmethod
    def read(cls, r: _Reader) -> TradeIn:
        brand = r._get("brand", "")
        if not isinstance(brand, str):
            r.errors[r.at("brand")] = "must be a string"
            brand = ""
        return cls(customer_pays_fraction=r.fraction("customer_pays_fraction", "0.5"), brand=brand.strip())


@dataclass(frozen=True)
class LowerOfTwo(Rule):
    """When the price list and the customer's warranty card disagree, the lower price applies."""

    kind: ClassVar[str] = "lower_of_two"

    @classmethod
    def read(cls, r: _Reader) -> LowerOfTwo:
        return cls()


RULE_KINDS: dict[str, type[Rule]] = {
    cls.kind: cls
    for cls in (
        ReturnWithinDays,
        ExchangeWithinDays,
        FreeRepair,
        UserDamageInWarranty,
        OutOfWarranty,
        FreeConsumable,
        SoftwareSetup,
        TradeIn,
        LowerOfTwo,
    )
}


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class AppliesTo:
    """What a policy covers: one product model, a category, or everything (the default policy)."""

    kind: str
    code: str = ""

    def to_dict(self) -> dict[str, Any]:
        """As a plain mapping."""
        return {"kind": self.kind, "code": self.code} if self.code else {"kind": self.kind}


@dataclass(frozen=True)
class PolicyVersion:
    """The rules in force from `valid_from` to `valid_until` (inclusive; None = open-ended)."""

    label: str
    valid_from: dt.date
    valid_until: dt.date | None
    rules: tuple[Rule, ...]

    def valid_on(self, day: dt.date) -> bool:
        """Is this version in force on `day`?"""
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def rules_of(self, rule_type: type[Any]) -> list[Any]:
        """The rules of one kind, in file order."""
        return [r for r in self.rules if isinstance(r, rule_type)]

    def rule(self, rule_type: type[Any]) -> Any | None:
        """The single rule of one kind, if the version has it."""
        found = self.rules_of(rule_type)
        return found[0] if found else None


@dataclass(frozen=True)
class Policy:
    """A company's after-sales promises for a product model or category, as dated versions."""

    code: str
    name: str
    applies_to: AppliesTo
    versions: tuple[PolicyVersion, ...]

    def version_on(self, day: dt.date) -> PolicyVersion:
        """The version in force on `day`; PolicyError naming `service_date` if none is."""
        for version in self.versions:
            if version.valid_on(day):
                return version
        raise PolicyError({"service_date": f"no version of policy {self.code} is valid on {day.isoformat()}"})


def policy_from_dict(data: Any) -> Policy:
    """Validate a policy document (as loaded from YAML/JSON) and build the Policy; PolicyError lists every fault."""
    errors: dict[str, str] = {}
    r = _Reader(data, "", errors)
    code, name = r.text("code"), r.text("name")
    a = _Reader(r._get("applies_to", {"kind": "default"}), "applies_to", errors)
    applies_kind = a.choice("kind", APPLIES_TO_KINDS, "default")
    applies_code = a.text("code") if applies_kind != "default" else (a.optional_text("code") or "")
    a.reject_unknown()
    versions: list[PolicyVersion] = []
    items = r.items("versions")
    for i, item in enumerate(items):
        version = _read_version(item, f"versions[{i}]", errors)
        if version is not None:
            versions.append(version)
    if not items and "versions" not in errors:
        errors["versions"] = "at least one version is required"
    r.reject_unknown()
    _check_overlaps(versions, errors)
    if errors:
        raise PolicyError(errors)
    return Policy(
        code=code,
        name=name,
        applies_to=AppliesTo(kind=applies_kind, code=applies_code),
        versions=tuple(sorted(versions, key=lambda v: v.valid_from)),
    )


def _read_version(data: Any, path: str, errors: dict[str, str]) -> PolicyVersion | None:
    r = _Reader(data, path, errors)
    label = r.text("label")
    valid_from = r.date("valid_from")
    valid_until = r.date("valid_until", required=False)
    if valid_from and valid_until and valid_until < valid_from:
        errors[r.at("valid_until")] = "must not be before valid_from"
    rules: list[Rule] = []
    for j, item in enumerate(r.items("rules")):
        rule_path = f"{path}.rules[{j}]"
        rr = _Reader(item, rule_path, errors)
        kind = rr._get("kind", _REQUIRED)
        if kind is _REQUIRED:
            continue
        rule_type = RULE_KINDS.get(kind) if isinstance(kind, str) else None
        if rule_type is None:
            errors[rr.at("kind")] = f"unknown rule kind {kind!r}; known: {', '.join(RULE_KINDS)}"
            continue
        rule = rule_type.read(rr)
        rr.reject_unknown()
        if not rule_type.repeatable and any(type(x) is rule_type for x in rules):
            errors[rr.at("kind")] = f"{kind} may appear only once per version"
        if isinstance(rule, FreeRepair) and any(
            isinstance(x, FreeRepair) and x.component == rule.component for x in rules
        ):
            errors[rr.at("component")] = f"component {rule.component!r} already has a free_repair rule"
        rules.append(rule)
    r.reject_unknown()
    if valid_from is None:
        return None
    return PolicyVersion(label=label, valid_from=valid_from, valid_until=valid_until, rules=tuple(rules))


def _check_overlaps(versions: list[PolicyVersion], errors: dict[str, str]) -> None:
    indexed = sorted(enumerate(versions), key=lambda iv: iv[1].valid_from)
    for (_, earlier), (j, later) in zip(indexed, indexed[1:], strict=False):
        if earlier.valid_until is None or earlier.valid_until >= later.valid_from:
            errors[f"versions[{j}].valid_from"] = f"overlaps version {earlier.label!r}"
    labels = [v.label for v in versions]
    for j, label in enumerate(labels):
        if label and labels.index(label) != j:
            errors[f"versions[{j}].label"] = f"duplicate version label {label!r}"


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    """Export a policy as a plain mapping that `policy_from_dict` reads back unchanged."""
    return {
        "code": policy.code,
        "name": policy.name,
        "applies_to": policy.applies_to.to_dict(),
        "versions": [
            {
                "label": v.label,
                "valid_from": v.valid_from.isoformat(),
                "valid_until": v.valid_until.isoformat() if v.valid_until else None,
                "rules": [rule.to_dict() for rule in v.rules],
            }
            for v in policy.versions
        ],
    }


# --------------------------------------------------------------------------- quote


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
    elif job.fault_cause in ("quality", "wear") and parts and len(consumables) == len(parts):
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


NATIONAL_THREE_GUARANTEES: Policy = policy_from_dict(
    {
        "code": "cn-sanbao",
        "name": "China national three guarantees (三包)",
        "applies_to": {"kind": "default"},
        "versions": [
            {
                "label": "sanbao-2013",
                "valid_from": "2013-01-01",
                "valid_until": None,
                "rules": [
                    {"kind": "return_within_days", "days": 7},
                    {"kind": "exchange_within_days", "days": 15},
                    {"kind": "free_repair", "months": 12, "component": WHOLE_UNIT, "counted_from": "purchase"},
                    # Household appliances: main components (e.g. the compressor) carry a longer warranty.
                    {"kind": "free_repair", "months": 36, "component": "compressor", "counted_from": "purchase"},
                    {"kind": "out_of_warranty"},
                ],
            }
        ],
    }
)
