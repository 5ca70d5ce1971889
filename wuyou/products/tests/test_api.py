"""R-B1, R-B2 over the API: register units, list them, follow a unit's history; look up phone or serial."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.api_client import ApiClient, fields_of
from tests.factories import CustomerFactory, ProductModelFactory, UnitFactory
from wuyou.products.models import Unit, UnitEvent


@pytest.fixture
def owner(network):
    customer = CustomerFactory(outlet=network.outlet_a, name="陈静")
    customer.phones.update(number="13955556666")
    return customer


@pytest.fixture
def model(db):
    return ProductModelFactory(code="KFR-35GW/BpXAA1", name="挂壁式变频空调")


def test_clerk_registers_a_unit_and_gets_201(network, owner, model):
    address = owner.addresses.get()
    response = ApiClient(staff=network.clerk_a).post(
        "/units",
        {
            "serial": " hx2025a0001 ",
            "model_code": model.code,
            "owner_id": owner.pk,
            "purchase_date": "2025-03-01",
            "selling_outlet_id": network.outlet_a.pk,
            "installed_on": "2025-03-05",
            "install_address_id": address.pk,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["serial"], body["model_code"], body["owner_id"], body["install_address_id"]) == (
        "HX2025A0001",
        model.code,
        owner.pk,
        address.pk,
    )
    unit = Unit.objects.get(serial="HX2025A0001")
    assert unit.purchase_date == dt.date(2025, 3, 1) and unit.selling_outlet == network.outlet_a
    assert unit.events.get().verb == UnitEvent.Verb.REGISTERED


def test_another_outlets_customer_is_an_unknown_owner(network, model):
    stranger = CustomerFactory(outlet=network.outlet_b)
    response = ApiClient(staff=network.clerk_a).post(
        "/units", {"serial": "HX2025A0002", "model_code": model.code, "owner_id": stranger.pk}
    )
    assert response.status_code == 422 and fields_of(response) == {"owner_id"}
    assert not Unit.objects.exists()


def test_unknown_model_code_names_the_field(network, owner):
    response = ApiClient(staff=network.clerk_a).post(
        "/units", {"serial": "HX2025A0003", "model_code": "NOPE-1", "owner_id": owner.pk}
    )
    assert response.status_code == 422 and fields_of(response) == {"model_code"}


def test_units_list_by_owner_newest_first(network, owner):
    older, newer = UnitFactory(owner=owner), UnitFactory(owner=owner)
    UnitFactory(owner=CustomerFactory(outlet=network.outlet_a))
    body = ApiClient(staff=network.clerk_a).get("/units", {"owner_id": owner.pk}).json()
    assert [u["serial"] for u in body["items"]] == [newer.serial, older.serial] and body["count"] == 2


def test_units_list_query_count_is_flat(network, django_assert_max_num_queries):
    for _ in range(10):
        UnitFactory(owner=CustomerFactory(outlet=network.outlet_a))
    api = ApiClient(staff=network.clerk_a)
    api.get("/units", {"limit": 1})
    # session + user + profile, page (with model, category, owner), count
    with django_assert_max_num_queries(5):
        assert len(api.get("/units").json()["items"]) == 10


def test_unit_detail_carries_its_history(network, owner):
    unit = UnitFactory(owner=owner)
    UnitEvent.objects.create(unit=unit, verb=UnitEvent.Verb.REGISTERED, actor=network.clerk_a.user)
    UnitEvent.objects.create(unit=unit, verb=UnitEvent.Verb.INSTALLED, actor=None, data={"by": "张师傅"})
    response = ApiClient(staff=network.clerk_a).get(f"/units/{unit.serial.lower()}")
    assert response.status_code == 200
    body = response.json()
    assert body["serial"] == unit.serial and body["owner_name"] == "陈静"
    assert [(e["verb"], e["actor_name"]) for e in body["history"]] == [("installed", ""), ("registered", "clerk_a")]


def test_unknown_serial_is_404_naming_the_serial(network):
    response = ApiClient(staff=network.clerk_a).get("/units/HX0000000000")
    assert response.status_code == 404 and fields_of(response) == {"serial"}


def test_lookup_by_phone_finds_the_customer_and_units(network, owner):
    unit = UnitFactory(owner=owner)
    api = ApiClient(staff=network.clerk_a)
    for phone in ("13955556666", "+86 139-5555-6666"):
        body = api.get("/lookup", {"phone": phone}).json()
        assert [c["id"] for c in body["customers"]] == [owner.pk]
        assert [u["serial"] for u in body["units"]] == [unit.serial]
        assert body["customers"][0]["phones"][0]["number"] == "139****6666"


def test_lookup_by_serial_finds_the_unit_and_owner(network, owner):
    unit = UnitFactory(owner=owner)
    body = ApiClient(staff=network.hq_clerk).get("/lookup", {"serial": unit.serial.lower()}).json()
    assert [u["serial"] for u in body["units"]] == [unit.serial]
    assert [c["name"] for c in body["customers"]] == ["陈静"]
    assert body["customers"][0]["phones"][0]["number"] == "13955556666"


def test_lookup_of_an_unknown_number_is_empty(network, owner):
    assert ApiClient(staff=network.clerk_a).get("/lookup", {"phone": "13700000000"}).json() == {
        "customers": [],
        "units": [],
    }


@pytest.mark.parametrize("params", [{}, {"phone": "13955556666", "serial": "HX1"}])
def test_lookup_needs_exactly_one_of_phone_or_serial(network, params):
    response = ApiClient(staff=network.clerk_a).get("/lookup", params)
    assert response.status_code == 422 and fields_of(response) == {"phone", "serial"}


@pytest.mark.parametrize("phone", ["12345", "0532-123", "1381234567a", "23812345678"])
def test_lookup_of_a_malformed_number_is_422_naming_phone(network, phone):
    response = ApiClient(staff=network.clerk_a).get("/lookup", {"phone": phone})
    assert response.status_code == 422 and fields_of(response) == {"phone"}


def test_lookup_query_count_is_flat(network, owner, django_assert_max_num_queries):
    for _ in range(5):
        UnitFactory(owner=owner)
    api = ApiClient(staff=network.clerk_a)
    api.get("/units", {"limit": 1})
    # session + user + profile, customers, phones, addresses, contact windows, units
    with django_assert_max_num_queries(8):
        assert len(api.get("/lookup", {"phone": "13955556666"}).json()["units"]) == 5
