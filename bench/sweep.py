"""The deadline sweeper at scale on PostgreSQL (issue 3).

Loads OPEN running clocks (default 1,000,000, one per open request over 8 outlets), then for each share due
(0.1 %, 1 %, 10 %) makes that many clocks due and times one sweep that claims and escalates all of them: one
event per clock and a message per person reached, written through the same code the server runs. A sweep with
nothing due shows the floor. Also times 100,000 `add_workdays` computations on the real calendar.

Usage: .venv/bin/python bench/sweep.py [--open 1000000] [--shares 0.001,0.01,0.1] [--database-url URL]
Targets: 10,000 due escalated in <= 5 s; cost grows with the number due, not the number open;
100,000 add-workdays in <= 1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fresh_database, migrate, setup_django, write_results  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/wuyou_bench_sweep"


def seed_network() -> tuple[list[int], int]:
    """8 outlets each with two clerks and a manager, head-office managers, and one customer per outlet."""
    from django.contrib.auth import get_user_model

    from wuyou.accounts.models import Organisation, Outlet, Region, Role, StaffProfile
    from wuyou.customers.models import Customer

    users = get_user_model().objects
    org = Organisation.objects.create(code="bench", name="基准电器")
    region = Region.objects.create(organisation=org, code="r1", name="市北片区")
    outlets, customers = [], []
    for n in range(8):
        outlet = Outlet.objects.create(region=region, code=f"o{n}", name=f"第{n + 1}网点")
        outlets.append(outlet.pk)
        customers.append(Customer.objects.create(name=f"客户{n}", outlet=outlet).pk)
        for role, count in ((Role.CLERK, 2), (Role.OUTLET_MANAGER, 1)):
            for k in range(count):
                user = users.create_user(f"{role}-{n}-{k}", email=f"{role}{n}{k}@example.cn")
                StaffProfile.objects.create(user=user, role=role, outlet=outlet, display_name=user.username)
    for role in (Role.SERVICE_MANAGER, Role.SERVICE_MANAGER, Role.ADMIN):
        user = users.create_user(f"{role}-{users.count()}")
        StaffProfile.objects.create(user=user, role=role, display_name=user.username)
    return outlets, customers[0]


def seed_clocks(open_count: int, outlets: list[int]) -> None:
    """OPEN open requests with one running repair clock each, due in the next weeks (set-based SQL, seconds)."""
    from django.db import connection

    from wuyou.customers.models import Customer
    from wuyou.tickets.models import RequestClock, ServiceRequest

    first_customer = {c.outlet_id: c.pk for c in Customer.objects.all()}
    cases = " ".join(f"WHEN {i} THEN {first_customer[o]}" for i, o in enumerate(outlets))
    outlet_cases = " ".join(f"WHEN {i} THEN {o}" for i, o in enumerate(outlets))
    chain = '["responsible", "outlet_manager", "service_manager", "head_of_service"]'
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {ServiceRequest._meta.db_table}
              (number, call_type, channel, priority, status, customer_id, outlet_id, contact_phone, reported_model,
               symptom, to_verify, missing_fields, version, due_at, created_at, updated_at)
            SELECT 'SRB' || lpad(g::text, 9, '0'), 'repair', 'hotline', 'normal', 'accepted',
                   CASE g %% 8 {cases} END, CASE g %% 8 {outlet_cases} END, '', '', '空调不制冷', false, '[]', 1,
                   now() + interval '3 days', now(), now()
            FROM generate_series(1, %s) AS g
            """,
            [open_count],
        )
        cursor.execute(
            f"""
            INSERT INTO {RequestClock._meta.db_table}
              (request_id, step, unit, chain, pauses_when_waiting, state, stage, level, outcome, provisional,
               started_at, warn_at, due_at, escalate_seconds, next_action_at, version)
            SELECT id, 'resolved', (ARRAY['business_hours','working_days','clock_hours'])[1 + id %% 3],
                   %s::jsonb, true, 'running', 'on_time', 0, '', false,
                   now(), now() + interval '1 day' + (id %% 1000) * interval '1 minute',
                   now() + interval '3 days' + (id %% 1000) * interval '1 minute', 14400,
                   now() + interval '1 day' + (id %% 1000) * interval '1 minute', 1
            FROM {ServiceRequest._meta.db_table}
            """,
            [chain],
        )
        cursor.execute(f"ANALYZE {ServiceRequest._meta.db_table}; ANALYZE {RequestClock._meta.db_table}")


def make_due(count: int, rng: random.Random) -> None:
    """Make `count` untouched clocks due now: half reach their warning, half their limit (a breach)."""
    from django.db import connection

    from wuyou.tickets.models import RequestClock

    table = RequestClock._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max(id) FROM {table}")
        top = cursor.fetchone()[0]
        ids = rng.sample(range(1, top + 1), count)
        cursor.execute(
            f"""
            UPDATE {table} SET
              stage = CASE WHEN id %% 2 = 0 THEN 'warned' ELSE 'on_time' END,
              warn_at = now() - interval '2 hours',
              due_at = CASE WHEN id %% 2 = 0 THEN now() - interval '1 minute' ELSE now() + interval '2 hours' END,
              next_action_at = CASE WHEN id %% 2 = 0 THEN now() - interval '1 minute'
                                    ELSE now() - interval '2 hours' END
            WHERE id = ANY(%s) AND level = 0 AND stage = 'on_time'
            """,
            [ids],
        )
        cursor.execute(f"ANALYZE {table}")


def time_sweep(profile: bool = False) -> tuple[float, object]:
    from wuyou.tickets.sweep import clocks_sweep

    if profile:
        import cProfile
        import pstats

        with cProfile.Profile() as profiler:
            started = time.perf_counter()
            report = clocks_sweep()
            seconds = time.perf_counter() - started
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        return seconds, report
    started = time.perf_counter()
    report = clocks_sweep()
    return time.perf_counter() - started, report


def time_workdays(n: int) -> float:
    from wuyou.accounts.selectors import calendar_for_outlet
    from wuyou.calendars.workdays import WorkCalendar

    calendar: WorkCalendar = calendar_for_outlet(None)
    rng = random.Random(7)
    starts = [dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(700)) for _ in range(n)]
    counts = [rng.randint(1, 30) for _ in range(n)]
    calendar.add_workdays(starts[0], 1)  # the year tables are built once per calendar, not per call
    started = time.perf_counter()
    for day, count in zip(starts, counts, strict=True):
        calendar.add_workdays(day, count)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=1_000_000)
    parser.add_argument("--shares", default="0.001,0.01,0.1")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of each sweep")
    args = parser.parse_args()
    shares = [float(s) for s in args.shares.split(",")]

    fresh_database(args.database_url)
    migrate(args.database_url)
    setup_django(args.database_url)
    from wuyou.notifications.models import Message
    from wuyou.tickets.models import RequestClock, RequestEvent

    started = time.perf_counter()
    outlets, _customer = seed_network()
    seed_clocks(args.open, outlets)
    seeded = time.perf_counter() - started
    rng = random.Random(2026)
    lines = [
        f"sweep bench — PostgreSQL, {args.open:,} open running clocks (seeded in {seeded:.1f} s), "
        f"Python {platform.python_version()}, {platform.machine()}",
    ]
    figures: dict[str, object] = {"open": args.open, "runs": []}
    empty_seconds, _ = time_sweep()
    lines.append(f"nothing due:  sweep {empty_seconds * 1000:8.1f} ms")
    figures["empty_sweep_ms"] = round(empty_seconds * 1000, 1)
    for share in shares:
        due = int(args.open * share)
        make_due(due, rng)
        events_before, messages_before = RequestEvent.objects.count(), Message.objects.count()
        seconds, report = time_sweep(args.profile)
        events = RequestEvent.objects.count() - events_before
        messages = Message.objects.count() - messages_before
        still_due = RequestClock.objects.filter(state="running", next_action_at__lte=dt.datetime.now(dt.UTC)).count()
        line = (
            f"{share:>6.1%} due: {report.acted:>7,} acted ({report.warned:,} warned, {report.breached:,} breached) "
            f"in {seconds:6.2f} s = {seconds / max(report.acted, 1) * 1e6:6.0f} µs/clock; "
            f"{events:,} events, {messages:,} messages; {still_due} left due"
        )
        lines.append(line)
        figures["runs"].append(  # type: ignore[union-attr]
            {
                "share": share,
                "due": due,
                "acted": report.acted,
                "seconds": round(seconds, 3),
                "us_per_clock": round(seconds / max(report.acted, 1) * 1e6, 1),
                "events": events,
                "messages": messages,
                "left_due": still_due,
            }
        )
    ten_k = next((r for r in figures["runs"] if r["due"] == 10_000), None)  # type: ignore[union-attr]
    if ten_k:
        verdict = "met" if ten_k["seconds"] <= 5 else "MISSED"
        lines.append(f"target 10,000 due escalated in <= 5 s: {ten_k['seconds']:.2f} s — {verdict}")
    workdays = time_workdays(100_000)
    figures["add_workdays_100k_s"] = round(workdays, 3)
    lines.append(f"100,000 add-workdays: {workdays:.3f} s — {'met' if workdays <= 1 else 'MISSED'} (target <= 1 s)")
    write_results("sweep", lines, figures)


if __name__ == "__main__":
    main()
