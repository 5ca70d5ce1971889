"""A day's dispatch problem as plain values (pure): engineers, jobs, windows, the plan that answers it, and the
prechecks that tell why a job cannot be placed at all (R-F1, R-F6). Times are integer seconds from the plan's origin.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


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
    warnings: tuple[str, ...] = field(default_factory=tuple)  # plan_warnings: required jobs nobody can do


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


NO_LIMIT = 1 << 62  # bounds of "any time"; far inside int64 so sums cannot overflow


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
        windows = [(ANY_TIME, -NO_LIMIT, NO_LIMIT)]
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


def can_do(engineer: Engineer, job: Job) -> bool:
    """Skills and pin allow this engineer to do the job (van and clock not considered)."""
    return job.skills <= engineer.skills and (job.pinned_to is None or job.pinned_to == engineer.key)


def _alone(problem: Problem, places: Places, e: int, j: int) -> bool:
    """The engineer could do this job if it were his only one: skills, pin, van, a window within his shift."""
    engineer, job = problem.engineers[e], problem.jobs[j]
    if not can_do(engineer, job) or job.load > engineer.capacity:
        return False
    loc = places.job[j]
    arrival = engineer.shift_start + places.D[places.start[e]][loc]
    home = places.D[loc][places.end[e]]
    for _, lo, hi in places.windows[j]:
        start = max(arrival, lo)
        if start <= hi and start + job.duration + home <= engineer.shift_end:
            return True
    return False


def prechecks(problem: Problem, places: Places) -> tuple[dict[int, str], list[list[int]]]:
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
