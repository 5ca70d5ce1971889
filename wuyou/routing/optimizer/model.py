"""The PyVRP model of a day (pure): skills and pins as routing profiles, windows as client groups, prizes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyvrp
import pyvrp.constants

from wuyou.routing.optimizer.problem import NO_LIMIT, Places, Problem, TravelModel, can_do, prechecks

OBJECTIVES = ("duration", "distance")


# Cost weights: one unit of travel costs TRAVEL_WEIGHT, one second of work above an engineer's fair share
# costs BALANCE_WEIGHT, so a job moves to a less busy engineer when the detour is under half its length.
TRAVEL_WEIGHT = 2


BALANCE_WEIGHT = 1


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
    reasons, able = prechecks(problem, places)
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
                tw_late=min(hi, NO_LIMIT) - origin,
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
    allowed_of = {e: frozenset(j for j in planned if can_do(problem.engineers[e], problem.jobs[j])) for e in vehicles}
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
        nearest = durations[np.ix_(job_locs, job_locs)] + np.eye(len(job_locs), dtype=np.int64) * NO_LIMIT
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
