"""The demo's repair visits with fees, parts and loaners (issue 5 "done when"), replayed through the services.

Outlet 1's customers call about units the clerk registers on the phone; each visit is booked, planned by the
optimiser and committed (the plan is nudged by hand so that each visit goes to the engineer the story needs), then
worked step by step at simulated times: quote, the customer's signed answer, parts from the van with serials,
faulty parts back to the store, take-backs with loaners lent and returned. What a person can try live is left
half done: the `engineer` login is on site today at an out-of-warranty air conditioner, a quote is disputed and
waits for the centre, and a van requisition waits for the outlet manager.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from wuyou.core.errors import DomainError
from wuyou.customers.models import Address, Customer
from wuyou.demo import catalogue
from wuyou.demo.field import clock_time
from wuyou.demo.parts import Crew, PartsCast, open_requisition_load
from wuyou.demo.visits import (
    DISPUTED,
    EARLIER_DAYS,
    EARLIER_VISITS,
    ENGINEER_PARTS,
    FINISHED,
    LOANS,
    ON_SITE,
    TAKEN_BACK,
    TODAY_VISITS,
    VISITS,
    YESTERDAY_VISITS,
    VisitPlan,
    signature_png,
)
from wuyou.dispatch.models import DispatchPlan, PlanStatus, WorkOrder
from wuyou.dispatch.services import WorkOrderInput, plan_adjust, plan_commit, plan_request, plan_run, work_order_open
from wuyou.fees.pricing import QuotePart
from wuyou.fees.services import quote_decide, visit_quote_offer
from wuyou.fieldservice.services import StepInput, work_order_step
from wuyou.loaners.models import LoanerUnit, TakeBack
from wuyou.loaners.services import loaner_lend, loaner_return, take_back_advance
from wuyou.parts.models import Part
from wuyou.parts.services import PartQuantity, part_return_faulty
from wuyou.products.models import Unit
from wuyou.products.services import UnitInput, unit_register
from wuyou.tickets.models import CallType, Channel
from wuyou.tickets.services import RequestInput, request_open

_REPAIR_SKILLS = {
    m.code: frozenset(next((j.skills for j in m.jobs if j.job_type == "repair"), ()))
    for c in catalogue.CATEGORIES
    for m in c.models
}


@dataclass
class _Booked:
    plan: VisitPlan
    crew: Crew
    customer: Customer
    unit: Unit
    work_order: WorkOrder


class RepairStory:
    """Loads the visits; `assign_crew` first (the vans are stocked for it), then `load` after the stock."""

    def __init__(self, cast: PartsCast, customers: Sequence[tuple[Customer, int]], zone: ZoneInfo):
        self.cast = cast
        self.zone = zone
        self.customers = list(customers)
        cast.rng.shuffle(self.customers)
        self.today = cast.real_now.astimezone(zone).date()
        self.serial_seq = 900_000
        self.receipt_seq = 0
        self.crew_of: dict[str, tuple[Crew, bool]] = {}
        self.take_backs: dict[str, TakeBack] = {}
        self.work_orders: dict[str, WorkOrder] = {}
        self.planned_at = cast.real_now

    # -- who goes where ------------------------------------------------------------------------------------------
    def assign_crew(self) -> None:
        """Choose each visit's engineer by certificate, and put the parts his visits use in his van."""
        crew = self.cast.crew
        for plan in VISITS:
            needed = _REPAIR_SKILLS[plan.model_code]
            qualified = [m for m in crew[1:] if needed <= m.skills]
            if plan.featured or not qualified:
                # The desk sends the outlet's first engineer when nobody else holds the certificates (tiny demos).
                member, override = crew[0], not needed <= crew[0].skills
            else:
                member, override = qualified[0], False
            self.crew_of[plan.key] = (member, override)
            for code, quantity in plan.parts:
                member.extra_parts[code] = member.extra_parts.get(code, 0) + quantity + 1
        for code, quantity in ENGINEER_PARTS.items():
            crew[0].extra_parts[code] = quantity

    # -- the story -----------------------------------------------------------------------------------------------
    def load(self) -> dict[str, WorkOrder]:
        """Every visit, day by day, then the open requisition; the clock is back at the real time afterwards."""
        if not self.customers:
            return {}
        earlier = self.today - dt.timedelta(days=EARLIER_DAYS)
        for booked in self._day(earlier, EARLIER_VISITS):
            self._try_work(booked, self.local(earlier, booked.plan.slot[0]))
        self._earlier_follow_up(earlier)
        yesterday = self.today - dt.timedelta(days=1)
        for booked in self._day(yesterday, YESTERDAY_VISITS):
            self._try_work(booked, self.local(yesterday, booked.plan.slot[0]))
        self._yesterday_follow_up(yesterday)
        for booked in self._day(self.today, TODAY_VISITS):
            self._try_work(booked, self._arrival_today())
        engineer = self.cast.crew[0]
        open_requisition_load(self.cast, engineer, [PartQuantity("AC-FAN-OUT", 2), PartQuantity("AC-R32", 4)])
        self.cast.clock.now = self.cast.real_now
        self.cast.progress(f"repairs with fees, parts and loaners: {len(self.work_orders)} visits of outlet 1")
        return self.work_orders

    def local(self, day: dt.date, hhmm: str) -> dt.datetime:
        return clock_time(day, hhmm, self.zone)

    def _at(self, when: dt.datetime) -> None:
        # Never in the future: what is left for today stops at the real time.
        self.cast.clock.now = min(when, self.cast.real_now - dt.timedelta(minutes=1))

    def _plan_time(self, day: dt.date) -> dt.datetime:
        """The dispatcher plans the day at 07:30, or at once when the demo is loaded earlier than that."""
        at = min(self.local(day, "07:30"), self.cast.real_now - dt.timedelta(minutes=2))
        return max(at, self.local(day, "00:00") + dt.timedelta(seconds=1))

    def _arrival_today(self) -> dt.datetime:
        """On site an hour ago in working hours; at 09:10 before them; at 18:40 when loaded late in the evening."""
        local = self.cast.real_now.astimezone(self.zone)
        if local.hour >= 20:
            return self.local(self.today, "18:40")
        return max(self._plan_time(self.today) + dt.timedelta(minutes=5), self.cast.real_now - dt.timedelta(minutes=50))

    def _today_slot(self) -> tuple[str, str]:
        local = self.cast.real_now.astimezone(self.zone)
        if local.hour < 9:
            return ("09:00", "11:00")
        if local.hour >= 20:
            return ("18:30", "20:30")
        start = max(8, min(local.hour - 1, 18))
        return (f"{start:02d}:30", f"{start + 2:02d}:30")

    def _day(self, day: dt.date, plans: Sequence[VisitPlan]) -> list[_Booked]:
        """Book the day's visits (called in the evening before), plan and commit the day, each to his engineer."""
        cast = self.cast
        code = cast.first_code
        clerk = cast.clerks[code]
        booked: list[_Booked] = []
        called = self.local(day - dt.timedelta(days=1), "16:00")
        for i, plan in enumerate(plans):
            customer, address_id = self.customers[(len(self.work_orders) + i) % len(self.customers)]
            slot = self._today_slot() if day == self.today else plan.slot
            self._at(called + dt.timedelta(minutes=25 * i + cast.rng.randint(0, 20)))
            unit = self._register(customer, address_id, plan, day)
            request = request_open(
                actor=cast.hq_clerk,
                intake=RequestInput(
                    call_type=CallType.REPAIR,
                    customer_id=customer.pk,
                    channel=Channel.HOTLINE,
                    unit_serial=unit.serial,
                    symptom=plan.symptom,
                    window_start=self.local(day, slot[0]),
                    window_end=self.local(day, slot[1]),
                ),
            )
            member, override = self.crew_of[plan.key]
            self._at(cast.clock.now + dt.timedelta(minutes=12))
            wo = work_order_open(
                actor=clerk,
                request=request,
                visit=WorkOrderInput(
                    windows=((self.local(day, slot[0]), self.local(day, slot[1])),),
                    skill_codes=() if override else None,
                ),
            )
            booked.append(_Booked(plan, member, customer, unit, wo))
        self.planned_at = self._plan_time(day)
        self._at(self.planned_at)
        plan_row = plan_request(actor=clerk, outlet_id=cast.outlets[code].pk, day=day, seconds=1, reason="")
        ready = plan_run(plan_id=plan_row.pk) or plan_row
        if ready.status != PlanStatus.READY:
            cast.progress(f"repairs: the plan of {day} failed ({ready.error[:80]}); its visits stay booked")
            return []
        starts = {b.work_order.pk: self.local(day, b.plan.slot[0]) for b in booked}
        for b in booked:
            ready = self._nudge(ready, b, starts)
        plan_commit(actor=clerk, plan=ready)
        done = []
        for b in booked:
            b.work_order = WorkOrder.objects.select_related("request", "engineer").get(pk=b.work_order.pk)
            self.work_orders[b.plan.key] = b.work_order
            engineer = next((m for m in cast.crew if m.profile.pk == b.work_order.engineer_id), None)
            if engineer is None:
                cast.progress(f"repairs: {b.work_order.number} was left unplanned")
                continue
            b.crew = engineer
            done.append(b)
        return done

    def _nudge(self, plan: DispatchPlan, booked: _Booked, starts: dict[int, dt.datetime]) -> DispatchPlan:
        """Move the visit to the engineer the story needs, in window order on his route (as a dispatcher would)."""
        stored = plan.proposal
        keys = {pk: key for key, pk in stored["work_orders"].items()}
        target = f"e{booked.crew.profile.pk}"
        routes = {r["engineer"]: [v["job"] for v in r["visits"]] for r in stored["plan"]["routes"]}
        if keys.get(booked.work_order.pk) in routes.get(target, []):
            return plan
        mine = starts[booked.work_order.pk]
        earlier = {keys[pk] for pk, start in starts.items() if start < mine and pk in keys}
        position = sum(1 for job in routes.get(target, []) if job in earlier)
        try:
            return plan_adjust(
                actor=self.cast.clerks[self.cast.first_code],
                plan=plan,
                work_order_id=booked.work_order.pk,
                engineer_id=booked.crew.profile.pk,
                position=position,
            )
        except DomainError:  # a move the checker refuses leaves the optimiser's choice
            return plan

    def _register(self, customer: Customer, address_id: int, plan: VisitPlan, day: dt.date) -> Unit:
        """The clerk registers the unit from its nameplate and the customer's invoice while taking the call."""
        self.serial_seq += 1
        purchase = day - dt.timedelta(days=plan.bought_days_ago)
        letter = catalogue.CATEGORY_OF_MODEL[plan.model_code].serial_letter
        return unit_register(
            actor=self.cast.hq_clerk,
            owner=customer,
            registration=UnitInput(
                serial=f"HXD{letter}{purchase:%y%m}{self.serial_seq:06d}",
                model_code=plan.model_code,
                purchase_date=purchase,
                selling_outlet_id=self.cast.outlets[self.cast.first_code].pk,
                installed_on=purchase + dt.timedelta(days=2),
                install_address_id=address_id,
            ),
        )

    # -- one visit -----------------------------------------------------------------------------------------------
    def _step(self, booked: _Booked, step: str, at: dt.datetime, **data: object) -> None:
        self._at(at)
        work_order_step(
            actor=booked.crew.actor,
            work_order=booked.work_order,
            step=step,
            entry=StepInput(**data),  # type: ignore[arg-type]
        )

    def _signer(self, customer: Customer) -> str:
        return customer.contact_person or customer.name

    def _receipt(self, prefix: str, day: dt.date) -> str:
        self.receipt_seq += 1
        return f"{prefix}{day:%y%m%d}{self.receipt_seq:03d}"

    def _try_work(self, booked: _Booked, arrival: dt.datetime) -> None:
        """Work the visit; a step the services refuse ends the visit where it stands (each step is all or nothing)."""
        try:
            self._work(booked, arrival)
        except DomainError as exc:
            self.cast.progress(f"repairs: {booked.work_order.number} stopped: {exc.message} ({exc.field})")

    def _work(self, booked: _Booked, arrival: dt.datetime) -> None:
        """The engineer's steps at the customer's door, as far as the story goes."""
        plan, wo, rng = booked.plan, booked.work_order, self.cast.rng
        if wo.planned_start is not None and booked.plan.outcome != ON_SITE:
            arrival = wo.planned_start.astimezone(self.zone)  # at the door when the plan starts the job
        minute = dt.timedelta(minutes=1)
        left = max(arrival - max(wo.travel_minutes or 0, 10) * minute, self.planned_at + minute)
        self._step(booked, "on_the_way", left)
        self._step(booked, "arrived", arrival)
        self._step(booked, "diagnosis", arrival + 8 * minute, note=plan.diagnosis)
        if plan.outcome == ON_SITE:
            return
        signer, signature = self._signer(booked.customer), signature_png(wo.pk)
        if plan.parts:
            self._at(arrival + 15 * minute)
            fee = visit_quote_offer(
                actor=booked.crew.actor,
                work_order=wo,
                fault_cause=plan.cause,
                parts=[QuotePart(code, quantity) for code, quantity in plan.parts],
            )
            self._at(arrival + 19 * minute)
            if plan.outcome == DISPUTED:
                quote_decide(actor=booked.crew.actor, quote_id=fee.pk, decision="dispute", note=plan.dispute)
            else:
                quote_decide(
                    actor=booked.crew.actor, quote_id=fee.pk, decision="accept", signed_by=signer, signature=signature
                )
        if plan.outcome == FINISHED:
            day = arrival.date()
            consumable = set(Part.objects.filter(is_consumable=True).values_list("code", flat=True))
            rows = tuple(
                (code, "" if code in consumable else self._part_serial(code, day), quantity)
                for code, quantity in plan.parts
            )
            self._step(booked, "parts_used", arrival + 35 * minute, parts=rows)
            for code in plan.faulty:
                self._at(arrival + 37 * minute)
                part_return_faulty(
                    actor=booked.crew.actor,
                    work_order_id=wo.pk,
                    part_code=code,
                    serial="" if code in consumable else self._part_serial(code, booked.unit.purchase_date or day),
                    note="换下旧件，带回网点返厂",
                )
            self._step(booked, "test_run", arrival + 50 * minute, test_run_ok=True, note=plan.test_note)
        if plan.outcome == TAKEN_BACK:
            day = arrival.date()
            self._step(
                booked,
                "take_back",
                arrival + 20 * minute,
                receipt=self._receipt("SJ", day),
                signed_by=signer,
                note=plan.work_done,
            )
            self.take_backs[plan.key] = TakeBack.objects.get(work_order=wo)
            if plan.key in LOANS:
                model_code, days = LOANS[plan.key]
                loaner = LoanerUnit.objects.get(outlet_id=wo.outlet_id, product_model__code=model_code)
                self._at(arrival + 30 * minute)
                loaner_lend(
                    actor=booked.crew.actor,
                    take_back=self.take_backs[plan.key],
                    loaner_id=loaner.pk,
                    due_back_on=day + dt.timedelta(days=days),
                    receipt_number=self._receipt("JY", day),
                    signed_by=signer,
                )
        self._step(booked, "work_done", arrival + 52 * minute, note=plan.work_done)
        self._step(
            booked,
            "rating",
            arrival + 55 * minute,
            quality=5,
            attitude=rng.choice((4, 5, 5)),
            signature=signature,
            signed_by=signer,
        )
        self._step(booked, "done", arrival + 58 * minute)

    def _part_serial(self, code: str, day: dt.date) -> str:
        return f"{code.split('-')[1]}{day:%y%m}{self.cast.rng.randint(10000, 99999)}"

    # -- after the visits: the customer's unit through the workshop and back, the loaners back ----------------------
    def _advance(self, key: str, stages: Sequence[tuple[str, dt.datetime]]) -> None:
        take_back = self.take_backs.get(key)
        if take_back is None:
            return
        clerk = self.cast.clerks[self.cast.first_code]
        for stage, at in stages:
            self._at(at)
            take_back = take_back_advance(actor=clerk, take_back=take_back, stage=stage)

    def _earlier_follow_up(self, day: dt.date) -> None:
        """Twelve days on: the washing machine is back and so is its loaner; the heater is repaired, its loaner late."""
        clerk = self.cast.clerks[self.cast.first_code]
        self._advance(
            "full_history",
            (
                ("at_outlet", self.local(day, "17:30")),
                ("in_repair", self.local(day + dt.timedelta(days=1), "10:00")),
                ("repaired", self.local(day + dt.timedelta(days=5), "15:20")),
                ("returned", self.local(day + dt.timedelta(days=7), "10:00")),
            ),
        )
        take_back = self.take_backs.get("full_history")
        loan = take_back.loans.first() if take_back else None
        if loan is not None:
            self._at(self.local(day + dt.timedelta(days=7), "10:10"))
            loaner_return(actor=clerk, loan=loan, condition="外观完好，功能正常，已清洁消毒")
        self._advance(
            "overdue",
            (
                ("at_outlet", self.local(day, "18:00")),
                ("in_repair", self.local(day + dt.timedelta(days=2), "09:30")),
                ("repaired", self.local(day + dt.timedelta(days=EARLIER_DAYS - 1), "16:00")),
            ),
        )

    def _yesterday_follow_up(self, day: dt.date) -> None:
        """Yesterday evening both fridges reached the outlet; the first is already being repaired."""
        self._advance("loan_out", (("at_outlet", self.local(day, "18:10")), ("in_repair", self.local(day, "19:30"))))
        self._advance("no_loaner", (("at_outlet", self.local(day, "18:20")),))


def outlet_customers(customers: Sequence[Customer]) -> list[tuple[Customer, int]]:
    """The customers with a primary address on the map, with that address (where units are installed)."""
    addresses = dict(
        Address.objects.filter(customer__in=list(customers), is_primary=True, latitude__isnull=False).values_list(
            "customer_id", "pk"
        )
    )
    return [(c, addresses[c.pk]) for c in customers if c.pk in addresses]
