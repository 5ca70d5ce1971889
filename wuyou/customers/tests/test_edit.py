"""Issue 13.1: the desk edits a customer's record — creation's checks, a stale form refused, an event on the timeline;
issue 13.2 (first half): filing a customer with the phone of one the agent can see warns first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from tests.api_client import ApiClient, fields_of
from tests.factories import CustomerFactory, RequestFactory
from wuyou.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from wuyou.customers.models import ContactWindow, Customer, CustomerPhone, TimelineEntry
from wuyou.customers.services import CustomerEdit, customer_edit

MOBILE = "13912345678"


@pytest.fixture(autouse=True)
def _in_english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def customer_a(network):
    customer = CustomerFactory(outlet=network.outlet_a, name="李建国")
    customer.phones.update(number=MOBILE)
    ContactWindow.objects.create(customer=customer, days="weekdays", starts_at=dt.time(20), ends_at=dt.time(21))
    return customer


def numbers(customer: Customer) -> list[str]:
    return list(
        CustomerPhone.objects.filter(customer=customer).order_by("-is_primary", "pk").values_list("number", flat=True)
    )


def record_events(customer: Customer) -> list[TimelineEntry]:
    return list(TimelineEntry.objects.filter(customer=customer, kind=TimelineEntry.Kind.CUSTOMER).order_by("pk"))


# --- the service ------------------------------------------------------------------------------------------------


def test_an_edit_changes_the_fields_moves_the_version_and_writes_one_event(network, customer_a):
    actor = network.actor(network.clerk_a)
    saved, changed = customer_edit(
        actor=actor,
        customer_id=customer_a.pk,
        changes=CustomerEdit(
            name=" 李建华 ", phones=["138 0000 1111", "0532-86001234"], consent_marketing=True, note="改名"
        ),
        expected_version=1,
    )
    customer_a.refresh_from_db()
    assert customer_a.name == "李建华" and customer_a.consent_marketing and customer_a.note == "改名"
    assert customer_a.version == 2 == saved.version
    assert numbers(customer_a) == ["13800001111", "0532-86001234"]
    assert CustomerPhone.objects.get(customer=customer_a, number="13800001111").is_primary
    (event,) = record_events(customer_a)
    assert event.actor_id == network.clerk_a.user_id and event.outlet_id == network.outlet_a.pk
    for label in ("name", "phones", "consents to marketing", "note"):
        assert label in event.summary and label in changed
    # The body gives from/to, phones masked (outlet staff read the timeline).
    assert "李建国 → 李建华" in event.body and "139****5678" in event.body and MOBILE not in event.body


def test_an_edit_that_changes_nothing_writes_no_event(network, customer_a):
    _saved, changed = customer_edit(
        actor=network.actor(network.clerk_a),
        customer_id=customer_a.pk,
        changes=CustomerEdit(name="李建国", phones=[MOBILE]),
        expected_version=1,
    )
    assert changed == [] and record_events(customer_a) == []


def test_a_stale_version_is_refused_and_changes_nothing(network, customer_a):
    actor = network.actor(network.clerk_a)
    customer_edit(actor=actor, customer_id=customer_a.pk, changes=CustomerEdit(note="第一"), expected_version=1)
    with pytest.raises(Conflict) as refused:
        customer_edit(
            actor=actor,
            customer_id=customer_a.pk,
            changes=CustomerEdit(name="别人", phones=["13700000000"]),
            expected_version=1,
        )
    assert refused.value.field == "version"
    customer_a.refresh_from_db()
    assert customer_a.name == "李建国" and customer_a.version == 2 and numbers(customer_a) == [MOBILE]
    assert len(record_events(customer_a)) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (CustomerEdit(phones=[MOBILE, "12345"]), "phones[1]"),
        (CustomerEdit(phones=[" "]), "phones"),
        (CustomerEdit(name="  "), "name"),
        (CustomerEdit(kind="robot"), "kind"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(network, customer_a, changes, field):
    with pytest.raises(ValidationFailed) as refused:
        customer_edit(
            actor=network.actor(network.clerk_a), customer_id=customer_a.pk, changes=changes, expected_version=1
        )
    assert field in refused.value.errors
    customer_a.refresh_from_db()
    assert customer_a.version == 1 and numbers(customer_a) == [MOBILE] and record_events(customer_a) == []


def test_addresses_change_in_place_so_a_request_keeps_its_address(network, customer_a):
    from wuyou.customers.services import AddressEdit

    home = customer_a.addresses.get()
    sr = RequestFactory(customer=customer_a, address=home)
    customer_edit(
        actor=network.actor(network.clerk_a),
        customer_id=customer_a.pk,
        changes=CustomerEdit(
            addresses=[
                AddressEdit(id=home.pk, city="青岛市", district="崂山区", detail="松岭路1号"),
                AddressEdit(city="青岛市", detail="香港中路2号", label="单位"),
            ]
        ),
        expected_version=1,
    )
    sr.refresh_from_db()
    assert sr.address_id == home.pk
    assert [a.detail for a in customer_a.addresses.order_by("-is_primary", "pk")] == ["松岭路1号", "香港中路2号"]
    with pytest.raises(ValidationFailed) as refused:
        customer_edit(
            actor=network.actor(network.clerk_a),
            customer_id=customer_a.pk,
            changes=CustomerEdit(addresses=[AddressEdit(city="青岛市", detail="", id=home.pk)]),
            expected_version=2,
        )
    assert "addresses[0].detail" in refused.value.errors


def test_who_may_edit(network, customer_a):
    def edit(staff):
        return customer_edit(
            actor=network.actor(staff), customer_id=customer_a.pk, changes=CustomerEdit(note="x"), expected_version=1
        )

    with pytest.raises(NotFound):
        edit(network.clerk_b)  # another outlet's customer
    with pytest.raises(PermissionDenied):
        edit(network.sales_rep_a)  # sees him, may not change the archive
    with pytest.raises(NotFound):
        edit(network.engineer_a)  # no active job: does not even see him
    # Outlet B handled one of his requests: B sees him but he is still A's to change.
    RequestFactory(customer=customer_a, outlet=network.outlet_b, status="closed")
    with pytest.raises(PermissionDenied):
        edit(network.clerk_b)
    customer_a.refresh_from_db()
    assert customer_a.version == 1 and customer_a.note == ""
    edit(network.hq_clerk)


def test_an_anonymised_customer_cannot_be_edited(network, customer_a):
    Customer.objects.filter(pk=customer_a.pk).update(anonymised_at=timezone.now())
    with pytest.raises(Conflict):
        customer_edit(
            actor=network.actor(network.clerk_a),
            customer_id=customer_a.pk,
            changes=CustomerEdit(name="复活"),
            expected_version=1,
        )


# --- the API ------------------------------------------------------------------------------------------------------


def test_api_patch_with_if_match_changes_only_what_is_sent(network, customer_a):
    api = ApiClient(staff=network.clerk_a)
    card = api.get(f"/customers/{customer_a.pk}").json()
    assert card["version"] == 1
    response = api.send("PATCH", f"/customers/{customer_a.pk}", {"dont_call_at_work": True}, **{"If-Match": '"1"'})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dont_call_at_work"] and body["version"] == 2 and response["ETag"] == '"2"'
    assert body["name"] == "李建国" and [p["number"] for p in body["phones"]] == ["139****5678"]
    assert len(body["contact_windows"]) == 1


def test_api_stale_version_is_409_and_nothing_changes(network, customer_a):
    api = ApiClient(staff=network.clerk_a)
    assert api.send("PATCH", f"/customers/{customer_a.pk}", {"version": 1, "note": "一"}).status_code == 200
    stale = api.send("PATCH", f"/customers/{customer_a.pk}", {"version": 1, "name": "别人", "phones": ["13700000000"]})
    assert stale.status_code == 409 and fields_of(stale) == {"version"}
    customer_a.refresh_from_db()
    assert customer_a.name == "李建国" and numbers(customer_a) == [MOBILE] and customer_a.version == 2


@pytest.mark.parametrize(
    ("body", "headers", "field"),
    [
        ({"version": 1, "phones": ["138 1234 5678", "999"]}, {}, "phones[1]"),
        ({"version": 1, "name": ""}, {}, "name"),
        ({"note": "x"}, {}, "version"),
        ({"note": "x"}, {"If-Match": "*"}, "If-Match"),
        ({"version": 1, "addresses": [{"city": "青岛市", "detail": "x", "latitude": 91}]}, {}, "addresses[0].latitude"),
        ({"version": 1, "addresses": [{"id": 999999, "city": "青岛市", "detail": "x"}]}, {}, "addresses[0].id"),
    ],
)
def test_api_bad_edits_are_problems_naming_the_field(network, customer_a, body, headers, field):
    response = ApiClient(staff=network.clerk_a).send("PATCH", f"/customers/{customer_a.pk}", body, **headers)
    assert response.status_code == 422 and field in fields_of(response), response.content
    customer_a.refresh_from_db()
    assert customer_a.version == 1 and numbers(customer_a) == [MOBILE]


def test_api_other_outlet_is_404_and_sales_rep_403(network, customer_a):
    assert (
        ApiClient(staff=network.clerk_b).send("PATCH", f"/customers/{customer_a.pk}", {"version": 1}).status_code == 404
    )
    assert (
        ApiClient(staff=network.sales_rep_a).send("PATCH", f"/customers/{customer_a.pk}", {"version": 1}).status_code
        == 403
    )


# --- the console ------------------------------------------------------------------------------------------------


def test_console_edit_page_saves_and_shows_on_the_timeline(client, network, customer_a):
    client.force_login(network.clerk_a.user)
    url = reverse("customers:edit", args=[customer_a.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="version"' in page.content.decode() and MOBILE in page.content.decode()
    detail = client.get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    assert url in detail
    form = {
        "version": "1",
        "name": "李建国",
        "kind": "person",
        "phones": f"{MOBILE}\n0532 8600 1234",
        "city": "青岛市",
        "district": "市南区",
        "detail": "香港中路10号",
        "latitude": "36.06",
        "longitude": "120.38",
        "window_days": "weekend",
        "window_from": "09:00",
        "window_until": "11:00",
        "consent_service_calls": "on",
    }
    response = client.post(url, form)
    assert response.status_code == 302
    customer_a.refresh_from_db()
    assert numbers(customer_a) == [MOBILE, "0532-86001234"] and customer_a.version == 2
    assert [(w.days, w.starts_at) for w in customer_a.contact_windows.all()] == [("weekend", dt.time(9))]
    (event,) = record_events(customer_a)
    assert "phones" in event.summary and "contact windows" in event.summary and "address" not in event.summary
    assert event.summary in client.get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    # The same form again is stale: refused with a way to reload, nothing changed.
    stale = client.post(url, form | {"name": "别人"})
    assert stale.status_code == 409 and "Someone else changed this customer" in stale.content.decode()
    customer_a.refresh_from_db()
    assert customer_a.name == "李建国" and customer_a.version == 2


def test_console_bad_phone_is_shown_next_to_the_input(client, network, customer_a):
    client.force_login(network.clerk_a.user)
    url = reverse("customers:edit", args=[customer_a.pk])
    response = client.post(url, {"version": "1", "name": "李建国", "kind": "person", "phones": f"{MOBILE}\n12345"})
    assert response.status_code == 422
    assert "12345 is not a mainland mobile" in " ".join(response.context["form"].errors["phones"])
    customer_a.refresh_from_db()
    assert customer_a.version == 1


def test_console_edit_scope_and_roles(client, network, customer_a):
    url = reverse("customers:edit", args=[customer_a.pk])
    client.force_login(network.clerk_b.user)
    assert client.get(url).status_code == 404
    assert client.post(url, {"version": "1", "name": "x", "kind": "person", "phones": MOBILE}).status_code == 404
    client.force_login(network.sales_rep_a.user)
    assert client.get(url).status_code == 403
    assert client.post(url, {"version": "1", "name": "x", "kind": "person", "phones": MOBILE}).status_code == 403
    assert url not in client.get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    customer_a.refresh_from_db()
    assert customer_a.name == "李建国"


# --- the duplicate warning ------------------------------------------------------------------------------------------


def test_console_warns_of_a_customer_with_the_same_phone_and_files_only_on_confirmation(client, network, customer_a):
    client.force_login(network.clerk_a.user)
    new = {"name": "李太太", "kind": "person", "phone_1": "139 1234 5678", "consent_service_calls": "on"}
    warned = client.post(reverse("customers:new"), new)
    content = warned.content.decode()
    assert warned.status_code == 409 and Customer.objects.count() == 1
    assert "李建国" in content and "139****5678" in content and MOBILE not in content
    assert reverse("customers:detail", args=[customer_a.pk]) in content and network.outlet_a.name in content
    assert 'name="file_anyway"' in content
    filed = client.post(reverse("customers:new"), new | {"file_anyway": "on"})
    assert filed.status_code == 302 and Customer.objects.count() == 2


def test_console_does_not_tell_of_another_outlets_customer(client, network, customer_a):
    client.force_login(network.clerk_b.user)
    filed = client.post(
        reverse("customers:new"), {"name": "李某", "kind": "person", "phone_1": MOBILE, "consent_service_calls": "on"}
    )
    assert filed.status_code == 302 and Customer.objects.count() == 2


def test_api_create_with_a_known_phone_is_409_naming_the_customer(network, customer_a):
    api = ApiClient(staff=network.clerk_a)
    body = {"name": "李太太", "phones": ["0532-86001234", MOBILE]}
    refused = api.post("/customers", body)
    assert refused.status_code == 409 and refused.json()["code"] == "duplicate_customer"
    errors = {e["field"]: e["message"] for e in refused.json()["errors"]}
    assert errors["duplicate_of"] == str(customer_a.pk) and Customer.objects.count() == 1
    assert api.post("/customers", body | {"file_anyway": True}).status_code == 201
    # Another outlet's clerk is told nothing of A's customer: the customer is filed.
    other = ApiClient(staff=network.clerk_b).post("/customers", {"name": "李某", "phones": [MOBILE]})
    assert other.status_code == 201 and other.json()["id"] != customer_a.pk


@pytest.mark.django_db(transaction=True)
def test_two_edits_of_the_same_version_at_once_one_wins(network, customer_a):
    from tests.concurrency import postgresql_only, run_together

    postgresql_only()

    def edit(name: str):
        return lambda: customer_edit(
            actor=network.actor(network.clerk_a),
            customer_id=customer_a.pk,
            changes=CustomerEdit(name=name),
            expected_version=1,
        )

    results = run_together(edit("甲"), edit("乙"))
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    customer_a.refresh_from_db()
    assert customer_a.version == 2 and customer_a.name in ("甲", "乙") and len(record_events(customer_a)) == 1
