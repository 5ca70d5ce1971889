"""Spare-parts and loaner API (issue 5 items 4 and 5): /api/v1/parts and /api/v1/loans.

Built on the `stock` (test_stock) and `loaners` (test_loans) fixtures; time frozen on Tuesday 2026-11-24 07:00.
"""

# ruff: noqa: F811 — the `stock` / `loaners` fixtures are imported from the service tests and used as arguments
from __future__ import annotations

import datetime as dt
from typing import get_args

import pytest

from tests.api_client import ApiClient, fields_of
from tests.field_service import TODAY, local
from wuyou.loaners.models import Loan, LoanerStatus, LoanerUnit, TakeBack, TakeBackStage
from wuyou.loaners.schemas import LoanerStatusValue, TakeBackStageValue
from wuyou.loaners.tests.test_services import DUE, Loaners, loaners  # noqa: F401  (the fixture)
from wuyou.parts.models import Requisition, RequisitionStatus, StockMove, StockMoveKind, StockPlaceKind
from wuyou.parts.schemas import RequisitionStatusValue, StockMoveKindValue, StockPlaceKindValue
from wuyou.parts.selectors import stock_level
from wuyou.parts.services import PartQuantity, part_receive, requisition_request
from wuyou.parts.tests.test_services import Stock, stock, stock_van  # noqa: F401  (the fixture)
from wuyou.tickets.models import RequestEvent

EN = {"Accept-Language": "en"}


def api(s: Stock | Loaners, name: str) -> ApiClient:
    return ApiClient(staff=getattr(s.f.network, name))


def written() -> tuple[int, ...]:
    """What a refused call must leave as it was."""
    return (
        StockMove.objects.count(),
        Requisition.objects.count(),
        Loan.objects.count(),
        TakeBack.objects.count(),
        RequestEvent.objects.count(),
        LoanerUnit.objects.filter(status=LoanerStatus.AVAILABLE).count(),
    )


def assert_problem(response, status: int, fields: set[str], before: tuple[int, ...]) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert fields_of(response) == fields, response.json()
    assert written() == before, "a refused call wrote something"


def test_schema_enums_are_the_model_choices():
    assert set(get_args(StockPlaceKindValue)) == set(StockPlaceKind.values)
    assert set(get_args(StockMoveKindValue)) == set(StockMoveKind.values)
    assert set(get_args(RequisitionStatusValue)) == set(RequisitionStatus.values)
    assert set(get_args(LoanerStatusValue)) == set(LoanerStatus.values)
    assert set(get_args(TakeBackStageValue)) == set(TakeBackStage.values)


# ------------------------------------------------------------------------------------------------------------ parts


def test_catalogue_with_prices_and_search(stock):
    c = api(stock, "engineer_a")
    body = c.get("/parts").json()
    assert body["count"] == 2
    compressor = next(p for p in body["items"] if p["code"] == "CMP-35")
    assert (compressor["name"], compressor["cost_price"], compressor["retail_price"]) == ("压缩机", "420.00", "680.00")
    assert [p["code"] for p in c.get("/parts", {"q": "过滤"}).json()["items"]] == ["FLT-01"]


def test_places_levels_moves_and_low_stock_are_scoped(stock):
    s = stock
    stock_van(s, s.filter, 2)
    clerk = api(s, "clerk_a")
    ids = {p["id"] for p in clerk.get("/parts/places").json()}
    assert {s.store_a.pk, s.van_a.pk, s.van_a2.pk} <= ids and s.store_b.pk not in ids and s.head_office.pk not in ids
    assert {p["id"] for p in api(s, "engineer_a").get("/parts/places").json()} == {s.van_a.pk}
    assert s.head_office.pk in {p["id"] for p in api(s, "manager").get("/parts/places").json()}
    levels = api(s, "engineer_a").get(f"/parts/places/{s.van_a.pk}/stock").json()
    assert levels == [
        {
            "place_id": s.van_a.pk,
            "part_code": "FLT-01",
            "part_name": "过滤网",
            "quantity": 2,
            "faulty": 0,
            "low_stock_level": 2,
            "low": True,
        }
    ]
    moves = clerk.get(f"/parts/places/{s.store_a.pk}/moves").json()
    assert [(m["kind"], m["quantity"]) for m in moves["items"]] == [("transfer_out", -2), ("receipt", 2)]
    assert moves["items"][0]["requisition_id"] == Requisition.objects.get().pk
    low = clerk.get("/parts/low-stock").json()
    assert {(line["place_id"], line["part_code"]) for line in low} == {(s.store_a.pk, "FLT-01"), (s.van_a.pk, "FLT-01")}
    assert api(s, "clerk_b").get("/parts/low-stock").json() == []
    # other outlet, other van: 404
    for who, place in (("clerk_b", s.store_a), ("engineer_a", s.van_a2), ("engineer_a", s.store_a)):
        for tail in ("stock", "moves"):
            response = api(s, who).get(f"/parts/places/{place.pk}/{tail}")
            assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"


def test_receive_and_adjust(stock):
    s = stock
    clerk = api(s, "clerk_a")
    response = clerk.post("/parts/receive", {"place_id": s.store_a.pk, "part_code": "FLT-01", "quantity": 8})
    assert response.status_code == 201 and response.json()["kind"] == "receipt" and response.json()["quantity"] == 8
    response = api(s, "outlet_manager_a").post(
        "/parts/adjust", {"place_id": s.store_a.pk, "part_code": "FLT-01", "counted": 7, "note": "盘点少一个"}
    )
    assert response.status_code == 201 and response.json()["quantity"] == -1
    assert stock_level(part=s.filter, place=s.store_a) == 7


@pytest.mark.parametrize(
    ("who", "path", "body", "status", "fields"),
    [
        ("clerk_a", "/parts/receive", {"part_code": "NOPE", "quantity": 1}, 422, {"part"}),
        ("clerk_a", "/parts/receive", {"part_code": "FLT-01", "quantity": 0}, 422, {"quantity"}),
        ("clerk_a", "/parts/receive", {"part_code": "FLT-01", "quantity": 1000}, 422, {"quantity"}),
        ("clerk_a", "/parts/receive", {"part_code": "FLT-01", "quantity": "多"}, 422, {"quantity"}),
        ("clerk_a", "/parts/receive", {"part_code": "FLT-01"}, 422, {"quantity"}),
        ("clerk_b", "/parts/receive", {"part_code": "FLT-01", "quantity": 1}, 404, {"place"}),
        ("outlet_manager_a", "/parts/adjust", {"part_code": "FLT-01", "counted": -1, "note": "x"}, 422, {"counted"}),
        ("outlet_manager_a", "/parts/adjust", {"part_code": "FLT-01", "counted": 3, "note": " "}, 422, {"note"}),
        ("clerk_a", "/parts/adjust", {"part_code": "FLT-01", "counted": 3, "note": "盘点"}, 403, set()),
    ],
)
def test_bad_stock_input_is_problem_json_naming_the_field(stock, who, path, body, status, fields):
    s = stock
    before = written()
    response = api(s, who).post(path, {"place_id": s.store_a.pk, **body}, **EN)
    assert_problem(response, status, fields, before)


def test_a_requisition_through_the_api(stock):
    s = stock
    part_receive(actor=s.actor("clerk_a"), place_id=s.store_a.pk, part_code="FLT-01", quantity=5)
    engineer = api(s, "engineer_a")
    response = engineer.post(
        "/parts/requisitions",
        {"destination_id": s.van_a.pk, "lines": [{"part_code": "FLT-01", "quantity": 3}], "note": "明天三单"},
        **{"Idempotency-Key": "req-1"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["source_id"], body["lines"]) == (
        "requested",
        s.store_a.pk,
        [{"part_code": "FLT-01", "part_name": "过滤网", "quantity": 3}],
    )
    # the retry replays the first answer, not a second requisition
    again = engineer.post(
        "/parts/requisitions",
        {"destination_id": s.van_a.pk, "lines": [{"part_code": "FLT-01", "quantity": 3}], "note": "明天三单"},
        **{"Idempotency-Key": "req-1"},
    )
    assert again.json()["id"] == body["id"] and Requisition.objects.count() == 1
    rid = body["id"]
    before = written()
    assert_problem(engineer.post(f"/parts/requisitions/{rid}/approve", **EN), 403, set(), before)
    manager = api(s, "outlet_manager_a")
    assert manager.post(f"/parts/requisitions/{rid}/approve").json()["status"] == "approved"
    assert_problem(manager.post(f"/parts/requisitions/{rid}/approve", **EN), 409, {"status"}, written())
    shipped = api(s, "clerk_a").post(f"/parts/requisitions/{rid}/fulfil").json()
    assert shipped["status"] == "fulfilled" and shipped["fulfilled_at"]
    assert stock_level(part=s.filter, place=s.van_a) == 3
    listed = engineer.get("/parts/requisitions", {"status": "fulfilled"}).json()
    assert [r["id"] for r in listed["items"]] == [rid]
    assert engineer.get("/parts/requisitions", {"status": "requested"}).json()["count"] == 0
    assert_problem(engineer.get("/parts/requisitions", {"status": "lost"}), 422, {"status"}, written())


def test_requisition_refusals_name_the_field(stock):
    s = stock
    engineer = api(s, "engineer_a")
    before = written()
    for body, status, fields in (
        ({"destination_id": s.van_a.pk, "lines": []}, 422, {"lines"}),
        ({"destination_id": s.van_a.pk, "lines": [{"part_code": "NOPE", "quantity": 1}]}, 422, {"part"}),
        ({"destination_id": s.van_a.pk, "lines": [{"part_code": "FLT-01", "quantity": 0}]}, 422, {"quantity"}),
        ({"destination_id": s.van_a2.pk, "lines": [{"part_code": "FLT-01", "quantity": 1}]}, 404, {"place"}),
        ({"lines": [{"part_code": "FLT-01", "quantity": 1}]}, 422, {"destination_id"}),
    ):
        assert_problem(engineer.post("/parts/requisitions", body, **EN), status, fields, before)
    req = requisition_request(actor=s.actor("engineer_a"), destination_id=s.van_a.pk, lines=[PartQuantity("FLT-01", 1)])
    manager = api(s, "outlet_manager_a")
    before = written()
    assert_problem(manager.post(f"/parts/requisitions/{req.pk}/reject", {"reason": " "}, **EN), 422, {"reason"}, before)
    # another outlet: 404 everywhere
    other = api(s, "clerk_b")
    assert other.get(f"/parts/requisitions/{req.pk}").status_code == 404
    assert_problem(other.post(f"/parts/requisitions/{req.pk}/fulfil", **EN), 404, {"requisition"}, before)
    rejected = manager.post(f"/parts/requisitions/{req.pk}/reject", {"reason": "库存紧张"}).json()
    assert (rejected["status"], rejected["reason"]) == ("rejected", "库存紧张")


def test_consume_and_return_faulty_on_a_visit(stock):
    s = stock
    stock_van(s, s.filter, 2)
    engineer = api(s, "engineer_a")
    wo = s.work_order.pk
    response = engineer.post("/parts/consume", {"work_order_id": wo, "part_code": "FLT-01", "quantity": 1})
    assert response.status_code == 201 and response.json()["kind"] == "consumption"
    assert response.json()["work_order_id"] == wo and stock_level(part=s.filter, place=s.van_a) == 1
    before = written()
    # out of stock: 409 naming the quantity, nothing written
    response = engineer.post("/parts/consume", {"work_order_id": wo, "part_code": "FLT-01", "quantity": 2}, **EN)
    assert_problem(response, 409, {"quantity"}, before)
    assert "Out of stock" in response.json()["detail"]
    # a serialised part needs its serial; unknown work order is 404
    body = {"work_order_id": wo, "part_code": "CMP-35", "quantity": 1}
    assert_problem(engineer.post("/parts/consume", body, **EN), 422, {"serial"}, before)
    assert_problem(api(s, "clerk_b").post("/parts/consume", {**body, "serial": "C1"}, **EN), 404, set(), before)
    response = engineer.post("/parts/return-faulty", {**body, "serial": "CMP-OLD-778"})
    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["place_id"], response.json()["serial"]) == (
        "faulty_return",
        s.store_a.pk,
        "CMP-OLD-778",
    )


# ---------------------------------------------------------------------------------------------------------- loaners


def test_take_back_lend_advance_and_return_through_the_api(loaners):
    s = loaners
    engineer = api(s, "engineer_a")
    wo = s.work_order.pk
    response = engineer.post(
        "/loans/take-backs", {"work_order_id": wo, "receipt_number": "TB-0009", "signed_by": "李建国"}
    )
    assert response.status_code == 201, response.content
    tb = response.json()
    assert (tb["stage"], tb["next_stage"], tb["no_loaner_available"]) == ("taken", "at_outlet", False)
    clerk = api(s, "clerk_a")
    assert [t["id"] for t in clerk.get("/loans/take-backs").json()["items"]] == [tb["id"]]
    lend = {"loaner_id": s.loaner.pk, "due_back_on": DUE.isoformat(), "receipt_number": "LN-9", "signed_by": "李建国"}
    response = clerk.post(f"/loans/take-backs/{tb['id']}/lend", lend)
    assert response.status_code == 201, response.content
    loan = response.json()
    assert (loan["loaner_serial"], loan["due_back_on"], loan["overdue"]) == ("LN-A-001", "2026-12-08", False)
    assert [u["status"] for u in clerk.get("/loans/loaners").json()["items"] if u["serial"] == "LN-A-001"] == ["lent"]
    advanced = clerk.post(f"/loans/take-backs/{tb['id']}/advance", {"stage": "at_outlet"}).json()
    assert advanced["stage"] == "at_outlet"
    before = written()
    assert_problem(
        clerk.post(f"/loans/take-backs/{tb['id']}/advance", {"stage": "returned"}, **EN), 409, {"stage"}, before
    )
    assert_problem(clerk.post(f"/loans/take-backs/{tb['id']}/advance", {"stage": "lost"}, **EN), 422, {"stage"}, before)
    # two days past the due date it is overdue
    s.f.traveller.move_to(local(DUE + dt.timedelta(days=2), "09:00"))
    clerk = api(s, "clerk_a")  # a fresh login: the session of two weeks ago has expired
    overdue = clerk.get("/loans", {"overdue": "true"}).json()
    assert [(x["id"], x["overdue"]) for x in overdue["items"]] == [(loan["id"], True)]
    returned = clerk.post(f"/loans/{loan['id']}/return", {"condition": "完好"}).json()
    assert returned["returned_at"] and returned["returned_condition"] == "完好"
    assert clerk.get("/loans", {"overdue": "true"}).json()["count"] == 0
    assert_problem(clerk.post(f"/loans/{loan['id']}/return", {}, **EN), 409, {"loan"}, written())


def test_lending_a_loaner_already_out_and_bad_loan_input_name_the_field(loaners):
    s = loaners
    first = s.take_back()
    clerk = api(s, "clerk_a")
    lend = {"loaner_id": s.loaner.pk, "due_back_on": DUE.isoformat(), "receipt_number": "LN-1", "signed_by": "甲"}
    assert clerk.post(f"/loans/take-backs/{first.pk}/lend", lend).status_code == 201
    second = s.take_back(s.visit())
    before = written()
    url = f"/loans/take-backs/{second.pk}/lend"
    response = clerk.post(url, lend, **EN)
    assert_problem(response, 409, {"loaner"}, before)
    assert "already out" in response.json()["detail"]
    for change, status, fields in (
        ({"due_back_on": TODAY.isoformat()}, 422, {"due_back_on"}),
        ({"due_back_on": "明天"}, 422, {"due_back_on"}),
        ({"receipt_number": " "}, 422, {"receipt_number"}),
        ({"signed_by": ""}, 422, {"signed_by"}),
        ({"loaner_id": s.loaner_b.pk}, 404, {"loaner"}),
        ({"loaner_id": 0}, 422, {"loaner_id"}),
    ):
        assert_problem(clerk.post(url, {**lend, **change}, **EN), status, fields, before)
    # taking the same unit back twice is a conflict naming the work order
    body = {"work_order_id": s.work_order.pk, "receipt_number": "TB-2", "signed_by": "甲"}
    assert_problem(api(s, "engineer_a").post("/loans/take-backs", body, **EN), 409, {"work_order"}, before)
    assert_problem(
        api(s, "engineer_a").post("/loans/take-backs", {**body, "receipt_number": ""}, **EN),
        422,
        {"receipt_number"},
        before,
    )


def test_a_take_back_with_no_loaner_available_is_flagged(loaners):
    s = loaners
    LoanerUnit.objects.filter(pk=s.loaner.pk).update(status=LoanerStatus.IN_REPAIR)
    body = {"work_order_id": s.work_order.pk, "receipt_number": "TB-3", "signed_by": "李建国"}
    assert api(s, "engineer_a").post("/loans/take-backs", body).json()["no_loaner_available"] is True
    assert [t["no_loaner_available"] for t in api(s, "clerk_a").get("/loans/take-backs").json()["items"]] == [True]


def test_another_outlet_gets_404_on_take_backs_and_loans(loaners):
    s = loaners
    take_back = s.take_back()
    clerk = api(s, "clerk_a")
    lend = {"loaner_id": s.loaner.pk, "due_back_on": DUE.isoformat(), "receipt_number": "LN-1", "signed_by": "甲"}
    loan_id = clerk.post(f"/loans/take-backs/{take_back.pk}/lend", lend).json()["id"]
    other = api(s, "clerk_b")
    before = written()
    assert other.get("/loans/take-backs").json()["count"] == 0 and other.get("/loans").json()["count"] == 0
    assert [u["serial"] for u in other.get("/loans/loaners").json()["items"]] == ["LN-B-001"]
    assert_problem(other.get(f"/loans/take-backs/{take_back.pk}", **EN), 404, {"take_back"}, before)
    assert_problem(
        other.post(f"/loans/take-backs/{take_back.pk}/advance", {"stage": "at_outlet"}), 404, {"take_back"}, before
    )
    assert_problem(other.post(f"/loans/{loan_id}/return", {}), 404, {"loan"}, before)
    body = {"work_order_id": s.work_order.pk, "receipt_number": "TB-X", "signed_by": "乙"}
    assert_problem(other.post("/loans/take-backs", body), 404, set(), before)
    # an engineer sees his own visits' take-backs only
    assert api(s, "engineer_a2").get("/loans/take-backs").json()["count"] == 0
    assert api(s, "engineer_a").get("/loans/take-backs").json()["count"] == 1
    # a returned unit leaves the open list but stays in the whole history (open=false)
    for stage in ("at_outlet", "in_repair", "repaired", "returned"):
        clerk.post(f"/loans/take-backs/{take_back.pk}/advance", {"stage": stage})
    assert clerk.get("/loans/take-backs").json()["count"] == 0
    assert clerk.get("/loans/take-backs", {"open": "false"}).json()["items"][0]["stage"] == "returned"


def test_the_openapi_document_lists_the_parts_and_loans_endpoints(db):
    from config.api import api as ninja_api

    paths = set(ninja_api.get_openapi_schema()["paths"])
    for path in (
        "/api/v1/parts",
        "/api/v1/parts/places",
        "/api/v1/parts/places/{place_id}/stock",
        "/api/v1/parts/places/{place_id}/moves",
        "/api/v1/parts/low-stock",
        "/api/v1/parts/receive",
        "/api/v1/parts/adjust",
        "/api/v1/parts/requisitions",
        "/api/v1/parts/requisitions/{requisition_id}/approve",
        "/api/v1/parts/requisitions/{requisition_id}/reject",
        "/api/v1/parts/requisitions/{requisition_id}/fulfil",
        "/api/v1/parts/consume",
        "/api/v1/parts/return-faulty",
        "/api/v1/loans/loaners",
        "/api/v1/loans/take-backs",
        "/api/v1/loans/take-backs/{take_back_id}/advance",
        "/api/v1/loans/take-backs/{take_back_id}/lend",
        "/api/v1/loans",
        "/api/v1/loans/{loan_id}/return",
    ):
        assert path in paths, path


def queries(client: ApiClient, path: str) -> int:
    """Queries one GET takes (after a first call, so that per-process caches do not count)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(captured)


def test_list_query_counts_are_flat(stock):
    s = stock
    part_receive(actor=s.actor("clerk_a"), place_id=s.store_a.pk, part_code="FLT-01", quantity=5)
    ask = {"destination_id": s.van_a.pk, "lines": [{"part_code": "FLT-01", "quantity": 1}]}
    engineer, clerk = api(s, "engineer_a"), api(s, "clerk_a")
    engineer.post("/parts/requisitions", ask)
    one = {
        "requisitions": queries(clerk, "/parts/requisitions"),
        "moves": queries(clerk, f"/parts/places/{s.store_a.pk}/moves"),
    }
    for _ in range(3):
        part_receive(actor=s.actor("clerk_a"), place_id=s.store_a.pk, part_code="CMP-35", quantity=1)
        engineer.post("/parts/requisitions", {**ask, "lines": [{"part_code": "CMP-35", "quantity": 1}]})
    assert {
        "requisitions": queries(clerk, "/parts/requisitions"),
        "moves": queries(clerk, f"/parts/places/{s.store_a.pk}/moves"),
    } == one


def test_loan_list_query_counts_are_flat(loaners):
    s = loaners
    clerk = api(s, "clerk_a")
    lend = {"due_back_on": DUE.isoformat(), "receipt_number": "LN-1", "signed_by": "甲"}
    clerk.post(f"/loans/take-backs/{s.take_back().pk}/lend", {**lend, "loaner_id": s.loaner.pk})
    one = [queries(clerk, path) for path in ("/loans", "/loans/take-backs", "/loans/loaners")]
    model = s.loaner.product_model
    for n in range(3):
        extra = LoanerUnit.objects.create(outlet=s.f.network.outlet_a, product_model=model, serial=f"LN-A-10{n}")
        take_back = s.take_back(s.visit())
        clerk.post(f"/loans/take-backs/{take_back.pk}/lend", {**lend, "loaner_id": extra.pk})
    assert [queries(clerk, path) for path in ("/loans", "/loans/take-backs", "/loans/loaners")] == one
