"""The rule kinds a policy version holds (pure): return and exchange within days, free repair per component,
user damage, out-of-warranty fractions, consumables, software set-up, trade-in, the lower of two prices.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, ClassVar, Self

from wuyou.products.policy.reading import PolicyReader
from wuyou.products.policy.terms import (
    COUNTED_FROM,
    DAYS_AFTER_PURCHASE,
    MONTHS_UNTIL_DAY_BEFORE_ANNIVERSARY,
    WHOLE_UNIT,
    add_months,
)


@dataclass(frozen=True)
class Rule:
    """One promise of a policy version; subclasses name it from the business."""

    kind: ClassVar[str] = ""
    repeatable: ClassVar[bool] = False  # may a version hold several rules of this kind?

    @classmethod
    def read(cls, r: PolicyReader) -> Rule:  # pragma: no cover - every subclass overrides
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
    def read(cls, r: PolicyReader) -> Self:
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
    def read(cls, r: PolicyReader) -> FreeRepair:
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
    def read(cls, r: PolicyReader) -> UserDamageInWarranty:
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
    def read(cls, r: PolicyReader) -> OutOfWarranty:
        steps: list[AgeFraction] = []
        if "age_fractions" in r.data:
            for i, item in enumerate(r.items("age_fractions")):
                sub = PolicyReader(item, r.at(f"age_fractions[{i}]"), r.errors)
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
    """Parts whose code matches `part_pattern` (e.g. battery) are replaced free, for `months` or always.

    `labour` says what the job's labour costs when every part of it is such a free consumable: `charged` (the
    default: labour is free only under a `free_repair`) or `free` (the replacement costs nothing at all).
    """

    kind: ClassVar[str] = "free_consumable"
    repeatable: ClassVar[bool] = True
    part_pattern: str
    months: int | None = None
    counting: str = MONTHS_UNTIL_DAY_BEFORE_ANNIVERSARY
    labour: str = "charged"

    @property
    def labour_free(self) -> bool:
        """The replacement's labour is free too."""
        return self.labour == "free"

    @classmethod
    def read(cls, r: PolicyReader) -> FreeConsumable:
        return cls(
            part_pattern=r.text("part_pattern"),
            months=r.optional_integer("months", minimum=1),
            counting=r.choice("counting", (MONTHS_UNTIL_DAY_BEFORE_ANNIVERSARY,), MONTHS_UNTIL_DAY_BEFORE_ANNIVERSARY),
            labour=r.choice("labour", ("charged", "free"), "charged"),
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
    def read(cls, r: PolicyReader) -> SoftwareSetup:
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
    def read(cls, r: PolicyReader) -> TradeIn:
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
    def read(cls, r: PolicyReader) -> LowerOfTwo:
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
