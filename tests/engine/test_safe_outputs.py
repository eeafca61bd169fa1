"""Outputs never touch inputs, and imports never drop recorded work (issue 14, principles 1 and 2)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from teamcast.engine.commands.cli import main
from teamcast.engine.plan.io import SQLITE_HEADER

PLAN = """\
[plan]
name = "Tiny"
start = 2027-01-04

[[people]]
id = "ana"
role = "ml_engineer"

[[projects]]
id = "p"
name = "Payments"

[[projects.tasks]]
id = "t1"
estimate = [2, 3, 5]
role = "ml_engineer"

[[projects.tasks]]
id = "t2"
estimate = 3
role = "ml_engineer"
after = ["t1"]
"""


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "p.toml").write_text(PLAN)
    result = run("import", str(tmp_path / "p.toml"), "--into", str(tmp_path / "ws.db"))
    assert result.exit_code == 0, result.output
    return tmp_path / "ws.db"


@pytest.mark.parametrize(
    "command",
    [
        ["simulate", "{ws}", "-n", "50", "--format", "json", "--out", "{ws}"],
        ["schedule", "{ws}", "--format", "csv", "--out", "{ws}"],
        ["export", "{ws}", "--to", "{ws}"],
        ["report", "{ws}", "--kind", "retro", "--out", "{ws}"],
        ["sweep", "{ws}", "--vary", "priority=value,lft", "-n", "20", "--format", "csv", "--out", "{ws}"],
    ],
)
def test_an_output_onto_its_input_workspace_is_refused_and_the_workspace_survives(ws, command):
    before = ws.read_bytes()
    result = run(*[part.format(ws=ws) for part in command])
    assert result.exit_code == 2
    assert "is the input of this command" in result.output and "--force" in result.output
    assert ws.read_bytes() == before
    assert "Traceback" not in result.output


def test_an_output_onto_another_workspace_is_refused_unless_forced(ws, tmp_path):
    other = tmp_path / "other.db"
    run("init", str(other))
    result = run("schedule", str(tmp_path / "p.toml"), "--format", "csv", "--out", str(other))
    assert result.exit_code == 2 and "is a workspace" in result.output
    assert other.read_bytes().startswith(SQLITE_HEADER)
    forced = run("schedule", str(tmp_path / "p.toml"), "--format", "csv", "--out", str(other), "--force")
    assert forced.exit_code == 0
    assert other.read_text().startswith("task,")


def test_a_plan_file_is_not_overwritten_by_its_own_schedule(tmp_path):
    plan = tmp_path / "p.toml"
    plan.write_text(PLAN)
    assert run("schedule", str(plan), "--out", str(plan)).exit_code == 2
    assert plan.read_text() == PLAN


def test_unwritable_targets_give_one_line_and_no_traceback(tmp_path):
    plan = tmp_path / "p.toml"
    plan.write_text(PLAN)
    missing = run("schedule", str(plan), "--out", str(tmp_path / "nope" / "s.csv"))
    assert missing.exit_code == 1 and "directory" in missing.output and "does not exist" in missing.output
    directory = run("export", str(plan), "--to", str(tmp_path))
    assert directory.exit_code != 0 and "Traceback" not in directory.output


def test_a_full_disk_is_a_one_line_error_and_the_device_stays_a_device(tmp_path):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    plan = tmp_path / "p.toml"
    plan.write_text(PLAN)
    proc = subprocess.run(
        [sys.executable, "-m", "teamcast.engine.commands.cli", "schedule", str(plan), "--out", "/dev/full"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == ["output: cannot write /dev/full: No space left on device"]
    assert not Path("/dev/full").is_file()  # written through, not replaced by a regular file


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_directory_is_a_one_line_error(tmp_path):
    plan = tmp_path / "p.toml"
    plan.write_text(PLAN)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    result = run("schedule", str(plan), "--out", str(locked / "s.csv"))
    assert result.exit_code == 1 and "not writable" in result.output


def test_import_refuses_to_drop_work_recorded_after_the_export(ws, tmp_path):
    exported = tmp_path / "exported.toml"
    assert run("export", str(ws), "--to", str(exported)).exit_code == 0
    assert run("task", "done", "t1", "--in", str(ws), "--on", "2027-01-08", "--actual", "4").exit_code == 0
    refused = run("import", str(exported), "--into", str(ws))
    assert refused.exit_code == 1
    assert "1 history row(s) of task(s) t1" in refused.output and "t1 (done -> todo)" in refused.output
    assert "--replace" in refused.output
    with sqlite3.connect(ws) as conn:
        assert conn.execute("SELECT status FROM tasks WHERE id = 't1'").fetchone()[0] == "done"
    # exporting again and importing that is a safe round trip
    assert run("export", str(ws), "--to", str(exported), "--force").exit_code == 0
    assert run("import", str(exported), "--into", str(ws)).exit_code == 0
    # --replace drops it on purpose
    (tmp_path / "fresh.toml").write_text(PLAN)
    assert run("import", str(tmp_path / "fresh.toml"), "--into", str(ws), "--replace").exit_code == 0
    with sqlite3.connect(ws) as conn:
        assert conn.execute("SELECT status FROM tasks WHERE id = 't1'").fetchone()[0] is None
        assert conn.execute("SELECT count(*) FROM history").fetchone()[0] == 0


def test_a_failed_import_into_a_new_path_leaves_nothing(tmp_path, monkeypatch):
    from teamcast.engine.plan.workspace import Workspace
    from teamcast.errors import WorkspaceError

    (tmp_path / "p.toml").write_text(PLAN)

    def broken(self, plan, source=None):
        raise WorkspaceError("disk trouble")

    monkeypatch.setattr(Workspace, "import_plan", broken)
    result = run("import", str(tmp_path / "p.toml"), "--into", str(tmp_path / "new.db"))
    assert result.exit_code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.toml"]
