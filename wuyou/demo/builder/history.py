"""The demo's requests replayed through the real services, the time-limit drill, field service and repairs."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import StaffProfile
from wuyou.demo import catalogue, parts, people, repairs
from wuyou.demo.builder.base import DemoBuilderBase, DemoOwner
from wuyou.demo.field import field_day_load, field_engineers_set_up
from wuyou.demo.histories import _CHANNELS, _FINISHED, RequestPlan, _weighted, plan_requests, request_steps
from wuyou.demo.world import (
    DRILL_HOURS,
    FIELD_CALL_TYPES,
)
from wuyou.products.models import Unit
from wuyou.tickets.models import (
    DEFAULT_CHAIN,
    CallType,
    Channel,
    LimitUnit,
    Priority,
    TimeLimitPolicy,
)
from wuyou.tickets.services import (
    RequestDetails,
    RequestInput,
    request_assign,
    request_open,
    request_transition,
    request_verify,
)


class HistorySteps(DemoBuilderBase):
    """The demo's requests replayed through the real services, the time-limit drill, field service and repairs."""

    # -- requests ----------------------------------------------------------------------------------
    def requests(self) -> None:
        """Requests replayed through request_open and the state machine, each at its own past times."""
        plans = plan_requests(self.rng, max(self.scale.requests - 1, 0))  # the last one is the drill
        for plan in plans:
            self._replay(plan)
        self.progress(f"requests: {len(plans)}")

    def time_limit_drill(self) -> None:
        """An urgent inquiry opened at load time under a 12-minute drill limit: it warns and escalates as you watch."""
        TimeLimitPolicy.objects.filter(
            call_type=CallType.INQUIRY, priority=Priority.URGENT, step="first_response", is_active=True
        ).delete()
        TimeLimitPolicy.objects.create(
            call_type=CallType.INQUIRY,
            priority=Priority.URGENT,
            step="first_response",
            amount=DRILL_HOURS,
            unit=LimitUnit.CLOCK_HOURS,
            warn_percent=50,
            escalate_percent=50,
            chain=list(DEFAULT_CHAIN),
        )
        if not self.scale.requests or not self.owners or self.owners[0].customer is None:
            return
        request_open(
            actor=self.agent,
            intake=RequestInput(
                call_type=CallType.INQUIRY,
                customer_id=self.owners[0].customer.pk,
                priority=Priority.URGENT,
                symptom=_(
                    "Drill: the customer asks when the engineer arrives. Leave it unanswered and watch it escalate."
                ),
            ),
        )

    def field_service(self) -> None:
        """Field hours and start places for every engineer; the first outlet's day booked, optimised, committed."""
        engineers = [profile for team in self.engineers.values() for profile, _skills in team]
        field_engineers_set_up(engineers=engineers, outlets={o.pk: o for o in self.outlets.values()}, rng=self.rng)
        # Before the field day: outlet 1's own repair visits are planned first, so today's plan works around them.
        self.parts_and_repairs()
        if not self.scale.requests:
            return
        code = next(iter(self.outlets))
        holders = [
            (owner.customer, owner.units[0])
            for owner in self.holders
            if owner.outlet_code == code and owner.customer is not None and owner.units
        ]
        field_day_load(
            outlet=self.outlets[code],
            clerk=self.clerks[code],
            holders=holders,
            rng=self.rng,
            zone=self.tz,
            progress=self.progress,
        )

    def parts_and_repairs(self) -> None:
        """Parts, fee schedule, policies, stock and loaners; with requests, outlet 1's repairs that use them (issue 5).

        A random stream of its own, so that the rest of the demo is the same with or without it.
        """
        code = next(iter(self.outlets))
        crew = [
            parts.Crew(profile=profile, skills=skills, actor=self.actors[profile.user.username])
            for profile, skills in self.engineers[code]
        ]
        cast = parts.PartsCast(
            outlets=self.outlets,
            service_manager=self.manager,
            hq_clerk=self.agent,
            managers=self.managers,
            clerks=self.clerks,
            crew=crew,
            models=self.models,
            clock=self.clock,
            real_now=self.real_now,
            rng=random.Random(self.scale.seed * 31 + 5),
            progress=self.progress,
        )
        parts.parts_catalogue_load()
        parts.fee_schedule_load(self.models.values())
        parts.policies_load(self.manager)
        parts.loaners_load(cast)
        story = None
        if self.scale.requests:
            customers = [o.customer for o in self.owners if o.outlet_code == code and o.customer and o.owns_units]
            story = repairs.RepairStory(cast, repairs.outlet_customers(customers), self.tz)
            story.assign_crew()  # before the stock: each van carries what its engineer's visits use
        parts.stock_load(cast)
        if story is not None:
            story.load()
        self.clock.now = self.real_now

    def _subject(self, plan: RequestPlan) -> tuple[DemoOwner, Unit | None, dt.datetime]:
        """Who calls, about which unit, and since when that is possible."""
        rng = self.rng
        first_outlet = next(iter(self.outlets))
        if plan.featured:
            pool = [
                o
                for o in self.owners
                if o.outlet_code == first_outlet
                and any(self.category_of_model[u.product_model.code].code == "air-conditioner" for u in o.units)
            ]
            owner = rng.choice(pool)
            choices = [
                (u, t)
                for u, t in zip(owner.units, owner.unit_times, strict=True)
                if self.category_of_model[u.product_model.code].code == "air-conditioner"
            ]
            unit, registered = rng.choice(choices)
            return owner, unit, registered
        if plan.call_type in FIELD_CALL_TYPES:
            owner = rng.choice(self.holders or self.owners)
            if owner.units:
                k = rng.randrange(len(owner.units))
                return owner, owner.units[k], owner.unit_times[k]
            return owner, None, owner.since
        owner = rng.choice(self.owners)
        if owner.units and rng.random() < 0.4:
            k = rng.randrange(len(owner.units))
            return owner, owner.units[k], owner.unit_times[k]
        return owner, None, owner.since

    def _schedule(
        self, plan: RequestPlan, steps: list[str], earliest: dt.datetime
    ) -> tuple[dt.datetime, list[dt.datetime], tuple[dt.datetime, dt.datetime] | None] | None:
        """When the request opens, when each step happens, and the booked window; None if it does not fit."""
        rng = self.rng
        now = self.real_now
        if plan.target in _FINISHED:
            latest = now - dt.timedelta(days=2)
            lowest = max(earliest + dt.timedelta(days=1), now - dt.timedelta(days=180))
            if lowest >= latest:
                return None
            opened = self.office_time(timezone.localdate(lowest + (latest - lowest) * rng.random(), self.tz))
        else:
            hours = rng.uniform(0.5, 20) if rng.random() < 0.75 else rng.uniform(20, 200)
            opened = self.hotline_time(now - dt.timedelta(hours=hours))
        opened = opened.replace(second=rng.randint(0, 59), microsecond=0)
        window = None
        if plan.call_type == CallType.ORDER_REPORT and not plan.to_verify:
            day = timezone.localdate(opened, self.tz) + dt.timedelta(days=rng.randint(1, 3))
            start = self.local(day, rng.choice([9 * 60, 13 * 60, 18 * 60]))
            window = (start, start + dt.timedelta(hours=3))
        times: list[dt.datetime] = []
        at = opened
        minutes = {
            "verify": (10, 90),
            "accept": (3, 90),
            "assign": (5, 60),
            "wait_customer": (30, 120),
            "wait_parts": (30, 120),
            "resume": (1440, 5 * 1440),
            "close": (1440, 3 * 1440),
            "reopen": (2 * 1440, 10 * 1440),
            "cancel": (10, 1440),
        }
        for step in steps:
            if step == "start" and window is not None and at < window[0]:
                at = window[0] + dt.timedelta(minutes=rng.randint(0, 40))
            elif step == "start":
                low, high = (120, 2 * 1440) if plan.call_type == CallType.REPAIR else (30, 240)
                at += dt.timedelta(minutes=rng.randint(low, high))
            elif step == "resolve":
                low, high = (
                    (1440, 3 * 1440)
                    if plan.call_type == CallType.COMPLAINT
                    else ((30, 180) if plan.call_type in FIELD_CALL_TYPES else (5, 240))
                )
                at += dt.timedelta(minutes=rng.randint(low, high))
            else:
                low, high = minutes[step]
                at += dt.timedelta(minutes=rng.randint(low, high))
            if step in ("start", "resume", "resolve"):
                at = self.working_time(at)
            times.append(at)
        overshoot = (times[-1] if times else opened) - (now - dt.timedelta(minutes=1))
        if overshoot > dt.timedelta(0):
            shift = overshoot + dt.timedelta(minutes=rng.randint(1, 120))
            opened -= shift
            times = [t - shift for t in times]
            window = (window[0] - shift, window[1] - shift) if window else None
        if opened < earliest + dt.timedelta(hours=2):
            return None
        return opened, times, window

    def _replay(self, plan: RequestPlan) -> None:
        rng = self.rng
        steps = request_steps(plan, rng)
        for _attempt in range(50):
            owner, unit, earliest = self._subject(plan)
            fitted = self._schedule(plan, steps, earliest)
            if fitted is not None:
                break
        else:
            raise RuntimeError(f"no customer fits the request plan {plan}")
        opened, times, window = fitted
        assert owner.customer is not None
        outlet_code = owner.outlet_code
        channel = Channel.DEALER if plan.featured else _weighted(rng, _CHANNELS)
        opener = self.clerks[outlet_code] if channel in (Channel.DEALER, Channel.VISIT) else self.agent
        category = self.category_of_model[unit.product_model.code] if unit else rng.choice(catalogue.CATEGORIES)
        symptom, resolution, model_code, facts_purchase = self._facts(plan, category, opened)
        purchase: dt.date | None = facts_purchase
        if plan.call_type not in FIELD_CALL_TYPES:
            model_code, purchase = "", None  # questions and complaints name a model only through a unit
        unit_serial = unit.serial if unit is not None else None
        missing_symptom = False
        if plan.to_verify or plan.verify_first:
            variant = rng.choice(["purchase_date", "symptom"] if plan.call_type == CallType.REPAIR else ["symptom"])
            if plan.call_type == CallType.ORDER_REPORT:
                variant = "window"  # a booking without a time
            if variant == "purchase_date":
                unit_serial, model_code = None, unit.product_model.code if unit else model_code
                purchase = None
            elif variant == "symptom":
                missing_symptom = True
        priority = (
            Priority.HIGH
            if plan.call_type == CallType.COMPLAINT and rng.random() < 0.4
            else (_weighted(rng, {Priority.NORMAL: 80, Priority.HIGH: 12, Priority.LOW: 4, Priority.URGENT: 4}))
        )
        self.clock.now = opened
        sr = request_open(
            actor=opener,
            intake=RequestInput(
                call_type=plan.call_type,
                customer_id=owner.customer.pk,
                channel=channel,
                priority=priority,
                unit_serial=unit_serial,
                reported_model=model_code if unit_serial is None else "",
                reported_purchase_date=purchase if unit_serial is None else None,
                symptom="" if missing_symptom else symptom,
                contact_phone=self._unique(people.mobile_number) if rng.random() < 0.08 else None,
                window_start=window[0] if window else None,
                window_end=window[1] if window else None,
            ),
        )
        engineer = self._engineer(outlet_code, unit, plan.featured)
        for step, at in zip(steps, times, strict=True):
            self.clock.now = at
            if step == "verify":
                details = (
                    RequestDetails(symptom=symptom)
                    if missing_symptom
                    else RequestDetails(reported_purchase_date=unit.purchase_date if unit else facts_purchase)
                )
                request_verify(actor=self.agent, request=sr, details=details)
            elif step == "assign":
                request_assign(actor=self.clerks[outlet_code], request=sr, engineer_id=engineer[0].pk)
            else:
                request_transition(
                    actor=self._actor_for(step, plan, outlet_code, engineer[0]),
                    request=sr,
                    action=step,
                    note=self._note(step, resolution),
                )

    def _facts(
        self, plan: RequestPlan, category: catalogue.CategoryPlan, opened: dt.datetime
    ) -> tuple[str, str, str, dt.date]:
        """What the caller says, how it ends, and the model and purchase date as the caller states them."""
        rng = self.rng
        model_code = rng.choice(category.models).code
        purchase = timezone.localdate(opened, self.tz) - dt.timedelta(days=rng.randint(30, 1500))
        if plan.call_type == CallType.REPAIR:
            symptom, resolution = rng.choice(category.faults)
        elif plan.call_type == CallType.ORDER_REPORT:
            symptom = rng.choice(catalogue.BOOKINGS).format(category=category.name)
            resolution = rng.choice(catalogue.BOOKING_RESULTS)
        elif plan.call_type == CallType.COMPLAINT:
            symptom, resolution = rng.choice(catalogue.COMPLAINTS), rng.choice(catalogue.COMPLAINT_OUTCOMES)
        else:
            pool = {
                CallType.CONSULTATION: catalogue.CONSULTATIONS,
                CallType.INQUIRY: catalogue.INQUIRIES,
                CallType.GENERAL: catalogue.GENERAL_CALLS,
            }[CallType(plan.call_type)]
            symptom, resolution = rng.choice(pool), rng.choice(catalogue.ANSWERS)
        return symptom, resolution, model_code, purchase

    def _engineer(self, outlet_code: str, unit: Unit | None, featured: bool) -> tuple[StaffProfile, frozenset[str]]:
        """An engineer of the outlet whose valid certificates cover the repair; the featured login when asked."""
        crew = self.engineers[outlet_code]
        if featured or (outlet_code == next(iter(self.outlets)) and self.rng.random() < 0.4):
            return crew[0]
        needed = self.repair_skills.get(unit.product_model.code, frozenset()) if unit else frozenset()
        qualified = [e for e in crew if needed <= e[1]]
        return self.rng.choice(qualified or crew)

    def _actor_for(self, step: str, plan: RequestPlan, outlet_code: str, engineer: StaffProfile) -> Actor:
        """Who takes a step: engineers work their jobs, the outlet desk accepts, follow-up closes."""
        rng = self.rng
        field_job = plan.call_type in FIELD_CALL_TYPES
        if step in ("start", "wait_customer", "wait_parts", "resume", "resolve") and field_job:
            return self.actors[engineer.user.username]
        if step == "accept":
            return rng.choice(
                [self.clerks[outlet_code], self.clerks[outlet_code], self.managers[outlet_code], self.agent]
            )
        if step in ("close", "reopen") or plan.call_type == CallType.COMPLAINT:
            return self.followup
        if step == "cancel":
            return rng.choice([self.agent, self.clerks[outlet_code]])
        return self.agent

    def _note(self, step: str, resolution: str) -> str:
        pools = {
            "wait_customer": catalogue.WAIT_CUSTOMER_NOTES,
            "wait_parts": catalogue.WAIT_PARTS_NOTES,
            "cancel": catalogue.CANCEL_NOTES,
            "reopen": catalogue.REOPEN_NOTES,
        }
        if step == "resolve":
            return resolution
        return self.rng.choice(pools[step]) if step in pools else ""
