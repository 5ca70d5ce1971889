"""Field service over the API (R-F1, R-F2, R-F3, R-F8, R-D3): open, book, plan, commit, walk a visit; scope."""

from __future__ import annotations

import datetime as dt
import typing

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api_client import ApiClient, fields_of
from tests.field_service import SIGNATURE, TODAY, catalogue_part, local, van_stocked
from wuyou.accounts.models import Skill
from wuyou.accounts.services import api_token_issue
from wuyou.dispatch.api import REASON_LABELS
from wuyou.dispatch.models import AppointmentWindow, DispatchPlan, PlanStatus, WorkOrder, WorkOrderStatus
from wuyou.dispatch.schemas import JobTypeValue, PlanStatusValue, ReasonValue, WorkOrderStatusValue
from wuyou.dispatch.services import plan_run
from wuyou.fieldservice.schemas import ExceptionValue, StepValue
from wuyou.fieldservice.steps import EXCEPTIONS, STEPS
from wuyou.notifications.models import Message
from wuyou.products.models import JobType
from wuyou.routing.optimizer import REASONS
from wuyou.routing.proposal import BY_HAND
from wuyou.tickets.models import RequestEvent, ServiceRequest, Status

PHONE = "13612349876"
MASKED = "136****9876"
EN = {"Accept-Language": "en"}


def window(day: dt.date, start: str, end: str) -> dict[str, str]:
    """A window as the API takes it: ISO date-times with the +08:00 offset."""
    return {"start": local(day, start).isoformat(), "end": local(day, end).isoformat()}


def written() -> dict[str, int]:
    """What a refused call must leave as it was."""
    return {
        "work_orders": WorkOrder.objects.count(),
        "windows": AppointmentWindow.objects.count(),
        "plans": DispatchPlan.objects.count(),
        "events": RequestEvent.objects.count(),
        "versions": sum(WorkOrder.objects.values_list("version", flat=True)),
        "plan_updates": len({str(p) for p in DispatchPlan.objects.values_list("updated_at", flat=True)}),
    }


def assert_refused(response, status: int, fields: set[str], before: dict[str, int]) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert fields_of(response) == fields, response.json()
    assert written() == before, "a refused call wrote something"


@pytest.fixture
def desk(field_service):
    """Outlet A's clerk on the API."""
    return ApiClient(staff=field_service.network.clerk_a)


def planned(wo: WorkOrder, engineer, day: dt.date = TODAY) -> WorkOrder:
    """The visit as a committed plan leaves it, at 09:00 (set straight in the database: no optimiser needed)."""
    WorkOrder.objects.filter(pk=wo.pk).update(
        status=WorkOrderStatus.PLANNED,
        engineer=engineer,
        planned_arrival=local(day, "08:55"),
        planned_start=local(day, "09:00"),
        planned_end=local(day, "10:00"),
        route_position=0,
        travel_minutes=12,
    )
    wo.refresh_from_db()
    return wo


def ready_plan(f, api: ApiClient) -> dict:
    """Ask for a plan of today over the API and run it as the worker would."""
    response = api.post("/dispatch/plans", {"outlet_id": f.network.outlet_a.pk, "day": TODAY.isoformat(), "seconds": 1})
    assert response.status_code == 202, response.content
    plan_run(plan_id=response.json()["id"])
    return api.get(f"/dispatch/plans/{response.json()['id']}").json()


def test_schema_enums_are_the_model_choices_and_service_names():
    assert typing.get_args(WorkOrderStatusValue) == tuple(WorkOrderStatus.values)
    assert typing.get_args(JobTypeValue) == tuple(JobType.values)
    assert typing.get_args(PlanStatusValue) == tuple(PlanStatus.values)
    assert typing.get_args(StepValue) == tuple(STEPS)
    assert typing.get_args(ExceptionValue) == EXCEPTIONS
    assert set(typing.get_args(ReasonValue)) == {*REASONS, BY_HAND} == set(REASON_LABELS)


def test_a_visit_is_opened_booked_planned_committed_and_walked_to_done(field_service, desk):
    f = field_service
    net = f.network
    sr = f.request(lat=36.071, lon=120.385)
    sr.customer.phones.update(number=PHONE)

    # Given a verified repair, the desk opens a visit: duration and skills come from the product's job spec.
    opened = desk.post(f"/dispatch/requests/{sr.pk}/work-orders", {})
    assert opened.status_code == 201, opened.content
    wo = opened.json()
    assert (wo["status"], wo["job_type"], wo["duration_minutes"], wo["skills"]) == (
        "unbooked",
        "repair",
        60,
        ["ac_repair"],
    )
    assert wo["number"].startswith("WO") and wo["request_number"] == sr.number
    assert wo["customer_phone"] == MASKED and wo["customer_name"] == "李建国"

    # The desk offers the customer feasible slots, then books the one chosen.
    options = desk.get(f"/dispatch/work-orders/{wo['id']}/booking-options", {"days": 1}).json()
    feasible = [s for s in options["slots"] if s["feasible"]]
    assert feasible and feasible[0]["engineer"] in ("engineer_a", "engineer_a2")
    assert any(
        dt.datetime.fromisoformat(s["start"]).astimezone(local(TODAY, "00:00").tzinfo).hour >= 18 for s in feasible
    )
    booked = desk.post(
        f"/dispatch/work-orders/{wo['id']}/book",
        {"windows": [window(TODAY, "09:00", "11:00")], "version": wo["version"]},
    )
    assert booked.status_code == 200, booked.content
    assert booked.json()["status"] == "booked" and booked["ETag"] == f'"{booked.json()["version"]}"'
    assert dt.datetime.fromisoformat(booked.json()["window_start"]) == local(TODAY, "09:00")

    # A plan is queued (202), optimised by the worker, reviewed as readable routes and committed.
    queued = desk.post("/dispatch/plans", {"outlet_id": net.outlet_a.pk, "day": TODAY.isoformat(), "seconds": 1})
    assert queued.status_code == 202 and queued.json()["status"] == "queued" and queued.json()["routes"] == []
    plan_run(plan_id=queued.json()["id"])
    plan = desk.get(f"/dispatch/plans/{queued.json()['id']}").json()
    assert (plan["status"], plan["feasible"], plan["problems"], plan["unassigned"]) == ("ready", True, [], [])
    (route,) = plan["routes"]
    (visit,) = route["visits"]
    assert route["engineer_name"] in ("engineer_a", "engineer_a2") and route["travel_minutes"] > 0
    assert (visit["work_order_id"], visit["number"]) == (wo["id"], wo["number"])
    start = dt.datetime.fromisoformat(visit["start"])
    assert local(TODAY, "09:00") <= start <= local(TODAY, "11:00")
    assert dt.datetime.fromisoformat(visit["arrival"]) <= start < dt.datetime.fromisoformat(visit["departure"])
    committed = desk.post(f"/dispatch/plans/{plan['id']}/commit")
    assert committed.status_code == 200 and committed.json()["status"] == "committed", committed.content
    detail = desk.get(f"/dispatch/work-orders/{wo['id']}").json()
    assert (detail["status"], detail["engineer_id"]) == ("planned", route["engineer_id"])
    assert detail["customer_phone"] == MASKED  # the outlet desk sees it masked
    assert ApiClient(staff=net.hq_clerk).get(f"/dispatch/work-orders/{wo['id']}").json()["customer_phone"] == PHONE

    # The engineer sees his day with when to leave, and the phone of his visit today.
    engineer = net.engineer_a if route["engineer_id"] == net.engineer_a.pk else net.engineer_a2
    me = ApiClient(staff=engineer)
    day = me.get("/dispatch/my-day").json()
    assert day["day"] == TODAY.isoformat()
    (stop,) = day["stops"]
    assert (stop["work_order_id"], stop["phone"], stop["phone_visible"]) == (wo["id"], PHONE, True)
    assert dt.datetime.fromisoformat(stop["leave_at"]) < dt.datetime.fromisoformat(stop["planned_start"])
    assert me.get(f"/dispatch/work-orders/{wo['id']}").json()["customer_phone"] == PHONE

    catalogue_part("CAP-1", "启动电容", "12.00", "35.00")
    van_stocked(net, engineer, {"CAP-1": 2})
    for step, body in [("confirm_call", {}), ("on_the_way", {}), ("arrived", {}), ("diagnosis", {"note": "电容老化"})]:
        assert me.post(f"/dispatch/work-orders/{wo['id']}/steps/{step}", body).status_code == 200
    # The customer sees the quote before work and signs for it; then the part comes out of the van.
    quoted = me.post(f"/fees/work-orders/{wo['id']}/quote", {"fault_cause": "quality", "parts": [{"code": "CAP-1"}]})
    assert quoted.status_code == 201, quoted.content
    assert (quoted.json()["status"], quoted.json()["customer_total"]) == ("proposed", "35.00")
    accepted = me.post(
        f"/fees/quotes/{quoted.json()['id']}/decision",
        {"decision": "accept", "signed_by": "李建国", "signature": SIGNATURE},
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted", accepted.content
    for step, body in [
        ("parts_used", {"parts": [{"code": "CAP-1", "serial": "CAP-2026-001", "quantity": 1}]}),
        ("work_done", {"note": "更换启动电容"}),
        ("take_back", {"receipt": "TB-0001", "signed_by": "李建国"}),
        ("test_run", {"test_run_ok": True}),
        ("rating", {"quality": 5, "attitude": 4, "signature": SIGNATURE, "signed_by": "李建国"}),
        ("done", {}),
    ]:
        response = me.post(f"/dispatch/work-orders/{wo['id']}/steps/{step}", body)
        assert response.status_code == 200, (step, response.content)
    done = response.json()
    assert (done["status"], done["quality_rating"], done["attitude_rating"], done["has_signature"]) == (
        "done",
        5,
        4,
        True,
    )
    assert done["parts_used"] == [{"code": "CAP-1", "name": "启动电容", "serial": "CAP-2026-001", "quantity": 1}]
    receipt = me.get(f"/fees/work-orders/{wo['id']}/receipt").json()
    assert [(line["code"], line["serials"]) for line in receipt["lines"]] == [("CAP-1", ["CAP-2026-001"])]
    assert (done["diagnosis"], done["take_back_receipt"], done["test_run_ok"]) == ("电容老化", "TB-0001", True)
    assert ServiceRequest.objects.get(pk=sr.pk).status == Status.RESOLVED


def test_opening_with_windows_books_at_once_and_honours_idempotency_key(field_service, desk):
    f = field_service
    sr = f.request()
    body = {"job_type": "repair", "duration_minutes": 45, "windows": [window(TODAY, "18:00", "20:00")]}
    first = desk.post(f"/dispatch/requests/{sr.pk}/work-orders", body, **{"Idempotency-Key": "wo-1"})
    again = desk.post(f"/dispatch/requests/{sr.pk}/work-orders", body, **{"Idempotency-Key": "wo-1"})
    assert first.status_code == again.status_code == 201, first.content
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert (first.json()["status"], first.json()["duration_minutes"]) == ("booked", 45)
    assert len(first.json()["windows"]) == 1 and WorkOrder.objects.filter(request=sr).count() == 1


def test_several_windows_let_the_plan_choose(field_service, desk):
    f = field_service
    wo = f.work_order(windows=(("09:00", "11:00"),))
    response = desk.post(
        f"/dispatch/work-orders/{wo.pk}/book",
        {"windows": [window(TODAY, "13:30", "15:30"), window(TODAY, "18:00", "20:00")]},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["window_start"], len(body["windows"]), body["version"]) == (None, 2, wo.version + 1)


def test_the_plan_says_why_a_visit_is_left_out_in_the_readers_language(field_service, desk):
    f = field_service
    Skill.objects.create(code="gas", name="燃气")
    sr = f.request()
    opened = desk.post(
        f"/dispatch/requests/{sr.pk}/work-orders",
        {"skill_codes": ["gas"], "windows": [window(TODAY, "09:00", "11:00")]},
    ).json()
    plan = ready_plan(f, desk)
    response = desk.get(f"/dispatch/plans/{plan['id']}", **EN)
    (left,) = response.json()["unassigned"]
    assert (left["work_order_id"], left["number"], left["reason"]) == (opened["id"], opened["number"], "no_skill")
    assert left["reason_text"] == "No engineer on duty has every skill this job needs."


def test_the_dispatcher_adjusts_pins_and_discards(field_service, desk):
    f = field_service
    near = f.work_order(lat=36.071, lon=120.385)
    far = f.work_order(windows=(("13:30", "15:30"),), lat=36.08, lon=120.40)
    plan = ready_plan(f, desk)
    pinned = desk.post(f"/dispatch/plans/{plan['id']}/pin", {"work_order_id": far.pk, "pinned": True})
    assert pinned.status_code == 200, pinned.content
    visits = {v["work_order_id"]: v for r in pinned.json()["routes"] for v in r["visits"]}
    assert visits[far.pk]["pinned"] is True and visits[near.pk]["pinned"] is False
    out = desk.post(f"/dispatch/plans/{plan['id']}/adjust", {"work_order_id": near.pk, "engineer_id": None}, **EN)
    assert out.status_code == 200, out.content
    assert [(u["work_order_id"], u["reason"]) for u in out.json()["unassigned"]] == [(near.pk, "by_hand")]
    assert out.json()["unassigned"][0]["reason_text"] == "Taken out of the plan by hand."
    back = desk.post(
        f"/dispatch/plans/{plan['id']}/adjust",
        {"work_order_id": near.pk, "engineer_id": f.network.engineer_a2.pk, "position": 0},
    )
    assert back.status_code == 200, back.content
    route = next(r for r in back.json()["routes"] if r["engineer_id"] == f.network.engineer_a2.pk)
    assert route["visits"][0]["work_order_id"] == near.pk and back.json()["unassigned"] == []
    discarded = desk.post(f"/dispatch/plans/{plan['id']}/discard")
    assert discarded.status_code == 200 and discarded.json()["status"] == "discarded"
    again = desk.post(f"/dispatch/plans/{plan['id']}/commit")
    assert again.status_code == 409 and fields_of(again) == {"plan"}


def test_two_dispatchers_commit_the_same_day_one_wins_the_other_gets_409(field_service, desk):
    f = field_service
    f.work_order()
    manager = ApiClient(staff=f.network.outlet_manager_a)
    first, second = ready_plan(f, desk), ready_plan(f, manager)
    assert desk.post(f"/dispatch/plans/{first['id']}/commit").status_code == 200
    before = written()
    response = manager.post(f"/dispatch/plans/{second['id']}/commit", **EN)
    assert_refused(response, 409, {"plan"}, before)
    assert "changed by someone else" in response.json()["detail"]
    assert DispatchPlan.objects.get(pk=second["id"]).status == PlanStatus.READY


def test_an_engineer_reports_running_late_and_nobody_home(field_service):
    f = field_service
    wo = planned(f.work_order(), f.network.engineer_a)
    me = ApiClient(staff=f.network.engineer_a)
    late = me.post(f"/dispatch/work-orders/{wo.pk}/exceptions/running_late", {"late_minutes": 20})
    assert late.status_code == 200 and late.json()["late_minutes"] == 20, late.content
    gone = me.post(f"/dispatch/work-orders/{wo.pk}/exceptions/nobody_home", {"note": "敲门无人应答，已留言"})
    assert gone.status_code == 200, gone.content
    assert (gone.json()["status"], gone.json()["engineer_id"]) == ("unbooked", None)
    # The visit went back to the desk: it is no longer his.
    assert me.get(f"/dispatch/work-orders/{wo.pk}").status_code == 404


# -- bad input: 422 naming the field, nothing written ---------------------------------------------------------------


def past(field_service) -> dict[str, str]:
    return window(TODAY - dt.timedelta(days=1), "09:00", "11:00")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"job_type": "plumbing"}, "job_type"),
        ({"duration_minutes": 3}, "duration_minutes"),
        ({"duration_minutes": 601}, "duration_minutes"),
        ({"skill_codes": ["teleport"]}, "skill_codes"),
        ({"skill_codes": [""]}, "skill_codes[0]"),
        ({"windows": [{"start": "tomorrow morning", "end": "2026-11-24T11:00:00+08:00"}]}, "windows[0].start"),
        ({"windows": [{"start": "2026-11-24T09:00:00", "end": "2026-11-24T11:00:00+08:00"}]}, "windows[0].start"),
        ({"windows": [{"start": "2026-11-24T09:00:00+08:00"}]}, "windows[0].end"),
        ({"windows": [{"start": "2026-11-24T11:00:00+08:00", "end": "2026-11-24T09:00:00+08:00"}]}, "windows[0]"),
        ({"windows": [{"start": "2026-11-23T09:00:00+08:00", "end": "2026-11-23T11:00:00+08:00"}]}, "windows[0]"),
        ({"windows": [{"start": "2026-11-24T09:00:00+08:00", "end": "2026-11-25T09:00:00+08:00"}]}, "windows[0]"),
        ({"windows": [{"start": "9999-11-24T09:00:00+08:00", "end": "2026-11-24T11:00:00+08:00"}]}, "windows[0].start"),
        ({"windows": [{"start": "2026-11-24T09:00:00+08:00", "end": "2026-11-24T11:00:00+08:00"}] * 7}, "windows"),
        ({"windows": "09:00-11:00"}, "windows"),
    ],
)
def test_opening_a_visit_with_bad_input_names_the_field(field_service, desk, body, field):
    sr = field_service.request()
    before = written()
    response = desk.post(f"/dispatch/requests/{sr.pk}/work-orders", body, **EN)
    assert_refused(response, 422, {field}, before)
    assert response.json()["detail"]


def test_messages_follow_accept_language(field_service, desk):
    sr = field_service.request()
    body = {"windows": [window(TODAY - dt.timedelta(days=1), "09:00", "11:00")]}
    response = desk.post(f"/dispatch/requests/{sr.pk}/work-orders", body, **EN)
    assert response.json()["title"] == "Invalid input"
    assert response.json()["errors"] == [{"field": "windows[0]", "message": "The window is in the past."}]


def test_booking_with_bad_input_names_the_field(field_service, desk):
    wo = field_service.work_order()
    path = f"/dispatch/work-orders/{wo.pk}/book"
    before = written()
    assert_refused(desk.post(path, {"windows": []}), 422, {"windows"}, before)
    assert_refused(desk.post(path, {}), 422, {"windows"}, before)
    assert_refused(desk.post(path, {"windows": [past(field_service)]}), 422, {"windows[0]"}, before)
    stale = {"windows": [window(TODAY, "13:30", "15:30")], "version": wo.version + 5}
    assert_refused(desk.post(path, stale), 409, {"version"}, before)
    assert_refused(desk.post(path, {**stale, "version": 0}), 422, {"version"}, before)
    assert_refused(desk.post(path, {"windows": stale["windows"]}, **{"If-Match": "*"}), 422, {"If-Match"}, before)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"day": "2026-11-24", "seconds": 0}, "seconds"),
        ({"day": "2026-11-24", "seconds": 121}, "seconds"),
        ({"day": "2026-11-23"}, "day"),
        ({"day": "2027-11-24"}, "day"),
        ({"day": "next tuesday"}, "day"),
        ({}, "day"),
    ],
)
def test_asking_for_a_plan_with_bad_input_names_the_field(field_service, desk, body, field):
    before = written()
    response = desk.post("/dispatch/plans", {"outlet_id": field_service.network.outlet_a.pk, **body})
    assert_refused(response, 422, {field}, before)


def test_a_plan_for_another_outlet_is_refused_naming_the_outlet(field_service, desk):
    before = written()
    response = desk.post("/dispatch/plans", {"outlet_id": field_service.network.outlet_b.pk, "day": "2026-11-24"})
    assert_refused(response, 422, {"outlet_id"}, before)


def test_adjusting_and_pinning_with_bad_input_names_the_field(field_service, desk):
    f = field_service
    wo = f.work_order()
    stranger = f.work_order(outlet=f.network.outlet_b)
    plan = ready_plan(f, desk)
    adjust, pin = f"/dispatch/plans/{plan['id']}/adjust", f"/dispatch/plans/{plan['id']}/pin"
    before = written()
    for body, field in [
        ({"work_order_id": wo.pk, "engineer_id": f.network.engineer_a.pk, "position": -1}, "position"),
        ({"work_order_id": wo.pk, "engineer_id": f.network.engineer_b.pk}, "engineer_id"),
        ({"work_order_id": wo.pk, "engineer_id": 999_999}, "engineer_id"),
        ({"work_order_id": wo.pk, "engineer_id": "engineer_a"}, "engineer_id"),
        ({"work_order_id": wo.pk}, "engineer_id"),
        ({"work_order_id": stranger.pk, "engineer_id": None}, "work_order_id"),
        ({"work_order_id": 0, "engineer_id": None}, "work_order_id"),
    ]:
        assert_refused(desk.post(adjust, body), 422, {field}, before)
    assert_refused(desk.post(pin, {"work_order_id": stranger.pk, "pinned": True}), 422, {"work_order_id"}, before)
    assert_refused(desk.post(pin, {"work_order_id": wo.pk, "pinned": "maybe"}), 422, {"pinned"}, before)


@pytest.fixture
def on_site(field_service):
    """A visit planned for engineer_a today that he has reached."""
    f = field_service
    wo = planned(f.work_order(), f.network.engineer_a)
    me = ApiClient(staff=f.network.engineer_a)
    assert me.post(f"/dispatch/work-orders/{wo.pk}/steps/arrived").status_code == 200
    return wo, me


@pytest.mark.parametrize(
    ("step", "body", "field"),
    [
        ("teleport", {}, "step"),
        ("diagnosis", {"note": "   "}, "note"),
        ("parts_used", {}, "parts"),
        ("parts_used", {"parts": [{"code": "", "quantity": 1}]}, "parts[0].code"),
        ("parts_used", {"parts": [{"code": "CAP-1", "quantity": 0}]}, "parts[0].quantity"),
        ("parts_used", {"parts": [{"code": "CAP-1", "quantity": 100}]}, "parts[0].quantity"),
        ("take_back", {"receipt": ""}, "receipt"),
        ("take_back", {"receipt": "TB-1"}, "signed_by"),
        ("test_run", {}, "test_run_ok"),
        ("rating", {"quality": 6, "attitude": 5, "signature": SIGNATURE}, "quality"),
        ("rating", {"quality": 5, "attitude": 0, "signature": SIGNATURE}, "attitude"),
        ("rating", {"quality": 5, "signature": SIGNATURE}, "attitude"),
        ("rating", {"quality": 5, "attitude": 5, "signature": SIGNATURE + "\x00"}, "signature"),
        ("rating", {"quality": 5, "attitude": 5}, "signature"),
        ("rating", {"quality": 5, "attitude": 5, "signature": "<svg/>"}, "signature"),
        ("done", {"note": "修好了"}, "rating"),
        ("confirm_call", {}, "step"),  # already on site: the step is out of order (409)
        ("diagnosis", {"note": "x", "version": 1}, "version"),  # stale (409)
        ("diagnosis", {"note": "x\x00"}, "note"),
    ],
)
def test_a_step_with_bad_input_names_the_field(on_site, step, body, field):
    wo, me = on_site
    before = written()
    response = me.post(f"/dispatch/work-orders/{wo.pk}/steps/{step}", body, **EN)
    status = 409 if field in ("version",) or (step == "confirm_call") else 422
    assert_refused(response, status, {field}, before)


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("meteor_strike", {"note": "x"}, "kind"),
        ("running_late", {}, "late_minutes"),
        ("running_late", {"late_minutes": 0}, "late_minutes"),
        ("running_late", {"late_minutes": 601}, "late_minutes"),
        ("nobody_home", {}, "note"),
        ("compensation", {"note": " "}, "note"),
    ],
)
def test_an_exception_with_bad_input_names_the_field(on_site, kind, body, field):
    wo, me = on_site
    before = written()
    response = me.post(f"/dispatch/work-orders/{wo.pk}/exceptions/{kind}", body)
    assert_refused(response, 422, {field}, before)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"day": "2026-13-01"}, "day"),
        ({"outlet_id": 0}, "outlet_id"),
        ({"engineer_id": "me"}, "engineer_id"),
        ({"limit": 0}, "limit"),
    ],
)
def test_listing_with_bad_filters_names_the_field(field_service, desk, params, field):
    response = desk.get("/dispatch/work-orders", params)
    assert response.status_code == 422 and fields_of(response) == {field}


def test_booking_options_with_a_bad_day_count_names_the_field(field_service, desk):
    wo = field_service.work_order()
    response = desk.get(f"/dispatch/work-orders/{wo.pk}/booking-options", {"days": 15})
    assert response.status_code == 422 and fields_of(response) == {"days"}


# -- scope -------------------------------------------------------------------------------------------------------


def test_outlet_b_gets_404_on_outlet_a_visits_and_plans(field_service, desk):
    f = field_service
    net = f.network
    wo = f.work_order()
    plan = ready_plan(f, desk)
    _token, secret = api_token_issue(name="B's ERP", user_id=net.clerk_b.user_id, outlet=net.outlet_b)
    callers = {
        "clerk_b": ApiClient(staff=net.clerk_b),
        "token@B": ApiClient(token=secret),
        "engineer_b": ApiClient(staff=net.engineer_b),
    }
    reads = [
        f"/dispatch/work-orders/{wo.pk}",
        f"/dispatch/work-orders/{wo.pk}/booking-options",
        f"/dispatch/plans/{plan['id']}",
    ]
    writes = [
        (f"/dispatch/requests/{wo.request_id}/work-orders", {}),
        (f"/dispatch/work-orders/{wo.pk}/book", {"windows": [window(TODAY, "13:30", "15:30")]}),
        (f"/dispatch/work-orders/{wo.pk}/steps/confirm_call", {}),
        (f"/dispatch/work-orders/{wo.pk}/exceptions/nobody_home", {"note": "x"}),
        (f"/dispatch/plans/{plan['id']}/adjust", {"work_order_id": wo.pk, "engineer_id": None}),
        (f"/dispatch/plans/{plan['id']}/pin", {"work_order_id": wo.pk, "pinned": True}),
        (f"/dispatch/plans/{plan['id']}/commit", {}),
        (f"/dispatch/plans/{plan['id']}/discard", {}),
    ]
    before = written()
    for who, caller in callers.items():
        for path in reads:
            response = caller.get(path)
            assert response.status_code == 404, (who, path, response.content)
            assert wo.number not in response.content.decode()
        for path, body in writes:
            assert_refused(caller.post(path, body), 404, {"request_id"} if "requests" in path else set(), before)
        listed = caller.get("/dispatch/work-orders", {"outlet_id": net.outlet_a.pk}).json()
        assert (listed["items"], listed["count"]) == ([], 0), who
    assert DispatchPlan.objects.get(pk=plan["id"]).status == PlanStatus.READY


def test_an_engineer_sees_only_his_own_visits_and_no_plans(field_service, desk):
    f = field_service
    net = f.network
    wo = planned(f.work_order(), net.engineer_a)
    plan = DispatchPlan.objects.create(outlet=net.outlet_a, day=TODAY)
    me, colleague = ApiClient(staff=net.engineer_a), ApiClient(staff=net.engineer_a2)
    assert [w["id"] for w in me.get("/dispatch/work-orders").json()["items"]] == [wo.pk]
    assert colleague.get("/dispatch/work-orders").json()["items"] == []
    assert colleague.get(f"/dispatch/work-orders/{wo.pk}").status_code == 404
    assert colleague.get("/dispatch/my-day").json()["stops"] == []
    assert colleague.post(f"/dispatch/work-orders/{wo.pk}/steps/on_the_way").status_code == 404
    assert me.get(f"/dispatch/plans/{plan.pk}").status_code == 404
    # An engineer may not plan, book or open visits.
    assert me.post("/dispatch/plans", {"outlet_id": net.outlet_a.pk, "day": "2026-11-24"}).status_code == 403
    booking = me.post(f"/dispatch/work-orders/{wo.pk}/book", {"windows": [window(TODAY, "13:30", "15:30")]})
    assert booking.status_code == 403
    assert me.get(f"/dispatch/work-orders/{wo.pk}/booking-options").status_code == 403


def test_an_engineer_sees_the_phone_only_on_the_day_of_the_visit(field_service):
    f = field_service
    tomorrow = TODAY + dt.timedelta(days=1)
    wo = planned(f.work_order(day=tomorrow), f.network.engineer_a, day=tomorrow)
    ServiceRequest.objects.get(pk=wo.request_id).customer.phones.update(number=PHONE)
    engineer = f.network.engineer_a
    me = ApiClient(staff=engineer)
    assert me.get(f"/dispatch/work-orders/{wo.pk}").json()["customer_phone"] == MASKED
    (stop,) = me.get("/dispatch/my-day", {"day": tomorrow.isoformat()}).json()["stops"]
    assert (stop["phone"], stop["phone_visible"]) == (None, False)
    f.now(tomorrow, "07:30")
    me = ApiClient(staff=engineer)  # a new day, a new login (the session of yesterday has lapsed)
    assert me.get(f"/dispatch/work-orders/{wo.pk}").json()["customer_phone"] == PHONE
    assert me.get("/dispatch/my-day").json()["stops"][0]["phone"] == PHONE


def test_list_filters_by_status_engineer_and_day(field_service, desk):
    f = field_service
    today = f.work_order()
    tomorrow = f.work_order(day=TODAY + dt.timedelta(days=1))
    unbooked = desk.post(f"/dispatch/requests/{f.request().pk}/work-orders", {}).json()

    def ids(**params) -> list[int]:
        return [w["id"] for w in desk.get("/dispatch/work-orders", params).json()["items"]]

    assert ids() == [today.pk, tomorrow.pk, unbooked["id"]]
    assert ids(status="unbooked") == [unbooked["id"]]
    assert ids(day=TODAY.isoformat()) == [today.pk]
    assert ids(day=(TODAY + dt.timedelta(days=1)).isoformat(), outlet_id=f.network.outlet_a.pk) == [tomorrow.pk]
    assert ids(engineer_id=f.network.engineer_a.pk) == []
    page = desk.get("/dispatch/work-orders", {"limit": 1, "offset": 1}).json()
    assert (page["count"], page["limit"], page["offset"], [w["id"] for w in page["items"]]) == (3, 1, 1, [tomorrow.pk])


def test_list_query_count_is_flat(field_service, desk, django_assert_max_num_queries):
    f = field_service
    for hour in range(9, 17):
        f.work_order(windows=((f"{hour:02d}:00", f"{hour + 1:02d}:00"), (f"{hour:02d}:30", f"{hour + 2:02d}:00")))
    desk.get("/dispatch/work-orders", {"limit": 1})
    # session + user + profile, page (joined: request, customer, engineer), skills, windows, phones, the parts used
    # from the stock ledger (joined: part), count — the same for one visit as for eight
    with CaptureQueriesContext(connection) as one:
        assert len(desk.get("/dispatch/work-orders", {"limit": 1}).json()["items"]) == 1
    with django_assert_max_num_queries(9), CaptureQueriesContext(connection) as eight:
        assert len(desk.get("/dispatch/work-orders").json()["items"]) == 8
    assert len(eight.captured_queries) == len(one.captured_queries)


def test_the_openapi_document_lists_the_dispatch_endpoints(db):
    response = ApiClient().get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/v1/dispatch/requests/{request_id}/work-orders",
        "/api/v1/dispatch/work-orders",
        "/api/v1/dispatch/work-orders/{work_order_id}",
        "/api/v1/dispatch/work-orders/{work_order_id}/booking-options",
        "/api/v1/dispatch/work-orders/{work_order_id}/book",
        "/api/v1/dispatch/work-orders/{work_order_id}/steps/{step}",
        "/api/v1/dispatch/work-orders/{work_order_id}/exceptions/{kind}",
        "/api/v1/dispatch/plans",
        "/api/v1/dispatch/plans/{plan_id}",
        "/api/v1/dispatch/plans/{plan_id}/adjust",
        "/api/v1/dispatch/plans/{plan_id}/pin",
        "/api/v1/dispatch/plans/{plan_id}/commit",
        "/api/v1/dispatch/plans/{plan_id}/discard",
        "/api/v1/dispatch/my-day",
    } <= set(paths)
    assert "202" in paths["/api/v1/dispatch/plans"]["post"]["responses"]


def test_the_desk_calls_off_a_visit_and_its_engineer_is_told(field_service, desk):
    f = field_service
    wo = planned(f.work_order(), f.network.engineer_a)
    assert desk.post(f"/dispatch/work-orders/{wo.pk}/cancel", {"reason": ""}).status_code == 422
    nul = desk.post(f"/dispatch/work-orders/{wo.pk}/cancel", {"reason": "a\x00b"})
    assert nul.status_code == 422 and fields_of(nul) == {"reason"}, nul.content
    response = desk.post(f"/dispatch/work-orders/{wo.pk}/cancel", {"reason": "客户已自行修好"})
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert Message.objects.filter(kind="visit_cancelled", recipient_id=f.network.engineer_a.user_id).exists()
    again = desk.post(f"/dispatch/work-orders/{wo.pk}/cancel", {"reason": "again"})
    assert again.status_code == 409
    assert (
        ApiClient(staff=f.network.clerk_b).post(f"/dispatch/work-orders/{wo.pk}/cancel", {"reason": "x"}).status_code
        == 404
    )
