"""Two dispatchers, two workers, two clerks at once: one wins, the other is told (issue 4 "Bad input", R-F1).

Real threads on separate connections; row locks mean nothing on SQLite, so these run on PostgreSQL only
(set DATABASE_URL).
"""

from __future__ import annotations

import pytest
from django.db import connection

from tests.concurrency import run_together
from tests.field_service import TODAY
from wuyou.core.errors import Conflict
from wuyou.dispatch.models import DispatchPlan, EngineerDay, PlanStatus, WorkOrder, WorkOrderStatus
from wuyou.dispatch.services import WorkOrderInput, plan_commit, plan_request, plan_run, work_order_open
from wuyou.tickets.models import ServiceRequest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proved on PostgreSQL (set DATABASE_URL)")


def queued(f, actor) -> DispatchPlan:
    plan = plan_request(actor=actor, outlet_id=f.network.outlet_a.pk, day=TODAY, seconds=1)
    DispatchPlan.objects.filter(pk=plan.pk).update(seconds=0)  # a tiny day: the first solution is enough
    return plan


def test_two_dispatchers_committing_the_same_day_at_once_one_wins(field_service):
    f = field_service
    net = f.network
    wos = [
        f.work_order(lat=36.071, lon=120.385),
        f.work_order(windows=(("13:00", "15:00"),), lat=36.08, lon=120.40),
        f.work_order(windows=(("18:00", "20:00"),), lat=36.06, lon=120.37),
    ]
    dispatchers = [net.actor(net.clerk_a), net.actor(net.outlet_manager_a)]
    for round_ in range(1, 4):
        plans = [plan_run(plan_id=queued(f, actor).pk) for actor in dispatchers]
        assert all(p.status == PlanStatus.READY for p in plans)
        outcomes = run_together(
            *(
                (lambda a=actor, p=plan: plan_commit(actor=a, plan=p))
                for actor, plan in zip(dispatchers, plans, strict=True)
            )
        )
        assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "DispatchPlan"], outcomes
        winner = next(o for o in outcomes if isinstance(o, DispatchPlan))
        loser = next(p for p in plans if p.pk != winner.pk)
        assert DispatchPlan.objects.get(pk=loser.pk).status == PlanStatus.READY
        # Every work order follows the winner's plan, none the loser's.
        for wo in WorkOrder.objects.filter(pk__in=[w.pk for w in wos]):
            assert (wo.status, wo.plan_id) == (WorkOrderStatus.PLANNED, winner.pk)
            assert ServiceRequest.objects.get(pk=wo.request_id).assignee_id == wo.engineer_id
        versions = set(EngineerDay.objects.filter(day=TODAY).values_list("route_version", flat=True))
        assert versions == {round_}


def test_two_workers_handed_the_same_plan_run_it_once(field_service):
    f = field_service
    f.work_order()
    plan = queued(f, f.network.actor(f.network.clerk_a))
    outcomes = run_together(*(lambda: plan_run(plan_id=plan.pk) for _ in range(2)))
    assert sorted(type(o).__name__ for o in outcomes) == ["DispatchPlan", "NoneType"], outcomes
    plan.refresh_from_db()
    assert plan.status == PlanStatus.READY and plan.progress == 1.0


def test_two_clerks_opening_a_visit_for_the_same_request_at_once_one_wins(field_service):
    f = field_service
    net = f.network
    sr = f.request()
    clerks = [net.actor(net.clerk_a), net.actor(net.outlet_manager_a)]
    outcomes = run_together(
        *((lambda a=actor: work_order_open(actor=a, request=sr, visit=WorkOrderInput())) for actor in clerks)
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "WorkOrder"], outcomes
    assert isinstance(next(o for o in outcomes if not isinstance(o, WorkOrder)), Conflict)
    assert WorkOrder.objects.filter(request=sr).count() == 1
    assert sr.events.filter(verb="work_order_opened").count() == 1
