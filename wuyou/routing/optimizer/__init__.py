"""The dispatch optimiser (pure): a day's engineers and jobs in, routes and unassigned jobs out (R-F1, R-F6).

Times are integer seconds from the plan's origin (local midnight of the planned day for real plans; the
instance's time zero for benchmarks). Travel comes from a `TravelModel`, so a road-network matrix can be
plugged in later. By sub-domain: the problem and plan (problem.py), the PyVRP model (model.py), the search
(search.py), our own plan check (check.py), when to leave for each stop (schedule.py), booking windows
(options.py) and the greedy baseline (greedy.py).
"""

from wuyou.routing.optimizer.check import plan_check, plan_review, plan_warnings
from wuyou.routing.optimizer.greedy import greedy_plan
from wuyou.routing.optimizer.model import OBJECTIVES, DispatchModel, build_model
from wuyou.routing.optimizer.options import window_options
from wuyou.routing.optimizer.problem import (
    ANY_TIME,
    PIN_SLACK,
    REASONS,
    Engineer,
    Job,
    Plan,
    Point,
    Problem,
    Progress,
    Route,
    TravelModel,
    Unassigned,
    Visit,
    Window,
    WindowOption,
    can_do,
    job_windows,
)
from wuyou.routing.optimizer.schedule import ARRIVE_EARLY, plan_late, schedule_late
from wuyou.routing.optimizer.search import solve

__all__ = [
    "ANY_TIME",
    "ARRIVE_EARLY",
    "OBJECTIVES",
    "PIN_SLACK",
    "REASONS",
    "DispatchModel",
    "Engineer",
    "Job",
    "Plan",
    "Point",
    "Problem",
    "Progress",
    "Route",
    "TravelModel",
    "Unassigned",
    "Visit",
    "Window",
    "can_do",
    "WindowOption",
    "build_model",
    "greedy_plan",
    "job_windows",
    "plan_check",
    "plan_late",
    "plan_review",
    "plan_warnings",
    "schedule_late",
    "solve",
    "window_options",
]
