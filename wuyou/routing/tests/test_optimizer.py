"""R-F1, R-F6: the dispatch optimiser plans a day within skills, windows, shifts and vans, and says why not (pure)."""

from __future__ import annotations

import random
import time
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wuyou.routing.optimizer import (
    ANY_TIME,
    ARRIVE_EARLY,
    PIN_SLACK,
    REASONS,
    Engineer,
    Job,
    Plan,
    Point,
    Problem,
    Route,
    Unassigned,
    Visit,
    Window,
    build_model,
    greedy_plan,
    plan_check,
    solve,
    window_options,
)
from wuyou.routing.travel import EuclideanTravel, GreatCircleTravel

H = 3600
TRAVEL = GreatCircleTravel()
DEPOT = Point(31.2304, 121.4737)  # People's Square
NEAR = Point(31.2400, 121.4800)  # about 1.2 km away
EAST = Point(31.2300, 121.5400)  # about 8.5 km away
FAR = Point(31.1443, 121.8083)  # Pudong airport, about 45 km of road


def engineer(key: str, *, skills=("ac",), shift=(8 * H, 18 * H), at=DEPOT, capacity=10) -> Engineer:
    return Engineer(key, at, at, shift[0], shift[1], frozenset(skills), capacity)


def job(key: str, *, at=NEAR, duration=H, windows=((9 * H, 12 * H),), skills=("ac",), **kw) -> Job:
    return Job(key, at, duration, tuple(Window(s, e) for s, e in windows), frozenset(skills), **kw)


def by_job(plan: Plan) -> dict[str, tuple[str, Visit]]:
    return {v.job: (r.engineer, v) for r in plan.routes for v in r.visits}


def reasons(plan: Plan) -> dict[str, str]:
    return {u.job: u.reason for u in plan.unassigned}


def quick(problem: Problem, **kw) -> Plan:
    return solve(problem, travel=TRAVEL, seconds=kw.pop("seconds", 0.3), **kw)


# -- rules honoured --------------------------------------------------------------------------------------------


def test_jobs_go_only_to_engineers_with_every_skill():
    # given an air-conditioning engineer and a gas engineer, and jobs of both kinds
    problem = Problem(
        engineers=(engineer("wang", skills=("ac",)), engineer("li", skills=("gas",), at=EAST)),
        jobs=(
            job("ac-1", at=EAST, skills=("ac",)),
            job("gas-1", at=NEAR, skills=("gas",)),
            job("gas-2", at=NEAR, skills=("gas",), windows=((13 * H, 16 * H),)),
        ),
    )
    # when planned
    plan = quick(problem)
    # then each job is with the engineer who has its skill, however far he must drive
    assert plan.feasible, plan.problems
    visits = by_job(plan)
    assert visits["ac-1"][0] == "wang"
    assert visits["gas-1"][0] == visits["gas-2"][0] == "li"
    assert plan.unassigned == ()


def test_a_skill_only_held_through_an_expired_certificate_leaves_the_job_unassigned():
    # given the caller has removed Wang's expired gas certificate from his skills
    problem = Problem(engineers=(engineer("wang", skills=("ac",)),), jobs=(job("gas-1", skills=("gas",)),))
    # when planned
    plan = quick(problem)
    # then the job comes back unassigned for want of the skill
    assert reasons(plan) == {"gas-1": "no_skill"}
    assert plan.routes == ()
    assert plan.feasible


def test_a_window_nobody_can_reach_is_no_window():
    # given a window before anyone's shift starts and one too far to reach in time
    problem = Problem(
        engineers=(engineer("wang"),),
        jobs=(
            job("dawn", windows=((6 * H, 6 * H + 1800),)),
            job("airport", at=FAR, windows=((8 * H, 8 * H + 600),)),
            job("fine"),
        ),
    )
    plan = quick(problem)
    assert reasons(plan) == {"dawn": "no_window", "airport": "no_window"}
    assert set(by_job(plan)) == {"fine"}


def test_a_load_bigger_than_every_capable_van_is_no_capacity():
    problem = Problem(
        engineers=(engineer("wang", capacity=5), engineer("li", capacity=50, skills=("gas",))),
        jobs=(job("fridge", load=20), job("small", load=5)),
    )
    plan = quick(problem)
    assert reasons(plan) == {"fridge": "no_capacity"}
    assert by_job(plan)["small"][0] == "wang"


def test_van_loads_add_up_within_capacity():
    # given one van of 10 and three parcels of 4: only two fit
    problem = Problem(engineers=(engineer("wang", capacity=10),), jobs=tuple(job(f"j{i}", load=4) for i in range(3)))
    plan = quick(problem)
    assert len(by_job(plan)) == 2
    assert list(reasons(plan).values()) == ["deferred"]
    assert plan.feasible


def test_a_job_with_several_windows_uses_exactly_one():
    # given a job offered morning or afternoon, and an engineer who works afternoons only
    problem = Problem(
        engineers=(engineer("wang", shift=(12 * H, 18 * H)),),
        jobs=(job("flex", windows=((9 * H, 11 * H), (13 * H, 15 * H))),),
    )
    plan = quick(problem)
    [(key, (who, visit))] = by_job(plan).items()
    # then it is visited once, in the afternoon window
    assert (key, who) == ("flex", "wang")
    assert visit.window == 1
    assert 13 * H <= visit.start <= 15 * H
    assert plan.feasible


def test_several_window_jobs_each_appear_once():
    problem = Problem(
        engineers=(engineer("wang"), engineer("li")),
        jobs=tuple(job(f"j{i}", windows=((9 * H, 12 * H), (13 * H, 17 * H)), duration=1800) for i in range(8)),
    )
    plan = quick(problem)
    visits = [v.job for r in plan.routes for v in r.visits]
    assert sorted(visits) == sorted(f"j{i}" for i in range(8))
    assert plan.feasible, plan.problems


def test_when_the_day_is_full_required_jobs_are_planned_and_optional_ones_deferred():
    # given a four-hour morning that holds two 90-minute jobs, and four jobs, the required one last
    problem = Problem(
        engineers=(engineer("wang", shift=(8 * H, 12 * H)),),
        jobs=(
            job("a", duration=90 * 60, windows=((8 * H, 12 * H),)),
            job("b", duration=90 * 60, windows=((8 * H, 12 * H),)),
            job("c", duration=90 * 60, windows=((8 * H, 12 * H),)),
            job("must", duration=90 * 60, windows=((8 * H, 12 * H),), required=True),
        ),
    )
    plan = quick(problem)
    # then the required job is planned and the others not planned are deferred
    assert "must" in by_job(plan)
    assert len(by_job(plan)) == 2
    assert sorted(reasons(plan).values()) == ["deferred", "deferred"]
    assert plan.feasible


def test_urgent_jobs_win_over_normal_ones_when_the_day_is_full():
    problem = Problem(
        engineers=(engineer("wang", shift=(8 * H, 11 * H)),),
        jobs=(
            job("normal", duration=2 * H, windows=((8 * H, 11 * H),), at=DEPOT),
            job("urgent", duration=2 * H, windows=((8 * H, 11 * H),), priority=4, at=EAST),
        ),
    )
    plan = quick(problem)
    assert set(by_job(plan)) == {"urgent"}
    assert reasons(plan) == {"normal": "deferred"}


def test_a_required_job_the_day_cannot_hold_comes_back_with_a_problem_note():
    # given two required jobs that both must start at 9:00 and only one engineer
    problem = Problem(
        engineers=(engineer("wang"),),
        jobs=(
            job("r1", windows=((9 * H, 9 * H),), required=True),
            job("r2", windows=((9 * H, 9 * H),), required=True),
        ),
    )
    plan = quick(problem)
    # then one is planned, the other deferred, and the plan says so
    assert len(by_job(plan)) == 1
    assert list(reasons(plan).values()) == ["deferred"]
    assert not plan.feasible
    assert len(plan.problems) == 1
    assert "required job" in plan.problems[0]


def test_a_pinned_job_stays_with_its_engineer_near_its_pinned_time():
    # given Wang is pinned to a job next to Li's home at 14:00
    problem = Problem(
        engineers=(engineer("wang"), engineer("li", at=EAST)),
        jobs=(
            job("pinned", at=EAST, windows=((9 * H, 17 * H),), pinned_to="wang", pinned_start=14 * H),
            job("other", at=EAST, windows=((9 * H, 17 * H),)),
        ),
    )
    plan = quick(problem)
    who, visit = by_job(plan)["pinned"]
    assert who == "wang"
    assert abs(visit.start - 14 * H) <= PIN_SLACK
    assert plan.feasible, plan.problems


def test_a_job_pinned_to_an_engineer_who_cannot_do_it_is_pinned_unreachable():
    problem = Problem(
        engineers=(engineer("wang", skills=("ac",)), engineer("li", skills=("gas",))),
        jobs=(job("gas", skills=("gas",), pinned_to="wang"), job("ghost", pinned_to="nobody")),
    )
    plan = quick(problem)
    assert reasons(plan) == {"gas": "pinned_unreachable", "ghost": "pinned_unreachable"}


def test_evening_windows_are_served_when_a_shift_covers_them():
    # given an evening window 18:00-21:00, one day engineer and one late engineer
    problem = Problem(
        engineers=(engineer("day"), engineer("late", shift=(12 * H, 21 * H + 1800))),
        jobs=(job("evening", windows=((18 * H, 21 * H),)),),
    )
    plan = quick(problem)
    who, visit = by_job(plan)["evening"]
    assert who == "late"
    assert 18 * H <= visit.start <= 21 * H
    # and with the day engineer alone the window is out of reach
    alone = quick(replace(problem, engineers=problem.engineers[:1]))
    assert reasons(alone) == {"evening": "no_window"}


def test_a_job_without_windows_may_start_any_time_in_the_shift():
    problem = Problem(engineers=(engineer("wang"),), jobs=(job("any", windows=()),))
    plan = quick(problem)
    assert by_job(plan)["any"][1].window == ANY_TIME
    assert plan.feasible


def test_routes_leave_late_and_add_up():
    # given one job at 10:00 sharp, 1.2 km away
    problem = Problem(engineers=(engineer("wang"),), jobs=(job("ten", windows=((10 * H, 10 * H + 900),)),))
    plan = quick(problem)
    [route] = plan.routes
    [visit] = route.visits
    # then he leaves just in time to be at the door a few minutes early (R-F2), and drives there and back
    assert visit.start == 10 * H
    assert visit.arrival == 10 * H - ARRIVE_EARLY
    assert route.leave_at == 10 * H - ARRIVE_EARLY - visit.travel
    assert route.back_at == visit.departure + visit.travel
    assert route.travel == plan.travel == 2 * visit.travel
    assert route.distance == plan.distance > 0
    assert visit.departure == visit.start + H


def test_balance_spreads_the_work():
    # given eight one-hour jobs at one place and four engineers
    jobs = tuple(job(f"j{i}", windows=((8 * H, 18 * H),)) for i in range(8))
    engineers = tuple(engineer(f"e{i}") for i in range(4))
    plan = quick(Problem(engineers, jobs, balance=True), seconds=0.5)
    assert plan.feasible
    assert max(len(r.visits) for r in plan.routes) <= 3


def test_profiles_are_shared_by_engineers_who_may_do_the_same_jobs():
    problem = Problem(
        engineers=(engineer("a", skills=("ac",)), engineer("b", skills=("ac",)), engineer("c", skills=("ac", "gas"))),
        jobs=(job("ac"), job("gas", skills=("gas",))),
    )
    built = build_model(problem, TRAVEL)
    assert built.data is not None
    assert built.data.num_profiles == 2
    assert built.data.num_vehicle_types == 3
    with pytest.raises(ValueError):
        build_model(problem, TRAVEL, objective="happiness")


def test_empty_problems_give_empty_plans_quickly():
    started = time.perf_counter()
    empty = solve(Problem((), ()), travel=TRAVEL)
    assert (empty.routes, empty.unassigned, empty.travel, empty.feasible) == ((), (), 0, True)
    plan = solve(Problem((engineer("wang"),), ()), travel=TRAVEL)
    assert plan.routes == () and plan.unassigned == () and plan.feasible
    nobody = solve(Problem((), (job("a"),)), travel=TRAVEL)
    assert reasons(nobody) == {"a": "no_skill"}
    assert time.perf_counter() - started < 0.5


def test_progress_is_reported_up_to_one():
    seen: list[float] = []
    problem = Problem(engineers=(engineer("wang"),), jobs=(job("a"), job("b", windows=((13 * H, 15 * H),))))
    solve(problem, travel=TRAVEL, seconds=0.35, progress=seen.append)
    assert seen[0] == 0.0
    assert seen[-1] == 1.0
    assert len(seen) >= 3
    assert seen == sorted(seen)


def test_every_reason_has_an_english_text():
    assert set(REASONS) == {"no_skill", "no_window", "no_capacity", "deferred", "pinned_unreachable"}
    assert all(text.endswith(".") for text in REASONS.values())


# -- the independent check -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planned() -> tuple[Problem, Plan]:
    problem = Problem(
        engineers=(engineer("wang", skills=("ac",)), engineer("li", skills=("ac", "gas"), at=EAST)),
        jobs=(
            job("a", windows=((9 * H, 10 * H),)),
            job("b", at=DEPOT, windows=((11 * H, 12 * H),)),
            job("g", at=EAST, skills=("gas",), windows=((9 * H, 17 * H),)),
        ),
        balance=False,
    )
    plan = quick(problem)
    assert plan.feasible and plan_check(problem, plan, travel=TRAVEL) == []
    return problem, plan


def _edit_visit(plan: Plan, key: str, **changes) -> Plan:
    routes = tuple(
        replace(r, visits=tuple(replace(v, **changes) if v.job == key else v for v in r.visits)) for r in plan.routes
    )
    return replace(plan, routes=routes)


def test_plan_check_catches_a_visit_outside_its_window(planned):
    problem, plan = planned
    engineer_key, visit = by_job(plan)["b"]
    late = _edit_visit(plan, "b", start=13 * H, departure=14 * H)
    problems = plan_check(problem, late, travel=TRAVEL)
    assert any("outside its window" in p for p in problems)


def test_plan_check_catches_a_missing_skill(planned):
    problem, plan = planned
    # when Li's day with the gas job is handed to Wang, who has no gas skill
    li = next(r for r in plan.routes if r.engineer == "li")
    handed = tuple(replace(li, engineer="wang") if r is li else r for r in plan.routes if r.engineer != "wang")
    problems = plan_check(problem, replace(plan, routes=handed), travel=TRAVEL)
    assert any("lacks skills gas" in p for p in problems)


def test_plan_check_catches_overlapping_visits(planned):
    problem, plan = planned
    # when a visit is said to arrive before he could have got there
    _, visit = by_job(plan)["a"]
    early = _edit_visit(plan, "a", arrival=visit.arrival - 600, start=visit.start - 600)
    problems = plan_check(problem, early, travel=TRAVEL)
    assert any("cannot reach job a" in p for p in problems)


def test_plan_check_catches_duplicates_and_silent_drops(planned):
    problem, plan = planned
    route = plan.routes[0]
    twice = replace(plan, routes=(replace(route, visits=route.visits * 2), *plan.routes[1:]))
    assert any("planned twice" in p for p in plan_check(problem, twice, travel=TRAVEL))
    dropped = replace(plan, routes=plan.routes[1:], travel=sum(r.travel for r in plan.routes[1:]))
    dropped = replace(dropped, distance=sum(r.distance for r in dropped.routes))
    assert any("neither planned nor reported" in p for p in plan_check(problem, dropped, travel=TRAVEL))
    both = replace(plan, unassigned=(Unassigned("a", "deferred"),))
    assert any("also planned" in p for p in plan_check(problem, both, travel=TRAVEL))
    odd = replace(plan, unassigned=(Unassigned("zzz", "bored"),))
    assert any("unknown job zzz" in p for p in plan_check(problem, odd, travel=TRAVEL))


def test_plan_check_catches_shift_van_and_totals(planned):
    problem, plan = planned
    route = plan.routes[0]
    late_home = replace(plan, routes=(replace(route, back_at=19 * H), *plan.routes[1:]))
    assert any("after his shift ends" in p for p in plan_check(problem, late_home, travel=TRAVEL))
    wrong_total = replace(plan, travel=plan.travel + 1)
    assert any("not the sum" in p for p in plan_check(problem, wrong_total, travel=TRAVEL))
    stranger = replace(plan, routes=(replace(route, engineer="ghost"), *plan.routes[1:]))
    assert any("unknown engineer ghost" in p for p in plan_check(problem, stranger, travel=TRAVEL))
    small_van = replace(problem, jobs=tuple(replace(j, load=50) for j in problem.jobs))
    assert any("more than its capacity" in p for p in plan_check(small_van, plan, travel=TRAVEL))


def test_plan_check_catches_a_pinned_visit_moved_away(planned):
    problem, plan = planned
    who, visit = by_job(plan)["a"]
    pinned = replace(
        problem,
        jobs=tuple(
            replace(j, pinned_to="li" if who == "wang" else "wang") if j.key == "a" else j for j in problem.jobs
        ),
    )
    assert any("pinned to" in p for p in plan_check(pinned, plan, travel=TRAVEL))
    timed = replace(
        problem, jobs=tuple(replace(j, pinned_start=visit.start + H) if j.key == "a" else j for j in problem.jobs)
    )
    assert any("pinned start" in p for p in plan_check(timed, plan, travel=TRAVEL))


# -- booking -----------------------------------------------------------------------------------------------------


def test_window_options_say_which_windows_still_fit():
    # given Wang booked solid 9:00-13:00 and free in the afternoon
    wang = engineer("wang", shift=(8 * H, 18 * H))
    booked = {
        "wang": tuple(job(f"b{i}", windows=((9 * H + i * H, 9 * H + i * H),), duration=H - 300) for i in range(4))
    }
    new = job("new", duration=H)
    morning, afternoon = Window(10 * H, 11 * H), Window(14 * H, 16 * H)
    # when asked about a morning and an afternoon window
    options = window_options([wang], booked, new, [morning, afternoon], travel=TRAVEL)
    # then the morning cannot be booked and the afternoon can, with Wang
    assert [o.window for o in options] == [morning, afternoon]
    assert not options[0].feasible and options[0].engineer is None and options[0].extra_travel is None
    assert options[1].feasible and options[1].engineer == "wang"
    assert options[1].extra_travel is not None and options[1].extra_travel >= 0


def test_window_options_prefer_the_engineer_with_the_smaller_detour():
    near, far = engineer("near", at=NEAR), engineer("far", at=FAR)
    options = window_options([far, near], {}, job("new", at=NEAR), [Window(10 * H, 12 * H)], travel=TRAVEL)
    assert options[0].feasible and options[0].engineer == "near"


def test_window_options_respect_skills_vans_and_shifts():
    wang = engineer("wang", skills=("ac",), capacity=5, shift=(8 * H, 12 * H))
    window = [Window(9 * H, 10 * H)]
    assert not window_options([wang], {}, job("gas", skills=("gas",)), window, travel=TRAVEL)[0].feasible
    assert not window_options([wang], {}, job("heavy", load=6), window, travel=TRAVEL)[0].feasible
    assert not window_options([wang], {}, job("late"), [Window(13 * H, 14 * H)], travel=TRAVEL)[0].feasible
    assert window_options([wang], {}, job("ok"), window, travel=TRAVEL)[0].feasible


def test_window_options_are_fast_for_fifty_engineers():
    # given 50 engineers in one district, each with ten booked half-hour jobs, and 20 candidate windows
    rnd = random.Random(3)

    def somewhere() -> Point:
        return Point(31.2 + rnd.random() / 30, 121.45 + rnd.random() / 30)

    engineers = [engineer(f"e{i}", at=somewhere()) for i in range(50)]
    routes = {
        e.key: tuple(
            job(f"{e.key}-{k}", at=somewhere(), duration=1800, windows=((8 * H + k * 2700, 9 * H + k * 2700),))
            for k in range(10)
        )
        for e in engineers
    }
    candidates = [Window(8 * H + k * 1800, 10 * H + k * 1800) for k in range(20)]
    # when asked
    started = time.perf_counter()
    options = window_options(engineers, routes, job("new", at=somewhere(), duration=1200), candidates, travel=TRAVEL)
    # then the answer comes well inside 0.2 s (about 0.01 s on the development machine)
    assert time.perf_counter() - started < 0.2
    assert len(options) == 20
    assert any(o.feasible for o in options)


# -- the baseline ------------------------------------------------------------------------------------------------


def test_greedy_plan_is_feasible_and_first_come_first_served():
    rnd = random.Random(5)
    engineers = tuple(
        engineer(f"e{i}", at=Point(31.2 + rnd.random() / 10, 121.4 + rnd.random() / 10)) for i in range(3)
    )
    jobs = tuple(
        job(
            f"j{i}",
            at=Point(31.2 + rnd.random() / 10, 121.4 + rnd.random() / 10),
            duration=45 * 60,
            windows=((h * H, (h + 3) * H),),
        )
        for i, h in enumerate(rnd.choice([8, 10, 13, 15]) for _ in range(20))
    )
    problem = Problem(engineers, jobs)
    plan = greedy_plan(problem, travel=TRAVEL)
    assert plan.feasible, plan.problems
    assert plan_check(problem, plan, travel=TRAVEL) == []
    # every job is visited or unassigned, never dropped
    assert len(by_job(plan)) + len(plan.unassigned) == 20
    # and the optimiser does at least as well
    best = solve(problem, travel=TRAVEL, seconds=0.5)
    assert len(best.unassigned) <= len(plan.unassigned)


# -- a benchmark instance ----------------------------------------------------------------------------------------

SOLOMON = Path(__file__).resolve().parents[3].parent / "shared" / "benchmarks" / "vrptw" / "solomon"


def solomon(name: str, vehicles: int = 25) -> Problem:
    """A Solomon instance as a Problem: plane points, times and distances in tenths (DIMACS)."""
    lines = (SOLOMON / f"{name}.txt").read_text().splitlines()
    capacity = int(lines[4].split()[1])
    rows = [[float(x) for x in line.split()] for line in lines[9:] if line.strip()]
    depot = Point(rows[0][1], rows[0][2])
    engineers = tuple(
        Engineer(f"v{i}", depot, depot, int(rows[0][4]) * 10, int(rows[0][5]) * 10, capacity=capacity)
        for i in range(vehicles)
    )
    jobs = tuple(
        Job(
            f"c{int(r[0])}",
            Point(r[1], r[2]),
            int(r[6]) * 10,
            (Window(int(r[4]) * 10, int(r[5]) * 10),),
            load=int(r[3]),
            required=True,
        )
        for r in rows[1:]
    )
    return Problem(engineers, jobs, balance=False)


@pytest.mark.skipif(not (SOLOMON / "C101.txt").exists(), reason="benchmark data not checked out")
def test_solomon_c101_within_two_percent_of_the_best_known():
    problem = solomon("C101")
    travel = EuclideanTravel()
    plan = solve(problem, travel=travel, seconds=2.0, objective="distance")
    assert plan.feasible, plan.problems
    assert plan_check(problem, plan, travel=travel) == []
    assert plan.unassigned == ()
    assert plan.distance / 10 <= 827.3 * 1.02


# -- properties (hypothesis) --------------------------------------------------------------------------------------

coords = st.tuples(st.floats(31.15, 31.30), st.floats(121.40, 121.55))


@st.composite
def problems(draw) -> Problem:
    n_eng = draw(st.integers(0, 3))
    engineers = []
    for i in range(n_eng):
        lat, lon = draw(coords)
        start = draw(st.sampled_from([7, 8, 9, 12])) * H
        engineers.append(
            Engineer(
                f"e{i}",
                Point(lat, lon),
                Point(lat, lon),
                start,
                start + draw(st.integers(3, 12)) * H,
                frozenset(draw(st.sets(st.sampled_from(["ac", "gas", "tv"]), max_size=3))),
                draw(st.integers(0, 10)),
            )
        )
    jobs = []
    for k in range(draw(st.integers(0, 8))):
        lat, lon = draw(coords)
        windows = tuple(
            Window(s * H, s * H + draw(st.integers(0, 4)) * H)
            for s in draw(st.lists(st.integers(6, 20), min_size=0, max_size=2))
        )
        pinned_to = draw(st.one_of(st.none(), st.sampled_from([e.key for e in engineers] or ["nobody"])))
        jobs.append(
            Job(
                f"j{k}",
                Point(lat, lon),
                draw(st.integers(0, 3)) * 1800,
                windows,
                frozenset(draw(st.sets(st.sampled_from(["ac", "gas", "tv"]), max_size=2))),
                draw(st.integers(0, 6)),
                draw(st.booleans()),
                draw(st.sampled_from([1, 2, 4])),
                pinned_to,
                draw(st.one_of(st.none(), st.integers(8, 18).map(lambda h: h * H))),
            )
        )
    return Problem(tuple(engineers), tuple(jobs), balance=draw(st.booleans()))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems())
def test_every_plan_solve_returns_passes_the_check_but_for_unplanned_required_jobs(problem):
    for plan in (solve(problem, travel=TRAVEL, seconds=0.05), greedy_plan(problem, travel=TRAVEL)):
        problems_found = plan_check(problem, plan, travel=TRAVEL)
        assert list(plan.problems) == problems_found
        assert all(p.startswith("required job") for p in problems_found), problems_found
        assert plan.feasible == (not problems_found)
        # every job accounted for exactly once
        keys = [v.job for r in plan.routes for v in r.visits] + [u.job for u in plan.unassigned]
        assert sorted(keys) == sorted(j.key for j in problem.jobs)
        assert all(u.reason in REASONS for u in plan.unassigned)


def test_routes_are_well_formed_records():
    # a hand-made plan that is fine passes the check
    problem = Problem(engineers=(engineer("wang"),), jobs=(job("a", windows=((9 * H, 10 * H),)),))
    d = TRAVEL.matrices([DEPOT, NEAR])[0][0][1]
    m = TRAVEL.matrices([DEPOT, NEAR])[1][0][1]
    visit = Visit("a", 0, 9 * H, 9 * H, 10 * H, d)
    plan = Plan((Route("wang", (visit,), 9 * H - d, 10 * H + d, 2 * d, 2 * m),), (), 2 * d, 2 * m, 0.0)
    assert plan_check(problem, plan, travel=TRAVEL) == []


def test_one_engineer_serves_a_morning_and_an_evening_visit_with_balance_on_r_d3():
    # Waiting from the morning visit to the evening one is route time; it must not make the evening one "deferred".
    engineer = Engineer("e1", Point(36.07, 120.38), Point(36.07, 120.38), 8 * 3600 + 1800, 21 * 3600)
    morning = Job("a", Point(36.08, 120.39), 3600, (Window(9 * 3600, 11 * 3600),))
    evening = Job("b", Point(36.06, 120.40), 3600, (Window(18 * 3600, 20 * 3600),))
    plan = solve(Problem((engineer,), (morning, evening)), travel=GreatCircleTravel(), seconds=0.5)
    assert [[v.job for v in r.visits] for r in plan.routes] == [["a", "b"]]
    assert plan.unassigned == () and plan.feasible
