"""Strata, complaints, service standards and gaps over the network's visits and clocks, and the whole report."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Outlet
from wuyou.accounts.selectors import scoped_to_actor
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.quality.measured.callbacks import (
    _CLOCK_KEYS,
    CallbackFigures,
    _grouped,
    _plan_strata,
    _prime,
    callback_figures,
    satisfaction_total,
)
from wuyou.quality.measured.periods import (
    STANDARD_TARGETS,
    WINDOW_STANDARD,
    WINDOW_TARGET,
    QualityFilters,
    sees_measured_quality,
)
from wuyou.quality.measured.rows import (
    ComplaintRow,
    DimensionGap,
    OnsiteRow,
    QualityReport,
    StandardRow,
    StratifiedRow,
)
from wuyou.quality.measures import Stratum, stratified_rate
from wuyou.quality.models import (
    CallbackAnswer,
    CallbackReason,
    CallbackStatus,
    GapRole,
    StratumKind,
)
from wuyou.tickets.models import ClockOutcome, RequestClock, Step


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
