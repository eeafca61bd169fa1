"""Every hook has an effect (issue 12): a real plugin, pip-installed into a folder put on sys.path,
registers one of everything, and each registration changes what a real command does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from teamcast.engine.commands.cli import main
from teamcast.engine.commands.retro import commands
from teamcast.plugins.manager import get_registry

for command in commands:  # until engine/commands/cli.py lists the module
    if command.name not in main.commands:
        main.add_command(command)

PLUGIN = '''
"""A plugin with one of every hook, each with an effect a test can see."""
import click
import numpy as np

from teamcast import hookimpl
from teamcast.plugins.records import (
    DurationModel, Finding, HealthCheck, PriorityRule, ReportSection, SampleModifier, SuccessModel,
)


@hookimpl
def register_duration_models(register):
    def sample(tasks, n, rng):
        return np.full((n, tasks.height), 7.0)

    register(DurationModel("seven", sample=sample, mean=lambda tasks: np.full(tasks.height, 7.0)))


@hookimpl
def register_success_models(register):
    register(SuccessModel("never", sample=lambda tasks, n, rng: np.zeros((n, tasks.height), dtype=bool)))


@hookimpl
def register_sample_modifiers(register):
    def apply(ctx, effort, rng):
        return effort * float(ctx.options.get("factor", 2))

    register(SampleModifier("times", apply=apply, options=("factor",)))


@hookimpl
def register_priority_rules(register):
    register(PriorityRule("last-first", order=lambda ctx: np.arange(ctx.tasks.height)[::-1].copy()))


@hookimpl
def register_report_sections(register):
    register(ReportSection("size", title="Plan size", render=lambda ctx: f"The plan has {ctx.plan.tasks.height} tasks."))


@hookimpl
def register_checks(register):
    run = lambda plan: [Finding("everyhook-check", "plan", "a finding from the plugin", "info")]
    register(HealthCheck("everyhook-check", section="(plugin)", run=run))


@hookimpl
def register_commands(cli):
    @cli.command("everyhook-hello")
    def hello():
        """Say hello from the plugin."""
        click.echo("hello from the plugin")
'''

PLAN = """
[plan]
name = "hooks"
start = 2027-01-04

[[people]]
id = "ana"
role = "ml_engineer"

[[hires]]
id = "req-ana2"
role = "ml_engineer"
time_to_hire = [20, 30, 60]
{arrival}

[[projects]]
id = "p"
name = "P"

[[projects.tasks]]
id = "a"
estimate = [2, 3, 5]
role = "ml_engineer"
{a_extra}

[[projects.tasks]]
id = "b"
estimate = [2, 3, 5]
role = "ml_engineer"

[[projects.tasks]]
id = "c"
estimate = [2, 3, 5]
needs = {{ ml_engineer = 2 }}
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    source = tmp_path_factory.mktemp("everyhook-src")
    (source / "teamcast_everyhook").mkdir()
    (source / "teamcast_everyhook" / "__init__.py").write_text(textwrap.dedent(PLUGIN))
    (source / "pyproject.toml").write_text(
        textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=69"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "teamcast-everyhook"
        version = "0.1.0"

        [project.entry-points.teamcast]
        everyhook = "teamcast_everyhook"

        [tool.setuptools]
        packages = ["teamcast_everyhook"]
        """)
    )
    target = tmp_path_factory.mktemp("everyhook-site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path_factory.mktemp("pip-cwd"),
    )
    sys.path.insert(0, str(target))
    get_registry(refresh=True)
    yield target
    sys.path.remove(str(target))
    sys.modules.pop("teamcast_everyhook", None)
    get_registry(refresh=True)


def plan_file(tmp_path: Path, name: str = "plan.toml", *, a_extra: str = "", arrival: str = "") -> str:
    path = tmp_path / name
    path.write_text(PLAN.format(a_extra=a_extra, arrival=arrival))
    return str(path)


def forecast(*args: str) -> dict:
    result = CliRunner().invoke(main, ["simulate", *args, "-n", "300", "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_plugin_registered_one_of_everything(installed):
    provided = get_registry().provided("everyhook")
    assert set(provided) == {
        "duration_model", "success_model", "sample_modifier", "priority_rule", "report_section", "check",
    }  # fmt: skip


def test_a_duration_model_sets_the_effort(installed, tmp_path):
    base = forecast(plan_file(tmp_path))
    seven = forecast(plan_file(tmp_path, "seven.toml", a_extra='model = "seven"'))
    task = {t["id"]: t for t in seven["tasks"]}["a"]
    assert task["finish_days"]["p50"] == pytest.approx(7.0)
    assert seven["projects"][0]["finish_days"] != base["projects"][0]["finish_days"]


def test_a_tasks_success_model_is_chosen_by_its_key(installed, tmp_path):
    base = forecast(plan_file(tmp_path))
    never = forecast(plan_file(tmp_path, "never.toml", a_extra='success_model = "never"'))
    assert base["projects"][0]["p_success"] == 1.0
    assert never["projects"][0]["p_success"] == 0.0
    bad = CliRunner().invoke(main, ["simulate", plan_file(tmp_path, "bad.toml", a_extra='success_model = "nevr"')])
    assert bad.exit_code == 1 and "tasks[a].success_model: unknown success model 'nevr'" in bad.stderr


def test_a_hires_arrival_model_is_chosen_by_its_key(installed, tmp_path):
    def p50(path):
        table = forecast(path)
        return {p["id"]: p for p in table["projects"]}["p"]["finish_days"]["p50"]

    # Task c needs two ML engineers: it waits for the hire, who arrives on day 7 with `seven`.
    late = p50(plan_file(tmp_path))
    early = p50(plan_file(tmp_path, "arrive.toml", arrival='arrival_model = "seven"'))
    assert early < late and early == pytest.approx(7.0 + 3.0, abs=1.5)


def test_a_sample_modifier_and_its_option_change_the_effort(installed, tmp_path):
    path = plan_file(tmp_path)
    base = forecast(path)["projects"][0]["finish_days"]["p50"]
    doubled = forecast(path, "--modifier", "times")["projects"][0]["finish_days"]["p50"]
    tripled = forecast(path, "--modifier", "times:factor=3")["projects"][0]["finish_days"]["p50"]
    assert base < doubled < tripled


def test_a_priority_rule_changes_the_order(installed, tmp_path):
    def first(priority):
        result = CliRunner().invoke(main, ["schedule", plan_file(tmp_path), "--priority", priority, "--format", "json"])
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)
        return min(rows, key=lambda r: (r["start"], r["task"] != "a"))["task"], rows

    assert first("manual")[0] == "a"
    _, rows = first("last-first")
    starts = {r["task"]: r["start"] for r in rows}
    assert starts["b"] <= starts["a"]


@pytest.mark.parametrize("kind", ["leadership", "retro"])
@pytest.mark.parametrize("suffix", [".md", ".html"])
def test_report_sections_appear_in_md_and_html_reports(installed, tmp_path, kind, suffix):
    out = tmp_path / f"report{suffix}"
    args = ["report", plan_file(tmp_path), "--kind", kind, "--out", str(out)]
    result = CliRunner().invoke(main, args + (["--trials", "200"] if kind == "leadership" else []))
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "Plan size" in text and "The plan has 3 tasks." in text and "everyhook" in text


def test_a_check_reports_its_finding(installed, tmp_path):
    result = CliRunner().invoke(main, ["check", plan_file(tmp_path)])
    assert "a finding from the plugin" in result.output


def test_a_command_is_added_to_the_cli(installed):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(installed), os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run(
        [sys.executable, "-m", "teamcast.engine.commands.cli", "everyhook-hello"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == "hello from the plugin\n"
