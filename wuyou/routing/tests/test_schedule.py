"""R-F2: each arrival a few minutes before its visit starts, not hours early; starts, windows and shifts kept."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wuyou.routing.optimizer import (
    ARRIVE_EARLY,
    Engineer,
    Job,
    Plan,
    Point,
    Problem,
    Route,
    Visit,
    Window,
    greedy_plan,
    job_windows,
    plan_check,
    plan_late,
    schedule_late,
    solve,
)
from wuyou.routing.proposal import route_timing
from wuyou.routing.tests.test_optimizer import SOLOMON, solomon
from wuyou.routing.travel import EuclideanTravel, GreatCircleTravel

H = 3600
M = 60
TRAVEL = GreatCircleTravel()
HOME = Point(36.0662, 120.3826)
NEAR = Point(36.0700, 120.3900)
EAST = Point(36.0650, 120.4300)


def engineer(shift: tuple[int, int] = (8 * H + 30 * M, 21 * H + 30 * M)) -> Engineer:
    return Engineer("wang", HOME, HOME, shift[0], shift[1], frozenset({"ac"}), 10)


def job(key: str, window: tuple[int, int], *, at: Point = NEAR, duration: int = H) -> Job:
    return Job(key, at, duration, (Window(*window),), frozenset({"ac"}))


def the_day() -> tuple[Engineer, list[Job]]:
    """The reported day: a morning visit, then 14:00–16:00 and 19:00–21:00 (he was due at 09:57 and 17:17)."""
    return engineer(), [
        job("morning", (9 * H, 11 * H)),
        job("afternoon", (14 * H, 16 * H), at=EAST),
        job("evening", (19 * H, 21 * H)),
    ]


def plan_solved(eng: Engineer, jobs: list[Job]) -> Route:
    [route] = solve(Problem((eng,), tuple(jobs)), travel=TRAVEL, seconds=0.3).routes
    return route


def plan_greedy(eng: Engineer, jobs: list[Job]) -> Route:
    [route] = greedy_plan(Problem((eng,), tuple(jobs)), travel=TRAVEL).routes
    return route


def plan_by_hand(eng: Engineer, jobs: list[Job]) -> Route:
    return route_timing(eng, jobs, travel=TRAVEL)  # the dispatcher's re-timed route after a move


def checked(eng: Engineer, jobs: list[Job], route: Route) -> list[str]:
    plan = Plan((route,), (), route.travel, route.distance, 0.0)
    return plan_check(Problem((eng,), tuple(jobs)), plan, travel=TRAVEL)


@pytest.mark.parametrize("planner", [plan_solved, plan_greedy, plan_by_hand], ids=["solve", "greedy", "by hand"])
def test_a_far_later_window_gets_an_arrival_minutes_before_it_not_hours(planner: Callable[..., Route]):
    # given the reported day, planned by the search, by the greedy baseline or re-timed after a hand move
    eng, jobs = the_day()
    route = planner(eng, jobs)
    # then each visit starts as its window opens and he is at the door ARRIVE_EARLY before, not hours
    assert [v.job for v in route.visits] == ["morning", "afternoon", "evening"]
    for visit, opens in zip(route.visits, (9 * H, 14 * H, 19 * H), strict=True):
        assert visit.start == opens
        assert visit.arrival == opens - ARRIVE_EARLY
    # and he sets off from home or from the previous customer as late as that allows
    assert route.leave_at == 9 * H - ARRIVE_EARLY - route.visits[0].travel
    for before, after in zip(route.visits, route.visits[1:], strict=False):
        assert after.arrival - after.travel > before.departure + 2 * H  # waits where he is, then leaves
    assert checked(eng, jobs, route) == []


def test_a_tight_chain_keeps_every_window_and_arrives_as_soon_as_he_can():
    # given visits back to back: each window opens before he can get there from the previous one
    eng = engineer()
    jobs = [
        job("a", (9 * H, 9 * H)),
        job("b", (10 * H, 10 * H + 30 * M), at=EAST),
        job("c", (11 * H, 11 * H + 40 * M)),
    ]
    route = plan_by_hand(eng, jobs)
    a, b, c = route.visits
    # then the first is met early, the next ones as soon as he gets there, each inside its window
    assert (a.arrival, a.start) == (9 * H - ARRIVE_EARLY, 9 * H)
    assert b.arrival == b.start == a.departure + b.travel
    assert c.arrival == c.start == b.departure + c.travel
    assert b.start <= 10 * H + 30 * M and c.start <= 11 * H + 40 * M
    assert checked(eng, jobs, route) == []
    # and the solver gives the same chain
    assert plan_solved(eng, jobs).visits == route.visits


def hand_route(*visits: Visit, leave_at: int = 8 * H) -> Route:
    return Route("wang", visits, leave_at, 16 * H, 1800, 9000)


def test_only_arrivals_and_the_departure_from_home_move():
    # given a route timed early: at the door 50 min before 09:00, 10:10 with no slack, 3 h early for 14:00
    early = hand_route(
        Visit("a", 0, 8 * H + 10 * M, 9 * H, 10 * H, 600),
        Visit("b", 0, 10 * H + 10 * M, 10 * H + 10 * M, 11 * H, 600),
        Visit("c", 0, 11 * H + 10 * M, 14 * H, 15 * H, 600),
    )
    late = schedule_late(early, shift_start=8 * H)
    # then only the arrivals where there was slack move, and the start from home follows the first
    assert [v.arrival for v in late.visits] == [9 * H - ARRIVE_EARLY, 10 * H + 10 * M, 14 * H - ARRIVE_EARLY]
    assert [(v.start, v.departure, v.travel) for v in late.visits] == [
        (v.start, v.departure, v.travel) for v in early.visits
    ]
    assert late.leave_at == 9 * H - ARRIVE_EARLY - 600
    assert (late.back_at, late.travel, late.distance) == (early.back_at, early.travel, early.distance)
    # and doing it twice changes nothing
    assert schedule_late(late, shift_start=8 * H) == late
    # a margin of nothing puts him at the door when the visit starts
    assert [v.arrival for v in schedule_late(early, early=0).visits] == [9 * H, 10 * H + 10 * M, 14 * H]


def test_he_never_leaves_before_his_shift_nor_before_the_route_says_without_one():
    # given a first visit at 08:40 with a 10-minute drive and the shift from 08:30
    route = hand_route(Visit("a", 0, 8 * H + 40 * M, 8 * H + 40 * M, 9 * H, 600), leave_at=8 * H + 30 * M)
    # then he can only arrive at 08:40: no earlier than his shift start plus the drive
    assert schedule_late(route, shift_start=8 * H + 30 * M).visits[0].arrival == 8 * H + 40 * M
    assert schedule_late(route).leave_at == 8 * H + 30 * M


def test_a_visit_he_cannot_reach_by_its_start_is_left_for_the_check_to_report():
    # given a visit that starts before he can be there from the previous one
    broken = hand_route(
        Visit("a", 0, 9 * H, 9 * H, 10 * H, 600),
        Visit("b", 0, 10 * H, 10 * H, 11 * H, 600),
    )
    late = schedule_late(broken, shift_start=8 * H)
    assert late.visits[1] == broken.visits[1]
    eng = engineer((8 * H, 18 * H))
    jobs = [job("a", (9 * H, 9 * H)), job("b", (10 * H, 10 * H), at=EAST)]
    assert any("cannot reach job b" in p for p in checked(eng, jobs, late))


# -- properties ---------------------------------------------------------------------------------------------------

spots = st.sampled_from([HOME, NEAR, EAST, Point(36.10, 120.45), Point(36.02, 120.33)])


@st.composite
def days(draw: st.DrawFn) -> Problem:
    engineers = tuple(
        Engineer(f"e{k}", draw(spots), draw(spots), draw(st.integers(6, 10)) * H, draw(st.integers(14, 23)) * H)
        for k in range(draw(st.integers(1, 3)))
    )
    jobs = []
    for k in range(draw(st.integers(1, 7))):
        opens = draw(st.integers(7, 21)) * H
        wide = draw(st.integers(0, 3)) * H
        pinned = draw(st.one_of(st.none(), st.just(opens + wide // 2)))
        jobs.append(
            Job(
                f"j{k}",
                draw(spots),
                draw(st.integers(0, 4)) * 30 * M,
                (Window(opens, opens + wide),),
                pinned_start=pinned,
            )
        )
    return Problem(engineers, tuple(jobs))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=days())
def test_every_plan_arrives_at_most_the_margin_early_and_passes_the_check(problem: Problem):
    for plan in (solve(problem, travel=TRAVEL, seconds=0.05), greedy_plan(problem, travel=TRAVEL)):
        assert plan_check(problem, plan, travel=TRAVEL) == [] and plan.feasible
        for route in plan.routes:
            for visit in route.visits:
                assert visit.start - ARRIVE_EARLY <= visit.arrival <= visit.start
        assert plan_late(problem, plan) == plan  # already as late as it goes


# -- benchmark instances: feasibility unchanged ------------------------------------------------------------------


@pytest.mark.skipif(not (SOLOMON / "R101.txt").exists(), reason="benchmark data not checked out")
@pytest.mark.parametrize("name", ["R101", "RC201"])
def test_solomon_plans_stay_feasible_with_starts_as_early_as_the_chain_allows(name: str):
    problem = solomon(name)
    travel = EuclideanTravel()
    plan = solve(problem, travel=travel, seconds=1.0, objective="distance")
    assert plan.feasible and plan_check(problem, plan, travel=travel) == [], plan.problems
    assert plan.unassigned == ()
    jobs = {j.key: j for j in problem.jobs}
    for route in plan.routes:
        free = problem.engineers[0].shift_start
        for visit in route.visits:
            [(_, opens, _closes)] = job_windows(jobs[visit.job])
            assert visit.start == max(opens, free + visit.travel)  # the late pass moved no start
            assert visit.start - ARRIVE_EARLY <= visit.arrival
            free = visit.departure
