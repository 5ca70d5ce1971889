"""R-G2 (issue 14 item 5): the sampling plan and the daily reproducible draw of jobs to call back.

Given yesterday's completed jobs, the draw takes each stratum at its rate, tops every engineer up to his monthly
minimum, leaves out (with a reason) whoever may not or should not be called, records seed and population so the
draw can be redone, schedules one SAMPLE callback per drawn job with its clock, and happens once however many
sweepers run.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from tests.concurrency import postgresql_only, run_together
from tests.factories import CategoryFactory, CustomerFactory, ProductModelFactory, RequestFactory, UnitFactory
from wuyou.accounts.selectors import calendar_for_outlet
from wuyou.customers.models import ContactWindow
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.quality import sampling
from wuyou.quality.admin.sampling import SamplingPlanForm, SamplingRateForm, strata_needs_of
from wuyou.quality.models import Callback, CallbackReason, CallbackStatus, SampleDraw, SamplingPlan, SamplingRate
from wuyou.quality.sampling import OUTLET_CATEGORY, OUTLET_ENGINEER, Job, RateRow
from wuyou.quality.services.sampling import (
    LeftOut,
    sampling_draw_day,
    sampling_draw_redo,
    sampling_draws_due,
)
from wuyou.quality.services.scheduling import placed_at
from wuyou.tickets.models import ClockState, RequestClock, RequestEvent, Status

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 3, 2)  # a Monday; the draw runs on Tuesday morning
MORNING = dt.datetime(2026, 3, 3, 7, 0, tzinfo=SHANGHAI)


# ---------------------------------------------------------------------------------------------------------------
# Pure rules
# ---------------------------------------------------------------------------------------------------------------

ROWS = [
    RateRow(outlet_id=1, engineer_id=None, category_id=None, rate=Decimal(50)),
    RateRow(outlet_id=1, engineer_id=7, category_id=None, rate=Decimal(100)),
    RateRow(outlet_id=1, engineer_id=None, category_id=3, rate=Decimal(5)),
    RateRow(outlet_id=2, engineer_id=None, category_id=3, rate=Decimal(30)),
]


@pytest.mark.parametrize(
    ("kind", "job", "key", "rate"),
    [
        # R-G2: the engineer's (or category's) row beats the outlet's row, which beats the plan's default (20 %).
        (OUTLET_ENGINEER, Job(1, 1, 7, 3), "1/7", 1.0),
        (OUTLET_ENGINEER, Job(2, 1, 8, 3), "1/8", 0.5),
        (OUTLET_ENGINEER, Job(3, 2, 8, 3), "2/8", 0.2),
        (OUTLET_ENGINEER, Job(4, 1, None, None), "1/-", 0.5),
        (OUTLET_CATEGORY, Job(5, 1, 7, 3), "1/3", 0.05),
        (OUTLET_CATEGORY, Job(6, 1, 7, 4), "1/4", 0.5),
        (OUTLET_CATEGORY, Job(7, 2, 7, 3), "2/3", 0.3),
        (OUTLET_CATEGORY, Job(8, 3, 7, None), "3/-", 0.2),
    ],
)
def test_rate_of_a_stratum(kind, job, key, rate):
    assert sampling.stratum_key(kind, job) == key
    assert sampling.stratum_rate(key, sampling.rates_table(kind, ROWS), 0.2) == pytest.approx(rate)


@pytest.mark.parametrize(
    ("minimum", "day", "length", "drawn", "owed"),
    [
        (10, 1, 31, 0, 1),  # R-G2: a monthly minimum of 10 is spread pro rata: one is due on the 1st
        (10, 15, 30, 3, 2),  # five due by the 15th of 30 days, three already drawn
        (10, 15, 30, 9, 0),  # ahead of the pace: nothing owed, never negative
        (10, 30, 30, 7, 3),  # the last day catches up to the full minimum
        (0, 20, 30, 0, 0),  # no minimum
        (31, 31, 31, 0, 31),
    ],
)
def test_minimum_per_engineer_per_month(minimum, day, length, drawn, owed):
    assert sampling.minimum_due_today(minimum, day_of_month=day, days_in_month=length, drawn_this_month=drawn) == owed


@pytest.mark.parametrize(
    ("jobs", "margin", "expected", "needed"),
    [
        # R-G2: n0 = 1.96² × 0.9 × 0.1 / 0.05² = 138.3, reduced for a finite population n = n0 / (1 + (n0 − 1) / N)
        (100_000, 0.05, 0.9, 139),
        (1000, 0.05, 0.9, 122),
        (100, 0.05, 0.9, 59),
        (10, 0.05, 0.9, 10),
        (1000, 0.03, 0.9, 278),
        (1000, 0.05, 0.5, 278),
        (0, 0.05, 0.9, 0),
    ],
)
def test_sample_size_per_stratum(jobs, margin, expected, needed):
    need = sampling.stratum_need("1/7", jobs=jobs, rate=0.2, margin=margin, expected=expected)
    assert need.needed == needed
    assert need.needed_per_day == pytest.approx(needed / 30)
    assert need.planned_per_day == pytest.approx(0.2 * jobs / 30)


def test_stratum_need_says_whether_the_rate_reaches_the_margin():
    assert not sampling.stratum_need("1/7", jobs=300, rate=0.2, margin=0.05, expected=0.9).enough  # 60 < 99
    assert sampling.stratum_need("1/7", jobs=300, rate=0.4, margin=0.05, expected=0.9).enough  # 120 ≥ 99


JOBS = [Job(i, 1 + i % 3, 10 + i % 7, 20 + i % 2) for i in range(1, 501)]


def test_the_draw_is_reproducible_from_its_seed():
    # R-G2: the same population, settings and seed give the same draw, whatever order the jobs come in.
    table = sampling.rates_table(OUTLET_ENGINEER, ROWS)
    first = sampling.draw_jobs(JOBS, kind=OUTLET_ENGINEER, rates=table, default_rate=0.2, seed=42)
    shuffled = random.Random(1).sample(JOBS, len(JOBS))
    again = sampling.draw_jobs(shuffled, kind=OUTLET_ENGINEER, rates=table, default_rate=0.2, seed=42)
    other = sampling.draw_jobs(JOBS, kind=OUTLET_ENGINEER, rates=table, default_rate=0.2, seed=43)
    assert first.drawn == again.drawn and first.strata == again.strata
    assert first.drawn != other.drawn
    assert first.drawn == sorted(set(first.drawn))


@pytest.mark.parametrize("rate", [0.0, 0.05, 0.2, 0.5, 1.0])
def test_each_stratum_is_drawn_at_its_rate_on_average(rate):
    # R-G2: sizes are rounded at random, so a 20 % stratum of 3 jobs a day gives 20 % over a month, not 33 %.
    small = [Job(i, 1, 5, None) for i in range(1, 4)]
    total = sum(
        len(sampling.draw_jobs(small, kind=OUTLET_ENGINEER, rates={}, default_rate=rate, seed=s).drawn)
        for s in range(2000)
    )
    assert total / (2000 * len(small)) == pytest.approx(rate, abs=0.02)


def test_the_minimum_tops_each_engineer_up():
    # R-G2: at a 0 % rate, engineer 10 is owed 3 and engineer 11 owed 50 (more than he has: all of his).
    result = sampling.draw_jobs(
        JOBS, kind=OUTLET_CATEGORY, rates={}, default_rate=0.0, seed=7, minimum_owed={10: 3, 11: 500}
    )
    engineer = {j.id: j.engineer_id for j in JOBS}
    assert sum(1 for i in result.drawn if engineer[i] == 10) == 3
    assert sum(1 for i in result.drawn if engineer[i] == 11) == sum(1 for j in JOBS if j.engineer_id == 11)
    assert sum(took for _had, took in result.strata.values()) == len(result.drawn)


@pytest.mark.parametrize(
    ("rule", "value", "refused"),
    [
        (sampling.rate_error, Decimal(0), False),
        (sampling.rate_error, Decimal(100), False),
        (sampling.rate_error, Decimal("100.01"), True),
        (sampling.rate_error, Decimal(-1), True),
        (sampling.rate_error, None, True),
        (sampling.margin_error, Decimal(0), True),
        (sampling.margin_error, Decimal("0.1"), False),
        (sampling.margin_error, Decimal(50), True),
        (sampling.expected_error, Decimal(100), True),
        (sampling.expected_error, Decimal(90), False),
    ],
)
def test_bad_rates_and_margins_are_refused(rule, value, refused):
    assert (rule(value) is not None) is refused


# ---------------------------------------------------------------------------------------------------------------
# The daily draw
# ---------------------------------------------------------------------------------------------------------------


def completed_job(outlet, engineer, *, finished: dt.datetime, customer=None, status=Status.RESOLVED, category=None):
    """A DONE visit finished at `finished` on a request in `status` (built directly: the draw is under test)."""
    customer = customer or CustomerFactory(outlet=outlet)
    model = ProductModelFactory(category=category) if category else ProductModelFactory()
    unit = UnitFactory(owner=customer, product_model=model)
    request = RequestFactory(customer=customer, outlet=outlet, unit=unit, status=status)
    return WorkOrder.objects.create(
        request=request,
        outlet=outlet,
        engineer=engineer,
        job_type="repair",
        status=WorkOrderStatus.DONE,
        duration_minutes=60,
        address_text="青岛市市南区香港中路10号",
        latitude=Decimal("36.06"),
        longitude=Decimal("120.38"),
        finished_at=finished,
        number=f"WO{request.pk:08d}",
    )


@pytest.fixture
def plan(network):
    organisation = network.outlet_a.region.organisation
    return SamplingPlan.objects.create(
        organisation=organisation, default_rate=Decimal(100), minimum_per_engineer_month=0
    )


def at_day(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def test_every_completed_job_is_drawn_or_left_out_with_a_reason(network, plan):
    # R-G2: consent, anonymisation, survey fatigue, a rule-made callback, an open request: each left out, with why.
    a, eng = network.outlet_a, network.engineer_a
    fine = completed_job(a, eng, finished=at_day(10))
    no_consent = completed_job(
        a, eng, finished=at_day(11), customer=CustomerFactory(outlet=a, consent_service_calls=False)
    )
    anonymised = completed_job(
        a, eng, finished=at_day(11), customer=CustomerFactory(outlet=a, anonymised_at=timezone.now())
    )
    still_open = completed_job(a, eng, finished=at_day(12), status=Status.IN_PROGRESS)
    closed = completed_job(a, eng, finished=at_day(23, 59), status=Status.CLOSED)
    tired_customer = CustomerFactory(outlet=a)
    tired = completed_job(a, eng, finished=at_day(13), customer=tired_customer)
    earlier = RequestFactory(customer=tired_customer, outlet=a)
    Callback.objects.create(
        request=earlier,
        reason=CallbackReason.PHONE_GUIDANCE,
        due_at=MORNING - dt.timedelta(days=20),
        call_at=MORNING - dt.timedelta(days=20),
        status=CallbackStatus.DONE,
        outcome="satisfied",
        done_at=MORNING - dt.timedelta(days=20),
    )
    rule_made = completed_job(a, eng, finished=at_day(14))
    Callback.objects.create(
        request=rule_made.request,
        work_order=rule_made,
        reason=CallbackReason.UNCERTAIN_REPAIR,
        due_at=at_day(17),
        call_at=at_day(17),
        status=CallbackStatus.DONE,
        outcome="satisfied",
        done_at=at_day(17),
    )
    twice = CustomerFactory(outlet=a)
    first_of_two = completed_job(a, eng, finished=at_day(9), customer=twice)
    second_of_two = completed_job(a, eng, finished=at_day(15), customer=twice)
    completed_job(a, eng, finished=at_day(0) - dt.timedelta(minutes=1))  # Sunday night: another day's draw
    completed_job(a, eng, finished=at_day(0, day=DAY + dt.timedelta(days=1)))

    draw = sampling_draw_day(day=DAY, now=MORNING)

    assert draw is not None
    assert draw.left_out == {
        str(no_consent.pk): LeftOut.NO_CONSENT,
        str(anonymised.pk): LeftOut.NO_CONSENT,
        str(still_open.pk): LeftOut.REQUEST_OPEN,
        str(tired.pk): LeftOut.FATIGUE,
        str(rule_made.pk): LeftOut.RULE_CALLBACK,
        str(second_of_two.pk): LeftOut.SAME_CUSTOMER,
    }
    assert sorted(row[0] for row in draw.population) == sorted([fine.pk, closed.pk, first_of_two.pk])
    assert draw.drawn == sorted([fine.pk, closed.pk, first_of_two.pk])  # the plan draws 100 %
    assert draw.settings["counts"]["completed"] == 9
    sampled = Callback.objects.filter(reason=CallbackReason.SAMPLE)
    assert sorted(sampled.values_list("work_order_id", flat=True)) == draw.drawn
    assert {c.draw_id for c in sampled} == {draw.pk}
    assert not sampled.filter(request__customer__consent_service_calls=False).exists()


def test_a_customer_called_back_long_ago_is_drawn_again(network, plan):
    a = network.outlet_a
    customer = CustomerFactory(outlet=a)
    job = completed_job(a, network.engineer_a, finished=at_day(10), customer=customer)
    Callback.objects.create(
        request=RequestFactory(customer=customer, outlet=a),
        reason=CallbackReason.SAMPLE,
        due_at=MORNING - dt.timedelta(days=31),
        call_at=MORNING - dt.timedelta(days=31),
        status=CallbackStatus.DONE,
        outcome="satisfied",
        done_at=MORNING - dt.timedelta(days=31),
    )
    draw = sampling_draw_day(day=DAY, now=MORNING)
    assert draw is not None and draw.drawn == [job.pk]  # 31 days > the plan's 30 fatigue days


def test_a_drawn_job_gets_its_callback_at_the_customers_time_with_its_clock(network, plan):
    # R-G1/R-G2: placed as callback_schedule places it (a "don't call at work" customer gets the weekend), the
    # callback clock started from the call-at moment, and a line in the request's history.
    a = network.outlet_a
    customer = CustomerFactory(outlet=a, dont_call_at_work=True)
    ContactWindow.objects.create(customer=customer, days="any", starts_at=dt.time(9), ends_at=dt.time(20))
    job = completed_job(a, network.engineer_a, finished=at_day(10), customer=customer)

    draw = sampling_draw_day(day=DAY, now=MORNING)

    callback = Callback.objects.get(work_order=job)
    expected = placed_at(customer=customer, due=MORNING, calendar=calendar_for_outlet(a.pk), can_wait=True)
    assert callback.call_at == expected and expected.astimezone(SHANGHAI).weekday() == 5  # Saturday 09:00
    assert callback.due_at == MORNING and callback.status == CallbackStatus.PENDING and callback.draw == draw
    clock = RequestClock.objects.get(request=job.request, step="callback_due")
    assert clock.state == ClockState.RUNNING and clock.started_at == expected
    job.request.refresh_from_db()
    assert job.request.due_at == clock.due_at
    event = RequestEvent.objects.get(request=job.request, verb="callback_scheduled")
    assert event.data["callback"] == callback.pk and event.data["draw"] == draw.pk


def test_the_draw_can_be_redone_from_what_it_recorded(network, plan):
    # R-G2: an auditor recomputes the drawn jobs from the seed, population and settings kept with the draw.
    plan.default_rate = Decimal(30)
    plan.save()
    SamplingRate.objects.create(plan=plan, outlet=network.outlet_a, engineer=network.engineer_a2, rate=Decimal(80))
    for n in range(40):
        engineer = (network.engineer_a, network.engineer_a2)[n % 2]
        completed_job(network.outlet_a, engineer, finished=at_day(8 + n % 12))
    draw = sampling_draw_day(day=DAY, now=MORNING)
    assert draw is not None
    assert sampling_draw_redo(SampleDraw.objects.get(pk=draw.pk)) == draw.drawn
    assert 0 < len(draw.drawn) < 40


def test_the_minimum_per_engineer_is_kept_over_the_month(network, plan):
    # R-G2: at a 0 % rate, a minimum of 31 in March gives each engineer one job a day.
    plan.default_rate, plan.minimum_per_engineer_month = Decimal(0), 31
    plan.save()
    for day in (dt.date(2026, 3, 1), dt.date(2026, 3, 2)):
        for _n in range(3):
            completed_job(network.outlet_a, network.engineer_a, finished=at_day(10, day=day))
        completed_job(network.outlet_a, network.engineer_a2, finished=at_day(11, day=day))
    first = sampling_draw_day(day=dt.date(2026, 3, 1), now=MORNING)
    second = sampling_draw_day(day=dt.date(2026, 3, 2), now=MORNING + dt.timedelta(days=1))
    assert first is not None and second is not None
    assert len(first.drawn) == 2 and len(second.drawn) == 2
    assert second.settings["month_drawn"] == {str(network.engineer_a.pk): 1, str(network.engineer_a2.pk): 1}


def test_the_second_draw_of_a_day_does_nothing(network, plan):
    completed_job(network.outlet_a, network.engineer_a, finished=at_day(10))
    assert sampling_draw_day(day=DAY, now=MORNING) is not None
    assert sampling_draw_day(day=DAY, now=MORNING) is None
    assert SampleDraw.objects.count() == 1 and Callback.objects.filter(reason=CallbackReason.SAMPLE).count() == 1


def test_a_drawer_that_loses_the_race_writes_nothing(network, plan, monkeypatch):
    # R-G2: past the cheap check, the unique (plan, day) row refuses the second draw and its callbacks roll back.
    completed_job(network.outlet_a, network.engineer_a, finished=at_day(10))
    assert sampling_draw_day(day=DAY, now=MORNING) is not None
    monkeypatch.setattr("wuyou.quality.services.sampling._drawn_already", lambda plan, day: False)
    Callback.objects.all().delete()
    assert sampling_draw_day(day=DAY, now=MORNING) is None
    assert SampleDraw.objects.count() == 1 and not Callback.objects.exists()


def test_no_active_plan_draws_nothing(network, plan):
    plan.is_active = False
    plan.save()
    completed_job(network.outlet_a, network.engineer_a, finished=at_day(10))
    assert sampling_draw_day(day=DAY, now=MORNING) is None and not SampleDraw.objects.exists()


def test_the_sweep_job_draws_yesterday_after_six(network, plan):
    completed_job(network.outlet_a, network.engineer_a, finished=at_day(10))
    early = dt.datetime(2026, 3, 3, 5, 59, tzinfo=SHANGHAI)
    assert sampling_draws_due(early) == 0 and not SampleDraw.objects.exists()
    with time_machine.travel(MORNING, tick=False):
        assert sampling_draws_due(MORNING) == 1
        assert sampling_draws_due(MORNING + dt.timedelta(hours=2)) == 0  # done: two cheap queries
    assert SampleDraw.objects.get().day == DAY


def test_the_sweep_job_is_registered():
    from wuyou.tickets.sweep_jobs import _JOBS

    assert _JOBS["sample_draw"] is sampling_draws_due


# ---------------------------------------------------------------------------------------------------------------
# Admin
# ---------------------------------------------------------------------------------------------------------------


def _plan_data(plan, **changes):
    data = {
        "organisation": plan.organisation_id,
        "strata": plan.strata,
        "default_rate": "20",
        "minimum_per_engineer_month": "10",
        "margin": "5",
        "expected_rate": "90",
        "fatigue_days": "30",
        "is_active": "on",
    }
    return {**data, **changes}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"default_rate": "150"}, "default_rate"),
        ({"default_rate": "-5"}, "default_rate"),
        ({"margin": "0"}, "margin"),
        ({"margin": "60"}, "margin"),
        ({"expected_rate": "100"}, "expected_rate"),
    ],
)
def test_the_plan_form_names_the_bad_field(plan, changes, field):
    form = SamplingPlanForm(data=_plan_data(plan, **changes), instance=plan)
    assert not form.is_valid()
    assert list(form.errors) == [field]
    plan.refresh_from_db()
    assert plan.default_rate == Decimal(100) and plan.margin == Decimal(5)  # nothing written


def test_the_stratum_rate_form_names_the_bad_field(network, plan):
    form = SamplingRateForm(data={"outlet": network.outlet_a.pk, "rate": "101"}, instance=SamplingRate(plan=plan))
    assert not form.is_valid() and list(form.errors) == ["rate"]
    category = CategoryFactory()
    wrong = SamplingRateForm(
        data={"outlet": network.outlet_a.pk, "category": category.pk, "rate": "10"}, instance=SamplingRate(plan=plan)
    )
    assert not wrong.is_valid() and list(wrong.errors) == ["category"]


def test_the_admin_shows_what_each_stratum_needs(network, plan, client, django_user_model):
    now = timezone.now()
    for n in range(6):
        completed_job(network.outlet_a, network.engineer_a, finished=now - dt.timedelta(days=1 + n))
    needs, names = strata_needs_of(plan, now=now)
    key = f"{network.outlet_a.pk}/{network.engineer_a.pk}"
    assert [(n.key, n.jobs, n.needed) for n in needs] == [(key, 6, 6)]
    assert names[key] == f"{network.outlet_a.name} × {network.engineer_a.display_name}"
    client.force_login(django_user_model.objects.create_superuser("root", password="x", email=""))
    page = client.get(f"/admin/quality/samplingplan/{plan.pk}/change/")
    assert page.status_code == 200 and network.engineer_a.display_name in page.content.decode()
    assert client.get("/admin/quality/sampledraw/").status_code == 200


# ---------------------------------------------------------------------------------------------------------------
# Exactly once, on PostgreSQL
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_drawers_make_one_draw(network, plan):
    # R-G2: two sweepers drawing the same day at the same instant: one draw row, one callback per drawn job.
    postgresql_only()
    for n in range(30):
        completed_job(network.outlet_a, network.engineer_a, finished=at_day(8 + n % 12))
    results = run_together(
        lambda: sampling_draw_day(day=DAY, now=MORNING), lambda: sampling_draw_day(day=DAY, now=MORNING)
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    made = [r for r in results if r is not None]
    assert len(made) == 1
    assert SampleDraw.objects.count() == 1
    assert Callback.objects.filter(reason=CallbackReason.SAMPLE).count() == len(made[0].drawn) == 30


def test_the_bulk_draw_writes_what_callback_schedule_writes(network, plan):
    # ADR 0006: the draw's bulk path must write the same callback, clock, event and timeline line as the service.
    from wuyou.customers.models import TimelineEntry
    from wuyou.quality.services import callback_schedule

    a = network.outlet_a
    drawn_job = completed_job(a, network.engineer_a, finished=at_day(10))
    twin_job = completed_job(a, network.engineer_a, finished=at_day(0) - dt.timedelta(days=3))
    sampling_draw_day(day=DAY, now=MORNING)
    with time_machine.travel(MORNING, tick=False):
        twin = callback_schedule(
            actor=None, request=twin_job.request, reason=CallbackReason.SAMPLE, work_order=twin_job, due_at=MORNING
        )
    drawn = Callback.objects.get(work_order=drawn_job)
    assert twin is not None

    def callback_fields(cb: Callback) -> tuple:
        return (cb.reason, cb.status, cb.mode, cb.due_at, cb.call_at, cb.attempts, cb.assigned_to_id, cb.version)

    def clock_fields(job: WorkOrder) -> tuple:
        c = RequestClock.objects.get(request=job.request, step="callback_due")
        return (c.state, c.stage, c.level, c.unit, c.started_at, c.warn_at, c.due_at, c.next_action_at, c.policy_id)

    def event_fields(job: WorkOrder) -> tuple:
        e = RequestEvent.objects.get(request=job.request, verb="callback_scheduled")
        keys = set(e.data) - {"draw"}
        return (e.actor_id, sorted(keys), e.data["reason"], e.data["call_at"], e.data["work_order"] == job.number)

    def line_fields(job: WorkOrder) -> tuple:
        line = TimelineEntry.objects.filter(ref_kind="request", ref_id=job.request_id).latest("pk")
        return (line.kind, line.phase, line.outlet_id, line.customer_id == job.request.customer_id)

    assert callback_fields(drawn) == callback_fields(twin)
    assert clock_fields(drawn_job) == clock_fields(twin_job)
    assert event_fields(drawn_job) == event_fields(twin_job)
    assert line_fields(drawn_job) == line_fields(twin_job)
