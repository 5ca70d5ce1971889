"""R-E1, R-E2, R-E5 over the API: open, list, read, verify, dispatch and move service requests."""

from __future__ import annotations

import datetime as dt
import typing
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api_client import ApiClient, fields_of
from tests.factories import CustomerFactory, RequestFactory, UnitFactory
from wuyou.tickets.lifecycle import TRANSITIONS
from wuyou.tickets.models import (
    CallType,
    Channel,
    ClockOutcome,
    ClockStage,
    ClockState,
    Priority,
    RequestEvent,
    ServiceRequest,
    Status,
    Step,
)
from wuyou.tickets.schemas import (
    ActionValue,
    CallTypeValue,
    ChannelValue,
    ClockOutcomeValue,
    ClockStageValue,
    ClockStateValue,
    PriorityValue,
    StatusValue,
    StepValue,
)
from wuyou.tickets.services import RequestInput, request_assign, request_open, request_record, request_transition
from wuyou.tickets.sla import ClockSignal
from wuyou.tickets.sweep import clocks_sweep


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
    assert typing.get_args(StepValue) == tuple(Step.values)
    assert typing.get_args(ClockStateValue) == tuple(ClockState.values)
    assert typing.get_args(ClockStageValue) == tuple(ClockStage.values)
    assert typing.get_args(ClockOutcomeValue) == tuple(ClockOutcome.values)


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


# --- clocks and the "at risk" list (R-E4) -----------------------------------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def utc(text: str) -> str:
    """A Shanghai time as the API writes it (UTC, ISO 8601)."""
    return at(text).astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def open_repair(network, customer, **kw) -> ServiceRequest:
    """A repair opened through the real service: its clocks start (the `network` installs the default limits)."""
    actor = network.actor(network.clerk_a if customer.outlet_id == network.outlet_a.pk else network.manager)
    kw.setdefault("unit_serial", UnitFactory(owner=customer).serial)
    return request_open(
        actor=actor, intake=RequestInput(call_type="repair", customer_id=customer.pk, symptom="不制冷", **kw)
    )


@pytest.fixture
def traveller():
    with time_machine.travel(at("2026-03-02 09:00"), tick=False) as moving:
        yield moving


def test_detail_lists_the_clocks_with_stage_and_level_reached(network, customer_a, traveller):
    sr = open_repair(network, customer_a)  # Mon 09:00
    traveller.move_to(at("2026-03-03 10:00"))
    clocks_sweep()  # first response (due Tue 09:00) and appointment (Tue 09:30) breached: outlet manager reached
    body = ApiClient(staff=network.clerk_a).get(f"/requests/{sr.pk}").json()
    first = body["clocks"][0]
    assert [c["step"] for c in body["clocks"]] == ["first_response", "appointment_confirmed", "on_site", "resolved"]
    assert first == {
        "step": "first_response",
        "state": "running",
        "stage": "breached",
        "level": 1,
        "level_name": "outlet_manager",
        "outcome": "",
        "started_at": utc("2026-03-02 09:00"),
        "warn_at": utc("2026-03-03 04:12"),
        "due_at": utc("2026-03-03 09:00"),
        "provisional": False,
        "paused_at": None,
        "stopped_at": None,
    }
    assert body["overdue"] is True
    assert [e["verb"] for e in body["events"]][:2] == ["breached", "breached"]


def test_a_write_answers_with_the_clocks_it_moved(network, customer_a, traveller):
    sr = open_repair(network, customer_a)
    traveller.move_to(at("2026-03-03 10:00"))
    clocks_sweep()
    api = ApiClient(staff=network.clerk_a)
    body = api.post(f"/requests/{sr.pk}/transitions", {"action": "resolve", "note": "电话指导解决"}).json()
    by_step = {c["step"]: (c["state"], c["outcome"]) for c in body["clocks"]}
    assert by_step == {
        "first_response": ("stopped", "missed"),
        "appointment_confirmed": ("stopped", "moot"),
        "on_site": ("stopped", "moot"),
        "resolved": ("stopped", "met"),
    }
    assert body["overdue"] is False, "nothing overdue runs any more"


def test_overdue_means_a_running_clock_breached_even_once_resolved(network, customer_a, traveller):
    resolved = open_repair(network, customer_a)
    request_transition(actor=network.actor(network.clerk_a), request=resolved, action="resolve", note="已解决")
    quiet = open_repair(network, customer_a)
    traveller.move_to(at("2026-03-03 08:00"))
    api = ApiClient(staff=network.clerk_a)
    assert [r["id"] for r in api.get("/requests", {"overdue": "true"}).json()["items"]] == []
    traveller.move_to(at("2026-03-04 09:00"))
    clocks_sweep()
    api = ApiClient(staff=network.clerk_a)  # a new session: the first one expired overnight
    overdue = api.get("/requests", {"overdue": "true"}).json()["items"]
    # Resolving starts no callback clock of its own (issue 14): only the request still unanswered is overdue
    assert {r["id"] for r in overdue} == {quiet.pk}
    assert all(r["overdue"] for r in overdue)


@pytest.fixture
def risky(network, customer_a, traveller):
    """Wed 2026-03-04 12:00, just swept: outlet A's requests in each stage, and one of outlet B."""
    breached = open_repair(network, customer_a)  # Mon 09:00: answer due Tue 09:00, breached
    theirs = open_repair(network, CustomerFactory(outlet=network.outlet_b))
    traveller.move_to(at("2026-03-02 10:00"))
    dispatched = open_repair(network, customer_a)  # the visit is due Wed 17:30 and warns at 11:48
    request_assign(actor=network.actor(network.clerk_a), request=dispatched, engineer_id=network.engineer_a.pk)
    request_record(
        actor=network.actor(network.clerk_a),
        request=dispatched,
        verb="appointment_booked",
        summary="visit booked",
        clock_signal=ClockSignal.APPOINTMENT_AGREED,
    )
    traveller.move_to(at("2026-03-04 09:00"))
    soon = open_repair(network, customer_a, priority="urgent")  # answer due 13:00, warns at 12:12
    fresh = open_repair(network, customer_a)  # answer due Thu 09:00
    traveller.move_to(at("2026-03-04 12:00"))
    clocks_sweep()
    return {"breached": breached, "theirs": theirs, "dispatched": dispatched, "soon": soon, "fresh": fresh}


def test_at_risk_is_most_urgent_first_with_the_clocks_at_risk(network, risky):
    page = ApiClient(staff=network.clerk_a).get("/requests/at-risk").json()
    # The soonest clock still to save first (13:00); at 17:30 the one that also breached before the one that did not
    assert [r["id"] for r in page["items"]] == [risky[k].pk for k in ("soon", "breached", "dispatched")]
    assert (page["count"], page["limit"], page["offset"]) == (3, 50, 0)
    first = page["items"][1]
    assert first["number"] == risky["breached"].number and first["overdue"] is True
    assert [(c["step"], c["stage"], c["level_name"]) for c in first["at_risk"]] == [
        ("first_response", "breached", "head_of_service"),
        ("appointment_confirmed", "breached", "head_of_service"),
        ("on_site", "warned", "responsible"),
    ]
    assert [(c["step"], c["stage"]) for c in page["items"][0]["at_risk"]] == [("first_response", "on_time")]
    assert page["items"][0]["overdue"] is False


def test_at_risk_filters_and_pages(network, risky):
    api = ApiClient(staff=network.clerk_a)

    def ids(**params) -> list[int]:
        return [r["id"] for r in api.get("/requests/at-risk", params).json()["items"]]

    assert risky["fresh"].pk not in ids() and risky["fresh"].pk in ids(within_hours=24)
    assert ids(within_hours=0) == [risky["breached"].pk, risky["dispatched"].pk], "warned or breached only"
    assert ids(limit=1, offset=1) == [risky["breached"].pk]
    # A clerk's own: his outlet's requests nobody is assigned to (their warnings go to him)
    unassigned = [pk for pk in ids() if ServiceRequest.objects.get(pk=pk).assignee_id is None]
    assert unassigned and ids(mine="true") == unassigned
    assert (
        ApiClient(staff=network.engineer_a).get("/requests/at-risk").json()["items"][0]["id"] == risky["dispatched"].pk
    )
    manager = ApiClient(staff=network.manager)
    assert len(manager.get("/requests/at-risk", {"mine": "true"}).json()["items"]) == 4, "head office: all visible"
    outlet_manager = ApiClient(staff=network.outlet_manager_a)
    assert risky["theirs"].pk not in [
        r["id"] for r in outlet_manager.get("/requests/at-risk", {"mine": "true"}).json()["items"]
    ]


def test_at_risk_scope_another_outlet_sees_none_of_them_and_the_engineer_only_his_own(network, risky):
    clerk_b = ApiClient(staff=network.clerk_b)
    assert [r["id"] for r in clerk_b.get("/requests/at-risk").json()["items"]] == [risky["theirs"].pk]
    assert clerk_b.get(f"/requests/{risky['breached'].pk}").status_code == 404
    engineer = ApiClient(staff=network.engineer_a)
    assert [r["id"] for r in engineer.get("/requests/at-risk", {"within_hours": 168}).json()["items"]] == [
        risky["dispatched"].pk
    ]
    assert engineer.get(f"/requests/{risky['breached'].pk}").status_code == 404
    assert ApiClient(staff=network.engineer_a2).get("/requests/at-risk").json() == {
        "items": [],
        "count": 0,
        "limit": 50,
        "offset": 0,
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"within_hours": -1}, "within_hours"),
        ({"within_hours": 169}, "within_hours"),
        ({"within_hours": "soon"}, "within_hours"),
        ({"mine": "perhaps"}, "mine"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_bad_at_risk_filters_are_problems_naming_the_field(network, params, field):
    response = ApiClient(staff=network.clerk_a).get("/requests/at-risk", params)
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    assert fields_of(response) == {field}


def test_at_risk_query_count_is_flat(network, customer_a, traveller):
    open_repair(network, customer_a)
    traveller.move_to(at("2026-03-04 10:00"))
    clocks_sweep()
    api = ApiClient(staff=network.clerk_a)
    api.get("/requests/at-risk")
    with CaptureQueriesContext(connection) as one:
        assert len(api.get("/requests/at-risk").json()["items"]) == 1
    traveller.move_to(at("2026-03-02 09:00"))
    for _ in range(9):
        open_repair(network, customer_a, address_id=customer_a.addresses.first().pk)
    traveller.move_to(at("2026-03-04 10:00"))
    clocks_sweep()
    # session + user + profile, page (joined: customer, outlet, assignee, unit, address), its clocks, count
    with CaptureQueriesContext(connection) as many:
        assert len(api.get("/requests/at-risk").json()["items"]) == 10
    assert len(many) == len(one) <= 6, [q["sql"][:100] for q in many]
