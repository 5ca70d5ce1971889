"""The agent console in a real headless Chromium: the clerk's main path, and the language switch."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.factories import PASSWORD, CustomerFactory, UnitFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def page(live_server) -> Iterator:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        tab.set_default_timeout(10_000)
        yield tab
        context.close()
        browser.close()


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form[action='/login/'] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_clerk_finds_the_customer_opens_a_repair_and_accepts_it(page, live_server, network):
    from playwright.sync_api import expect

    customer = CustomerFactory(outlet=network.outlet_a, name="陈美玲")
    unit = UnitFactory(owner=customer)
    phone = customer.phones.get().number
    # Given a clerk of outlet A at the console
    log_in(page, live_server, "clerk_a")
    # When she types the caller's number, the card appears without a page load
    page.fill("#q", phone)
    page.keyboard.press("End")
    card = page.locator("#results .customer-card", has_text="陈美玲")
    expect(card).to_be_visible()
    card.locator("a.card-title").click()
    page.wait_for_url(re.compile(rf"/customers/{customer.pk}/$"))
    # Then she opens a repair for the registered unit from the customer page
    form = page.locator("#open-request-form")
    expect(form).to_be_visible()
    form.locator("select[name=call_type]").select_option("repair")
    form.locator("select[name=unit]").select_option(unit.serial)
    form.locator("textarea[name=symptom]").fill("空调不制冷，外机不转")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/requests/\d+/$"))
    number = page.locator("h1 .mono").inner_text().strip()
    assert number.startswith("SR")
    # And sees it in the request list
    page.click("nav a[href='/requests/']")
    row_link = page.locator("#results a", has_text=number)
    expect(row_link).to_be_visible()
    row_link.click()
    page.wait_for_url(re.compile(r"/requests/\d+/$"))
    # And accepts it on the detail page
    expect(page.locator(".status-new")).to_be_visible()
    page.click("#transition-form button[value=accept]")
    expect(page.locator(".page-head .status-accepted")).to_be_visible()
    expect(page.locator("#transition-form button[value=start]")).to_be_visible()


def test_language_switch_to_english_and_back(page, live_server, network):
    from playwright.sync_api import expect

    log_in(page, live_server, "clerk_a")
    page.click(".lang button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#q")).to_have_attribute("placeholder", re.compile("Phone, serial number"))
    page.click(".lang button[value=zh-hans]")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
