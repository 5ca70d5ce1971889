"""Intake throughput and lookup latency on PostgreSQL (issue 2).

(1) Create N service requests over HTTP with C concurrent clients against gunicorn, beside a bare
Django view that inserts one row (the framework floor); print throughput, p50/p99 and the ratio.
(2) Load 1,000,000 customers and 1,500,000 units; time phone and serial lookups (p50/p99), in
process through the selectors and over HTTP through /api/v1/lookup.

Usage: .venv/bin/python bench/intake.py [--requests 5000] [--clients 8] [--workers 4]
       [--customers 1000000] [--units 1500000] [--skip-lookup] [--skip-intake]
Targets: intake/floor ratio >= 0.5; lookup p99 <= 20 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Server, fresh_database, migrate, setup_django, summary, write_results  # noqa: E402

SYMPTOMS = ["空调不制冷，室外机不转", "洗衣机脱水时噪音大", "热水器点火后熄火", "冰箱冷藏室结冰", "壁挂炉显示E1故障"]


def seed_small(customers: int) -> tuple[str, list[tuple[int, str]]]:
    """An outlet, an integration token and customers with one unit each; returns the token and (customer, serial)."""
    from django.contrib.auth import get_user_model

    from wuyou.accounts.models import Organisation, Outlet, Region, Role, StaffProfile
    from wuyou.accounts.services import api_token_issue
    from wuyou.customers.models import Address, Customer, CustomerPhone
    from wuyou.products.models import ProductCategory, ProductModel, Unit

    org = Organisation.objects.create(code="bench", name="基准电器")
    region = Region.objects.create(organisation=org, code="r1", name="片区")
    outlet = Outlet.objects.create(region=region, code="o1", name="网点", latitude=36.07, longitude=120.38)
    user = get_user_model().objects.create_user("bench-integration")
    StaffProfile.objects.create(user=user, role=Role.INTEGRATION, display_name="bench")
    _, secret = api_token_issue(name="bench", user_id=user.pk)
    category = ProductCategory.objects.create(code="ac", name="空调")
    model = ProductModel.objects.create(code="KFR-35GW/BENCH", name="空调", category=category)
    people = Customer.objects.bulk_create([Customer(name=f"客户{i}", outlet=outlet) for i in range(customers)])
    CustomerPhone.objects.bulk_create(
        [CustomerPhone(customer=c, number=f"139{c.pk:08d}", kind="mobile", is_primary=True) for c in people]
    )
    Address.objects.bulk_create(
        [
            Address(
                customer=c,
                city="青岛市",
                district="市南区",
                detail=f"香港中路{c.pk}号",
                latitude=36.06,
                longitude=120.38,
                is_primary=True,
            )
            for c in people
        ]
    )
    units = Unit.objects.bulk_create(
        [Unit(serial=f"BENCH{c.pk:09d}", product_model=model, owner=c, purchase_date="2025-01-01") for c in people]
    )
    return secret, [(u.owner_id, u.serial) for u in units]


def post(url: str, path: str, body: dict[str, object], headers: dict[str, str]) -> tuple[int, float]:
    host, port = url.removeprefix("http://").split(":")
    started = time.perf_counter()
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("POST", path, json.dumps(body, ensure_ascii=False).encode(), headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, time.perf_counter() - started


def load(
    url: str, path: str, bodies: list[dict[str, object]], headers: dict[str, str], clients: int
) -> tuple[float, list[float], int]:
    """Send all bodies with `clients` concurrent clients; returns wall time, latencies, error count."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def one(body: dict[str, object]) -> None:
        nonlocal errors
        status, seconds = post(url, path, body, headers)
        with lock:
            latencies.append(seconds)
            if status != 201:
                errors += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, bodies))
    return time.perf_counter() - started, latencies, errors


def intake(args: argparse.Namespace, lines: list[str], figures: dict[str, object]) -> None:
    secret, pairs = seed_small(1000)
    server = Server(args.database_url, args.port, args.workers)
    try:
        rnd = random.Random(2)
        auth = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

        def bodies(n: int) -> list[dict[str, object]]:
            out = []
            for _ in range(n):
                customer_id, serial = rnd.choice(pairs)
                out.append(
                    {
                        "call_type": "repair",
                        "customer_id": customer_id,
                        "unit_serial": serial,
                        "symptom": rnd.choice(SYMPTOMS),
                        "channel": "api",
                    }
                )
            return out

        load(server.url, "/api/v1/requests", bodies(200), auth, args.clients)  # warm-up
        load(server.url, "/bench/floor/", bodies(200), {"Content-Type": "application/json"}, args.clients)
        for name, path, headers in (
            ("intake", "/api/v1/requests", auth),
            ("floor", "/bench/floor/", {"Content-Type": "application/json"}),
        ):
            wall, latencies, errors = load(server.url, path, bodies(args.requests), headers, args.clients)
            stats = summary(latencies)
            figures[name] = {
                "requests": args.requests,
                "clients": args.clients,
                "seconds": round(wall, 2),
                "per_second": round(args.requests / wall, 1),
                "errors": errors,
                **stats,
            }
            lines.append(
                f"{name:7s} {args.requests} POSTs, {args.clients} clients: "
                f"{args.requests / wall:7.1f} req/s  p50 {stats['p50_ms']:6.1f} ms  "
                f"p99 {stats['p99_ms']:6.1f} ms  errors {errors}"
            )
        ratio = figures["intake"]["per_second"] / figures["floor"]["per_second"]  # type: ignore[index]
        figures["ratio"] = round(ratio, 3)
        lines.append(f"ratio   intake/floor throughput = {ratio:.2f}  (target >= 0.5)")
    finally:
        server.stop()


def bulk_load(customers: int, units: int) -> None:
    """Load customers, phones and units with set-based SQL (minutes, not hours)."""
    from django.db import connection

    from wuyou.accounts.models import Outlet
    from wuyou.products.models import ProductModel

    outlet_id = Outlet.objects.values_list("pk", flat=True).first()
    model_id = ProductModel.objects.values_list("pk", flat=True).first()
    with connection.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0) FROM customers_customer")
        base = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO customers_customer (kind, name, contact_person, outlet_id, dont_call_at_work,"
            " consent_service_calls, consent_marketing, note, created_at, updated_at)"
            " SELECT 'person', '客户' || g, '', %s, false, true, false, '', now(), now()"
            " FROM generate_series(1, %s) g",
            [outlet_id, customers],
        )
        cur.execute(
            "INSERT INTO customers_customerphone (customer_id, number, kind, label, is_primary)"
            " SELECT id, '13' || lpad(id::text, 9, '0'), 'mobile', '', true FROM customers_customer WHERE id > %s",
            [base],
        )
        cur.execute(
            "INSERT INTO products_unit (serial, product_model_id, owner_id, purchase_date, created_at, updated_at)"
            " SELECT 'SN' || lpad(g::text, 10, '0'), %s, %s + 1 + (g %% %s), DATE '2024-01-01', now(), now()"
            " FROM generate_series(1, %s) g",
            [model_id, base, customers, units],
        )
        cur.execute("ANALYZE")


def lookup(args: argparse.Namespace, lines: list[str], figures: dict[str, object]) -> None:
    from wuyou.accounts.actors import Actor
    from wuyou.accounts.models import ApiToken, Role
    from wuyou.accounts.services import api_token_issue
    from wuyou.customers.models import Customer
    from wuyou.customers.selectors import customer_search
    from wuyou.products.models import Unit
    from wuyou.products.selectors import unit_get_by_serial

    started = time.perf_counter()
    bulk_load(args.customers, args.units)
    counts = (Customer.objects.count(), Unit.objects.count())
    lines.append(f"loaded  {counts[0]:,} customers, {counts[1]:,} units in {time.perf_counter() - started:.0f} s")
    token = ApiToken.objects.first()
    assert token is not None
    actor = Actor(user_id=token.user_id, role=Role.SERVICE_MANAGER)
    rnd = random.Random(3)
    max_id = Customer.objects.order_by("-pk").values_list("pk", flat=True)[0]
    phones = [f"13{rnd.randint(max_id - args.customers + 1, max_id):09d}" for _ in range(args.lookups)]
    serials = [f"SN{rnd.randint(1, args.units):010d}" for _ in range(args.lookups)]

    def timed(fn, values):  # type: ignore[no-untyped-def]
        samples = []
        for value in values:
            t = time.perf_counter()
            fn(value)
            samples.append(time.perf_counter() - t)
        return summary(samples)

    results = {
        "phone (selector)": timed(lambda p: customer_search(actor=actor, query=p), phones),
        "serial (selector)": timed(lambda s: unit_get_by_serial(actor=actor, serial=s), serials),
    }
    _, secret = api_token_issue(name="lookup", user_id=token.user_id, role=Role.SERVICE_MANAGER)
    server = Server(args.database_url, args.port, args.workers)
    try:
        host_port = server.url.removeprefix("http://").split(":")

        def over_http(param: str):  # type: ignore[no-untyped-def]
            conn = http.client.HTTPConnection(host_port[0], int(host_port[1]), timeout=10)

            def fetch(value: str) -> None:
                conn.request("GET", f"/api/v1/lookup?{param}={value}", headers={"Authorization": f"Bearer {secret}"})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"lookup {param}={value}: HTTP {response.status}")
                conn.close()

            return fetch

        # Warm every worker (connection, catalogues, first-call imports) as a running server would be.
        timed(over_http("phone"), phones[-100:])
        timed(over_http("serial"), serials[-100:])
        results["phone (HTTP)"] = timed(over_http("phone"), phones[:500])
        results["serial (HTTP)"] = timed(over_http("serial"), serials[:500])
    finally:
        server.stop()
    figures["lookup"] = results
    for name, stats in results.items():
        lines.append(
            f"lookup  {name:18s} p50 {stats['p50_ms']:6.2f} ms  p99 {stats['p99_ms']:6.2f} ms  (target p99 <= 20 ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wuyou_bench")
    )
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=1_500_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--skip-intake", action="store_true")
    parser.add_argument("--skip-lookup", action="store_true")
    args = parser.parse_args()

    fresh_database(args.database_url)
    migrate(args.database_url)
    setup_django(args.database_url)
    lines = [
        f"# bench/intake.py on {platform.node()} ({os.cpu_count()} cores), PostgreSQL, gunicorn "
        f"{args.workers} sync workers, {time.strftime('%Y-%m-%d %H:%M')}"
    ]
    figures: dict[str, object] = {}
    if not args.skip_intake:
        intake(args, lines, figures)
    else:
        seed_small(10)
    if not args.skip_lookup:
        lookup(args, lines, figures)
    write_results("intake", lines, figures)


if __name__ == "__main__":
    main()
