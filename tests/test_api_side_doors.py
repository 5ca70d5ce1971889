"""Side doors (issue 12, defects 1 and 2): a shared customer's aggregates, and what an engineer sees after a job.

The scope walk of test_api_scope aims every GET route at outlet A's objects from outlet B. Here outlet B *may* see
A's customer, because the head office handed B a consultation for him: the walk then checks that every route shows B
its own work on him and nothing of A's (A's request, its notes, A's clerk, A's street).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.api_client import ApiClient
from tests.test_api_scope import calls_against_a, outlet_b_callers, readable
from wuyou.customers.models import PersonalDataReveal, TimelineEntry
from wuyou.customers.services import timeline_record
from wuyou.tickets.models import Status
from wuyou.tickets.services import RequestInput, request_open

A_GUIDANCE = "电话指导：先断电重启室外机"
A_NOTE = "甲网点回访约在周五晚上"
B_STREET = "延安三路5号"


@pytest.fixture
def shared(network, a_world):
    """A's customer with A's request history on his timeline, and a consultation the head office gave to B."""
    customer, request = a_world["customer"], a_world["request"]
    timeline_record(
        customer_id=customer.pk,
        actor=network.actor(network.clerk_a),
        kind=TimelineEntry.Kind.REQUEST,
        ref_kind="request",
        ref_id=request.pk,
        ref_label=request.number,
        summary=A_GUIDANCE,
        outlet_id=request.outlet_id,
    )
    timeline_record(customer_id=customer.pk, actor=network.actor(network.clerk_a), kind="note", summary=A_NOTE)
    office = customer.addresses.create(city="青岛市", district="市南区", detail=B_STREET, label="单位")
    consultation = request_open(
        actor=network.actor(network.hq_clerk),
        intake=RequestInput(
            call_type="inquiry",
            customer_id=customer.pk,
            symptom="咨询壁挂炉价格",
            outlet_id=network.outlet_b.pk,
            address_id=office.pk,
        ),
    )
    return {"customer": customer, "a_request": request, "b_request": consultation}


def a_markers(a_world) -> list[str]:
    return [
        a_world["request"].number,
        a_world["work_order"].number,
        A_GUIDANCE,
        A_NOTE,
        "clerk_a",
        "闽江路128号",
    ]


def test_outlet_b_sees_the_shared_customer_but_nothing_of_outlet_a(network, a_world, shared):
    clerk_b = ApiClient(staff=network.clerk_b)
    customer = shared["customer"]
    card = clerk_b.get(f"/customers/{customer.pk}")
    assert card.status_code == 200  # B works for him now
    timeline = clerk_b.get(f"/customers/{customer.pk}/timeline").json()["items"]
    assert [e["ref_id"] for e in timeline if e["ref_kind"] == "request"] == [shared["b_request"].pk]
    assert clerk_b.get(f"/requests/{shared['a_request'].pk}").status_code == 404
    failures = []
    callers = outlet_b_callers(network)  # every role at B, B's region, no profile, B's tokens
    for who, caller in callers.items():
        for path, params in calls_against_a(a_world, network):
            response = caller.get(path, params)
            text = readable(response)
            if response.status_code not in (200, 404):
                failures.append(f"{who} GET {path} {params}: {response.status_code}")
            elif found := [m for m in a_markers(a_world) if m in text]:
                failures.append(f"{who} GET {path} {params}: leaks {found}")
    assert failures == [], "\n".join(failures)


def test_outlet_b_sees_a_masked_address_where_its_work_needs_none(network, shared):
    addresses = ApiClient(staff=network.clerk_b).get(f"/customers/{shared['customer'].pk}").json()["addresses"]
    by_street = {a["label"]: a for a in addresses}
    home, office = by_street[""], by_street["单位"]
    assert home["masked"] and home["latitude"] is None and home["full_text"].endswith("****")
    assert "闽江路128号" not in home["full_text"]
    assert not office["masked"] and B_STREET in office["full_text"]  # B's consultation goes there
    whole = ApiClient(staff=network.clerk_a).get(f"/customers/{shared['customer'].pk}").json()["addresses"]
    assert not any(a["masked"] for a in whole) and "闽江路128号" in whole[0]["full_text"]


def test_the_head_office_sees_the_whole_timeline(network, shared):
    timeline = ApiClient(staff=network.hq_clerk).get(f"/customers/{shared['customer'].pk}/timeline").json()["items"]
    assert {A_GUIDANCE, A_NOTE} <= {e["summary"] for e in timeline}


def test_the_customer_page_of_outlet_b_shows_none_of_outlet_a(network, a_world, shared):
    client = Client()
    client.force_login(network.clerk_b.user)
    page = client.get(f"/customers/{shared['customer'].pk}/").content.decode()
    assert not [m for m in a_markers(a_world) if m in page]
    client.force_login(network.clerk_a.user)
    page = client.get(f"/customers/{shared['customer'].pk}/").content.decode()
    assert A_GUIDANCE in page and A_NOTE in page


def test_a_finished_visit_shows_no_address_to_its_engineer(network, a_world):
    work_order = a_world["work_order"]
    engineer = ApiClient(staff=network.engineer_a)
    open_visit = engineer.get(f"/dispatch/work-orders/{work_order.pk}").json()
    assert open_visit["address"] and open_visit["latitude"] is not None
    finished_at = timezone.now()
    type(work_order).objects.filter(pk=work_order.pk).update(status="done", finished_at=finished_at)
    for body in (
        engineer.get(f"/dispatch/work-orders/{work_order.pk}").json(),
        *engineer.get("/dispatch/work-orders", {"status": "done"}).json()["items"],
        *engineer.get("/dispatch/my-day", {"day": timezone.localdate().isoformat()}).json()["stops"],
    ):
        assert (body.get("address"), body.get("latitude"), body.get("longitude")) == ("", None, None), body


def test_yesterdays_visits_show_no_address_on_my_day(network, a_world):
    work_order = a_world["work_order"]
    yesterday = timezone.now() - dt.timedelta(days=1)
    type(work_order).objects.filter(pk=work_order.pk).update(
        status="done", planned_start=yesterday, window_start=yesterday, finished_at=yesterday
    )
    stops = ApiClient(staff=network.engineer_a).get("/dispatch/my-day", {"day": yesterday.date().isoformat()})
    assert all(s["address"] == "" and s["latitude"] is None for s in stops.json()["stops"])


def test_an_engineer_cannot_reveal_or_read_a_customer_whose_job_with_him_is_closed(network, a_world):
    customer, request = a_world["customer"], a_world["request"]
    engineer = ApiClient(staff=network.engineer_a)
    assert engineer.get(f"/customers/{customer.pk}").status_code == 200  # his job is active
    type(request).objects.filter(pk=request.pk).update(status=Status.CLOSED)
    response = engineer.post(f"/customers/{customer.pk}/phones/reveal", {"reason": "回访"})
    assert response.status_code == 404
    assert not PersonalDataReveal.objects.exists()
    for path in (f"/customers/{customer.pk}", f"/customers/{customer.pk}/timeline", f"/units/{a_world['unit'].serial}"):
        assert engineer.get(path).status_code == 404, path
    assert engineer.get("/lookup", {"phone": "13612349876"}).json() == {"customers": [], "units": []}


def test_another_outlets_serial_reads_like_an_unknown_one(network, a_world):
    """Defect 11: no existence oracle on serials for someone who may not see the unit."""
    clerk_b = ApiClient(staff=network.clerk_b)
    b_customer = clerk_b.get("/customers").json()["items"][0]["id"]

    def refusal(serial: str) -> tuple[int, str]:
        response = clerk_b.post("/requests", {"call_type": "repair", "customer_id": b_customer, "unit_serial": serial})
        (error,) = response.json()["errors"]
        return response.status_code, error["message"].replace(serial, "<serial>")

    assert refusal(a_world["unit"].serial) == refusal("HXNOSUCH00001")
    # The head office, who sees every unit, is told the truth.
    hq = ApiClient(staff=network.hq_clerk)
    response = hq.post(
        "/requests", {"call_type": "repair", "customer_id": b_customer, "unit_serial": a_world["unit"].serial}
    )
    message = response.json()["errors"][0]["message"]
    assert message in ("该产品已登记在其他客户名下。", "This unit is registered to another customer.")
