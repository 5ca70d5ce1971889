"""Periods, filters, roles and labels of the quality page (who reads it, which months, which breakdown)."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Role
from wuyou.core.errors import ValidationFailed
from wuyou.quality.measures import Verdict
from wuyou.quality.models import (
    CallbackStatus,
)
from wuyou.tickets.models import Step

# The seeds' two numbers (003, 004): satisfaction at least 90 %, complaint processing at least 99 %.
SATISFACTION_TARGET = 0.90
COMPLAINT_TARGET = 0.99
# The measurable service standards (R-G7) and the share of cases each must meet.
STANDARD_TARGETS: dict[str, float] = {
    Step.FIRST_RESPONSE: 0.95,
    Step.ON_SITE: 0.95,
    Step.COMPLAINT_DISPOSITION: COMPLAINT_TARGET,
}
WINDOW_STANDARD = "on_site_in_window"
WINDOW_TARGET = 0.95
# A report spans at most three years: the aggregation's cost follows the rows in the period.
MAX_MONTHS = 36
DEFAULT_MONTHS = 3

# Who reads measured quality: the managers, follow-up staff (they make the calls) and administrators; an
# integration reads the same figures through the API. Clerks, engineers and sales reps do not.
QUALITY_ROLES = frozenset(
    {
        Role.SERVICE_MANAGER,
        Role.OUTLET_MANAGER,
        Role.REGIONAL_MANAGER,
        Role.FOLLOW_UP,
        Role.ADMIN,
        Role.INTEGRATION,
    }
)

# Callbacks that were finished one way or another: made (satisfied or not), not reached after every try, refused.
_FINISHED = (CallbackStatus.DONE, CallbackStatus.UNREACHABLE, CallbackStatus.REFUSED)


def sees_measured_quality(actor: Actor) -> bool:
    """Whether the actor's role reads measured quality (the nav link, the page; the API answers others empty)."""
    return actor.role in QUALITY_ROLES and actor.scope.value != "none"


class Breakdown(enum.StrEnum):
    """How a table's rows are cut."""

    OUTLET = "outlet"
    ENGINEER = "engineer"
    MODEL = "model"
    MONTH = "month"


def breakdown_label(breakdown: Breakdown) -> str:
    """The breakdown's name in the active language."""
    return {
        Breakdown.OUTLET: _("Outlet"),
        Breakdown.ENGINEER: _("Engineer"),
        Breakdown.MODEL: _("Product model"),
        Breakdown.MONTH: _("Month"),
    }[breakdown]


def verdict_label(verdict: Verdict) -> str:
    """The verdict as a manager reads it."""
    return {
        Verdict.MET: _("Met with confidence"),
        Verdict.BELOW: _("Below with confidence"),
        Verdict.UNDECIDED: _("Not yet decidable (n too small)"),
    }[verdict]


def month_start(day: dt.date) -> dt.date:
    """The first day of the day's month."""
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month `months` after (or before) the day's month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """Whole months, `first` to `last` inclusive (both the first day of their month), in the organisation's zone."""

    first: dt.date
    last: dt.date

    @classmethod
    def default(cls, today: dt.date | None = None) -> Period:
        """The current month and the two before: a quarter to date."""
        this = month_start(today or timezone.localdate())
        return cls(add_months(this, 1 - DEFAULT_MONTHS), this)

    @property
    def months(self) -> list[dt.date]:
        """Each month of the period, in order."""
        count = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
        return [add_months(self.first, k) for k in range(count)]

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) as aware datetimes: midnight of the first day to midnight after the last month."""
        zone = timezone.get_current_timezone()
        start = dt.datetime.combine(self.first, dt.time(), tzinfo=zone)
        end = dt.datetime.combine(add_months(self.last, 1), dt.time(), tzinfo=zone)
        return start, end

    def describe(self) -> str:
        """`2026-01 – 2026-03`, or one month alone."""
        if self.first == self.last:
            return f"{self.first:%Y-%m}"
        return f"{self.first:%Y-%m} – {self.last:%Y-%m}"


@dataclass(frozen=True)
class QualityFilters:
    """What a measured-quality read looks at: the period, optionally one outlet, and how the rows are cut."""

    period: Period
    outlet_id: int | None = None
    breakdown: Breakdown = Breakdown.OUTLET


def _parse_month(text: str, name: str) -> dt.date:
    try:
        parsed = dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise ValidationFailed(_("Give a month as YYYY-MM, e.g. 2026-03."), field=name) from None
    if not 2000 <= parsed.year <= 2200:
        raise ValidationFailed(_("Give a month between 2000 and 2200."), field=name)
    return parsed


def quality_filters(
    *, month_from: str | None = None, month_to: str | None = None, outlet_id: int | None = None, breakdown: str = ""
) -> QualityFilters:
    """The filters from what a page or API caller sent; bad input is a ValidationFailed naming the field."""
    default = Period.default()
    last = _parse_month(month_to, "month_to") if month_to else default.last
    if month_from:
        first = _parse_month(month_from, "month_from")
    else:
        first = add_months(last, 1 - DEFAULT_MONTHS)
    if first > last:
        raise ValidationFailed(_("The first month must not come after the last."), field="month_from")
    if (last.year - first.year) * 12 + last.month - first.month + 1 > MAX_MONTHS:
        raise ValidationFailed(
            _("A report spans at most %(months)s months.") % {"months": MAX_MONTHS}, field="month_from"
        )
    try:
        chosen = Breakdown(breakdown) if breakdown else Breakdown.OUTLET
    except ValueError:
        raise ValidationFailed(_("Break down by outlet, engineer, model or month."), field="breakdown") from None
    return QualityFilters(period=Period(first, last), outlet_id=outlet_id, breakdown=chosen)
