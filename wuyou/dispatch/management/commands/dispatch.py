"""`wuyou dispatch solve problem.json`: plan a day from a problem file with the board's optimiser, no database.

The file format and the plan it prints are documented in docs/dispatch-problem.md. Exit status: 0 with a
plan, 2 when the file cannot be used (each mistake on stderr, naming its field), 1 when the plan fails its
own check (the plan is printed all the same, with its problems). A required job nobody can do at all (a skill
nobody has, a window before every shift) is a warning, not a failure: it is listed unassigned with its reason.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wuyou.routing.optimizer import solve
from wuyou.routing.problem_file import ProblemFileError, plan_to_json, problem_from_text
from wuyou.routing.travel import GreatCircleTravel

LONGEST_SOLVE = 3600.0


class Command(BaseCommand):
    help = "Plan field-service days from a JSON problem file: dispatch solve FILE [--seconds N] [--output OUT]."
    requires_system_checks: list[str] = []  # works on the file alone: no database, no URLs to check

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="<action>", required=True)
        solving = actions.add_parser(
            "solve",
            help="plan the day in a problem file and print the plan as JSON",
            description="Plan the day in a problem file (docs/dispatch-problem.md) and print the plan as JSON.",
        )
        solving.add_argument("file", help="the problem file (JSON); - reads standard input")
        solving.add_argument("--seconds", type=float, default=10.0, help="search time in seconds (default %(default)s)")
        solving.add_argument("--seed", type=int, default=0, help="random seed of the search (default %(default)s)")
        solving.add_argument("--output", "-o", help="write the plan to this file instead of standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "solve":
            self.solve(options)

    def solve(self, options: dict[str, Any]) -> None:
        """Read, check, plan, check the plan, print it."""
        name = options["file"]
        seconds = options["seconds"]
        if not 0 < seconds <= LONGEST_SOLVE:
            self.refuse([f"--seconds: must be more than 0 and at most {LONGEST_SOLVE:g}"])
        try:
            text = self.read(name)
        except OSError as error:
            self.refuse([f"{name}: cannot be read ({error.strerror or error})"])
        try:
            day = problem_from_text(text)
        except ProblemFileError as error:
            self.refuse([f"{name}: {line}" for line in error.lines()], count=len(error.errors))
        travel = GreatCircleTravel(road_factor=day.travel.road_factor, speed_kmh=day.travel.speed_kmh)
        problem = day.problem
        self.stderr.write(
            f"planning {_count(len(problem.jobs), 'job')} for {_count(len(problem.engineers), 'engineer')} "
            f"on {day.date} ({seconds:g} s)…",
            style_func=lambda text: text,
        )
        plan = solve(problem, travel=travel, seconds=seconds, seed=options["seed"], objective=day.objective)
        findings = plan.problems  # solve() re-checks its plan with plan_check in our own code
        answer = plan_to_json(
            problem,
            plan,
            day.date,
            time_zone=day.time_zone,
            objective=day.objective,
            names=day.names,
            addresses=day.addresses,
        )
        body = json.dumps(answer, ensure_ascii=False, indent=2)
        if options["output"]:
            try:
                Path(options["output"]).write_text(body + "\n", encoding="utf-8")
            except OSError as error:
                raise CommandError(f"{options['output']}: cannot be written ({error.strerror or error})") from None
        else:
            self.stdout.write(body)
        self.stderr.write(summary(answer), style_func=lambda text: text)
        for warning in plan.warnings:
            self.stderr.write(f"warning: {warning}", style_func=lambda text: text)
        if findings:
            for finding in findings:
                self.stderr.write(f"plan check: {finding}")
            raise SystemExit(1)

    def read(self, name: str) -> bytes:
        if name == "-":
            return sys.stdin.buffer.read()
        return Path(name).read_bytes()

    def refuse(self, lines: list[str], count: int | None = None) -> NoReturn:
        """Report why the input cannot be used and leave with status 2."""
        for line in lines:
            self.stderr.write(line)
        if count and count > 1:
            self.stderr.write(f"{count} mistakes; nothing was planned")
        raise SystemExit(2)


def summary(answer: dict[str, Any]) -> str:
    """One line for the person at the terminal: served, unassigned, travel, whether the plan checks out."""
    totals = answer["totals"]
    hours, minutes = divmod(round(totals["travel_minutes"]), 60)
    unassigned = ", ".join(f"{item['job']} ({item['reason']})" for item in answer["unassigned"][:8])
    if len(answer["unassigned"]) > 8:
        unassigned += ", …"
    return (
        f"{totals['jobs_served']} of {_count(totals['jobs'], 'job')} planned for "
        f"{_count(totals['engineers_used'], 'engineer')}"
        + (f"; unassigned: {unassigned}" if unassigned else "")
        + f"; travel {hours} h {minutes:02d} min, {totals['distance_km']} km"
        + f"; {'feasible' if answer['feasible'] else 'NOT FEASIBLE'}; planned in {answer['planning_seconds']} s"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
