"""`wuyou dispatch solve`: a required job nobody can do is a warning (exit 0); only a broken plan exits 1."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from wuyou import cli
from wuyou.routing.optimizer import Plan

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "dispatch-problem.json"


def run(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("dispatch", "solve", *args, stdout=out, stderr=err)
    except SystemExit as leaving:
        return int(leaving.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def with_impossible_job(tmp_path: Path) -> Path:
    """The example day plus a required job needing a skill nobody has."""
    data: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["jobs"].append(
        {
            "id": "J99",
            "location": {"lat": 36.07, "lon": 120.39},
            "duration_minutes": 60,
            "windows": [{"start": "10:00", "end": "12:00"}],
            "skills": ["elevator"],
            "required": True,
        }
    )
    path = tmp_path / "impossible.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_required_job_with_a_skill_nobody_has_is_a_warning_and_exits_0(tmp_path):
    # given the example day with a required job nobody has the skill for
    status, out, err = run(str(with_impossible_job(tmp_path)), "--seconds", "0.5")
    # then the plan is feasible, the job is unassigned with its true reason, and the JSON warns about it
    assert status == 0, err
    plan = json.loads(out)
    assert plan["feasible"] is True and plan["problems"] == []
    assert {"job": "J99", "reason": "no_skill"} in [{k: u[k] for k in ("job", "reason")} for u in plan["unassigned"]]
    assert plan["totals"]["required_unassigned"] == 1
    assert plan["warnings"] == ["required job J99 cannot be planned: no engineer has all of its skills (elevator)"]
    assert "warning: required job J99" in err and "NOT FEASIBLE" not in err
    # and each visit says when to leave for it
    visits = [v for r in plan["routes"] for v in r["visits"]]
    assert visits and all(v["leave_by"] <= v["arrive"] <= v["start"] for v in visits)


def test_the_wuyou_command_line_exits_0_for_it_too(tmp_path, capsys):
    assert cli.main(["dispatch", "solve", str(with_impossible_job(tmp_path)), "--seconds", "0.5"]) == 0
    assert json.loads(capsys.readouterr().out)["feasible"] is True


def test_a_plan_that_fails_its_check_still_exits_1(tmp_path, monkeypatch):
    # given the optimiser returned a plan its own check finds broken
    from wuyou.dispatch.management.commands import dispatch as command

    real = command.solve

    def broken(*args: Any, **kwargs: Any) -> Plan:
        plan = real(*args, **kwargs)
        return Plan(plan.routes, plan.unassigned, plan.travel, plan.distance, plan.seconds, False, ("job J1 is bad",))

    monkeypatch.setattr(command, "solve", broken)
    status, out, err = run(str(EXAMPLE), "--seconds", "0.2")
    # then the plan is printed as infeasible, with its problem, and the status is 1
    assert status == 1
    assert json.loads(out)["feasible"] is False and "plan check: job J1 is bad" in err
    with pytest.raises(SystemExit) as leaving:
        cli.main(["dispatch", "solve", str(EXAMPLE), "--seconds", "0.2"])
    assert leaving.value.code == 1
