"""The demo's month of quality history (issue 14 item 8), replayed through the real services.

Completed repair jobs of the last month per outlet (wuyou.demo.quality.MONTHS), each day's sample draw the morning
after, the follow-up desk's calls with the questionnaire's answers (satisfied, not satisfied and followed up until
satisfied, not reached, refused), rule-made callbacks (an uncertain repair, phone guidance), and complaints in every
state, one transferred by an authority. What is left for today is the `followup` login's queue.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import StaffProfile
from wuyou.core.errors import DomainError
from wuyou.customers.models import Customer
from wuyou.demo import quality as plan
from wuyou.demo.builder.base import DemoBuilderBase
from wuyou.demo.repairs import outlet_customers
from wuyou.demo.visits import signature_png
from wuyou.dispatch.models import PLANNABLE, WorkOrder, WorkOrderStatus
from wuyou.dispatch.services import WorkOrderInput, work_order_book, work_order_open
from wuyou.dispatch.services.routes import work_order_claim
from wuyou.fieldservice.services import StepInput, work_order_step
from wuyou.products.models import Unit
from wuyou.quality.models import Callback, CallbackReason, CallbackStatus, SamplingPlan
from wuyou.quality.services import callback_record, request_resolve_by_phone
from wuyou.quality.services.complaints import (
    complaint_approve,
    complaint_dispose,
    complaint_face_to_face,
    complaint_promise_told,
    complaint_register,
)
from wuyou.quality.services.questionnaires import SATISFIED_CODE, questionnaire_default_install
from wuyou.quality.services.rectification import rectification_add, rectification_done
from wuyou.quality.services.sampling import sampling_draw_day
from wuyou.tickets.models import CallType, Channel, ServiceRequest, Status
from wuyou.tickets.services import (
    RequestInput,
    request_assign,
    request_authority_report,
    request_open,
    request_transition,
)


@dataclass
class _Job:
    """A completed job of the month and the answer its customer gives when called back."""

    code: str
    customer: Customer
    unit: Unit
    day: dt.date
    answer: str = "satisfied"  # satisfied, unsatisfied, refused, unreachable, reached_late
    chain_ends: bool = True  # an unsatisfied customer's revisit is done and he is satisfied
    work_order: WorkOrder | None = None
    engineer: Actor | None = None
    extra: dict[str, object] = field(default_factory=dict)


class QualitySteps(DemoBuilderBase):
    """The demo's month of quality history: sampled and rule-made callbacks, unsatisfied chains, complaints."""

    def quality_history(self) -> None:
        """A month of completed jobs, their daily draws and callbacks, and complaints; a random stream of its own."""
        if not self.scale.requests:
            return
        started = time.monotonic()
        self.qrng = random.Random(self.scale.seed * 37 + 14)
        questionnaire_default_install()
        # Every completed job is sampled in the demo month: with ~40 jobs an outlet, a lower rate would leave too few
        # answers for any interval to be decided (the plan's page shows the ~140 a stratum needs for ±5 %).
        org = next(iter(self.outlets.values())).region.organisation
        SamplingPlan.objects.update_or_create(
            organisation=org,
            defaults={"default_rate": Decimal(100), "minimum_per_engineer_month": 2, "margin": Decimal(5)},
        )
        # The uncertain repairs first, on customers the month's jobs leave alone even in a tiny demo.
        self._uncertain_repairs()
        jobs = self._quality_jobs()
        for job in sorted(jobs, key=lambda j: (j.day, j.code)):
            self._quality_visit(job)
        first_day = self.today - dt.timedelta(days=plan.FIRST_DAY + 1)
        day = first_day
        while day < self.today:
            self.clock.now = self.local(day + dt.timedelta(days=1), 6 * 60 + 30)
            sampling_draw_day(day=day, now=self.clock.now)
            day += dt.timedelta(days=1)
        self._phone_guidance()
        self._callbacks_made(jobs)
        self._complaints()
        self.clock.now = self.real_now
        drawn = Callback.objects.filter(reason=CallbackReason.SAMPLE).count()
        pending = Callback.objects.filter(status=CallbackStatus.PENDING).count()
        self.progress(
            f"quality: {len(jobs)} jobs of the month, {drawn} sampled callbacks, {pending} to call "
            f"({time.monotonic() - started:.1f} s)"
        )

    # -- the month's jobs --------------------------------------------------------------------------------------------
    def _quality_jobs(self) -> list[_Job]:
        """Per outlet, its month's jobs on distinct customers who may be called, none with other visits going on."""
        rng = self.qrng
        busy = set(WorkOrder.objects.values_list("request__customer_id", flat=True))
        jobs: list[_Job] = []
        for month, code in zip(plan.MONTHS, self.outlets, strict=False):
            owners = [
                o.customer
                for o in self.holders
                if o.outlet_code == code and o.customer is not None and o.customer.pk not in busy
            ]
            # Consent given: the month is measured on customers who may be called (the others are left out by the
            # draw, which the draw's record shows; here they would only thin the figures).
            located = [(c, a) for c, a in outlet_customers(owners) if c.consent_service_calls]
            rng.shuffle(located)
            units = {u.owner_id: u for u in Unit.objects.filter(owner__in=[c for c, _a in located]).order_by("-pk")}
            # A small demo (the tests') keeps every kind of month in a few jobs: the figures are the full demo's.
            small = self.scale.customers < plan.FULL_MONTH_FROM_CUSTOMERS
            wanted = min(month.jobs + 1, plan.SMALL_MONTH_JOBS) if small else month.jobs + 1
            chosen = [(c, units[c.pk]) for c, _a in located if c.pk in units][:wanted]
            days = [self.today - dt.timedelta(days=rng.randint(plan.LAST_DAY, plan.FIRST_DAY)) for _ in chosen]
            days.sort()
            answers = (
                ["unsatisfied"] * (min(month.unsatisfied, 3) if small else month.unsatisfied)
                + ["refused"] * month.refused
                + ["unreachable"] * month.unreachable
                + ["reached_late"] * month.reached_late
            )
            if small:
                answers = answers[: max(len(chosen) - 2, 0)]
            answers += ["satisfied"] * (len(chosen) - len(answers))
            rng.shuffle(answers)
            outlet_jobs = [
                _Job(code=code, customer=c, unit=u, day=d, answer=a)
                for (c, u), d, a in zip(chosen, days, answers, strict=False)
            ]
            # The last job of each outlet finished yesterday: its sampled callback is on today's list.
            if outlet_jobs:
                outlet_jobs[-1].day = self.today - dt.timedelta(days=1)
                outlet_jobs[-1].answer = "pending"
            unhappy = [j for j in outlet_jobs if j.answer == "unsatisfied"]
            for j in unhappy[-1:] if small else unhappy[-2:]:
                j.chain_ends = False  # the newest ones: the revisit is still for the desk to book
            jobs.extend(outlet_jobs)
        return jobs

    def _crew_member(self, code: str, unit: Unit) -> tuple[StaffProfile, Actor]:
        crew = self.engineers[code]
        needed = self.repair_skills.get(unit.product_model.code, frozenset())
        qualified = [p for p, skills in crew if needed <= skills] or [p for p, _s in crew]
        profile = self.qrng.choice(qualified)
        return profile, self.actors[profile.user.username]

    def _quality_visit(self, job: _Job, *, uncertain: str = "") -> None:
        """Called in the evening before, booked for a morning or afternoon slot, assigned, worked and finished."""
        rng = self.qrng
        category = self.category_of_model[job.unit.product_model.code]
        symptom, resolution = rng.choice(category.faults)
        self.clock.now = self.local(job.day - dt.timedelta(days=1), rng.randint(16 * 60, 19 * 60))
        sr = request_open(
            actor=self.agent,
            intake=RequestInput(
                call_type=CallType.REPAIR,
                customer_id=job.customer.pk,
                channel=Channel.HOTLINE,
                unit_serial=job.unit.serial,
                symptom=symptom,
            ),
        )
        start = self.local(job.day, rng.choice((9 * 60, 10 * 60, 13 * 60 + 30, 15 * 60)))
        wo = self._quality_book(sr, job.code, start)
        profile, engineer = self._crew_member(job.code, job.unit)
        self._quality_walk(wo, sr, job.code, profile, engineer, start, resolution, uncertain=uncertain)
        job.work_order, job.engineer = wo, engineer

    def _quality_book(self, sr: ServiceRequest, code: str, start: dt.datetime) -> WorkOrder:
        self.clock.now = max(self.clock.now, start - dt.timedelta(hours=16)) + dt.timedelta(minutes=10)
        return work_order_open(
            actor=self.clerks[code],
            request=sr,
            visit=WorkOrderInput(windows=((start, start + dt.timedelta(hours=2)),), skill_codes=()),
        )

    def _quality_walk(
        self,
        wo: WorkOrder,
        sr: ServiceRequest,
        code: str,
        profile: StaffProfile,
        engineer: Actor,
        start: dt.datetime,
        work_done: str,
        *,
        uncertain: str = "",
    ) -> None:
        """The dispatcher's hand assignment, then the engineer's steps at the door up to done.

        The day's optimiser run is left out here: a month of eight outlets' days is ~240 runs of a second each, and
        the demo's optimised days are shown by the repair story and today's field day. The assignment writes what a
        committed plan writes for the visit (engineer, planned times, PLANNED) and the request follows it.
        """
        rng = self.qrng
        clerk = self.clerks[code]
        self.clock.now = self.local(timezone_day(start, self), 7 * 60 + 30)
        sr.refresh_from_db()
        if sr.status == Status.NEW:
            request_transition(actor=clerk, request=sr, action="accept")
        request_assign(actor=clerk, request=sr, engineer_id=profile.pk)
        arrival = start + dt.timedelta(minutes=rng.randint(0, 40))
        work_order_claim(
            wo,
            expected_version=None,
            from_status=PLANNABLE,
            engineer_id=profile.pk,
            planned_arrival=arrival,
            planned_start=arrival,
            planned_end=arrival + dt.timedelta(hours=1),
            route_position=0,
            travel_minutes=rng.randint(12, 35),
            status=WorkOrderStatus.PLANNED,
        )
        wo = WorkOrder.objects.select_related("request", "engineer").get(pk=wo.pk)
        minute = dt.timedelta(minutes=1)
        work_note = work_done or rng.choice(plan.WORK_DONE)
        # work_done is a step of its own only where done's note says something else (the engineer's doubts):
        # otherwise done records the work done from its note, one service call (~50 ms) less per job of the month.
        steps = (
            ("arrived", arrival, StepInput()),
            *((("work_done", arrival + 40 * minute, StepInput(note=work_note)),) if uncertain else ()),
            (
                "rating",
                arrival + 44 * minute,
                StepInput(
                    quality=5,
                    attitude=rng.choice((4, 5, 5)),
                    signature=signature_png(wo.pk),
                    signed_by=sr.customer.contact_person or sr.customer.name if sr.customer else "",
                ),
            ),
            (
                "done",
                arrival + 47 * minute,
                StepInput(
                    note=uncertain or work_note,
                    not_sure_fixed=uncertain == plan.UNCERTAIN_NOTE,
                    no_time_for_test_run=uncertain == plan.NO_TEST_NOTE,
                ),
            ),
        )
        for step, at, entry in steps:
            self.clock.now = min(at, self.real_now - dt.timedelta(minutes=5))
            wo = work_order_step(actor=engineer, work_order=wo, step=step, entry=entry)

    # -- rule-made callbacks -----------------------------------------------------------------------------------------
    def _uncertain_repairs(self) -> None:
        """The first outlet's visits the engineer was not sure of: called back 3 hours later (seed 003)."""
        busy = set(WorkOrder.objects.values_list("request__customer_id", flat=True))
        # The first outlet's, where it has customers without other visits; in a small demo the repair story and
        # today's field day take all of them, and then the first outlet that has some takes the uncertain visits.
        for code in self.outlets:
            owners = [
                o.customer for o in self.holders if o.outlet_code == code and o.customer and o.customer.pk not in busy
            ]
            located = [(c, a) for c, a in outlet_customers(owners) if c.consent_service_calls]
            units = {u.owner_id: u for u in Unit.objects.filter(owner__in=[c for c, _a in located])}
            pool = [(c, units[c.pk]) for c, _a in located if c.pk in units]
            if len(pool) >= len(plan.UNCERTAIN_DAYS):
                break
        else:
            self.progress("quality: no outlet has customers free for the uncertain repairs")
            return
        for (customer, unit), days in zip(pool, plan.UNCERTAIN_DAYS, strict=False):
            job = _Job(code=code, customer=customer, unit=unit, day=self.today - dt.timedelta(days=days))
            if days == 0 and self.real_now.astimezone(self.tz).hour < 11:
                job.day -= dt.timedelta(days=1)  # loaded early in the morning: yesterday afternoon's visit
            note = plan.NO_TEST_NOTE if days == plan.UNCERTAIN_DAYS[1] else plan.UNCERTAIN_NOTE
            try:
                self._quality_visit(job, uncertain=note)
            except DomainError as exc:
                self.progress(f"quality: an uncertain repair stopped: {exc.message} ({exc.field})")
                continue
            callback = Callback.objects.filter(work_order=job.work_order, status=CallbackStatus.PENDING).first()
            if callback is not None and days > plan.OVERDUE_DAYS:
                self._record(callback, "satisfied", callback.call_at + dt.timedelta(minutes=6))

    def _phone_guidance(self) -> None:
        """Two misuse calls solved by phone: last week's callback made, this morning's still to make."""
        owners = [o.customer for o in self.owners if o.customer is not None and o.customer.consent_service_calls]
        for days, note, customer in zip((6, 0), plan.GUIDANCE_NOTES, self.qrng.sample(owners, 2), strict=False):
            opened = self.local(self.today - dt.timedelta(days=days), 9 * 60 + self.qrng.randint(0, 90))
            self.clock.now = min(opened, self.real_now - dt.timedelta(minutes=30))
            sr = request_open(
                actor=self.agent,
                intake=RequestInput(
                    call_type=CallType.REPAIR, customer_id=customer.pk, channel=Channel.HOTLINE, symptom=note
                ),
            )
            self.clock.now += dt.timedelta(minutes=9)
            callback = request_resolve_by_phone(actor=self.agent, request=sr, note=note)
            if callback is not None and days:
                self._record(callback, "satisfied", callback.call_at + dt.timedelta(minutes=15))

    # -- the follow-up desk's calls ----------------------------------------------------------------------------------
    def _answers(self, satisfied: bool) -> dict[str, object]:
        rng = self.qrng
        overall = rng.choice((4, 5, 5, 5)) if satisfied else rng.choice((1, 2, 2, 3))
        return {
            SATISFIED_CODE: str(overall),
            "on_time": "yes" if satisfied or rng.random() < 0.5 else "no",
            "charged_as_quoted": "yes" if satisfied or rng.random() < 0.7 else "no",
            "asked_to_mark_satisfied": "no" if rng.random() < 0.93 else "yes",
            "attitude": str(rng.choice((4, 5, 5)) if satisfied else rng.choice((2, 3, 4))),
            "punctuality_expected": str(rng.choice((4, 5, 5))),
            "punctuality_perceived": str(rng.choice((4, 4, 5)) if satisfied else rng.choice((2, 3))),
            "repair_expected": "5",
            "repair_perceived": str(rng.choice((4, 5, 5)) if satisfied else rng.choice((1, 2, 3))),
            "suggestions": rng.choice(plan.SUGGESTIONS),
        }

    def _record(self, callback: Callback, answer: str, at: dt.datetime, note: str = "") -> Callback | None:
        """The follow-up staff's call at `at` (never later than now: what is still ahead stays on the list)."""
        if at >= self.real_now - dt.timedelta(minutes=2):
            return None
        self.clock.now = at
        if answer in ("satisfied", "unsatisfied"):
            return callback_record(
                actor=self.followup,
                callback=callback,
                outcome="answered",
                answers=self._answers(answer == "satisfied"),
                note=note,
            )
        return callback_record(actor=self.followup, callback=callback, outcome=answer, note=note)

    def _callbacks_made(self, jobs: list[_Job]) -> None:
        """Each sampled callback of the month made at its calling time, as the job's customer answers."""
        rng = self.qrng
        by_visit = {
            c.work_order_id: c
            for c in Callback.objects.filter(reason=CallbackReason.SAMPLE, status=CallbackStatus.PENDING)
        }
        unhappy_notes = iter(plan.UNSATISFIED_NOTES * 3)
        made = sorted(
            ((by_visit[j.work_order.pk], j) for j in jobs if j.work_order and j.work_order.pk in by_visit),
            key=lambda pair: pair[0].call_at,
        )
        for callback, job in made:
            at = callback.call_at + dt.timedelta(minutes=rng.randint(0, 50))
            if job.answer == "pending":
                continue
            if job.answer == "unsatisfied":
                if self._record(callback, "unsatisfied", at, note=next(unhappy_notes)) is not None:
                    self._chain(callback, job)
            elif job.answer == "refused":
                self._record(callback, "refused", at, note=plan.REFUSED_NOTE)
            elif job.answer in ("unreachable", "reached_late"):
                tries = 3 if job.answer == "unreachable" else 1
                for _n in range(tries):
                    note = plan.UNREACHABLE_NOTE if job.answer == "unreachable" else plan.REACHED_LATE_NOTE
                    if self._record(callback, "no_answer", at, note=note) is None:
                        break
                    callback.refresh_from_db()
                    at = callback.call_at + dt.timedelta(minutes=rng.randint(0, 20))
                if job.answer == "reached_late" and callback.status == CallbackStatus.PENDING:
                    self._record(callback, "satisfied", at)
            else:
                self._record(callback, "satisfied", at)
        # The draws sampled the demo's other finished visits too (outlet 1's repair stories): those customers were
        # called back satisfied as well, unless their call is today (still on the list), so nothing lies overdue.
        ours = {j.work_order.pk for j in jobs if j.work_order}
        others = (
            Callback.objects.filter(reason=CallbackReason.SAMPLE, status=CallbackStatus.PENDING)
            .exclude(work_order_id__in=ours)
            .order_by("call_at", "pk")
        )
        for callback in others:
            if timezone.localdate(callback.call_at, self.tz) < self.today:
                self._record(callback, "satisfied", callback.call_at + dt.timedelta(minutes=rng.randint(0, 50)))
        # One of yesterday's sampled callbacks was due this morning and still waits: overdue on the list.
        self.clock.now = self.real_now

    def _chain(self, callback: Callback, job: _Job) -> None:
        """Not satisfied (R-F3): the revisit the callback opened is booked, worked, and the customer called again."""
        if not job.chain_ends or job.engineer is None:
            return
        revisit = (
            WorkOrder.objects.filter(request_id=callback.request_id, status=WorkOrderStatus.UNBOOKED)
            .order_by("-pk")
            .first()
        )
        if revisit is None:
            return
        called = timezone_day(self.clock.now, self) + dt.timedelta(days=2)
        start = self.local(called, 14 * 60)
        if start + dt.timedelta(days=2) >= self.real_now:
            return
        try:
            self.clock.now += dt.timedelta(minutes=20)
            work_order_book(
                actor=self.clerks[job.code], work_order=revisit, windows=[(start, start + dt.timedelta(hours=2))]
            )
            revisit = WorkOrder.objects.select_related("request__customer").get(pk=revisit.pk)
            sr = revisit.request
            profile = StaffProfile.objects.get(user_id=job.engineer.user_id or 0)
            self._quality_walk(revisit, sr, job.code, profile, job.engineer, start, plan.REVISIT_WORK)
        except DomainError as exc:
            self.progress(f"quality: a revisit stopped: {exc.message} ({exc.field})")
            return
        follow = Callback.objects.filter(request_id=callback.request_id, status=CallbackStatus.PENDING).first()
        if follow is not None:
            self._record(follow, "satisfied", follow.call_at + dt.timedelta(minutes=10))

    # -- complaints --------------------------------------------------------------------------------------------------
    def _complaints(self) -> None:
        """The month's complaints, one per plan, each taken as far as its stage; one from an authority."""
        codes = list(self.outlets)
        owners = [o for o in self.holders if o.customer is not None and o.customer.consent_service_calls]
        for i, complaint_plan in enumerate(plan.COMPLAINTS):
            owner = self.qrng.choice([o for o in owners if o.outlet_code == codes[i % len(codes)]] or owners)
            try:
                self._complaint(
                    complaint_plan, owner.customer, owner.outlet_code, owner.units[0] if owner.units else None
                )
            except DomainError as exc:
                self.progress(f"quality: complaint {complaint_plan.key} stopped: {exc.message} ({exc.field})")

    def _complaint(self, cp: plan.ComplaintPlan, customer: Customer | None, code: str, unit: Unit | None) -> None:
        assert customer is not None
        opened = self.local(self.today - dt.timedelta(days=cp.days_ago), 10 * 60 + self.qrng.randint(0, 240))
        self.clock.now = min(opened, self.real_now - dt.timedelta(minutes=40))
        authority = cp.stage == "authority"
        sr = request_open(
            actor=self.agent,
            intake=RequestInput(
                call_type=CallType.COMPLAINT,
                customer_id=customer.pk,
                channel=Channel.AUTHORITY if authority else Channel.HOTLINE,
                unit_serial=unit.serial if unit is not None else None,
                symptom=cp.symptom,
            ),
        )
        self.clock.now += dt.timedelta(minutes=4)
        complaint = complaint_register(
            actor=self.agent, request=sr, category=cp.category, severity=cp.severity, unit_id=unit.pk if unit else None
        )
        if cp.stage == "registered":
            return
        self.clock.now += dt.timedelta(minutes=2)
        complaint = complaint_promise_told(actor=self.agent, complaint=complaint)
        if cp.stage == "told":
            return
        manager = self.managers[code]
        if authority:
            self.clock.now += dt.timedelta(days=1)
            request_authority_report(actor=manager, request=sr, report=cp.report)
        # Disposed within the promised 3 working days, except the late one (the complaint rate shows it).
        self.clock.now = opened + dt.timedelta(days=6 if cp.stage == "late" else 2, hours=3)
        desk = self.followup
        complaint = complaint_dispose(
            actor=desk,
            complaint=complaint,
            finding=cp.finding,
            responsible=cp.responsible,
            remedy=cp.remedy,
            remedy_amount=cp.amount,
        )
        if cp.stage == "awaiting_approval":
            return
        if complaint.status == "awaiting_approval":
            self.clock.now += dt.timedelta(hours=2)
            complaint = complaint_approve(actor=self.manager, complaint=complaint)
        if authority:
            self.clock.now += dt.timedelta(days=1)
            complaint_face_to_face(actor=manager, complaint=complaint, on=timezone_day(self.clock.now, self))
        if cp.stage == "rectified":
            self.clock.now += dt.timedelta(hours=1)
            owner = StaffProfile.objects.get(user_id=manager.user_id or 0)
            for text, due_days in plan.RECTIFICATION:
                action = rectification_add(
                    actor=self.manager,
                    complaint=complaint,
                    action=text,
                    owner_id=owner.pk,
                    due_on=timezone_day(self.clock.now, self) + dt.timedelta(days=due_days),
                )
                if due_days < 5:
                    self.clock.now += dt.timedelta(days=2)
                    rectification_done(actor=manager, action=action, note="已落实")
        follow = Callback.objects.filter(request=sr, status=CallbackStatus.PENDING).first()
        if follow is not None:
            self._record(follow, "satisfied", follow.call_at + dt.timedelta(hours=3))


def timezone_day(moment: dt.datetime, builder: DemoBuilderBase) -> dt.date:
    """The local calendar day of a moment."""
    return moment.astimezone(builder.tz).date()
