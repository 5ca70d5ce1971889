"""The demo's spare parts, fee schedule, warranty policies, stock and loaner units (issue 5).

Catalogue rows (parts, the fee schedule's labour charges, loaner units) are written as an administrator would in
the admin; everything that moves stock goes through the stock services the way it travels in real life: the
head-office warehouse books supplier deliveries, outlet stores and engineers' vans are filled by requisitions that
a manager approves and the sending place ships. Policies are loaded from YAML text through `policy_load`, as
`wuyou policy load` does. The visits that use all this are in `wuyou.demo.repairs`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Outlet, StaffProfile
from wuyou.loaners.models import LoanerUnit
from wuyou.parts.models import Part, StockPlace, StockPlaceKind
from wuyou.parts.services import (
    PartQuantity,
    part_receive,
    requisition_approve,
    requisition_fulfil,
    requisition_request,
    stock_place_ensure,
)
from wuyou.products.models import JobSpec, JobType, ProductModel
from wuyou.products.services import policy_load


class Clock(Protocol):
    """The loader's simulated clock: services stamp what they write with `now`."""

    now: dt.datetime


@dataclass(frozen=True)
class PartPlan:
    """A catalogue part: code, name, prices in yuan, low-stock level, consumable or serialised, warranty component."""

    code: str
    name: str
    category: str
    cost: str
    retail: str
    low: int
    consumable: bool = False
    component: str = "whole_unit"
    unit: str = "个"


# ~30 parts across the six categories. Serialised parts (not consumable) are booked one by one with their serial.
PARTS: tuple[PartPlan, ...] = (
    # 空调
    PartPlan("AC-CMP-35", "空调压缩机（1.5匹 R32 变频）", "air-conditioner", "680", "1150", 1, component="compressor"),
    PartPlan("AC-CMP-50", "空调压缩机（2匹 R32 变频）", "air-conditioner", "860", "1450", 1, component="compressor"),
    PartPlan("AC-FAN-OUT", "室外风机电机", "air-conditioner", "160", "280", 1),
    PartPlan("AC-PCB-MAIN", "主控板（电脑板）", "air-conditioner", "220", "380", 1),
    PartPlan("AC-PCB-DISP", "显示板", "air-conditioner", "60", "120", 1),
    PartPlan("AC-CAP-35", "启动电容 35μF", "air-conditioner", "12", "35", 3, consumable=True),
    PartPlan("AC-4WV", "四通阀", "air-conditioner", "85", "160", 1),
    PartPlan("AC-4WV-COIL", "四通阀线圈", "air-conditioner", "20", "45", 2, consumable=True),
    PartPlan("AC-SNR-T", "温度传感器", "air-conditioner", "8", "25", 4, consumable=True),
    PartPlan("AC-RC", "遥控器", "air-conditioner", "25", "60", 2, consumable=True),
    PartPlan("AC-R32", "冷媒R32", "air-conditioner", "40", "90", 3, consumable=True, unit="kg"),
    # 洗衣机
    PartPlan("WM-PUMP", "排水泵", "washing-machine", "45", "95", 1),
    PartPlan("WM-LOCK", "门锁", "washing-machine", "30", "68", 1),
    PartPlan("WM-CLUTCH", "离合器（波轮）", "washing-machine", "120", "220", 1),
    PartPlan("WM-VALVE", "进水阀", "washing-machine", "18", "45", 2, consumable=True),
    PartPlan("WM-PCB", "洗衣机电脑板", "washing-machine", "180", "320", 1),
    # 冰箱
    PartPlan("RF-CMP", "冰箱压缩机", "refrigerator", "420", "760", 1, component="compressor"),
    PartPlan("RF-THERMO", "温控器", "refrigerator", "28", "65", 1),
    PartPlan("RF-DEFROST", "化霜加热器", "refrigerator", "35", "80", 1),
    PartPlan("RF-GASKET", "冰箱门封条", "refrigerator", "40", "90", 2, consumable=True, unit="条"),
    PartPlan("RF-SNR", "化霜传感器", "refrigerator", "10", "30", 3, consumable=True),
    # 热水器 (the magnesium rod is free under the water-heater policy's free_consumable rule: MG-*)
    PartPlan("MG-ROD-60", "镁棒（电热水器60/80升）", "water-heater", "18", "48", 3, consumable=True, unit="根"),
    PartPlan("WH-HEATER", "加热管 2000W", "water-heater", "55", "120", 1),
    PartPlan("WH-IGN", "燃气热水器点火针", "water-heater", "12", "35", 2, consumable=True),
    PartPlan("WH-FLOW", "水流量传感器", "water-heater", "25", "60", 1),
    PartPlan("WH-RELIEF", "泄压阀", "water-heater", "12", "35", 2, consumable=True),
    # 壁挂炉
    PartPlan("BL-IGN", "壁挂炉点火针", "wall-hung-boiler", "15", "45", 2, consumable=True),
    PartPlan("BL-GASVALVE", "燃气比例阀", "wall-hung-boiler", "260", "450", 1),
    PartPlan("BL-PUMP", "循环水泵", "wall-hung-boiler", "320", "560", 1),
    PartPlan("BL-PHE", "板式换热器", "wall-hung-boiler", "180", "320", 1),
    # 油烟机
    PartPlan("RH-MOTOR", "油烟机电机", "range-hood", "210", "380", 1),
    PartPlan("RH-SWITCH", "开关板（按键板）", "range-hood", "45", "95", 1),
    PartPlan("RH-CAP", "电机电容", "range-hood", "8", "25", 3, consumable=True),
)

# Which categories' parts an engineer carries, by the skills he holds certificates for.
SKILL_CATEGORIES: Mapping[str, str] = {
    "ac-repair": "air-conditioner",
    "laundry": "washing-machine",
    "fridge": "refrigerator",
    "water-heater": "water-heater",
    "boiler": "wall-hung-boiler",
    "kitchen": "range-hood",
}
# What every outlet's store keeps; outlet 1's keeps the whole catalogue.
FAST_MOVERS = frozenset(
    {"AC-FAN-OUT", "AC-PCB-MAIN", "AC-CAP-35", "AC-R32", "WM-PUMP", "RF-GASKET", "MG-ROD-60", "BL-IGN"}
)
BULKY = frozenset({"AC-CMP-35", "AC-CMP-50", "RF-CMP", "BL-PHE"})  # kept in the store, not in a van

# The fee schedule's labour charge (yuan) per category and job type; large air conditioners cost more to repair.
# Installation and delivery are included in the price of the unit, hence 0.
LABOUR_FEES: Mapping[str, Mapping[str, int]] = {
    "air-conditioner": {"installation": 0, "repair": 100, "maintenance": 80},
    "washing-machine": {"installation": 0, "repair": 80, "maintenance": 60},
    "refrigerator": {"delivery": 0, "repair": 120, "inspection": 50},
    "water-heater": {"installation": 0, "repair": 80, "maintenance": 60},
    "wall-hung-boiler": {"installation": 0, "repair": 150, "maintenance": 120},
    "range-hood": {"installation": 0, "repair": 80, "maintenance": 100},
}
LARGE_AC = ("KFR-50LW", "KFR-72LW", "KFR-120W")  # cabinet and ducted units: repair 150, maintenance 120

# The maker's own promises for two categories; every other product keeps the national 三包 default.
POLICIES_YAML = """\
policies:
  - code: haixin-ac
    name: 海信达空调保修政策
    applies_to: {kind: category, code: air-conditioner}
    versions:
      - label: haixin-ac-2020
        valid_from: 2020-01-01
        valid_until: null
        rules:
          - {kind: return_within_days, days: 7}
          - {kind: exchange_within_days, days: 15}
          - {kind: free_repair, months: 12}
          - {kind: free_repair, months: 60, component: compressor}
          - {kind: user_damage_in_warranty, labour_charged: false}
          - kind: out_of_warranty
            age_fractions: [{from_years: 4, fraction: "0.5"}]
  - code: haixin-water-heater
    name: 海信达热水器保修政策
    applies_to: {kind: category, code: water-heater}
    versions:
      - label: haixin-wh-2022
        valid_from: 2022-01-01
        valid_until: null
        rules:
          - {kind: return_within_days, days: 7}
          - {kind: exchange_within_days, days: 15}
          - {kind: free_repair, months: 36}
          - {kind: free_consumable, part_pattern: "MG-*", months: 24}
          - {kind: out_of_warranty}
"""


@dataclass(frozen=True)
class LoanerPlan:
    """A loaner unit an outlet keeps: its model and what it looks like."""

    model_code: str
    letter: str
    condition: str


# Air conditioners are never lent (they need installing); small washing machines, fridges and electric heaters are.
OUTLET_ONE_LOANERS: tuple[LoanerPlan, ...] = (
    LoanerPlan("XQB100-M108", "W", "九成新，外观有轻微划痕"),
    LoanerPlan("XQG80-B12126", "W", "八成新，功能正常"),
    LoanerPlan("BCD-215STPD", "R", "九成新，门把手有修补"),
    LoanerPlan("ES60H-A3", "H", "八成新，附进出水软管"),
)
OTHER_LOANERS: tuple[LoanerPlan, ...] = (
    LoanerPlan("XQB100-M108", "W", "八成新，功能正常"),
    LoanerPlan("ES60H-A3", "H", "九成新，附进出水软管"),
)


@dataclass
class Crew:
    """One engineer of outlet 1 as the loaders need him: profile, valid skills, and acting identity."""

    profile: StaffProfile
    skills: frozenset[str]
    actor: Actor
    extra_parts: dict[str, int] = field(default_factory=dict)  # parts his demo visits will use


@dataclass
class PartsCast:
    """Who acts in the parts and loaner story, and the clock they act under."""

    outlets: dict[str, Outlet]  # in order: the first is outlet 1
    service_manager: Actor
    hq_clerk: Actor
    managers: dict[str, Actor]
    clerks: dict[str, Actor]
    crew: list[Crew]  # outlet 1's engineers, the `engineer` login first
    models: dict[str, ProductModel]
    clock: Clock
    real_now: dt.datetime
    rng: random.Random
    progress: Callable[[str], None]

    @property
    def first_code(self) -> str:
        return next(iter(self.outlets))


def parts_catalogue_load() -> dict[str, Part]:
    """The parts catalogue, as the administrator enters it."""
    parts = Part.objects.bulk_create(
        Part(
            code=p.code,
            name=p.name,
            cost_price=Decimal(p.cost),
            retail_price=Decimal(p.retail),
            unit=p.unit,
            low_stock_level=p.low,
            is_consumable=p.consumable,
            component=p.component,
        )
        for p in PARTS
    )
    return {p.code: p for p in parts}


def fee_schedule_load(models: Iterable[ProductModel]) -> int:
    """The fee schedule's labour charge on every job specification of the catalogue."""
    specs = list(JobSpec.objects.filter(product_model__in=list(models)).select_related("product_model__category"))
    for spec in specs:
        fees = LABOUR_FEES.get(spec.product_model.category.code, {})
        fee = fees.get(spec.job_type, 0)
        if spec.product_model.code.startswith(LARGE_AC) and spec.job_type in (JobType.REPAIR, JobType.MAINTENANCE):
            fee += 50 if spec.job_type == JobType.REPAIR else 40
        spec.labour_fee = Decimal(fee)
    JobSpec.objects.bulk_update(specs, ["labour_fee"])
    return len(specs)


def policies_load(actor: Actor) -> int:
    """The air-conditioner and water-heater policies, loaded from YAML as `wuyou policy load` would."""
    return len(policy_load(actor=actor, text=POLICIES_YAML))


def _parts_of(category: str) -> list[PartPlan]:
    return [p for p in PARTS if p.category == category]


def _shipped(
    cast: PartsCast,
    *,
    requester: Actor,
    approver: Actor,
    shipper: Actor,
    place: StockPlace,
    lines: Sequence[PartQuantity],
    note: str,
    at: dt.datetime,
) -> None:
    """A requisition asked for, approved an hour later and shipped the next morning."""
    cast.clock.now = at
    requisition = requisition_request(actor=requester, destination_id=place.pk, lines=lines, note=note)
    cast.clock.now = at + dt.timedelta(hours=1, minutes=cast.rng.randint(0, 50))
    requisition_approve(actor=approver, requisition_id=requisition.pk)
    cast.clock.now = at + dt.timedelta(hours=18, minutes=cast.rng.randint(0, 50))
    requisition_fulfil(actor=shipper, requisition_id=requisition.pk)


def stock_load(cast: PartsCast) -> None:
    """Supplier deliveries to head office, every outlet's store stocked from it, outlet 1's vans from its store."""
    rng, now = cast.rng, cast.real_now
    head_office = stock_place_ensure(kind=StockPlaceKind.HEAD_OFFICE)
    cast.clock.now = now - dt.timedelta(days=45, hours=rng.randint(0, 5))
    for part in PARTS:
        quantity = rng.randint(250, 400) if part.consumable else rng.randint(80, 120)
        part_receive(
            actor=cast.hq_clerk,
            place_id=head_office.pk,
            part_code=part.code,
            quantity=quantity,
            note=f"供应商到货 入库单 RK{cast.clock.now:%y%m%d}{PARTS.index(part) + 1:03d}",
        )
    for index, (code, outlet) in enumerate(cast.outlets.items()):
        store = stock_place_ensure(kind=StockPlaceKind.OUTLET, outlet_id=outlet.pk)
        first = index == 0
        # Outlet 1 keeps the whole range, three times over (its vans are filled from it); the others the fast movers.
        lines = [
            PartQuantity(p.code, (rng.randint(10, 20) if p.consumable else rng.randint(3, 6)) * (3 if first else 1))
            for p in PARTS
            if first or p.code in FAST_MOVERS
        ]
        _shipped(
            cast,
            requester=cast.managers[code],
            approver=cast.service_manager,
            shipper=cast.hq_clerk,
            place=store,
            lines=lines,
            note="网点月度备件申领",
            at=now - dt.timedelta(days=40 - index % 3, hours=rng.randint(1, 6)),
        )
    first_code = cast.first_code
    for k, member in enumerate(cast.crew):
        van = stock_place_ensure(kind=StockPlaceKind.VAN, engineer=member.profile)
        wanted: dict[str, int] = {}
        for skill in sorted(member.skills):
            category = SKILL_CATEGORIES.get(skill)
            for part in _parts_of(category) if category else []:
                if part.code not in BULKY:
                    wanted[part.code] = rng.randint(3, 6) if part.consumable else rng.choice((1, 2, 2, 3))
        wanted.update(member.extra_parts)  # what his demo visits use, exactly: the van runs low where the tour shows it
        if not wanted:
            continue
        _shipped(
            cast,
            requester=member.actor,
            approver=cast.managers[first_code],
            shipper=cast.clerks[first_code],
            place=van,
            lines=[PartQuantity(code, quantity) for code, quantity in sorted(wanted.items())],
            note="车载备件补充",
            at=now - dt.timedelta(days=21 - k, hours=rng.randint(1, 4)),
        )
    cast.clock.now = now
    cast.progress(f"spare parts: {len(PARTS)} in the catalogue, {len(cast.outlets)} stores and {len(cast.crew)} vans")


def open_requisition_load(cast: PartsCast, member: Crew, lines: Sequence[PartQuantity]) -> None:
    """A van requisition asked for shortly before the demo was loaded, waiting for the outlet manager's approval."""
    van = stock_place_ensure(kind=StockPlaceKind.VAN, engineer=member.profile)
    cast.clock.now = cast.real_now - dt.timedelta(minutes=40)
    requisition_request(actor=member.actor, destination_id=van.pk, lines=lines, note="外机风机电机和冷媒用完，申请补货")
    cast.clock.now = cast.real_now


def loaners_load(cast: PartsCast) -> dict[str, LoanerUnit]:
    """Loaner units at every outlet, with serials; returns outlet 1's by model code."""
    rows: list[LoanerUnit] = []
    for index, outlet in enumerate(cast.outlets.values()):
        plans = OUTLET_ONE_LOANERS if index == 0 else OTHER_LOANERS
        for n, plan in enumerate(plans, start=1):
            rows.append(
                LoanerUnit(
                    outlet=outlet,
                    product_model=cast.models[plan.model_code],
                    serial=f"BYJ{index + 1:02d}{plan.letter}{n:03d}",
                    condition_note=plan.condition,
                )
            )
    LoanerUnit.objects.bulk_create(rows)
    first = next(iter(cast.outlets.values()))
    cast.progress(f"loaners: {len(rows)} units at {len(cast.outlets)} outlets")
    return {row.product_model.code: row for row in rows if row.outlet_id == first.pk}
