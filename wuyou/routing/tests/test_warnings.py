"""A required job nobody can do at all is a warning, not a broken plan; one left out though doable stays a finding."""

from __future__ import annotations

import pytest

from wuyou.routing.optimizer import (
    Engineer,
    Job,
    Plan,
    Point,
    Problem,
    Unassigned,
    Window,
    greedy_plan,
    plan_check,
    plan_warnings,
    solve,
)
from wuyou.routing.proposal import plan_dump, plan_load
from wuyou.routing.travel import GreatCircleTravel

H = 3600
TRAVEL = GreatCircleTravel()
HOME = Point(36.0662, 120.3826)
NEAR = Point(36.0700, 120.3900)


def wang(**kw: object) -> Engineer:
    return Engineer("wang", HOME, HOME, 8 * H, 18 * H, frozenset({"ac"}), 2, **kw)  # type: ignore[arg-type]


def job(key: str, **kw: object) -> Job:
    windows = kw.pop("windows", (Window(9 * H, 12 * H),))
    skills = kw.pop("skills", frozenset({"ac"}))
    return Job(key, NEAR, H, windows, skills, **kw)  # type: ignore[arg-type]


IMPOSSIBLE = [
    ("no_skill", job("tv", skills=frozenset({"tv"}), required=True), "no engineer has all of its skills (tv)"),
    ("no_window", job("dawn", windows=(Window(5 * H, 6 * H),), required=True), "inside one of its windows"),
    ("no_capacity", job("heavy", load=5, required=True), "its load 5 is more than"),
    ("pinned_unreachable", job("li's", pinned_to="li", required=True), "pinned to li, who cannot do it"),
]


@pytest.mark.parametrize(("reason", "impossible", "why"), IMPOSSIBLE, ids=[c[0] for c in IMPOSSIBLE])
@pytest.mark.parametrize("planner", ["solve", "greedy"])
def test_a_required_job_nobody_can_do_is_a_warning_and_the_plan_is_feasible(reason, impossible, why, planner):
    # given a day with an ordinary job and a required one no engineer could do even as his only job
    problem = Problem((wang(),), (job("ok"), impossible))
    # when planned
    plan = solve(problem, travel=TRAVEL, seconds=0.2) if planner == "solve" else greedy_plan(problem, travel=TRAVEL)
    # then the plan is right: feasible, the job unassigned with its true reason, and a warning saying why
    assert plan.feasible and plan.problems == () and plan_check(problem, plan, travel=TRAVEL) == []
    assert plan.unassigned == (Unassigned(impossible.key, reason),)
    [warning] = plan.warnings
    assert warning.startswith(f"required job {impossible.key} cannot be planned: ") and why in warning
    assert plan_warnings(problem, plan, travel=TRAVEL) == [warning]


def test_a_required_job_left_out_though_someone_could_do_it_is_still_a_finding():
    # given a plan that leaves out a required job Wang could well do
    problem = Problem((wang(),), (job("must", required=True),))
    plan = Plan((), (Unassigned("must", "deferred"),), 0, 0, 0.0)
    # then the check says the plan is broken, and there is nothing to warn about
    assert plan_check(problem, plan, travel=TRAVEL) == ["required job must is not planned"]
    assert plan_warnings(problem, plan, travel=TRAVEL) == []


def test_optional_jobs_nobody_can_do_give_no_warning():
    problem = Problem((wang(),), (job("tv", skills=frozenset({"tv"})),))
    plan = solve(problem, travel=TRAVEL, seconds=0.1)
    assert plan.feasible and plan.warnings == () and plan.unassigned == (Unassigned("tv", "no_skill"),)


def test_warnings_survive_the_stored_proposal():
    problem = Problem((wang(),), (job("tv", skills=frozenset({"tv"}), required=True),))
    plan = solve(problem, travel=TRAVEL, seconds=0.1)
    assert plan.warnings and plan_load(plan_dump(plan)).warnings == plan.warnings
    assert plan_load({"routes": [], "unassigned": []}).warnings == ()  # proposals stored before warnings existed
