"""Measured quality at scale on PostgreSQL (issue 14 item 6): the /quality/ page and /api/v1/quality/ answer in ≤ 1 s
with 1,000,000 completed visits and 200,000 callbacks.

Loads 20 outlets in 2 regions with 10 engineers each, 1,000,000 completed visits (each with its request) over the
last 12 months, 200,000 finished callbacks (180,000 sampled, 20,000 rule-made), 300,000 first-response and 20,000
complaint-disposition clocks — set-based SQL (INSERT … SELECT generate_series), in a minute or two. Then times the
page (quarter to date, and the whole year by engineer) and each API endpoint as a head-office service manager with
the Django test client: p50/p99 over 20 requests each, after one warm-up.

Usage: .venv/bin/python bench/quality.py [--visits 1000000] [--callbacks 200000] [--requests 20] [--database-url URL]
Target: p99 ≤ 1 s for the page and each API endpoint.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fresh_database, migrate, setup_django, summary, write_results  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/wuyou_bench_quality"
OUTLETS = 20
ENGINEERS_PER_OUTLET = 10
MODELS = 20


def insert_select(model: Any, values: dict[str, str], source: str, params: list[Any] | None = None) -> None:
    """INSERT INTO the model's table the columns given as SQL expressions over `source`; every other NOT NULL
    column gets the field's default (so fields added later by others do not break the bench)."""
    from django.db import connection

    columns, exprs, defaults = [], [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        if f.column in values:
            columns.append(f.column)
            exprs.append(values[f.column])
        elif not f.null:
            columns.append(f.column)
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                exprs.append("now()")
            else:
                exprs.append("%s")
                defaults.append(f.get_db_prep_save(f.get_default(), connection))
    # The defaults' placeholders stand in the SELECT list in column order; expressions write % as %%.
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(exprs)} FROM {source}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*defaults, *(params or [])])


def seed(visits: int, callbacks: int) -> dict[str, Any]:
    """The network, then the visits, callbacks and clocks in set-based SQL."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from wuyou.accounts.models import Organisation, Outlet, Region, Role, StaffProfile
    from wuyou.customers.models import Customer
    from wuyou.dispatch.models import WorkOrder
    from wuyou.products.models import ProductCategory, ProductModel, Unit
    from wuyou.quality.models import Callback, SamplingPlan
    from wuyou.tickets.models import RequestClock, ServiceRequest

    users = get_user_model().objects
    org = Organisation.objects.create(code="bench", name="基准电器")
    SamplingPlan.objects.create(organisation=org)
    regions = [Region.objects.create(organisation=org, code=f"r{k}", name=f"第{k + 1}片区") for k in range(2)]
    categories = [ProductCategory.objects.create(code=f"c{k}", name=f"品类{k}") for k in range(4)]
    models = [
        ProductModel.objects.create(code=f"KFR-{k:02d}", name=f"型号{k}", category=categories[k % 4])
        for k in range(MODELS)
    ]
    outlets, engineers, units = [], [], []
    for n in range(OUTLETS):
        outlet = Outlet.objects.create(region=regions[n % 2], code=f"o{n:02d}", name=f"第{n + 1}网点")
        outlets.append(outlet)
        customer = Customer.objects.create(name=f"客户{n}", outlet=outlet)
        for k in range(ENGINEERS_PER_OUTLET):
            user = users.create_user(f"eng-{n}-{k}")
            engineers.append(
                StaffProfile.objects.create(user=user, role=Role.ENGINEER, outlet=outlet, display_name=f"工程师{n}-{k}")
            )
        for m in models:
            units.append(Unit.objects.create(serial=f"BQ{n:02d}{m.pk:04d}", product_model=m, owner=customer).pk)
    manager_user = users.create_user("bench-manager")
    StaffProfile.objects.create(user=manager_user, role=Role.SERVICE_MANAGER, display_name="总部服务经理")
    customers = {c.outlet_id: c.pk for c in Customer.objects.all()}
    outlet_ids = [o.pk for o in outlets]
    PER = ENGINEERS_PER_OUTLET  # noqa: N806
    engineer_ids = [e.pk for e in engineers]
    # Row g belongs to outlet g % 20, engineer (g // 20) % 10 of that outlet, model g % 20 (its unit at the outlet).
    outlet_case = "CASE g %% 20 " + " ".join(f"WHEN {i} THEN {o}" for i, o in enumerate(outlet_ids)) + " END"
    customer_case = (
        "CASE g %% 20 " + " ".join(f"WHEN {i} THEN {customers[o]}" for i, o in enumerate(outlet_ids)) + " END"
    )
    engineer_arr = "(ARRAY[" + ",".join(str(e) for e in engineer_ids) + "]::bigint[])"
    unit_arr = "(ARRAY[" + ",".join(str(u) for u in units) + "]::bigint[])"
    # The visit g finished g minutes × (a year / visits) ago: spread evenly over the last 365 days.
    finished = f"now() - (g::float / {visits} * 365) * interval '1 day'"
    base = f"generate_series(1, {visits}) AS g"
    insert_select(
        ServiceRequest,
        {
            "number": "'SRQ' || lpad(g::text, 9, '0')",
            "call_type": "'repair'",
            "status": "'closed'",
            "customer_id": customer_case,
            "outlet_id": outlet_case,
            "unit_id": f"{unit_arr}[1 + (g %% 20) * {MODELS} + (g %% {MODELS})]",
            "symptom": "'不制冷'",
            "created_at": f"{finished} - interval '2 days'",
            "resolved_at": finished,
        },
        base,
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id) FROM {ServiceRequest._meta.db_table}")
        first_request = cursor.fetchone()[0]
    insert_select(
        WorkOrder,
        {
            "number": "'WOQ' || lpad(g::text, 9, '0')",
            "request_id": f"{first_request} + g - 1",
            "outlet_id": outlet_case,
            "job_type": "'repair'",
            "status": "'done'",
            "duration_minutes": "60",
            "address_text": "'香港中路10号'",
            "latitude": "36.06",
            "longitude": "120.38",
            "engineer_id": f"{engineer_arr}[1 + (g %% 20) * {PER} + ((g / 20) %% {PER})]",
            "window_start": f"{finished} - interval '3 hours'",
            "window_end": f"{finished} - interval '1 hour'",
            "arrived_at": f"{finished} - interval '2 hours' + (g %% 7) * interval '20 minutes'",
            "finished_at": finished,
            "quality_rating": "CASE WHEN g %% 3 = 0 THEN NULL ELSE 3 + g %% 3 END",
            "attitude_rating": "CASE WHEN g %% 3 = 0 THEN NULL ELSE 4 + g %% 2 END",
        },
        base,
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id) FROM {WorkOrder._meta.db_table}")
        first_visit = cursor.fetchone()[0]
    # Callbacks: every (visits / callbacks)-th visit; 9 in 10 sampled, the rest rule-made (after an uncertain repair).
    step = max(1, visits // callbacks)
    sampled = "(k %% 10) <> 0"
    # Outlet 3 does worse (about 80 % satisfied) so the verdicts differ.
    status = "CASE WHEN k %% 13 = 0 THEN 'unreachable' WHEN k %% 29 = 0 THEN 'refused' ELSE 'done' END"
    outcome = (
        "CASE WHEN k %% 13 = 0 THEN 'no_answer' WHEN k %% 29 = 0 THEN 'refused' "
        "WHEN (g %% 20 = 3 AND k %% 5 = 0) OR k %% 17 = 0 THEN 'unsatisfied' ELSE 'satisfied' END"
    )
    insert_select(
        Callback,
        {
            "request_id": f"{first_request} + g - 1",
            "work_order_id": f"{first_visit} + g - 1",
            "reason": f"CASE WHEN {sampled} THEN 'sample' ELSE 'uncertain_repair' END",
            "due_at": f"{finished} + interval '1 day'",
            "call_at": f"{finished} + interval '1 day'",
            "status": status,
            "outcome": outcome,
            "done_at": f"{finished} + interval '1 day 2 hours'",
            "attempts": "1",
        },
        f"(SELECT k, k * {step} AS g FROM generate_series(1, {callbacks}) AS k) AS s",
    )
    # Clocks: first response for 300,000 requests, complaint disposition for 20,000 (2 % late, 1 % open past due).
    for step_name, count, every in (("first_response", 300_000, 3), ("complaint_disposition", 20_000, 50)):
        count = min(count, visits // every)
        insert_select(
            RequestClock,
            {
                "request_id": f"{first_request} + g * {every} - 1",
                "step": f"'{step_name}'",
                "unit": "'working_days'",
                "chain": "'[\"responsible\"]'::jsonb",
                "state": "'stopped'",
                "outcome": "CASE WHEN g %% 100 = 0 THEN '' WHEN g %% 50 = 0 THEN 'missed' ELSE 'met' END",
                "started_at": f"now() - (g::float * {every} / {visits} * 365) * interval '1 day' - interval '3 days'",
                "warn_at": f"now() - (g::float * {every} / {visits} * 365) * interval '1 day' - interval '1 day'",
                "due_at": f"now() - (g::float * {every} / {visits} * 365) * interval '1 day'",
                "escalate_seconds": "3600",
            },
            f"generate_series(1, {count}) AS g",
        )
    with connection.cursor() as cursor:
        for model in (ServiceRequest, WorkOrder, Callback, RequestClock):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return {"manager": manager_user, "outlets": outlet_ids}


def time_calls(client: Any, path: str, params: dict[str, str], count: int) -> tuple[dict[str, float], int]:
    response = client.get(path, params)  # warm-up (templates, plan cache)
    status = response.status_code
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path, params)
        samples.append(time.perf_counter() - started)
        status = max(status, response.status_code)
    return summary(samples), status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--callbacks", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--reuse", action="store_true", help="time again on the data a previous run loaded")
    args = parser.parse_args()

    if not args.reuse:
        fresh_database(args.database_url)
        migrate(args.database_url)
    setup_django(args.database_url)
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from wuyou.quality.measured import add_months, month_start

    settings.ALLOWED_HOSTS.append("testserver")
    # The second factor is the login's business, not the figures': the bench's session counts as verified.
    settings.WUYOU_REQUIRE_2FA = False
    started = time.perf_counter()
    if args.reuse:
        from django.contrib.auth import get_user_model

        world = {"manager": get_user_model().objects.get(username="bench-manager")}
    else:
        world = seed(args.visits, args.callbacks)
    seeded = time.perf_counter() - started
    client = Client()
    client.force_login(world["manager"])
    this = month_start(timezone.localdate())
    year = {"month_from": f"{add_months(this, -11):%Y-%m}", "month_to": f"{this:%Y-%m}"}
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    lines = [
        f"quality bench — PostgreSQL {pg}, {args.visits:,} completed visits, {args.callbacks:,} callbacks "
        f"(seeded in {seeded:.1f} s), {args.requests} requests each, Python {platform.python_version()}, "
        f"{platform.machine()}; as a head-office service manager (sees all 20 outlets)",
    ]
    figures: dict[str, Any] = {"visits": args.visits, "callbacks": args.callbacks, "runs": []}
    calls = [
        ("page /quality/ (quarter to date, by outlet)", "/quality/", {}),
        ("page /quality/ (12 months, by engineer)", "/quality/", {**year, "breakdown": "engineer"}),
        ("page /quality/ (12 months, by month)", "/quality/", {**year, "breakdown": "month"}),
        (
            "csv satisfaction (12 months, by model)",
            "/quality/",
            {**year, "breakdown": "model", "export": "csv", "table": "satisfaction"},
        ),
        ("api satisfaction (quarter to date)", "/api/v1/quality/satisfaction", {}),
        ("api gaps (quarter to date)", "/api/v1/quality/gaps", {}),
        ("api satisfaction (12 months)", "/api/v1/quality/satisfaction", year),
        ("api complaints (12 months)", "/api/v1/quality/complaints", year),
        ("api response-rate (12 months)", "/api/v1/quality/response-rate", year),
        ("api gaps (12 months)", "/api/v1/quality/gaps", year),
    ]
    worst = 0.0
    for label, path, params in calls:
        figures_run, status = time_calls(client, path, params, args.requests)
        worst = max(worst, figures_run["p99_ms"])
        lines.append(
            f"{label:<46} p50 {figures_run['p50_ms']:8.1f} ms  p99 {figures_run['p99_ms']:8.1f} ms  (HTTP {status})"
        )
        figures["runs"].append({"call": label, "path": path, "params": params, "status": status, **figures_run})
    verdict = "met" if worst <= 1000 else "MISSED"
    lines.append(f"target every p99 <= 1000 ms: worst {worst:.1f} ms — {verdict}")
    figures["worst_p99_ms"] = worst
    write_results("quality", lines, figures)


if __name__ == "__main__":
    main()
