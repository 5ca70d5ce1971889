"""A complaint transferred by an authority needs the manager's written report, on time (R-E4, R-G3)."""

from __future__ import annotations

import pytest

from tests.api_client import ApiClient, fields_of
from tests.factories import CustomerFactory
from wuyou.core.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.tickets.models import ClockOutcome, ClockState, RequestEvent
from wuyou.tickets.services import RequestInput, request_authority_report, request_open

REPORT = "经核查，用户反映的热水器点火故障属实，已于当日上门更换点火针并致歉，用户表示满意。"


@pytest.fixture
def transferred(network):
    customer = CustomerFactory(outlet=network.outlet_a)
    return request_open(
        actor=network.actor(network.clerk_a),
        intake=RequestInput(
            call_type="complaint", customer_id=customer.pk, channel="authority", symptom="12315 转来投诉"
        ),
    )


def test_the_report_clock_starts_with_the_complaint_and_is_met_when_the_manager_files(network, transferred):
    clock = transferred.clocks.get(step="authority_report")
    assert clock.state == ClockState.RUNNING and clock.unit == "working_days"
    request_authority_report(actor=network.actor(network.outlet_manager_a), request=transferred, report=REPORT)
    clock.refresh_from_db()
    assert clock.state == ClockState.STOPPED and clock.outcome == ClockOutcome.MET
    event = RequestEvent.objects.get(request=transferred, verb="authority_report")
    assert event.note == REPORT and event.actor_id == network.outlet_manager_a.user_id


def test_only_a_manager_files_it_and_only_once(network, transferred):
    with pytest.raises(PermissionDenied):
        request_authority_report(actor=network.actor(network.clerk_a), request=transferred, report=REPORT)
    request_authority_report(actor=network.actor(network.manager), request=transferred, report=REPORT)
    with pytest.raises(Conflict):
        request_authority_report(actor=network.actor(network.manager), request=transferred, report=REPORT)


def test_a_short_report_or_an_ordinary_complaint_is_refused(network, transferred):
    with pytest.raises(ValidationFailed) as short:
        request_authority_report(actor=network.actor(network.manager), request=transferred, report="已处理")
    assert short.value.field == "report"
    ordinary = request_open(
        actor=network.actor(network.clerk_a),
        intake=RequestInput(call_type="complaint", customer_id=transferred.customer_id, symptom="服务态度差"),
    )
    assert not ordinary.clocks.filter(step="authority_report").exists()
    with pytest.raises(TransitionNotAllowed):
        request_authority_report(actor=network.actor(network.manager), request=ordinary, report=REPORT)


def test_the_manager_files_it_from_the_request_page_and_the_api(network, transferred, client):
    page = f"/requests/{transferred.pk}/"
    client.force_login(network.clerk_a.user)
    assert "authority-report" not in client.get(page).content.decode()  # a clerk does not file it
    client.force_login(network.outlet_manager_a.user)
    assert f"/requests/{transferred.pk}/authority-report/" in client.get(page).content.decode()
    short = client.post(f"{page}authority-report/", {"report": "已处理", "version": transferred.version})
    assert short.status_code == 422
    done = client.post(f"{page}authority-report/", {"report": REPORT, "version": transferred.version})
    assert done.status_code == 302
    assert RequestEvent.objects.filter(request=transferred, verb="authority_report").count() == 1
    again = ApiClient(staff=network.manager).post(f"/requests/{transferred.pk}/authority-report", {"report": REPORT})
    assert again.status_code == 409 and fields_of(again) == {"report"}


def test_another_outlet_gets_404_for_the_report(network, transferred, client):
    other = ApiClient(staff=network.clerk_b)
    assert other.post(f"/requests/{transferred.pk}/authority-report", {"report": REPORT}).status_code == 404
    client.force_login(network.clerk_b.user)
    response = client.post(f"/requests/{transferred.pk}/authority-report/", {"report": REPORT, "version": 1})
    assert response.status_code == 404
