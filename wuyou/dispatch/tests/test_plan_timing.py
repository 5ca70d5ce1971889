"""R-F2: a committed plan has him at the door a few minutes before each visit, and "leave by" follows from it."""

from __future__ import annotations

import datetime as dt

from tests.field_service import TODAY, local
from wuyou.dispatch.models import DispatchPlan, PlanStatus, WorkOrder
from wuyou.dispatch.selectors import ARRIVE_EARLY
from wuyou.dispatch.services import plan_commit, plan_request, plan_run
from wuyou.fieldservice.selectors import engineer_day_route, work_order_leave_at
from wuyou.routing import optimizer

EARLY = dt.timedelta(seconds=optimizer.ARRIVE_EARLY)


def desk(f):
    return f.network.actor(f.network.clerk_a)


def optimise(f) -> DispatchPlan:
    plan = plan_request(actor=desk(f), outlet_id=f.network.outlet_a.pk, day=TODAY, seconds=1)
    DispatchPlan.objects.filter(pk=plan.pk).update(seconds=0)
    ran = plan_run(plan_id=plan.pk)
    assert ran is not None and ran.status == PlanStatus.READY, ran and ran.error
    return ran


def test_the_optimiser_and_the_engineers_day_agree_on_the_margin():
    assert ARRIVE_EARLY == EARLY  # R-F2: 5–10 minutes early
    assert dt.timedelta(minutes=5) <= EARLY <= dt.timedelta(minutes=10)


def test_r_f2_a_committed_afternoon_and_evening_visit_are_met_minutes_early_not_hours(field_service):
    # given a morning visit, one from 14:00 and one from 19:00, for an engineer on shift from 08:30
    f = field_service
    morning = f.work_order(windows=(("09:00", "11:00"),), lat=36.071, lon=120.385)
    afternoon = f.work_order(windows=(("14:00", "16:00"),), lat=36.08, lon=120.40)
    evening = f.work_order(windows=(("19:00", "21:00"),), lat=36.06, lon=120.37)
    # when the day is optimised and committed
    plan_commit(actor=desk(f), plan=optimise(f))
    # then each visit starts as its window opens, he arrives ARRIVE_EARLY before, and leaves accordingly
    for wo, opens in ((morning, "09:00"), (afternoon, "14:00"), (evening, "19:00")):
        wo = WorkOrder.objects.get(pk=wo.pk)
        assert wo.planned_start == local(TODAY, opens)
        assert wo.planned_arrival == wo.planned_start - EARLY, wo.number
        assert wo.planned_end == wo.planned_start + dt.timedelta(minutes=wo.duration_minutes)
    engineer = WorkOrder.objects.get(pk=afternoon.pk).engineer
    stops = engineer_day_route(actor=f.network.actor(engineer), day=TODAY)
    for stop in stops:
        wo = stop.work_order
        assert stop.leave_at == wo.planned_arrival - dt.timedelta(minutes=wo.travel_minutes)


def test_r_f2_a_proposal_timed_early_before_the_fix_is_committed_late(field_service):
    # given a ready proposal whose afternoon arrival was stored hours early (as plans were timed before)
    f = field_service
    f.work_order(windows=(("09:00", "11:00"),), lat=36.071, lon=120.385)
    afternoon = f.work_order(windows=(("14:00", "16:00"),), lat=36.08, lon=120.40)
    plan = optimise(f)
    stored = plan.proposal
    key = next(k for k, pk in stored["work_orders"].items() if pk == afternoon.pk)
    for route in stored["plan"]["routes"]:
        for visit in route["visits"]:
            if visit["job"] == key:
                visit["arrival"] = 10 * 3600  # hours before the 14:00 start
    DispatchPlan.objects.filter(pk=plan.pk).update(proposal=stored)
    plan.refresh_from_db()
    # when it is committed, then he is planned at the door minutes before 14:00
    plan_commit(actor=desk(f), plan=plan)
    wo = WorkOrder.objects.get(pk=afternoon.pk)
    assert wo.planned_arrival == local(TODAY, "14:00") - EARLY


def test_r_f2_leave_by_of_a_visit_committed_with_an_early_arrival_is_still_worked_back_from_the_start(field_service):
    # given a visit committed before arrivals were timed late: arrival 09:57 for a 14:00 start
    f = field_service
    wo = f.work_order(windows=(("14:00", "16:00"),), lat=36.08, lon=120.40)
    start = local(TODAY, "14:00")
    WorkOrder.objects.filter(pk=wo.pk).update(
        planned_arrival=local(TODAY, "09:57"), planned_start=start, travel_minutes=12
    )
    wo.refresh_from_db()
    # then he leaves to be there ARRIVE_EARLY before the start, not at 09:45
    assert work_order_leave_at(wo) == start - ARRIVE_EARLY - dt.timedelta(minutes=12)
    # and one he can only just reach (arrival at the start) leaves when the arrival says
    WorkOrder.objects.filter(pk=wo.pk).update(planned_arrival=start)
    wo.refresh_from_db()
    assert work_order_leave_at(wo) == start - dt.timedelta(minutes=12)
    WorkOrder.objects.filter(pk=wo.pk).update(planned_arrival=None)
    wo.refresh_from_db()
    assert work_order_leave_at(wo) == start - ARRIVE_EARLY - dt.timedelta(minutes=12)
