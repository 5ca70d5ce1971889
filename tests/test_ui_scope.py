"""R-H1 in the web UI: every customer, unit and request page, walked as another outlet's staff, is a 404.

The walk is generated from the URL map, so a new page that takes a customer, unit or request id is
covered by construction; a page that answers anything but 404 (or 405 for the other method) fails.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import CustomerFactory, ProductModelFactory, StaffFactory, UnitFactory, UserFactory
from wuyou.accounts.models import Role
from wuyou.core.masking import mask_phone
from wuyou.customers.models import PersonalDataReveal, TimelineEntry
from wuyou.products.models import Unit, UnitEvent
from wuyou.tickets.models import RequestEvent, ServiceRequest, Status

HX = {"HTTP_HX_REQUEST": "true"}
ID_PARAMS = {"customer_id", "request_id", "unit_id"}


def object_routes() -> list[tuple[str, str]]:
    """(name, route) of every UI route that takes the id of a customer, unit or request."""
    found: list[tuple[str, str]] = []

    def walk(patterns: list, prefix: str, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                if str(p.pattern).startswith(("api/", "admin/")):
                    continue
                walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
            elif isinstance(p, URLPattern) and set(p.pattern.converters) & ID_PARAMS:
                found.append((f"{namespace}:{p.name}", prefix + str(p.pattern)))

    walk(get_resolver().url_patterns, "", "")
    return found


def test_the_walk_finds_every_object_page():
    names = {name for name, _route in object_routes()}
    assert {
        "customers:detail",
        "customers:timeline",
        "customers:reveal",
        "customers:note",
        "products:customer_units",
        "products:unit_detail",
        "tickets:customer_requests",
        "tickets:detail",
        "tickets:transition",
        "tickets:assign",
        "tickets:verify",
    } <= names


@pytest.fixture
def world_a(network):
    """Outlet A's customer with a unit and a request assigned to engineer A (not to his colleague)."""
    customer = CustomerFactory(outlet=network.outlet_a, name="欧阳秀英")
    unit = UnitFactory(owner=customer, serial="HXSCOPE000001")
    sr = ServiceRequest.objects.create(
        call_type="repair",
        customer=customer,
        unit=unit,
        outlet=network.outlet_a,
        assignee=network.engineer_a,
        status=Status.ACCEPTED,
        number="SR990909000001",
        symptom="不制冷",
        address=customer.addresses.first(),
    )
    return {"customer": customer, "unit": unit, "request": sr, "phone": customer.phones.get().number}


def outsiders(network):
    """Everyone who must not see outlet A's customer: outlet B's roles, a colleague, a user without a role."""
    b = network.outlet_b
    return {
        "clerk_b": network.clerk_b.user,
        "engineer_b": network.engineer_b.user,
        "outlet_manager_b": StaffFactory(user__username="om_b", role=Role.OUTLET_MANAGER, outlet=b).user,
        "sales_rep_b": StaffFactory(user__username="sales_b", role=Role.SALES_REP, outlet=b).user,
        "colleague_engineer_a2": network.engineer_a2.user,
        "no_profile": UserFactory(username="nobody"),
    }


def counts() -> tuple[int, ...]:
    return (
        TimelineEntry.objects.count(),
        PersonalDataReveal.objects.count(),
        Unit.objects.count(),
        UnitEvent.objects.count(),
        RequestEvent.objects.count(),
        ServiceRequest.objects.count(),
    )


def test_every_object_page_is_a_404_for_outsiders_and_writes_nothing(client, network, world_a):
    model = ProductModelFactory()
    ids = {"customer_id": world_a["customer"].pk, "unit_id": world_a["unit"].pk, "request_id": world_a["request"].pk}
    post_body = {
        "reason": "x",
        "summary": "x",
        "phase": "after",
        "serial": "HXSCOPE000002",
        "model": model.code,
        "call_type": "repair",
        "channel": "hotline",
        "priority": "normal",
        "action": "cancel",
        "note": "x",
        "version": 1,
        "engineer": network.engineer_a.pk,
        "symptom": "x",
    }
    before = counts()
    leaks = []
    for who, user in outsiders(network).items():
        client.force_login(user)
        for name, route in object_routes():
            url = "/" + route
            for param, value in ids.items():
                url = url.replace(f"<int:{param}>", str(value))
            answers = [
                client.get(url).status_code,
                client.get(url, **HX).status_code,
                client.post(url, post_body).status_code,
                client.post(url, post_body, **HX).status_code,
            ]
            if any(code not in (404, 405) for code in answers) or 404 not in answers:
                leaks.append((who, name, answers))
    assert leaks == []
    assert counts() == before


def test_search_lists_and_jobs_show_nothing_of_outlet_a(client, network, world_a):
    probes = ["欧阳秀英", world_a["phone"], mask_phone(world_a["phone"]), "HXSCOPE000001", "SR990909000001"]
    for who, user in outsiders(network).items():
        client.force_login(user)
        pages = {
            q: client.get("/customers/", {"q": q}).content.decode()
            for q in ("欧阳", world_a["phone"], "hxscope000001", "香港中路")
        }
        pages |= {
            url: client.get(url).content.decode() for url in ("/", "/requests/", "/requests/?status=open", "/jobs/")
        }
        for typed, page in pages.items():
            # The search box echoes what was typed; anything else of outlet A's is a leak.
            assert not [p for p in probes if p != typed and p in page], (who, typed)
            assert 'class="card customer-card"' not in page, (who, typed)


def test_the_404_page_is_the_sites_own(client, network, world_a):
    client.force_login(network.clerk_b.user)
    response = client.get(f"/customers/{world_a['customer'].pk}/")
    assert response.status_code == 404 and 'class="topbar"' in response.content.decode()


def test_engineer_sees_the_phone_masked_on_an_inactive_job(client, network, world_a):
    sr = world_a["request"]
    sr.status = Status.RESOLVED
    sr.save()
    client.force_login(network.engineer_a.user)
    page = client.get(f"/requests/{sr.pk}/").content.decode()
    assert page.count(mask_phone(world_a["phone"])) == 1 and world_a["phone"] not in page
    assert "香港中路" not in page  # nor the address
    customer_page = client.get(f"/customers/{world_a['customer'].pk}/").content.decode()
    assert world_a["phone"] not in customer_page and "香港中路" not in customer_page


def test_regional_manager_sees_his_regions_outlet_but_not_the_other(client, network, world_a):
    theirs = CustomerFactory(outlet=network.outlet_b)
    client.force_login(network.regional_manager.user)
    assert client.get(f"/customers/{world_a['customer'].pk}/").status_code == 200
    assert client.get(f"/customers/{theirs.pk}/").status_code == 404


def test_a_shared_customers_pages_show_outlet_b_nothing_of_outlet_a(client, network, world_a):
    """Issue 12 defect 1: B works for A's customer now (the head office gave B a consultation); every page of his
    that takes his id shows B its own work and nothing of A's — the request, its history, A's clerk, A's notes."""
    from wuyou.customers.services import timeline_record
    from wuyou.tickets.services import RequestInput, request_open

    customer, sr = world_a["customer"], world_a["request"]
    secret = "甲网点：电话指导已做，周五回访"
    clerk_a = network.actor(network.clerk_a)
    timeline_record(customer_id=customer.pk, actor=clerk_a, kind="note", summary=secret)
    timeline_record(
        customer_id=customer.pk,
        actor=clerk_a,
        kind="request",
        ref_kind="request",
        ref_id=sr.pk,
        ref_label=sr.number,
        summary=f"{sr.number} {secret}",
        outlet_id=sr.outlet_id,
    )
    UnitEvent.objects.create(
        unit=world_a["unit"], verb="serviced", actor=network.clerk_a.user, data={"request": sr.number}
    )
    request_open(
        actor=network.actor(network.hq_clerk),
        intake=RequestInput(call_type="inquiry", customer_id=customer.pk, outlet_id=network.outlet_b.pk),
    )
    markers = [secret, sr.number, "clerk_a"]
    pages = [
        "/" + route.replace("<int:customer_id>", str(customer.pk)).replace("<int:unit_id>", str(world_a["unit"].pk))
        for _name, route in object_routes()
        if "request_id" not in route
    ]
    b = network.outlet_b
    insiders_of_b = {
        "clerk_b": network.clerk_b.user,
        "outlet_manager_b": StaffFactory(user__username="om_b2", role=Role.OUTLET_MANAGER, outlet=b).user,
        "regional_manager_b": StaffFactory(
            user__username="rm_b2", role=Role.REGIONAL_MANAGER, outlet=None, region=b.region
        ).user,
    }
    leaks = []
    for who, user in insiders_of_b.items():
        client.force_login(user)
        assert client.get(f"/customers/{customer.pk}/").status_code == 200, who
        for url in pages:
            for headers in ({}, HX):
                page = client.get(url, **headers).content.decode()
                if found := [m for m in markers if m in page]:
                    leaks.append((who, url, found))
    assert leaks == []
