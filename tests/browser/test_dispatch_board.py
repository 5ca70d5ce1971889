"""The dispatcher's board in a real headless Chromium: optimise the day, watch the plan arrive, commit (issue 4)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.browser.test_console import CHROMIUM_ARGS, log_in
from tests.field_service import TODAY, field_service  # noqa: F401 — the field-service fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1440, "height": 960}


@pytest.fixture
def desk(live_server) -> Iterator:
    """A headless Chromium tab on a desk-sized screen, speaking English (the board's texts the test reads)."""
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-US", viewport=DESKTOP)
        context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
        tab = context.new_page()
        tab.set_default_timeout(10_000)
        yield tab
        context.close()
        browser.close()


def board_path(day=TODAY, **query: object) -> str:
    extra = "".join(f"&{key}={value}" for key, value in query.items())
    return f"/dispatch/board/?day={day.isoformat()}{extra}"


def test_the_clerk_optimises_the_day_watches_the_plan_arrive_and_commits_it(desk, live_server, field_service):  # noqa: F811
    from playwright.sync_api import expect

    from wuyou.dispatch.models import DispatchPlan, PlanStatus, WorkOrder, WorkOrderStatus
    from wuyou.dispatch.services import plan_run

    f = field_service
    net = f.network
    page = desk
    # Given four booked visits of outlet A today, one of them in the evening
    orders = [
        f.work_order(lat=36.071, lon=120.385),
        f.work_order(windows=(("10:30", "12:30"),), lat=36.08, lon=120.37),
        f.work_order(windows=(("13:30", "15:30"),), lat=36.06, lon=120.39),
        f.work_order(windows=(("18:00", "20:00"),), lat=36.075, lon=120.40),
    ]
    # When outlet A's clerk opens her board for the day
    log_in(page, live_server, "clerk_a")
    page.goto(f"{live_server.url}{board_path()}")
    # Then every visit waits for an engineer, and the map draws them as grey dots
    expect(page.locator("#waiting-h")).to_contain_text("Waiting for an engineer")
    for wo in orders:
        expect(page.locator(f"#waiting-{wo.pk}")).to_contain_text(wo.number)
    expect(page.locator(f"#waiting-{orders[3].pk}")).to_contain_text("18:00–20:00")
    expect(page.locator("#routes-h")).to_contain_text("Committed routes")
    expect(page.locator("figure.route-map svg")).to_be_visible()
    expect(page.locator("figure.route-map circle.map-waiting")).to_have_count(4)

    # When she asks for an optimisation with the shortest search
    form = page.locator("form.plan-optimise")
    form.locator("input[name=seconds]").fill("5")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    # Then the plan is queued and the board polls it
    expect(page.locator(".plan-progress")).to_contain_text("Waiting for the planner")
    expect(page.locator("#day")).to_have_attribute("hx-trigger", "every 1s")
    queued = DispatchPlan.objects.get(outlet=net.outlet_a, day=TODAY, status=PlanStatus.QUEUED)
    assert queued.seconds == 5

    page.evaluate("window.sameBoard = true")  # gone if the page were loaded again
    # When the worker (the test here: no worker runs in tests) optimises it, with a one-second search
    DispatchPlan.objects.filter(pk=queued.pk).update(seconds=1)
    plan = plan_run(plan_id=queued.pk)
    assert plan is not None and plan.status == PlanStatus.READY, plan and plan.error

    # Then the polling board shows the proposal, without a page load: routes per engineer, by name
    expect(page.locator("#routes-h")).to_contain_text("Proposed routes")
    expect(page.locator(".plan-status")).to_have_class(re.compile(r"plan-ready"))
    expect(page.locator("#day")).not_to_have_attribute("hx-trigger", "every 1s")
    assert page.evaluate("window.sameBoard") is True
    names = page.locator(".tl-lane .tl-name strong")
    expect(names).to_have_text(["engineer_a", "engineer_a2"])
    for wo in orders:
        expect(page.locator(f"#stop-{wo.pk}")).to_contain_text(wo.number)
    expect(page.locator("#waiting-h")).to_contain_text("Left out of the plan")
    expect(page.locator(".board-waiting .waiting-job")).to_have_count(0)
    expect(page.locator("figure.route-map polyline.map-route").first).to_be_attached()
    expect(page.locator("figure.route-map g.map-stop")).to_have_count(4)
    assert all(wo.status == WorkOrderStatus.BOOKED for wo in WorkOrder.objects.filter(pk__in=[o.pk for o in orders]))

    # When she commits the proposal
    with page.expect_navigation():
        page.locator(".plan-summary button.primary", has_text="Commit").click()
    # Then the board shows the committed routes, the visits planned on them
    expect(page.locator(".flash-success")).to_contain_text("Plan committed: 4 visits")
    expect(page.locator("#routes-h")).to_contain_text("Committed routes")
    for wo in orders:
        expect(page.locator(f"#stop-{wo.pk}")).to_contain_text("Planned")
    expect(page.locator("#waiting-h")).to_contain_text("Waiting for an engineer")
    expect(page.locator(".board-waiting .waiting-job")).to_have_count(0)
    # And in the database every visit is planned with an engineer of outlet A
    committed = WorkOrder.objects.filter(pk__in=[o.pk for o in orders])
    assert {wo.status for wo in committed} == {WorkOrderStatus.PLANNED}
    assert {wo.engineer_id for wo in committed} <= {net.engineer_a.pk, net.engineer_a2.pk}
    assert DispatchPlan.objects.get(pk=plan.pk).status == PlanStatus.COMMITTED


def test_another_outlets_clerk_gets_the_not_found_page_for_the_board_and_the_plan(desk, live_server, field_service):  # noqa: F811
    from playwright.sync_api import expect

    from wuyou.dispatch.services import plan_request

    f = field_service
    net = f.network
    page = desk
    # Given outlet A's day with a booked visit and a plan asked for
    wo = f.work_order()
    plan = plan_request(actor=net.actor(net.clerk_a), outlet_id=net.outlet_a.pk, day=TODAY, seconds=5)
    # When outlet B's clerk opens outlet A's board, or the plan, by its address
    log_in(page, live_server, "clerk_b")
    for path in (board_path(outlet=net.outlet_a.pk), f"/dispatch/plans/{plan.pk}/"):
        response = page.goto(f"{live_server.url}{path}")
        # Then she gets the not-found page, which tells nothing of outlet A's day
        assert response is not None and response.status == 404, path
        expect(page.locator("h1")).to_have_text("Not found")
        expect(page.locator("body")).not_to_contain_text(wo.number)
        expect(page.locator("body")).not_to_contain_text(net.outlet_a.name)
    # But her own board opens, without outlet A's visit
    response = page.goto(f"{live_server.url}{board_path()}")
    assert response is not None and response.status == 200
    expect(page.locator("#waiting-h")).to_contain_text("Waiting for an engineer")
    expect(page.locator("body")).not_to_contain_text(wo.number)
