"""A plan as the dispatcher reviews it (pure): stored as JSON, re-timed after hand adjustments, re-checked.

The optimiser's answer is kept with the problem it answered, so that a reassignment or a new order can be
re-timed and re-checked by `plan_check` without going back to the database.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from wuyou.routing.optimizer import (
    Engineer,
    Job,
    Plan,
    Point,
    Problem,
    Route,
    TravelModel,
    Unassigned,
    Visit,
    Window,
    job_windows,
    plan_check,
    schedule_late,
)

BY_HAND = "by_hand"  # reason code: the dispatcher took the job out of the plan


class ProposalError(ValueError):
    """A hand adjustment the plan cannot take; `code` says which rule, the message says why."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def problem_dump(problem: Problem) -> dict[str, Any]:
    """The problem as JSON-ready data."""

    def point(p: Point) -> list[float]:
        return [p.lat, p.lon]

    return {
        "balance": problem.balance,
        "engineers": [
            {
                "key": e.key,
                "start": point(e.start),
                "end": point(e.end),
                "shift": [e.shift_start, e.shift_end],
                "skills": sorted(e.skills),
                "capacity": e.capacity,
            }
            for e in problem.engineers
        ],
        "jobs": [
            {
                "key": j.key,
                "location": point(j.location),
                "duration": j.duration,
                "windows": [[w.start, w.end] for w in j.windows],
                "skills": sorted(j.skills),
                "load": j.load,
                "required": j.required,
                "priority": j.priority,
                "pinned_to": j.pinned_to,
                "pinned_start": j.pinned_start,
            }
            for j in problem.jobs
        ],
    }


def problem_load(data: dict[str, Any]) -> Problem:
    """The problem back from `problem_dump`'s data."""
    engineers = tuple(
        Engineer(
            key=e["key"],
            start=Point(*e["start"]),
            end=Point(*e["end"]),
            shift_start=e["shift"][0],
            shift_end=e["shift"][1],
            skills=frozenset(e["skills"]),
            capacity=e["capacity"],
        )
        for e in data.get("engineers", [])
    )
    jobs = tuple(
        Job(
            key=j["key"],
            location=Point(*j["location"]),
            duration=j["duration"],
            windows=tuple(Window(s, e) for s, e in j["windows"]),
            skills=frozenset(j["skills"]),
            load=j["load"],
            required=j["required"],
            priority=j["priority"],
            pinned_to=j["pinned_to"],
            pinned_start=j["pinned_start"],
        )
        for j in data.get("jobs", [])
    )
    return Problem(engineers=engineers, jobs=jobs, balance=data.get("balance", True))


def plan_dump(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-ready data."""
    return {
        "routes": [
            {
                "engineer": r.engineer,
                "leave_at": r.leave_at,
                "back_at": r.back_at,
                "travel": r.travel,
                "distance": r.distance,
                "visits": [dataclasses.asdict(v) for v in r.visits],
            }
            for r in plan.routes
        ],
        "unassigned": [dataclasses.asdict(u) for u in plan.unassigned],
        "travel": plan.travel,
        "distance": plan.distance,
        "seconds": plan.seconds,
        "feasible": plan.feasible,
        "problems": list(plan.problems),
        "warnings": list(plan.warnings),
    }


def plan_load(data: dict[str, Any]) -> Plan:
    """The plan back from `plan_dump`'s data."""
    routes = tuple(
        Route(
            engineer=r["engineer"],
            visits=tuple(Visit(**v) for v in r["visits"]),
            leave_at=r["leave_at"],
            back_at=r["back_at"],
            travel=r["travel"],
            distance=r["distance"],
        )
        for r in data.get("routes", [])
    )
    return Plan(
        routes=routes,
        unassigned=tuple(Unassigned(**u) for u in data.get("unassigned", [])),
        travel=data.get("travel", 0),
        distance=data.get("distance", 0),
        seconds=data.get("seconds", 0.0),
        feasible=data.get("feasible", True),
        problems=tuple(data.get("problems", [])),
        warnings=tuple(data.get("warnings", [])),
    )


def route_timing(engineer: Engineer, jobs: Sequence[Job], *, travel: TravelModel) -> Route:
    """Time a route in the given order: each visit starts at arrival or its earliest reachable window.

    He leaves for each job as late as lets him be at the door ARRIVE_EARLY before it starts (`schedule_late`).
    A pinned job starts within its pin's slack. A job whose every window is already past when he can get there
    keeps its last window, so that `plan_check` reports it rather than hiding it.
    """
    points = [engineer.start, *(j.location for j in jobs), engineer.end]
    durations, distances = travel.matrices(points)
    visits: list[Visit] = []
    clock = engineer.shift_start
    total_travel = 0
    total_distance = 0
    for i, job in enumerate(jobs, start=1):
        leg = durations[i - 1][i]
        total_travel += leg
        total_distance += distances[i - 1][i]
        arrival = clock + leg
        # The effective windows: a pinned job keeps to its pinned start (± PIN_SLACK), as plan_check demands.
        options = job_windows(job)
        if options:
            window_index, earliest, _latest = next((w for w in options if arrival <= w[2]), options[-1])
            start = max(arrival, earliest)
        else:
            window_index, start = len(job.windows) - 1, arrival
        visits.append(
            Visit(
                job=job.key,
                window=window_index,
                arrival=arrival,
                start=start,
                departure=start + job.duration,
                travel=leg,
            )
        )
        clock = start + job.duration
    last = len(points) - 1
    total_travel += durations[last - 1][last]
    total_distance += distances[last - 1][last]
    back_at = clock + durations[last - 1][last]
    route = Route(
        engineer=engineer.key,
        visits=tuple(visits),
        leave_at=engineer.shift_start,
        back_at=back_at,
        travel=total_travel,
        distance=total_distance,
    )
    # Work each departure back from its visit's start: at the door a few minutes early, not hours (R-F2).
    return schedule_late(route, shift_start=engineer.shift_start)


def proposal_move(
    problem: Problem,
    plan: Plan,
    *,
    job: str,
    engineer: str | None,
    position: int | None = None,
    travel: TravelModel,
) -> Plan:
    """Move a job to an engineer's route at a position (end when None), or out of the plan when engineer is None.

    The touched routes are re-timed and the whole plan re-checked; a move that breaks a window, a shift, a skill
    or a pin raises ProposalError with the check's finding and leaves the plan as it was.
    """
    jobs = {j.key: j for j in problem.jobs}
    engineers = {e.key: e for e in problem.engineers}
    if job not in jobs:
        raise ProposalError("unknown_job", f"job {job} is not in this plan")
    if engineer is not None and engineer not in engineers:
        raise ProposalError("unknown_engineer", f"engineer {engineer} is not on duty in this plan")
    orders: dict[str, list[str]] = {r.engineer: [v.job for v in r.visits] for r in plan.routes}
    source = next((e for e, keys in orders.items() if job in keys), None)
    if source is not None:
        orders[source].remove(job)
    if engineer is not None:
        target = orders.setdefault(engineer, [])
        at = len(target) if position is None else max(0, min(position, len(target)))
        target.insert(at, job)
    touched = {e for e in (source, engineer) if e is not None}
    routes = [r for r in plan.routes if r.engineer not in touched]
    for key in sorted(touched):
        if orders.get(key):
            routes.append(route_timing(engineers[key], [jobs[k] for k in orders[key]], travel=travel))
    unassigned = [u for u in plan.unassigned if u.job != job]
    if engineer is None:
        unassigned.append(Unassigned(job=job, reason=BY_HAND))
    candidate = Plan(
        routes=tuple(sorted(routes, key=lambda r: r.engineer)),
        unassigned=tuple(unassigned),
        travel=sum(r.travel for r in routes),
        distance=sum(r.distance for r in routes),
        seconds=plan.seconds,
    )
    problems = plan_check(problem, candidate, travel=travel)
    if problems:
        raise ProposalError("infeasible", "; ".join(problems))
    return candidate
