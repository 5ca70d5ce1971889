"""Time limits in a real headless Chromium: the request's clocks, and the at-risk list after a sweep (R-E4)."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_console import log_in, page  # noqa: F401 — the Chromium fixture
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_warned_request_shows_its_clock_and_is_on_the_at_risk_list_only_for_its_outlet(page, live_server, network):  # noqa: F811
    import datetime as dt

    import time_machine
    from playwright.sync_api import expect

    from wuyou.tickets.services import RequestInput, request_open
    from wuyou.tickets.sweep import clocks_sweep

    customer = CustomerFactory(outlet=network.outlet_a, name="赵丽娟")
    # Given an urgent repair opened 3.5 hours ago (first response: 4 clock hours, warned at 80 %)
    with time_machine.travel(dt.datetime.now(dt.UTC) - dt.timedelta(hours=3, minutes=30), tick=False):
        sr = request_open(
            actor=network.actor(network.clerk_a),
            intake=RequestInput(call_type="repair", customer_id=customer.pk, priority="urgent", symptom="冰箱不制冷"),
        )
    # When the sweeper runs
    assert clocks_sweep().warned >= 1
    # Then the clerk sees the clock warned, with the time left, on the request page
    log_in(page, live_server, "clerk_a")
    page.goto(f"{live_server.url}/requests/{sr.pk}/")
    row = page.locator("tr.clock-warned").first
    expect(row).to_be_visible()
    expect(row).to_contain_text(re.compile(r"(\d+ 分钟后到期|due in \d+ min)"))
    # And the request is on her at-risk list
    page.goto(f"{live_server.url}/requests/at-risk/")
    expect(page.locator("#results")).to_contain_text(sr.number)
    # But another outlet's clerk gets a 404 for the page and does not see it at risk
    page.context.clear_cookies()
    log_in(page, live_server, "clerk_b")
    assert page.goto(f"{live_server.url}/requests/{sr.pk}/").status == 404
    page.goto(f"{live_server.url}/requests/at-risk/")
    expect(page.locator("body")).not_to_contain_text(sr.number)
