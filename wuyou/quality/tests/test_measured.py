"""Measured quality (issue 14 item 6): R-G2 satisfaction from sampled callbacks with Wilson intervals and verdicts,
the stratified estimate, R-G3 complaint processing, R-G7 service gaps, and scope (an outlet sees its own only)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import CustomerFactory, ProductModelFactory, UnitFactory
from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Outlet, Role, StaffProfile
from wuyou.core.errors import ValidationFailed
from wuyou.dispatch.models import WorkOrder
from wuyou.products.models import ProductModel
from wuyou.quality import measured
from wuyou.quality.measured import Breakdown, CallbackRow, ComplaintRow, Period, QualityFilters
from wuyou.quality.measures import Verdict
from wuyou.quality.models import (
    Callback,
    CallbackAnswer,
    GapRole,
    Question,
    Questionnaire,
    QuestionnaireVersion,
    SamplingPlan,
)
from wuyou.tickets.models import RequestClock, ServiceRequest

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 20, 10, 0, tzinfo=SHANGHAI)
QUARTER = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 1))


def day(month: int, dd: int = 10, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, dd, hour, 0, tzinfo=SHANGHAI)


@dataclass
class QualityWorld:
    """Builds callbacks, visits and clocks directly (reads under test); a customer and unit per outlet and model."""

    network: object
    _units: dict[tuple[int, int], object] = field(default_factory=dict)
    model: ProductModel | None = None

    def actor(self, staff: StaffProfile) -> Actor:
        return self.network.actor(staff)  # type: ignore[attr-defined]

    def _unit(self, outlet: Outlet, model: ProductModel | None) -> object:
        model = model or self.model
        assert model is not None
        key = (outlet.pk, model.pk)
        if key not in self._units:
            self._units[key] = UnitFactory(owner=CustomerFactory(outlet=outlet), product_model=model)
        return self._units[key]

    def requests(self, outlet: Outlet, count: int, *, model: ProductModel | None = None, call_type: str = "repair"):
        unit = self._unit(outlet, model)
        return ServiceRequest.objects.bulk_create(
            [
                ServiceRequest(call_type=call_type, customer=unit.owner, unit=unit, outlet=outlet)  # type: ignore[attr-defined,misc]
                for _ in range(count)
            ]
        )

    def visits(
        self,
        outlet: Outlet,
        engineer: StaffProfile | None,
        count: int,
        *,
        finished: dt.datetime,
        model: ProductModel | None = None,
        quality_rating: int | None = None,
        window: tuple[dt.datetime, dt.datetime] | None = None,
        arrived: dt.datetime | None = None,
    ) -> list[WorkOrder]:
        """`count` completed visits of the outlet's engineer, each with its own request."""
        requests = self.requests(outlet, count, model=model)
        return WorkOrder.objects.bulk_create(
            [
                WorkOrder(
                    request=sr,
                    outlet=outlet,
                    job_type="repair",
                    status="done",
                    duration_minutes=60,
                    address_text="香港中路10号",
                    latitude=36.06,
                    longitude=120.38,
                    engineer=engineer,
                    finished_at=finished,
                    quality_rating=quality_rating,
                    attitude_rating=quality_rating,
                    window_start=window[0] if window else None,
                    window_end=window[1] if window else None,
                    arrived_at=arrived,
                )
                for sr in requests
            ]
        )

    def callbacks(
        self,
        outlet: Outlet,
        engineer: StaffProfile | None = None,
        *,
        satisfied: int = 0,
        unsatisfied: int = 0,
        unreachable: int = 0,
        refused: int = 0,
        reason: str = "sample",
        done_at: dt.datetime | None = None,
        visits: list[WorkOrder] | None = None,
        model: ProductModel | None = None,
        quality_rating: int | None = None,
    ) -> list[Callback]:
        """Finished callbacks, each about its own completed visit (the sample draws a visit once)."""
        done_at = done_at or day(3)
        outcomes = (
            [("done", "satisfied")] * satisfied
            + [("done", "unsatisfied")] * unsatisfied
            + [("unreachable", "no_answer")] * unreachable
            + [("refused", "refused")] * refused
        )
        if visits is None:
            visits = self.visits(
                outlet,
                engineer,
                len(outcomes),
                finished=done_at - dt.timedelta(days=1),
                model=model,
                quality_rating=quality_rating,
            )
        assert len(visits) >= len(outcomes)
        return Callback.objects.bulk_create(
            [
                Callback(
                    request_id=visit.request_id,
                    work_order=visit,
                    reason=reason,
                    due_at=done_at - dt.timedelta(hours=2),
                    call_at=done_at - dt.timedelta(hours=2),
                    status=status,
                    outcome=outcome,
                    done_at=done_at,
                    attempts=1,
                )
                for visit, (status, outcome) in zip(visits, outcomes, strict=False)
            ]
        )

    def clock(
        self,
        outlet: Outlet,
        *,
        step: str = "complaint_disposition",
        due: dt.datetime,
        outcome: str = "",
        model: ProductModel | None = None,
    ) -> RequestClock:
        (sr,) = self.requests(outlet, 1, model=model, call_type="complaint")
        return RequestClock.objects.create(
            request=sr,
            step=step,
            unit="working_days",
            chain=["responsible"],
            state="stopped" if outcome else "running",
            outcome=outcome,
            started_at=due - dt.timedelta(days=3),
            warn_at=due - dt.timedelta(days=1),
            due_at=due,
            escalate_seconds=3600,
        )


@pytest.fixture
def world(network):
    with time_machine.travel(NOW, tick=False):
        yield QualityWorld(network=network, model=ProductModelFactory())


def filters(**kw: object) -> QualityFilters:
    return QualityFilters(period=kw.pop("period", QUARTER), **kw)  # type: ignore[arg-type]


# --- R-G2: rates, intervals and verdicts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("satisfied", "reached", "low", "high", "verdict"),
    [
        # Published Wilson 95 % values (Newcombe 1998; Brown, Cai & DasGupta 2001): 9 of 10 → 0.596–0.982.
        (9, 10, 0.596, 0.982, Verdict.UNDECIDED),
        (290, 300, 0.940, 0.982, Verdict.MET),  # the whole interval above 90 %
        (70, 100, 0.604, 0.781, Verdict.BELOW),  # the whole interval below 90 %
        (45, 50, 0.786, 0.957, Verdict.UNDECIDED),  # 90 % on the nose, n too small to tell
    ],
)
def test_r_g2_satisfaction_row_has_wilson_interval_and_verdict(satisfied, reached, low, high, verdict):
    row = CallbackRow("a", "A", finished=reached, reached=reached, satisfied=satisfied, unreachable=0, refused=0)
    assert row.satisfaction.low == pytest.approx(low, abs=5e-4)
    assert row.satisfaction.high == pytest.approx(high, abs=5e-4)
    assert row.verdict is verdict


def test_r_g2_nobody_reached_is_no_rate_and_not_decidable():
    row = CallbackRow("a", "A", finished=3, reached=0, satisfied=0, unreachable=3, refused=0)
    assert (row.satisfaction.point, row.satisfaction.low, row.verdict) == (None, None, Verdict.UNDECIDED)
    assert row.response.point == 0


def test_r_g2_satisfaction_counts_sampled_callbacks_only_and_shows_rule_made_apart(world, network):
    world.callbacks(network.outlet_a, network.engineer_a, satisfied=9, unsatisfied=1, unreachable=2, refused=1)
    world.callbacks(network.outlet_a, network.engineer_a, unsatisfied=3, reason="onsite_unsatisfied")
    world.callbacks(network.outlet_a, network.engineer_a, satisfied=2, reason="phone_guidance")
    manager = world.actor(network.manager)
    (row,) = measured.satisfaction_by(actor=manager, filters=filters())
    assert (row.label, row.reached, row.satisfied, row.finished) == (network.outlet_a.name, 10, 9, 13)
    assert (round(row.satisfaction.low, 3), round(row.satisfaction.high, 3)) == (0.596, 0.982)
    assert row.response.point == pytest.approx(10 / 13)
    rule_made = {
        r.key: (r.reached, r.satisfied) for r in measured.rule_made_by_reason(actor=manager, filters=filters())
    }
    assert rule_made == {"onsite_unsatisfied": (3, 0), "phone_guidance": (2, 2)}


def test_r_g2_breakdowns_by_engineer_model_and_month(world, network):
    other_model = ProductModelFactory()
    world.callbacks(network.outlet_a, network.engineer_a, satisfied=4, done_at=day(1))
    world.callbacks(
        network.outlet_a, network.engineer_a2, satisfied=1, unsatisfied=1, done_at=day(3), model=other_model
    )
    world.callbacks(network.outlet_a, network.engineer_a, satisfied=5, done_at=day(12, 5))  # outside the quarter
    manager = world.actor(network.manager)
    by_engineer = measured.satisfaction_by(actor=manager, filters=filters(breakdown=Breakdown.ENGINEER))
    assert {(r.label, r.reached, r.satisfied) for r in by_engineer} == {("engineer_a", 4, 4), ("engineer_a2", 2, 1)}
    by_model = measured.satisfaction_by(actor=manager, filters=filters(breakdown=Breakdown.MODEL))
    assert {(r.label, r.reached) for r in by_model} == {(world.model.code, 4), (other_model.code, 2)}
    months = measured.satisfaction_by_month(actor=manager, filters=filters())
    assert [(p.month, p.rate.n) for p in months] == [("2026-01", 4), ("2026-02", 0), ("2026-03", 2)]
    assert months[1].rate.point is None  # an empty month has no rate, it is not 0 %


def test_r_g2_stratified_estimate_against_a_hand_computation(world, network):
    """Strata outlet × engineer weighted by completed jobs: A×a 100 jobs 8/10, A×a2 300 jobs 18/20, B×b 50 jobs 5/10."""
    SamplingPlan.objects.create(organisation=network.outlet_a.region.organisation, strata="outlet_engineer")
    plan = [
        (network.outlet_a, network.engineer_a, 100, 8, 10),
        (network.outlet_a, network.engineer_a2, 300, 18, 20),
        (network.outlet_b, network.engineer_b, 50, 5, 10),
    ]
    for outlet, engineer, jobs, satisfied, n in plan:
        visits = world.visits(outlet, engineer, jobs, finished=day(2))
        world.callbacks(outlet, engineer, satisfied=satisfied, unsatisfied=n - satisfied, visits=visits[:n])
    _kind, rows = measured.stratified_estimates(actor=world.actor(network.manager), filters=filters())
    by_label = {r.label: r for r in rows}

    def hand(strata):
        total = sum(N for N, _s, _n in strata)
        point = sum(N / total * s / n for N, s, n in strata)
        var = sum((N / total) ** 2 * (s / n) * (1 - s / n) / n * (1 - n / N) for N, s, n in strata)
        return point, point - 1.959964 * math.sqrt(var), point + 1.959964 * math.sqrt(var)

    # The network's row comes first, keyed "" (its label is translated: the test reads it by key).
    assert rows[0].key == ""
    everyone = rows[0].estimate
    point, low, high = hand([(100, 8, 10), (300, 18, 20), (50, 5, 10)])
    assert point == pytest.approx(375 / 450)
    assert (everyone.point, everyone.low, everyone.high) == pytest.approx((point, low, high), abs=1e-6)
    assert (everyone.n, everyone.population) == (40, 450)
    north = by_label[network.outlet_a.region.name].estimate
    assert north.point == pytest.approx((100 * 0.8 + 300 * 0.9) / 400)
    # The regional manager of the north sees his region alone.
    _kind, regional = measured.stratified_estimates(actor=world.actor(network.regional_manager), filters=filters())
    assert [r.key for r in regional] == ["", str(network.outlet_a.region.pk)]
    assert regional[0].estimate.point == pytest.approx(north.point)


# --- R-G3: complaint processing ---------------------------------------------------------------------------------


def test_r_g3_no_complaint_due_is_no_rate_not_100_percent(world, network):
    world.clock(network.outlet_a, due=day(3, 25), outcome="")  # due after now: not due yet, may still be met
    rows = measured.complaints_by(actor=world.actor(network.manager), filters=filters())
    total = measured.complaints_total(rows)
    assert rows == [] and total.due == 0
    assert (total.rate.point, total.rate.low, total.verdict) == (None, None, Verdict.UNDECIDED)


@pytest.mark.parametrize(
    ("clocks", "due", "met"),
    [
        ([("met", 2)], 1, 1),
        ([("met", 2), ("missed", 2), ("met", 1)], 3, 2),
        ([("met", 2), ("", 2)], 2, 1),  # still open past its limit: due and not met
        ([("met", 2), ("moot", 2)], 1, 1),  # not needed (request withdrawn): not due
        ([("met", 2), ("met", 12)], 1, 1),  # due outside the period (last December)
        ([("", 3)], 1, 0),  # due this morning and still open: due, not met
    ],
)
def test_r_g3_complaint_rate_counts_complaints_due_in_the_period(world, network, clocks, due, met):
    for outcome, month in clocks:
        when = day(month, 19) if month == 3 else (day(12) - dt.timedelta(days=365) if month == 12 else day(month))
        world.clock(network.outlet_a, due=when, outcome=outcome)
    total = measured.complaints_total(measured.complaints_by(actor=world.actor(network.manager), filters=filters()))
    assert (total.due, total.met) == (due, met)
    assert total.rate.point == pytest.approx(met / due)


def test_r_g3_complaint_verdict_against_99_percent():
    assert ComplaintRow("", "", due=500, met=499, late=1, overdue_open=0).verdict is Verdict.UNDECIDED
    assert ComplaintRow("", "", due=100, met=90, late=10, overdue_open=0).verdict is Verdict.BELOW
    assert ComplaintRow("", "", due=1000, met=1000, late=0, overdue_open=0).verdict is Verdict.MET


# --- R-G7: service gaps -----------------------------------------------------------------------------------------


def test_r_g7_standards_checked_from_clocks_and_visit_windows(world, network):
    world.clock(network.outlet_a, step="first_response", due=day(2), outcome="met")
    world.clock(network.outlet_a, step="first_response", due=day(2), outcome="missed")
    window = (day(2, 10, 9), day(2, 10, 11))
    world.visits(
        network.outlet_a, network.engineer_a, 3, finished=day(2, 10, 12), window=window, arrived=day(2, 10, 10)
    )
    world.visits(
        network.outlet_a, network.engineer_a, 1, finished=day(2, 10, 13), window=window, arrived=day(2, 10, 12)
    )
    rows = {r.key: r for r in measured.service_standards(actor=world.actor(network.manager), filters=filters())}
    assert (rows["first_response"].due, rows["first_response"].met) == (2, 1)
    assert (rows["on_site_in_window"].due, rows["on_site_in_window"].met) == (4, 3)
    assert rows["complaint_disposition"].due == 0 and rows["complaint_disposition"].rate.point is None


def test_r_g7_expectation_against_perception_per_dimension(world, network):
    questionnaire = Questionnaire.objects.create(code="std", name="标准回访")
    version = QuestionnaireVersion.objects.create(questionnaire=questionnaire, number=1, satisfied_code="overall")
    expect = Question.objects.create(
        version=version,
        position=1,
        code="expect-time",
        text="您期望多快上门？",
        kind="rating",
        dimension="punctuality",
        gap_role=GapRole.EXPECTATION,
    )
    perceive = Question.objects.create(
        version=version,
        position=2,
        code="felt-time",
        text="实际上门速度？",
        kind="rating",
        dimension="punctuality",
        gap_role=GapRole.PERCEPTION,
    )
    sampled = world.callbacks(network.outlet_a, network.engineer_a, satisfied=2)
    rule_made = world.callbacks(network.outlet_a, network.engineer_a, satisfied=1, reason="uncertain_repair")
    for callback, (e, p) in zip([*sampled, *rule_made], [(5, 4), (5, 3), (1, 5)], strict=True):
        CallbackAnswer.objects.create(callback=callback, question=expect, value=str(e), rating=e)
        CallbackAnswer.objects.create(callback=callback, question=perceive, value=str(p), rating=p)
    (gap,) = measured.dimension_gaps(actor=world.actor(network.manager), filters=filters())
    assert (gap.dimension, gap.expectation, gap.perception, gap.expectation_n) == ("punctuality", 5.0, 3.5, 2)
    assert gap.gap == pytest.approx(-1.5)


def test_onsite_rating_beside_the_callback_for_the_same_jobs(world, network):
    world.callbacks(network.outlet_a, network.engineer_a, satisfied=6, unsatisfied=4, quality_rating=5)
    (row,) = measured.onsite_vs_callback(
        actor=world.actor(network.manager), filters=filters(breakdown=Breakdown.ENGINEER)
    )
    assert (row.label, row.jobs, row.onsite.point, row.callback.point) == ("engineer_a", 10, 1.0, 0.6)
    assert row.gap == pytest.approx(0.4) and row.quality_mean == 5.0


# --- scope --------------------------------------------------------------------------------------------------------


def test_outlet_a_never_sees_outlet_b_numbers(world, network):
    world.callbacks(network.outlet_a, network.engineer_a, satisfied=3)
    world.callbacks(network.outlet_b, network.engineer_b, satisfied=7, unsatisfied=1)
    world.clock(network.outlet_b, due=day(2), outcome="missed")
    a_manager = world.actor(network.outlet_manager_a)
    rows = measured.satisfaction_by(actor=a_manager, filters=filters())
    assert [(r.label, r.reached) for r in rows] == [(network.outlet_a.name, 3)]
    # Asking for B by id gives nothing, not B's figures.
    assert measured.satisfaction_by(actor=a_manager, filters=filters(outlet_id=network.outlet_b.pk)) == []
    assert measured.complaints_by(actor=a_manager, filters=filters()) == []
    report = measured.quality_report(actor=a_manager, filters=filters())
    assert report.stratified[0].estimate.n == 3
    everyone = measured.satisfaction_by(actor=world.actor(network.manager), filters=filters())
    assert sorted(r.reached for r in everyone) == [3, 8]


@pytest.mark.parametrize("who", ["engineer_a", "clerk_a", "sales_rep_a", "hq_clerk"])
def test_roles_that_do_not_read_quality_get_nothing(world, network, who):
    world.callbacks(network.outlet_a, network.engineer_a, satisfied=3)
    world.clock(network.outlet_a, due=day(2), outcome="met")
    actor = world.actor(getattr(network, who))
    report = measured.quality_report(actor=actor, filters=filters())
    assert report.satisfaction == [] and report.complaints == [] and report.stratified == []
    assert all(s.due == 0 for s in report.standards)


@pytest.mark.parametrize(
    ("role", "outlet_id", "region_id", "reads"),
    [
        (Role.SERVICE_MANAGER, None, None, True),
        (Role.FOLLOW_UP, 1, None, True),
        (Role.OUTLET_MANAGER, 1, None, True),
        (Role.REGIONAL_MANAGER, None, 1, True),
        (Role.REGIONAL_MANAGER, None, None, False),  # no region: no scope
        (Role.ADMIN, None, None, True),
        (Role.CLERK, 1, None, False),
        (Role.ENGINEER, 1, None, False),
        (None, None, None, False),
    ],
)
def test_who_reads_measured_quality(role, outlet_id, region_id, reads):
    actor = Actor(user_id=1, role=role, outlet_id=outlet_id, region_id=region_id)
    assert measured.sees_measured_quality(actor) is reads


# --- bad input ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "field_at_fault"),
    [
        ({"month_from": "2026-13"}, "month_from"),
        ({"month_to": "March"}, "month_to"),
        ({"month_from": "2026-04", "month_to": "2026-03"}, "month_from"),
        ({"month_from": "2020-01", "month_to": "2026-03"}, "month_from"),  # more than 36 months
        ({"breakdown": "colour"}, "breakdown"),
    ],
)
def test_bad_filters_name_the_field(given, field_at_fault):
    with pytest.raises(ValidationFailed) as caught:
        measured.quality_filters(**given)
    assert field_at_fault in caught.value.errors


def test_default_period_is_the_quarter_to_date():
    with time_machine.travel(NOW, tick=False):
        chosen = measured.quality_filters()
    assert (chosen.period, chosen.breakdown) == (QUARTER, Breakdown.OUTLET)
    assert [f"{m:%Y-%m}" for m in chosen.period.months] == ["2026-01", "2026-02", "2026-03"]


def test_r_g2_batched_intervals_equal_one_at_a_time():
    """The page computes its intervals in one vectorised call; each equals wilson_rate's (published values too)."""
    from wuyou.quality.measures import wilson_rate

    pairs = [(9, 10), (0, 0), (0, 5), (5, 5), (290, 300), (1, 1), (70, 100), (0, 1)]
    for batched, (successes, n) in zip(measured.wilson_rates(pairs), pairs, strict=True):
        single = wilson_rate(successes, n)
        assert (batched.successes, batched.n) == (single.successes, single.n)
        assert batched.low == pytest.approx(single.low) and batched.high == pytest.approx(single.high)
    assert measured.wilson_rates([]) == []
