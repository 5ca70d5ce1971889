"""Bodies the JSON parser cannot take (issue 12 item 3): a problem+json 400 naming the body, before authentication.

Too deep a nesting once raised RecursionError in the body guard and came back as an HTML 500 to anyone.
"""

from __future__ import annotations

import pytest

from tests.api_client import ApiClient, fields_of
from wuyou.core.middleware import MAX_JSON_DEPTH, json_depth
from wuyou.customers.models import Customer

UNREADABLE = {
    "1000 nested arrays": b"[" * 1000 + b"]" * 1000,
    "100000 nested arrays": b"[" * 100_000 + b"]" * 100_000,
    "nested objects past the limit": b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1),
    "arrays one past the limit": b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1),
    "deep inside a field": b'{"name": "x", "phones": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "unclosed nesting": b"[" * 50_000,
    "invalid UTF-8": b'{"name": "\xff\xfe"}',
    "a lone surrogate's bytes": b'{"name": "\xed\xa0\x80"}',
    "truncated": b'{"name": "x",',
}
# Numbers no field takes: refused by the guard too, naming the field they stand in.
OUT_OF_RANGE = {
    "NaN": (b'{"name": "x", "addresses": [{"latitude": NaN}]}', "addresses[0].latitude"),
    "Infinity": (b'{"name": "x", "addresses": [{"latitude": Infinity}]}', "addresses[0].latitude"),
    "-Infinity": (b'{"name": "x", "addresses": [{"longitude": -Infinity}]}', "addresses[0].longitude"),
    "a float past double range": (b'{"name": "x", "addresses": [{"latitude": 1e400}]}', "addresses[0].latitude"),
    "a 5000-digit integer": (b'{"name": "x", "outlet_id": ' + b"9" * 5000 + b"}", "outlet_id"),
    "a 100-digit integer": (b'{"name": "x", "outlet_id": ' + b"1" * 100 + b"}", "outlet_id"),
    "a 100-digit float": (
        b'{"name": "x", "addresses": [{"latitude": 0.' + b"1" * 100 + b"}]}",
        "addresses[0].latitude",
    ),
    "a bare NaN": (b"NaN", "body"),
    "inside a list": (b'{"phones": ["13811112222", -Infinity]}', "phones[1]"),
}


def assert_bad_body(response, field: str = "body") -> None:
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400 and body["title"] and body["detail"]
    assert fields_of(response) == {field}


@pytest.mark.parametrize(("raw", "field"), OUT_OF_RANGE.values(), ids=OUT_OF_RANGE.keys())
def test_a_number_json_does_not_allow_is_400_naming_its_field_before_authentication(db, raw, field):
    assert_bad_body(ApiClient().post("/customers", raw=raw), field)
    assert len(ApiClient().post("/customers", raw=raw).content) < 2000  # the literal is not echoed in full


@pytest.mark.parametrize(("raw", "field"), OUT_OF_RANGE.values(), ids=OUT_OF_RANGE.keys())
def test_a_number_json_does_not_allow_is_400_for_a_logged_in_caller_and_writes_nothing(network, raw, field):
    before = Customer.objects.count()
    assert_bad_body(ApiClient(staff=network.clerk_a).post("/customers", raw=raw), field)
    assert Customer.objects.count() == before


@pytest.mark.parametrize("raw", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_an_unreadable_body_is_400_before_authentication(db, raw):
    assert_bad_body(ApiClient().post("/customers", raw=raw))


@pytest.mark.parametrize("raw", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_an_unreadable_body_is_400_for_a_logged_in_caller_and_writes_nothing(network, raw):
    before = Customer.objects.count()
    assert_bad_body(ApiClient(staff=network.clerk_a).post("/customers", raw=raw))
    assert Customer.objects.count() == before


def test_nesting_at_the_limit_passes_the_guard_and_meets_the_schema(network):
    """64 levels are JSON the guard lets through: the schema then names the fields, as for any wrong shape."""
    raw = (
        b'{"name": "x", "phones": ["13811112222"], "tags": ' + b"[" * (MAX_JSON_DEPTH - 1) + b"]" * (MAX_JSON_DEPTH - 1)
    )
    response = ApiClient(staff=network.clerk_a).post("/customers", raw=raw + b"}")
    assert response.status_code != 400 or fields_of(response) != {"body"}, response.content[:300]
    assert response.status_code < 500


def test_ordinary_numbers_and_brackets_inside_text_are_not_refused(network):
    body = {
        "name": "[[[[{{{{" * 10,
        "phones": ["13811112222"],
        "addresses": [{"city": "青岛市", "detail": "]]]}}}", "latitude": 36.0667, "longitude": 120.3826}],
    }
    response = ApiClient(staff=network.clerk_a).post("/customers", body)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("document", "depth"),
    [(1, 0), ("[[[", 0), ([], 1), ({"a": [1, {"b": []}]}, 4), ({"a": 1}, 1), ([[[[]]], []], 4)],
)
def test_json_depth_counts_arrays_and_objects(document, depth):
    assert json_depth(document) == depth


def test_json_depth_stops_walking_past_the_limit():
    deep: list = []
    node = deep
    for _ in range(10 * MAX_JSON_DEPTH):
        child: list = []
        node.append(child)
        node = child
    assert MAX_JSON_DEPTH < json_depth(deep) <= MAX_JSON_DEPTH + 1
