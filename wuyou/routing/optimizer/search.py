"""The search (pure): PyVRP over the model, routes re-timed in our own code, free slots filled, progress."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

import pyvrp
import pyvrp.constants

from wuyou.routing.optimizer.check import plan_review
from wuyou.routing.optimizer.model import DispatchModel, build_model
from wuyou.routing.optimizer.problem import Places, Plan, Problem, Progress, Route, TravelModel, Unassigned, Visit
from wuyou.routing.optimizer.schedule import plan_late


def route_of(problem: Problem, places: Places, e: int, sequence: Sequence[tuple[int, int]]) -> Route | None:
    """The engineer's route for jobs in this order (job index, window index), or None if it breaks a rule."""
    engineer = problem.engineers[e]
    D, M = places.D, places.M
    here, clock, load = places.start[e], engineer.shift_start, 0
    rows: list[list[int]] = []  # job, window, arrival, start, departure, travel
    for j, w in sequence:
        job = problem.jobs[j]
        bounds = [(lo, hi) for i, lo, hi in places.windows[j] if i == w]
        if not bounds:
            return None
        lo, hi = bounds[0]
        there = places.job[j]
        drive = D[here][there]
        arrival = clock + drive
        start = max(arrival, lo)
        if start > hi:
            return None
        clock = start + job.duration
        load += job.load
        rows.append([j, w, arrival, start, clock, drive])
        here = there
    back_at = clock + D[here][places.end[e]]
    if load > engineer.capacity or back_at > engineer.shift_end or not rows:
        return None
    leave_at = engineer.shift_start  # the final plan's arrivals and departures are set by schedule_late
    locs = [places.start[e]] + [places.job[r[0]] for r in rows] + [places.end[e]]
    distance = sum(M[a][b] for a, b in zip(locs, locs[1:], strict=False))
    drive_total = sum(r[5] for r in rows) + D[here][places.end[e]]
    visits = tuple(Visit(problem.jobs[j].key, w, a, s, d, t) for j, w, a, s, d, t in rows)
    return Route(engineer.key, visits, leave_at, back_at, drive_total, distance)


def _fill_in(problem: Problem, built: DispatchModel, routes: list[Route], jobs: list[int]) -> list[int]:
    """Put each left-out job where it still fits at least extra driving; returns the jobs that fit nowhere.

    The balance cost counts waiting as route time, so the search may leave out a job that only fits after a
    long wait (an evening visit after a morning one). Serving a job always beats balance: insert it here.
    """
    by_key = {eng.key: e for e, eng in enumerate(problem.engineers)}
    key_of = {job.key: j for j, job in enumerate(problem.jobs)}
    left: list[int] = []
    for j in sorted(jobs, key=lambda k: -problem.jobs[k].priority - (100 if problem.jobs[k].required else 0)):
        best: tuple[int, int, Route] | None = None  # extra driving, route index, new route
        candidates: list[tuple[int, int, Route | None]] = [(i, by_key[r.engineer], r) for i, r in enumerate(routes)]
        idle = {by_key[r.engineer] for r in routes}
        candidates += [(-1, e, None) for e in built.vehicles if e not in idle]
        for i, e, route in candidates:
            if e not in built.able[j]:
                continue
            sequence = [(key_of[v.job], v.window) for v in route.visits] if route else []
            for w, _lo, _hi in built.places.windows[j]:
                for at in range(len(sequence) + 1):
                    tried = route_of(problem, built.places, e, [*sequence[:at], (j, w), *sequence[at:]])
                    if tried is None:
                        continue
                    extra = tried.travel - (route.travel if route else 0)
                    if best is None or extra < best[0]:
                        best = (extra, i, tried)
        if best is None:
            left.append(j)
        elif best[1] >= 0:
            routes[best[1]] = best[2]
        else:
            routes.append(best[2])
    return left


def plan_of(
    problem: Problem, routes: list[Route], unassigned: dict[int, str], started: float, travel: TravelModel
) -> Plan:
    """Assemble a plan, every job either visited or unassigned, arrivals late (R-F2), re-checked in our own code."""
    plan = Plan(
        routes=tuple(routes),
        unassigned=tuple(Unassigned(problem.jobs[j].key, reason) for j, reason in sorted(unassigned.items())),
        travel=sum(r.travel for r in routes),
        distance=sum(r.distance for r in routes),
        seconds=0.0,
    )
    plan = plan_late(problem, plan)
    problems, warnings = plan_review(problem, plan, travel=travel)
    return replace(
        plan,
        seconds=time.perf_counter() - started,
        feasible=not problems,
        problems=tuple(problems),
        warnings=tuple(warnings),
    )


class _Clock:
    """PyVRP stopping criterion: stop after the given seconds, reporting progress on the way."""

    def __init__(self, seconds: float, progress: Progress | None, started: float, patience: int | None) -> None:
        self.seconds = max(0.0, seconds)
        self.progress = progress
        self.started = started
        self.patience = patience
        self.reported = -1.0
        self.best: float | None = None
        self.stale = 0

    def __call__(self, best_cost: float) -> bool:
        elapsed = time.perf_counter() - self.started
        if self.progress is not None and elapsed - self.reported >= 0.1:
            self.reported = elapsed
            self.progress(min(0.99, elapsed / self.seconds) if self.seconds else 0.99)
        if self.best is None or best_cost < self.best:
            self.best, self.stale = best_cost, 0
        else:
            self.stale += 1
        return elapsed >= self.seconds or (self.patience is not None and self.stale >= self.patience)


def solve(
    problem: Problem,
    *,
    travel: TravelModel,
    seconds: float = 10.0,
    seed: int = 0,
    progress: Progress | None = None,
    objective: str = "duration",
    patience: int | None = None,
) -> Plan:
    """Plan the day: routes for the engineers and every job either visited or unassigned with a reason.

    `objective` is "duration" (seconds driven; real days) or "distance" (the travel model's distance unit;
    benchmarks under the DIMACS rule). `seconds` bounds the search, model building included; with
    `patience` the search also stops after that many iterations without improvement (small days finish
    early: about 2000 iterations is a second for 20 jobs, several seconds for 100).
    """
    started = time.perf_counter()
    if progress is not None:
        progress(0.0)
    built = build_model(problem, travel, objective=objective)
    unassigned = dict(built.reasons)
    routes: list[Route] = []
    if built.data is not None:
        result = pyvrp.solve(
            built.data, _Clock(seconds, progress, started, patience), seed=seed, collect_stats=False, display=False
        )
        served: set[int] = set()
        for solved in result.best.routes():
            e = built.vehicles[solved.vehicle_type()]
            sequence = [built.clients[act.idx] for act in solved if act.is_client()]
            route = route_of(problem, built.places, e, sequence)
            if route is None:
                # PyVRP's best breaks a rule here (no feasible plan found in time): keep what fits, in order;
                # the rest comes back deferred.
                kept: list[tuple[int, int]] = []
                for item in sequence:
                    if route_of(problem, built.places, e, [*kept, item]) is not None:
                        kept.append(item)
                sequence = kept
                route = route_of(problem, built.places, e, sequence)
            if route is not None:
                routes.append(route)
                served.update(j for j, _ in sequence)
        deferred = [j for j in range(len(problem.jobs)) if j not in unassigned and j not in served]
        for j in _fill_in(problem, built, routes, deferred):
            unassigned[j] = "deferred"
    order = {eng.key: e for e, eng in enumerate(problem.engineers)}
    routes.sort(key=lambda r: order[r.engineer])
    if progress is not None:
        progress(1.0)
    return plan_of(problem, routes, unassigned, started, travel)
