"""The dispatcher's board on the web (issue 4 item 4): routes, waiting jobs, optimise, adjust, commit, scope."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.field_service import TODAY
from wuyou.dispatch.models import DispatchPlan, PlanStatus, WorkOrder, WorkOrderStatus
from wuyou.dispatch.services import plan_commit, plan_request, plan_run

HX = {"HTTP_HX_REQUEST": "true"}


def login(client, staff):
    """Log in, speaking English (the messages the tests read)."""
    client.force_login(staff.user)
    client.cookies.load({"django_language": "en"})
    return client


def board_url(outlet, day=TODAY):
    return f"{reverse('dispatch:board')}?outlet={outlet.pk}&day={day.isoformat()}"


def run(plan_id: int) -> DispatchPlan:
    """The worker's part, done here: tests have no worker; one second of search is plenty for a few jobs."""
    DispatchPlan.objects.filter(pk=plan_id).update(seconds=1)
    plan = plan_run(plan_id=plan_id)
    assert plan is not None and plan.status == PlanStatus.READY, plan and plan.error
    return plan


def committed_day(f, *orders):
    """Plan and commit the outlet's day through the services, as another dispatcher would."""
    clerk = f.network.actor(f.network.clerk_a)
    plan = run(plan_request(actor=clerk, outlet_id=f.network.outlet_a.pk, day=TODAY, seconds=1).pk)
    plan_commit(actor=clerk, plan=plan)
    for wo in orders:
        wo.refresh_from_db()
    return plan


def test_board_shows_each_engineers_route_and_the_jobs_waiting(client, field_service):
    # Given two visits planned and committed, and a third booked afterwards
    f = field_service
    morning = f.work_order(lat=36.071, lon=120.385)
    evening = f.work_order(windows=(("18:00", "20:00"),), lat=36.08, lon=120.40)
    committed_day(f, morning, evening)
    waiting = f.work_order(windows=(("13:30", "15:30"),), lat=36.06, lon=120.37)
    # When outlet A's clerk opens the board (today and her own outlet by default)
    page = login(client, f.network.clerk_a).get(reverse("dispatch:board")).content.decode()
    # Then each engineer on duty has a timeline, the committed visits are on them and drawn on the map
    assert "engineer_a" in page and "engineer_a2" in page
    assert "Committed routes" in page
    assert morning.number in page and evening.number in page
    assert 'class="tl-visit' in page and 'class="tl-travel' in page and 'class="tl-window' in page
    assert "<svg" in page and 'class="map-route"' in page and 'class="map-stop"' in page
    # And the job nobody has yet is listed with its window and masked phone, and shown as a grey dot
    assert "Waiting for an engineer" in page and waiting.number in page
    assert "13:30–15:30" in page and 'class="map-waiting"' in page
    assert "李建国" in page
    phone = waiting.request.customer.phones.first()
    if phone is not None:
        assert phone.number not in page
    # And no plan is running, so the board does not poll
    assert 'hx-trigger="every 1s"' not in page


def test_optimise_review_adjust_and_commit(client, field_service):
    f = field_service
    net = f.network
    near = f.work_order(lat=36.071, lon=120.385)
    far = f.work_order(windows=(("13:30", "15:30"),), lat=36.06, lon=120.37)
    client = login(client, net.clerk_a)
    # When the clerk asks for an optimisation
    response = client.post(
        reverse("dispatch:plan_new"), {"outlet": net.outlet_a.pk, "day": TODAY.isoformat(), "seconds": 5}
    )
    assert response.status_code == 302
    plan = DispatchPlan.objects.get(outlet=net.outlet_a, day=TODAY)
    assert plan.status == PlanStatus.QUEUED and plan.seconds == 5
    # Then the board shows the queued plan and polls it every second
    page = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page and reverse("dispatch:plan", args=[plan.pk]) in page
    assert "<progress" in page
    # When the worker has run it, the polled panel shows the proposal and stops polling
    run(plan.pk)
    panel = client.get(reverse("dispatch:plan", args=[plan.pk]), **HX).content.decode()
    assert 'id="day"' in panel and "<html" not in panel
    assert 'hx-trigger="every 1s"' not in panel
    assert "Proposed routes" in panel and near.number in panel and far.number in panel
    assert "Commit" in panel and "Discard" in panel
    # When the dispatcher tries a move the plan cannot take (the morning job after the afternoon one),
    # the refusal is shown next to the job, not a 500, and the proposal is unchanged
    stored = DispatchPlan.objects.get(pk=plan.pk).proposal
    holder_of = {
        stored["work_orders"][v["job"]]: stored["engineers"][r["engineer"]]
        for r in stored["plan"]["routes"]
        for v in r["visits"]
    }
    refused = client.post(
        reverse("dispatch:plan_adjust", args=[plan.pk]),
        {"work_order": near.pk, "action": "move", "engineer": holder_of[far.pk], "position": 9},
        **HX,
    )
    assert refused.status_code == 422
    body = refused.content.decode()
    assert "This change would break a window, a shift, a skill or a van load" in body
    assert f'id="stop-{near.pk}" class="has-error"' in body
    assert DispatchPlan.objects.get(pk=plan.pk).proposal == stored
    # And an unknown engineer is refused as bad input
    bad = client.post(
        reverse("dispatch:plan_adjust", args=[plan.pk]),
        {"work_order": near.pk, "action": "move", "engineer": net.engineer_b.pk},
        **HX,
    )
    assert bad.status_code == 422
    # When the dispatcher moves a job to the other engineer as his first stop, and pins it
    other = net.engineer_a2.pk if holder_of[near.pk] == net.engineer_a.pk else net.engineer_a.pk
    moved = client.post(
        reverse("dispatch:plan_adjust", args=[plan.pk]),
        {"work_order": near.pk, "action": "move", "engineer": other, "position": 1},
        **HX,
    )
    assert moved.status_code == 200, moved.content.decode()[:2000]
    pinned = client.post(reverse("dispatch:plan_pin", args=[plan.pk]), {"work_order": near.pk, "pinned": "1"})
    assert pinned.status_code == 302
    # And commits
    response = client.post(reverse("dispatch:plan_commit", args=[plan.pk]))
    assert response.status_code == 302
    # Then the work orders are planned as reviewed and the board shows the committed routes
    near.refresh_from_db()
    far.refresh_from_db()
    assert near.status == WorkOrderStatus.PLANNED and near.engineer_id == other and near.route_position == 0
    assert near.pinned is True
    assert far.status == WorkOrderStatus.PLANNED
    assert DispatchPlan.objects.get(pk=plan.pk).status == PlanStatus.COMMITTED
    page = client.get(response["Location"]).content.decode()
    assert "Plan committed" in page and "Committed routes" in page and near.number in page


def test_a_second_commit_over_a_changed_route_is_told_clearly(client, field_service):
    f = field_service
    net = f.network
    f.work_order()
    clerk = net.actor(net.clerk_a)
    first = run(plan_request(actor=clerk, outlet_id=net.outlet_a.pk, day=TODAY, seconds=1).pk)
    manager = net.actor(net.outlet_manager_a)
    second = run(plan_request(actor=manager, outlet_id=net.outlet_a.pk, day=TODAY, seconds=1).pk)
    assert login(client, net.clerk_a).post(reverse("dispatch:plan_commit", args=[first.pk])).status_code == 302
    response = login(client, net.outlet_manager_a).post(reverse("dispatch:plan_commit", args=[second.pk]))
    assert response.status_code == 409
    body = response.content.decode()
    assert "route was changed by someone else since this plan was made; optimise again." in body
    assert 'class="alert alert-conflict"' in body
    assert DispatchPlan.objects.get(pk=second.pk).status == PlanStatus.READY


def test_the_optimise_form_checks_its_seconds(client, field_service):
    net = field_service.network
    response = login(client, net.clerk_a).post(
        reverse("dispatch:plan_new"), {"outlet": net.outlet_a.pk, "day": TODAY.isoformat(), "seconds": 600}
    )
    assert response.status_code == 422
    assert "Ensure this value is less than or equal to 60" in response.content.decode()
    assert not DispatchPlan.objects.exists()


def test_an_urgent_replan_is_marked_and_a_failed_plan_says_so(client, field_service):
    net = field_service.network
    clerk = net.actor(net.clerk_a)
    plan = plan_request(actor=clerk, outlet_id=net.outlet_a.pk, day=TODAY, seconds=5, reason="Urgent insertion: WO1")
    page = login(client, net.clerk_a).get(board_url(net.outlet_a)).content.decode()
    assert "Urgent re-plan" in page and "Urgent insertion: WO1" in page
    DispatchPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.FAILED, error="boom")
    page = client.get(board_url(net.outlet_a)).content.decode()
    assert "The optimisation failed" in page and 'hx-trigger="every 1s"' not in page


def test_discarding_a_proposal_keeps_the_committed_routes(client, field_service):
    f = field_service
    net = f.network
    f.work_order()
    plan = run(plan_request(actor=net.actor(net.clerk_a), outlet_id=net.outlet_a.pk, day=TODAY, seconds=1).pk)
    response = login(client, net.clerk_a).post(reverse("dispatch:plan_discard", args=[plan.pk]))
    assert response.status_code == 302
    assert DispatchPlan.objects.get(pk=plan.pk).status == PlanStatus.DISCARDED
    assert not WorkOrder.objects.filter(status=WorkOrderStatus.PLANNED).exists()


def test_another_outlets_board_plans_and_work_orders_are_not_found(client, field_service):
    f = field_service
    net = f.network
    wo = f.work_order()
    plan = run(plan_request(actor=net.actor(net.clerk_a), outlet_id=net.outlet_a.pk, day=TODAY, seconds=1).pk)
    client = login(client, net.clerk_b)
    assert client.get(board_url(net.outlet_a)).status_code == 404
    assert client.get(reverse("dispatch:plan", args=[plan.pk])).status_code == 404
    assert client.get(reverse("dispatch:plan", args=[plan.pk]), **HX).status_code == 404
    for name in ("plan_adjust", "plan_pin", "plan_commit", "plan_discard"):
        response = client.post(reverse(f"dispatch:{name}", args=[plan.pk]), {"work_order": wo.pk, "pinned": "1"})
        assert response.status_code == 404, name
    new = client.post(reverse("dispatch:plan_new"), {"outlet": net.outlet_a.pk, "day": TODAY, "seconds": 10})
    assert new.status_code == 404
    assert client.get(reverse("dispatch:work_order_book", args=[wo.pk])).status_code == 404
    assert client.get(reverse("dispatch:work_order_new", args=[wo.request_id])).status_code == 404
    assert DispatchPlan.objects.get(pk=plan.pk).status == PlanStatus.READY
    # Their own board shows their own outlet
    assert client.get(reverse("dispatch:board")).status_code == 200


@pytest.mark.parametrize("who", ["engineer_a", "sales_rep_a"])
def test_engineers_and_sales_reps_never_see_the_board(client, field_service, who):
    net = field_service.network
    plan = plan_request(actor=net.actor(net.clerk_a), outlet_id=net.outlet_a.pk, day=TODAY)
    client = login(client, getattr(net, who))
    assert client.get(reverse("dispatch:board")).status_code == 404
    assert client.get(reverse("dispatch:plan", args=[plan.pk])).status_code == 404
    assert client.post(reverse("dispatch:plan_commit", args=[plan.pk])).status_code == 404
    page = client.get(reverse("tickets:list")).content.decode()
    assert reverse("dispatch:board") not in page


def test_the_desk_has_a_board_link(client, field_service):
    page = login(client, field_service.network.clerk_a).get(reverse("tickets:list")).content.decode()
    assert reverse("dispatch:board") in page


def test_the_board_reads_a_fixed_number_of_queries(client, field_service, django_assert_max_num_queries):
    # Given a committed day and waiting jobs
    f = field_service
    orders = [f.work_order(lat=36.07 + i / 200, lon=120.38 + i / 200) for i in range(3)]
    committed_day(f, *orders)
    f.work_order(windows=(("13:30", "15:30"),))
    client = login(client, f.network.clerk_a)
    client.get(board_url(f.network.outlet_a))  # warm the session
    with django_assert_max_num_queries(24) as few:  # session, actor, outlet, calendars, shifts, jobs, phones
        client.get(board_url(f.network.outlet_a))
    # When the day has more jobs, the board reads no more
    for i in range(4):
        f.work_order(windows=(("18:00", "20:00"),), lat=36.05 + i / 100, lon=120.36)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(board_url(f.network.outlet_a))
    assert response.status_code == 200
