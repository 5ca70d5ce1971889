"""The dispatch problem file (pure): a day's engineers and jobs as JSON in, a plan as JSON out.

This is the format of `wuyou dispatch solve problem.json` (documented in docs/dispatch-problem.md). Reading
collects every mistake in the file, each under the path of the field it concerns (`jobs[3].windows[0].end`),
and raises them together as one `ProblemFileError`, so a person fixes a file in one pass. Wall-clock times
("HH:MM") are on the plan's date and become seconds from that day's local midnight, the optimiser's origin.

One module on purpose (over 400 lines): one file format — its reader, its every-mistake validation and its
writer — kept together so the documented format and the code cannot part.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wuyou.routing.optimizer import REASONS, Engineer, Job, Plan, Point, Problem, Window

DAY = 24 * 3600
DEFAULT_TIME_ZONE = "Asia/Shanghai"
OBJECTIVES = ("duration", "distance")
PRIORITIES = {"normal": 1, "high": 2, "urgent": 4}  # deferral penalty weights of optimizer.Job.priority
MAX_ID = 64
ROOT = "$"  # the path of the file as a whole

_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ProblemFileError(ValueError):
    """A problem file with mistakes: every one of them, keyed by the path of the field it concerns."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One "path: message" line per mistake, in the order they were found."""
        return [f"{path}: {message}" for path, message in self.errors.items()]


@dataclass(frozen=True)
class TravelSettings:
    """How travel is estimated: great-circle distance times a road factor, driven at an average speed."""

    road_factor: float = 1.35
    speed_kmh: float = 28.0


@dataclass(frozen=True)
class ProblemFile:
    """A problem file read and checked: the optimiser's Problem plus the day, time zone, travel and labels."""

    date: dt.date
    problem: Problem
    time_zone: str = DEFAULT_TIME_ZONE
    travel: TravelSettings = TravelSettings()
    objective: str = "duration"
    description: str = ""
    names: dict[str, str] = field(default_factory=dict)  # engineer id -> display name
    addresses: dict[str, str] = field(default_factory=dict)  # job id -> address as the file gave it


# -- reading ---------------------------------------------------------------------------------------


class _JsonObject(dict[str, Any]):
    """A JSON object that remembers keys given more than once (json keeps only the last value)."""

    duplicates: tuple[str, ...] = ()


def _json_object(pairs: list[tuple[str, Any]]) -> _JsonObject:
    obj = _JsonObject(pairs)
    seen: set[str] = set()
    obj.duplicates = tuple(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
    return obj


def problem_from_text(text: str | bytes) -> ProblemFile:
    """Read a problem file's text; bad JSON is reported with its line and column."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ProblemFileError({ROOT: f"not UTF-8 text (bad byte at offset {error.start})"}) from None
    text = text.removeprefix("\ufeff")
    try:
        data = json.loads(text, object_pairs_hook=_json_object)
    except json.JSONDecodeError as error:
        raise ProblemFileError(
            {ROOT: f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"}
        ) from None
    return problem_from_json(data)


def problem_from_json(data: object) -> ProblemFile:
    """Check decoded JSON and build the ProblemFile; raises ProblemFileError listing every mistake."""
    reader = _Reader()
    result = reader.file(data)
    if reader.errors or result is None:
        raise ProblemFileError(reader.errors or {ROOT: "is not a problem file"})
    return result


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return key if path == ROOT else f"{path}.{key}"


class _Reader:
    """Walks decoded JSON, converting what is right and noting what is wrong under its path."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def fail(self, path: str, message: str) -> None:
        self.errors[path] = f"{self.errors[path]}; {message}" if path in self.errors else message

    # -- shapes --

    def obj(
        self, value: object, path: str, *, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict | None:
        if not isinstance(value, dict):
            self.fail(path, f"must be an object, not {_kind(value)}")
            return None
        for key in getattr(value, "duplicates", ()):
            self.fail(_join(path, key), "appears more than once in this object")
        known = required + optional
        for key in value:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f'did you mean "{close[0]}"?' if close else f"expected {', '.join(known)}"
                self.fail(_join(path, key), f"unknown field ({hint})")
        for key in required:
            if key not in value:
                self.fail(_join(path, key), "is required")
        return value

    def array(self, value: object, path: str, *, at_least: int = 0) -> list | None:
        if not isinstance(value, list):
            self.fail(path, f"must be a list, not {_kind(value)}")
            return None
        if len(value) < at_least:
            self.fail(path, f"must have at least {at_least} {'entry' if at_least == 1 else 'entries'}")
        return value

    def text(self, value: object, path: str, *, longest: int = 200) -> str | None:
        if not isinstance(value, str):
            self.fail(path, f"must be a string, not {_kind(value)}")
            return None
        if not value.strip():
            self.fail(path, "must not be empty")
            return None
        if len(value) > longest:
            self.fail(path, f"must be at most {longest} characters")
            return None
        return value

    def number(
        self, value: object, path: str, *, low: float, high: float, low_open: bool = False, whole: bool = False
    ) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, f"must be a number, not {_kind(value)}")
            return None
        if not math.isfinite(value):
            self.fail(path, "must be a finite number")
            return None
        if whole and value != int(value):
            self.fail(path, "must be a whole number")
            return None
        if value < low or (low_open and value == low) or value > high:
            if low_open:
                self.fail(path, f"must be more than {_figure(low)} and at most {_figure(high)}")
            else:
                self.fail(path, f"must be between {_figure(low)} and {_figure(high)}")
            return None
        return value

    def boolean(self, value: object, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.fail(path, f"must be true or false, not {_kind(value)}")
            return None
        return value

    def clock(self, value: object, path: str, *, end_of_day: bool = False) -> int | None:
        """A wall-clock time "HH:MM" as seconds after midnight; "24:00" only where a period may end at midnight."""
        latest = "24:00" if end_of_day else "23:59"
        hint = f'must be a time "HH:MM" between 00:00 and {latest}'
        if not isinstance(value, str):
            self.fail(path, f"{hint}, not {_kind(value)}")
            return None
        match = _TIME.match(value.strip())
        if not match:
            self.fail(path, hint)
            return None
        hours, minutes = int(match[1]), int(match[2])
        if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not end_of_day)):
            self.fail(path, hint)
            return None
        return hours * 3600 + minutes * 60

    def point(self, value: object, path: str) -> Point | None:
        spot = self.obj(value, path, required=("lat", "lon"))
        if spot is None:
            return None
        lat = self.number(spot.get("lat"), _join(path, "lat"), low=-90, high=90) if "lat" in spot else None
        lon = self.number(spot.get("lon"), _join(path, "lon"), low=-180, high=180) if "lon" in spot else None
        return None if lat is None or lon is None else Point(lat=float(lat), lon=float(lon))

    def period(self, value: object, path: str) -> tuple[int, int] | None:
        """A {"start": "HH:MM", "end": "HH:MM"} period whose end is after its start."""
        span = self.obj(value, path, required=("start", "end"))
        if span is None:
            return None
        start = self.clock(span["start"], _join(path, "start")) if "start" in span else None
        end = self.clock(span["end"], _join(path, "end"), end_of_day=True) if "end" in span else None
        if start is None or end is None:
            return None
        if end <= start:
            self.fail(_join(path, "end"), "must be after start")
            return None
        return start, end

    def skills(self, value: object, path: str) -> frozenset[str] | None:
        names = self.array(value, path)
        if names is None:
            return None
        found = [self.text(name, _join(path, n), longest=MAX_ID) for n, name in enumerate(names)]
        return None if None in found else frozenset(name.strip() for name in found if name is not None)

    def ident(self, value: object, path: str) -> str | None:
        ident = self.text(value, path, longest=MAX_ID)
        return None if ident is None else ident.strip()

    # -- the file --

    def file(self, data: object) -> ProblemFile | None:
        top = self.obj(
            data,
            ROOT,
            required=("date", "engineers", "jobs"),
            optional=("description", "time_zone", "travel", "objective", "balance"),
        )
        if top is None:
            return None
        date = self.date(top["date"], "date") if "date" in top else None
        description = self.text(top["description"], "description", longest=2000) if "description" in top else ""
        time_zone = DEFAULT_TIME_ZONE
        if "time_zone" in top:
            zone = self.text(top["time_zone"], "time_zone")
            if zone is not None and not _known_zone(zone):
                self.fail("time_zone", f'unknown time zone "{zone}" (an IANA name such as "Asia/Shanghai")')
            time_zone = zone or DEFAULT_TIME_ZONE
        travel = self.travel(top["travel"], "travel") if "travel" in top else TravelSettings()
        objective = "duration"
        if "objective" in top:
            if top["objective"] not in OBJECTIVES:
                self.fail("objective", f'must be "duration" or "distance", not {_shown(top["objective"])}')
            else:
                objective = top["objective"]
        balance = self.boolean(top["balance"], "balance") if "balance" in top else True

        names: dict[str, str] = {}
        engineers: list[Engineer] = []
        listed = self.array(top["engineers"], "engineers", at_least=1) if "engineers" in top else None
        for n, raw in enumerate(listed or []):
            engineer = self.engineer(raw, _join("engineers", n), names)
            if engineer is not None:
                engineers.append(engineer)
        engineer_ids = self.unique_ids(listed or [], "engineers")

        addresses: dict[str, str] = {}
        jobs: list[Job] = []
        listed = self.array(top["jobs"], "jobs") if "jobs" in top else None
        for n, raw in enumerate(listed or []):
            path = _join("jobs", n)
            job = self.job(raw, path, addresses)
            if job is not None:
                jobs.append(job)
            # Checked on the raw value so that a job with other mistakes still has this one reported.
            pinned_to = raw.get("pinned_to") if isinstance(raw, dict) else None
            if isinstance(pinned_to, str) and pinned_to.strip() and pinned_to.strip() not in engineer_ids:
                self.fail(_join(path, "pinned_to"), f'no engineer has the id "{pinned_to.strip()}"')
        self.unique_ids(listed or [], "jobs")

        if self.errors or date is None or balance is None or travel is None:
            return None
        return ProblemFile(
            date=date,
            problem=Problem(engineers=tuple(engineers), jobs=tuple(jobs), balance=balance),
            time_zone=time_zone,
            travel=travel,
            objective=objective,
            description=description or "",
            names=names,
            addresses=addresses,
        )

    def unique_ids(self, listed: list, path: str) -> set[str]:
        """The ids given in a list of entries, each id that is given twice reported at its second use."""
        first: dict[str, int] = {}
        for n, raw in enumerate(listed):
            ident = raw.get("id") if isinstance(raw, dict) else None
            if not isinstance(ident, str) or not ident.strip():
                continue
            ident = ident.strip()
            if ident in first:
                self.fail(_join(_join(path, n), "id"), f'"{ident}" is already the id of {path}[{first[ident]}]')
            else:
                first[ident] = n
        return set(first)

    def date(self, value: object, path: str) -> dt.date | None:
        if isinstance(value, str) and _DATE.match(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(path, f'must be a date "YYYY-MM-DD", not {_shown(value)}')
        return None

    def travel(self, value: object, path: str) -> TravelSettings | None:
        given = self.obj(value, path, required=(), optional=("road_factor", "speed_kmh"))
        if given is None:
            return None
        road_factor = speed = None
        if "road_factor" in given:
            road_factor = self.number(given["road_factor"], _join(path, "road_factor"), low=1, high=3)
        if "speed_kmh" in given:
            speed = self.number(given["speed_kmh"], _join(path, "speed_kmh"), low=0, high=130, low_open=True)
        default = TravelSettings()
        return TravelSettings(
            road_factor=float(default.road_factor if road_factor is None else road_factor),
            speed_kmh=float(default.speed_kmh if speed is None else speed),
        )

    def engineer(self, value: object, path: str, names: dict[str, str]) -> Engineer | None:
        given = self.obj(value, path, required=("id", "start", "shift"), optional=("name", "end", "skills", "capacity"))
        if given is None:
            return None
        before = len(self.errors)
        key = self.ident(given["id"], _join(path, "id")) if "id" in given else None
        name = self.text(given["name"], _join(path, "name")) if "name" in given else None
        start = self.point(given["start"], _join(path, "start")) if "start" in given else None
        end = self.point(given["end"], _join(path, "end")) if "end" in given else start
        shift = self.period(given["shift"], _join(path, "shift")) if "shift" in given else None
        skills = self.skills(given["skills"], _join(path, "skills")) if "skills" in given else frozenset()
        capacity: float | None = 0.0
        if "capacity" in given:
            capacity = self.number(given["capacity"], _join(path, "capacity"), low=0, high=1_000_000, whole=True)
        if len(self.errors) > before or None in (key, start, end, shift, skills, capacity):
            return None
        assert key is not None and start is not None and end is not None and shift is not None
        if name:
            names[key] = name
        return Engineer(
            key=key,
            start=start,
            end=end,
            shift_start=shift[0],
            shift_end=shift[1],
            skills=skills or frozenset(),
            capacity=int(capacity or 0),
        )

    def job(self, value: object, path: str, addresses: dict[str, str]) -> Job | None:
        given = self.obj(
            value,
            path,
            required=("id", "location", "duration_minutes"),
            optional=(
                "address",
                "windows",
                "skills",
                "load",
                "priority",
                "required",
                "pinned_to",
                "pinned_start",
            ),
        )
        if given is None:
            return None
        before = len(self.errors)
        key = self.ident(given["id"], _join(path, "id")) if "id" in given else None
        address = self.text(given["address"], _join(path, "address"), longest=500) if "address" in given else None
        location = self.point(given["location"], _join(path, "location")) if "location" in given else None
        minutes = None
        if "duration_minutes" in given:
            minutes = self.number(given["duration_minutes"], _join(path, "duration_minutes"), low=0, high=24 * 60)
        windows = self.windows(given["windows"], _join(path, "windows")) if "windows" in given else (Window(0, DAY),)
        skills = self.skills(given["skills"], _join(path, "skills")) if "skills" in given else frozenset()
        load = (
            self.number(given["load"], _join(path, "load"), low=0, high=1_000_000, whole=True) if "load" in given else 0
        )
        priority = 1
        if "priority" in given:
            if given["priority"] not in PRIORITIES:
                self.fail(
                    _join(path, "priority"), f'must be "normal", "high" or "urgent", not {_shown(given["priority"])}'
                )
            else:
                priority = PRIORITIES[given["priority"]]
        required = self.boolean(given["required"], _join(path, "required")) if "required" in given else False
        pinned_to = None
        if given.get("pinned_to") is not None:
            pinned_to = self.ident(given["pinned_to"], _join(path, "pinned_to"))
        pinned_start = None
        if given.get("pinned_start") is not None:
            pinned_start = self.clock(given["pinned_start"], _join(path, "pinned_start"))
            if given.get("pinned_to") is None:
                self.fail(_join(path, "pinned_start"), "needs pinned_to: a visit is kept at a time with its engineer")
        if len(self.errors) > before or None in (key, location, minutes, windows, skills, load, required):
            return None
        assert key is not None and location is not None and minutes is not None and windows is not None
        if address:
            addresses[key] = address
        return Job(
            key=key,
            location=location,
            duration=round(minutes * 60),
            windows=windows,
            skills=skills or frozenset(),
            load=int(load or 0),
            required=bool(required),
            priority=priority,
            pinned_to=pinned_to,
            pinned_start=pinned_start,
        )

    def windows(self, value: object, path: str) -> tuple[Window, ...] | None:
        listed = self.array(value, path, at_least=1)
        if listed is None:
            return None
        spans: list[tuple[int, int] | None] = [self.period(raw, _join(path, n)) for n, raw in enumerate(listed)]
        for n, span in enumerate(spans):
            for m in range(n):
                other = spans[m]
                if span is not None and other is not None and span[0] < other[1] and other[0] < span[1]:
                    self.fail(_join(path, n), f"overlaps windows[{m}] (join them into one window)")
                    break
        if None in spans or not listed:
            return None
        return tuple(Window(start, end) for start, end in spans)  # type: ignore[misc]


def _known_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _kind(value: object) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _shown(value: object) -> str:
    """A short JSON rendering of a value, for messages."""
    if isinstance(value, str):
        return json.dumps(value[:40], ensure_ascii=False)
    return _kind(value)


def _figure(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


# -- writing ---------------------------------------------------------------------------------------


def clock_text(seconds: int) -> str:
    """Seconds after midnight as "HH:MM" (minutes cut, not rounded, so a start inside a window reads inside it)."""
    minutes = seconds // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def window_text(window: Window) -> str:
    """A window as "HH:MM–HH:MM"."""
    return f"{clock_text(window.start)}–{clock_text(window.end)}"


def _minutes(seconds: int) -> float:
    return round(seconds / 60, 1)


def _km(metres: int) -> float:
    return round(metres / 1000, 1)


def plan_to_json(
    problem: Problem,
    plan: Plan,
    date: dt.date,
    *,
    time_zone: str = DEFAULT_TIME_ZONE,
    objective: str = "duration",
    names: Mapping[str, str] | None = None,
    addresses: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The plan as JSON-ready data: one route per engineer (idle ones too), totals and unassigned jobs with reasons."""
    names = names or {}
    addresses = addresses or {}
    jobs = {job.key: job for job in problem.jobs}
    routes = {route.engineer: route for route in plan.routes}
    out_routes: list[dict[str, Any]] = []
    for engineer in problem.engineers:
        route = routes.get(engineer.key)
        visits = []
        for visit in route.visits if route else ():
            job = jobs.get(visit.job)
            window = job.windows[visit.window] if job and 0 <= visit.window < len(job.windows) else None
            entry: dict[str, Any] = {"job": visit.job}
            if visit.job in addresses:
                entry["address"] = addresses[visit.job]
            entry |= {
                "window": window_text(window) if window else None,
                "leave_by": clock_text(visit.arrival - visit.travel),  # from the previous place (R-F2)
                "arrive": clock_text(visit.arrival),
                "start": clock_text(visit.start),
                "depart": clock_text(visit.departure),
                "travel_minutes": _minutes(visit.travel),
                "wait_minutes": _minutes(max(visit.start - visit.arrival, 0)),
            }
            visits.append(entry)
        used = bool(route and route.visits)
        out_routes.append(
            {
                "engineer": engineer.key,
                **({"name": names[engineer.key]} if engineer.key in names else {}),
                "shift": f"{clock_text(engineer.shift_start)}–{clock_text(engineer.shift_end)}",
                "leave_at": clock_text(route.leave_at) if route and used else None,
                "back_at": clock_text(route.back_at) if route and used else None,
                "jobs": len(visits),
                "load": sum(jobs[v.job].load for v in route.visits if v.job in jobs) if route else 0,
                "travel_minutes": _minutes(route.travel) if route and used else 0.0,
                "distance_km": _km(route.distance) if route and used else 0.0,
                "visits": visits,
            }
        )
    unassigned = [
        {"job": item.job, "reason": item.reason, "text": str(REASONS.get(item.reason, item.reason))}
        for item in plan.unassigned
    ]
    served = sum(len(route.visits) for route in plan.routes)
    return {
        "date": date.isoformat(),
        "time_zone": time_zone,
        "objective": objective,
        "feasible": plan.feasible and not plan.problems,
        "problems": list(plan.problems),
        "warnings": list(plan.warnings),
        "planning_seconds": round(plan.seconds, 2),
        "totals": {
            "jobs": len(problem.jobs),
            "jobs_served": served,
            "jobs_unassigned": len(plan.unassigned),
            "required_unassigned": sum(1 for item in plan.unassigned if item.job in jobs and jobs[item.job].required),
            "engineers_used": sum(1 for route in plan.routes if route.visits),
            "travel_minutes": _minutes(plan.travel),
            "distance_km": _km(plan.distance),
        },
        "routes": out_routes,
        "unassigned": unassigned,
    }
