"""The engineer's phone (issue 13 item 6): the visit leads with its next step, the steps done fold to a line each, and
"my jobs" is a list of cards that fits a 390 px screen."""

from __future__ import annotations

import os
import re

import pytest

from tests.browser.test_console import log_in
from tests.browser.test_engineer_day import PHONE, phone  # noqa: F401 — the phone-sized Chromium fixture
from tests.field_service import field_service  # noqa: F401 — the field-service fixture
from wuyou.fieldservice.tests.test_views import commit_day, walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The visit page was ~4,700 px long on this phone with every step's form open; folded, it is well under half.
MAX_VISIT_HEIGHT = 2000
LONG_NAME = "欧阳建国与上官秀英"  # nine characters: one a line would stand ~9 lines tall


def _height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def _width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _lines(locator) -> float:
    """How many lines of text an element stands (its height over its line height)."""
    return locator.evaluate(
        "el => { const s = getComputedStyle(el); const lh = parseFloat(s.lineHeight) || parseFloat(s.fontSize) * 1.45;"
        " return el.getBoundingClientRect().height / lh; }"
    )


def test_the_visit_leads_with_its_next_step_and_my_jobs_are_cards(phone, live_server, field_service):  # noqa: F811
    from playwright.sync_api import expect

    from wuyou.customers.models import Customer
    from wuyou.fieldservice.services import StepInput

    f = field_service
    page = phone
    shots = os.environ.get("WUYOU_SCREENSHOTS")

    def shot(name: str) -> None:
        if shots:
            page.screenshot(path=os.path.join(shots, f"phone-{name}.png"), full_page=True)

    # Given two visits of engineer_a today, committed by the desk: one not started, one on site with the diagnosis
    # and the work done
    later = f.work_order(windows=(("10:30", "12:30"),), lat=36.08, lon=120.40)
    busy = f.work_order(lat=36.071, lon=120.385)
    commit_day(f)
    Customer.objects.filter(requests__work_orders=busy).update(name=LONG_NAME)
    walk(
        f,
        busy,
        ("on_the_way", StepInput()),
        ("arrived", StepInput()),
        ("diagnosis", StepInput(note="启动电容老化，外机不启动，需要更换启动电容后再试机")),
        ("work_done", StepInput(note="更换启动电容")),
    )

    # When he logs in on his phone: "my jobs" is a card a job, nothing to scroll sideways
    log_in(page, live_server, "engineer_a")
    page.goto(f"{live_server.url}/jobs/")
    cards = page.locator("#job-cards .job-card")
    expect(cards).to_have_count(2)
    shot("1-jobs")
    assert _width(page) <= PHONE["width"]
    assert page.locator("table.requests").count() == 0  # the desk's table is not his
    card = page.locator(f"#job-{busy.request_id}")
    name = card.locator(".job-customer")
    expect(name).to_have_text(LONG_NAME)
    assert _lines(name) <= 2.1, "the customer's name wraps a character a line"
    # Each card says when, where and what comes next, and opens the visit
    expect(card.locator(".job-when time")).to_have_text(re.compile(r"^\d\d-\d\d \d\d:\d\d–\d\d:\d\d$"))
    expect(card.locator(".job-next")).to_be_visible()
    expect(card.locator("a.tel")).to_be_visible()  # today's open visit: the number to call
    expect(page.locator(f"#job-{later.request_id} .job-next")).to_be_visible()

    # When he opens the visit on site: the next step (the test run) is open at the top, its button on the screen
    with page.expect_navigation():
        card.locator("a.button.big").click()
    page.wait_for_url(re.compile(rf"/dispatch/work-orders/{busy.pk}/$"))
    shot("2-visit-on-site")
    assert _width(page) <= PHONE["width"]
    focus = page.locator(".visit-now #step-test_run")
    expect(focus).to_have_attribute("open", "")
    button = focus.locator("button[type=submit]")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"], box
    assert box["height"] >= 48
    # The steps done are a line each, folded, saying what they recorded; the rest are folded too
    diagnosis = page.locator("#step-diagnosis")
    assert diagnosis.get_attribute("open") is None
    expect(diagnosis.locator(".step-summary")).to_contain_text("启动电容老化")
    assert _lines(diagnosis.locator(".step-summary")) <= 1.1
    for key in ("work_done", "parts_used", "take_back", "rating", "done"):
        assert page.locator(f"#step-{key}").get_attribute("open") is None, key
    assert page.locator("details.step-card[open]:not(#step-quote)").count() == 1  # the quote card folds its own form
    height = _height(page)
    assert height < MAX_VISIT_HEIGHT, height
    # A folded step is a tap away: the diagnosis opens to be corrected
    diagnosis.locator("summary").click()
    expect(page.locator("#diagnosis-note")).to_be_visible()
    expect(page.locator("#diagnosis-note")).to_have_value(re.compile("启动电容老化"))
    # Saving the test run brings the rating to the top of the screen, its button (under the signature pad) on it
    focus.locator("label.choice-pill", has=page.locator("input[value=passed]")).click()
    with page.expect_navigation():
        button.click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("#step-test_run .step-summary")).not_to_be_empty()
    rating = page.locator(".visit-now #step-rating button[type=submit]")
    expect(rating).to_be_in_viewport()
    box = rating.bounding_box()
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"], box
    shot("2b-visit-rating")

    # And the visit not started leads with the call to the customer, its button on the screen too
    page.goto(f"{live_server.url}/dispatch/work-orders/{later.pk}/")
    shot("3-visit-planned")
    button = page.locator(".visit-now #step-confirm_call button[type=submit]")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"], box
    assert page.locator("#step-on_the_way").get_attribute("open") is None
    assert _height(page) < MAX_VISIT_HEIGHT
    assert _width(page) <= PHONE["width"]
    # Saving it brings the next step to the top
    with page.expect_navigation():
        button.click()
    expect(page.locator(".visit-now #step-on_the_way")).to_have_attribute("open", "")
    assert page.locator("#step-arrived").get_attribute("open") is None
