"""The quote on a phone (issue 5 item 3): an engineer quotes an out-of-warranty repair, the customer signs and
accepts on the screen, the parts are booked from the van, and the receipt explains every charge (page and PDF)."""

from __future__ import annotations

import os
import re

import pytest

from tests.browser.test_console import log_in
from tests.browser.test_engineer_day import PHONE, phone  # noqa: F401 — the phone-sized Chromium fixture
from tests.field_service import field_service  # noqa: F401 — the field-service fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_engineer_quotes_the_customer_signs_parts_are_booked_and_the_receipt_explains(
    phone,  # noqa: F811
    live_server,
    field_service,  # noqa: F811
):
    from playwright.sync_api import expect

    from wuyou.fees.models import FeeQuote, QuoteStatus
    from wuyou.fees.tests.test_views import COMPRESSOR_SERIAL, visit_on_site
    from wuyou.parts.models import StockMove

    page = phone
    shots = os.environ.get("WUYOU_SCREENSHOTS")

    def shot(name: str) -> None:
        if shots:
            page.screenshot(path=os.path.join(shots, f"quote-{name}.png"), full_page=True)

    def submit(locator: str) -> None:
        with page.expect_navigation():
            page.locator(locator).click()
        expect(page.locator(".flash-success")).to_be_visible()

    # Given engineer A on site at an air conditioner bought in 2021, a compressor and filters in his van
    v = visit_on_site(field_service)
    log_in(page, live_server, "engineer_a")
    page.goto(f"{live_server.url}/dispatch/work-orders/{v.wo.pk}/")
    card = page.locator("#step-quote")
    expect(card).to_be_visible()
    # When he quotes a worn compressor with a part from his van
    card.locator("label.choice-pill", has=page.locator("input[value=wear]")).click()
    rows = card.locator("[data-part-row]")
    rows.nth(0).locator("select[name=part_code]").select_option("CMP-35")
    shot("1-form")
    submit("#quote-show")
    # Then the customer sees each line with its explanation and the total in big type, on a phone-wide page
    view = page.locator("#quote-view")
    expect(view.locator(".quote-why").first).not_to_be_empty()
    expect(page.locator("#quote-pays")).to_have_text(re.compile(r"^¥\d+\.\d\d$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot("2-quote")
    # When the customer signs on the screen and accepts
    canvas = page.locator("#step-quote [data-signature-canvas]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 200
    x, y = box["x"], box["y"]
    page.mouse.move(x + 30, y + 100)
    page.mouse.down()
    for dx, dy in ((70, 40), (120, 120), (170, 50), (230, 110)):
        page.mouse.move(x + dx, y + dy, steps=4)
    page.mouse.up()
    expect(page.locator("#step-quote [data-signature-value]")).to_have_value(re.compile(r"^data:image/png;base64,"))
    page.fill("#quote-signed-by", "李建国")
    submit("#quote-accept")
    expect(page.locator("#quote-status")).to_have_class(re.compile("quote-status-accepted"))
    fee = FeeQuote.objects.get(work_order=v.wo)
    assert fee.status == QuoteStatus.ACCEPTED and fee.signature.startswith("data:image/png;base64,")
    # Then "Parts used" is prefilled from the quote: he types the compressor's serial and saves
    parts = page.locator("#step-parts_used [data-part-row]")
    expect(parts.nth(0).locator("select[name=part_code]")).to_have_value("CMP-35")
    parts.nth(0).locator("input[name=part_serial]").fill(COMPRESSOR_SERIAL)
    shot("3-parts")
    submit("#step-parts_used button[type=submit]")
    assert StockMove.objects.filter(work_order=v.wo, serial=COMPRESSOR_SERIAL, quantity=-1).exists()
    # And the receipt shows the explanation and the serial, and its PDF link answers with a PDF
    with page.expect_navigation():
        page.locator("#quote-receipt").click()
    expect(page.locator(".part-serials")).to_have_text(COMPRESSOR_SERIAL)
    expect(page.locator(".receipt-why p").first).not_to_be_empty()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot("4-receipt")
    href = page.locator("#receipt-pdf").get_attribute("href")
    assert href
    pdf = page.request.get(live_server.url + href)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
