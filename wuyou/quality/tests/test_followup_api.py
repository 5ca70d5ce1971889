"""R-G1, R-F3 in the API (issue 14 item 3): /api/v1/callbacks — the queue, one callback, take, record, move."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.api_client import ApiClient
from tests.factories import StaffFactory
from wuyou.accounts.models import Role
from wuyou.customers.models import ContactWindow
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.quality.models import Callback, CallbackAnswer
from wuyou.quality.services.questionnaires import questionnaire_default_install
from wuyou.tickets.models import Status

from .conftest import at

UNHAPPY = {
    "overall": "2",
    "on_time": "yes",
    "charged_as_quoted": "yes",
    "asked_to_mark_satisfied": "no",
    "attitude": "3",
    "punctuality_expected": "5",
    "punctuality_perceived": "4",
    "repair_expected": "5",
    "repair_perceived": "2",
}


def fields_of(response) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


def test_the_queue_lists_due_callbacks_with_both_times_and_the_masked_phone(desk):
    callback = desk.guide(desk.request())
    api = ApiClient(staff=desk.follow_up_a)
    body = api.get("/callbacks", {"due": "all"}).json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["id"] == callback.pk and item["reason"] == "phone_guidance" and item["status"] == "pending"
    assert item["due_at"] and item["call_at"] and item["attempts"] == 0
    assert "****" in item["phone"]
    assert api.get("/callbacks", {"due": "now"}).json()["count"] == 0, "due at 12:00, it is 10:00"
    assert api.get("/callbacks", {"due": "all", "mine": True}).json()["count"] == 0
    assert api.post(f"/callbacks/{callback.pk}/take").status_code == 200
    mine = api.get("/callbacks", {"due": "all", "mine": True}).json()
    assert [i["id"] for i in mine["items"]] == [callback.pk] and mine["items"][0]["assigned_to_name"] == "回访员甲"


def test_roles_without_scope_get_an_empty_queue(desk, network):
    desk.guide(desk.request())
    for staff in (network.engineer_a, StaffFactory(role=Role.REGIONAL_MANAGER, outlet=None), desk.follow_up_b):
        response = ApiClient(staff=staff).get("/callbacks", {"due": "all"})
        assert response.status_code == 200 and response.json()["items"] == []


def test_two_staff_taking_one_callback_one_gets_it_the_other_409(desk):
    callback = desk.guide(desk.request())
    colleague = StaffFactory(role=Role.FOLLOW_UP, outlet=desk.network.outlet_a)
    assert ApiClient(staff=desk.follow_up_a).post(f"/callbacks/{callback.pk}/take").status_code == 200
    response = ApiClient(staff=colleague).post(f"/callbacks/{callback.pk}/take")
    assert response.status_code == 409 and response["Content-Type"] == "application/problem+json"
    assert "callback" in fields_of(response)


def test_an_unhappy_answer_reopens_the_request_and_opens_a_visit(desk):
    questionnaire_default_install()
    sr = desk.request()
    callback = desk.guide(sr)
    desk.now("2026-03-03 12:05")
    api = ApiClient(staff=desk.follow_up_a)
    response = api.post(
        f"/callbacks/{callback.pk}/record", {"outcome": "answered", "answers": UNHAPPY, "note": "还是坏"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "done" and body["outcome"] == "unsatisfied"
    assert {a["code"]: a["value"] for a in body["answers"]}["overall"] == "2"
    assert body["questionnaire_version_id"] is not None
    sr.refresh_from_db()
    assert sr.status not in (Status.RESOLVED, Status.CLOSED)
    assert WorkOrder.objects.filter(request=sr, status=WorkOrderStatus.UNBOOKED).exists()
    again = api.post(f"/callbacks/{callback.pk}/record", {"outcome": "satisfied"})
    assert again.status_code == 409, "recorded twice: one wins"
    assert api.get(f"/callbacks/{callback.pk}").json()["outcome"] == "unsatisfied"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "answered", "answers": {k: v for k, v in UNHAPPY.items() if k != "on_time"}}, "answers.on_time"),
        ({"outcome": "answered", "answers": {**UNHAPPY, "overall": "9"}}, "answers.overall"),
        ({"outcome": "answered", "answers": {**UNHAPPY, "nonsense": "x"}}, "answers.nonsense"),
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": "unsatisfied", "note": ""}, "note"),
    ],
)
def test_bad_answers_are_refused_naming_the_field_and_nothing_is_written(desk, body, field):
    questionnaire_default_install()
    callback = desk.guide(desk.request())
    response = ApiClient(staff=desk.follow_up_a).post(f"/callbacks/{callback.pk}/record", body)
    assert response.status_code == 422, response.content
    assert field in fields_of(response)
    callback.refresh_from_db()
    assert callback.is_pending and not CallbackAnswer.objects.exists()


def test_moving_outside_the_customers_windows_is_422_naming_call_at(desk):
    sr = desk.request()
    ContactWindow.objects.create(customer=sr.customer, days="any", starts_at=dt.time(19), ends_at=dt.time(21))
    callback = desk.guide(sr)
    api = ApiClient(staff=desk.follow_up_a)
    response = api.post(f"/callbacks/{callback.pk}/move", {"call_at": "2026-03-04T10:00:00+08:00"})
    assert response.status_code == 422 and fields_of(response) == {"call_at"}
    response = api.post(f"/callbacks/{callback.pk}/move", {"call_at": "2026-03-04T19:30:00+08:00"})
    assert response.status_code == 200
    assert Callback.objects.get(pk=callback.pk).call_at == at("2026-03-04 19:30")
    response = api.post(f"/callbacks/{callback.pk}/move", {"call_at": "not a time"})
    assert response.status_code == 422 and fields_of(response) == {"call_at"}


def test_another_outlets_callback_is_404_everywhere(desk):
    callback = desk.guide(desk.request())
    for staff in (desk.follow_up_b, desk.network.clerk_b):
        api = ApiClient(staff=staff)
        assert api.get(f"/callbacks/{callback.pk}").status_code == 404
        assert api.post(f"/callbacks/{callback.pk}/take").status_code == 404
        assert api.post(f"/callbacks/{callback.pk}/record", {"outcome": "satisfied"}).status_code == 404
        assert api.post(f"/callbacks/{callback.pk}/move", {"call_at": "2026-03-04T19:30:00+08:00"}).status_code == 404
    callback.refresh_from_db()
    assert callback.is_pending and callback.assigned_to is None


def test_the_queue_query_count_is_pinned(desk, django_assert_max_num_queries):
    for _ in range(3):
        desk.guide(desk.request())
    api = ApiClient(staff=desk.follow_up_a)
    with django_assert_max_num_queries(12) as few:
        api.get("/callbacks", {"due": "all"})
    for _ in range(5):
        desk.guide(desk.request())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.get("/callbacks", {"due": "all"}).json()["count"] == 8
