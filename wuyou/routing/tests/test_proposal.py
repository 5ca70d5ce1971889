"""The stored proposal (pure): JSON round trips, re-timing a route, and hand moves re-checked (R-F1, R-F2, R-F6)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from wuyou.routing.optimizer import (
    ARRIVE_EARLY,
    Engineer,
    Job,
    Plan,
    Point,
    Problem,
    Unassigned,
    Window,
    plan_check,
    solve,
)
from wuyou.routing.proposal import (
    BY_HAND,
    ProposalError,
    plan_dump,
    plan_load,
    problem_dump,
    problem_load,
    proposal_move,
    route_timing,
)

H = 3600
DRIVE = 600  # ten minutes between any two different places


class TenMinutes:
    """Travel where every trip between two different places takes ten minutes and 5 km."""

    def matrices(self, points: Sequence[Point]) -> tuple[list[list[int]], list[list[int]]]:
        durations = [[0 if p == q else DRIVE for q in points] for p in points]
        distances = [[0 if p == q else 5000 for q in points] for p in points]
        return durations, distances


TRAVEL = TenMinutes()
BASE = Point(36.07, 120.38)


def engineer(key: str, *, skills=("ac",), start: int = 8 * H + 1800, end: int = 21 * H, capacity: int = 2) -> Engineer:
    return Engineer(key, BASE, BASE, start, end, frozenset(skills), capacity)


def job(key: str, *windows: tuple[float, float], lat: float = 36.08, **kw) -> Job:
    return Job(
        key=key,
        location=Point(lat, 120.40),
        duration=kw.pop("duration", H),
        windows=tuple(Window(int(s * H), int(e * H)) for s, e in windows),
        skills=frozenset(kw.pop("skills", ("ac",))),
        **kw,
    )


def day() -> Problem:
    return Problem(
        engineers=(engineer("e1"), engineer("e2", skills=("ac", "boiler"))),
        jobs=(
            job("a", (9, 11), lat=36.081),
            job("b", (9, 12), lat=36.082),
            job("c", (13, 15), (18, 20), lat=36.083, required=True, priority=4),
            job("d", (10, 16), lat=36.084, skills=("boiler",), load=1, pinned_to="e2", pinned_start=11 * H),
        ),
    )


@pytest.fixture(scope="module")
def solved() -> tuple[Problem, Plan]:
    problem = day()
    return problem, solve(problem, travel=TRAVEL, seconds=0)


def through_json(data: dict) -> dict:
    return json.loads(json.dumps(data))


# -- round trips ------------------------------------------------------------------------------------------------


def test_r_f1_a_problem_survives_the_json_round_trip():
    problem = day()
    assert problem_load(through_json(problem_dump(problem))) == problem
    assert problem_load(through_json(problem_dump(Problem((), (), balance=False)))) == Problem((), (), balance=False)


def test_r_f1_a_plan_survives_the_json_round_trip(solved):
    problem, plan = solved
    assert plan.feasible and plan.routes, plan.problems
    assert plan_load(through_json(plan_dump(plan))) == plan
    with_left = Plan(routes=(), unassigned=(Unassigned("a", "no_skill"),), travel=0, distance=0, seconds=0.5)
    assert plan_load(through_json(plan_dump(with_left))) == with_left


# -- route_timing (R-F2) ----------------------------------------------------------------------------------------


def test_r_f2_route_timing_works_the_departure_back_from_the_first_visit():
    e1 = engineer("e1")
    a, b = job("a", (10, 11)), job("b", (9, 12), lat=36.09)
    route = route_timing(e1, [a, b], travel=TRAVEL)
    first, second = route.visits
    assert route.leave_at == 10 * H - ARRIVE_EARLY - DRIVE  # at the door a few minutes early, no more
    assert (first.arrival, first.start, first.departure, first.travel) == (10 * H - ARRIVE_EARLY, 10 * H, 11 * H, DRIVE)
    assert (second.arrival, second.start, second.departure) == (11 * H + DRIVE, 11 * H + DRIVE, 12 * H + DRIVE)
    assert route.back_at == 12 * H + 2 * DRIVE
    assert (route.travel, route.distance) == (3 * DRIVE, 15000)


def test_r_f2_route_timing_leaves_at_the_shift_start_when_the_first_window_is_open():
    route = route_timing(engineer("e1"), [job("a", (8, 11))], travel=TRAVEL)
    assert route.leave_at == 8 * H + 1800
    assert route.visits[0].arrival == route.visits[0].start == 8 * H + 1800 + DRIVE


def test_r_f2_route_timing_takes_the_first_window_still_reachable():
    late = engineer("e1", start=12 * H)
    route = route_timing(late, [job("c", (9, 11), (13, 15), (18, 20))], travel=TRAVEL)
    assert (route.visits[0].window, route.visits[0].start) == (1, 13 * H)


def test_r_f2_a_visit_past_all_its_windows_is_timed_anyway_and_the_check_reports_it():
    late = engineer("e1", start=12 * H)
    missed = job("a", (9, 10))
    route = route_timing(late, [missed], travel=TRAVEL)
    assert route.visits[0].window == 0 and route.visits[0].start == 12 * H + DRIVE
    plan = Plan(routes=(route,), unassigned=(), travel=route.travel, distance=route.distance, seconds=0)
    problems = plan_check(Problem((late,), (missed,)), plan, travel=TRAVEL)
    assert any("outside its window" in p for p in problems)


def test_r_f6_route_timing_keeps_a_pinned_visit_within_its_slack():
    pinned = job("d", (10, 16), pinned_to="e1", pinned_start=11 * H)
    route = route_timing(engineer("e1"), [pinned], travel=TRAVEL)
    assert route.visits[0].start == 11 * H - 900 and route.leave_at == 11 * H - 900 - ARRIVE_EARLY - DRIVE


def test_r_f2_an_empty_route_leaves_and_returns_at_the_shift_start():
    route = route_timing(engineer("e1"), [], travel=TRAVEL)
    assert (route.visits, route.leave_at, route.back_at, route.travel) == ((), 8 * H + 1800, 8 * H + 1800, 0)


# -- proposal_move (R-F1, R-F6) ----------------------------------------------------------------------------------


def where(plan: Plan, key: str) -> tuple[str, int] | None:
    for route in plan.routes:
        for i, visit in enumerate(route.visits):
            if visit.job == key:
                return route.engineer, i
    return None


def test_r_f6_a_valid_move_re_times_both_routes_keeping_pinned_jobs_at_their_time(solved):
    problem, plan = solved
    source, _ = where(plan, "b")
    target = "e2" if source == "e1" else "e1"
    moved = proposal_move(problem, plan, job="b", engineer=target, position=0, travel=TRAVEL)
    assert where(moved, "b") == (target, 0)
    assert plan_check(problem, moved, travel=TRAVEL) == []
    assert moved.travel == sum(r.travel for r in moved.routes)
    assert where(plan, "b")[0] == source  # the original plan is untouched
    pinned = next(v for r in moved.routes for v in r.visits if v.job == "d")
    assert abs(pinned.start - 11 * H) <= 900  # e2's route was re-timed around the pinned 11:00 visit


def test_r_f1_moving_to_the_end_and_out_of_the_plan(solved):
    problem, plan = solved
    moved = proposal_move(problem, plan, job="c", engineer="e1", position=None, travel=TRAVEL)
    e1 = next(r for r in moved.routes if r.engineer == "e1")
    assert e1.visits[-1].job == "c"
    out = proposal_move(problem, plan, job="b", engineer=None, travel=TRAVEL)
    assert where(out, "b") is None
    assert Unassigned("b", BY_HAND) in out.unassigned
    back = proposal_move(problem, out, job="b", engineer="e1", position=0, travel=TRAVEL)
    assert where(back, "b") == ("e1", 0) and all(u.job != "b" for u in back.unassigned)


@pytest.mark.parametrize(
    ("job_key", "engineer_key", "position", "finding"),
    [
        ("d", "e1", 0, "lacks skills boiler"),  # e1 cannot do boiler work
        ("d", "e1", 0, "pinned to e2"),  # and d is pinned to e2
        ("c", None, None, "required job c is not planned"),  # urgent work cannot be taken out
    ],
)
def test_r_f6_moves_that_break_a_rule_are_refused(solved, job_key, engineer_key, position, finding):
    problem, plan = solved
    with pytest.raises(ProposalError) as caught:
        proposal_move(problem, plan, job=job_key, engineer=engineer_key, position=position, travel=TRAVEL)
    assert caught.value.code == "infeasible"
    assert finding in str(caught.value)


def test_r_f1_a_move_that_breaks_a_window_is_refused():
    # e1 has a (09–11); piling b and a long job in front of it makes it start too late.
    problem = Problem(
        engineers=(engineer("e1"),),
        jobs=(job("a", (9, 10)), job("b", (9, 12), duration=2 * H)),
    )
    plan = solve(problem, travel=TRAVEL, seconds=0)
    assert where(plan, "a") == ("e1", 0)
    with pytest.raises(ProposalError) as caught:
        proposal_move(problem, plan, job="b", engineer="e1", position=0, travel=TRAVEL)
    assert caught.value.code == "infeasible" and "job a starts at" in str(caught.value)


@pytest.mark.parametrize(
    ("job_key", "engineer_key", "code"), [("zz", "e1", "unknown_job"), ("a", "e9", "unknown_engineer")]
)
def test_r_f1_unknown_jobs_and_engineers_are_named(solved, job_key, engineer_key, code):
    problem, plan = solved
    with pytest.raises(ProposalError) as caught:
        proposal_move(problem, plan, job=job_key, engineer=engineer_key, travel=TRAVEL)
    assert caught.value.code == code
