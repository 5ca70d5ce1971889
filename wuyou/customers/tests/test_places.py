"""Addresses on the map (issue 13 item 3): placed at filing, the nearest outlet from that point, never a silent guess;
the point moved by hand on the customer page, within the actor's scope."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import CustomerFactory, OutletFactory
from wuyou.core.errors import ValidationFailed
from wuyou.customers.models import Address, Customer, TimelineEntry
from wuyou.customers.services import AddressInput, CustomerInput, customer_create


@pytest.fixture(autouse=True)
def _in_english(settings):
    """The messages asserted below are the English ones (the catalogue translates them all)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def qingdao(network):
    """The demo's 城阳 and 市南 outlets, 城阳 first (the one a silent guess used to pick)."""
    region = network.outlet_a.region
    chengyang = OutletFactory(region=region, name="城阳正阳路服务网点", latitude=36.3074, longitude=120.3958)
    shinan = OutletFactory(region=region, name="市南香港中路服务网点", latitude=36.0632, longitude=120.3896)
    network.outlet_a.latitude = network.outlet_a.longitude = None  # an outlet not on the map is never "nearest"
    network.outlet_a.save()
    return chengyang, shinan


def file(actor, *addresses: AddressInput, **kw) -> Customer:
    return customer_create(
        actor=actor, profile=CustomerInput(name="刘洋", phones=["13812345678"], addresses=list(addresses), **kw)
    )


def test_without_coordinates_the_gazetteer_point_picks_the_nearest_outlet_not_the_first(network, qingdao):
    chengyang, shinan = qingdao
    customer = file(
        network.actor(network.hq_clerk), AddressInput(city="青岛市", district="市南区", detail="香港中路76号")
    )
    assert customer.outlet == shinan != chengyang
    address = customer.addresses.get()
    assert address.geo_precision == "street"
    assert abs(float(address.latitude) - 36.062) < 0.01 and abs(float(address.longitude) - 120.383) < 0.01


def test_typed_coordinates_are_kept_as_typed(network, qingdao):
    customer = file(
        network.actor(network.hq_clerk),
        AddressInput(city="青岛市", district="市南区", detail="香港中路76号", latitude=36.30, longitude=120.39),
    )
    address = customer.addresses.get()
    assert customer.outlet == qingdao[0] and address.geo_precision == "" and float(address.latitude) == 36.30


def test_an_unplaceable_address_without_an_outlet_is_refused_naming_outlet_id(network, qingdao):
    with pytest.raises(ValidationFailed) as err:
        file(network.actor(network.hq_clerk), AddressInput(city="青岛市", detail="海景花园3栋"))
    assert "outlet_id" in err.value.errors and "choose the outlet" in err.value.errors["outlet_id"]
    with pytest.raises(ValidationFailed) as err:
        file(network.actor(network.hq_clerk))  # no address at all: nothing to place either
    assert "outlet_id" in err.value.errors
    assert not Customer.objects.exists()


def test_an_unplaceable_address_is_filed_where_the_agent_says_and_stays_off_the_map(network, qingdao):
    customer = file(
        network.actor(network.hq_clerk), AddressInput(city="青岛市", detail="海景花园3栋"), outlet_id=qingdao[1].pk
    )
    address = customer.addresses.get()
    assert customer.outlet == qingdao[1] and address.latitude is None and address.geo_precision == ""


def test_an_outlet_clerk_files_under_his_outlet_and_the_point_is_still_stored(network, qingdao):
    customer = file(
        network.actor(network.clerk_b), AddressInput(city="青岛市", district="市南区", detail="香港中路1号")
    )
    assert customer.outlet == network.outlet_b and customer.addresses.get().geo_precision == "street"


# --- the form ------------------------------------------------------------------------------------------------------


def login(client, staff):
    client.force_login(staff.user)
    return client


NEW = {"name": "刘洋", "kind": "person", "phone_1": "13812345678", "city": "青岛市", "consent_service_calls": "on"}


def test_head_office_form_offers_every_outlet_and_an_unplaceable_address_asks_for_one(client, network, qingdao):
    login(client, network.hq_clerk)
    page = client.get(reverse("customers:new")).content.decode()
    for outlet in (network.outlet_a, network.outlet_b, *qingdao):
        assert f'value="{outlet.pk}"' in page
    response = client.post(reverse("customers:new"), {**NEW, "detail": "海景花园3栋"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422 and not Customer.objects.exists()
    assert "choose the outlet that serves it" in response.content.decode()
    client.post(reverse("customers:new"), {**NEW, "district": "市南区", "detail": "香港中路76号"})
    assert Customer.objects.get().outlet == qingdao[1]


def test_an_outlet_clerk_sees_only_his_outlet_preselected(client, network):
    page = login(client, network.clerk_a).get(reverse("customers:new")).content.decode()
    assert f'<option value="{network.outlet_a.pk}" selected>' in page
    assert f'value="{network.outlet_b.pk}"' not in page


# --- moving the point ---------------------------------------------------------------------------------------------


@pytest.fixture
def customer_a(network):
    customer = CustomerFactory(outlet=network.outlet_a, name="李建国")
    Address.objects.filter(customer=customer).update(geo_precision="street")
    return customer


def test_the_customer_page_loads_the_map_with_the_point_and_the_outlet(client, network, customer_a):
    login(client, network.clerk_a)
    detail = client.get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    assert reverse("customers:address_place", args=[customer_a.pk]) in detail and "js/address_map.js" in detail
    panel = client.get(reverse("customers:address_place", args=[customer_a.pk]), HTTP_ACCEPT_LANGUAGE="en", **HX)
    body = panel.content.decode()
    assert panel.status_code == 200 and "<svg" in body and 'class="map-address"' in body
    assert network.outlet_a.name in body and "approximate" in body and "<html" not in body


def test_moving_the_point_saves_it_as_manual_with_a_timeline_line(client, network, customer_a):
    address = customer_a.addresses.get()
    url = reverse("customers:address_place", args=[customer_a.pk])
    response = login(client, network.clerk_a).post(
        url, {"address_id": address.pk, "latitude": "36.0701", "longitude": "120.3912"}, **HX
    )
    assert response.status_code == 200 and "customer-changed" in response["HX-Trigger"]
    address.refresh_from_db()
    assert (float(address.latitude), float(address.longitude), address.geo_precision) == (36.0701, 120.3912, "manual")
    line = customer_a.timeline.get(kind=TimelineEntry.Kind.CUSTOMER)
    assert "36.07010" in line.summary and line.actor_id == network.clerk_a.user_id
    # without htmx: back to the customer page
    plain = client.post(url, {"address_id": address.pk, "latitude": "36.07", "longitude": "120.39"})
    assert plain.status_code == 302 and plain["Location"] == reverse("customers:detail", args=[customer_a.pk])


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"latitude": "91", "longitude": "120.39"}, "latitude"),
        ({"latitude": "36.07", "longitude": "-181"}, "longitude"),
        ({"latitude": "", "longitude": "120.39"}, "latitude"),
        ({"latitude": "nan", "longitude": "120.39"}, "latitude"),
        ({"latitude": "36.07", "longitude": "东经"}, "longitude"),
    ],
)
def test_bad_coordinates_are_refused_with_the_field_and_nothing_changes(client, network, customer_a, data, field):
    address = customer_a.addresses.get()
    response = login(client, network.clerk_a).post(
        reverse("customers:address_place", args=[customer_a.pk]),
        {"address_id": address.pk, **data},
        HTTP_ACCEPT_LANGUAGE="en",
        **HX,
    )
    assert response.status_code == 422
    assert f'<div class="alert alert-error" role="alert"><p>{field.capitalize()}: ' in response.content.decode()
    address.refresh_from_db()
    assert float(address.latitude) == 36.06 and address.geo_precision == "street"
    assert not customer_a.timeline.exists()


def test_another_outlet_cannot_see_or_move_the_point(client, network, customer_a):
    address = customer_a.addresses.get()
    url = reverse("customers:address_place", args=[customer_a.pk])
    login(client, network.clerk_b)
    assert client.get(url, **HX).status_code == 404
    response = client.post(url, {"address_id": address.pk, "latitude": "36.2", "longitude": "120.5"}, **HX)
    assert response.status_code == 404
    # nor an address of another customer through his own customer's URL
    own = CustomerFactory(outlet=network.outlet_b)
    other_url = reverse("customers:address_place", args=[own.pk])
    assert (
        client.post(other_url, {"address_id": address.pk, "latitude": "36.2", "longitude": "120.5"}).status_code == 404
    )
    address.refresh_from_db()
    assert float(address.latitude) == 36.06 and address.geo_precision == "street"


def test_an_engineer_gets_no_map_and_may_not_move_points(client, network, customer_a):
    address = customer_a.addresses.get()
    login(client, network.engineer_a)
    response = client.post(
        reverse("customers:address_place", args=[customer_a.pk]),
        {"address_id": address.pk, "latitude": "36.2", "longitude": "120.5"},
    )
    assert response.status_code == 404  # he sees no customer outside his active jobs
    address.refresh_from_db()
    assert address.geo_precision == "street"
