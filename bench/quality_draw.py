"""The daily sample draw at scale on PostgreSQL (issue 14 item 5, R-G2).

Builds COMPLETED jobs finished yesterday (default 50,000, over 8 outlets, 40 engineers and 4 product categories;
a few customers without consent, some with open requests, some called back lately, some with contact windows),
then times `sampling_draw_day` for yesterday at the plan's default 20 % plus a minimum per engineer: the eligible
population, the seeded draw, the SampleDraw row and one SAMPLE callback per drawn job with its clock and history.
A second call for the same day shows the cost when it is done.

Usage: .venv/bin/python bench/quality_draw.py [--jobs 50000] [--rate 20] [--database-url URL]
Target: the draw over 50,000 completed jobs in <= 10 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fresh_database, migrate, setup_django, write_results  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/wuyou_bench_quality_draw"
SHANGHAI = ZoneInfo("Asia/Shanghai")
BATCH = 5000


def seed(jobs: int, rate: Decimal, rng: random.Random, day: dt.date) -> None:
    """The network and `jobs` completed visits finished on `day`, with their customers, units and requests."""
    from django.contrib.auth import get_user_model

    from wuyou.accounts.models import Organisation, Outlet, Region, Role, StaffProfile
    from wuyou.customers.models import ContactWindow, Customer
    from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
    from wuyou.products.models import ProductCategory, ProductModel, Unit
    from wuyou.quality.models import Callback, CallbackReason, CallbackStatus, SamplingPlan, SamplingRate
    from wuyou.tickets.clocks import time_limits_install
    from wuyou.tickets.models import ServiceRequest, Status

    time_limits_install()
    users = get_user_model().objects
    org = Organisation.objects.create(code="bench", name="基准电器")
    region = Region.objects.create(organisation=org, code="r1", name="市北片区")
    outlets = [Outlet.objects.create(region=region, code=f"o{n}", name=f"第{n + 1}网点") for n in range(8)]
    engineers: list[StaffProfile] = []
    for n in range(40):
        user = users.create_user(f"engineer-{n}")
        engineers.append(
            StaffProfile.objects.create(user=user, role=Role.ENGINEER, outlet=outlets[n % 8], display_name=f"师傅{n}")
        )
    categories = [ProductCategory.objects.create(code=f"c{n}", name=f"品类{n}") for n in range(4)]
    models = [ProductModel.objects.create(code=f"M{n}", name=f"型号{n}", category=categories[n % 4]) for n in range(12)]
    plan = SamplingPlan.objects.create(organisation=org, default_rate=rate, minimum_per_engineer_month=30)
    SamplingRate.objects.create(plan=plan, outlet=outlets[0], rate=Decimal(40))
    SamplingRate.objects.create(plan=plan, outlet=outlets[1], engineer=engineers[1], rate=Decimal(60))

    customers = Customer.objects.bulk_create(
        [
            Customer(
                name=f"客户{i}",
                outlet=outlets[i % 8],
                consent_service_calls=rng.random() > 0.03,
                dont_call_at_work=rng.random() < 0.2,
            )
            for i in range(jobs)
        ],
        batch_size=BATCH,
    )
    ContactWindow.objects.bulk_create(
        [
            ContactWindow(customer=c, days="any", starts_at=dt.time(18), ends_at=dt.time(21))
            for c in customers
            if rng.random() < 0.2
        ],
        batch_size=BATCH,
    )
    units = Unit.objects.bulk_create(
        [Unit(serial=f"B{i:09d}", product_model=models[i % 12], owner=c) for i, c in enumerate(customers)],
        batch_size=BATCH,
    )
    requests = ServiceRequest.objects.bulk_create(
        [
            ServiceRequest(
                number=f"SRB{i:09d}",
                call_type="repair",
                status=Status.RESOLVED if rng.random() > 0.05 else Status.IN_PROGRESS,
                customer=c,
                unit=units[i],
                outlet=c.outlet,
                symptom="空调不制冷",
            )
            for i, c in enumerate(customers)
        ],
        batch_size=BATCH,
    )
    start = dt.datetime.combine(day, dt.time(8), tzinfo=SHANGHAI)
    work_orders = WorkOrder.objects.bulk_create(
        [
            WorkOrder(
                number=f"WOB{i:09d}",
                request=r,
                outlet=r.outlet,
                engineer=engineers[(i % 8) + 8 * rng.randrange(5)],
                job_type="repair",
                status=WorkOrderStatus.DONE,
                duration_minutes=60,
                address_text="青岛市市南区香港中路10号",
                latitude=Decimal("36.06"),
                longitude=Decimal("120.38"),
                finished_at=start + dt.timedelta(minutes=rng.randrange(12 * 60)),
            )
            for i, r in enumerate(requests)
        ],
        batch_size=BATCH,
    )
    # Survey fatigue: 5 % of the customers were called back in the last weeks about an earlier job.
    earlier = dt.datetime.combine(day, dt.time(10), tzinfo=SHANGHAI) - dt.timedelta(days=10)
    Callback.objects.bulk_create(
        [
            Callback(
                request=r,
                reason=CallbackReason.PHONE_GUIDANCE,
                due_at=earlier,
                call_at=earlier,
                status=CallbackStatus.DONE,
                outcome="satisfied",
                done_at=earlier,
            )
            for r in requests
            if rng.random() < 0.05
        ],
        batch_size=BATCH,
    )
    del work_orders
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


class QueryCount:
    """Counts the statements the draw sends (an execute wrapper: works with DEBUG off)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.count += 1
        return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50_000)
    parser.add_argument("--rate", type=Decimal, default=Decimal(20), help="the plan's default sample rate, %%")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()

    fresh_database(args.database_url)
    migrate(args.database_url)
    setup_django(args.database_url)
    from django.db import connection

    from wuyou.quality.models import Callback
    from wuyou.quality.services.sampling import sampling_draw_day, sampling_draw_redo

    now = dt.datetime.now(SHANGHAI).replace(hour=7, minute=0, second=0, microsecond=0)
    day = now.date() - dt.timedelta(days=1)
    started = time.perf_counter()
    seed(args.jobs, args.rate, random.Random(2026), day)
    seeded = time.perf_counter() - started

    counter = QueryCount()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        draw = sampling_draw_day(day=day, now=now)
        seconds = time.perf_counter() - started
    assert draw is not None
    again = QueryCount()
    with connection.execute_wrapper(again):
        started = time.perf_counter()
        second = sampling_draw_day(day=day, now=now)
        done_ms = (time.perf_counter() - started) * 1000
    assert second is None
    started = time.perf_counter()
    redone = sampling_draw_redo(draw) == draw.drawn
    redo_s = time.perf_counter() - started
    callbacks = Callback.objects.filter(draw=draw).count()
    counts = draw.settings["counts"]
    verdict = "met" if seconds <= 10 else "MISSED"
    lines = [
        f"quality draw bench — PostgreSQL, {args.jobs:,} completed jobs (seeded in {seeded:.1f} s), "
        f"default rate {args.rate} %, Python {platform.python_version()}, {platform.machine()}",
        f"eligible {counts['eligible']:,}, left out {counts['left_out']:,} {counts['left_out_by_reason']}",
        f"drawn {counts['drawn']:,} → {callbacks:,} sample callbacks with clocks and history",
        f"draw: {seconds:.2f} s = {args.jobs / seconds:,.0f} completed jobs/s, {counter.count} queries",
        f"again (already drawn): {done_ms:.1f} ms, {again.count} queries",
        f"redo from the seed: {redo_s:.2f} s, same jobs: {redone}",
        f"target draw over 50,000 completed jobs <= 10 s: {seconds:.2f} s — {verdict}",
    ]
    figures = {
        "jobs": args.jobs,
        "rate": float(args.rate),
        "eligible": counts["eligible"],
        "left_out": counts["left_out_by_reason"],
        "drawn": counts["drawn"],
        "callbacks": callbacks,
        "seconds": round(seconds, 3),
        "jobs_per_s": round(args.jobs / seconds),
        "queries": counter.count,
        "already_drawn_ms": round(done_ms, 1),
        "redo_s": round(redo_s, 3),
        "redo_same": redone,
    }
    write_results("quality_draw", lines, figures)


if __name__ == "__main__":
    main()
