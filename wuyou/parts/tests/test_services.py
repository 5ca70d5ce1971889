"""Spare parts as a ledger (issue 5 item 4, R-F4): receive, requisition, consume, faulty returns, counts, low stock.

The ledger property (each balance is the sum of its moves) is checked by hypothesis on SQLite; the last unit taken
by many engineers at once is proved on PostgreSQL only (row locks mean nothing on SQLite).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.concurrency import postgresql_only, run_together
from tests.field_service import catalogue_part
from wuyou.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.dispatch.models import WorkOrder
from wuyou.notifications.models import Message
from wuyou.parts.models import (
    GOOD_STOCK_KINDS,
    Part,
    RequisitionStatus,
    StockBalance,
    StockMove,
    StockPlace,
    StockPlaceKind,
)
from wuyou.parts.selectors import faulty_level, low_stock, requisition_get, stock_level, stock_levels, stock_place_get
from wuyou.parts.services import (
    PartQuantity,
    part_consume,
    part_receive,
    part_return_faulty,
    requisition_approve,
    requisition_fulfil,
    requisition_reject,
    requisition_request,
    stock_adjust,
    stock_place_ensure,
)


@dataclass
class Stock:
    """Outlet A's store and engineer A's van, the head-office warehouse, a filter (consumable) and a compressor."""

    f: Any
    head_office: StockPlace
    store_a: StockPlace
    store_b: StockPlace
    van_a: StockPlace
    van_a2: StockPlace
    filter: Part
    compressor: Part
    work_order: WorkOrder

    def actor(self, name: str):
        return self.f.network.actor(getattr(self.f.network, name))

    def moves(self) -> int:
        return StockMove.objects.count()


@pytest.fixture
def stock(field_service) -> Stock:
    f = field_service
    net = f.network
    filter_ = catalogue_part("FLT-01", "过滤网", "8.00", "15.00", is_consumable=True, low_stock_level=2)
    compressor = catalogue_part("CMP-35", "压缩机", "420.00", "680.00", low_stock_level=1)
    wo = f.visit_on_site()
    return Stock(
        f=f,
        head_office=stock_place_ensure(kind=StockPlaceKind.HEAD_OFFICE),
        store_a=stock_place_ensure(kind=StockPlaceKind.OUTLET, outlet_id=net.outlet_a.pk),
        store_b=stock_place_ensure(kind=StockPlaceKind.OUTLET, outlet_id=net.outlet_b.pk),
        van_a=stock_place_ensure(kind=StockPlaceKind.VAN, engineer=net.engineer_a),
        van_a2=stock_place_ensure(kind=StockPlaceKind.VAN, engineer=net.engineer_a2),
        filter=filter_,
        compressor=compressor,
        work_order=wo,
    )


def stock_van(s: Stock, part: Part, quantity: int) -> None:
    """Given stock in engineer A's van, brought there through the store by an approved requisition."""
    part_receive(actor=s.actor("clerk_a"), place_id=s.store_a.pk, part_code=part.code, quantity=quantity)
    req = requisition_request(
        actor=s.actor("engineer_a"), destination_id=s.van_a.pk, lines=[PartQuantity(part.code, quantity)]
    )
    requisition_approve(actor=s.actor("outlet_manager_a"), requisition_id=req.pk)
    requisition_fulfil(actor=s.actor("clerk_a"), requisition_id=req.pk)


def assert_ledger_holds() -> None:
    """Every cached balance equals the sum of its place's good-stock moves and is never negative."""
    sums = {
        (r["part_id"], r["place_id"]): r["s"]
        for r in StockMove.objects.filter(kind__in=GOOD_STOCK_KINDS)
        .values("part_id", "place_id")
        .annotate(s=Sum("quantity"))
    }
    balances = {(b.part_id, b.place_id): b.quantity for b in StockBalance.objects.all()}
    assert {k: v for k, v in balances.items() if v or k in sums} == sums
    assert all(v >= 0 for v in balances.values())


# ------------------------------------------------------------------------------------------------------ receiving


def test_receiving_parts_adds_a_receipt_move_and_the_level_is_the_sum(stock):
    s = stock
    # when the clerk books 5 filters in, then 3 more
    part_receive(actor=s.actor("clerk_a"), place_id=s.store_a.pk, part_code="FLT-01", quantity=5)
    part_receive(actor=s.actor("clerk_a"), place_id=s.store_a.pk, part_code="FLT-01", quantity=3, note="补货")
    # then the store holds 8: two receipt rows, no edited number
    assert stock_level(part=s.filter, place=s.store_a) == 8
    assert list(StockMove.objects.values_list("kind", "quantity")) == [("receipt", 5), ("receipt", 3)]
    assert_ledger_holds()


@pytest.mark.parametrize(
    ("code", "quantity", "field"),
    [("NOPE", 1, "part"), ("FLT-01", 0, "quantity"), ("FLT-01", -2, "quantity"), ("FLT-01", 1000, "quantity")],
)
def test_receiving_bad_input_is_refused_and_nothing_is_written(stock, code, quantity, field):
    with pytest.raises(ValidationFailed) as err:
        part_receive(actor=stock.actor("clerk_a"), place_id=stock.store_a.pk, part_code=code, quantity=quantity)
    assert err.value.field == field
    assert stock.moves() == 0


def test_an_inactive_part_is_not_in_the_catalogue(stock):
    Part.objects.filter(pk=stock.filter.pk).update(active=False)
    with pytest.raises(ValidationFailed):
        part_receive(actor=stock.actor("clerk_a"), place_id=stock.store_a.pk, part_code="FLT-01", quantity=1)


def test_parts_reach_a_van_by_requisition_not_by_receipt(stock):
    with pytest.raises(ValidationFailed) as err:
        part_receive(actor=stock.actor("clerk_a"), place_id=stock.van_a.pk, part_code="FLT-01", quantity=1)
    assert err.value.field == "place"


def test_the_other_outlets_store_is_not_found(stock):
    with pytest.raises(NotFound):
        part_receive(actor=stock.actor("clerk_b"), place_id=stock.store_a.pk, part_code="FLT-01", quantity=1)
    assert stock.moves() == 0


# --------------------------------------------------------------------------------------------------- requisitions


def test_engineer_to_outlet_requisition_is_approved_and_fulfilled_by_transfer_moves(stock):
    s = stock
    part_receive(actor=s.actor("clerk_a"), place_id=s.store_a.pk, part_code="FLT-01", quantity=10)
    part_receive(actor=s.actor("clerk_a"), place_id=s.store_a.pk, part_code="CMP-35", quantity=2, serial="C-1")
    # when engineer A asks for 4 filters and a compressor for his van
    req = requisition_request(
        actor=s.actor("engineer_a"),
        destination_id=s.van_a.pk,
        lines=[PartQuantity("FLT-01", 4), PartQuantity("CMP-35", 1)],
        note="明天两单",
    )
    assert (req.status, req.source_id, req.destination_id) == (RequisitionStatus.REQUESTED, s.store_a.pk, s.van_a.pk)
    # then he may not approve it himself; the outlet manager does, once
    with pytest.raises(PermissionDenied):
        requisition_approve(actor=s.actor("engineer_a"), requisition_id=req.pk)
    with pytest.raises(TransitionNotAllowed):
        requisition_fulfil(actor=s.actor("clerk_a"), requisition_id=req.pk)  # not approved yet
    requisition_approve(actor=s.actor("outlet_manager_a"), requisition_id=req.pk)
    with pytest.raises(TransitionNotAllowed):
        requisition_approve(actor=s.actor("outlet_manager_a"), requisition_id=req.pk)
    # and the clerk ships it: out of the store, into the van
    req = requisition_fulfil(actor=s.actor("clerk_a"), requisition_id=req.pk)
    assert req.status == RequisitionStatus.FULFILLED
    assert stock_level(part=s.filter, place=s.store_a) == 6
    assert stock_level(part=s.filter, place=s.van_a) == 4
    assert stock_level(part=s.compressor, place=s.store_a) == 1
    assert stock_level(part=s.compressor, place=s.van_a) == 1
    assert set(req.moves.values_list("kind", flat=True)) == {"transfer_in", "transfer_out"}
    with pytest.raises(TransitionNotAllowed):
        requisition_fulfil(actor=s.actor("clerk_a"), requisition_id=req.pk)
    assert_ledger_holds()


def test_outlet_to_head_office_requisition_needs_the_service_manager(stock):
    s = stock
    part_receive(actor=s.actor("manager"), place_id=s.head_office.pk, part_code="FLT-01", quantity=50)
    req = requisition_request(actor=s.actor("clerk_a"), destination_id=s.store_a.pk, lines=[PartQuantity("FLT-01", 20)])
    assert req.source_id == s.head_office.pk
    # the outlet manager sees his outlet's request but does not decide what head office sends
    with pytest.raises(PermissionDenied):
        requisition_approve(actor=s.actor("outlet_manager_a"), requisition_id=req.pk)
    requisition_approve(actor=s.actor("manager"), requisition_id=req.pk)
    # outlet staff do not ship from head office's warehouse; head office does
    with pytest.raises(PermissionDenied):
        requisition_fulfil(actor=s.actor("clerk_a"), requisition_id=req.pk)
    requisition_fulfil(actor=s.actor("hq_clerk"), requisition_id=req.pk)
    assert stock_level(part=s.filter, place=s.head_office) == 30
    assert stock_level(part=s.filter, place=s.store_a) == 20


def test_fulfilling_with_too_little_at_the_source_is_a_conflict_and_nothing_moves(stock):
    s = stock
    part_receive(actor=s.actor("clerk_a"), place_id=s.store_a.pk, part_code="FLT-01", quantity=10)
    part_receive(actor=s.actor("clerk_a"), place_id=s.store_a.pk, part_code="CMP-35", quantity=1, serial="C-1")
    req = requisition_request(
        actor=s.actor("engineer_a"),
        destination_id=s.van_a.pk,
        lines=[PartQuantity("FLT-01", 3), PartQuantity("CMP-35", 2)],
    )
    requisition_approve(actor=s.actor("outlet_manager_a"), requisition_id=req.pk)
    before = s.moves()
    with pytest.raises(Conflict):
        requisition_fulfil(actor=s.actor("clerk_a"), requisition_id=req.pk)
    # the filters that were there did not move either: all or nothing
    assert s.moves() == before
    assert stock_level(part=s.filter, place=s.store_a) == 10
    req.refresh_from_db()
    assert req.status == RequisitionStatus.APPROVED
    assert_ledger_holds()


def test_a_rejection_needs_a_reason_and_ends_the_requisition(stock):
    s = stock
    req = requisition_request(actor=s.actor("engineer_a"), destination_id=s.van_a.pk, lines=[PartQuantity("FLT-01", 2)])
    with pytest.raises(ValidationFailed):
        requisition_reject(actor=s.actor("outlet_manager_a"), requisition_id=req.pk, reason="  ")
    req = requisition_reject(actor=s.actor("outlet_manager_a"), requisition_id=req.pk, reason="车上还有")
    assert (req.status, req.reason) == (RequisitionStatus.REJECTED, "车上还有")
    with pytest.raises(TransitionNotAllowed):
        requisition_approve(actor=s.actor("outlet_manager_a"), requisition_id=req.pk)


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([], "lines"),
        ([PartQuantity("NOPE", 1)], "part"),
        ([PartQuantity("FLT-01", 0)], "quantity"),
        ([PartQuantity("FLT-01", 1000)], "quantity"),
        ([PartQuantity("FLT-01", 1), PartQuantity("FLT-01", 2)], "lines"),
    ],
)
def test_a_bad_requisition_is_refused(stock, lines, field):
    with pytest.raises(ValidationFailed) as err:
        requisition_request(actor=stock.actor("engineer_a"), destination_id=stock.van_a.pk, lines=lines)
    assert err.value.field == field


# ----------------------------------------------------------------------------------------------------------- scope


def test_each_sees_only_his_places_and_requisitions(stock):
    s = stock
    req = requisition_request(actor=s.actor("engineer_a"), destination_id=s.van_a.pk, lines=[PartQuantity("FLT-01", 1)])
    # another outlet: not found, never forbidden
    for name in ("clerk_b", "engineer_b"):
        with pytest.raises(NotFound):
            stock_place_get(actor=s.actor(name), place_id=s.store_a.pk)
        with pytest.raises(NotFound):
            requisition_get(actor=s.actor(name), requisition_id=req.pk)
        with pytest.raises(NotFound):
            requisition_approve(actor=s.actor(name), requisition_id=req.pk)
    # a colleague's van is not his
    with pytest.raises(NotFound):
        stock_levels(actor=s.actor("engineer_a2"), place_id=s.van_a.pk)
    with pytest.raises(NotFound):
        requisition_request(actor=s.actor("engineer_a2"), destination_id=s.van_a.pk, lines=[PartQuantity("FLT-01", 1)])
    # outlet staff see the store and the vans, not the head-office warehouse
    assert stock_place_get(actor=s.actor("clerk_a"), place_id=s.van_a.pk) == s.van_a
    with pytest.raises(NotFound):
        stock_place_get(actor=s.actor("clerk_a"), place_id=s.head_office.pk)
    assert stock_levels(actor=s.actor("engineer_a"), place_id=s.van_a.pk) == []


# ----------------------------------------------------------------------------------------------------- consumption


def test_consuming_a_part_on_a_visit_takes_it_from_the_van_and_records_the_event(stock):
    s = stock
    stock_van(s, s.compressor, 1)
    move = part_consume(
        actor=s.actor("engineer_a"), work_order_id=s.work_order.pk, part_code="CMP-35", serial="SN-CMP-0001"
    )
    assert (move.kind, move.quantity, move.serial, move.place_id) == ("consumption", -1, "SN-CMP-0001", s.van_a.pk)
    assert move.work_order_id == s.work_order.pk
    assert stock_level(part=s.compressor, place=s.van_a) == 0
    event = s.work_order.request.events.get(verb="part_consumed")
    assert event.data["serial"] == "SN-CMP-0001" and event.data["part"] == "CMP-35"
    assert_ledger_holds()


def test_consuming_more_than_the_van_holds_is_a_conflict_and_nothing_is_written(stock):
    s = stock
    stock_van(s, s.filter, 2)
    before = s.moves()
    with pytest.raises(Conflict) as err:
        part_consume(actor=s.actor("engineer_a"), work_order_id=s.work_order.pk, part_code="FLT-01", quantity=3)
    assert err.value.field == "quantity"
    assert s.moves() == before
    assert not s.work_order.request.events.filter(verb="part_consumed").exists()
    assert stock_level(part=s.filter, place=s.van_a) == 2


def test_a_serialised_part_needs_its_serial_one_at_a_time(stock):
    s = stock
    stock_van(s, s.compressor, 1)
    wo = s.work_order.pk
    with pytest.raises(ValidationFailed) as err:
        part_consume(actor=s.actor("engineer_a"), work_order_id=wo, part_code="CMP-35")
    assert err.value.field == "serial"
    with pytest.raises(ValidationFailed) as err:
        part_consume(actor=s.actor("engineer_a"), work_order_id=wo, part_code="CMP-35", quantity=2, serial="X")
    assert err.value.field == "quantity"


def test_an_engineer_of_another_outlet_cannot_book_parts_on_the_visit(stock):
    s = stock
    stock_van(s, s.filter, 2)
    for name in ("engineer_b", "engineer_a2", "clerk_b"):
        with pytest.raises(NotFound):
            part_consume(actor=s.actor(name), work_order_id=s.work_order.pk, part_code="FLT-01")
    assert stock_level(part=s.filter, place=s.van_a) == 2


def test_a_faulty_part_goes_back_to_the_outlet_in_its_own_tally(stock):
    s = stock
    move = part_return_faulty(
        actor=s.actor("engineer_a"), work_order_id=s.work_order.pk, part_code="CMP-35", serial="OLD-77"
    )
    assert (move.kind, move.place_id, move.quantity) == ("faulty_return", s.store_a.pk, 1)
    # it is not stock anyone can take
    assert faulty_level(part=s.compressor, place=s.store_a) == 1
    assert stock_level(part=s.compressor, place=s.store_a) == 0
    [line] = stock_levels(actor=s.actor("clerk_a"), place_id=s.store_a.pk)
    assert (line.part, line.quantity, line.faulty) == (s.compressor, 0, 1)
    assert s.work_order.request.events.filter(verb="faulty_part_returned").exists()


# --------------------------------------------------------------------------------------------------------- counting


def test_a_manager_books_the_counted_stock_as_one_adjustment_with_a_reason(stock):
    s = stock
    part_receive(actor=s.actor("clerk_a"), place_id=s.store_a.pk, part_code="FLT-01", quantity=10)
    with pytest.raises(PermissionDenied):
        stock_adjust(actor=s.actor("clerk_a"), place_id=s.store_a.pk, part_code="FLT-01", counted=8, note="盘点")
    with pytest.raises(ValidationFailed) as err:
        stock_adjust(actor=s.actor("outlet_manager_a"), place_id=s.store_a.pk, part_code="FLT-01", counted=8, note="")
    assert err.value.field == "note"
    with pytest.raises(ValidationFailed) as err:
        stock_adjust(actor=s.actor("outlet_manager_a"), place_id=s.store_a.pk, part_code="FLT-01", counted=-1, note="x")
    assert err.value.field == "counted"
    move = stock_adjust(
        actor=s.actor("outlet_manager_a"), place_id=s.store_a.pk, part_code="FLT-01", counted=8, note="盘点少两个"
    )
    assert (move.kind, move.quantity, move.note) == ("adjustment", -2, "盘点少两个")
    assert stock_level(part=s.filter, place=s.store_a) == 8
    assert_ledger_holds()


# -------------------------------------------------------------------------------------------------------- low stock


def test_a_consumption_crossing_the_low_level_warns_the_outlet_manager_once_a_day(stock):
    s = stock
    part_receive(actor=s.actor("clerk_a"), place_id=s.store_a.pk, part_code="FLT-01", quantity=10)
    stock_van(s, s.filter, 4)  # low level is 2; the store keeps 10
    wo = s.work_order.pk
    with translation.override("en"):
        part_consume(actor=s.actor("engineer_a"), work_order_id=wo, part_code="FLT-01")  # 3 left: fine
        assert not Message.objects.filter(kind="low_stock").exists()
        assert low_stock(actor=s.actor("clerk_a")) == []
        part_consume(actor=s.actor("engineer_a"), work_order_id=wo, part_code="FLT-01")  # 2 left: low
        part_consume(actor=s.actor("engineer_a"), work_order_id=wo, part_code="FLT-01")  # 1 left: still low
    [message] = Message.objects.filter(kind="low_stock")
    assert message.recipient_id == s.f.network.outlet_manager_a.user_id
    assert "FLT-01" in message.body and "Low stock" in message.subject
    [warning] = low_stock(actor=s.actor("outlet_manager_a"))
    assert (warning.place, warning.part, warning.quantity, warning.is_low) == (s.van_a, s.filter, 1, True)
    assert low_stock(actor=s.actor("engineer_a2")) == [] and low_stock(actor=s.actor("clerk_b")) == []
    # restocked and crossing again on the same day: the same key, no second message
    stock_van(s, s.filter, 3)
    part_consume(actor=s.actor("engineer_a"), work_order_id=wo, part_code="FLT-01", quantity=2)
    assert Message.objects.filter(kind="low_stock").count() == 1


# --------------------------------------------------------------------------------------------- the ledger property

OPS = st.lists(
    st.tuples(
        st.sampled_from(["receive_ho", "receive_store", "ho_to_store", "store_to_van", "consume", "adjust"]),
        st.integers(0, 1),  # which part
        st.integers(1, 6),  # how many
    ),
    max_size=12,
)


class _Rollback(Exception):
    """Undo one hypothesis example's writes."""


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_after_any_sequence_of_moves_each_balance_is_the_sum_of_its_moves(stock, ops):
    s = stock
    parts = [s.filter, s.compressor]
    Part.objects.filter(pk=s.compressor.pk).update(is_consumable=True)  # quantities > 1 for both parts
    expected: dict[tuple[int, int], int] = {}

    def have(part: Part, place: StockPlace) -> int:
        return expected.get((part.pk, place.pk), 0)

    def add(part: Part, place: StockPlace, n: int) -> None:
        expected[(part.pk, place.pk)] = have(part, place) + n

    def transfer(part: Part, source: StockPlace, destination: StockPlace, n: int, who: str, boss: str) -> None:
        req = requisition_request(actor=s.actor(who), destination_id=destination.pk, lines=[PartQuantity(part.code, n)])
        requisition_approve(actor=s.actor(boss), requisition_id=req.pk)
        shipper = "hq_clerk" if source.kind == StockPlaceKind.HEAD_OFFICE else "clerk_a"
        if have(part, source) < n:
            with pytest.raises(Conflict):
                requisition_fulfil(actor=s.actor(shipper), requisition_id=req.pk)
            return
        requisition_fulfil(actor=s.actor(shipper), requisition_id=req.pk)
        add(part, source, -n)
        add(part, destination, n)

    try:
        with transaction.atomic():
            for op, which, n in ops:
                part = parts[which]
                if op == "receive_ho":
                    part_receive(actor=s.actor("manager"), place_id=s.head_office.pk, part_code=part.code, quantity=n)
                    add(part, s.head_office, n)
                elif op == "receive_store":
                    part_receive(actor=s.actor("clerk_a"), place_id=s.store_a.pk, part_code=part.code, quantity=n)
                    add(part, s.store_a, n)
                elif op == "ho_to_store":
                    transfer(part, s.head_office, s.store_a, n, "clerk_a", "manager")
                elif op == "store_to_van":
                    transfer(part, s.store_a, s.van_a, n, "engineer_a", "outlet_manager_a")
                elif op == "consume":
                    call = {"actor": s.actor("engineer_a"), "work_order_id": s.work_order.pk, "part_code": part.code}
                    if have(part, s.van_a) < n:
                        with pytest.raises(Conflict):
                            part_consume(**call, quantity=n)
                    else:
                        part_consume(**call, quantity=n)
                        add(part, s.van_a, -n)
                else:
                    counted = max(0, have(part, s.store_a) - n + 3)
                    if counted != have(part, s.store_a):
                        stock_adjust(
                            actor=s.actor("outlet_manager_a"),
                            place_id=s.store_a.pk,
                            part_code=part.code,
                            counted=counted,
                            note="盘点",
                        )
                        add(part, s.store_a, counted - have(part, s.store_a))
                assert_ledger_holds()
            for place in (s.head_office, s.store_a, s.van_a):
                for part in parts:
                    assert stock_level(part=part, place=place) == have(part, place) >= 0
            raise _Rollback
    except _Rollback:
        pass


# ---------------------------------------------------------------------------------------------------- concurrency


@pytest.mark.django_db(transaction=True)
def test_engineers_taking_the_last_units_at_once_never_drive_stock_negative(stock):
    postgresql_only()
    s = stock
    units, takers = 3, 8
    stock_van(s, s.filter, units)
    # given eight visits of engineer A's, each booking a filter from his van at the same instant
    orders = [s.work_order]
    for _ in range(takers - 1):
        orders.append(s.f.visit_on_site())
    engineer = s.actor("engineer_a")
    results = run_together(
        *[(lambda wo=wo: part_consume(actor=engineer, work_order_id=wo.pk, part_code="FLT-01")) for wo in orders]
    )
    # then exactly three got a filter, the other five were told it is out of stock
    assert sum(isinstance(r, StockMove) for r in results) == units, results
    assert sum(isinstance(r, Conflict) for r in results) == takers - units, results
    assert stock_level(part=s.filter, place=s.van_a) == 0
    assert StockBalance.objects.get(part=s.filter, place=s.van_a).quantity == 0
    assert_ledger_holds()
