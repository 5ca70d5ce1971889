"""The engineer's day on a phone-sized Chromium: from the committed route to a signed, finished visit (issue 4)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest

from tests.browser.test_console import CHROMIUM_ARGS, log_in
from tests.field_service import TODAY, field_service  # noqa: F401 — the field-service fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(live_server) -> Iterator:
    """A headless Chromium tab the size of a phone, with touch."""
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=3
        )
        tab = context.new_page()
        tab.set_default_timeout(10_000)
        yield tab
        context.close()
        browser.close()


def test_an_engineer_walks_his_visit_to_done_on_a_phone(phone, live_server, field_service):  # noqa: F811
    from playwright.sync_api import expect

    from wuyou.dispatch.models import EngineerDay, WorkOrder, WorkOrderStatus
    from wuyou.dispatch.services import plan_commit, plan_request, plan_run
    from wuyou.tickets.models import ServiceRequest, Status

    f = field_service
    net = f.network
    page = phone
    shots = os.environ.get("WUYOU_SCREENSHOTS")  # a folder: keep a picture of each screen for a look by eye
    # Given today's visit planned and committed by the desk, for engineer_a (engineer_a2 is off today)
    wo = f.work_order()
    EngineerDay.objects.create(engineer=net.engineer_a2, day=TODAY, is_off=True)
    clerk = net.actor(net.clerk_a)
    plan = plan_run(plan_id=plan_request(actor=clerk, outlet_id=net.outlet_a.pk, day=TODAY, seconds=1).pk)
    plan_commit(actor=clerk, plan=plan)
    wo.refresh_from_db()
    assert wo.status == WorkOrderStatus.PLANNED and wo.engineer_id == net.engineer_a.pk

    def shot(name: str) -> None:
        if shots:
            page.screenshot(path=os.path.join(shots, f"{name}.png"), full_page=True)

    def submit(card: str) -> None:
        with page.expect_navigation():
            page.locator(f"#{card} button[type=submit]").click()
        expect(page.locator(".flash-success")).to_be_visible()

    # When he logs in on his phone and opens his day
    log_in(page, live_server, "engineer_a")
    page.click("nav a[href='/my-day/']")
    page.wait_for_url(re.compile(r"/my-day/$"))
    stop = page.locator(f"#stop-{wo.pk}")
    expect(stop.locator(".stop-clock")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    expect(stop.locator("a.tel")).to_be_visible()  # today's visit: the number to call
    shot("1-my-day")
    # The page fits the phone: nothing to scroll sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    stop.locator("a.button.big").click()
    page.wait_for_url(re.compile(rf"/dispatch/work-orders/{wo.pk}/$"))
    shot("2-visit-planned")

    # Then he walks every step with the big buttons
    submit("step-confirm_call")
    submit("step-on_the_way")
    submit("step-arrived")
    expect(page.locator("#visit-status")).to_have_class(re.compile("wo-status-on_site"))
    page.fill("#diagnosis-note", "启动电容老化，外机不启动")
    submit("step-diagnosis")
    # (Parts need a quote the customer accepted: tests/browser/test_visit_quote.py walks that on a phone.)
    page.fill("#work_done-note", "更换启动电容，试机正常")
    submit("step-work_done")
    page.check("#step-test_run input[name=test_run][value=passed]")
    submit("step-test_run")
    # The customer rates the visit and signs on the screen
    page.click("label[for=quality-5]")
    page.click("label[for=attitude-4]")
    canvas = page.locator("#step-rating [data-signature-canvas]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 200
    x, y = box["x"], box["y"]
    page.mouse.move(x + 30, y + 110)
    page.mouse.down()
    for dx, dy in ((60, 40), (100, 120), (150, 50), (210, 110), (260, 60)):
        page.mouse.move(x + dx, y + dy, steps=4)
    page.mouse.up()
    expect(page.locator("#step-rating [data-signature-value]")).to_have_value(re.compile(r"^data:image/png;base64,"))
    page.fill("#signed-by", "李建国")
    shot("3-rating")
    submit("step-rating")
    expect(page.locator("img.signature-image")).to_be_visible()
    shot("4-before-done")
    with page.expect_navigation():
        page.locator("#step-done button[type=submit]").click()

    # And he is back on his day with the visit done, its request resolved
    page.wait_for_url(re.compile(r"/my-day/$"))
    expect(stop.locator(".chip")).to_have_class(re.compile("wo-status-done"))
    expect(stop.locator("a.tel")).to_have_count(0)  # a finished visit: the number is masked again
    shot("5-day-after")
    wo = WorkOrder.objects.get(pk=wo.pk)
    assert wo.status == WorkOrderStatus.DONE
    assert wo.signature.startswith("data:image/png;base64,") and wo.signed_by == "李建国"
    assert (wo.quality_rating, wo.attitude_rating, wo.test_run_ok) == (5, 4, True)
    assert ServiceRequest.objects.get(pk=wo.request_id).status == Status.RESOLVED
