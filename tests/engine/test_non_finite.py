"""NaN and infinities are refused in every float field (issue 14): from a plan file (TOML writes
`nan` and `inf`) with one line per key, named as the file writes it, and from workspace edits with
the workspace untouched. SQLite would store a NaN as null, so one let through would be lost."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from teamcast.engine.commands.cli import main
from teamcast.engine.plan.planfile import parse_plan_text
from teamcast.engine.plan.workspace import Workspace
from teamcast.errors import PlanError

PLANS = Path(__file__).parent / "plans"

PLAN = """\
[plan]
name = "Odd numbers"
start = 2027-01-04

[[people]]
id = "ana"
role = "ml_engineer"
capacity = nan

[[hires]]
id = "h1"
role = "ml_engineer"
time_to_hire = [10, 20, inf]

[[projects]]
id = "fraud"
value = -inf

[[projects.tasks]]
id = "a"
estimate = [1, nan, 3]
role = "ml_engineer"
p_success = nan

[[projects.tasks]]
id = "b"
estimate = nan
role = "ml_engineer"

[[history]]
task = "old"
actual_days = 3
forecast_p50 = inf
estimate = [nan, 2, 4]

[[experiments]]
date = 2026-12-01
tried = "a smaller model"
effort_days = nan

[[candidates]]
id = "cat"

[[candidates.scores]]
aspect = "ml"
score = nan
"""

EXPECTED = [
    "people[ana].capacity: not a finite number: nan",
    "hires[h1].time_to_hire: high is not a finite number: inf",
    "projects[fraud].value: not a finite number: -inf",
    "projects[fraud].tasks[a].estimate: likely is not a finite number: nan",
    "projects[fraud].tasks[a].p_success: not a finite number: nan",
    "projects[fraud].tasks[b].estimate: not a finite number: nan",
    "history[#1].estimate: low is not a finite number: nan",
    "history[#1].forecast_p50: not a finite number: inf",
    "experiments[#1].effort_days: not a finite number: nan",
    "candidates[cat].scores[#1].score: not a finite number: nan",
]


@pytest.mark.parametrize("command", [["validate"], ["simulate", "--trials", "50"]])
def test_a_plan_file_with_nan_and_inf_is_refused_with_one_line_per_key(tmp_path, command):
    path = tmp_path / "odd.toml"
    path.write_text(PLAN)
    result = CliRunner().invoke(main, [*command, str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {path}: {where}" for where in EXPECTED]


def test_the_real_command_refuses_nan_without_a_traceback(tmp_path):
    path = tmp_path / "odd.toml"
    path.write_text(PLAN)
    exe = shutil.which("teamcast", path=str(Path(sys.executable).parent))
    result = subprocess.run([exe, "simulate", str(path), "--trials", "50"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"error: {path}: projects[fraud].tasks[a].estimate: likely is not a finite number: nan" in result.stderr


@pytest.fixture
def workspace(tmp_path) -> Path:
    path = tmp_path / "acme.db"
    with Workspace.create(path) as ws:
        ws.import_plan(parse_plan_text((PLANS / "acme.toml").read_text()))
    return path


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize(
    ("table", "row_id", "column", "where"),
    [
        # Fields no other check reads: the points of an estimate written as model parameters.
        ("tasks", "fraud-gnn", "est_low", "projects[fraud].tasks[fraud-gnn].estimate"),
        ("tasks", "fraud-baseline", "actual_days", "projects[fraud].tasks[fraud-baseline].actual_days"),
        ("people", "ana", "capacity", "people[ana].capacity"),
        ("projects", "fraud", "value", "projects[fraud].value"),
    ],
)
def test_a_workspace_edit_with_nan_is_refused_and_changes_nothing(workspace, bad, table, row_id, column, where):
    before = workspace.read_bytes()
    with Workspace.open(workspace) as ws:
        version = ws.row_version(table, row_id)
        with pytest.raises(PlanError) as refused:
            ws.update_row(table, row_id, {column: bad}, version)
    assert [f"{p.location}: {p.message}" for p in refused.value.problems if p.severity == "error"] == [
        f"{where}: {'low is not' if column == 'est_low' else 'not'} a finite number: {bad}"
    ]
    assert workspace.read_bytes() == before


def test_model_parameters_and_new_rows_with_nan_are_refused(workspace):
    before = workspace.read_bytes()
    with Workspace.open(workspace) as ws:
        version = ws.row_version("tasks", "fraud-gnn")
        with pytest.raises(PlanError) as params:
            ws.update_row("tasks", "fraud-gnn", {"est_params": '{"mean": NaN, "sd": 6}'}, version)
        with pytest.raises(PlanError) as person:
            ws.insert_row("people", {"id": "zed", "role": "ml_engineer", "capacity": math.nan})
    assert [str(p) for p in params.value.problems] == [
        "projects[fraud].tasks[fraud-gnn].estimate: model parameters must be finite numbers, got NaN"
    ]
    assert [str(p) for p in person.value.problems] == ["people[zed].capacity: not a finite number: nan"]
    assert workspace.read_bytes() == before
