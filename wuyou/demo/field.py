"""The demo's field day: field hours, engineers' start places, and one outlet's booked visits, optimised and committed.

Loaded at the real time (not the simulated past): the dispatcher finds today's routes committed and a few jobs
booked since, waiting for the next optimisation; tomorrow's visits are booked and not planned yet.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from django.utils import timezone

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Outlet, StaffProfile
from wuyou.calendars.models import BusinessCalendar, WorkingPeriod
from wuyou.core.errors import Conflict
from wuyou.customers.models import Customer
from wuyou.demo import catalogue
from wuyou.dispatch.models import FieldEngineer, StartPlace
from wuyou.dispatch.services import WorkOrderInput, plan_commit, plan_request, plan_run, work_order_open
from wuyou.products.models import Unit
from wuyou.tickets.models import CallType, Priority
from wuyou.tickets.services import RequestInput, request_open

FIELD_HOURS = (dt.time(8, 30), dt.time(21, 0))
# Windows customers chose, local time; evenings are ordinary (R-D3).
WINDOWS = (
    ("08:30", "10:30"),
    ("09:00", "11:00"),
    ("10:30", "12:30"),
    ("13:30", "15:30"),
    ("14:00", "16:00"),
    ("15:30", "17:30"),
    ("18:00", "20:00"),
    ("19:00", "21:00"),
)
TODAY_VISITS = 14
LATE_BOOKINGS = 3  # booked after the morning's plan: the board shows them unassigned
TOMORROW_VISITS = 8
PLAN_SECONDS = 3
# After this hour today's windows are mostly gone: the demo books and plans tomorrow instead.
LAST_PLANNING_HOUR = 15


def field_calendar() -> BusinessCalendar:
    """Field hours: 08:30–21:00 every day, holidays included (home service does not stop for them)."""
    calendar = BusinessCalendar.objects.create(name="上门服务时间（含晚间）", use_statutory_holidays=False)
    WorkingPeriod.objects.bulk_create(
        WorkingPeriod(calendar=calendar, weekday=d, start=FIELD_HOURS[0], end=FIELD_HOURS[1]) for d in range(7)
    )
    return calendar


def field_engineers_set_up(*, engineers: Sequence[StaffProfile], outlets: dict[int, Outlet], rng: random.Random) -> int:
    """Every engineer gets field hours, a van, and half of them start from home a few kilometres out."""
    calendar = field_calendar()
    rows = []
    for i, profile in enumerate(engineers):
        outlet = outlets[profile.outlet_id]  # type: ignore[index]
        from_home = i % 2 == 1 and outlet.latitude is not None
        lat = float(outlet.latitude or 0) + rng.uniform(-0.03, 0.03) if from_home else None
        lon = float(outlet.longitude or 0) + rng.uniform(-0.03, 0.03) if from_home else None
        rows.append(
            FieldEngineer(
                engineer=profile,
                starts_from=StartPlace.HOME if from_home else StartPlace.OUTLET,
                home_address="家" if from_home else "",
                home_latitude=round(lat, 6) if lat is not None else None,
                home_longitude=round(lon, 6) if lon is not None else None,
                calendar=calendar,
                van_capacity=rng.choice((2, 2, 3)),
            )
        )
    FieldEngineer.objects.bulk_create(rows)
    return len(rows)


def clock_time(day: dt.date, hhmm: str, zone: ZoneInfo) -> dt.datetime:
    """The moment "HH:MM" on the day, local time: the demo's windows and slots are written as customers say them."""
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


def _book(
    *,
    clerk: Actor,
    customer: Customer,
    unit: Unit,
    day: dt.date,
    zone: ZoneInfo,
    rng: random.Random,
    now: dt.datetime,
    urgent: bool = False,
) -> bool:
    """Open a repair request for the unit and book its visit on the day; False when no window is left."""
    windows = [w for w in WINDOWS if clock_time(day, w[1], zone) > now + dt.timedelta(hours=1)]
    if not windows:
        return False
    first = rng.choice(windows)
    chosen = [first]
    if rng.random() < 0.25:
        # The customer accepts either of two windows: the plan picks one.
        other = rng.choice(windows)
        if other != first:
            chosen.append(other)
    spans = tuple((max(clock_time(day, s, zone), now), clock_time(day, e, zone)) for s, e in chosen)
    category = catalogue.CATEGORY_OF_MODEL.get(unit.product_model.code, catalogue.CATEGORIES[0])
    symptom = rng.choice(category.faults)[0]
    sr = request_open(
        actor=clerk,
        intake=RequestInput(
            call_type=CallType.REPAIR,
            customer_id=customer.pk,
            unit_serial=unit.serial,
            symptom=symptom,
            priority=Priority.URGENT if urgent else Priority.NORMAL,
            window_start=spans[0][0],
            window_end=spans[0][1],
        ),
    )
    if sr.to_verify or sr.address is None or sr.address.latitude is None:
        return False
    try:
        work_order_open(actor=clerk, request=sr, visit=WorkOrderInput(windows=spans))
    except Conflict:
        return False  # no engineer has room left in the windows: the hotline would offer another day
    return True


def field_day_load(
    *,
    outlet: Outlet,
    clerk: Actor,
    holders: Sequence[tuple[Customer, Unit]],
    rng: random.Random,
    zone: ZoneInfo,
    progress: Callable[[str], None],
) -> None:
    """Book the outlet's visits for the planning day, optimise and commit them, then book a few more."""
    now = timezone.now()
    local = timezone.localtime(now, zone)
    day = local.date() if local.hour < LAST_PLANNING_HOUR else local.date() + dt.timedelta(days=1)
    # Customers the hotline can book at once: a phone, an address on the map, a purchase date on the unit.
    bookable = set(
        Customer.objects.filter(
            pk__in=[c.pk for c, _u in holders], phones__isnull=False, addresses__latitude__isnull=False
        ).values_list("pk", flat=True)
    )
    pool = [(c, u) for c, u in holders if c.pk in bookable and u.purchase_date is not None]
    rng.shuffle(pool)
    booked = 0
    for i, (customer, unit) in enumerate(pool[:TODAY_VISITS]):
        booked += _book(clerk=clerk, customer=customer, unit=unit, day=day, zone=zone, rng=rng, now=now, urgent=i == 3)
    plan = plan_request(actor=clerk, outlet_id=outlet.pk, day=day, seconds=PLAN_SECONDS, reason="")
    plan = plan_run(plan_id=plan.pk) or plan
    served = sum(len(r["visits"]) for r in plan.proposal.get("plan", {}).get("routes", []))
    if plan.status == "ready":
        plan_commit(actor=clerk, plan=plan)
    late = pool[TODAY_VISITS : TODAY_VISITS + LATE_BOOKINGS]
    for customer, unit in late:
        _book(clerk=clerk, customer=customer, unit=unit, day=day, zone=zone, rng=rng, now=now)
    tomorrow = day + dt.timedelta(days=1)
    for customer, unit in pool[TODAY_VISITS + LATE_BOOKINGS : TODAY_VISITS + LATE_BOOKINGS + TOMORROW_VISITS]:
        _book(clerk=clerk, customer=customer, unit=unit, day=tomorrow, zone=zone, rng=rng, now=now)
    progress(
        f"field day {day}: {booked} visits booked, {served} planned and committed for {outlet.name}, "
        f"{len(late)} booked since, {TOMORROW_VISITS} for {tomorrow}"
    )
