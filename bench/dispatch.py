"""Dispatch optimiser quality and speed: Solomon and Gehring–Homberger VRPTW, and a generated Qingdao day.

Every part goes through the optimiser the board uses (`wuyou.routing.optimizer.solve`, travel from
`wuyou.routing.travel`), and every plan is checked twice: by `plan_check` and by this file's own
recomputation from the instance data.

(a) the 56 Solomon instances (100 customers), 10 s each, DIMACS convention (distance truncated to one decimal,
    travel time = distance, objective = total distance, up to 25 routes), against the best known solutions;
(b) the 60 Gehring–Homberger 200-customer instances, 30 s each, same convention, up to 50 routes;
(c) a generated Qingdao day: 400 jobs, 50 engineers, 6 skills, 1–3 h windows including evenings, 10 % urgent,
    planned for travel time on great-circle travel, against the first-come-first-served greedy baseline.

Usage: .venv/bin/python bench/dispatch.py [--part a|b|c|all] [--seconds S] [--instances C101,R101] [--jobs N]
Targets: (a) mean gap <= 0.5 % and every plan feasible; (b) mean gap <= 2 %, every plan feasible;
(c) >= 25 % less travel per served job than greedy while serving at least as many jobs, every urgent job
served, planned in <= 60 s.
Writes bench/results/dispatch-<part>.txt/.json per part and bench/results/dispatch.txt/.json for all parts.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import json
import math
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import RESULTS, ROOT  # noqa: E402
from wuyou.routing.optimizer import Engineer, Job, Plan, Point, Problem, Window  # noqa: E402

VRPTW = ROOT.parent / "shared" / "benchmarks" / "vrptw"
SCALE = 10  # DIMACS: distances (and so times) in integer tenths
PARTS = {
    "a": {"title": "Solomon VRPTW (100 customers)", "folder": "solomon", "bks": "bks_solomon.csv", "seconds": 10.0},
    "b": {
        "title": "Gehring–Homberger VRPTW (200 customers)",
        "folder": "gh200",
        "bks": "bks_gh200.csv",
        "seconds": 30.0,
    },
    "c": {"title": "generated Qingdao day (400 jobs, 50 engineers)", "seconds": 30.0},
}
GAP_TARGET = {"a": 0.5, "b": 2.0}


# -- VRPTW instances -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Customer:
    """One row of a Solomon-format file; number 0 is the depot."""

    number: int
    x: int
    y: int
    demand: int
    ready: int
    due: int
    service: int


@dataclass(frozen=True)
class Instance:
    """A VRPTW instance in the original Solomon text format."""

    name: str
    vehicles: int
    capacity: int
    customers: tuple[Customer, ...]  # customers[0] is the depot


def read_instance(path: Path) -> Instance:
    """Parse `NAME / VEHICLE NUMBER CAPACITY / CUSTOMER rows` (Solomon's and Gehring–Homberger's layout)."""
    lines = [line.split() for line in path.read_text().splitlines()]
    name = next(words[0] for words in lines if words)
    vehicles = capacity = None
    rows: list[Customer] = []
    for n, words in enumerate(lines):
        if words[:2] == ["NUMBER", "CAPACITY"]:
            vehicles, capacity = (int(w) for w in next(w for w in lines[n + 1 :] if w)[:2])
        elif len(words) == 7 and all(w.lstrip("-").isdigit() for w in words):
            rows.append(Customer(*(int(w) for w in words)))
    if vehicles is None or capacity is None or not rows or rows[0].number != 0:
        raise ValueError(f"{path}: not a Solomon-format instance")
    return Instance(name=name.upper(), vehicles=vehicles, capacity=capacity, customers=tuple(rows))


def instance_problem(instance: Instance) -> Problem:
    """The instance as an optimiser Problem: identical vans at the depot, every customer a required job.

    Times are multiplied by SCALE because EuclideanTravel measures in tenths (DIMACS); the visit must start
    inside [ready, due], as in Solomon's definition.
    """
    depot = instance.customers[0]
    here = Point(lat=float(depot.x), lon=float(depot.y))
    engineers = tuple(
        Engineer(
            key=f"V{k + 1}",
            start=here,
            end=here,
            shift_start=depot.ready * SCALE,
            shift_end=depot.due * SCALE,
            capacity=instance.capacity,
        )
        for k in range(instance.vehicles)
    )
    jobs = tuple(
        Job(
            key=str(c.number),
            location=Point(lat=float(c.x), lon=float(c.y)),
            duration=c.service * SCALE,
            windows=(Window(c.ready * SCALE, c.due * SCALE),),
            load=c.demand,
            required=True,
        )
        for c in instance.customers[1:]
    )
    return Problem(engineers=engineers, jobs=jobs, balance=False)


def tenths(a: Customer, b: Customer) -> int:
    """DIMACS distance in tenths, exactly: floor(10·sqrt(dx² + dy²)) = isqrt(100·(dx² + dy²))."""
    return math.isqrt(100 * ((a.x - b.x) ** 2 + (a.y - b.y) ** 2))


def recompute(instance: Instance, routes: Sequence[Sequence[str]]) -> tuple[int, list[str]]:
    """Our own check of a route set against the instance file: (total distance in tenths, violations)."""
    by_number = {str(c.number): c for c in instance.customers[1:]}
    depot = instance.customers[0]
    problems: list[str] = []
    seen: dict[str, int] = {}
    total = 0
    used = [route for route in routes if route]
    if len(used) > instance.vehicles:
        problems.append(f"{len(used)} routes, more than {instance.vehicles} vehicles")
    for r, route in enumerate(used):
        at, clock, load = depot, depot.ready * SCALE, 0
        for key in route:
            customer = by_number.get(key)
            if customer is None:
                problems.append(f"route {r}: unknown customer {key}")
                continue
            seen[key] = seen.get(key, 0) + 1
            step = tenths(at, customer)
            total += step
            clock = max(clock + step, customer.ready * SCALE)
            if clock > customer.due * SCALE:
                problems.append(f"route {r}: customer {key} starts at {clock / SCALE} after due {customer.due}")
            clock += customer.service * SCALE
            load += customer.demand
            at = customer
        step = tenths(at, depot)
        total += step
        if clock + step > depot.due * SCALE:
            problems.append(f"route {r}: back at the depot at {(clock + step) / SCALE} after {depot.due}")
        if load > instance.capacity:
            problems.append(f"route {r}: load {load} over capacity {instance.capacity}")
    missing = set(by_number) - set(seen)
    twice = [key for key, count in seen.items() if count > 1]
    if missing:
        problems.append(f"{len(missing)} customers not served, e.g. {sorted(missing, key=int)[:5]}")
    if twice:
        problems.append(f"customers served more than once: {sorted(twice, key=int)[:5]}")
    return total, problems


def best_known(csv_name: str) -> dict[str, dict[str, str]]:
    with (VRPTW / csv_name).open() as f:
        return {row["instance"].upper(): row for row in csv.DictReader(f)}


def solve_instance(task: tuple[str, float, int]) -> dict[str, object]:
    """Worker: solve one instance file and check the plan both ways (runs in a child process)."""
    from wuyou.routing.optimizer import plan_check, solve
    from wuyou.routing.travel import EuclideanTravel

    path, seconds, seed = task
    instance = read_instance(Path(path))
    problem = instance_problem(instance)
    travel = EuclideanTravel(scale=SCALE, dimacs=True)
    started = time.perf_counter()
    plan = solve(problem, travel=travel, seconds=seconds, seed=seed, objective="distance")
    wall = time.perf_counter() - started
    checked = plan_check(problem, plan, travel=travel)
    routes = [[visit.job for visit in route.visits] for route in plan.routes if route.visits]
    own_tenths, own_problems = recompute(instance, routes)
    return {
        "instance": instance.name,
        "distance": plan.distance / SCALE,
        "own_distance": own_tenths / SCALE,
        "routes": len(routes),
        "unassigned": len(plan.unassigned),
        "plan_check": checked[:3],
        "plan_feasible": plan.feasible and not checked,
        "own_problems": own_problems[:3],
        "seconds": round(wall, 2),
    }


def instance_paths(folder: str, wanted: set[str] | None) -> list[Path]:
    paths = sorted((VRPTW / folder).glob("*.txt"), key=lambda p: _natural(p.stem.upper()))
    if wanted:
        paths = [p for p in paths if p.stem.upper() in wanted]
    return paths


def _natural(name: str) -> tuple[object, ...]:
    parts = name.replace("_", " ").split()
    head = "".join(ch for ch in parts[0] if ch.isalpha())
    return (head, *[int("".join(ch for ch in p if ch.isdigit()) or 0) for p in [parts[0], *parts[1:]]])


def run_vrptw(part: str, *, seconds: float, jobs: int, wanted: set[str] | None, seed: int) -> dict[str, object]:
    """Parts (a) and (b): every instance in parallel processes, each solve single-threaded."""
    spec = PARTS[part]
    bks = best_known(str(spec["bks"]))
    paths = instance_paths(str(spec["folder"]), wanted)
    lines = [f"({part}) {spec['title']}: {len(paths)} instances, {seconds:g} s each, {jobs} in parallel, seed {seed}"]
    lines.append(
        f"{'instance':<10} {'ours':>9} {'BKS':>9} {'gap %':>7} {'routes':>6} {'BKS rt':>6} "
        f"{'plan_check':>10} {'own check':>9} {'secs':>6}"
    )
    started = time.perf_counter()
    results: list[dict[str, object]] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for result in pool.map(solve_instance, [(str(p), seconds, seed) for p in paths]):
            row = bks[str(result["instance"])]
            best = float(row["dimacs_distance_trunc1"])
            result["bks"] = best
            result["bks_routes"] = int(row["dimacs_routes"])
            own_ok = not result["own_problems"] and result["own_distance"] == result["distance"]
            result["own_feasible"] = own_ok
            result["gap_pct"] = round((float(result["own_distance"]) - best) / best * 100, 3)  # type: ignore[arg-type]
            results.append(result)
            line = (
                f"{result['instance']:<10} {result['own_distance']:>9.1f} {best:>9.1f} {result['gap_pct']:>7.2f} "
                f"{result['routes']:>6} {result['bks_routes']:>6} {'ok' if result['plan_feasible'] else 'FAIL':>10} "
                f"{'ok' if own_ok else 'FAIL':>9} {result['seconds']:>6.1f}"
            )
            for problem in [*result["plan_check"], *result["own_problems"]]:  # type: ignore[misc]
                line += f"\n           ! {problem}"
            if result["own_distance"] != result["distance"]:
                line += f"\n           ! the plan says {result['distance']}, recomputed {result['own_distance']}"
            print(line, flush=True)
            lines.append(line)
    elapsed = time.perf_counter() - started
    gaps = [float(r["gap_pct"]) for r in results]  # type: ignore[arg-type]
    feasible = sum(1 for r in results if r["plan_feasible"] and r["own_feasible"])
    mean_gap = statistics.fmean(gaps) if gaps else float("nan")
    by_class: dict[str, list[float]] = {}
    for r in results:
        name = str(r["instance"])
        by_class.setdefault(name.split("_")[0] if "_" in name else name[:-2], []).append(float(r["gap_pct"]))  # type: ignore[arg-type]
    lines.append(
        "mean gap by class: " + ", ".join(f"{k} {statistics.fmean(v):.2f} %" for k, v in sorted(by_class.items()))
    )
    lines.append(
        f"mean gap {mean_gap:.3f} % (median {statistics.median(gaps) if gaps else float('nan'):.3f} %, "
        f"worst {max(gaps) if gaps else float('nan'):.2f} %); {feasible}/{len(results)} feasible by both checks; "
        f"routes ours {sum(int(r['routes']) for r in results)} vs BKS {sum(int(r['bks_routes']) for r in results)}; "
        f"{elapsed:.0f} s wall"
    )
    target = GAP_TARGET[part]
    complete = len(results) == len(best_known(str(spec["bks"])))
    met = mean_gap <= target and feasible == len(results) and bool(results)
    targets = [
        f"({part}) mean gap <= {target} % with every plan feasible: {mean_gap:.3f} %, {feasible}/{len(results)} "
        f"feasible{'' if complete else ' (subset)'} — {'met' if met else 'MISSED'}"
    ]
    return {"lines": lines, "targets": targets, "results": results, "mean_gap_pct": round(mean_gap, 3)}


# -- a generated Qingdao day -----------------------------------------------------------------------

SKILLS = ("ac_install", "ac_repair", "boiler", "fridge", "washer", "tv")
SKILL_SHARE = (0.15, 0.30, 0.12, 0.15, 0.16, 0.12)
# Urban districts east of Jiaozhou Bay (centre, spread in degrees); the outlets stand at the centres.
DISTRICTS = (
    ("市南", 36.066, 120.385, 0.012),
    ("市北", 36.088, 120.372, 0.014),
    ("李沧", 36.165, 120.425, 0.018),
    ("崂山", 36.108, 120.465, 0.018),
    ("城阳", 36.300, 120.395, 0.025),
    ("四方", 36.120, 120.360, 0.012),
)
DISTRICT_SHARE = (0.20, 0.22, 0.18, 0.17, 0.13, 0.10)
HOUR = 3600


def _spot(rng: random.Random, district: tuple[str, float, float, float]) -> Point:
    _, lat, lon, spread = district
    return Point(lat=round(rng.gauss(lat, spread), 5), lon=round(rng.gauss(lon, spread * 1.2), 5))


def _clock(hours: float) -> int:
    return round(hours * HOUR)


def qingdao_day(*, seed: int = 2026, jobs: int = 400, engineers: int = 50) -> Problem:
    """A reproducible working day in Qingdao's urban area (seeded RNG, same day every run)."""
    rng = random.Random(seed)
    outlets = [Point(lat=lat, lon=lon) for _, lat, lon, _ in DISTRICTS]
    crew: list[Engineer] = []
    for n in range(engineers):
        # Skills 2–4 each; every engineer has one of the six as his trade so that all skills are covered.
        trade = SKILLS[n % len(SKILLS)]
        extra = rng.sample([s for s in SKILLS if s != trade], rng.randint(1, 3))
        skills = frozenset([trade, *extra])
        home = rng.random() < 0.6
        district = DISTRICTS[rng.choices(range(len(DISTRICTS)), DISTRICT_SHARE)[0]]
        start = _spot(rng, district) if home else outlets[rng.randrange(len(outlets))]
        long_shift = rng.random() < 0.65
        crew.append(
            Engineer(
                key=f"E{n + 1:02d}",
                start=start,
                end=start,
                shift_start=_clock(8.5),
                shift_end=_clock(21.0 if long_shift else 17.5),
                skills=skills,
                capacity=rng.choice((2, 3, 4)) if "ac_install" in skills else 1,
            )
        )
    day: list[Job] = []
    for n in range(jobs):
        skill = rng.choices(SKILLS, SKILL_SHARE)[0]
        district = DISTRICTS[rng.choices(range(len(DISTRICTS)), DISTRICT_SHARE)[0]]
        if skill == "ac_install":
            minutes, load = rng.choice((90, 105, 120)), rng.choice((1, 1, 2))
        elif skill == "boiler":
            minutes, load = rng.choice((45, 60, 75)), 0
        else:
            minutes, load = rng.choice((30, 40, 45, 60)), rng.choice((0, 0, 0, 1)) if skill == "washer" else 0
        urgent = rng.random() < 0.10
        day.append(
            Job(
                key=f"J{n + 1:03d}",
                location=_spot(rng, district),
                duration=minutes * 60,
                windows=_customer_windows(rng, urgent),
                skills=frozenset([skill]),
                load=load,
                required=urgent,
                priority=4 if urgent else rng.choice((1, 1, 1, 2)),
            )
        )
    return Problem(engineers=tuple(crew), jobs=tuple(day), balance=True)


def _customer_windows(rng: random.Random, urgent: bool) -> tuple[Window, ...]:
    """1–3 h windows the customer chose: mornings, afternoons, and evenings (18:00–21:00) for 20 %."""
    if urgent:  # an urgent repair: any time today until the evening
        start = rng.choice((9.0, 10.0, 11.0, 13.0))
        return (Window(_clock(start), _clock(min(start + 6, 20.0))),)
    length = rng.choice((1.0, 2.0, 2.0, 3.0))
    roll = rng.random()
    if roll < 0.20:
        start = rng.choice((18.0, 18.5, 19.0, 20.0))
        length = min(length, 21.0 - start)
    else:
        start = rng.choice((9.0, 9.0, 10.0, 11.0, 13.0, 14.0, 15.0, 16.0))
    first = Window(_clock(start), _clock(start + length))
    if roll > 0.85 and start < 16:  # some customers offer a second, evening window
        return (first, Window(_clock(18.0), _clock(20.0)))
    return (first,)


def day_figures(problem: Problem, plan: Plan) -> dict[str, object]:
    """Travel, jobs served, served inside their window (recomputed here), urgent served, engineers used."""
    jobs = {job.key: job for job in problem.jobs}
    served = [visit for route in plan.routes for visit in route.visits]
    in_window = sum(
        1
        for visit in served
        if 0 <= visit.window < len(jobs[visit.job].windows)
        and jobs[visit.job].windows[visit.window].start <= visit.start <= jobs[visit.job].windows[visit.window].end
        and visit.arrival <= visit.start
    )
    urgent = [job.key for job in problem.jobs if job.required]
    served_keys = {visit.job for visit in served}
    return {
        "travel_hours": round(plan.travel / HOUR, 2),
        "distance_km": round(plan.distance / 1000, 1),
        "served": len(served),
        "in_window": in_window,
        "urgent_total": len(urgent),
        "urgent_served": sum(1 for key in urgent if key in served_keys),
        "travel_min_per_job": round(plan.travel / 60 / max(len(served), 1), 2),
        "engineers_used": sum(1 for route in plan.routes if route.visits),
        "work_hours": round(sum(jobs[v.job].duration for v in served) / HOUR, 1),
    }


def run_day(*, seconds: float, seed: int) -> dict[str, object]:
    """Part (c): the optimiser against the greedy baseline on one generated day.

    The greedy takes jobs in the order given. It runs twice: in booking order (the order the generator made
    them, as calls come in: first come, first served) and sorted by window opening time (how a careful
    dispatcher would work through the list), which serves far more jobs and so is the fairer comparison.
    """
    from wuyou.routing.optimizer import greedy_plan, plan_check, solve
    from wuyou.routing.travel import GreatCircleTravel

    problem = qingdao_day(seed=2026)
    travel = GreatCircleTravel()
    by_window = Problem(
        engineers=problem.engineers,
        jobs=tuple(sorted(problem.jobs, key=lambda j: (j.windows[0].start, j.windows[0].end, j.key))),
        balance=problem.balance,
    )
    started = time.perf_counter()
    plan = solve(problem, travel=travel, seconds=seconds, seed=seed, objective="duration")
    plan_seconds = time.perf_counter() - started
    columns: dict[str, dict[str, object]] = {}
    checks: dict[str, list[str]] = {}
    for name, given, made in (
        ("optimiser", problem, lambda: plan),
        ("greedy, booked", problem, lambda: greedy_plan(problem, travel=travel)),
        ("greedy, by window", by_window, lambda: greedy_plan(by_window, travel=travel)),
    ):
        started = time.perf_counter()
        result = made()
        took = plan_seconds if name == "optimiser" else time.perf_counter() - started
        checks[name] = plan_check(given, result, travel=travel)
        columns[name] = day_figures(given, result) | {
            "plan_seconds": round(took, 2),
            "plan_check": checks[name][:5],
            "plan_check_findings": len(checks[name]),
        }
    work = sum(job.duration for job in problem.jobs) / HOUR
    shifts = sum(e.shift_end - e.shift_start for e in problem.engineers) / HOUR
    lines = [
        f"(c) {PARTS['c']['title']}: {len(problem.jobs)} jobs ({sum(j.required for j in problem.jobs)} urgent, "
        f"{sum(any(w.start >= 18 * HOUR for w in j.windows) for j in problem.jobs)} with an evening window), "
        f"{len(problem.engineers)} engineers, {work:.0f} h of work for {shifts:.0f} h of shifts; "
        f"great-circle travel ×1.35 at 28 km/h; solve {seconds:g} s, seed {seed}",
        f"{'':<22}" + "".join(f"{name:>19}" for name in columns),
    ]
    rows = (
        ("travel (hours)", "travel_hours", ".2f"),
        ("distance (km)", "distance_km", ".1f"),
        ("jobs served", "served", "d"),
        ("served in window", "in_window", "d"),
        ("urgent served", "urgent_served", "d"),
        ("travel min / job", "travel_min_per_job", ".2f"),
        ("engineers used", "engineers_used", "d"),
        ("work on site (hours)", "work_hours", ".1f"),
        ("time to plan (s)", "plan_seconds", ".1f"),
    )
    for label, key, fmt in rows:
        lines.append(f"{label:<22}" + "".join(f"{figures[key]:>19{fmt}}" for figures in columns.values()))
    lines.append(
        f"{'plan_check':<22}"
        + "".join(f"{'ok' if not found else f'{len(found)} findings':>19}" for found in checks.values())
    )
    lines.append(
        f"  (urgent = {columns['optimiser']['urgent_total']} jobs; a greedy plan's findings are required jobs left out)"
    )
    for name, found in checks.items():
        for finding in found[:2]:
            lines.append(f"  ! {name}: {finding}")
    ours = columns["optimiser"]
    cuts: dict[str, tuple[float, float]] = {}
    for name in ("greedy, booked", "greedy, by window"):
        base = columns[name]
        total_cut = 1 - float(ours["travel_hours"]) / max(float(base["travel_hours"]), 1e-9)  # type: ignore[arg-type]
        per_job_cut = 1 - float(ours["travel_min_per_job"]) / max(float(base["travel_min_per_job"]), 1e-9)  # type: ignore[arg-type]
        cuts[name] = (total_cut, per_job_cut)
        lines.append(
            f"vs {name}: {total_cut:.1%} less travel in total, {per_job_cut:.1%} less per served job "
            f"(optimiser serves {ours['served']}, greedy {base['served']})"
        )
    urgent_ok = ours["urgent_served"] == ours["urgent_total"]
    targets = []
    for name, (_total, per_job) in cuts.items():
        base = columns[name]
        met = per_job >= 0.25 and int(ours["served"]) >= int(base["served"])  # type: ignore[call-overload]
        targets.append(
            f"(c) >= 25 % less travel per served job than {name}, serving at least as many: {per_job:.1%} less, "
            f"{ours['served']} vs {base['served']} served — {'met' if met else 'MISSED'}"
        )
    targets += [
        f"(c) every urgent job served: {ours['urgent_served']}/{ours['urgent_total']} — "
        f"{'met' if urgent_ok else 'MISSED'}",
        f"(c) planned in <= 60 s: {plan_seconds:.1f} s — {'met' if plan_seconds <= 60 else 'MISSED'}",
        f"(c) plan feasible by plan_check: {'met' if not checks['optimiser'] and plan.feasible else 'MISSED'}",
    ]
    return {
        "lines": lines,
        "targets": targets,
        "columns": columns,
        "travel_cut": {name: {"total": round(t, 4), "per_job": round(j, 4)} for name, (t, j) in cuts.items()},
    }


# -- entry point -----------------------------------------------------------------------------------


def header() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"dispatch bench — Python {platform.python_version()}, PyVRP {importlib.metadata.version('pyvrp')}, "
        f"{cpu}, {_cpus()} CPUs"
    )


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def save(part: str, figures: dict[str, object]) -> None:
    """Keep one part's figures in bench/results/dispatch-<part>.txt and .json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    lines = [str(figures["header"]), *figures["lines"], "targets:", *figures["targets"]]  # type: ignore[misc]
    (RESULTS / f"dispatch-{part}.txt").write_text("\n".join(lines) + "\n")
    (RESULTS / f"dispatch-{part}.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")


def combine() -> None:
    """Rebuild bench/results/dispatch.txt/.json from the latest result of each part, targets last."""
    parts = {}
    for part in PARTS:
        path = RESULTS / f"dispatch-{part}.json"
        if path.exists():
            parts[part] = json.loads(path.read_text())
    lines = [header()]
    for figures in parts.values():
        lines += ["", f"[{figures['header']}, run {figures['ran_at']}]", *figures["lines"]]
    lines += ["", "targets:"] + [f"  {t}" for figures in parts.values() for t in figures["targets"]]
    text = "\n".join(lines) + "\n"
    (RESULTS / "dispatch.txt").write_text(text)
    (RESULTS / "dispatch.json").write_text(json.dumps(parts, indent=2, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("a", "b", "c", "all"), default="all")
    parser.add_argument("--seconds", type=float, help="seconds per solve (default: a 10, b 30, c 30)")
    parser.add_argument("--instances", help="comma-separated instance names, e.g. C101,R101 or C1_2_1")
    parser.add_argument("--jobs", type=int, default=max(1, _cpus() // 2), help="parallel solves (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    wanted = {name.strip().upper() for name in args.instances.split(",")} if args.instances else None
    parts = ("a", "b", "c") if args.part == "all" else (args.part,)
    print(header(), flush=True)
    targets: list[str] = []
    for part in parts:
        seconds = args.seconds or float(PARTS[part]["seconds"])  # type: ignore[arg-type]
        if part == "c":
            figures = run_day(seconds=seconds, seed=args.seed)
        else:
            names = wanted
            if wanted is not None:
                names = {n for n in wanted if n in best_known(str(PARTS[part]["bks"]))}
                if not names:
                    continue
            figures = run_vrptw(part, seconds=seconds, jobs=args.jobs, wanted=names, seed=args.seed)
        figures["header"] = header()
        figures["ran_at"] = time.strftime("%Y-%m-%d %H:%M")
        targets += figures["targets"]  # type: ignore[arg-type]
        if part == "c":
            print("\n".join(figures["lines"]), flush=True)  # type: ignore[arg-type]
        else:
            print("\n".join(figures["lines"][-2:]), flush=True)  # type: ignore[index]  # rows were printed live
        save(part, figures)
    combine()
    print("targets:")
    for line in targets:
        print(f"  {line}")


if __name__ == "__main__":
    main()
