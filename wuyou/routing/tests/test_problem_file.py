"""The dispatch problem file: a good file becomes a Problem; every mistake is reported under its field's path."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wuyou.routing.optimizer import REASONS, Plan, Problem, Route, Unassigned, Visit, Window, solve
from wuyou.routing.problem_file import (
    DAY,
    ProblemFileError,
    TravelSettings,
    clock_text,
    plan_to_json,
    problem_from_json,
    problem_from_text,
)
from wuyou.routing.travel import GreatCircleTravel

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "dispatch-problem.json"


def small_file() -> dict[str, Any]:
    """Two engineers and two jobs, every field well formed."""
    return {
        "date": "2026-11-24",
        "engineers": [
            {
                "id": "E1",
                "start": {"lat": 36.0662, "lon": 120.3826},
                "shift": {"start": "08:30", "end": "20:30"},
                "skills": ["ac_install", "ac_repair"],
                "capacity": 2,
            },
            {"id": "E2", "start": {"lat": 36.1785, "lon": 120.4254}, "shift": {"start": "08:30", "end": "17:30"}},
        ],
        "jobs": [
            {
                "id": "J1",
                "location": {"lat": 36.0621, "lon": 120.3912},
                "duration_minutes": 90,
                "windows": [{"start": "09:00", "end": "11:00"}],
                "skills": ["ac_install"],
                "load": 1,
            },
            {
                "id": "J2",
                "location": {"lat": 36.0781, "lon": 120.3682},
                "duration_minutes": 45,
                "windows": [{"start": "13:00", "end": "15:00"}, {"start": "18:30", "end": "20:30"}],
                "skills": ["ac_repair"],
                "priority": "urgent",
                "required": True,
            },
        ],
    }


def errors_of(data: object) -> dict[str, str]:
    with pytest.raises(ProblemFileError) as raised:
        problem_from_json(data)
    return raised.value.errors


def test_the_example_file_reads_into_the_optimisers_problem():
    # given the documented example file
    text = EXAMPLE.read_text(encoding="utf-8")
    # when it is read
    day = problem_from_text(text)
    # then the day, travel and every engineer and job come through, times as seconds after midnight
    assert day.date == dt.date(2026, 11, 24)
    assert day.time_zone == "Asia/Shanghai"
    assert day.travel == TravelSettings(road_factor=1.35, speed_kmh=28.0)
    assert day.objective == "duration"
    assert [e.key for e in day.problem.engineers] == ["E1", "E2", "E3"]
    assert len(day.problem.jobs) == 13
    e1, e2, e3 = day.problem.engineers
    assert (e1.shift_start, e1.shift_end, e1.capacity) == (8 * 3600 + 1800, 20 * 3600 + 1800, 2)
    assert e1.skills == frozenset({"ac_install", "ac_repair"})
    assert e1.end == e1.start and e2.end != e2.start
    assert e3.capacity == 0
    jobs = {job.key: job for job in day.problem.jobs}
    assert jobs["J2"].windows == (Window(13 * 3600, 15 * 3600), Window(18 * 3600, 20 * 3600))
    assert jobs["J1"].duration == 7200 and jobs["J1"].load == 1
    assert (jobs["J4"].priority, jobs["J4"].required) == (4, True)
    assert (jobs["J3"].priority, jobs["J3"].required) == (2, False)
    assert jobs["J8"].pinned_to == "E3"
    assert day.names["E1"] == "王建国"
    assert day.addresses["J1"].startswith("市南区")
    assert day.problem.balance is True


def test_optional_fields_take_their_documented_defaults():
    # given a job without windows, skills, load or priority, and a file without travel or time zone
    data = small_file()
    data["jobs"][1] = {"id": "J2", "location": {"lat": 36.0, "lon": 120.0}, "duration_minutes": 30}
    # when it is read
    day = problem_from_json(data)
    # then the job may be visited any time of the day and the defaults apply
    job = day.problem.jobs[1]
    assert job.windows == (Window(0, DAY),)
    assert (job.skills, job.load, job.priority, job.required, job.pinned_to) == (frozenset(), 0, 1, False, None)
    assert day.travel == TravelSettings()
    assert day.time_zone == "Asia/Shanghai"
    assert day.problem.engineers[1].capacity == 0


def test_midnight_may_end_a_period_but_not_start_one():
    data = small_file()
    data["engineers"][0]["shift"] = {"start": "16:00", "end": "24:00"}
    data["jobs"][0]["windows"] = [{"start": "8:30", "end": "24:00"}]
    day = problem_from_json(data)
    assert day.problem.engineers[0].shift_end == DAY
    assert day.problem.jobs[0].windows == (Window(8 * 3600 + 1800, DAY),)
    data["jobs"][0]["windows"] = [{"start": "24:00", "end": "24:00"}]
    assert "between 00:00 and 23:59" in errors_of(data)["jobs[0].windows[0].start"]


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    """A change to the small file: set the field at a dotted path (list indexes as numbers)."""

    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return change


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[last]

    return change


def _copy_first(kind: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data[kind].append(copy.deepcopy(data[kind][0]))

    return change


MISTAKES = [
    # (change to the good file, path reported, words of the message)
    (_drop("date"), "date", "is required"),
    (_set("date", "2026-02-30"), "date", 'must be a date "YYYY-MM-DD"'),
    (_set("colour", "red"), "colour", "unknown field"),
    (_set("time_zone", "Mars/Olympus"), "time_zone", "unknown time zone"),
    (_set("travel", {"speed_kmh": 0}), "travel.speed_kmh", "must be more than 0 and at most 130"),
    (_set("travel", {"road_factor": "high"}), "travel.road_factor", "must be a number, not a string"),
    (_set("objective", "cheap"), "objective", 'must be "duration" or "distance"'),
    (_set("balance", "yes"), "balance", "must be true or false"),
    (_set("engineers", []), "engineers", "at least 1"),
    (_set("engineers", {"E1": {}}), "engineers", "must be a list, not an object"),
    (_set("engineers.0", "E1"), "engineers[0]", "must be an object, not a string"),
    (_set("engineers.0.start.lat", 91), "engineers[0].start.lat", "must be between -90 and 90"),
    (_set("engineers.1.start.lon", -181), "engineers[1].start.lon", "must be between -180 and 180"),
    (_set("engineers.0.start.lon", float("nan")), "engineers[0].start.lon", "must be a finite number"),
    (_set("engineers.0.start.lat", float("inf")), "engineers[0].start.lat", "must be a finite number"),
    (_drop("engineers.0.start.lon"), "engineers[0].start.lon", "is required"),
    (_set("engineers.0.end", [36, 120]), "engineers[0].end", "must be an object, not a list"),
    (_set("engineers.0.shift.end", "08:00"), "engineers[0].shift.end", "must be after start"),
    (_set("engineers.0.shift.end", "25:00"), "engineers[0].shift.end", 'must be a time "HH:MM"'),
    (_set("engineers.0.shift.start", "8h30"), "engineers[0].shift.start", 'must be a time "HH:MM"'),
    (_set("engineers.0.shift.start", 830), "engineers[0].shift.start", "not a number"),
    (_set("engineers.0.capacity", 1.5), "engineers[0].capacity", "must be a whole number"),
    (_set("engineers.0.capacity", -1), "engineers[0].capacity", "must be between 0 and"),
    (_set("engineers.0.skills", "tv"), "engineers[0].skills", "must be a list, not a string"),
    (_set("engineers.0.skills", ["tv", ""]), "engineers[0].skills[1]", "must not be empty"),
    (_set("engineers.0.skils", ["tv"]), "engineers[0].skils", 'did you mean "skills"?'),
    (_set("engineers.1.id", "E1"), "engineers[1].id", '"E1" is already the id of engineers[0]'),
    (_set("engineers.0.id", "x" * 65), "engineers[0].id", "at most 64 characters"),
    (_set("jobs", None), "jobs", "must be a list, not null"),
    (_set("jobs.0", 5), "jobs[0]", "must be an object, not a number"),
    (_drop("jobs.0.location"), "jobs[0].location", "is required"),
    (_set("jobs.0.id", ""), "jobs[0].id", "must not be empty"),
    (_set("jobs.0.id", 7), "jobs[0].id", "must be a string, not a number"),
    (_set("jobs.1.id", "J1"), "jobs[1].id", '"J1" is already the id of jobs[0]'),
    (_copy_first("jobs"), "jobs[2].id", '"J1" is already the id of jobs[0]'),
    (_set("jobs.0.duration_minutes", -5), "jobs[0].duration_minutes", "must be between 0 and 1440"),
    (_set("jobs.0.duration_minutes", True), "jobs[0].duration_minutes", "must be a number, not true"),
    (_set("jobs.0.duration_minutes", "60"), "jobs[0].duration_minutes", "must be a number, not a string"),
    (_set("jobs.0.windows", []), "jobs[0].windows", "at least 1"),
    (_set("jobs.0.windows.0.end", "08:00"), "jobs[0].windows[0].end", "must be after start"),
    (_set("jobs.0.windows.0.end", "09:00"), "jobs[0].windows[0].end", "must be after start"),
    (_set("jobs.1.windows.1.start", "14:00"), "jobs[1].windows[1]", "overlaps windows[0]"),
    (_set("jobs.0.load", -1), "jobs[0].load", "must be between 0 and"),
    (_set("jobs.0.priority", "asap"), "jobs[0].priority", 'must be "normal", "high" or "urgent"'),
    (_set("jobs.0.required", "yes"), "jobs[0].required", "must be true or false, not a string"),
    (_set("jobs.0.pinned_to", "E9"), "jobs[0].pinned_to", 'no engineer has the id "E9"'),
    (_set("jobs.0.pinned_start", "10:00"), "jobs[0].pinned_start", "needs pinned_to"),
    (_set("jobs.0.address", 12), "jobs[0].address", "must be a string"),
]


@pytest.mark.parametrize(("change", "path", "words"), MISTAKES, ids=[f"{m[1]}:{m[2][:24]}" for m in MISTAKES])
def test_each_mistake_is_reported_under_its_fields_path(change, path, words):
    # given the good small file with one mistake
    data = small_file()
    change(data)
    # when it is read, then the mistake is reported under the field's path
    errors = errors_of(data)
    assert path in errors, errors
    assert words in errors[path]


def test_a_body_that_is_not_an_object_is_refused():
    assert errors_of([small_file()]) == {"$": "must be an object, not a list"}
    assert "must be an object, not null" in errors_of(None)["$"]


def test_every_mistake_in_a_file_is_reported_at_once():
    # given a file with mistakes in several places
    data = small_file()
    data["engineers"][0]["start"]["lat"] = 136.0
    data["jobs"][0]["windows"][0]["end"] = "08:00"
    data["jobs"][1]["pinned_to"] = "E7"
    data["jobs"][1]["duration_minutes"] = -30
    # when it is read, then all four are reported, each on its own line naming its field
    with pytest.raises(ProblemFileError) as raised:
        problem_from_json(data)
    assert set(raised.value.errors) == {
        "engineers[0].start.lat",
        "jobs[0].windows[0].end",
        "jobs[1].pinned_to",
        "jobs[1].duration_minutes",
    }
    assert "jobs[0].windows[0].end: must be after start" in raised.value.lines()


def test_bad_json_is_reported_with_its_line_and_column():
    with pytest.raises(ProblemFileError) as raised:
        problem_from_text('{\n  "date": "2026-11-24",\n  "jobs": [}\n')
    message = raised.value.errors["$"]
    assert message.startswith("not valid JSON:") and "line 3, column" in message


def test_a_key_given_twice_in_one_object_is_refused_rather_than_one_value_silently_winning():
    text = json.dumps(small_file()).replace('"capacity": 2', '"capacity": 2, "capacity": 3')
    with pytest.raises(ProblemFileError) as raised:
        problem_from_text(text)
    assert raised.value.errors == {"engineers[0].capacity": "appears more than once in this object"}


def test_json_nan_and_infinity_are_refused_by_field():
    text = (
        json.dumps(small_file())
        .replace("120.3912", "NaN")
        .replace('"duration_minutes": 45', '"duration_minutes": Infinity')
    )
    with pytest.raises(ProblemFileError) as raised:
        problem_from_text(text)
    assert raised.value.errors == {
        "jobs[0].location.lon": "must be a finite number",
        "jobs[1].duration_minutes": "must be a finite number",
    }


def test_text_with_a_byte_order_mark_or_as_bytes_is_read():
    text = json.dumps(small_file(), ensure_ascii=False)
    assert problem_from_text("\ufeff" + text).date == dt.date(2026, 11, 24)
    assert problem_from_text(text.encode("utf-8")).date == dt.date(2026, 11, 24)
    with pytest.raises(ProblemFileError) as raised:
        problem_from_text(b"\xff\xfe{}")
    assert "not UTF-8" in raised.value.errors["$"]


# -- the plan as JSON ------------------------------------------------------------------------------


def test_a_plan_is_written_with_wall_clock_times_minutes_and_reasons():
    # given a hand-made plan: E1 serves J1 in its second window, E2 stays idle, J2 is deferred
    day = problem_from_json(
        small_file()
        | {
            "jobs": [
                {
                    "id": "J1",
                    "location": {"lat": 36.07, "lon": 120.39},
                    "duration_minutes": 60,
                    "windows": [{"start": "09:00", "end": "10:00"}, {"start": "18:00", "end": "24:00"}],
                    "load": 1,
                },
                {"id": "J2", "location": {"lat": 36.08, "lon": 120.37}, "duration_minutes": 30, "required": True},
            ]
        }
    )
    visit = Visit(
        job="J1", window=1, arrival=18 * 3600 - 100, start=18 * 3600 + 40, departure=19 * 3600 + 40, travel=750
    )
    route = Route(
        engineer="E1",
        visits=(visit,),
        leave_at=17 * 3600 + 59 * 60,
        back_at=19 * 3600 + 800,
        travel=1500,
        distance=7049,
    )
    plan = Plan(routes=(route,), unassigned=(Unassigned("J2", "deferred"),), travel=1500, distance=7049, seconds=0.5)
    # when it is written
    out = plan_to_json(day.problem, plan, day.date, time_zone=day.time_zone, objective=day.objective)
    # then times are cut to the minute, durations in minutes, and every engineer has a route
    assert json.loads(json.dumps(out)) == out
    assert out["totals"] == {
        "jobs": 2,
        "jobs_served": 1,
        "jobs_unassigned": 1,
        "required_unassigned": 1,
        "engineers_used": 1,
        "travel_minutes": 25.0,
        "distance_km": 7.0,
    }
    first, idle = out["routes"]
    assert first["visits"] == [
        {
            "job": "J1",
            "window": "18:00–24:00",
            "leave_by": "17:45",
            "arrive": "17:58",
            "start": "18:00",
            "depart": "19:00",
            "travel_minutes": 12.5,
            "wait_minutes": 2.3,
        }
    ]
    assert (first["leave_at"], first["back_at"], first["load"], first["shift"]) == ("17:59", "19:13", 1, "08:30–20:30")
    assert idle == {
        "engineer": "E2",
        "shift": "08:30–17:30",
        "leave_at": None,
        "back_at": None,
        "jobs": 0,
        "load": 0,
        "travel_minutes": 0.0,
        "distance_km": 0.0,
        "visits": [],
    }
    assert out["unassigned"] == [{"job": "J2", "reason": "deferred", "text": REASONS["deferred"]}]
    assert (out["date"], out["feasible"], out["problems"], out["planning_seconds"]) == ("2026-11-24", True, [], 0.5)
    assert clock_text(DAY) == "24:00"


def test_a_solved_day_round_trips_through_the_file_format():
    # given the small file read and solved briefly
    day = problem_from_json(small_file())
    travel = GreatCircleTravel(road_factor=day.travel.road_factor, speed_kmh=day.travel.speed_kmh)
    plan = solve(day.problem, travel=travel, seconds=0.5, objective=day.objective)
    # when the plan is written
    out = json.loads(json.dumps(plan_to_json(day.problem, plan, day.date), ensure_ascii=False))
    # then every job is either visited once, inside the window named, or unassigned with a known reason
    visited = [v for route in out["routes"] for v in route["visits"]]
    assert sorted([v["job"] for v in visited] + [u["job"] for u in out["unassigned"]]) == ["J1", "J2"]
    assert all(u["reason"] in REASONS for u in out["unassigned"])
    for v in visited:
        opens, closes = v["window"].split("–")
        assert opens <= v["start"] <= closes and v["arrive"] <= v["start"] <= v["depart"]
    assert out["feasible"] is True
    assert out["totals"]["jobs_served"] == len(visited) == 2  # both fit easily: J1 for E1, J2 for E1 too
    assert [r["engineer"] for r in out["routes"]] == ["E1", "E2"]


def test_problem_from_json_gives_the_optimisers_types():
    day = problem_from_json(small_file())
    assert isinstance(day.problem, Problem)
