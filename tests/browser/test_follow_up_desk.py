"""The follow-up desk in a real headless Chromium (issue 14 items 3–4): a follow-up staff member takes a callback
from the queue, answers the questionnaire "not satisfied", and sees the request reopened with a visit to book."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_console import log_in, page  # noqa: F401 — the headless Chromium fixture
from tests.factories import StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANSWERS = {
    "q_overall": "2",
    "q_on_time": "yes",
    "q_charged_as_quoted": "yes",
    "q_asked_to_mark_satisfied": "no",
    "q_attitude": "3",
    "q_punctuality_expected": "5",
    "q_punctuality_perceived": "4",
    "q_repair_expected": "5",
    "q_repair_perceived": "2",
}


def test_follow_up_takes_a_callback_answers_not_satisfied_and_the_request_reopens(
    page,  # noqa: F811
    live_server,
    network,
):
    from playwright.sync_api import expect

    from tests.factories import CustomerFactory, UnitFactory
    from wuyou.accounts.models import Role
    from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
    from wuyou.quality.models import Callback
    from wuyou.quality.services import request_resolve_by_phone
    from wuyou.quality.services.questionnaires import questionnaire_default_install
    from wuyou.tickets.services import RequestInput, request_open

    # Given a repair resolved by phone guidance two hours ago, its callback due now, and the default questionnaire
    questionnaire_default_install()
    StaffFactory(user__username="follow_up_a", role=Role.FOLLOW_UP, outlet=network.outlet_a, display_name="回访员甲")
    clerk = network.actor(network.clerk_a)
    customer = CustomerFactory(outlet=network.outlet_a, name="李建国")
    unit = UnitFactory(owner=customer)
    sr = request_open(
        actor=clerk,
        intake=RequestInput(call_type="repair", customer_id=customer.pk, unit_serial=unit.serial, symptom="不制冷"),
    )
    callback = request_resolve_by_phone(actor=clerk, request=sr, note="指导客户清洗滤网", expected_version=sr.version)
    Callback.objects.filter(pk=callback.pk).update(due_at=callback.created_at, call_at=callback.created_at)
    # When the follow-up staff opens the queue and takes it (the row is swapped in place)
    log_in(page, live_server, "follow_up_a")
    page.goto(f"{live_server.url}/callbacks/")
    row = page.locator(f"#callback-{callback.pk}")
    expect(row).to_be_visible()
    row.locator("button.take").click()
    expect(page.locator(f"#callback-{callback.pk} .taken-by")).to_have_text("回访员甲")
    page.locator(f"#callback-{callback.pk} a.work").click()
    page.wait_for_url(re.compile(rf"/callbacks/{callback.pk}/$"))
    # Then the script and the customer's card are on the page
    expect(page.locator("#script")).to_contain_text("打扰")
    expect(page.locator("#customer-card")).to_contain_text("李建国")
    # When he answers the questionnaire: overall 2 of 5, and notes why
    form = page.locator("#callback-record-form")
    for name, value in ANSWERS.items():
        form.locator(f"label.choice-pill:has(input[name='{name}'][value='{value}'])").click()
    form.locator("textarea[name=note]").fill("空调还是不太制冷")
    with page.expect_navigation():
        page.locator("#outcome-answered").click()
    expect(page.locator(".flash-success")).to_be_visible()
    # Then the request page shows it reopened, with a new visit to book
    page.goto(f"{live_server.url}/requests/{sr.pk}/")
    # (reopened to "accepted", the reopening on its history)
    expect(page.locator(".page-head .status-accepted")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("空调还是不太制冷")
    assert WorkOrder.objects.filter(request=sr, status=WorkOrderStatus.UNBOOKED).exists()
    assert Callback.objects.get(pk=callback.pk).outcome == "unsatisfied"
