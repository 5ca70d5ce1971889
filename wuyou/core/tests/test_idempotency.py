"""Idempotent creation: a retried POST with the same Idempotency-Key creates one record (IETF draft)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from tests.api_client import ApiClient, fields_of
from tests.factories import CustomerFactory, ProductModelFactory
from wuyou.accounts.services import api_token_issue
from wuyou.core.idempotency import request_fingerprint
from wuyou.core.models import IdempotencyRecord
from wuyou.customers.models import Customer
from wuyou.products.models import Unit
from wuyou.tickets.models import ServiceRequest

CUSTOMER = {"name": "赵敏", "phones": ["13900001111"], "addresses": [{"city": "青岛市", "detail": "燕儿岛路1号"}]}


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def test_a_retry_replays_the_first_response_and_creates_nothing_new(network):
    api = ApiClient(staff=network.clerk_a)
    first = api.post("/customers", CUSTOMER, **key("retry-1"))
    # the retry's JSON differs only in key order and spacing
    again = api.post(
        "/customers", {"addresses": CUSTOMER["addresses"], "phones": ["13900001111"], "name": "赵敏"}, **key("retry-1")
    )
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Customer.objects.count() == 1
    record = IdempotencyRecord.objects.get()
    assert (record.state, record.caller, record.response_status) == ("done", f"user:{network.clerk_a.user_id}", 201)


def test_a_response_looks_the_same_with_or_without_a_key(network):
    api = ApiClient(staff=network.hq_clerk)
    plain = api.post("/customers", CUSTOMER).json()
    keyed = api.post("/customers", {**CUSTOMER, "phones": ["13900002222"]}, **key("k")).json()
    assert set(plain) == set(keyed)
    assert len(plain["created_at"]) == len(keyed["created_at"])  # same datetime encoding


def test_the_same_key_with_a_different_body_is_422_and_writes_nothing(network):
    api = ApiClient(staff=network.clerk_a)
    api.post("/customers", CUSTOMER, **key("k-1"))
    response = api.post("/customers", {**CUSTOMER, "name": "周芷若"}, **key("k-1"))
    assert response.status_code == 422 and fields_of(response) == {"Idempotency-Key"}
    assert list(Customer.objects.values_list("name", flat=True)) == ["赵敏"]


def test_the_same_key_on_another_endpoint_is_422(network):
    customer = CustomerFactory(outlet=network.outlet_a)
    api = ApiClient(staff=network.clerk_a)
    api.post("/customers", CUSTOMER, **key("k-2"))
    response = api.post("/requests", {"call_type": "inquiry", "customer_id": customer.pk}, **key("k-2"))
    assert response.status_code == 422
    assert not ServiceRequest.objects.exists()


def test_another_callers_same_key_creates_its_own_record(network):
    ApiClient(staff=network.clerk_a).post("/customers", CUSTOMER, **key("shared"))
    other = ApiClient(staff=network.hq_clerk).post(
        "/customers", {**CUSTOMER, "phones": ["13900003333"]}, **key("shared")
    )
    assert other.status_code == 201 and "Idempotent-Replayed" not in other
    assert Customer.objects.count() == 2
    assert IdempotencyRecord.objects.filter(key="shared").count() == 2


def test_a_token_and_its_account_do_not_share_keys(network):
    _token, secret = api_token_issue(name="ERP", user_id=network.clerk_a.user_id, outlet=network.outlet_a)
    ApiClient(staff=network.clerk_a).post("/customers", CUSTOMER, **key("same"))
    # the same body under the same key from the token: not a replay of the clerk's call (the phone is filed
    # again on purpose, past the duplicate warning)
    response = ApiClient(token=secret).post("/customers", {**CUSTOMER, "file_anyway": True}, **key("same"))
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Customer.objects.count() == 2


def test_a_failed_first_call_drops_its_key_so_a_corrected_retry_succeeds(network):
    api = ApiClient(staff=network.clerk_a)
    bad = api.post("/customers", {**CUSTOMER, "phones": ["12345"]}, **key("fix-me"))
    assert bad.status_code == 422 and fields_of(bad) == {"phones[0]"}
    assert not IdempotencyRecord.objects.exists()
    good = api.post("/customers", CUSTOMER, **key("fix-me"))
    assert good.status_code == 201 and Customer.objects.count() == 1


def test_a_retry_while_the_first_is_still_running_is_409(network):
    api = ApiClient(staff=network.clerk_a)
    IdempotencyRecord.objects.create(
        caller=f"user:{network.clerk_a.user_id}",
        key="busy",
        method_path="POST /api/v1/customers",
        body_hash=request_fingerprint(b'{"name":"x","phones":["13900001111"]}'),
    )
    response = api.post("/customers", {"name": "x", "phones": ["13900001111"]}, **key("busy"))
    assert response.status_code == 409 and fields_of(response) == {"Idempotency-Key"}
    assert not Customer.objects.exists()


def test_a_stale_running_claim_is_taken_over(network, settings):
    settings.WUYOU_IDEMPOTENCY_STALE_SECONDS = 60
    caller = f"user:{network.clerk_a.user_id}"
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=5)):
        IdempotencyRecord.objects.create(
            caller=caller,
            key="dead",
            method_path="POST /api/v1/customers",
            body_hash=request_fingerprint('{"name": "赵敏", "phones": ["13900001111"]}'.encode()),
        )
    response = ApiClient(staff=network.clerk_a).post(
        "/customers", {"name": "赵敏", "phones": ["13900001111"]}, **key("dead")
    )
    assert response.status_code == 201
    assert IdempotencyRecord.objects.get(caller=caller, key="dead").state == "done"


@pytest.mark.parametrize("bad_key", ["", "x" * 256])
def test_an_empty_or_overlong_key_is_refused(network, bad_key):
    response = ApiClient(staff=network.clerk_a).post("/customers", CUSTOMER, **key(bad_key))
    assert response.status_code == 422 and fields_of(response) == {"Idempotency-Key"}
    assert not Customer.objects.exists()


def test_units_and_requests_honour_the_key_too(network):
    owner = CustomerFactory(outlet=network.outlet_a)
    ProductModelFactory(code="KFR-35GW")
    api = ApiClient(staff=network.clerk_a)
    unit = {"serial": "HX20250001", "model_code": "KFR-35GW", "owner_id": owner.pk}
    assert [api.post("/units", unit, **key("u")).status_code for _ in range(2)] == [201, 201]
    request = {"call_type": "inquiry", "customer_id": owner.pk, "symptom": "问价格"}
    first, second = (api.post("/requests", request, **key("r")) for _ in range(2))
    assert first.json() == second.json() and second["Idempotent-Replayed"] == "true"
    assert (Unit.objects.count(), ServiceRequest.objects.count()) == (1, 1)
