"""The dispatch optimiser (pure): a day's engineers and jobs in, routes and unassigned jobs out (R-F1, R-F6).

Times are integer seconds from the plan's origin (local midnight of the planned day for real plans; the
instance's time zero for benchmarks). Travel comes from a `TravelModel`, so a road-network matrix can be
plugged in later. PyVRP (pinned 0.14.*) does the search; `plan_check` re-checks every plan in our own code
before anyone sees it.

One module on purpose (over 400 lines): the model builder, the solver call, the greedy fallback and the
checker share the problem's data classes and must agree on every unit and rule; apart they would drift.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
import pyvrp
import pyvrp.constants


@dataclass(frozen=True)
class Point:
    """A place, in WGS-84 degrees (or plain x/y for benchmark instances with an explicit matrix)."""

    lat: float
    lon: float


@dataclass(frozen=True)
class Window:
    """An appointment window, [start, end] in seconds from the origin; the visit must *start* inside it."""

    start: int
    end: int


@dataclass(frozen=True)
class Engineer:
    """One engineer's shift for the day: where he starts and ends, when, what he can do, what his van holds."""

    key: str
    start: Point
    end: Point
    shift_start: int
    shift_end: int
    skills: frozenset[str] = frozenset()
    capacity: int = 0  # van load units; 0 = carries no loads (only jobs with load 0)


@dataclass(frozen=True)
class Job:
    """A visit to plan: place, acceptable windows, time on site, needed skills, van load, urgency."""

    key: str
    location: Point
    duration: int
    windows: tuple[Window, ...]
    skills: frozenset[str] = frozenset()
    load: int = 0
    required: bool = False  # would breach its time limit if deferred: must be planned
    priority: int = 1  # deferral penalty weight: 1 normal, 2 high, 4 urgent
    pinned_to: str | None = None  # engineer key: started or pinned jobs stay with him
    pinned_start: int | None = None  # keep the visit at this time (± PIN_SLACK) when set


class TravelModel(Protocol):
    """Travel between points: (durations in seconds, distances in metres), both n×n integer matrices."""

    def matrices(self, points: Sequence[Point]) -> tuple[list[list[int]], list[list[int]]]: ...


@dataclass(frozen=True)
class Problem:
    """A day's planning problem."""

    engineers: tuple[Engineer, ...]
    jobs: tuple[Job, ...]
    balance: bool = True  # spread the work rather than fill the first engineers


@dataclass(frozen=True)
class Visit:
    """A planned visit: the job, the window used, arrival, start of service, departure (seconds)."""

    job: str
    window: int  # index into job.windows
    arrival: int
    start: int
    departure: int
    travel: int  # seconds driven to get here


@dataclass(frozen=True)
class Route:
    """One engineer's day in visiting order."""

    engineer: str
    visits: tuple[Visit, ...]
    leave_at: int  # when he leaves his start point
    back_at: int  # when he reaches his end point
    travel: int  # total seconds driven, including the way home
    distance: int  # total metres


@dataclass(frozen=True)
class Unassigned:
    """A job the plan does not serve, and why (a reason code from REASONS)."""

    job: str
    reason: str


@dataclass(frozen=True)
class Plan:
    """The optimiser's answer."""

    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    travel: int
    distance: int
    seconds: float  # time spent planning
    feasible: bool = True
    problems: tuple[str, ...] = field(default_factory=tuple)  # plan_check findings; empty when feasible


Progress = Callable[[float], None]  # called with 0.0 … 1.0 while solving


PIN_SLACK = 900  # seconds either side of a pinned start (R-F6: a pinned visit may still move a little)
ANY_TIME = -1  # Visit.window of a job that has no windows (any time in the shift)

REASONS: dict[str, str] = {
    "no_skill": "No engineer on shift has every skill this job needs.",
    "no_window": "No capable engineer can reach the job inside any of its windows within his shift.",
    "no_capacity": "The job's load is more than any capable engineer's van holds.",
    "deferred": "The day is full: the job is deferred to another day.",
    "pinned_unreachable": "The engineer the job is pinned to cannot do it (skills, van or shift).",
}

OBJECTIVES = ("duration", "distance")

# Cost weights: one unit of travel costs TRAVEL_WEIGHT, one second of work above an engineer's fair share
# costs BALANCE_WEIGHT, so a job moves to a less busy engineer when the detour is under half its length.
TRAVEL_WEIGHT = 2
BALANCE_WEIGHT = 1
_NO_LIMIT = 1 << 62  # bounds of "any time"; far inside int64 so sums cannot overflow


@dataclass(frozen=True)
class WindowOption:
    """Whether a candidate window can still be booked, and with whom at what extra travel (seconds)."""

    window: Window
    feasible: bool
    engineer: str | None
    extra_travel: int | None


# --------------------------------------------------------------------------------------------------------
# Places and travel of one problem


def job_windows(job: Job) -> list[tuple[int, int, int]]:
    """The windows the visit may start in as (index into job.windows, start, end), pins applied.

    A pinned start narrows every window to [pinned_start - PIN_SLACK, pinned_start + PIN_SLACK]; when the pin
    lies outside all windows the dispatcher's pin wins and the nearest window's index is reported. A job
    without windows may start any time (index ANY_TIME). Empty or reversed windows are left out.
    """
    windows = [(i, w.start, w.end) for i, w in enumerate(job.windows) if w.start <= w.end]
    if not job.windows:
        windows = [(ANY_TIME, -_NO_LIMIT, _NO_LIMIT)]
    if job.pinned_start is None:
        return windows
    pin = job.pinned_start
    lo, hi = pin - PIN_SLACK, pin + PIN_SLACK
    narrowed = [(i, max(s, lo), min(e, hi)) for i, s, e in windows if max(s, lo) <= min(e, hi)]
    if narrowed or not windows:
        return narrowed
    nearest = min(windows, key=lambda w: min(abs(w[1] - pin), abs(w[2] - pin)))
    return [(nearest[0], lo, hi)]


class Places:
    """Every place of a problem as a location number, with travel between them from one travel-model call.

    Locations 0.. are the distinct engineer start/end points, then one location per job (jobs never share a
    location number, so a PyVRP profile can close one job's location to an engineer without closing another's).
    """

    def __init__(self, engineers: Sequence[Engineer], jobs: Sequence[Job], travel: TravelModel) -> None:
        distinct: dict[Point, int] = {}
        point_of: list[int] = []  # location -> distinct point
        depot_of: dict[Point, int] = {}

        def depot(p: Point) -> int:
            if p not in depot_of:
                depot_of[p] = len(point_of)
                point_of.append(distinct.setdefault(p, len(distinct)))
            return depot_of[p]

        self.start = [depot(e.start) for e in engineers]
        self.end = [depot(e.end) for e in engineers]
        self.num_depots = len(point_of)
        self.job: list[int] = []
        for job in jobs:
            self.job.append(len(point_of))
            point_of.append(distinct.setdefault(job.location, len(distinct)))
        points = list(distinct)
        self.points = [points[k] for k in point_of]
        n = len(points)
        dur, dist = travel.matrices(points) if n else ([], [])
        dur_a = np.asarray(dur, dtype=np.int64).reshape(n, n)
        dist_a = np.asarray(dist, dtype=np.int64).reshape(n, n)
        pick = np.ix_(point_of, point_of)
        self.durations = np.maximum(dur_a[pick], 0)
        self.distances = np.maximum(dist_a[pick], 0)
        # Plain lists: indexing them is several times faster than numpy scalars in the loops below.
        self.D: list[list[int]] = self.durations.tolist()
        self.M: list[list[int]] = self.distances.tolist()
        self.windows = [job_windows(job) for job in jobs]


def _can_do(engineer: Engineer, job: Job) -> bool:
    """Skills and pin allow this engineer to do the job (van and clock not considered)."""
    return job.skills <= engineer.skills and (job.pinned_to is None or job.pinned_to == engineer.key)


def _alone(problem: Problem, places: Places, e: int, j: int) -> bool:
    """The engineer could do this job if it were his only one: skills, pin, van, a window within his shift."""
    engineer, job = problem.engineers[e], problem.jobs[j]
    if not _can_do(engineer, job) or job.load > engineer.capacity:
        return False
    loc = places.job[j]
    arrival = engineer.shift_start + places.D[places.start[e]][loc]
    home = places.D[loc][places.end[e]]
    for _, lo, hi in places.windows[j]:
        start = max(arrival, lo)
        if start <= hi and start + job.duration + home <= engineer.shift_end:
            return True
    return False


def _prechecks(problem: Problem, places: Places) -> tuple[dict[int, str], list[list[int]]]:
    """Reason codes for jobs that no engineer could do even alone, and for the others who could."""
    reasons: dict[int, str] = {}
    able: list[list[int]] = []
    engineers = problem.engineers
    for j, job in enumerate(problem.jobs):
        who = [e for e in range(len(engineers)) if _alone(problem, places, e, j)]
        able.append(who)
        if who:
            continue
        if job.pinned_to is not None:
            reasons[j] = "pinned_unreachable"
            continue
        skilled = [eng for eng in engineers if job.skills <= eng.skills]
        if not skilled:
            reasons[j] = "no_skill"
        elif all(job.load > eng.capacity for eng in skilled):
            reasons[j] = "no_capacity"
        else:
            reasons[j] = "no_window"
    return reasons, able


# --------------------------------------------------------------------------------------------------------
# The PyVRP model


@dataclass(frozen=True)
class DispatchModel:
    """A problem as PyVRP data, with the maps back to our engineers and jobs.

    `model` holds locations, depots, clients, groups, profiles and vehicle types but no edges: the travel
    matrices (one pair per profile) are in `data`, built from numpy arrays because 250 000 Python edge
    objects per profile would take seconds. Solve `data` with `pyvrp.solve`.
    """

    model: pyvrp.Model
    data: pyvrp.ProblemData | None  # None when there is nothing to give PyVRP
    clients: tuple[tuple[int, int], ...]  # PyVRP client -> (job index, window index)
    vehicles: tuple[int, ...]  # PyVRP vehicle type -> engineer index
    reasons: Mapping[int, str]  # job index -> reason code, for jobs kept out of the model
    able: tuple[tuple[int, ...], ...]  # job index -> engineers who could do it alone
    places: Places


def build_model(problem: Problem, travel: TravelModel, *, objective: str = "duration") -> DispatchModel:
    """The one PyVRP model of a dispatch problem (board, CLI and benchmark all solve through it)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}")
    places = Places(problem.engineers, problem.jobs, travel)
    reasons, able = _prechecks(problem, places)
    model = pyvrp.Model()
    planned = [j for j in range(len(problem.jobs)) if j not in reasons]
    useful = set().union(*(able[j] for j in planned))
    vehicles = [e for e in range(len(problem.engineers)) if e in useful]
    frozen_able = tuple(tuple(a) for a in able)
    if not planned or not vehicles:
        return DispatchModel(model, None, (), (), reasons, frozen_able, places)

    durations = places.durations
    costs = durations if objective == "duration" else places.distances
    for p in places.points:
        model.add_location(x=p.lon, y=p.lat)
    locations = model.locations
    depots: dict[int, pyvrp.Depot] = {}
    for e in vehicles:
        for loc in (places.start[e], places.end[e]):
            if loc not in depots:
                depots[loc] = model.add_depot(locations[loc])

    job_locs = [places.job[j] for j in planned]
    longest_edge = int(costs[:, job_locs].max(initial=0)), int(costs[job_locs, :].max(initial=0))
    longest_drive = int(durations[:, job_locs].max(initial=0)) + int(durations[job_locs, :].max(initial=0))
    longest_job = max(problem.jobs[j].duration for j in planned)
    # A prize above any insertion cost (detour plus balance cost), so a job is served whenever it fits.
    prize = TRAVEL_WEIGHT * sum(longest_edge) + 1
    if problem.balance:
        prize += BALANCE_WEIGHT * (longest_job + longest_drive)
    # Required jobs are modelled as prizes no set of optional jobs can outweigh rather than PyVRP's
    # required flag: a day that cannot hold them all must still give a plan (they come back unassigned).
    required_prize = prize * (4 * len(planned) + 1)

    # PyVRP wants times >= 0: count from the earliest shift start when a shift begins before the origin.
    origin = min(0, *(problem.engineers[e].shift_start for e in vehicles))
    clients: list[tuple[int, int]] = []
    for j in planned:
        job = problem.jobs[j]
        site = locations[places.job[j]]
        weight = required_prize if job.required else prize * max(1, job.priority)
        windows = places.windows[j]
        group = model.add_client_group(required=False) if len(windows) > 1 else None
        for w, lo, hi in windows:
            model.add_client(
                site,
                delivery=[max(0, job.load)],
                service_duration=max(0, job.duration),
                tw_early=max(0, lo - origin),
                tw_late=min(hi, _NO_LIMIT) - origin,
                prize=weight,
                required=False,
                group=group,
                name=job.key,
            )
            clients.append((j, w))

    # One profile per distinct set of jobs an engineer may do (skills and pins): edges into the others'
    # locations become prohibitively long.
    horizon = max(abs(problem.engineers[e].shift_end) for e in vehicles) + longest_drive + longest_job
    forbidden = min(pyvrp.constants.MAX_VALUE, 10 * (horizon + required_prize))
    allowed_of = {e: frozenset(j for j in planned if _can_do(problem.engineers[e], problem.jobs[j])) for e in vehicles}
    profile_of: dict[frozenset[int], int] = {}
    dist_mats: list[np.ndarray] = []
    dur_mats: list[np.ndarray] = []
    everything = frozenset(planned)
    for e in vehicles:
        allowed = allowed_of[e]
        if allowed in profile_of:
            continue
        profile_of[allowed] = len(dist_mats)
        model.add_profile(name=f"profile {len(dist_mats)}")
        cost, dur = costs.copy(), durations.copy()
        if allowed != everything:
            closed = [places.job[j] for j in planned if j not in allowed]
            cost[:, closed] = forbidden
            dur[:, closed] = forbidden
            np.fill_diagonal(cost, 0)
            np.fill_diagonal(dur, 0)
        dist_mats.append(cost)
        dur_mats.append(dur)

    fair_share = 0
    if problem.balance:
        nearest = durations[np.ix_(job_locs, job_locs)] + np.eye(len(job_locs), dtype=np.int64) * _NO_LIMIT
        drive = nearest.min(axis=1) if len(job_locs) > 1 else np.zeros(1, dtype=np.int64)
        work = sum(problem.jobs[j].duration for j in planned) + int(drive.sum())
        fair_share = -(-work // len(vehicles))

    profiles = model.profiles
    for e in vehicles:
        engineer = problem.engineers[e]
        shift = max(0, engineer.shift_end - engineer.shift_start)
        # Balance: work beyond a fair share (plus his drive to and from the nearest job) is "overtime" at a
        # cost, so the solver spreads jobs when it can, yet never defers a job for it (the prize is higher).
        target, overtime = np.iinfo(np.int64).max, 0
        if problem.balance:
            commute = int(durations[places.start[e], job_locs].min()) + int(durations[job_locs, places.end[e]].min())
            target = min(shift, fair_share + commute)
            overtime = shift - target
        model.add_vehicle_type(
            num_available=1,
            capacity=[max(0, engineer.capacity)],
            start_depot=depots[places.start[e]],
            end_depot=depots[places.end[e]],
            tw_early=engineer.shift_start - origin,
            tw_late=engineer.shift_end - origin,
            unit_distance_cost=TRAVEL_WEIGHT,
            unit_duration_cost=0,
            profile=profiles[profile_of[allowed_of[e]]],
            shift_duration=target,
            max_overtime=overtime,
            unit_overtime_cost=BALANCE_WEIGHT if problem.balance else 0,
            name=engineer.key,
        )

    data = pyvrp.ProblemData(
        model.locations,
        model.clients,
        model.depots,
        model.vehicle_types,
        dist_mats,  # type: ignore[arg-type]  # the stub's ndarray[int] is not a real numpy type
        dur_mats,  # type: ignore[arg-type]
        model.groups,
        [],
    )
    return DispatchModel(model, data, tuple(clients), tuple(vehicles), reasons, frozen_able, places)


# --------------------------------------------------------------------------------------------------------
# Routes from visiting orders


def _route(problem: Problem, places: Places, e: int, sequence: Sequence[tuple[int, int]]) -> Route | None:
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
    # Leave as late as possible so that he does not wait at the first job.
    leave_at = max(engineer.shift_start, rows[0][3] - rows[0][5])
    rows[0][2] = leave_at + rows[0][5]
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
                    tried = _route(problem, built.places, e, [*sequence[:at], (j, w), *sequence[at:]])
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


def _plan(
    problem: Problem, routes: list[Route], unassigned: dict[int, str], started: float, travel: TravelModel
) -> Plan:
    """Assemble a plan, every job either visited or unassigned, and re-check it in our own code."""
    plan = Plan(
        routes=tuple(routes),
        unassigned=tuple(Unassigned(problem.jobs[j].key, reason) for j, reason in sorted(unassigned.items())),
        travel=sum(r.travel for r in routes),
        distance=sum(r.distance for r in routes),
        seconds=0.0,
    )
    problems = tuple(plan_check(problem, plan, travel=travel))
    return replace(plan, seconds=time.perf_counter() - started, feasible=not problems, problems=problems)


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
            route = _route(problem, built.places, e, sequence)
            if route is None:
                # PyVRP's best breaks a rule here (no feasible plan found in time): keep what fits, in order;
                # the rest comes back deferred.
                kept: list[tuple[int, int]] = []
                for item in sequence:
                    if _route(problem, built.places, e, [*kept, item]) is not None:
                        kept.append(item)
                sequence = kept
                route = _route(problem, built.places, e, sequence)
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
    return _plan(problem, routes, unassigned, started, travel)


# --------------------------------------------------------------------------------------------------------
# Independent check


def _clock(t: int) -> str:
    """Seconds from the origin as h:mm, with :ss when not on the minute (hours run on past 24, never as days)."""
    sign = "-" if t < 0 else ""
    t = abs(t)
    return f"{sign}{t // 3600}:{t % 3600 // 60:02d}" + (f":{t % 60:02d}" if t % 60 else "")


def plan_check(problem: Problem, plan: Plan, *, travel: TravelModel) -> list[str]:
    """Independent feasibility check of a plan in our own code; an empty list means feasible."""
    out: list[str] = []
    places = Places(problem.engineers, problem.jobs, travel)
    D, M = places.D, places.M
    engineer_at: dict[str, int] = {}
    for e, eng in enumerate(problem.engineers):
        if eng.key in engineer_at:
            out.append(f"engineer {eng.key} appears twice in the problem")
        engineer_at.setdefault(eng.key, e)
    job_at: dict[str, int] = {}
    for j, job in enumerate(problem.jobs):
        if job.key in job_at:
            out.append(f"job {job.key} appears twice in the problem")
        job_at.setdefault(job.key, j)

    seen: dict[str, str] = {}  # job key -> where it was seen
    routed: set[str] = set()
    for route in plan.routes:
        who = route.engineer
        if who not in engineer_at:
            out.append(f"route for unknown engineer {who}")
            continue
        if who in routed:
            out.append(f"engineer {who} has more than one route")
        routed.add(who)
        e = engineer_at[who]
        eng = problem.engineers[e]
        if route.leave_at < eng.shift_start:
            out.append(
                f"{who} leaves at {_clock(route.leave_at)}, before his shift starts at {_clock(eng.shift_start)}"
            )
        here, clock, load = places.start[e], route.leave_at, 0
        drive_total = distance = 0
        for v in route.visits:
            if v.job not in job_at:
                out.append(f"{who} visits unknown job {v.job}")
                continue
            if v.job in seen:
                out.append(f"job {v.job} is planned twice ({seen[v.job]} and {who})")
            seen[v.job] = who
            j = job_at[v.job]
            job = problem.jobs[j]
            if not job.skills <= eng.skills:
                missing = ", ".join(sorted(job.skills - eng.skills))
                out.append(f"{who} lacks skills {missing} for job {v.job}")
            if job.pinned_to is not None and job.pinned_to != who:
                out.append(f"job {v.job} is pinned to {job.pinned_to} but planned for {who}")
            there = places.job[j]
            drive = D[here][there]
            if v.travel != drive:
                out.append(f"job {v.job}: travel is {drive} s, the plan says {v.travel} s")
            if v.arrival < clock + drive:
                out.append(
                    f"{who} cannot reach job {v.job} by {_clock(v.arrival)}: he is free at {_clock(clock)} "
                    f"and needs {drive} s"
                )
            if v.start < v.arrival:
                out.append(f"job {v.job} starts at {_clock(v.start)}, before the arrival at {_clock(v.arrival)}")
            if v.departure < v.start + job.duration:
                out.append(
                    f"job {v.job} is left at {_clock(v.departure)}, before its {job.duration} s on site are done"
                )
            # The effective windows apply the pin (and let a pin outside every window win).
            if not any(i == v.window and lo <= v.start <= hi for i, lo, hi in places.windows[j]):
                if job.windows and not 0 <= v.window < len(job.windows):
                    out.append(f"job {v.job} has no window number {v.window}")
                elif job.pinned_start is not None and abs(v.start - job.pinned_start) > PIN_SLACK:
                    out.append(
                        f"job {v.job} starts at {_clock(v.start)}, more than {PIN_SLACK // 60} min from its "
                        f"pinned start {_clock(job.pinned_start)}"
                    )
                elif job.windows:
                    w = job.windows[v.window]
                    out.append(
                        f"job {v.job} starts at {_clock(v.start)}, outside its window {_clock(w.start)}-{_clock(w.end)}"
                    )
                else:
                    out.append(f"job {v.job} has no windows, so its window must be {ANY_TIME}")
            drive_total += drive
            distance += M[here][there]
            load += job.load
            here, clock = there, v.departure
        home = D[here][places.end[e]]
        drive_total += home
        distance += M[here][places.end[e]]
        if route.back_at < clock + home:
            out.append(f"{who} cannot be back by {_clock(route.back_at)}: he needs until {_clock(clock + home)}")
        back = max(route.back_at, clock + home)
        if back > eng.shift_end:
            out.append(f"{who} is back at {_clock(back)}, after his shift ends at {_clock(eng.shift_end)}")
        if load > eng.capacity:
            out.append(f"{who}'s van carries {load}, more than its capacity {eng.capacity}")
        if route.travel != drive_total:
            out.append(f"{who}'s travel is {drive_total} s, the route says {route.travel} s")
        if route.distance != distance:
            out.append(f"{who}'s distance is {distance} m, the route says {route.distance} m")

    for u in plan.unassigned:
        if u.job not in job_at:
            out.append(f"unknown job {u.job} reported unassigned")
            continue
        if seen.get(u.job) == "unassigned":
            out.append(f"job {u.job} is reported unassigned twice")
        elif u.job in seen:
            out.append(f"job {u.job} is unassigned but also planned for {seen[u.job]}")
        seen[u.job] = "unassigned"
        if not u.reason:
            # Any code will do (callers add their own, e.g. a dispatcher's "by hand"), but not none.
            out.append(f"job {u.job} is unassigned without a reason")
    for job in problem.jobs:
        if job.key not in seen:
            out.append(f"job {job.key} is neither planned nor reported unassigned")
        elif job.required and seen[job.key] == "unassigned":
            out.append(f"required job {job.key} is not planned")
    if plan.travel != sum(r.travel for r in plan.routes):
        out.append(f"the plan's travel {plan.travel} s is not the sum of its routes'")
    if plan.distance != sum(r.distance for r in plan.routes):
        out.append(f"the plan's distance {plan.distance} m is not the sum of its routes'")
    return out


# --------------------------------------------------------------------------------------------------------
# Booking: which windows can still be offered


def window_options(
    engineers: Sequence[Engineer],
    routes: Mapping[str, Sequence[Job]],
    job: Job,
    candidates: Sequence[Window],
    *,
    travel: TravelModel,
) -> list[WindowOption]:
    """For each candidate window: can some capable engineer insert the job into his committed day?

    `routes` maps an engineer key to his booked jobs in visiting order (their windows, or pinned starts, are
    the promises to keep). The job goes in at the cheapest place that keeps every booked job in its window and
    the engineer inside his shift; `extra_travel` is the added driving in seconds.
    """
    best: list[tuple[int, int] | None] = [None] * len(candidates)  # (extra travel, engineer)
    for e, eng in enumerate(engineers):
        day = list(routes.get(eng.key, ()))
        if not _can_do(eng, job) or sum(b.load for b in day) + job.load > eng.capacity:
            continue
        # One small matrix per engineer: his start, booked stops, end and the new job (a 500-point matrix
        # for everybody at once costs more than all of these together).
        D = travel.matrices([eng.start, *(b.location for b in day), eng.end, job.location])[0]
        home, new = len(day) + 1, len(day) + 2  # his start point is 0, booked stop k is k + 1
        locs = list(range(1, len(day) + 1))
        wins = [job_windows(b) for b in day]
        # Earliest departure from each stop (start point first) ...
        departs = [eng.shift_start]
        here, clock = 0, eng.shift_start
        for b, loc, win in zip(day, locs, wins, strict=True):
            arrival = clock + D[here][loc]
            starts = [max(arrival, lo) for _, lo, hi in win if max(arrival, lo) <= hi]
            if not starts:
                break
            clock = min(starts) + b.duration
            departs.append(clock)
            here = loc
        if len(departs) != len(day) + 1:
            continue  # his booked day is already broken; do not add to it
        # ... and the latest arrival at each stop (end point last) that keeps the rest of the day.
        latest = [eng.shift_end]
        nxt = home
        for b, loc, win in zip(reversed(day), reversed(locs), reversed(wins), strict=True):
            bound = latest[-1] - D[loc][nxt] - b.duration
            ok = [min(hi, bound) for _, lo, hi in win if lo <= bound]
            if not ok:
                break
            latest.append(max(ok))
            nxt = loc
        if len(latest) != len(day) + 1:
            continue
        latest.reverse()  # latest[k]: latest arrival at stop k (k = len(day): his end point)
        stops = [0, *locs, home]
        if departs[-1] + D[stops[-2]][stops[-1]] > eng.shift_end:
            continue
        for p in range(len(day) + 1):
            before, after = stops[p], stops[p + 1]
            drive_in, drive_out = D[before][new], D[new][after]
            extra = drive_in + drive_out - D[before][after]
            arrival = departs[p] + drive_in
            deadline = latest[p] - drive_out - job.duration
            for c, window in enumerate(candidates):
                start = max(arrival, window.start)
                if start <= window.end and start <= deadline:
                    current = best[c]
                    if current is None or extra < current[0]:
                        best[c] = (extra, e)
    return [
        WindowOption(w, True, engineers[b[1]].key, b[0]) if b is not None else WindowOption(w, False, None, None)
        for w, b in zip(candidates, best, strict=True)
    ]


# --------------------------------------------------------------------------------------------------------
# Baseline


def greedy_plan(problem: Problem, *, travel: TravelModel) -> Plan:
    """Baseline plan: first come first served, each job to the capable engineer who can start it earliest.

    Jobs are taken in the order given and appended to an engineer's day (never reordered); among engineers
    who can still meet one of its windows and get home within the shift, the earliest start wins, then the
    shorter drive. This is what a dispatcher does by hand; the benchmark compares the optimiser with it.
    """
    started = time.perf_counter()
    places = Places(problem.engineers, problem.jobs, travel)
    reasons, able = _prechecks(problem, places)
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
    routes = [r for e, seq in enumerate(sequences) if seq and (r := _route(problem, places, e, seq)) is not None]
    return _plan(problem, routes, unassigned, started, travel)
