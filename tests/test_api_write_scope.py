"""Access for writes (issue 12, defect 12): every write route aimed at outlet A's objects, as every outlet-B caller.

Another outlet's object is a 404 on a write as on a read — never a 403 that confirms it exists, never a change. The
walk is generated from the OpenAPI document, so a new write endpoint is covered by construction; each body is filled
from its schema's required fields, so the request reaches the endpoint rather than stopping at validation.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from config.api import api
from tests.test_api_scope import leaks, outlet_b_callers, readable
from wuyou.customers.models import PersonalDataReveal
from wuyou.fees.models import InvoiceRequest
from wuyou.notifications.models import Message

WRITE_METHODS = ("post", "put", "patch", "delete")


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _resolve(schema["allOf"][0], components)
    if "anyOf" in schema:
        options = [o for o in schema["anyOf"] if o.get("type") != "null"]
        return _resolve(options[0], components) if options else {"type": "null"}
    return schema


def example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A plausible value for a schema: the first choice, the minimum, today; required fields only for objects."""
    schema = _resolve(schema, components)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {name: example(properties[name], components) for name in schema.get("required", [])}
    if kind == "array":
        return [example(schema.get("items", {}), components)] if schema.get("minItems") else []
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "number":
        return max(float(schema.get("minimum", 1)), 1.0)
    if kind == "boolean":
        return True
    if kind == "string":
        if schema.get("format") == "date":
            return dt.date.today().isoformat()
        if schema.get("format") == "date-time":
            return dt.datetime.now(dt.UTC).isoformat()
        return "测试" * max(1, int(schema.get("minLength", 1)))
    return None


def write_routes() -> list[tuple[str, str, Any]]:
    """Every write route with a path parameter (an object to aim at), with a body built from its schema."""
    document = api.get_openapi_schema()
    components = document.get("components", {}).get("schemas", {})
    routes = []
    for path, operations in document["paths"].items():
        if "{" not in path:
            continue
        for method in WRITE_METHODS:
            if method not in operations:
                continue
            operation = operations[method]
            content = operation.get("requestBody", {}).get("content", {})
            body = example(content["application/json"]["schema"], components) if "application/json" in content else {}
            path = path.removeprefix("/api/v1")
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and "enum" in _resolve(parameter.get("schema", {}), components):
                    # A path part that names a kind (a visit's step) rather than an object: its first choice.
                    path = path.replace("{" + parameter["name"] + "}", str(example(parameter["schema"], components)))
            routes.append((method, path, body))
    return routes


def invoice_of(wo: Any) -> InvoiceRequest:
    """An invoice request of outlet A's visit, for the finance desk's write (R-B5)."""
    return InvoiceRequest.objects.get_or_create(
        work_order=wo,
        defaults={
            "outlet_id": wo.outlet_id,
            "title_kind": "personal",
            "title": "李建国",
            "email": "a@example.com",
            "amount": "1.00",
        },
    )[0]


def message_of(staff: Any) -> Message:
    """A message in an outlet-A clerk's inbox: nobody else marks it read."""
    return Message.objects.create(
        recipient=staff.user,
        channel="console",
        kind="clock_warning",
        subject="SR990101777777 即将超时",
        dedupe_key=f"scope-walk:{staff.pk}",
        inbox=True,
    )


def aimed_at_a(a_world, network) -> list[tuple[str, str, Any]]:
    ids = {
        "message_id": message_of(network.clerk_a).pk,
        "customer_id": a_world["customer"].pk,
        "request_id": a_world["request"].pk,
        "serial": a_world["unit"].serial,
        "work_order_id": a_world["work_order"].pk,
        "plan_id": a_world["plan"].pk,
        "place_id": a_world["place"].pk,
        "requisition_id": a_world["requisition"].pk,
        "take_back_id": a_world["take_back"].pk,
        "loan_id": a_world["loan"].pk,
        "quote_id": a_world["work_order"].quotes.get().pk,
        "invoice_id": invoice_of(a_world["work_order"]).pk,
        "callback_id": a_world["callback"].pk,
        "complaint_id": a_world["complaint"].pk,
        "action_id": a_world["action"].pk,
    }
    calls = []
    for method, path, body in write_routes():
        for name in re.findall(r"{(\w+)}", path):
            if name not in ids:
                pytest.fail(f"teach the write walk a value of outlet A for path parameter {name!r} of {path}")
            path = path.replace("{" + name + "}", str(ids[name]))
        calls.append((method, path, body))
    return calls


def test_the_walk_covers_the_writes_on_objects():
    paths = {re.sub(r"/steps/\w+$", "/steps/{step}", path) for _method, path, _body in write_routes()}
    assert {
        "/customers/{customer_id}/notes",
        "/customers/{customer_id}/phones/reveal",
        "/requests/{request_id}/transitions",
        "/dispatch/plans/{plan_id}/adjust",
        "/fees/quotes/{quote_id}/settle",
    } <= paths


def test_no_outlet_b_caller_may_write_to_outlet_a_objects(network, a_world):
    before = {
        "request": (a_world["request"].status, a_world["request"].version),
        "timeline": a_world["customer"].timeline.count(),
    }
    failures = []
    calls = aimed_at_a(a_world, network)
    for who, caller in outlet_b_callers(network).items():
        for method, path, body in calls:
            response = caller.send(method, path, body)
            text = readable(response)
            # 404: not found for him (nothing else: not 403, not a 422 weighing the body against A's object)
            if response.status_code != 404:
                failures.append(f"{who} {method.upper()} {path}: {response.status_code} {text[:160]}")
            elif found := leaks(text, a_world):
                failures.append(f"{who} {method.upper()} {path}: leaks {found}")
    assert failures == [], "\n".join(failures)
    a_world["request"].refresh_from_db()
    assert (a_world["request"].status, a_world["request"].version) == before["request"]
    assert a_world["customer"].timeline.count() == before["timeline"]
    assert not PersonalDataReveal.objects.exists()
    assert not Message.objects.filter(read_at__isnull=False).exists()
