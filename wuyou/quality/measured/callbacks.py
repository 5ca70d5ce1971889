"""The period's callbacks counted once and the satisfaction, response and on-site tables built from them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from statsmodels.stats.proportion import proportion_confint

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Outlet, StaffProfile
from wuyou.accounts.selectors import scoped_to_actor
from wuyou.products.models import ProductModel
from wuyou.quality.measured.periods import (
    _FINISHED,
    Breakdown,
    Period,
    QualityFilters,
    sees_measured_quality,
)
from wuyou.quality.measured.rows import (
    CallbackRow,
    MonthPoint,
    OnsiteRow,
)
from wuyou.quality.measures import CONFIDENCE, Rate, wilson_rate
from wuyou.quality.models import (
    RULE_MADE,
    Callback,
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
    SamplingPlan,
    StratumKind,
)


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
