"""Every command on a workspace that holds no plan yet says so in one line and exits 1 (issue 12)."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from teamcast.engine.commands.cli import main
from teamcast.engine.commands.retro import commands

for command in commands:  # until engine/commands/cli.py lists the module
    if command.name not in main.commands:
        main.add_command(command)

COMMANDS = [
    ["simulate", "{ws}"],
    ["schedule", "{ws}"],
    ["report", "{ws}", "--kind", "leadership", "--out", "{tmp}/r.md"],
    ["report", "{ws}", "--kind", "retro", "--out", "{tmp}/r.html"],
    ["sweep", "{ws}", "--vary", "priority=value,lft"],
    ["retro", "{ws}"],
    ["check", "{ws}"],
    ["roster", "{ws}"],
    ["org", "{ws}"],
    ["hiring", "{ws}"],
    ["validate", "{ws}"],
    ["export", "{ws}", "--to", "-"],
    ["task", "start", "t", "--in", "{ws}"],
    ["task", "done", "t", "--in", "{ws}", "--actual", "2"],
    ["import", "{tmp}/export.csv", "--into", "{ws}", "--format", "jira"],
]


@pytest.fixture
def empty(tmp_path):
    ws = tmp_path / "x.db"
    assert CliRunner().invoke(main, ["init", str(ws)]).exit_code == 0
    (tmp_path / "export.csv").write_text("Issue key,Resolved,Resolution\nA-1,2026-10-09,Done\n")
    return ws


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_every_command_on_an_empty_workspace_says_what_to_do(empty, tmp_path, args):
    before = empty.read_bytes()
    result = CliRunner().invoke(main, [a.format(ws=empty, tmp=tmp_path) for a in args])
    assert result.exit_code == 1, result.output
    assert (
        result.stderr == f"workspace: {empty}: this workspace holds no plan yet: teamcast import PLAN --into {empty}\n"
    )
    assert result.stdout == ""
    assert empty.read_bytes() == before


def test_the_same_through_the_installed_command(empty, tmp_path):
    script = tmp_path / "teamcast_cli.py"
    script.write_text("from teamcast.engine.commands.cli import main\nmain()\n")
    run = subprocess.run(
        [sys.executable, str(script), "simulate", str(empty)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "this workspace holds no plan yet: teamcast import PLAN --into" in run.stderr


def test_a_sweep_whose_scenarios_fail_does_not_exit_0():
    result = CliRunner().invoke(
        main, ["sweep", "engine/plan/data/demo.toml", "--vary", "people.ml_engineer=0", "-n", "50"]
    )
    assert result.exit_code == 1
    assert "error: error:" not in result.output and "failed: " in result.stdout
    assert result.stderr.strip().endswith("1 of 1 scenario(s) failed; see their rows")
