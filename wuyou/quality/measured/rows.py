"""The rows the quality page and its API show: callbacks, complaints, on-site ratings, strata, standards, gaps."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from wuyou.quality.measured.periods import (
    COMPLAINT_TARGET,
    SATISFACTION_TARGET,
    QualityFilters,
)
from wuyou.quality.measures import Estimate, Rate, Verdict, wilson_rate
from wuyou.quality.models import (
    StratumKind,
)


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
