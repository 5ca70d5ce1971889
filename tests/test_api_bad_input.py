"""Bad input (issue 2): every malformed request gets a 4xx problem naming the field, and nothing is written."""

from __future__ import annotations

import json

import pytest

from tests.api_client import ApiClient, fields_of
from tests.factories import CustomerFactory, ProductModelFactory, RequestFactory, UnitFactory
from wuyou.core.models import IdempotencyRecord
from wuyou.customers.models import Address, Customer, CustomerPhone, PersonalDataReveal, TimelineEntry
from wuyou.products.models import Unit, UnitEvent
from wuyou.tickets.models import RequestEvent, ServiceRequest

WRITTEN = (
    Customer,
    CustomerPhone,
    Address,
    TimelineEntry,
    PersonalDataReveal,
    Unit,
    UnitEvent,
    ServiceRequest,
    RequestEvent,
    IdempotencyRecord,
)
CUSTOMER = {"name": "孙丽", "phones": ["13811112222"], "addresses": [{"city": "青岛市", "detail": "宁夏路288号"}]}


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in WRITTEN}


@pytest.fixture
def world(network):
    owner = CustomerFactory(outlet=network.outlet_a, name="周强")
    other = CustomerFactory(outlet=network.outlet_a, name="吴敏")
    model = ProductModelFactory(code="XQG100-B14")
    unit = UnitFactory(owner=owner, product_model=model)
    other_unit = UnitFactory(owner=other, product_model=model)
    request = RequestFactory(customer=owner, status="closed")
    return {
        "owner": owner,
        "other": other,
        "unit": unit,
        "other_unit": other_unit,
        "request": request,
        "api": ApiClient(staff=network.clerk_a),
    }


def assert_refused(response, status: int, fields: set[str], before: dict[str, int]) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["detail"] and body["title"]
    assert fields_of(response) == fields
    assert counts() == before, "a refused request wrote something"


def customer_with(**changes) -> dict:
    return {**CUSTOMER, **changes}


def address_with(**changes) -> dict:
    return customer_with(addresses=[{**CUSTOMER["addresses"][0], **changes}])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (customer_with(phones=["1381111222"]), "phones[0]"),  # mobile: 10 digits
        (customer_with(phones=["23811112222"]), "phones[0]"),  # mobile: no such prefix
        (customer_with(phones=["13811112222", "0532-123"]), "phones[1]"),  # landline: local part too short
        (customer_with(phones=["010-12345"]), "phones[0]"),
        (customer_with(phones=["电话138"]), "phones[0]"),
        (customer_with(phones=[]), "phones"),
        (address_with(latitude=91, longitude=120), "addresses[0].latitude"),
        (address_with(latitude=36, longitude=181), "addresses[0].longitude"),
        (address_with(latitude=36.1), "addresses[0].longitude"),  # half a coordinate
        (customer_with(kind="robot"), "kind"),
        (customer_with(name=""), "name"),
        (customer_with(name="   "), "name"),
        (customer_with(name="李" * 101), "name"),
        (customer_with(name="王\x00五"), "name"),
        (
            customer_with(contact_windows=[{"days": "mondays", "starts_at": "09:00", "ends_at": "10:00"}]),
            "contact_windows[0].days",
        ),
        (
            customer_with(contact_windows=[{"days": "any", "starts_at": "10:00", "ends_at": "09:00"}]),
            "contact_windows[0].ends_at",
        ),
        (customer_with(outlet_id=2**70), "outlet_id"),
        (customer_with(phones="13811112222"), "phones"),
    ],
)
def test_customer_input_is_refused_naming_the_field(world, body, field):
    before = counts()
    assert_refused(world["api"].post("/customers", body), 422, {field}, before)


def test_every_field_at_fault_is_named(world):
    before = counts()
    body = address_with(latitude=-90.5, longitude=-181)
    assert_refused(
        world["api"].post("/customers", body), 422, {"addresses[0].latitude", "addresses[0].longitude"}, before
    )


def test_a_lone_surrogate_or_nan_is_refused(world):
    before = counts()
    surrogate = b'{"name": "\\ud800", "phones": ["13811112222"]}'
    assert_refused(world["api"].post("/customers", raw=surrogate), 422, {"name"}, before)
    nan = b'{"name": "x", "phones": ["13811112222"], "addresses": [{"city": "a", "detail": "b", "latitude": NaN}]}'
    # NaN is no JSON (RFC 8259): the body guard refuses it with 400, naming the field (issue 12 item 3)
    assert_refused(world["api"].post("/customers", raw=nan), 400, {"addresses[0].latitude"}, before)


def test_chinese_and_mixed_script_text_is_stored_as_given(world):
    name = "Zhang 张伟 😀 O'Brien"
    response = world["api"].post("/customers", customer_with(name=name, note="<b>加急</b>", unknown_field=1))
    assert response.status_code == 201
    assert Customer.objects.get(pk=response.json()["id"]).name == name


def test_duplicate_serial_is_409_naming_serial(world):
    before = counts()
    body = {"serial": world["unit"].serial.lower(), "model_code": "XQG100-B14", "owner_id": world["owner"].pk}
    assert_refused(world["api"].post("/units", body), 409, {"serial"}, before)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"serial": "AB"}, "serial"),
        ({"serial": "HX 2025/01"}, "serial"),
        ({"model_code": "NOPE"}, "model_code"),
        ({"purchase_date": "2999-01-01"}, "purchase_date"),
        ({"purchase_date": "1985-01-01"}, "purchase_date"),
        ({"purchase_date": "2025-02-30"}, "purchase_date"),
        ({"purchase_date": "2025-03-01", "installed_on": "2025-02-01"}, "installed_on"),
        ({"owner_id": 0}, "owner_id"),
        ({"selling_outlet_id": 999999}, "selling_outlet_id"),
    ],
)
def test_unit_input_is_refused_naming_the_field(world, changes, field):
    before = counts()
    body = {"serial": "HX2025NEW001", "model_code": "XQG100-B14", "owner_id": world["owner"].pk, **changes}
    assert_refused(world["api"].post("/units", body), 422, {field}, before)


def test_unknown_serial_in_a_request_names_unit_serial(world):
    before = counts()
    body = {"call_type": "repair", "customer_id": world["owner"].pk, "unit_serial": "HX0000UNKNOWN"}
    assert_refused(world["api"].post("/requests", body), 422, {"unit_serial"}, before)


def test_a_unit_owned_by_someone_else_names_unit_serial(world):
    before = counts()
    body = {"call_type": "repair", "customer_id": world["owner"].pk, "unit_serial": world["other_unit"].serial}
    assert_refused(world["api"].post("/requests", body), 422, {"unit_serial"}, before)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"call_type": "fix"}, "call_type"),
        ({"channel": "pigeon"}, "channel"),
        ({"priority": 5}, "priority"),
        ({"contact_phone": "1381111"}, "contact_phone"),
        ({"contact_phone": "0532-12"}, "contact_phone"),
        ({"customer_id": "abc"}, "customer_id"),
        ({"customer_id": 99999999}, "customer_id"),
        ({"reported_purchase_date": "0001-01-01"}, "reported_purchase_date"),
        ({"reported_purchase_date": "2199-01-01"}, "reported_purchase_date"),
        ({"window_start": "9999-12-31T23:59:59-14:00", "window_end": "2030-01-01T09:00:00+08:00"}, "window_start"),
        ({"window_start": "2020-01-01T09:00:00+08:00", "window_end": "2020-01-01T11:00:00+08:00"}, "window_start"),
        ({"window_start": "2030-01-01T09:00:00+08:00"}, "window_end"),
        ({"symptom": "坏" * 4001}, "symptom"),
        ({"address_id": 999999}, "address_id"),
    ],
)
def test_request_input_is_refused_naming_the_field(world, changes, field):
    before = counts()
    body = {"call_type": "repair", "customer_id": world["owner"].pk, **changes}
    assert_refused(world["api"].post("/requests", body), 422, {field}, before)


def test_a_transition_the_state_does_not_allow_is_409(world):
    before = counts()
    response = world["api"].post(f"/requests/{world['request'].pk}/transitions", {"action": "accept"})
    assert_refused(response, 409, {"action"}, before)


def test_an_unknown_action_is_422(world):
    before = counts()
    response = world["api"].post(f"/requests/{world['request'].pk}/transitions", {"action": "explode"})
    assert_refused(response, 422, {"action"}, before)


def test_a_body_over_one_mebibyte_is_413(world):
    before = counts()
    body = json.dumps(customer_with(note="x" * (1024 * 1024 + 10))).encode()
    assert_refused(world["api"].post("/customers", raw=body), 413, {"body"}, before)


def test_a_non_utf8_body_is_400(world):
    before = counts()
    body = json.dumps(CUSTOMER, ensure_ascii=False).encode("gbk")
    assert_refused(world["api"].post("/customers", raw=body), 400, {"body"}, before)


def test_malformed_json_is_400(world):
    before = counts()
    assert_refused(world["api"].post("/customers", raw=b'{"name": "x",'), 400, {"body"}, before)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_wrong_content_type_is_415(world, content_type):
    before = counts()
    response = world["api"].post("/customers", raw=json.dumps(CUSTOMER).encode(), content_type=content_type)
    assert_refused(response, 415, {"Content-Type"}, before)


@pytest.mark.parametrize("raw", [b"[]", b'"text"', b"42", b"null"])
def test_a_body_that_is_not_an_object_is_422_naming_the_required_fields(world, raw):
    before = counts()
    assert_refused(world["api"].post("/customers", raw=raw), 422, {"name", "phones"}, before)


def test_a_missing_body_is_422_naming_the_body(world):
    before = counts()
    assert_refused(world["api"].post("/customers", raw=b""), 422, {"body"}, before)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/customers", {"limit": 100000}, "limit"),
        ("/customers", {"limit": 0}, "limit"),
        ("/customers", {"offset": -1}, "offset"),
        ("/customers", {"limit": "ten"}, "limit"),
        ("/customers", {"q": "王\x00"}, "q"),
        ("/units", {"limit": 201}, "limit"),
        ("/units", {"owner_id": 2**64}, "owner_id"),
        ("/requests", {"limit": 100000}, "limit"),
        ("/requests", {"status": "open"}, "status"),
        ("/requests", {"call_type": "fix"}, "call_type"),
        ("/requests", {"overdue": "perhaps"}, "overdue"),
        ("/lookup", {"phone": "1234"}, "phone"),
        ("/lookup", {"serial": "x" * 41}, "serial"),
        ("/customers/99999999999999999999999", {}, "customer_id"),
        ("/customers/abc/timeline", {}, "customer_id"),
        ("/requests/-1", {}, "request_id"),
    ],
)
def test_bad_query_and_path_values_are_422_naming_the_parameter(world, path, params, field):
    response = world["api"].get(path, params)
    assert response.status_code == 422, response.content
    assert fields_of(response) == {field}


def test_no_token_is_401_problem(db):
    response = ApiClient().get("/customers")
    assert response.status_code == 401 and response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unexpected_error_is_a_problem_not_an_html_page(world, monkeypatch):
    from wuyou.customers import selectors

    def explode(**_kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(selectors, "customers_visible", explode)
    response = world["api"].get("/customers")
    assert response.status_code == 500 and response["Content-Type"] == "application/problem+json"
    assert "on fire" not in response.content.decode()


def test_the_openapi_document_lists_every_error_as_problem_json(db):
    client = ApiClient()
    schema = client.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            expected = {"400", "401", "404", "422"} | ({"409", "413", "415"} if method == "post" else set())
            assert expected <= set(operation["responses"]), (method, path)
            assert "application/problem+json" in operation["responses"]["422"]["content"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and b"/static/ninja/" in docs.content  # served locally, no CDN
