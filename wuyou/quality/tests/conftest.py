"""A desk at outlet A with follow-up staff on both outlets, at a frozen Tuesday morning (2026-03-03 10:00 Shanghai)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import CustomerFactory, StaffFactory, UnitFactory
from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Outlet, Role, StaffProfile
from wuyou.dispatch.models import WorkOrder
from wuyou.dispatch.services import WorkOrderInput, work_order_open
from wuyou.quality.models import Callback
from wuyou.quality.services import request_resolve_by_phone
from wuyou.tickets.models import ServiceRequest
from wuyou.tickets.services import RequestInput, request_open

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = "2026-03-03 10:00"  # a Tuesday, an ordinary working day


def at(text: str) -> dt.datetime:
    """An aware datetime from "YYYY-MM-DD HH:MM" Shanghai time."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def shanghai(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %a %H:%M")


@dataclass
class Desk:
    """The services as the network's desks use them, at a frozen time."""

    network: object
    traveller: time_machine.Traveller
    follow_up_a: StaffProfile
    follow_up_b: StaffProfile

    def now(self, text: str) -> None:
        self.traveller.move_to(at(text))

    def actor(self, staff: StaffProfile) -> Actor:
        return self.network.actor(staff)  # type: ignore[attr-defined]

    @property
    def clerk(self) -> Actor:
        return self.actor(self.network.clerk_a)  # type: ignore[attr-defined]

    def request(self, outlet: Outlet | None = None) -> ServiceRequest:
        """A verified repair request (unit, symptom, address with map position) of a customer of the outlet."""
        network = self.network
        outlet = outlet or network.outlet_a  # type: ignore[attr-defined]
        customer = CustomerFactory(outlet=outlet, name="李建国")
        unit = UnitFactory(owner=customer, purchase_date=dt.date(2025, 6, 1))
        clerk = network.clerk_a if outlet == network.outlet_a else network.clerk_b  # type: ignore[attr-defined]
        return request_open(
            actor=self.actor(clerk),
            intake=RequestInput(
                call_type="repair", customer_id=customer.pk, unit_serial=unit.serial, symptom="遥控器按了没反应"
            ),
        )

    def visit(self, sr: ServiceRequest, *, booked: bool = True) -> WorkOrder:
        """An open visit for the request, booked for tomorrow morning unless told otherwise."""
        windows = ((at("2026-03-04 09:00"), at("2026-03-04 11:00")),) if booked else ()
        return work_order_open(actor=self.clerk, request=sr, visit=WorkOrderInput(windows=windows))

    def guide(self, sr: ServiceRequest, note: str = "教客户更换遥控器电池后恢复正常") -> Callback:
        callback = request_resolve_by_phone(actor=self.clerk, request=sr, note=note, expected_version=sr.version)
        assert callback is not None
        return callback


@pytest.fixture
def desk(network):
    with time_machine.travel(at(START), tick=False) as traveller:
        yield Desk(
            network=network,
            traveller=traveller,
            follow_up_a=StaffFactory(
                user__username="follow_up_a", role=Role.FOLLOW_UP, outlet=network.outlet_a, display_name="回访员甲"
            ),
            follow_up_b=StaffFactory(
                user__username="follow_up_b", role=Role.FOLLOW_UP, outlet=network.outlet_b, display_name="回访员乙"
            ),
        )
