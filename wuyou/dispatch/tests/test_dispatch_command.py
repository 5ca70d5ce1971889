"""`wuyou dispatch solve FILE`: a plan as JSON for a good file; status 2 and each field named for a bad one."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from wuyou import cli
from wuyou.routing.optimizer import REASONS

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "dispatch-problem.json"


def run(*args: str) -> tuple[int, str, str]:
    """Run the command in-process: (exit status, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("dispatch", "solve", *args, stdout=out, stderr=err)
    except SystemExit as leaving:
        return int(leaving.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_the_example_file_is_planned_and_printed_as_json():
    # given the documented example, when it is solved for a second
    status, out, err = run(str(EXAMPLE), "--seconds", "1")
    # then a feasible plan for all thirteen jobs is printed; J13 (a TV job at 09:00, the only TV engineer
    # starts at noon) is unassigned with its reason
    assert status == 0, err
    plan = json.loads(out)
    assert plan["date"] == "2026-11-24" and plan["feasible"] is True and plan["problems"] == []
    assert [r["engineer"] for r in plan["routes"]] == ["E1", "E2", "E3"]
    visited = {v["job"] for r in plan["routes"] for v in r["visits"]}
    unassigned = {u["job"]: u["reason"] for u in plan["unassigned"]}
    assert visited | set(unassigned) == {f"J{n}" for n in range(1, 14)} and not visited & set(unassigned)
    assert unassigned.get("J13") == "no_window" and set(unassigned.values()) <= set(REASONS)
    assert "J4" in visited  # the urgent, required boiler job
    assert "J8" in {v["job"] for v in plan["routes"][2]["visits"]}  # pinned to E3
    assert "jobs planned for 3 engineers" in err and "feasible" in err


def test_the_plan_goes_to_the_output_file_when_asked(tmp_path):
    target = tmp_path / "plan.json"
    status, out, _ = run(str(EXAMPLE), "--seconds", "0.5", "--output", str(target))
    assert status == 0 and out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["totals"]["jobs"] == 13


def test_a_bad_file_exits_with_status_2_naming_every_field(tmp_path):
    # given a file with three mistakes
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["engineers"][1]["start"]["lat"] = 136.2
    data["jobs"][3]["windows"][0]["end"] = "08:00"
    data["jobs"][7]["pinned_to"] = "E9"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    # when it is solved, then nothing is planned and each mistake is on stderr with its field
    status, out, err = run(str(bad))
    assert status == 2 and out == ""
    assert f"{bad}: engineers[1].start.lat: must be between -90 and 90" in err
    assert f"{bad}: jobs[3].windows[0].end: must be after start" in err
    assert f'{bad}: jobs[7].pinned_to: no engineer has the id "E9"' in err
    assert "3 mistakes; nothing was planned" in err


def test_unreadable_json_and_missing_files_exit_with_status_2(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"date": "2026-11-24",\n "engineers": [\n', encoding="utf-8")
    status, _, err = run(str(broken))
    assert status == 2 and "not valid JSON" in err and "line 3, column 1" in err
    status, _, err = run(str(tmp_path / "absent.json"))
    assert status == 2 and "cannot be read" in err
    status, _, err = run(str(EXAMPLE), "--seconds", "0")
    assert status == 2 and "--seconds" in err


def test_the_wuyou_command_line_hands_dispatch_to_the_command(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"date": "2026-11-24", "engineers": [], "jobs": []}), encoding="utf-8")
    with pytest.raises(SystemExit) as leaving:
        cli.main(["dispatch", "solve", str(bad)])
    assert leaving.value.code == 2
    assert "engineers: must have at least 1 entry" in capsys.readouterr().err
