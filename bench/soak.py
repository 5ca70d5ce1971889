"""Soak: the REST API under mixed reads and writes for ten minutes on PostgreSQL (issue 12).

Loads the demo into a fresh scratch database, issues a head-office and an outlet API token, starts
gunicorn (sync workers, never recycled: no --max-requests) and drives /api/v1/ with C concurrent
clients: lists, details, searches and phone/serial lookups of customers, requests and visits;
customers filed, requests opened and moved, call notes written, POSTs with Idempotency-Key (some
replayed). Refusals the mix asks for on purpose (another outlet's customer: 404, a stale version:
409) are counted apart; a 5xx or a failed connection is an error. Per minute: requests, errors,
throughput, p50/p95 and each worker's RSS; at the end the totals, each worker's memory growth from
minute 1 to the last minute and PASS/FAIL. The server's log (tracebacks of any 5xx) is kept.

Usage: .venv/bin/python bench/soak.py [--minutes 10] [--clients 8] [--workers 4] [--database-url URL] [--drop]
Targets: 0 errors; every worker's RSS at the last minute within 10 % of its RSS at minute 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import http.client
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BIN, ROOT, django_env, fresh_database, percentile, setup_django, write_results  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/wuyou_soak"
SERVER_LOG = ROOT / "var" / "soak-server.log"
SYMPTOMS = ["空调不制冷，外机不转", "洗衣机脱水时噪音大", "热水器点火后熄火", "冰箱冷藏室结冰", "壁挂炉显示E1故障"]
MEMORY_TOLERANCE = 10.0  # per cent


# -- the world: tokens and the demo's ids -------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: int
    outlet_id: int
    name: str
    phone: str
    serials: tuple[str, ...]


@dataclass
class World:
    tokens: dict[str, str]  # "head_office" / "outlet" -> secret
    outlet_id: int
    customers: list[Person]
    requests: list[tuple[int, int]]  # (id, outlet_id)
    work_orders: list[tuple[int, int]]

    def people(self, role: str) -> list[Person]:
        return [p for p in self.customers if role == "head_office" or p.outlet_id == self.outlet_id]


def load_world(database_url: str) -> World:
    """Migrate and load the demo (`wuyou demo`), then issue the two tokens and read the ids the mix picks from."""
    SERVER_LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(SERVER_LOG.with_name("soak-demo.log"), "w") as log:  # the demo prints its own token: keep it out
        subprocess.run(
            [str(BIN / "wuyou"), "demo"], cwd=ROOT, env=django_env(database_url), stdout=log, stderr=log, check=True
        )
    setup_django(database_url)
    from django.contrib.auth import get_user_model
    from django.db import connections

    from wuyou.accounts.models import Role
    from wuyou.accounts.services import api_token_issue
    from wuyou.customers.models import Customer
    from wuyou.dispatch.models import WorkOrder
    from wuyou.tickets.models import ServiceRequest

    users = get_user_model().objects.select_related("staff__outlet")
    manager, clerk = users.get(username="manager"), users.get(username="outlet_clerk")
    outlet = clerk.staff.outlet
    assert outlet is not None, "the demo's outlet_clerk works at outlet 1"
    _, head_office = api_token_issue(name="soak head office", user_id=manager.pk, role=Role.SERVICE_MANAGER)
    _, at_outlet = api_token_issue(name="soak outlet", user_id=clerk.pk, role=Role.CLERK, outlet=outlet)
    people = []
    for c in Customer.objects.prefetch_related("phones", "units").order_by("pk"):
        phones = sorted(c.phones.all(), key=lambda p: (not p.is_primary, p.pk))
        if phones:
            serials = tuple(u.serial for u in c.units.all())
            people.append(Person(c.pk, c.outlet_id, c.name, phones[0].number, serials))
    world = World(
        tokens={"head_office": head_office, "outlet": at_outlet},
        outlet_id=outlet.pk,
        customers=people,
        requests=list(ServiceRequest.objects.values_list("pk", "outlet_id")),
        work_orders=list(WorkOrder.objects.values_list("pk", "request__outlet_id")),
    )
    connections.close_all()
    return world


# -- the server ---------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SoakServer:
    """gunicorn on config.wsgi, its log in a file; workers are never recycled (no --max-requests)."""

    def __init__(self, database_url: str, workers: int):
        from gunicorn.config import KNOWN_SETTINGS

        self.port = free_port()
        env = django_env(database_url)
        # The production settings (not bench.settings): their console handler writes every 5xx's traceback.
        env.update(DJANGO_SETTINGS_MODULE="config.settings", WUYOU_LOG_LEVEL="WARNING")
        command = [str(BIN / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{self.port}"]
        command += ["--workers", str(workers), "--access-logfile", "/dev/null", "--log-level", "warning"]
        if any("--no-control-socket" in (s.cli or ()) for s in KNOWN_SETTINGS):
            command.append("--no-control-socket")  # gunicorn >= 25: one fixed socket path per user otherwise
        SERVER_LOG.parent.mkdir(parents=True, exist_ok=True)
        self.log = open(SERVER_LOG, "w")  # noqa: SIM115 (open for the server's lifetime)
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=self.log, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if len(self.workers()) == workers and self._answers():
                return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn did not start; see {SERVER_LOG}")

    def _answers(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    def workers(self) -> list[psutil.Process]:
        return sorted(psutil.Process(self.proc.pid).children(), key=lambda p: p.pid)

    def rss_mib(self) -> dict[int, float]:
        return {p.pid: p.memory_info().rss / 2**20 for p in self.workers()}

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        self.log.close()


# -- the figures --------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    requests: int = 0
    errors: int = 0  # 5xx and exceptions
    expected_4xx: int = 0
    unexpected: int = 0  # a status the mix did not expect (< 500): the mix or the API is wrong
    latencies: list[float] = field(default_factory=list)


class Recorder:
    """Per-minute and per-endpoint tallies, shared by the client threads."""

    def __init__(self, started: float, minutes: int):
        self.started, self.minutes = started, minutes
        self.lock = threading.Lock()
        self.by_minute = [Tally() for _ in range(minutes)]
        self.by_name: dict[str, Tally] = defaultdict(Tally)
        self.total = Tally()
        self.samples: list[str] = []  # the first few failures, for the report

    def record(self, name: str, status: int | None, seconds: float, expected: tuple[int, ...], detail: str) -> None:
        minute = min(int((time.monotonic() - self.started) // 60), self.minutes - 1)
        with self.lock:
            for tally in (self.by_minute[minute], self.by_name[name], self.total):
                tally.requests += 1
                tally.latencies.append(seconds)
                if status is None or status >= 500:
                    tally.errors += 1
                elif status not in expected:
                    tally.unexpected += 1
                elif status >= 400:
                    tally.expected_4xx += 1
            if (status is None or status not in expected) and len(self.samples) < 20:
                self.samples.append(f"{name} -> {status if status is not None else 'exception'}: {detail[:300]}")

    def flag(self, name: str, detail: str) -> None:
        """An answer with the expected status but the wrong content (counted as unexpected, not as a request)."""
        minute = min(int((time.monotonic() - self.started) // 60), self.minutes - 1)
        with self.lock:
            for tally in (self.by_minute[minute], self.by_name[name], self.total):
                tally.unexpected += 1
            if len(self.samples) < 20:
                self.samples.append(f"{name}: {detail[:300]}")


def ms(samples: list[float], p: float) -> float:
    return percentile(samples, p) * 1000 if samples else 0.0


# -- the clients --------------------------------------------------------------------------------------------------

NEXT_ACTION = {"new": "accept", "accepted": "start", "waiting_customer": "resume", "waiting_parts": "resume"}
Op = tuple[Callable[[], None], int]


class Client(threading.Thread):
    """One integration: a closed loop of weighted operations (reads 4 : writes 1) until the deadline."""

    def __init__(self, n: int, role: str, world: World, port: int, recorder: Recorder, deadline: float):
        super().__init__(name=f"client-{n}", daemon=True)
        self.rnd = rnd = random.Random(n)
        self.role, self.world, self.port, self.recorder, self.deadline = role, world, port, recorder, deadline
        self.token = world.tokens[role]
        self.people = world.people(role)
        self.owners = [p for p in self.people if p.serials]
        everywhere = role == "head_office"
        requests = [i for i, o in world.requests if everywhere or o == world.outlet_id]
        visits = [i for i, o in world.work_orders if everywhere or o == world.outlet_id]
        strangers = [p for p in world.customers if p.outlet_id != world.outlet_id]
        self.open: list[dict[str, Any]] = []  # requests this client opened and moves along
        statuses = ["", "&status=new", "&status=accepted", "&status=in_progress", "&overdue=true"]
        reads: dict[str, tuple[int, Callable[[], str]]] = {
            "customers.list": (8, lambda: f"/api/v1/customers?limit=20&offset={rnd.randrange(200)}"),
            "customers.search": (6, lambda: "/api/v1/customers?limit=20&q=" + urllib.parse.quote(self.query())),
            "customers.detail": (10, lambda: f"/api/v1/customers/{rnd.choice(self.people).id}"),
            "customers.timeline": (5, lambda: f"/api/v1/customers/{rnd.choice(self.people).id}/timeline?limit=20"),
            "lookup.phone": (10, lambda: f"/api/v1/lookup?phone={rnd.choice(self.people).phone}"),
            "lookup.serial": (4, lambda: f"/api/v1/lookup?serial={rnd.choice(rnd.choice(self.owners).serials)}"),
            "units.list": (3, lambda: f"/api/v1/units?owner_id={rnd.choice(self.owners).id}"),
            "requests.list": (
                8,
                lambda: f"/api/v1/requests?limit=20&offset={rnd.randrange(100)}{rnd.choice(statuses)}",
            ),
            "requests.detail": (10, lambda: f"/api/v1/requests/{rnd.choice(requests)}"),
            "requests.at_risk": (3, lambda: "/api/v1/requests/at-risk?limit=20"),
            "work_orders.list": (4, lambda: "/api/v1/dispatch/work-orders?limit=20"),
            "work_orders.detail": (4, lambda: f"/api/v1/dispatch/work-orders/{rnd.choice(visits)}"),
        }
        ops: list[Op] = [(functools.partial(self.read, name, path), w) for name, (w, path) in reads.items()]
        ops += [(self.customer_create, 3), (self.request_open, 4), (self.note_create, 3), (self.request_move, 5)]
        if role == "outlet":  # another outlet's customer: 404, counted apart
            other = lambda: f"/api/v1/customers/{rnd.choice(strangers).id}"  # noqa: E731
            ops.append((functools.partial(self.read, "customers.other_outlet", other, (404,)), 2))
        self.ops, self.weights = [op for op, _ in ops], [w for _, w in ops]

    def query(self) -> str:
        person = self.rnd.choice(self.people)
        return person.name[:2] if self.rnd.random() < 0.5 else person.phone[:7]

    def call(
        self, name: str, method: str, path: str, body: object = None, expect: tuple[int, ...] = (200,), key: str = ""
    ) -> tuple[int | None, bytes, http.client.HTTPResponse | None]:
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            conn.request(method, path, data, headers)
            response = conn.getresponse()
            payload = response.read()
            conn.close()
        except (OSError, http.client.HTTPException) as exc:
            self.recorder.record(name, None, time.perf_counter() - started, expect, f"{method} {path}: {exc!r}")
            return None, b"", None
        seconds, status = time.perf_counter() - started, response.status
        # The failure's detail only when there is one: the load generator stays light.
        detail = "" if status in expect else f"{method} {path} {(data or b'')[:200].decode()} => {payload[:300]!r}"
        self.recorder.record(name, status, seconds, expect, detail)
        return response.status, payload, response

    def run(self) -> None:
        while time.monotonic() < self.deadline:
            self.rnd.choices(self.ops, self.weights)[0]()

    def read(self, name: str, path: Callable[[], str], expect: tuple[int, ...] = (200,)) -> None:
        self.call(name, "GET", path(), None, expect)

    def customer_create(self) -> None:
        """File a customer; one in five is retried with the same key and must get the first answer back."""
        n = self.rnd.randrange(10**8)
        body: dict[str, Any] = {
            "name": f"压测客户{n}",
            "phones": [f"139{n:08d}"],
            "addresses": [{"city": "青岛市", "district": "市南区", "detail": f"香港中路{n % 300 + 1}号"}],
            "contact_windows": [{"days": "any", "starts_at": "09:00", "ends_at": "18:00"}],
        }
        if self.role == "head_office":
            body["outlet_id"] = self.world.outlet_id
        key = str(uuid.uuid4())
        status, _, _ = self.call("customers.create", "POST", "/api/v1/customers", body, (201,), key)
        if status == 201 and self.rnd.random() < 0.2:
            _, _, response = self.call("customers.replay", "POST", "/api/v1/customers", body, (201,), key)
            if response is not None and response.getheader("Idempotent-Replayed") != "true":
                self.recorder.flag("customers.replay", "a retry with the same key was not replayed")

    def request_open(self) -> None:
        owner = self.rnd.choice(self.owners)
        window = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1)
        body = {
            "call_type": "repair",
            "customer_id": owner.id,
            "unit_serial": self.rnd.choice(owner.serials),
            "symptom": self.rnd.choice(SYMPTOMS),
            "reported_purchase_date": "2024-05-01",
            "window_start": window.isoformat(),
            "window_end": (window + dt.timedelta(hours=2)).isoformat(),
        }
        status, payload, _ = self.call("requests.open", "POST", "/api/v1/requests", body, (201,), str(uuid.uuid4()))
        if status == 201:
            self.open.append(json.loads(payload))

    def note_create(self) -> None:
        body = {"summary": "客户来电询问进度", "body": "已告知预计上门时间。", "channel": "hotline"}
        path = f"/api/v1/customers/{self.rnd.choice(self.people).id}/notes"
        self.call("customers.note", "POST", path, body, (201,), str(uuid.uuid4()))

    def request_move(self) -> None:
        """Move one of this client's requests a step to closed; one move in ten sends a stale version (409)."""
        if not self.open:
            return self.request_open()
        sr = self.open[0]
        action = NEXT_ACTION.get(sr["status"])
        if sr["status"] == "accepted" and sr["to_verify"]:
            action = "wait_customer"
        elif sr["status"] == "in_progress":
            action = self.rnd.choice(["wait_parts", "resolve"])
        elif sr["status"] == "resolved":
            action = "close"
        if action is None:  # closed: done with it
            self.open.pop(0)
            return None
        path = f"/api/v1/requests/{sr['id']}/transitions"
        if sr["version"] > 1 and self.rnd.random() < 0.1:
            stale = {"action": action, "note": "压测", "version": sr["version"] - 1}
            self.call("requests.move_stale", "POST", path, stale, (409,))
            return None
        body = {"action": action, "note": "压测：按流程推进", "version": sr["version"]}
        status, payload, _ = self.call("requests.move", "POST", path, body)
        if status == 200:
            sr.update({k: v for k, v in json.loads(payload).items() if k in ("status", "version", "to_verify")})
        else:
            self.open.pop(0)
        return None


# -- the run ------------------------------------------------------------------------------------------------------


def soak(args: argparse.Namespace, world: World) -> tuple[list[str], dict[str, Any]]:
    """Run the clients for args.minutes against a fresh server; one line per minute (also on stderr, live)."""
    server = SoakServer(args.database_url, args.workers)
    lines = [
        f"# bench/soak.py on {platform.node()} ({os.cpu_count()} cores), PostgreSQL, gunicorn {args.workers} sync "
        f"workers (no recycling), {args.clients} clients, {args.minutes} min, {time.strftime('%Y-%m-%d %H:%M')}"
    ]
    pids = [p.pid for p in server.workers()]
    rss: list[dict[int, float]] = []
    started, cpu_started = time.monotonic(), time.process_time()
    recorder = Recorder(started, args.minutes)
    roles = ["head_office" if n % 8 < 5 else "outlet" for n in range(args.clients)]  # 5 head office : 3 outlet
    clients = [Client(n, r, world, server.port, recorder, started + 60 * args.minutes) for n, r in enumerate(roles)]
    try:
        for c in clients:
            c.start()
        for minute in range(args.minutes):
            time.sleep(max(0.0, started + 60 * (minute + 1) - time.monotonic()))
            if minute == args.minutes - 1:
                for c in clients:
                    c.join(timeout=40)
            rss.append(server.rss_mib())
            with recorder.lock:
                t = recorder.by_minute[minute]
                lines.append(
                    f"minute {minute + 1:2d}: {t.requests:6,d} requests  errors {t.errors}  "
                    f"4xx on purpose {t.expected_4xx}  unexpected {t.unexpected}  {t.requests / 60:6.1f} req/s  "
                    f"p50 {ms(t.latencies, 50):6.1f} ms  p95 {ms(t.latencies, 95):6.1f} ms  RSS MiB "
                    + " ".join(f"{rss[-1].get(pid, 0.0):.1f}" for pid in pids)
                )
            print(lines[-1], file=sys.stderr, flush=True)
        recycled = sorted(set(p.pid for p in server.workers()) ^ set(pids))
    finally:
        server.stop()
    share = (time.process_time() - cpu_started) / (time.monotonic() - started) * 100
    lines.append(f"client  the {args.clients} client threads used {share:.0f} % of one core")
    more, figures = summarise(recorder, pids, recycled, rss, args.minutes)
    return lines + more, figures


def summarise(
    recorder: Recorder, pids: list[int], recycled: list[int], rss: list[dict[int, float]], minutes: int
) -> tuple[list[str], dict[str, Any]]:
    """The endpoint table, the totals, the memory growth and PASS/FAIL."""
    lines = ["", f"{'endpoint':24s} {'requests':>8s} {'p50 ms':>7s} {'p95 ms':>7s} {'4xx':>6s} {'unexp':>5s} errors"]
    for name, t in sorted(recorder.by_name.items()):
        lines.append(
            f"{name:24s} {t.requests:8,d} {ms(t.latencies, 50):7.1f} {ms(t.latencies, 95):7.1f} "
            f"{t.expected_4xx:6d} {t.unexpected:5d} {t.errors}"
        )
    total, seconds = recorder.total, 60 * minutes
    growth = [(rss[-1].get(pid, 0.0) - rss[0].get(pid, 0.0)) / rss[0].get(pid, 1.0) * 100 for pid in pids]
    tracebacks = SERVER_LOG.read_text(errors="replace").count("Traceback (most recent call last)")
    clean = total.errors == 0 and total.unexpected == 0
    flat = all(abs(g) <= MEMORY_TOLERANCE for g in growth) and not recycled
    lines += [
        "",
        f"total   {total.requests:,d} requests in {seconds} s = {total.requests / seconds:.1f} req/s  "
        f"p50 {ms(total.latencies, 50):.1f} ms  p95 {ms(total.latencies, 95):.1f} ms  "
        f"p99 {ms(total.latencies, 99):.1f} ms  mean {statistics.fmean(total.latencies or [0]) * 1000:.1f} ms",
        f"errors  {total.errors} (5xx and connection failures); 4xx on purpose {total.expected_4xx}; "
        f"unexpected answers {total.unexpected}; server log {SERVER_LOG.relative_to(ROOT)}: {tracebacks} tracebacks",
        f"memory  RSS growth minute 1 → minute {minutes}: "
        + "  ".join(f"w{i + 1} {g:+.1f} %" for i, g in enumerate(growth))
        + f"  (workers recycled: {', '.join(map(str, recycled)) or 'none'})",
        *(f"  sample: {s}" for s in recorder.samples[:5]),
        f"target  0 errors, 0 unexpected answers: {'PASS' if clean else 'FAIL'}",
        f"target  every worker's memory flat within {MEMORY_TOLERANCE:.0f} %: {'PASS' if flat else 'FAIL'}"
        + ("  (one minute only: run --minutes 2 or more for a real figure)" if minutes < 2 else ""),
        f"result  {'PASS' if clean and flat else 'FAIL'}",
    ]
    minute_figures = [
        {"requests": t.requests, "errors": t.errors, "p50_ms": round(ms(t.latencies, 50), 1),
         "p95_ms": round(ms(t.latencies, 95), 1), "rss_mib": [round(r.get(p, 0.0), 1) for p in pids]}
        for t, r in zip(recorder.by_minute, rss, strict=False)
    ]  # fmt: skip
    figures = {
        "minutes": minute_figures,
        "requests": total.requests,
        "per_second": round(total.requests / seconds, 1),
        "errors": total.errors,
        "expected_4xx": total.expected_4xx,
        "unexpected": total.unexpected,
        "rss_growth_percent": [round(g, 1) for g in growth],
        "recycled_workers": recycled,
        "server_tracebacks": tracebacks,
        "samples": recorder.samples,
        "passed": clean and flat,
    }
    return lines, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--drop", action="store_true", help="drop the scratch database afterwards (default: keep it)")
    args = parser.parse_args()
    if args.minutes < 1 or args.clients < 1 or args.workers < 1:
        parser.error("--minutes, --clients and --workers must be at least 1")

    fresh_database(args.database_url)
    world = load_world(args.database_url)
    lines, figures = soak(args, world)
    write_results("soak", lines, figures)
    if args.drop:
        import psycopg

        base, _, name = args.database_url.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    sys.exit(0 if figures["passed"] else 1)


if __name__ == "__main__":
    main()
