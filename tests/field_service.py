"""A field-service setting on top of the shared network: skills, certificates, field hours, customers with units.

Time is frozen on Tuesday 2026-11-24 07:00 Shanghai (before the shift), so "today" is a plannable day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import CustomerFactory, ProductModelFactory, UnitFactory
from wuyou.accounts.models import Certificate, Skill, StaffProfile
from wuyou.calendars.models import BusinessCalendar, WorkingPeriod
from wuyou.customers.models import Address
from wuyou.dispatch.models import FieldEngineer, StartPlace, WorkOrder, WorkOrderStatus
from wuyou.dispatch.services import WorkOrderInput, work_order_open
from wuyou.fees.models import FeeQuote
from wuyou.fees.pricing import QuotePart
from wuyou.fees.services import quote_decide, visit_quote_offer
from wuyou.parts.models import Part, StockPlace, StockPlaceKind
from wuyou.parts.services import (
    PartQuantity,
    part_receive,
    requisition_approve,
    requisition_fulfil,
    requisition_request,
    stock_place_ensure,
)
from wuyou.products.models import JobSpec, JobType
from wuyou.tickets.models import ServiceRequest
from wuyou.tickets.services import RequestInput, request_open

if TYPE_CHECKING:
    from conftest import Network

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 24)


def local(day: dt.date, hhmm: str) -> dt.datetime:
    """An aware datetime at HH:MM Shanghai time on the day."""
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


@dataclass
class Field:
    """Outlet A's field service: two certified engineers, one repairable air-conditioner model, its customers."""

    network: Network
    traveller: time_machine.Traveller
    calendar: BusinessCalendar
    ac_repair: Skill
    boiler: Skill
    model_code: str
    opened: list[ServiceRequest] = field(default_factory=list)

    def now(self, day: dt.date, hhmm: str) -> None:
        self.traveller.move_to(local(day, hhmm))

    def request(self, *, outlet=None, lat: float = 36.07, lon: float = 120.39, priority: str = "normal"):
        """A verified repair request of a customer of the outlet (A by default) at the given place."""
        network = self.network
        outlet = outlet or network.outlet_a
        customer = CustomerFactory(outlet=outlet, name="李建国")
        Address.objects.filter(customer=customer).update(latitude=lat, longitude=lon)
        unit = UnitFactory(owner=customer, product_model__code=self.model_code, purchase_date=dt.date(2025, 6, 1))
        clerk = network.clerk_a if outlet == network.outlet_a else network.clerk_b
        sr = request_open(
            actor=network.actor(clerk),
            intake=RequestInput(
                call_type="repair",
                customer_id=customer.pk,
                unit_serial=unit.serial,
                symptom="空调不制冷",
                priority=priority,
                window_start=local(TODAY, "09:00"),
                window_end=local(TODAY, "11:00"),
            ),
        )
        self.opened.append(sr)
        return sr

    def work_order(self, *, windows: tuple[tuple[str, str], ...] = (("09:00", "11:00"),), day=TODAY, **kw) -> WorkOrder:
        """A booked repair visit (one window is the appointment; several let the plan choose)."""
        sr = self.request(**kw)
        clerk = self.network.clerk_a if sr.outlet_id == self.network.outlet_a.pk else self.network.clerk_b
        return work_order_open(
            actor=self.network.actor(clerk),
            request=sr,
            visit=WorkOrderInput(windows=tuple((local(day, s), local(day, e)) for s, e in windows)),
        )

    def visit_on_site(self, *, engineer: StaffProfile | None = None, **kw) -> WorkOrder:
        """A booked visit with its engineer (A by default) already at the door: quotes, parts, take-backs start here.

        Booked for the whole field day unless windows are given, so that many scenes fit one day: a booked window
        holds an engineer's time (issue 12), and two hours hold only so many visits.
        """
        kw.setdefault("windows", (("09:00", "21:00"),))
        wo = self.work_order(**kw)
        WorkOrder.objects.filter(pk=wo.pk).update(
            engineer=engineer or self.network.engineer_a, status=WorkOrderStatus.ON_SITE
        )
        wo.refresh_from_db()
        return wo


def field_calendar() -> BusinessCalendar:
    """Field hours 08:30–21:00 every day of the week."""
    calendar = BusinessCalendar.objects.create(name="上门服务时间", use_statutory_holidays=False)
    WorkingPeriod.objects.bulk_create(
        WorkingPeriod(calendar=calendar, weekday=d, start=dt.time(8, 30), end=dt.time(21, 0)) for d in range(7)
    )
    return calendar


def certify(engineer: StaffProfile, *skills: Skill, expires: dt.date = dt.date(2027, 12, 31)) -> None:
    for skill in skills:
        Certificate.objects.create(engineer=engineer, skill=skill, issued_on=dt.date(2025, 1, 1), expires_on=expires)


@pytest.fixture
def field_service(network):
    """Outlet A (36.07 N 120.38 E) with engineer_a (air-conditioner repair) and engineer_a2 (also boilers)."""
    with time_machine.travel(local(TODAY, "07:00"), tick=False) as traveller:
        calendar = field_calendar()
        ac_repair = Skill.objects.create(code="ac_repair", name="空调维修")
        boiler = Skill.objects.create(code="boiler", name="壁挂炉")
        model = ProductModelFactory(code="KFR-35GW/BP3", name="变频挂机 1.5匹")
        spec = JobSpec.objects.create(product_model=model, job_type=JobType.REPAIR, standard_minutes=60)
        spec.skills.set([ac_repair])
        for engineer in (network.engineer_a, network.engineer_a2, network.engineer_b):
            FieldEngineer.objects.create(engineer=engineer, calendar=calendar, starts_from=StartPlace.OUTLET)
        certify(network.engineer_a, ac_repair)
        certify(network.engineer_a2, ac_repair, boiler)
        certify(network.engineer_b, ac_repair)
        yield Field(
            network=network,
            traveller=traveller,
            calendar=calendar,
            ac_repair=ac_repair,
            boiler=boiler,
            model_code=model.code,
        )


# -- parts in the engineer's van and a quote the customer agreed to (issue 5) --------------------------------------


def catalogue_part(code: str, name: str, cost: str, retail: str, **kw) -> Part:
    """A part of the catalogue (serialised unless `is_consumable=True`)."""
    return Part.objects.get_or_create(
        code=code, defaults={"name": name, "cost_price": Decimal(cost), "retail_price": Decimal(retail), **kw}
    )[0]


def van_stocked(network, engineer: StaffProfile, quantities: dict[str, int]) -> StockPlace:
    """Parts into the outlet's store and on to the engineer's van, the way they travel: receipt, requisition."""
    manager = network.actor(network.outlet_manager_a if engineer.outlet_id == network.outlet_a.pk else network.manager)
    store = stock_place_ensure(kind=StockPlaceKind.OUTLET, outlet_id=engineer.outlet_id)
    van = stock_place_ensure(kind=StockPlaceKind.VAN, engineer=engineer)
    lines = []
    for code, quantity in quantities.items():
        part_receive(actor=network.actor(network.manager), place_id=store.pk, part_code=code, quantity=quantity)
        lines.append(PartQuantity(code, quantity))
    requisition = requisition_request(actor=network.actor(engineer), destination_id=van.pk, lines=lines)
    requisition_approve(actor=manager, requisition_id=requisition.pk)
    requisition_fulfil(actor=manager, requisition_id=requisition.pk)
    return van


def quote_agreed(actor, wo: WorkOrder, *parts: tuple[str, int], fault_cause: str = "quality") -> FeeQuote:
    """Quote the visit with these (code, quantity) parts and record the customer's signed acceptance."""
    fee = visit_quote_offer(
        actor=actor, work_order=wo, fault_cause=fault_cause, parts=[QuotePart(c, q) for c, q in parts]
    )
    return quote_decide(actor=actor, quote_id=fee.pk, decision="accept", signed_by="李建国", signature=SIGNATURE)


# A real 1×1 PNG, so a receipt can draw it.
SIGNATURE = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
