"""Measured quality (issue 14 item 6, R-G2, R-G7): satisfaction, complaint processing, response rates and service
gaps, read from the database for the acting user's outlets, region or the whole network.

Every figure is aggregated in the database (GROUP BY with conditional counts): a page reads a few dozen rows, never
the callbacks themselves, so it answers in well under a second with 200,000 callbacks and 1,000,000 visits. The
statistics (Wilson intervals, verdicts, the stratified estimate) come from `wuyou.quality.measures`.

Satisfaction is measured on *sampled* callbacks only: a rule-made callback is asked because something went wrong
or may have, so its answers are biased; they are shown apart, without a verdict.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from statsmodels.stats.proportion import proportion_confint

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Outlet, Role
from wuyou.accounts.selectors import scoped_to_actor
from wuyou.core.errors import ValidationFailed
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.quality.measures import CONFIDENCE, Estimate, Rate, Stratum, Verdict, stratified_rate, wilson_rate
from wuyou.quality.models import (
    RULE_MADE,
    Callback,
    CallbackAnswer,
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
    GapRole,
    SamplingPlan,
    StratumKind,
)
from wuyou.tickets.models import ClockOutcome, RequestClock, Step

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


@dataclass(frozen=True)
class CallbackRow:
    """One row of callbacks: how many were finished, reached, satisfied, not reached and refused."""

    key: str
    label: str
    finished: int
    reached: int
    satisfied: int
    unreachable: int
    refused: int

    @cached_property
    def satisfaction(self) -> Rate:
        """Satisfied ÷ reached, with its Wilson interval."""
        return wilson_rate(self.satisfied, self.reached)

    @cached_property
    def response(self) -> Rate:
        """Reached ÷ finished (the response rate of callbacks), with its Wilson interval."""
        return wilson_rate(self.reached, self.finished)

    @cached_property
    def verdict(self) -> Verdict:
        """Satisfaction against the 90 % target."""
        return self.satisfaction.verdict(SATISFACTION_TARGET)


@dataclass(frozen=True)
class ComplaintRow:
    """Complaints due in the period: how many were disposed within their limit, late, or are still open past it."""

    key: str
    label: str
    due: int
    met: int
    late: int
    overdue_open: int

    @cached_property
    def rate(self) -> Rate:
        """Disposed within the limit ÷ due; no rate at all when none was due (never a free 100 %)."""
        return wilson_rate(self.met, self.due)

    @cached_property
    def verdict(self) -> Verdict:
        return self.rate.verdict(COMPLAINT_TARGET)


@dataclass(frozen=True)
class OnsiteRow:
    """The on-site ratings next to the callback result for the same jobs (a gap is a fraud signal, R-G4)."""

    key: str
    label: str
    jobs: int
    onsite_satisfied: int  # rated 4 or 5 for repair quality on site
    callback_satisfied: int
    quality_mean: float | None
    attitude_mean: float | None

    @cached_property
    def onsite(self) -> Rate:
        return wilson_rate(self.onsite_satisfied, self.jobs)

    @cached_property
    def callback(self) -> Rate:
        return wilson_rate(self.callback_satisfied, self.jobs)

    @property
    def gap(self) -> float | None:
        """On-site share minus callback share, in points of 1: large and positive means marks on site look too good."""
        if not self.jobs:
            return None
        return (self.onsite_satisfied - self.callback_satisfied) / self.jobs


@dataclass(frozen=True)
class StratifiedRow:
    """The organisation's or a region's satisfaction as a stratified estimate over its strata."""

    key: str
    label: str
    estimate: Estimate
    strata: int

    @cached_property
    def verdict(self) -> Verdict:
        return self.estimate.verdict(SATISFACTION_TARGET)


@dataclass(frozen=True)
class StandardRow:
    """A measurable service standard checked from the data: cases due, cases meeting it, its target."""

    key: str
    label: str
    due: int
    met: int
    target: float

    @cached_property
    def rate(self) -> Rate:
        return wilson_rate(self.met, self.due)

    @cached_property
    def verdict(self) -> Verdict:
        return self.rate.verdict(self.target)


@dataclass(frozen=True)
class DimensionGap:
    """Expectation against perception on one service dimension (mean ratings 1–5); gap = perception − expectation."""

    dimension: str
    expectation: float | None
    expectation_n: int
    perception: float | None
    perception_n: int

    @property
    def gap(self) -> float | None:
        if self.expectation is None or self.perception is None:
            return None
        return self.perception - self.expectation


@dataclass(frozen=True)
class MonthPoint:
    """One month of the chart: sampled satisfaction with its interval (None when nobody was reached)."""

    month: str
    rate: Rate


@dataclass
class QualityReport:
    """Everything the /quality/ page shows (each table also readable on its own)."""

    filters: QualityFilters
    satisfaction: list[CallbackRow] = field(default_factory=list)
    total: CallbackRow | None = None
    rule_made: list[CallbackRow] = field(default_factory=list)
    stratified: list[StratifiedRow] = field(default_factory=list)
    stratum_kind: str = StratumKind.OUTLET_ENGINEER
    complaints: list[ComplaintRow] = field(default_factory=list)
    complaints_total: ComplaintRow | None = None
    onsite: list[OnsiteRow] = field(default_factory=list)
    standards: list[StandardRow] = field(default_factory=list)
    dimensions: list[DimensionGap] = field(default_factory=list)
    months: list[MonthPoint] = field(default_factory=list)


# --- the pieces of a query -------------------------------------------------------------------------------------


def _month_key(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m") if timezone.is_aware(value) else value.strftime("%Y-%m")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m")
    return str(value)[:7]


def _none_label(breakdown: Breakdown) -> str:
    return {
        Breakdown.OUTLET: _("No outlet"),
        Breakdown.ENGINEER: _("No engineer (no visit)"),
        Breakdown.MODEL: _("Unit not registered"),
        Breakdown.MONTH: "—",
    }[breakdown]


# Per breakdown, the (id, label) lookups from a callback or a request clock.
_CALLBACK_KEYS = {
    Breakdown.OUTLET: ("request__outlet_id", "request__outlet__name"),
    Breakdown.ENGINEER: ("work_order__engineer_id", "work_order__engineer__display_name"),
    Breakdown.MODEL: ("request__unit__product_model_id", "request__unit__product_model__code"),
}
_CLOCK_KEYS = {
    Breakdown.OUTLET: ("request__outlet_id", "request__outlet__name"),
    Breakdown.ENGINEER: ("request__complaint__about_engineer_id", "request__complaint__about_engineer__display_name"),
    Breakdown.MODEL: ("request__unit__product_model_id", "request__unit__product_model__code"),
}


def _grouped(
    qs: QuerySet[Any], breakdown: Breakdown, keys: dict[Breakdown, tuple[str, str]], moment: str, **aggregates: Any
) -> list[tuple[str, str, dict[str, Any]]]:
    """(key, label, aggregates) per group, in label order; months by TruncMonth of `moment` in the local zone."""
    rows: list[tuple[str, str, dict[str, Any]]] = []
    if breakdown is Breakdown.MONTH:
        found = (
            qs.annotate(bucket=TruncMonth(moment, tzinfo=timezone.get_current_timezone()))
            .values("bucket")
            .annotate(**aggregates)
            .order_by("bucket")
        )
        for row in found:
            month = _month_key(row.pop("bucket"))
            rows.append((month, month, row))
        return rows
    key_path, label_path = keys[breakdown]
    found = qs.values(key_path, label_path).annotate(**aggregates).order_by(label_path, key_path)
    for row in found:
        key, label = row.pop(key_path), row.pop(label_path)
        rows.append(("" if key is None else str(key), label or _none_label(breakdown), row))
    return rows


def _callbacks(*, actor: Actor, filters: QualityFilters) -> QuerySet[Callback]:
    """Finished callbacks of the period the actor may read, of one outlet when asked."""
    if not sees_measured_quality(actor):
        return Callback.objects.none()
    start, end = filters.period.bounds()
    qs = scoped_to_actor(Callback.objects.all(), actor=actor, outlet="request__outlet").filter(
        status__in=_FINISHED, done_at__gte=start, done_at__lt=end
    )
    if filters.outlet_id is not None:
        qs = qs.filter(request__outlet_id=filters.outlet_id)
    return qs


_CALLBACK_COUNTS: dict[str, Any] = {
    "finished": Count("id"),
    "reached": Count("id", filter=Q(status=CallbackStatus.DONE)),
    "satisfied": Count("id", filter=Q(status=CallbackStatus.DONE, outcome=CallbackOutcome.SATISFIED)),
    "unreachable": Count("id", filter=Q(status=CallbackStatus.UNREACHABLE)),
    "refused": Count("id", filter=Q(status=CallbackStatus.REFUSED)),
}


def _callback_row(key: str, label: str, counts: dict[str, Any]) -> CallbackRow:
    return CallbackRow(key=key, label=label, **{name: int(counts.get(name) or 0) for name in _CALLBACK_COUNTS})


def _total(rows: Iterable[CallbackRow]) -> CallbackRow:
    rows = list(rows)
    return CallbackRow(
        key="",
        label=_("All"),
        **{name: sum(getattr(r, name) for r in rows) for name in _CALLBACK_COUNTS},
    )


def wilson_rates(pairs: Sequence[tuple[int, int]]) -> list[Rate]:
    """`wilson_rate` for many (successes, n) at once: one vectorised statsmodels call instead of one per row
    (a network of a few hundred engineers would otherwise spend most of the page in the library's overhead)."""
    rates = [wilson_rate(0, 0)] * len(pairs)
    seen = [i for i, (_s, n) in enumerate(pairs) if n > 0]
    if not seen:
        return rates
    successes = np.array([pairs[i][0] for i in seen])
    trials = np.array([pairs[i][1] for i in seen])
    lows, highs = proportion_confint(successes, trials, alpha=1 - CONFIDENCE, method="wilson")
    for i, low, high in zip(seen, np.atleast_1d(lows), np.atleast_1d(highs), strict=True):
        s, n = pairs[i]
        point = s / n
        # As wilson_rate: the interval always holds its point and stays in [0, 1].
        rates[i] = Rate(s, n, max(0.0, min(float(low), point)), min(1.0, max(float(high), point)), CONFIDENCE)
    return rates


def _prime(rows: Sequence[Any], attribute: str, pair: Callable[[Any], tuple[int, int]]) -> None:
    """Fill the rows' cached rate `attribute` in one batch (the cached_property finds it already computed)."""
    for row, rate in zip(rows, wilson_rates([pair(r) for r in rows]), strict=True):
        row.__dict__[attribute] = rate


# --- the selectors ---------------------------------------------------------------------------------------------


def satisfaction_by(*, actor: Actor, filters: QualityFilters) -> list[CallbackRow]:
    """Sampled callbacks by the filters' breakdown: satisfaction (with n, Wilson interval, verdict) and response."""
    qs = _callbacks(actor=actor, filters=filters).filter(reason=CallbackReason.SAMPLE)
    return _primed_callback_rows(
        [
            _callback_row(key, label, counts)
            for key, label, counts in _grouped(qs, filters.breakdown, _CALLBACK_KEYS, "done_at", **_CALLBACK_COUNTS)
        ]
    )


def _primed_callback_rows(rows: list[CallbackRow]) -> list[CallbackRow]:
    _prime(rows, "satisfaction", lambda r: (r.satisfied, r.reached))
    _prime(rows, "response", lambda r: (r.reached, r.finished))
    return rows


def satisfaction_total(rows: Iterable[CallbackRow]) -> CallbackRow:
    """All sampled callbacks of the rows together (a simple rate; the stratified estimate weighs the strata)."""
    return _total(rows)


def rule_made_by_reason(*, actor: Actor, filters: QualityFilters) -> list[CallbackRow]:
    """Rule-made callbacks by reason, shown apart from the sample: biased by design, so no verdict."""
    qs = _callbacks(actor=actor, filters=filters).filter(reason__in=sorted(RULE_MADE))
    found = qs.values("reason").annotate(**_CALLBACK_COUNTS).order_by("reason")
    rows = []
    for row in found:
        reason = str(row.pop("reason"))
        rows.append(_callback_row(reason, str(CallbackReason(reason).label), row))
    return _primed_callback_rows(rows)


def satisfaction_by_month(*, actor: Actor, filters: QualityFilters) -> list[MonthPoint]:
    """Sampled satisfaction for every month of the period (empty months included), for the chart."""
    monthly = QualityFilters(period=filters.period, outlet_id=filters.outlet_id, breakdown=Breakdown.MONTH)
    return month_points(filters.period, satisfaction_by(actor=actor, filters=monthly))


def month_points(period: Period, rows: Iterable[CallbackRow]) -> list[MonthPoint]:
    """The month rows laid over every month of the period, a month without answers having no rate."""
    by_month = {row.key: row for row in rows}
    points = []
    for month in period.months:
        key = f"{month:%Y-%m}"
        row = by_month.get(key)
        points.append(MonthPoint(key, row.satisfaction if row else wilson_rate(0, 0)))
    return points


def _plan_strata() -> str:
    plan = SamplingPlan.objects.filter(is_active=True).order_by("pk").values_list("strata", flat=True).first()
    return plan or StratumKind.OUTLET_ENGINEER


def stratified_estimates(*, actor: Actor, filters: QualityFilters) -> tuple[str, list[StratifiedRow]]:
    """The visible network's and each region's satisfaction, stratified as the sampling plan stratifies.

    Each stratum (outlet × engineer, or outlet × product category) weighs by its jobs completed in the period;
    its sample is the sampled callbacks reached in the period about the stratum's jobs. Four small queries.
    """
    kind = _plan_strata()
    if not sees_measured_quality(actor):
        return kind, []
    second = "engineer_id" if kind == StratumKind.OUTLET_ENGINEER else "request__unit__product_model__category_id"
    start, end = filters.period.bounds()
    jobs = scoped_to_actor(WorkOrder.objects.all(), actor=actor, outlet="outlet").filter(
        status=WorkOrderStatus.DONE, finished_at__gte=start, finished_at__lt=end
    )
    if filters.outlet_id is not None:
        jobs = jobs.filter(outlet_id=filters.outlet_id)
    # Grouped by the work order's own columns only (no join): the outlets' regions come from the small outlet table.
    population = list(jobs.values("outlet_id", second).annotate(jobs=Count("id")).order_by())
    region_of = {
        pk: (region_id, name)
        for pk, region_id, name in Outlet.objects.filter(pk__in={row["outlet_id"] for row in population}).values_list(
            "pk", "region_id", "region__name"
        )
    }
    sampled = (
        _callbacks(actor=actor, filters=filters)
        .filter(reason=CallbackReason.SAMPLE, status=CallbackStatus.DONE, work_order__isnull=False)
        .values("work_order__outlet_id", f"work_order__{second}")
        .annotate(n=Count("id"), satisfied=Count("id", filter=Q(outcome=CallbackOutcome.SATISFIED)))
    )
    answers = {(r["work_order__outlet_id"], r[f"work_order__{second}"]): r for r in sampled}
    regions: dict[int, str] = {}
    strata: dict[int | None, list[Stratum]] = defaultdict(list)
    for row in population:
        key = (row["outlet_id"], row[second])
        answer = answers.get(key, {})
        stratum = Stratum(population=row["jobs"], successes=answer.get("satisfied", 0), n=answer.get("n", 0))
        region_id, region_name = region_of[row["outlet_id"]]
        regions[region_id] = region_name
        strata[region_id].append(stratum)
        strata[None].append(stratum)
    rows = [
        StratifiedRow(
            key="", label=_("All visible outlets"), estimate=stratified_rate(strata[None]), strata=_seen(strata[None])
        )
    ]
    for region_id, name in sorted(regions.items(), key=lambda item: item[1]):
        rows.append(
            StratifiedRow(
                key=str(region_id),
                label=name,
                estimate=stratified_rate(strata[region_id]),
                strata=_seen(strata[region_id]),
            )
        )
    return kind, rows


def _seen(strata: list[Stratum]) -> int:
    return sum(1 for s in strata if s.n)


def _clocks(*, actor: Actor, filters: QualityFilters, steps: Iterable[str]) -> QuerySet[RequestClock]:
    """Clocks of the steps due in the period and due by now (or already decided), not moot, the actor's to read."""
    if not sees_measured_quality(actor):
        return RequestClock.objects.none()
    start, end = filters.period.bounds()
    qs = (
        scoped_to_actor(RequestClock.objects.all(), actor=actor, outlet="request__outlet")
        .filter(step__in=list(steps), due_at__gte=start, due_at__lt=end)
        .exclude(outcome=ClockOutcome.MOOT)
        # A clock not yet due and still open is not "due in the period" yet: it may still be met.
        .filter(Q(outcome__in=[ClockOutcome.MET, ClockOutcome.MISSED]) | Q(due_at__lte=timezone.now()))
    )
    if filters.outlet_id is not None:
        qs = qs.filter(request__outlet_id=filters.outlet_id)
    return qs


_CLOCK_COUNTS: dict[str, Any] = {
    "due": Count("id"),
    "met": Count("id", filter=Q(outcome=ClockOutcome.MET)),
    "late": Count("id", filter=Q(outcome=ClockOutcome.MISSED)),
    "overdue_open": Count("id", filter=Q(outcome=ClockOutcome.NONE)),
}


def complaints_by(*, actor: Actor, filters: QualityFilters) -> list[ComplaintRow]:
    """Complaint processing by the breakdown: disposed within the limit ÷ due in the period (target 99 %)."""
    qs = _clocks(actor=actor, filters=filters, steps=[Step.COMPLAINT_DISPOSITION])
    rows = [
        ComplaintRow(key=key, label=label, **{name: int(counts[name] or 0) for name in _CLOCK_COUNTS})
        for key, label, counts in _grouped(qs, filters.breakdown, _CLOCK_KEYS, "due_at", **_CLOCK_COUNTS)
    ]
    _prime(rows, "rate", lambda r: (r.met, r.due))
    return rows


def complaints_total(rows: Iterable[ComplaintRow]) -> ComplaintRow:
    """All complaint rows together."""
    rows = list(rows)
    return ComplaintRow(key="", label=_("All"), **{name: sum(getattr(r, name) for r in rows) for name in _CLOCK_COUNTS})


def onsite_vs_callback(*, actor: Actor, filters: QualityFilters) -> list[OnsiteRow]:
    """For sampled reached callbacks about a rated visit: the on-site ratings beside what the customer said later."""
    qs = _callbacks(actor=actor, filters=filters).filter(
        reason=CallbackReason.SAMPLE, status=CallbackStatus.DONE, work_order__quality_rating__isnull=False
    )
    counts = {
        "jobs": Count("id"),
        "onsite_satisfied": Count("id", filter=Q(work_order__quality_rating__gte=4)),
        "callback_satisfied": Count("id", filter=Q(outcome=CallbackOutcome.SATISFIED)),
        "quality_mean": Avg("work_order__quality_rating"),
        "attitude_mean": Avg("work_order__attitude_rating"),
    }
    rows = []
    for key, label, row in _grouped(qs, filters.breakdown, _CALLBACK_KEYS, "done_at", **counts):
        rows.append(
            OnsiteRow(
                key=key,
                label=label,
                jobs=int(row["jobs"]),
                onsite_satisfied=int(row["onsite_satisfied"]),
                callback_satisfied=int(row["callback_satisfied"]),
                quality_mean=None if row["quality_mean"] is None else float(row["quality_mean"]),
                attitude_mean=None if row["attitude_mean"] is None else float(row["attitude_mean"]),
            )
        )
    _prime(rows, "onsite", lambda r: (r.onsite_satisfied, r.jobs))
    _prime(rows, "callback", lambda r: (r.callback_satisfied, r.jobs))
    return rows


def _standard_label(key: str) -> str:
    return {
        Step.FIRST_RESPONSE: _("Answered (first response) within the limit"),
        Step.ON_SITE: _("Engineer on site within the limit"),
        Step.COMPLAINT_DISPOSITION: _("Complaint disposed within 3 working days"),
        WINDOW_STANDARD: _("Engineer arrived inside the booked window"),
    }[key]


def service_standards(*, actor: Actor, filters: QualityFilters) -> list[StandardRow]:
    """The measurable standards (R-G7) checked from the data: the time-limit clocks' outcomes and the visits'
    arrival inside their booked window. Two queries."""
    found = (
        _clocks(actor=actor, filters=filters, steps=STANDARD_TARGETS)
        .values("step")
        .annotate(due=Count("id"), met=Count("id", filter=Q(outcome=ClockOutcome.MET)))
    )
    by_step = {row["step"]: row for row in found}
    rows = [
        StandardRow(
            key=str(step),
            label=_standard_label(step),
            due=int(by_step.get(step, {}).get("due", 0)),
            met=int(by_step.get(step, {}).get("met", 0)),
            target=target,
        )
        for step, target in STANDARD_TARGETS.items()
    ]
    window = {"due": 0, "met": 0}
    if sees_measured_quality(actor):
        start, end = filters.period.bounds()
        visits = scoped_to_actor(WorkOrder.objects.all(), actor=actor, outlet="outlet").filter(
            status=WorkOrderStatus.DONE,
            finished_at__gte=start,
            finished_at__lt=end,
            window_start__isnull=False,
            window_end__isnull=False,
            arrived_at__isnull=False,
        )
        if filters.outlet_id is not None:
            visits = visits.filter(outlet_id=filters.outlet_id)
        window = visits.aggregate(
            due=Count("id"),
            met=Count("id", filter=Q(arrived_at__gte=F("window_start"), arrived_at__lte=F("window_end"))),
        )
    rows.append(
        StandardRow(
            key=WINDOW_STANDARD,
            label=_standard_label(WINDOW_STANDARD),
            due=int(window["due"] or 0),
            met=int(window["met"] or 0),
            target=WINDOW_TARGET,
        )
    )
    return rows


def dimension_gaps(*, actor: Actor, filters: QualityFilters) -> list[DimensionGap]:
    """Expectation against perception per service dimension, from the sampled callbacks' rating answers."""
    if not sees_measured_quality(actor):
        return []
    start, end = filters.period.bounds()
    qs = scoped_to_actor(CallbackAnswer.objects.all(), actor=actor, outlet="callback__request__outlet").filter(
        callback__reason=CallbackReason.SAMPLE,
        callback__status=CallbackStatus.DONE,
        callback__done_at__gte=start,
        callback__done_at__lt=end,
        question__gap_role__in=[GapRole.EXPECTATION, GapRole.PERCEPTION],
        rating__isnull=False,
    )
    if filters.outlet_id is not None:
        qs = qs.filter(callback__request__outlet_id=filters.outlet_id)
    found = (
        qs.values("question__dimension", "question__gap_role")
        .annotate(n=Count("id"), mean=Avg("rating"))
        .order_by("question__dimension")
    )
    cells: dict[str, dict[str, tuple[float, int]]] = defaultdict(dict)
    for row in found:
        cells[row["question__dimension"] or "—"][row["question__gap_role"]] = (float(row["mean"]), int(row["n"]))
    gaps = []
    for dimension, roles in sorted(cells.items()):
        expected = roles.get(GapRole.EXPECTATION)
        perceived = roles.get(GapRole.PERCEPTION)
        gaps.append(
            DimensionGap(
                dimension=dimension,
                expectation=expected[0] if expected else None,
                expectation_n=expected[1] if expected else 0,
                perception=perceived[0] if perceived else None,
                perception_n=perceived[1] if perceived else 0,
            )
        )
    return gaps


def quality_report(*, actor: Actor, filters: QualityFilters) -> QualityReport:
    """Every table of the /quality/ page for the actor (about a dozen grouped queries, whatever the data size)."""
    report = QualityReport(filters=filters)
    report.satisfaction = satisfaction_by(actor=actor, filters=filters)
    report.total = satisfaction_total(report.satisfaction)
    if filters.breakdown is Breakdown.MONTH:
        report.months = month_points(filters.period, report.satisfaction)
    else:
        report.months = satisfaction_by_month(actor=actor, filters=filters)
    report.rule_made = rule_made_by_reason(actor=actor, filters=filters)
    report.stratum_kind, report.stratified = stratified_estimates(actor=actor, filters=filters)
    report.complaints = complaints_by(actor=actor, filters=filters)
    report.complaints_total = complaints_total(report.complaints)
    report.onsite = onsite_vs_callback(actor=actor, filters=filters)
    report.standards = service_standards(actor=actor, filters=filters)
    report.dimensions = dimension_gaps(actor=actor, filters=filters)
    return report
