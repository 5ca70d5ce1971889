"""Measured quality under /api/v1/quality/ (issue 14 item 6, R-G2, R-G7): the /quality/ page's figures as JSON.

Scoped like the page: an outlet reads its own, a regional manager his region, the centre all. A caller whose role
does not read quality figures gets the same shapes with no rows (a list answer, never 403).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router

from wuyou.accounts.actors import api_actor
from wuyou.core.schemas import ObjectId
from wuyou.quality import measured
from wuyou.quality.measures import Rate
from wuyou.quality.schemas import ComplaintsOut, GapsOut, ResponseOut, SatisfactionOut

router = Router(tags=["quality"])

Month = Annotated[str | None, Query(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
BreakdownValue = Literal["outlet", "engineer", "model", "month"]


def rate_out(rate: Rate) -> dict[str, Any]:
    """A rate as the API shows it."""
    return {"successes": rate.successes, "n": rate.n, "rate": rate.point, "low": rate.low, "high": rate.high}


def _period(filters: measured.QualityFilters) -> dict[str, Any]:
    return {
        "month_from": f"{filters.period.first:%Y-%m}",
        "month_to": f"{filters.period.last:%Y-%m}",
        "outlet_id": filters.outlet_id,
        "breakdown": filters.breakdown.value,
    }


def _filters(
    month_from: str | None, month_to: str | None, outlet_id: int | None, breakdown: str | None
) -> measured.QualityFilters:
    return measured.quality_filters(
        month_from=month_from, month_to=month_to, outlet_id=outlet_id, breakdown=breakdown or ""
    )


def callback_row_out(row: measured.CallbackRow, *, with_verdict: bool = True) -> dict[str, Any]:
    """A satisfaction row; rule-made rows carry no verdict."""
    return {
        "key": row.key,
        "label": row.label,
        "finished": row.finished,
        "reached": row.reached,
        "satisfied": row.satisfied,
        "unreachable": row.unreachable,
        "refused": row.refused,
        "satisfaction": rate_out(row.satisfaction),
        "verdict": row.verdict.value if with_verdict else None,
        "response": rate_out(row.response),
    }


def response_row_out(row: measured.CallbackRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": row.label,
        "finished": row.finished,
        "reached": row.reached,
        "unreachable": row.unreachable,
        "refused": row.refused,
        "response": rate_out(row.response),
    }


def complaint_row_out(row: measured.ComplaintRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": row.label,
        "due": row.due,
        "met": row.met,
        "late": row.late,
        "overdue_open": row.overdue_open,
        "rate": rate_out(row.rate),
        "verdict": row.verdict.value,
    }


@router.get("/satisfaction", response=SatisfactionOut, summary="Sampled satisfaction with intervals and verdicts")
def satisfaction(
    request: HttpRequest,
    month_from: Month = None,
    month_to: Month = None,
    outlet_id: Annotated[ObjectId | None, Query(None)] = None,
    breakdown: Annotated[BreakdownValue | None, Query(None)] = None,
) -> dict[str, Any]:
    """Satisfied ÷ reached on sampled callbacks by outlet, engineer, model or month (target 90 %), the network's
    and each region's stratified estimate, and rule-made callbacks apart."""
    actor = api_actor(request)
    filters = _filters(month_from, month_to, outlet_id, breakdown)
    # The callbacks are read once for the rows, the strata's samples and the rule-made table.
    figures = measured.callback_figures(actor=actor, filters=filters)
    rows = figures.satisfaction()
    kind, stratified = measured.stratified_estimates(actor=actor, filters=filters, figures=figures)
    return {
        "period": _period(filters),
        "target": measured.SATISFACTION_TARGET,
        "rows": [callback_row_out(r) for r in rows],
        "total": callback_row_out(measured.satisfaction_total(rows)),
        "stratum_kind": kind,
        "stratified": [
            {
                "key": s.key,
                "label": s.label,
                "rate": s.estimate.point,
                "low": s.estimate.low,
                "high": s.estimate.high,
                "n": s.estimate.n,
                "jobs": s.estimate.population,
                "strata": s.strata,
                "verdict": s.verdict.value,
            }
            for s in stratified
        ],
        "rule_made": [callback_row_out(r, with_verdict=False) for r in figures.rule_made()],
    }


@router.get("/response-rate", response=ResponseOut, summary="Response rate of sampled callbacks")
def response_rate(
    request: HttpRequest,
    month_from: Month = None,
    month_to: Month = None,
    outlet_id: Annotated[ObjectId | None, Query(None)] = None,
    breakdown: Annotated[BreakdownValue | None, Query(None)] = None,
) -> dict[str, Any]:
    """Reached ÷ finished sampled callbacks (finished: made, not reached after every try, or refused)."""
    filters = _filters(month_from, month_to, outlet_id, breakdown)
    rows = measured.satisfaction_by(actor=api_actor(request), filters=filters)
    return {
        "period": _period(filters),
        "rows": [response_row_out(r) for r in rows],
        "total": response_row_out(measured.satisfaction_total(rows)),
    }


@router.get("/complaints", response=ComplaintsOut, summary="Complaint processing rate")
def complaints(
    request: HttpRequest,
    month_from: Month = None,
    month_to: Month = None,
    outlet_id: Annotated[ObjectId | None, Query(None)] = None,
    breakdown: Annotated[BreakdownValue | None, Query(None)] = None,
) -> dict[str, Any]:
    """Complaints disposed within their limit ÷ complaints due in the period (target 99 %); none due: no rate."""
    filters = _filters(month_from, month_to, outlet_id, breakdown)
    rows = measured.complaints_by(actor=api_actor(request), filters=filters)
    return {
        "period": _period(filters),
        "target": measured.COMPLAINT_TARGET,
        "rows": [complaint_row_out(r) for r in rows],
        "total": complaint_row_out(measured.complaints_total(rows)),
    }


@router.get("/gaps", response=GapsOut, summary="Service gaps: standards, expectation against perception")
def gaps(
    request: HttpRequest,
    month_from: Month = None,
    month_to: Month = None,
    outlet_id: Annotated[ObjectId | None, Query(None)] = None,
    breakdown: Annotated[BreakdownValue | None, Query(None)] = None,
) -> dict[str, Any]:
    """The measurable standards checked from the data, the questionnaire's expectation-vs-perception gap per
    dimension, and the on-site ratings beside the callback result for the same jobs (by the breakdown)."""
    actor = api_actor(request)
    filters = _filters(month_from, month_to, outlet_id, breakdown)
    return {
        "period": _period(filters),
        "standards": [
            {
                "key": s.key,
                "label": s.label,
                "due": s.due,
                "met": s.met,
                "target": s.target,
                "rate": rate_out(s.rate),
                "verdict": s.verdict.value,
            }
            for s in measured.service_standards(actor=actor, filters=filters)
        ],
        "dimensions": [
            {
                "dimension": d.dimension,
                "expectation": d.expectation,
                "expectation_n": d.expectation_n,
                "perception": d.perception,
                "perception_n": d.perception_n,
                "gap": d.gap,
            }
            for d in measured.dimension_gaps(actor=actor, filters=filters)
        ],
        "onsite": [
            {
                "key": o.key,
                "label": o.label,
                "jobs": o.jobs,
                "onsite_satisfied": rate_out(o.onsite),
                "callback_satisfied": rate_out(o.callback),
                "gap": o.gap,
                "quality_mean": o.quality_mean,
                "attitude_mean": o.attitude_mean,
            }
            for o in measured.onsite_vs_callback(actor=actor, filters=filters)
        ],
    }
