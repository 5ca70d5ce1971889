"""A day from booking to done, through the services (R-F1, R-F2, R-F3)."""

from __future__ import annotations

from django.utils import translation

from tests.field_service import SIGNATURE, TODAY, catalogue_part, quote_agreed, van_stocked
from wuyou.dispatch.models import DispatchPlan, PlanStatus, WorkOrder, WorkOrderStatus
from wuyou.dispatch.services import plan_commit, plan_request, plan_run
from wuyou.fieldservice.selectors import engineer_day_route
from wuyou.fieldservice.services import StepInput, work_order_step
from wuyou.tickets.models import ServiceRequest, Status


def test_a_booked_day_is_optimised_committed_and_walked_to_done(field_service, django_capture_on_commit_callbacks):
    f = field_service
    net = f.network
    near = f.work_order(lat=36.071, lon=120.385)
    evening = f.work_order(windows=(("18:00", "20:00"),), lat=36.08, lon=120.40)
    choice = f.work_order(windows=(("09:00", "11:00"), ("13:30", "15:30")), lat=36.06, lon=120.37)
    clerk = net.actor(net.clerk_a)
    plan = plan_request(actor=clerk, outlet_id=net.outlet_a.pk, day=TODAY, seconds=1)
    plan = plan_run(plan_id=plan.pk)
    assert plan.status == PlanStatus.READY, plan.error
    assert plan.proposal["plan"]["feasible"] is True
    assert plan.proposal["plan"]["unassigned"] == []
    plan = plan_commit(actor=clerk, plan=plan)
    assert plan.status == PlanStatus.COMMITTED
    for wo in (near, evening, choice):
        wo.refresh_from_db()
        assert wo.status == WorkOrderStatus.PLANNED and wo.engineer_id is not None
        assert wo.window_start <= wo.planned_start <= wo.window_end
        assert ServiceRequest.objects.get(pk=wo.request_id).assignee_id == wo.engineer_id
    engineer = net.engineer_a if near.engineer_id == net.engineer_a.pk else net.engineer_a2
    stops = engineer_day_route(actor=net.actor(engineer), day=TODAY)
    assert near.pk in [s.work_order.pk for s in stops]
    stop = next(s for s in stops if s.work_order.pk == near.pk)
    assert stop.leave_at is not None and stop.leave_at < near.planned_start
    me = net.actor(engineer)
    catalogue_part("CAP-1", "启动电容", "12.00", "35.00")
    van_stocked(net, engineer, {"CAP-1": 1})
    wo = WorkOrder.objects.select_related("request", "engineer").get(pk=near.pk)
    for step, data in [
        ("confirm_call", StepInput()),
        ("on_the_way", StepInput()),
        ("arrived", StepInput()),
        ("diagnosis", StepInput(note="电容老化")),
        ("quote", None),
        ("parts_used", StepInput(parts=(("CAP-1", "CAP-2026-001", 1),))),
        ("work_done", StepInput(note="更换启动电容")),
        ("test_run", StepInput(test_run_ok=True)),
        ("rating", StepInput(quality=5, attitude=5, signature=SIGNATURE, signed_by="李建国")),
        ("done", StepInput()),
    ]:
        if data is None:  # the customer sees the price first, and signs for it
            quote_agreed(me, wo, ("CAP-1", 1))
            continue
        wo = work_order_step(actor=me, work_order=wo, step=step, entry=data)
    assert wo.status == WorkOrderStatus.DONE
    sr = ServiceRequest.objects.get(pk=wo.request_id)
    assert sr.status == Status.RESOLVED
    verbs = list(sr.events.values_list("verb", flat=True))
    assert "job_arrived" in verbs and "job_done" in verbs and "resolve" in verbs


def test_two_dispatchers_committing_the_same_engineers_day_one_wins(field_service):
    f = field_service
    net = f.network
    f.work_order()
    clerk = net.actor(net.clerk_a)
    first = plan_run(plan_id=plan_request(actor=clerk, outlet_id=net.outlet_a.pk, day=TODAY, seconds=1).pk)
    second = plan_run(
        plan_id=plan_request(actor=net.actor(net.outlet_manager_a), outlet_id=net.outlet_a.pk, day=TODAY, seconds=1).pk
    )
    plan_commit(actor=clerk, plan=first)
    from wuyou.core.errors import Conflict

    with translation.override("en"):
        try:
            plan_commit(actor=net.actor(net.outlet_manager_a), plan=second)
        except Conflict as exc:
            assert "changed by someone else" in exc.message
        else:
            raise AssertionError("the second commit must be refused")
    assert DispatchPlan.objects.get(pk=second.pk).status == PlanStatus.READY


def test_a_cancelled_requests_visit_leaves_the_engineers_day(field_service):
    from wuyou.tickets.services import request_transition

    f = field_service
    net = f.network
    wo = f.work_order()
    clerk = net.actor(net.clerk_a)
    plan_commit(
        actor=clerk,
        plan=plan_run(plan_id=plan_request(actor=clerk, outlet_id=net.outlet_a.pk, day=TODAY, seconds=1).pk),
    )
    wo.refresh_from_db()
    engineer = net.actor(net.engineer_a if wo.engineer_id == net.engineer_a.pk else net.engineer_a2)
    assert [s.work_order.pk for s in engineer_day_route(actor=engineer, day=TODAY)] == [wo.pk]
    sr = ServiceRequest.objects.get(pk=wo.request_id)
    request_transition(actor=clerk, request=sr, action="cancel", note="客户取消")
    assert engineer_day_route(actor=engineer, day=TODAY) == []
