"""The daily sample draw (R-G2, issue 14 item 5): yesterday's completed jobs drawn at random, reproducibly.

Every DONE visit finished on the day is either in the eligible population or left out with a reason; the draw
records its seed, settings and population so `sampling_draw_redo` gives the same jobs to an auditor. The unique
(plan, day) row makes the draw happen once however many sweepers run: the draw row is written first in the
transaction, so a second drawer waits on the unique index and then finds the day taken.

The drawn jobs get their SAMPLE callbacks in bulk — placed at the customer's time and with their callback clock
started exactly as `callback_schedule` does one by one (the same placement, clock policy and history lines) — since
a day of 50,000 jobs draws thousands and one-by-one scheduling costs a dozen queries each.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import NOBODY
from wuyou.accounts.selectors import calendars_for_outlets
from wuyou.calendars.workdays import WorkCalendar
from wuyou.core.bulk import rows_insert
from wuyou.customers.models import ContactWindow
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.quality import sampling
from wuyou.quality.calling_times import CallingRules, CallWindow, NoCallingTime, call_at
from wuyou.quality.models import (
    RULE_MADE,
    Callback,
    CallbackMode,
    CallbackReason,
    CallbackStatus,
    QualityVerb,
    SampleDraw,
    SamplingPlan,
)
from wuyou.tickets.clocks import ClockStart, clocks_start_many
from wuyou.tickets.models import Status
from wuyou.tickets.services import RequestRecord, requests_record_many

DRAW_AFTER = dt.time(6, 0)  # the sweeper draws yesterday's jobs once the night's late finishes are in
ALGORITHM = 1  # recorded with each draw: a later change of the rules must not change how old draws are redone
CALLBACK_STEP = "callback_due"


class LeftOut:
    """Why a completed job is not in the eligible population (the keys of SampleDraw.left_out's values)."""

    REQUEST_OPEN = "request_open"  # the request is not resolved or closed: the job is not finished for the customer
    NO_CONSENT = "no_consent"  # the customer withdrew consent, was anonymised or merged away: never called
    ALREADY_SAMPLED = "already_sampled"  # this visit already has its sample callback
    RULE_CALLBACK = "rule_callback"  # a rule-made callback is about this visit, or one is pending on the request
    FATIGUE = "fatigue"  # the customer was called back (or is to be) within the plan's fatigue days
    SAME_CUSTOMER = "same_customer"  # the customer's other job of the day is the one in the population


@dataclass(frozen=True)
class _Row:
    job: sampling.Job
    request_id: int
    customer_id: int
    number: str | None
    dont_call_at_work: bool
    request_number: str | None
    request_outlet_id: int
    call_type: str
    priority: str
    channel: str


def organisation_zone(plan: SamplingPlan) -> ZoneInfo:
    """The organisation's time zone: its business calendar's, else the installation's (Asia/Shanghai)."""
    calendar = plan.organisation.calendar
    return ZoneInfo(calendar.time_zone if calendar is not None else settings.TIME_ZONE)


def day_bounds(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants the local day starts and ends at."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def sampling_draw_day(*, day: dt.date, now: dt.datetime | None = None) -> SampleDraw | None:
    """Draw the jobs completed on `day` for every active sampling plan; the draw this call made (the first plan's
    when there are several organisations), or None when there was nothing to draw or another drawer had done it."""
    made = [d for d in (_plan_draw(plan=p, day=day, now=now) for p in _active_plans()) if d is not None]
    return made[0] if made else None


def sampling_draws_due(now: dt.datetime) -> int:
    """The sweep job: after 06:00 local, draw yesterday for each active plan not drawn yet (two queries when done)."""
    drawn = 0
    for plan in _active_plans():
        local = now.astimezone(organisation_zone(plan))
        if local.time() < DRAW_AFTER:
            continue
        yesterday = local.date() - dt.timedelta(days=1)
        if _drawn_already(plan, yesterday):
            continue
        if _plan_draw(plan=plan, day=yesterday, now=now) is not None:
            drawn += 1
    return drawn


def sampling_draw_redo(draw: SampleDraw) -> list[int]:
    """The drawn job ids recomputed from the draw's recorded seed, population and settings (for an auditor)."""
    recorded = draw.settings
    jobs = [sampling.Job(id=r[0], outlet_id=r[1], engineer_id=r[2], category_id=r[3]) for r in draw.population]
    return sampling.draw_jobs(
        jobs,
        kind=recorded["strata"],
        rates=recorded["rates"],
        default_rate=recorded["default_rate"],
        seed=draw.seed,
        minimum_owed={int(k): v for k, v in recorded["minimum_owed"].items()},
    ).drawn


def _drawn_already(plan: SamplingPlan, day: dt.date) -> bool:
    return SampleDraw.objects.filter(plan=plan, day=day).exists()


def _active_plans() -> list[SamplingPlan]:
    return list(SamplingPlan.objects.filter(is_active=True).select_related("organisation__calendar").order_by("pk"))


def _plan_draw(*, plan: SamplingPlan, day: dt.date, now: dt.datetime | None) -> SampleDraw | None:
    """One plan's draw for one day, written in one transaction; None if the day was drawn already."""
    now = now or timezone.now()
    if _drawn_already(plan, day):
        return None  # the cheap check; the unique row below is what makes it exactly once
    zone = organisation_zone(plan)
    population, left_out, rows, done = _eligible(plan=plan, day=day, zone=zone, now=now)
    recorded = _settings(plan=plan, day=day, zone=zone, engineers={r.job.engineer_id for r in rows.values()})
    seed = secrets.randbits(63)  # unpredictable (nobody can know beforehand which jobs will be called) and kept
    result = sampling.draw_jobs(
        population,
        kind=recorded["strata"],
        rates=recorded["rates"],
        default_rate=recorded["default_rate"],
        seed=seed,
        minimum_owed={int(k): v for k, v in recorded["minimum_owed"].items()},
    )
    recorded["strata_counts"] = {k: list(v) for k, v in result.strata.items()}  # [jobs, drawn] per stratum
    recorded["counts"] = {
        "completed": len(population) + len(left_out),
        "eligible": len(population),
        "drawn": len(result.drawn),
        "left_out": len(left_out),
        "left_out_by_reason": dict(sorted(Counter(left_out.values()).items())),
    }
    try:
        with transaction.atomic():
            # First write of the transaction: a second drawer blocks here on the unique (plan, day) index until this
            # one commits, then fails and does nothing.
            draw = SampleDraw.objects.create(
                plan=plan,
                day=day,
                seed=seed,
                drawn_at=now,
                settings=recorded,
                population=[[j.id, j.outlet_id, j.engineer_id, j.category_id] for j in population],
                drawn=result.drawn,
                left_out={str(k): v for k, v in sorted(left_out.items())},
            )
            _callbacks_schedule(draw=draw, rows=[rows[i] for i in result.drawn], done=done, now=now)
    except IntegrityError:
        return None
    return draw


def _eligible(
    *, plan: SamplingPlan, day: dt.date, zone: ZoneInfo, now: dt.datetime
) -> tuple[list[sampling.Job], dict[int, str], dict[int, _Row], QuerySet[WorkOrder]]:
    """The day's completed jobs split into the eligible population and the left out (with why): five queries."""
    start, end = day_bounds(day, zone)
    done = WorkOrder.objects.filter(
        status=WorkOrderStatus.DONE,
        finished_at__gte=start,
        finished_at__lt=end,
        outlet__region__organisation_id=plan.organisation_id,
    )
    jobs = list(
        done.values_list(
            "id",
            "outlet_id",
            "engineer_id",
            "request__unit__product_model__category_id",
            "request_id",
            "request__customer_id",
            "request__status",
            "request__customer__consent_service_calls",
            "request__customer__anonymised_at",
            "request__customer__merged_into_id",
            "request__customer__dont_call_at_work",
            "number",
            "request__number",
            "request__outlet_id",
            "request__call_type",
            "request__priority",
            "request__channel",
        ).order_by("id")
    )
    sampled = set(
        Callback.objects.filter(reason=CallbackReason.SAMPLE, work_order__in=done).values_list(
            "work_order_id", flat=True
        )
    )
    rule_visits: set[int] = set()
    pending_requests: set[int] = set()
    for work_order_id, request_id, reason, status in Callback.objects.filter(
        Q(work_order__in=done, reason__in=RULE_MADE)
        | Q(request__in=done.values("request_id"), status=CallbackStatus.PENDING)
    ).values_list("work_order_id", "request_id", "reason", "status"):
        if reason in RULE_MADE and work_order_id is not None:
            rule_visits.add(work_order_id)
        if status == CallbackStatus.PENDING:
            pending_requests.add(request_id)
    cutoff = now - dt.timedelta(days=plan.fatigue_days)
    tired = set(
        Callback.objects.filter(request__customer_id__in=done.values("request__customer_id"))
        .filter(Q(status=CallbackStatus.PENDING) | Q(done_at__gte=cutoff))
        .values_list("request__customer_id", flat=True)
        .distinct()
    )
    population: list[sampling.Job] = []
    left_out: dict[int, str] = {}
    rows: dict[int, _Row] = {}
    customers_in: set[int] = set()
    finished = (Status.RESOLVED, Status.CLOSED)
    for (
        wo,
        outlet,
        engineer,
        category,
        request,
        customer,
        status,
        consent,
        anonymised,
        merged,
        dont,
        number,
        request_number,
        request_outlet,
        call_type,
        priority,
        channel,
    ) in jobs:
        if status not in finished:
            left_out[wo] = LeftOut.REQUEST_OPEN
        elif not consent or anonymised is not None or merged is not None:  # quality.services.may_call, in bulk
            left_out[wo] = LeftOut.NO_CONSENT
        elif wo in sampled:
            left_out[wo] = LeftOut.ALREADY_SAMPLED
        elif wo in rule_visits or request in pending_requests:
            left_out[wo] = LeftOut.RULE_CALLBACK
        elif customer in tired:
            left_out[wo] = LeftOut.FATIGUE
        elif customer in customers_in:
            left_out[wo] = LeftOut.SAME_CUSTOMER  # one call asks about one day's work; the first job stands for it
        else:
            customers_in.add(customer)
            job = sampling.Job(id=wo, outlet_id=outlet, engineer_id=engineer, category_id=category)
            population.append(job)
            rows[wo] = _Row(
                job, request, customer, number, dont, request_number, request_outlet, call_type, priority, channel
            )
    return population, left_out, rows, done


def _settings(*, plan: SamplingPlan, day: dt.date, zone: ZoneInfo, engineers: set[int | None]) -> dict[str, Any]:
    """The plan as drawn: rates, the minimum owed to each engineer today, fatigue — all a redo needs."""
    rows = [
        sampling.RateRow(outlet_id=r.outlet_id, engineer_id=r.engineer_id, category_id=r.category_id, rate=r.rate)
        for r in plan.rates.all()
    ]
    month_start = day.replace(day=1)
    month_drawn = _month_drawn(plan=plan, month_start=month_start, day=day)
    length = sampling.days_in_month(day.year, day.month)
    owed = {
        e: sampling.minimum_due_today(
            plan.minimum_per_engineer_month,
            day_of_month=day.day,
            days_in_month=length,
            drawn_this_month=month_drawn.get(e, 0),
        )
        for e in sorted(x for x in engineers if x is not None)
    }
    return {
        "algorithm": ALGORITHM,
        "strata": plan.strata,
        "default_rate": float(plan.default_rate) / 100,
        "rates": sampling.rates_table(plan.strata, rows),
        "minimum_per_engineer_month": plan.minimum_per_engineer_month,
        "month_drawn": {str(e): n for e, n in sorted(month_drawn.items())},
        "minimum_owed": {str(e): n for e, n in owed.items() if n},
        "fatigue_days": plan.fatigue_days,
        "zone": str(zone),
    }


def _month_drawn(*, plan: SamplingPlan, month_start: dt.date, day: dt.date) -> Counter[int]:
    """Per engineer, the jobs earlier draws of this month took (the minimum counts what was drawn, not answered)."""
    return Counter(
        e
        for e in Callback.objects.filter(
            reason=CallbackReason.SAMPLE, draw__plan=plan, draw__day__gte=month_start, draw__day__lt=day
        ).values_list("work_order__engineer_id", flat=True)
        if e is not None
    )


def _callbacks_schedule(*, draw: SampleDraw, rows: list[_Row], done: QuerySet[WorkOrder], now: dt.datetime) -> None:
    """Each drawn job's SAMPLE callback, as `callback_schedule` makes it, in a handful of bulk statements."""
    if not rows:
        return
    windows: dict[int, list[CallWindow]] = defaultdict(list)
    for customer_id, days, starts_at, ends_at in (
        ContactWindow.objects.filter(customer_id__in=done.values("request__customer_id"))
        .order_by("pk")
        .values_list("customer_id", "days", "starts_at", "ends_at")
    ):
        windows[customer_id].append(CallWindow(days=days, starts_at=starts_at, ends_at=ends_at))
    calendars = calendars_for_outlets({row.request_outlet_id for row in rows})
    placed: dict[tuple[CallingRules, int], dt.datetime] = {}  # most customers share their rules: place each once
    callbacks: list[dict[str, Any]] = []
    for row in rows:
        rules = CallingRules(windows=tuple(windows.get(row.customer_id, ())), dont_call_at_work=row.dont_call_at_work)
        key = (rules, row.request_outlet_id)
        if key not in placed:
            placed[key] = _placed(now, rules, calendars[row.request_outlet_id])
        callbacks.append(
            {
                "request_id": row.request_id,
                "reason": CallbackReason.SAMPLE.value,
                "work_order_id": row.job.id,
                "mode": CallbackMode.PHONE.value,
                "due_at": now,  # a sampled callback is due when drawn (DUE_AFTER[SAMPLE] is 0) and can wait a weekend
                "call_at": placed[key],
                "draw_id": draw.pk,
                "status": CallbackStatus.PENDING.value,
            }
        )
    rows_insert(Callback, callbacks, now=now)
    ids = dict(Callback.objects.filter(draw=draw).values_list("work_order_id", "pk"))
    clocks_start_many(
        step=CALLBACK_STEP,
        starts=[
            ClockStart(
                request_id=row.request_id,
                call_type=row.call_type,
                priority=row.priority,
                channel=row.channel,
                outlet_id=row.request_outlet_id,
                start=max(callback["call_at"], now),
            )
            for row, callback in zip(rows, callbacks, strict=True)
        ],
        at=now,
    )
    records = _records(rows, callbacks, ids, now)
    requests_record_many(actor=NOBODY, verb=QualityVerb.CALLBACK_SCHEDULED, records=records, at=now)


def _placed(due: dt.datetime, rules: CallingRules, calendar: WorkCalendar) -> dt.datetime:
    """scheduling.placed_at for rules already loaded: the customer's next allowed moment, weekends preferred."""
    try:
        return call_at(due, rules, zone=calendar.zone, is_workday=calendar.is_workday, prefer_days_off=True)
    except NoCallingTime:
        return due  # contradictory wishes: the rule's moment stands, as placed_at does


def _records(
    rows: list[_Row], callbacks: list[dict[str, Any]], ids: dict[int, int], now: dt.datetime
) -> list[RequestRecord]:
    """Each callback's event on its request, as callback_schedule writes it (with the draw it came from)."""
    reason = str(CallbackReason.SAMPLE.label)
    template = _("%(number)s: callback scheduled (%(reason)s), call at %(at)s")
    records = []
    for row, callback in zip(rows, callbacks, strict=True):
        local = timezone.localtime(callback["call_at"])
        data: dict[str, Any] = {
            "callback": ids[row.job.id],
            "reason": CallbackReason.SAMPLE.value,
            "due_at": now.isoformat(),
            "call_at": callback["call_at"].isoformat(),
            "draw": callback["draw_id"],
        }
        if row.number:
            data["work_order"] = row.number
        records.append(
            RequestRecord(
                request_id=row.request_id,
                customer_id=row.customer_id,
                outlet_id=row.request_outlet_id,
                call_type=row.call_type,
                number=row.request_number,
                summary=template % {"number": row.request_number, "reason": reason, "at": f"{local:%Y-%m-%d %H:%M}"},
                data=data,
            )
        )
    return records
