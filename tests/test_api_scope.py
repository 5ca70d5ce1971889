"""Access (R-H1, issue 2 item 7): a generated walk of every GET route as every outlet-B caller → 0 leaks of A."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from config.api import api
from tests.api_client import ApiClient
from tests.factories import CustomerFactory, RequestFactory, StaffFactory, UnitFactory
from wuyou.accounts.models import Role
from wuyou.accounts.services import api_token_issue, api_token_revoke
from wuyou.customers.models import PersonalDataReveal, TimelineEntry
from wuyou.dispatch.models import DispatchPlan, WorkOrder
from wuyou.fees.models import FeeQuote
from wuyou.loaners.models import Loan, LoanerUnit, TakeBack
from wuyou.parts.models import Requisition, StockPlaceKind
from wuyou.parts.services import stock_place_ensure
from wuyou.quality.models import Callback, Complaint, RectificationAction
from wuyou.tickets.models import ServiceRequest, Status

A_NAME = "欧阳娜娜"
A_PHONE = "13612349876"
A_MASKED = "136****9876"
A_STREET = "闽江路128号"
# Query parameters that only narrow or page what the scope already allows.
NEUTRAL_PARAMS = {
    "category",
    "severity",
    "repeat",
    "limit",
    "offset",
    "before_id",
    "call_type",
    "status",
    "overdue",
    "to_verify",
    "mine",
    "within_hours",
    "day",
    "days",
    "open",
    "returned",
    "backlog",
    "due",
    # measured quality (/quality/…): the months and how rows are cut only narrow the scoped figures
    "month_from",
    "month_to",
    "breakdown",
}
# Routes that answer from the working-day calendar alone: no customer data to leak (their outlet scope is tested in
# wuyou/calendars/tests/test_checks.py).
CALENDAR_PREFIX = "/calendar/"


def build_a_world(network):
    """Outlet A's customer, unit and active request, rich in personal data that must not leak."""
    customer = CustomerFactory(outlet=network.outlet_a, name=A_NAME)
    customer.phones.update(number=A_PHONE)
    customer.addresses.update(detail=A_STREET)
    unit = UnitFactory(owner=customer, serial="HXSCOPE0000A1")
    request = RequestFactory(
        customer=customer,
        unit=unit,
        assignee=network.engineer_a,
        status=Status.ACCEPTED,
        contact_phone=A_PHONE,
        address=customer.addresses.get(),
        number="SR990101777777",
    )
    TimelineEntry.objects.create(
        customer=customer, occurred_at=request.created_at, kind="note", summary=f"{A_NAME} 来电"
    )
    # A visit planned for engineer A today, and a plan of A's day.
    address = request.address
    start = timezone.now().replace(microsecond=0) + dt.timedelta(hours=1)
    work_order = WorkOrder.objects.create(
        number="WO991231000001",
        request=request,
        outlet=network.outlet_a,
        job_type="repair",
        status="planned",
        duration_minutes=60,
        address_text=address.full_text,
        latitude=address.latitude,
        longitude=address.longitude,
        window_start=start,
        window_end=start + dt.timedelta(hours=2),
        engineer=network.engineer_a,
        planned_start=start,
    )
    plan = DispatchPlan.objects.create(outlet=network.outlet_a, day=timezone.localdate())
    # Outlet A's parts store with a requisition, and the unit taken back against a loaner (issue 5 items 4 and 5).
    store = stock_place_ensure(kind=StockPlaceKind.OUTLET, outlet_id=network.outlet_a.pk)
    requisition = Requisition.objects.create(
        source=stock_place_ensure(kind=StockPlaceKind.HEAD_OFFICE), destination=store, requested_by=network.clerk_a.user
    )
    take_back = TakeBack.objects.create(
        work_order=work_order, unit=unit, taken_at=timezone.now(), receipt_number="TB-SCOPE", signed_by=A_NAME
    )
    loaner = LoanerUnit.objects.create(outlet=network.outlet_a, product_model=unit.product_model, serial="LN-SCOPE-A")
    loan = Loan.objects.create(
        loaner=loaner,
        take_back=take_back,
        work_order=work_order,
        unit=unit,
        lent_at=timezone.now(),
        due_back_on=timezone.localdate() + dt.timedelta(days=7),
        receipt_number="LN-SCOPE",
        signed_by=A_NAME,
    )
    # The visit's quote, accepted, so its receipt exists too (issue 5 item 3).
    FeeQuote.objects.create(
        work_order=work_order,
        number="WO991231000001-Q1",
        status="accepted",
        job_type="repair",
        fault_cause="quality",
        service_date=timezone.localdate(),
        policy_code="cn-sanbao",
        policy_version="sanbao-2013",
        lines=[],
        total="0.00",
        customer_total="0.00",
        signed_by=A_NAME,
    )
    # Outlet B has its own data, so that B's callers see non-empty lists.
    b_customer = CustomerFactory(outlet=network.outlet_b, name="马晓东")
    RequestFactory(customer=b_customer, unit=UnitFactory(owner=b_customer), assignee=network.engineer_b)
    # A callback about A's request (issue 14 item 3): B's follow-up staff never see it.
    callback = Callback.objects.create(
        request=request, reason="sample", work_order=work_order, due_at=timezone.now(), call_at=timezone.now()
    )
    # A complaint record on A's request with one rectification action (issue 14 item 7).
    complaint = Complaint.objects.create(request=request, category="attitude")
    action = RectificationAction.objects.create(
        complaint=complaint, action="服务规范培训", owner=network.outlet_manager_a, due_on=timezone.localdate()
    )
    return {
        "callback": callback,
        "complaint": complaint,
        "action": action,
        "customer": customer,
        "unit": unit,
        "request": request,
        "work_order": work_order,
        "plan": plan,
        "place": store,
        "requisition": requisition,
        "take_back": take_back,
        "loan": loan,
    }


def outlet_b_callers(network) -> dict[str, ApiClient]:
    """Every role placed at outlet B, B's regional manager, a user without profile, and B's token."""
    callers = {
        f"{role}@B": ApiClient(staff=StaffFactory(role=role, outlet=network.outlet_b))
        for role in Role.values
        if role != Role.REGIONAL_MANAGER
    }
    callers["clerk_b"] = ApiClient(staff=network.clerk_b)
    callers["engineer_b"] = ApiClient(staff=network.engineer_b)
    callers["regional_manager@south"] = ApiClient(
        staff=StaffFactory(role=Role.REGIONAL_MANAGER, outlet=None, region=network.outlet_b.region)
    )
    callers["regional_manager@nowhere"] = ApiClient(staff=StaffFactory(role=Role.REGIONAL_MANAGER, outlet=None))
    callers["no_profile"] = ApiClient(user=get_user_model().objects.create_user("nobody", password="x-12345678"))
    _token, secret = api_token_issue(name="B's ERP", user_id=network.clerk_b.user_id, outlet=network.outlet_b)
    callers["token@B"] = ApiClient(token=secret)
    callers["x-api-key@B"] = ApiClient(api_key=secret)
    return callers


def get_routes() -> list[tuple[str, list[str]]]:
    """Every GET route of the API with its query parameters, read from the OpenAPI document."""
    routes = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        if "get" in operations:
            params = [p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"]
            if not path.removeprefix("/api/v1").startswith(CALENDAR_PREFIX):
                routes.append((path.removeprefix("/api/v1"), params))
    return routes


def calls_against_a(a_world, network) -> list[tuple[str, dict[str, object]]]:
    """Each GET route aimed at A's objects: path ids of A, and each pointing parameter set to A's."""
    customer, unit, request = a_world["customer"], a_world["unit"], a_world["request"]
    path_values = {
        "customer_id": customer.pk,
        "request_id": request.pk,
        "serial": unit.serial,
        "work_order_id": a_world["work_order"].pk,
        "plan_id": a_world["plan"].pk,
        "place_id": a_world["place"].pk,
        "requisition_id": a_world["requisition"].pk,
        "take_back_id": a_world["take_back"].pk,
        "loan_id": a_world["loan"].pk,
        "callback_id": a_world["callback"].pk,
        "complaint_id": a_world["complaint"].pk,
        "action_id": a_world["action"].pk,
    }
    pointing = {
        "q": [A_NAME, A_PHONE, unit.serial, A_STREET, A_PHONE[:6]],
        "phone": [A_PHONE],
        "serial": [unit.serial],
        "owner_id": [customer.pk],
        "customer_id": [customer.pk],
        "outlet_id": [network.outlet_a.pk],
        "assignee_id": [network.engineer_a.pk],
        "engineer_id": [network.engineer_a.pk],
    }
    calls: list[tuple[str, dict[str, object]]] = []
    for path, params in get_routes():
        for name in re.findall(r"{(\w+)}", path):
            if name not in path_values:
                pytest.fail(f"teach the scope walk a value of outlet A for path parameter {name!r} of {path}")
            path = path.replace("{" + name + "}", str(path_values[name]))
        unknown = set(params) - NEUTRAL_PARAMS - set(pointing)
        if unknown:
            pytest.fail(f"teach the scope walk what {sorted(unknown)} of {path} may point at")
        required_one_of = path == "/lookup"
        if not required_one_of:
            calls.append((path, {}))
        for name in params:
            for value in pointing.get(name, []):
                calls.append((path, {name: value}))
    return calls


def readable(response) -> str:
    """The answer as text with Chinese unescaped (JSON encoders write `\\u6b27…`)."""
    try:
        return json.dumps(response.json(), ensure_ascii=False)
    except ValueError:
        return response.content.decode()


def leaks(text: str, a_world) -> list[str]:
    markers = [
        A_NAME,
        A_PHONE,
        A_MASKED,
        A_STREET,
        a_world["unit"].serial,
        a_world["request"].number,
        a_world["work_order"].number,
    ]
    return [m for m in markers if m in text]


def test_the_walk_covers_every_get_route():
    paths = {path for path, _params in get_routes()}
    assert {
        "/customers",
        "/customers/{customer_id}",
        "/customers/{customer_id}/timeline",
        "/units",
        "/units/{serial}",
        "/requests",
        "/requests/{request_id}",
        "/lookup",
        "/dispatch/work-orders",
        "/dispatch/work-orders/{work_order_id}",
        "/dispatch/work-orders/{work_order_id}/booking-options",
        "/dispatch/plans/{plan_id}",
        "/dispatch/my-day",
    } <= paths


def test_outlet_a_sees_its_own_objects_so_the_markers_can_find_a_leak(network, a_world):
    clerk_a = ApiClient(staff=network.clerk_a)
    for path, params in calls_against_a(a_world, network):
        response = clerk_a.get(path, params)
        assert response.status_code == 200, (path, params, response.content)
    card = readable(clerk_a.get(f"/customers/{a_world['customer'].pk}"))
    assert {A_NAME, A_MASKED, A_STREET} <= set(leaks(card, a_world))


def test_no_outlet_b_caller_sees_anything_of_outlet_a(network, a_world):
    failures = []
    calls = calls_against_a(a_world, network)
    for who, caller in outlet_b_callers(network).items():
        for path, params in calls:
            response = caller.get(path, params)
            text = readable(response)
            if response.status_code not in (200, 404):
                failures.append(f"{who} GET {path} {params}: {response.status_code} {text[:120]}")
            elif found := leaks(text, a_world):
                failures.append(f"{who} GET {path} {params}: leaks {found}")
    assert failures == [], "\n".join(failures)


def test_outlet_b_cannot_act_on_outlet_a_objects(network, a_world):
    customer, request = a_world["customer"], a_world["request"]
    clerk_b = ApiClient(staff=network.clerk_b)
    writes = [
        (f"/customers/{customer.pk}/notes", {"summary": "窥探"}),
        (f"/customers/{customer.pk}/phones/reveal", {"reason": "好奇"}),
        (f"/requests/{request.pk}/transitions", {"action": "start"}),
        (f"/requests/{request.pk}/assign", {"engineer_id": network.engineer_b.pk}),
        (f"/requests/{request.pk}/verify", {"symptom": "改掉"}),
    ]
    for path, body in writes:
        response = clerk_b.post(path, body)
        assert response.status_code == 404, (path, response.content)
        assert not leaks(readable(response), a_world)
    request.refresh_from_db()
    assert (request.status, request.version, request.symptom) == (Status.ACCEPTED, 1, "不制冷")
    assert not PersonalDataReveal.objects.exists()
    assert not customer.timeline.filter(summary="窥探").exists()


def test_outlet_b_cannot_file_requests_or_units_for_outlet_a_customers(network, a_world):
    clerk_b = ApiClient(staff=network.clerk_b)
    customer = a_world["customer"]
    response = clerk_b.post("/requests", {"call_type": "inquiry", "customer_id": customer.pk})
    assert response.status_code == 422 and not leaks(readable(response), a_world)
    response = clerk_b.post(
        "/units", {"serial": "HXSCOPE0000B9", "model_code": a_world["unit"].product_model.code, "owner_id": customer.pk}
    )
    assert response.status_code == 422
    assert ServiceRequest.objects.filter(customer=customer).count() == 1


def test_a_token_scoped_to_an_outlet_acts_as_that_outlet(network, a_world):
    _token, secret = api_token_issue(name="A's ERP", user_id=network.clerk_b.user_id, outlet=network.outlet_a)
    api_a = ApiClient(token=secret)
    assert api_a.get(f"/customers/{a_world['customer'].pk}").status_code == 200
    assert [r["outlet_id"] for r in api_a.get("/requests").json()["items"]] == [network.outlet_a.pk]


def test_a_revoked_token_is_401(network, a_world):
    token, secret = api_token_issue(name="old", user_id=network.clerk_a.user_id, outlet=network.outlet_a)
    assert ApiClient(token=secret).get("/customers").status_code == 200
    api_token_revoke(token=token)
    for client in (ApiClient(token=secret), ApiClient(api_key=secret)):
        response = client.get("/customers")
        assert response.status_code == 401 and response["Content-Type"] == "application/problem+json"


def test_a_user_without_profile_sees_nothing(network, a_world):
    nobody = ApiClient(user=get_user_model().objects.create_user("nobody", password="x-12345678"))
    for path in ("/customers", "/units", "/requests"):
        body = nobody.get(path).json()
        assert (body["items"], body["count"]) == ([], 0)
    assert nobody.get(f"/customers/{a_world['customer'].pk}").status_code == 404
    assert nobody.post("/customers", {"name": "x", "phones": ["13800000000"]}).status_code == 403


def test_engineer_of_the_same_outlet_sees_only_his_own_jobs(network, a_world):
    other = ApiClient(staff=network.engineer_a2)
    assert other.get(f"/requests/{a_world['request'].pk}").status_code == 404
    assert other.get("/requests").json()["items"] == []
    assert other.get("/lookup", {"phone": A_PHONE}).json() == {"customers": [], "units": []}


def test_a_session_write_without_csrf_token_is_refused(network):
    client = Client(enforce_csrf_checks=True)
    client.force_login(network.clerk_a.user)
    response = client.post(
        "/api/v1/customers", data={"name": "x", "phones": ["13800000000"]}, content_type="application/json"
    )
    assert response.status_code == 403 and response["Content-Type"] == "application/problem+json"
