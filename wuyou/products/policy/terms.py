"""The terms every policy rule counts in (pure): money to the fen, months to the day before the anniversary."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

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
