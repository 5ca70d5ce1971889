"""The quality page in a real headless Chromium (issue 14 item 6): a manager reads satisfaction with its interval
and verdict, the monthly chart draws from the vendored ECharts (no CDN), and a table exports as CSV."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.test_console import log_in, page  # noqa: F401 — the headless Chromium fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_manager_reads_the_rate_with_its_interval_sees_the_chart_and_exports(
    page,  # noqa: F811
    live_server,
    network,
):
    from playwright.sync_api import expect

    from tests.factories import CustomerFactory, RequestFactory, UnitFactory
    from wuyou.quality.models import Callback, CallbackReason, CallbackStatus

    # Given ten sampled callbacks of outlet A made this month, nine satisfied
    customer = CustomerFactory(outlet=network.outlet_a)
    unit = UnitFactory(owner=customer)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for i in range(10):
        sr = RequestFactory(customer=customer, unit=unit, outlet=network.outlet_a, status="closed")
        Callback.objects.create(
            request=sr,
            reason=CallbackReason.SAMPLE,
            due_at=now - dt.timedelta(hours=3),
            call_at=now - dt.timedelta(hours=3),
            status=CallbackStatus.DONE,
            outcome="satisfied" if i else "unsatisfied",
            done_at=now - dt.timedelta(hours=2),
        )
    requests_to_cdn: list[str] = []
    page.on("request", lambda r: requests_to_cdn.append(r.url) if not r.url.startswith(live_server.url) else None)
    # When outlet A's manager opens the quality page (the service manager's login needs his second factor)
    log_in(page, live_server, "outlet_manager_a")
    page.goto(f"{live_server.url}/quality/")
    # Then outlet A's row shows n, the rate and the Wilson interval (9 of 10: 59.6 %–98.2 %), not yet decidable
    body = page.locator("main").inner_text()
    assert "市北一网点" in body
    assert "59.6" in body and "98.2" in body, body[:2000]
    # And the chart is drawn by the vendored ECharts, with nothing fetched from outside
    expect(page.locator("#satisfaction-chart canvas, #satisfaction-chart svg").first).to_be_visible()
    assert requests_to_cdn == []
    # And a table downloads as CSV with a BOM
    with page.expect_download() as download:
        page.locator("a", has_text="CSV").first.click()
    path = download.value.path()
    assert path is not None and open(path, "rb").read(3) == b"\xef\xbb\xbf"
