"""Measured quality (issue 14 item 6, R-G2, R-G7): satisfaction, complaint processing, response rates and service
gaps, read from the database for the acting user's outlets, region or the whole network.

Every figure is aggregated in the database (GROUP BY with conditional counts), never read callback by callback:
the period's callbacks are counted ONCE (`CallbackFigures`: by reason, status, outcome, month, the breakdown's key
and the stratum, a few thousand groups at most) and every callback table is built from that in Python; the period's
completed visits are counted once too (`job_figures`: the strata's weights and the booked-window standard). The
statistics (Wilson intervals, verdicts, the stratified estimate) come from `wuyou.quality.measures`.

Satisfaction is measured on *sampled* callbacks only: a rule-made callback is asked because something went wrong
or may have, so its answers are biased; they are shown apart, without a verdict.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from statsmodels.stats.proportion import proportion_confint

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Outlet, Role, StaffProfile
from wuyou.accounts.selectors import scoped_to_actor
from wuyou.core.errors import ValidationFailed
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.products.models import ProductModel
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


# --- the callbacks, read once ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Group:
    """One group of the period's finished callbacks: every column a table cuts by, and what it counts."""

    reason: str
    status: str
    outcome: str
    month: str
    key: int | None  # the breakdown's id (outlet, engineer, product model); None when by month or not known
    work_outlet: int | None  # the visit's outlet (a stratum's first half); None without a visit
    second: int | None  # the stratum's second half: the visit's engineer or its product category
    count: int
    rated: int  # about a visit rated on site
    onsite_ok: int  # rated 4 or 5 for repair quality
    quality_sum: int
    attitude_sum: int  # of the rated visits
    attitude_n: int


_GROUP_COUNTS: dict[str, Any] = {
    "count": Count("id"),
    "rated": Count("work_order__quality_rating"),
    "onsite_ok": Count("id", filter=Q(work_order__quality_rating__gte=4)),
    "quality_sum": Sum("work_order__quality_rating"),
    "attitude_sum": Sum("work_order__attitude_rating", filter=Q(work_order__quality_rating__isnull=False)),
    "attitude_n": Count("work_order__attitude_rating", filter=Q(work_order__quality_rating__isnull=False)),
}


# PostgreSQL's default random_page_cost (4, for spinning disks) makes the planner hash the whole visits and
# requests tables (1,000,000 rows each: about a second) rather than look up the period's callbacks' visit and
# request by primary key; at 1.1, the usual value for SSDs and cached data, it takes the index (about 0.35 s for
# a quarter on the bench). Set for this one read only, and put back, so nothing else in the request is affected.
_RANDOM_PAGE_COST = "1.1"


@contextmanager
def _index_joins() -> Iterator[None]:
    """Run the block's query with PostgreSQL preferring primary-key lookups; elsewhere nothing."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        # The old value is read before the new one is set (a select list is evaluated left to right).
        cursor.execute(
            "SELECT current_setting('random_page_cost'), set_config('random_page_cost', %s, true)",
            [_RANDOM_PAGE_COST],
        )
        before = cursor.fetchone()[0]
        try:
            yield
        finally:
            cursor.execute("SELECT set_config('random_page_cost', %s, true)", [before])


def _stratum_second(kind: str) -> str:
    """The stratum's second half as seen from a callback: through its visit, as the jobs are counted."""
    if kind == StratumKind.OUTLET_ENGINEER:
        return "work_order__engineer_id"
    return "work_order__request__unit__product_model__category_id"


class CallbackFigures:
    """The period's finished callbacks the actor may read, counted in ONE grouped query (by reason, status,
    outcome, month, the breakdown's key and the stratum), from which every callback table is built in Python.

    The query starts from the callbacks of the period (index `callback_reason_done`) and reaches the visit and
    the request by primary key; its result has a few thousand groups at most (engineers × months × outcomes),
    whatever the number of callbacks.
    """

    def __init__(
        self, *, actor: Actor, filters: QualityFilters, stratum_kind: str | None = None, visits: bool = True
    ) -> None:
        self.filters = filters
        # Without `visits` the read leaves out the strata and the on-site ratings, and with them the join to the
        # visits when the breakdown does not need it (a satisfaction or response table alone).
        self.visits = visits
        self.stratum_kind = (stratum_kind or _plan_strata()) if visits else StratumKind.OUTLET_ENGINEER
        self.groups = self._read(actor)

    def _read(self, actor: Actor) -> list[_Group]:
        breakdown = self.filters.breakdown
        second = _stratum_second(self.stratum_kind)
        key_path = None if breakdown is Breakdown.MONTH else _CALLBACK_KEYS[breakdown][0]
        columns = ["reason", "status", "outcome", "bucket"]
        if self.visits:
            columns += ["work_order__outlet_id", second]
        if key_path and key_path not in columns:
            columns.append(key_path)
        counts = _GROUP_COUNTS if self.visits else {"count": Count("id")}
        found = (
            _callbacks(actor=actor, filters=self.filters)
            .annotate(bucket=TruncMonth("done_at", tzinfo=timezone.get_current_timezone()))
            .values(*columns)
            .annotate(**counts)
            .order_by()
        )
        with _index_joins():
            rows = list(found)
        return [
            _Group(
                reason=str(row["reason"]),
                status=str(row["status"]),
                outcome=str(row["outcome"]),
                month=_month_key(row["bucket"]),
                key=row[key_path] if key_path else None,
                work_outlet=row.get("work_order__outlet_id"),
                second=row.get(second),
                count=int(row["count"]),
                rated=int(row.get("rated") or 0),
                onsite_ok=int(row.get("onsite_ok") or 0),
                quality_sum=int(row.get("quality_sum") or 0),
                attitude_sum=int(row.get("attitude_sum") or 0),
                attitude_n=int(row.get("attitude_n") or 0),
            )
            for row in rows
        ]

    def _sampled(self) -> list[_Group]:
        return [g for g in self.groups if g.reason == CallbackReason.SAMPLE]

    @cached_property
    def _labels(self) -> list[tuple[int | None, str]]:
        """(key, label) of the breakdown's keys in the database's order of (label, key), the unknown one where
        the database puts NULLs (as an ORDER BY on the label would)."""
        keys = {g.key for g in self.groups}
        labelled: list[tuple[int | None, str]] = []
        breakdown = self.filters.breakdown
        known = sorted(k for k in keys if k is not None)
        if known:
            found: QuerySet[Any, tuple[int, str]]
            if breakdown is Breakdown.OUTLET:
                found = Outlet.objects.filter(pk__in=known).order_by("name", "pk").values_list("pk", "name")
            elif breakdown is Breakdown.ENGINEER:
                found = (
                    StaffProfile.objects.filter(pk__in=known)
                    .order_by("display_name", "pk")
                    .values_list("pk", "display_name")
                )
            else:
                found = ProductModel.objects.filter(pk__in=known).order_by("code", "pk").values_list("pk", "code")
            labelled = [(pk, name or _none_label(breakdown)) for pk, name in found]
        if None in keys:
            unknown = (None, _none_label(breakdown))
            labelled = [*labelled, unknown] if connection.features.nulls_order_largest else [unknown, *labelled]
        return labelled

    def _by_key(self, groups: Iterable[_Group]) -> dict[Any, list[_Group]]:
        by: dict[Any, list[_Group]] = defaultdict(list)
        month = self.filters.breakdown is Breakdown.MONTH
        for g in groups:
            by[g.month if month else g.key].append(g)
        return by

    def _ordered(self, by: dict[Any, list[_Group]]) -> list[tuple[str, str, list[_Group]]]:
        """(key, label, groups) per row, in the order the table shows them."""
        if self.filters.breakdown is Breakdown.MONTH:
            return [(month, month, by[month]) for month in sorted(by)]
        return [("" if k is None else str(k), label, by[k]) for k, label in self._labels if k in by]

    def satisfaction(self) -> list[CallbackRow]:
        """Sampled callbacks by the breakdown (see `satisfaction_by`)."""
        rows = [_counted(key, label, groups) for key, label, groups in self._ordered(self._by_key(self._sampled()))]
        return _primed_callback_rows(rows)

    def rule_made(self) -> list[CallbackRow]:
        """Rule-made callbacks by reason (see `rule_made_by_reason`)."""
        by: dict[str, list[_Group]] = defaultdict(list)
        for g in self.groups:
            if g.reason in RULE_MADE:
                by[g.reason].append(g)
        rows = [_counted(reason, str(CallbackReason(reason).label), by[reason]) for reason in sorted(by)]
        return _primed_callback_rows(rows)

    def months(self) -> list[MonthPoint]:
        """Sampled satisfaction for every month of the period (see `satisfaction_by_month`)."""
        by: dict[str, list[_Group]] = defaultdict(list)
        for g in self._sampled():
            by[g.month].append(g)
        rows = _primed_callback_rows([_counted(month, month, by[month]) for month in sorted(by)])
        return month_points(self.filters.period, rows)

    def sampled_strata(self) -> dict[tuple[int | None, int | None], tuple[int, int]]:
        """(n reached, satisfied) of the sampled callbacks about a visit, per stratum."""
        assert self.visits, "read with visits=True for the strata"
        answers: dict[tuple[int | None, int | None], tuple[int, int]] = {}
        for g in self._sampled():
            if g.status != CallbackStatus.DONE or g.work_outlet is None:
                continue
            n, satisfied = answers.get((g.work_outlet, g.second), (0, 0))
            answers[(g.work_outlet, g.second)] = (
                n + g.count,
                satisfied + (g.count if g.outcome == CallbackOutcome.SATISFIED else 0),
            )
        return answers

    def onsite(self) -> list[OnsiteRow]:
        """The on-site ratings beside the callback result (see `onsite_vs_callback`)."""
        assert self.visits, "read with visits=True for the on-site ratings"
        rated = [g for g in self._sampled() if g.status == CallbackStatus.DONE and g.rated]
        rows = []
        for key, label, groups in self._ordered(self._by_key(rated)):
            jobs = sum(g.rated for g in groups)
            attitude_n = sum(g.attitude_n for g in groups)
            rows.append(
                OnsiteRow(
                    key=key,
                    label=label,
                    jobs=jobs,
                    onsite_satisfied=sum(g.onsite_ok for g in groups),
                    callback_satisfied=sum(g.rated for g in groups if g.outcome == CallbackOutcome.SATISFIED),
                    quality_mean=sum(g.quality_sum for g in groups) / jobs,
                    attitude_mean=sum(g.attitude_sum for g in groups) / attitude_n if attitude_n else None,
                )
            )
        _prime(rows, "onsite", lambda r: (r.onsite_satisfied, r.jobs))
        _prime(rows, "callback", lambda r: (r.callback_satisfied, r.jobs))
        return rows


def _counted(key: str, label: str, groups: Iterable[_Group]) -> CallbackRow:
    """A callback row from its groups: finished, reached, satisfied, not reached, refused."""
    counts = dict.fromkeys(_CALLBACK_COUNTS, 0)
    for g in groups:
        counts["finished"] += g.count
        if g.status == CallbackStatus.DONE:
            counts["reached"] += g.count
            if g.outcome == CallbackOutcome.SATISFIED:
                counts["satisfied"] += g.count
        elif g.status == CallbackStatus.UNREACHABLE:
            counts["unreachable"] += g.count
        elif g.status == CallbackStatus.REFUSED:
            counts["refused"] += g.count
    return _callback_row(key, label, counts)


# --- the selectors ---------------------------------------------------------------------------------------------


def callback_figures(*, actor: Actor, filters: QualityFilters, visits: bool = True) -> CallbackFigures:
    """The period's callbacks read once, for several tables (the page, the API's satisfaction answer); without
    `visits`, for the satisfaction, response, month and rule-made tables only (no strata, no on-site ratings)."""
    return CallbackFigures(actor=actor, filters=filters, visits=visits)


def satisfaction_by(
    *, actor: Actor, filters: QualityFilters, figures: CallbackFigures | None = None
) -> list[CallbackRow]:
    """Sampled callbacks by the filters' breakdown: satisfaction (with n, Wilson interval, verdict) and response."""
    return (figures or callback_figures(actor=actor, filters=filters, visits=False)).satisfaction()


def _primed_callback_rows(rows: list[CallbackRow]) -> list[CallbackRow]:
    _prime(rows, "satisfaction", lambda r: (r.satisfied, r.reached))
    _prime(rows, "response", lambda r: (r.reached, r.finished))
    return rows


def satisfaction_total(rows: Iterable[CallbackRow]) -> CallbackRow:
    """All sampled callbacks of the rows together (a simple rate; the stratified estimate weighs the strata)."""
    return _total(rows)


def rule_made_by_reason(
    *, actor: Actor, filters: QualityFilters, figures: CallbackFigures | None = None
) -> list[CallbackRow]:
    """Rule-made callbacks by reason, shown apart from the sample: biased by design, so no verdict."""
    return (figures or callback_figures(actor=actor, filters=filters, visits=False)).rule_made()


def satisfaction_by_month(
    *, actor: Actor, filters: QualityFilters, figures: CallbackFigures | None = None
) -> list[MonthPoint]:
    """Sampled satisfaction for every month of the period (empty months included), for the chart."""
    return (figures or callback_figures(actor=actor, filters=filters, visits=False)).months()


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


@dataclass(frozen=True)
class JobFigures:
    """The period's completed visits the actor may read, counted once: jobs per stratum (the strata's weights)
    and, over all of them, those with a booked window and an arrival, and those arriving inside it."""

    population: list[tuple[int, int | None, int]]  # (outlet, second, jobs)
    window_due: int
    window_met: int


def job_figures(*, actor: Actor, filters: QualityFilters, stratum_kind: str) -> JobFigures:
    """One grouped query over the visits finished in the period (index `work_order_finished`)."""
    if not sees_measured_quality(actor):
        return JobFigures([], 0, 0)
    second = (
        "engineer_id" if stratum_kind == StratumKind.OUTLET_ENGINEER else "request__unit__product_model__category_id"
    )
    start, end = filters.period.bounds()
    jobs = scoped_to_actor(WorkOrder.objects.all(), actor=actor, outlet="outlet").filter(
        status=WorkOrderStatus.DONE, finished_at__gte=start, finished_at__lt=end
    )
    if filters.outlet_id is not None:
        jobs = jobs.filter(outlet_id=filters.outlet_id)
    booked = Q(window_start__isnull=False, window_end__isnull=False, arrived_at__isnull=False)
    found = (
        jobs.values("outlet_id", second)
        .annotate(
            jobs=Count("id"),
            window_due=Count("id", filter=booked),
            window_met=Count(
                "id", filter=booked & Q(arrived_at__gte=F("window_start"), arrived_at__lte=F("window_end"))
            ),
        )
        .order_by()
    )
    population, due, met = [], 0, 0
    for row in found:
        population.append((row["outlet_id"], row[second], int(row["jobs"])))
        due += int(row["window_due"])
        met += int(row["window_met"])
    return JobFigures(population, due, met)


def stratified_estimates(
    *,
    actor: Actor,
    filters: QualityFilters,
    figures: CallbackFigures | None = None,
    jobs: JobFigures | None = None,
) -> tuple[str, list[StratifiedRow]]:
    """The visible network's and each region's satisfaction, stratified as the sampling plan stratifies.

    Each stratum (outlet × engineer, or outlet × product category) weighs by its jobs completed in the period;
    its sample is the sampled callbacks reached in the period about the stratum's jobs.
    """
    kind = figures.stratum_kind if figures else _plan_strata()
    if not sees_measured_quality(actor):
        return kind, []
    figures = figures or CallbackFigures(actor=actor, filters=filters, stratum_kind=kind)
    jobs = jobs or job_figures(actor=actor, filters=filters, stratum_kind=kind)
    region_of = {
        pk: (region_id, name)
        for pk, region_id, name in Outlet.objects.filter(pk__in={row[0] for row in jobs.population}).values_list(
            "pk", "region_id", "region__name"
        )
    }
    answers = figures.sampled_strata()
    regions: dict[int, str] = {}
    strata: dict[int | None, list[Stratum]] = defaultdict(list)
    for outlet_id, second, count in jobs.population:
        n, satisfied = answers.get((outlet_id, second), (0, 0))
        stratum = Stratum(population=count, successes=satisfied, n=n)
        region_id, region_name = region_of[outlet_id]
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


def onsite_vs_callback(
    *, actor: Actor, filters: QualityFilters, figures: CallbackFigures | None = None
) -> list[OnsiteRow]:
    """For sampled reached callbacks about a rated visit: the on-site ratings beside what the customer said later."""
    return (figures or callback_figures(actor=actor, filters=filters)).onsite()


def _standard_label(key: str) -> str:
    return {
        Step.FIRST_RESPONSE: _("Answered (first response) within the limit"),
        Step.ON_SITE: _("Engineer on site within the limit"),
        Step.COMPLAINT_DISPOSITION: _("Complaint disposed within 3 working days"),
        WINDOW_STANDARD: _("Engineer arrived inside the booked window"),
    }[key]


def service_standards(*, actor: Actor, filters: QualityFilters, jobs: JobFigures | None = None) -> list[StandardRow]:
    """The measurable standards (R-G7) checked from the data: the time-limit clocks' outcomes and the visits'
    arrival inside their booked window (from `jobs` when the page has counted the visits already). Two queries."""
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
    if jobs is not None:
        window = {"due": jobs.window_due, "met": jobs.window_met}
    elif sees_measured_quality(actor):
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
    """Every table of the /quality/ page for the actor: the callbacks read once, the visits once, the clocks
    twice, the answers once, and a few lookups in small tables, whatever the data size."""
    report = QualityReport(filters=filters)
    figures = callback_figures(actor=actor, filters=filters)
    jobs = job_figures(actor=actor, filters=filters, stratum_kind=figures.stratum_kind)
    report.satisfaction = figures.satisfaction()
    report.total = satisfaction_total(report.satisfaction)
    report.months = figures.months()
    report.rule_made = figures.rule_made()
    report.stratum_kind, report.stratified = stratified_estimates(
        actor=actor, filters=filters, figures=figures, jobs=jobs
    )
    report.complaints = complaints_by(actor=actor, filters=filters)
    report.complaints_total = complaints_total(report.complaints)
    report.onsite = figures.onsite()
    report.standards = service_standards(actor=actor, filters=filters, jobs=jobs)
    report.dimensions = dimension_gaps(actor=actor, filters=filters)
    return report
