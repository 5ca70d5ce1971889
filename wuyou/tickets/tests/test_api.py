"""R-E1, R-E2, R-E5 over the API: open, list, read, verify, dispatch and move service requests."""

from __future__ import annotations

import datetime as dt
import typing

import pytest
from django.utils import timezone

from tests.api_client import ApiClient, fields_of
from tests.factories import CustomerFactory, RequestFactory, UnitFactory
from wuyou.tickets.lifecycle import TRANSITIONS
from wuyou.tickets.models import CallType, Channel, Priority, RequestEvent, ServiceRequest, Status
from wuyou.tickets.schemas import ActionValue, CallTypeValue, ChannelValue, PriorityValue, StatusValue


@pytest.fixture
def customer_a(network):
    customer = CustomerFactory(outlet=network.outlet_a, name="刘洋")
    customer.phones.update(number="13977778888")
    return customer


def complete_repair(customer, unit) -> dict:
    return {
        "call_type": "repair",
        "customer_id": customer.pk,
        "channel": "hotline",
        "priority": "high",
        "unit_serial": unit.serial,
        "symptom": "空调不制冷",
        "contact_phone": "139-7777-8888",
    }


def test_schema_enums_are_the_model_choices():
    assert typing.get_args(CallTypeValue) == tuple(CallType.values)
    assert typing.get_args(ChannelValue) == tuple(Channel.values)
    assert typing.get_args(PriorityValue) == tuple(Priority.values)
    assert typing.get_args(StatusValue) == tuple(Status.values)
    assert set(typing.get_args(ActionValue)) == set(TRANSITIONS)


def test_clerk_opens_a_complete_repair_ready_for_dispatch(network, customer_a):
    unit = UnitFactory(owner=customer_a)
    response = ApiClient(staff=network.clerk_a).post("/requests", complete_repair(customer_a, unit))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("SR") and body["status"] == "new" and body["version"] == 1
    assert (body["to_verify"], body["missing_fields"]) == (False, [])
    assert (body["unit_serial"], body["outlet_id"], body["priority"]) == (unit.serial, network.outlet_a.pk, "high")
    assert body["contact_phone"] == "139****8888"
    sr = ServiceRequest.objects.get(pk=body["id"])
    assert sr.contact_phone == "13977778888" and sr.events.get().verb == "opened"


def test_a_repair_without_model_and_purchase_date_is_flagged_to_verify(network, customer_a):
    response = ApiClient(staff=network.clerk_a).post(
        "/requests", {"call_type": "repair", "customer_id": customer_a.pk, "symptom": "漏水"}
    )
    assert response.status_code == 201
    assert response.json()["to_verify"] is True
    assert response.json()["missing_fields"] == ["model", "purchase_date"]
    assert response.json()["channel"] == "api"


def test_naive_window_times_are_read_as_local_time(network, customer_a):
    start = (timezone.localtime() + dt.timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    body = (
        ApiClient(staff=network.clerk_a)
        .post(
            "/requests",
            {
                "call_type": "order_report",
                "customer_id": customer_a.pk,
                "reported_model": "XQG100",
                "window_start": start.strftime("%Y-%m-%dT%H:%M"),
                "window_end": (start + dt.timedelta(hours=2)).isoformat(),
            },
        )
        .json()
    )
    sr = ServiceRequest.objects.get(pk=body["id"])
    assert sr.window_start == start and not sr.to_verify


def test_list_filters_and_pages(network, customer_a):
    repair = RequestFactory(customer=customer_a, call_type="repair")
    complaint = RequestFactory(customer=customer_a, call_type="complaint", status="accepted", to_verify=True)
    overdue = RequestFactory(customer=customer_a, call_type="inquiry", due_at=timezone.now() - dt.timedelta(hours=1))
    api = ApiClient(staff=network.clerk_a)

    def ids(**params) -> list[int]:
        return [r["id"] for r in api.get("/requests", params).json()["items"]]

    assert ids() == [overdue.pk, complaint.pk, repair.pk]
    assert ids(call_type="complaint") == [complaint.pk]
    assert ids(status="new") == [overdue.pk, repair.pk]
    assert ids(to_verify="true") == [complaint.pk]
    assert ids(overdue="true") == [overdue.pk]
    assert ids(customer_id=customer_a.pk, limit=1, offset=1) == [complaint.pk]
    page = api.get("/requests", {"limit": 2}).json()
    assert (page["count"], page["limit"], page["offset"], len(page["items"])) == (3, 2, 0, 2)
    assert page["items"][0]["overdue"] is True


def test_list_query_count_is_flat(network, customer_a, django_assert_max_num_queries):
    for _ in range(10):
        unit = UnitFactory(owner=customer_a)
        RequestFactory(
            customer=customer_a, unit=unit, assignee=network.engineer_a, address=customer_a.addresses.first()
        )
    api = ApiClient(staff=network.clerk_a)
    api.get("/requests", {"limit": 1})
    # session + user + profile, page (joined: customer, outlet, assignee, unit, model, address), count
    with django_assert_max_num_queries(5):
        assert len(api.get("/requests").json()["items"]) == 10


def test_detail_has_history_actions_and_version_as_etag(network, customer_a):
    sr = RequestFactory(customer=customer_a)
    RequestEvent.objects.create(request=sr, actor=network.clerk_a.user, verb="opened", to_status="new")
    response = ApiClient(staff=network.clerk_a).get(f"/requests/{sr.pk}")
    assert response.status_code == 200 and response["ETag"] == '"1"'
    body = response.json()
    assert [e["verb"] for e in body["events"]] == ["opened"] and body["events"][0]["actor_name"] == "clerk_a"
    assert [a["action"] for a in body["actions"]] == ["accept", "resolve", "cancel"]
    assert body["customer_phones"] == ["139****8888"]


def test_accept_with_the_current_version_moves_the_request(network, customer_a):
    sr = RequestFactory(customer=customer_a)
    response = ApiClient(staff=network.clerk_a).post(
        f"/requests/{sr.pk}/transitions", {"action": "accept", "version": 1}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["version"], response["ETag"]) == ("accepted", 2, '"2"')
    assert response.json()["events"][0]["verb"] == "accept"
    sr.refresh_from_db()
    assert (sr.status, sr.version) == (Status.ACCEPTED, 2)


def test_a_stale_version_is_a_409_and_changes_nothing(network, customer_a):
    sr = RequestFactory(customer=customer_a, version=3)
    response = ApiClient(staff=network.clerk_a).post(
        f"/requests/{sr.pk}/transitions", {"action": "accept", "version": 2}
    )
    assert response.status_code == 409 and fields_of(response) == {"version"}
    assert response["Content-Type"] == "application/problem+json"
    sr.refresh_from_db()
    assert (sr.status, sr.version, sr.events.count()) == (Status.NEW, 3, 0)


def test_if_match_carries_the_version(network, customer_a):
    sr = RequestFactory(customer=customer_a, version=2)
    api = ApiClient(staff=network.clerk_a)
    stale = api.post(f"/requests/{sr.pk}/transitions", {"action": "accept"}, **{"If-Match": '"1"'})
    assert stale.status_code == 409
    fresh = api.post(f"/requests/{sr.pk}/transitions", {"action": "accept"}, **{"If-Match": 'W/"2"'})
    assert fresh.status_code == 200
    garbage = api.post(f"/requests/{sr.pk}/transitions", {"action": "start"}, **{"If-Match": "*"})
    assert garbage.status_code == 422 and fields_of(garbage) == {"If-Match"}


def test_two_accepts_with_the_same_version_one_wins(network, customer_a):
    sr = RequestFactory(customer=customer_a)
    first = ApiClient(staff=network.clerk_a).post(f"/requests/{sr.pk}/transitions", {"action": "accept", "version": 1})
    second = ApiClient(staff=network.outlet_manager_a).post(
        f"/requests/{sr.pk}/transitions", {"action": "accept", "version": 1}
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    assert sr.events.filter(verb="accept").count() == 1


def test_a_transition_the_state_does_not_allow_is_409(network, customer_a):
    sr = RequestFactory(customer=customer_a, status="closed")
    response = ApiClient(staff=network.clerk_a).post(f"/requests/{sr.pk}/transitions", {"action": "accept"})
    assert response.status_code == 409 and fields_of(response) == {"action"}
    assert response.json()["code"] == "transition_not_allowed"
    assert not sr.events.exists()


def test_a_step_that_needs_a_note_names_the_note(network, customer_a):
    sr = RequestFactory(customer=customer_a)
    response = ApiClient(staff=network.clerk_a).post(f"/requests/{sr.pk}/transitions", {"action": "cancel"})
    assert response.status_code == 422 and fields_of(response) == {"note"}


def test_verify_then_assign_dispatches_the_request(network, customer_a):
    api = ApiClient(staff=network.clerk_a)
    created = api.post("/requests", {"call_type": "repair", "customer_id": customer_a.pk, "symptom": "噪音大"}).json()
    refused = api.post(f"/requests/{created['id']}/assign", {"engineer_id": network.engineer_a.pk})
    assert refused.status_code == 409 and fields_of(refused) == {"engineer_id"}
    verified = api.post(
        f"/requests/{created['id']}/verify",
        {"reported_model": "KFR-26GW", "reported_purchase_date": "2024-06-18", "version": 1},
    )
    assert verified.status_code == 200 and verified.json()["to_verify"] is False
    assigned = api.post(
        f"/requests/{created['id']}/assign",
        {"engineer_id": network.engineer_a.pk, "version": verified.json()["version"]},
    )
    assert assigned.status_code == 200
    assert (assigned.json()["assignee_id"], assigned.json()["assignee_name"]) == (network.engineer_a.pk, "engineer_a")
    assert [e["verb"] for e in assigned.json()["events"]] == ["assigned", "verified", "opened"]


def test_assigning_another_outlets_engineer_is_refused(network, customer_a):
    sr = RequestFactory(customer=customer_a)
    response = ApiClient(staff=network.hq_clerk).post(
        f"/requests/{sr.pk}/assign", {"engineer_id": network.engineer_b.pk}
    )
    assert response.status_code == 422 and fields_of(response) == {"engineer_id"}
    sr.refresh_from_db()
    assert sr.assignee is None


def test_engineer_sees_only_his_jobs_with_the_phone_masked_until_active(network, customer_a):
    mine = RequestFactory(
        customer=customer_a,
        assignee=network.engineer_a,
        contact_phone="13977778888",
        address=customer_a.addresses.first(),
    )
    RequestFactory(customer=customer_a, assignee=network.engineer_a2)
    api = ApiClient(staff=network.engineer_a)
    listed = api.get("/requests").json()
    assert [r["id"] for r in listed["items"]] == [mine.pk]
    new = api.get(f"/requests/{mine.pk}").json()
    assert new["contact_phone"] == "139****8888" and new["customer_phones"] == ["139****8888"]
    assert new["address"] == "" and "13977778888" not in str(new)
    mine.status = Status.ACCEPTED
    mine.save()
    active = api.get(f"/requests/{mine.pk}").json()
    assert active["contact_phone"] == "13977778888" and active["customer_phones"] == ["13977778888"]
    assert active["address"] == "青岛市市南区香港中路10号"
    assert "start" in [a["action"] for a in active["actions"]]


def test_engineer_moves_his_own_job(network, customer_a):
    sr = RequestFactory(customer=customer_a, assignee=network.engineer_a, status="accepted")
    response = ApiClient(staff=network.engineer_a).post(
        f"/requests/{sr.pk}/transitions", {"action": "start", "version": 1}
    )
    assert response.status_code == 200 and response.json()["status"] == "in_progress"


def test_engineer_may_not_close_a_complaint(network, customer_a):
    sr = RequestFactory(customer=customer_a, assignee=network.engineer_a, status="in_progress", call_type="complaint")
    response = ApiClient(staff=network.engineer_a).post(
        f"/requests/{sr.pk}/transitions", {"action": "resolve", "note": "已处理"}
    )
    assert response.status_code == 403
    sr.refresh_from_db()
    assert sr.status == Status.IN_PROGRESS
