"""API shapes of measured quality under /api/v1/quality/ (issue 14 item 6): rates with n, interval and verdict."""

from __future__ import annotations

from ninja import Schema


class PeriodOut(Schema):
    """The months the figures cover (first and last, YYYY-MM) and how the rows are cut."""

    month_from: str
    month_to: str
    outlet_id: int | None
    breakdown: str


class RateOut(Schema):
    """A rate: successes of n, the point estimate and its Wilson 95 % interval (null when n is 0)."""

    successes: int
    n: int
    rate: float | None
    low: float | None
    high: float | None


class SatisfactionRowOut(Schema):
    """One row of sampled (or rule-made) callbacks: satisfaction against the target, and the response rate."""

    key: str
    label: str
    finished: int
    reached: int
    satisfied: int
    unreachable: int
    refused: int
    satisfaction: RateOut
    verdict: str | None  # null for rule-made rows: biased, not measured against the target
    response: RateOut


class EstimateOut(Schema):
    """A stratified estimate with its normal-approximation 95 % interval."""

    key: str
    label: str
    rate: float | None
    low: float | None
    high: float | None
    n: int
    jobs: int
    strata: int
    verdict: str


class SatisfactionOut(Schema):
    """Sampled satisfaction by the breakdown, all together, the stratified estimates and rule-made apart."""

    period: PeriodOut
    target: float
    rows: list[SatisfactionRowOut]
    total: SatisfactionRowOut
    stratum_kind: str
    stratified: list[EstimateOut]
    rule_made: list[SatisfactionRowOut]


class ResponseRowOut(Schema):
    """The response rate of sampled callbacks: reached ÷ finished."""

    key: str
    label: str
    finished: int
    reached: int
    unreachable: int
    refused: int
    response: RateOut


class ResponseOut(Schema):
    period: PeriodOut
    rows: list[ResponseRowOut]
    total: ResponseRowOut


class ComplaintRowOut(Schema):
    """Complaints due: disposed within the limit, late, still open past it; the rate (null when none was due)."""

    key: str
    label: str
    due: int
    met: int
    late: int
    overdue_open: int
    rate: RateOut
    verdict: str


class ComplaintsOut(Schema):
    period: PeriodOut
    target: float
    rows: list[ComplaintRowOut]
    total: ComplaintRowOut


class OnsiteRowOut(Schema):
    """On-site ratings beside the callback result for the same jobs."""

    key: str
    label: str
    jobs: int
    onsite_satisfied: RateOut
    callback_satisfied: RateOut
    gap: float | None
    quality_mean: float | None
    attitude_mean: float | None


class StandardOut(Schema):
    """A measurable service standard checked from the data."""

    key: str
    label: str
    due: int
    met: int
    target: float
    rate: RateOut
    verdict: str


class DimensionGapOut(Schema):
    """Expectation against perception (mean ratings 1–5) on one dimension; gap = perception − expectation."""

    dimension: str
    expectation: float | None
    expectation_n: int
    perception: float | None
    perception_n: int
    gap: float | None


class GapsOut(Schema):
    period: PeriodOut
    standards: list[StandardOut]
    dimensions: list[DimensionGapOut]
    onsite: list[OnsiteRowOut]
