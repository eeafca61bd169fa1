"""Inputs that used to crash or confuse get one clear line (issue 14): BOMs, other date formats,
deep nesting, long chains, missing files, read-only workspaces, library warnings, refused edits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from teamcast.engine.commands.cli import main

PLAN = (Path(__file__).parent / "plans" / "tiny.toml").read_text()


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "teamcast.engine.commands.cli", *args], capture_output=True, text=True)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + PLAN.encode())
    result = run("validate", str(path))
    assert result.exit_code == 0, result.output


def test_a_day_month_year_date_says_how_to_write_dates(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(PLAN.replace("start = 2027-01-04", "start = 04/01/2027"))
    result = run("validate", str(path))
    assert result.exit_code == 1
    assert "write dates as YYYY-MM-DD without quotes" in result.output


@pytest.mark.parametrize("nested", ["x = " + "[" * 600 + "]" * 600, "x = " + "{a = " * 600 + "1" + "}" * 600])
def test_deep_nesting_is_a_syntax_error_not_a_traceback(tmp_path, nested):
    path = tmp_path / "deep.toml"
    path.write_text(PLAN.replace('name = "Tiny"', f'name = "Tiny"\n{nested}'))
    proc = cli("validate", str(path))
    assert proc.returncode == 1
    assert "nested too deeply" in proc.stderr and "Traceback" not in proc.stderr


def test_a_long_chain_written_in_reverse_runs_the_health_checks(tmp_path):
    n = 3000
    blocks = [PLAN.split("[[projects.tasks]]")[0]]
    for i in range(n):
        after = f'after = ["t{i + 1}"]\n' if i < n - 1 else ""
        blocks.append(f'[[projects.tasks]]\nid = "t{i}"\nestimate = 0.01\nrole = "ml_engineer"\n{after}')
    path = tmp_path / "chain.toml"
    path.write_text("\n".join(blocks))
    proc = cli("check", str(path))
    assert proc.returncode == 0, proc.stderr[-500:]
    assert "RecursionError" not in proc.stderr


def test_depths_of_a_chain_is_iterative():
    import polars as pl

    from teamcast.engine.practice.checks import _depths  # noqa: PLC2701 - the function under repair

    n = 5000
    tasks = pl.DataFrame(
        {"id": [f"t{i}" for i in range(n)], "after": [[f"t{i + 1}"] if i < n - 1 else [] for i in range(n)]}
    )
    depth = _depths(tasks)
    assert depth["t0"] == n - 1 and depth[f"t{n - 1}"] == 0
    cyclic = pl.DataFrame({"id": ["a", "b"], "after": [["b"], ["a"]]})
    assert set(_depths(cyclic)) == {"a", "b"}  # a cycle ends, whatever the depth it reports


@pytest.mark.parametrize(
    "args", [["simulate", "{missing}"], ["schedule", "{missing}"], ["export", "{missing}", "--to", "-"]]
)
def test_a_missing_file_exits_2_as_documented(tmp_path, args):
    proc = cli(*[a.format(missing=tmp_path / "nope.db") for a in args])
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr


def test_library_warnings_do_not_leak_to_stderr(tmp_path):
    plan = tmp_path / "p.toml"
    plan.write_text(PLAN)
    ws = tmp_path / "ws.db"
    assert cli("import", str(plan), "--into", str(ws)).returncode == 0
    proc = cli("task", "done", "t1", "--in", str(ws), "--on", "2027-01-06", "--actual", "2")
    assert proc.returncode == 0
    assert proc.stderr.strip().splitlines() == ["t1: done on 2027-01-06 after 2 days of effort"]


def test_a_refused_task_start_names_the_task_it_was_asked_to_start(tmp_path):
    plan = tmp_path / "p.toml"
    plan.write_text(
        PLAN + '\n[[projects.tasks]]\nid = "t2"\nestimate = 3\nrole = "ml_engineer"\n'
        'status = "doing"\nstarted = 2027-01-04\n'
    )
    ws = tmp_path / "ws.db"
    assert run("import", str(plan), "--into", str(ws)).exit_code == 0
    refused = run("task", "start", "t1", "--in", str(ws), "--on", "2027-01-05")
    assert refused.exit_code == 1
    assert "refused: task start t1" in refused.output


def test_a_workspace_in_a_read_only_place_opens_for_reading(tmp_path, monkeypatch):
    from teamcast.engine.plan import workspace

    plan = tmp_path / "p.toml"
    plan.write_text(PLAN)
    ws = tmp_path / "ws.db"
    assert run("import", str(plan), "--into", str(ws)).exit_code == 0
    # root may write anywhere, so the test tells the workspace what a read-only directory would
    monkeypatch.setattr(workspace, "writable", lambda path: False)
    listed = run("schedule", str(ws), "--format", "csv")
    assert listed.exit_code == 0 and "t1" in listed.output
    assert "not a teamcast workspace" not in listed.output
    refused = run("task", "done", "t1", "--in", str(ws), "--actual", "1")
    assert refused.exit_code == 1 and "readonly" in refused.output and "Traceback" not in refused.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("ws.db")) == ["ws.db"]


def test_a_real_read_only_directory(tmp_path):
    import os

    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    plan = tmp_path / "p.toml"
    plan.write_text(PLAN)
    box = tmp_path / "box"
    box.mkdir()
    assert run("import", str(plan), "--into", str(box / "ws.db")).exit_code == 0
    for leftover in box.glob("ws.db-*"):
        leftover.unlink()
    box.chmod(0o555)
    try:
        result = run("schedule", str(box / "ws.db"))
        assert result.exit_code == 0, result.output
    finally:
        box.chmod(0o755)


def test_the_missing_file_message_keeps_its_words(tmp_path):
    result = CliRunner().invoke(main, ["simulate", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2
    assert Path(tmp_path / "nope.toml").name in result.output and "no such file" in result.output


def test_an_html_report_without_matplotlib_names_the_extra(tmp_path, monkeypatch):
    plan = tmp_path / "p.toml"
    plan.write_text(PLAN)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as after a plain `pip install teamcast`
    result = CliRunner().invoke(main, ["report", str(plan), "--kind", "leadership", "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "missing dependency: the HTML report needs matplotlib, which is not installed: "
        "pip install 'teamcast[report]' (or write the report as .md or .json)"
    )
    assert not (tmp_path / "r.html").exists()
    markdown = CliRunner().invoke(main, ["report", str(plan), "--kind", "leadership", "--out", str(tmp_path / "r.md")])
    assert markdown.exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        ["simulate", "{ws}", "-n", "20"],
        ["schedule", "{ws}"],
        ["sweep", "{ws}", "--vary", "priority=value"],
        ["report", "{ws}", "--kind", "retro", "--out", "{dir}/r.md"],
    ],
)
def test_an_empty_workspace_says_to_import_a_plan(tmp_path, args):
    ws = tmp_path / "empty.db"
    assert run("init", str(ws)).exit_code == 0
    proc = cli(*[a.format(ws=ws, dir=tmp_path) for a in args])
    assert proc.returncode == 1
    assert "this workspace holds no plan yet: teamcast import PLAN --into" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_sweep_whose_every_scenario_fails_exits_1(tmp_path):
    plan = tmp_path / "p.toml"
    plan.write_text(PLAN)
    result = run("sweep", str(plan), "--vary", "people.ml_engineer=0", "-n", "20")
    assert result.exit_code == 1
    assert "1 of 1 scenario(s) failed; see their rows" in result.output
