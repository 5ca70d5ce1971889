"""A greedy plan (pure): nearest feasible insertion, the baseline the benchmark compares the search with."""

from __future__ import annotations

import time

from wuyou.routing.optimizer.problem import Places, Plan, Problem, TravelModel, prechecks
from wuyou.routing.optimizer.search import plan_of, route_of


def greedy_plan(problem: Problem, *, travel: TravelModel) -> Plan:
    """Baseline plan: first come first served, each job to the capable engineer who can start it earliest.

    Jobs are taken in the order given and appended to an engineer's day (never reordered); among engineers
    who can still meet one of its windows and get home within the shift, the earliest start wins, then the
    shorter drive. This is what a dispatcher does by hand; the benchmark compares the optimiser with it.
    """
    started = time.perf_counter()
    places = Places(problem.engineers, problem.jobs, travel)
    reasons, able = prechecks(problem, places)
    D = places.D
    where = list(places.start)
    free = [eng.shift_start for eng in problem.engineers]
    load = [0] * len(problem.engineers)
    sequences: list[list[tuple[int, int]]] = [[] for _ in problem.engineers]
    unassigned = dict(reasons)
    for j, job in enumerate(problem.jobs):
        if j in reasons:
            continue
        loc = places.job[j]
        choice: tuple[int, int, int, int] | None = None  # start, drive, engineer, window
        for e in able[j]:
            eng = problem.engineers[e]
            if load[e] + job.load > eng.capacity:
                continue
            drive = D[where[e]][loc]
            arrival = free[e] + drive
            for w, lo, hi in sorted(places.windows[j], key=lambda w: w[1]):
                start = max(arrival, lo)
                if start <= hi and start + job.duration + D[loc][places.end[e]] <= eng.shift_end:
                    if choice is None or (start, drive) < choice[:2]:
                        choice = (start, drive, e, w)
                    break
        if choice is None:
            unassigned[j] = "deferred"
            continue
        start, _, e, w = choice
        sequences[e].append((j, w))
        where[e], free[e], load[e] = loc, start + job.duration, load[e] + job.load
    routes = [r for e, seq in enumerate(sequences) if seq and (r := route_of(problem, places, e, seq)) is not None]
    return plan_of(problem, routes, unassigned, started, travel)
