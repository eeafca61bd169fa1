"""`teamcast chart`, the Markdown reports' SVG charts beside the .md, and simulate's completion sparklines."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from teamcast.engine.commands.cli import main
from teamcast.engine.commands.simulate import render_forecast
from teamcast.engine.forecast.simulate import simulate
from teamcast.engine.plan.calendar import Calendar
from teamcast.engine.plan.demo import demo_plan
from teamcast.engine.plan.workspace import Workspace
from teamcast.engine.retro.report import write_report


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    path = tmp_path_factory.mktemp("charts") / "team.db"
    with Workspace.create(path) as ws:
        ws.import_plan(demo_plan())
    return path


@pytest.mark.parametrize("kind", ["completion", "timeline", "tornado"])
def test_chart_writes_an_svg_of_each_kind(workspace, tmp_path, kind):
    out = tmp_path / f"{kind}.svg"
    result = CliRunner().invoke(main, ["chart", str(workspace), "--kind", kind, "--out", str(out), "-n", "300"])
    assert result.exit_code == 0, result.output
    root = ET.fromstring(out.read_text())
    assert root.tag.endswith("svg")
    assert f"{kind} chart" in result.stderr


def test_chart_draws_a_name_with_dollar_signs_as_text(tmp_path):
    """matplotlib would parse `$\\cmd$` as math and fail; the chart command shares the reports' setup."""
    plan = demo_plan()
    plan = plan.replace(projects=plan.projects.with_columns(name=plan.projects["name"] + " $\\cmd$"))
    path = tmp_path / "dollars.db"
    with Workspace.create(path) as ws:
        ws.import_plan(plan)
    out = tmp_path / "completion.svg"
    result = CliRunner().invoke(main, ["chart", str(path), "--kind", "completion", "--out", str(out), "-n", "300"])
    assert result.exit_code == 0, result.output
    assert ET.fromstring(out.read_text()).tag.endswith("svg")


def test_chart_png_tornado_project_and_its_errors(workspace, tmp_path):
    runner = CliRunner()
    png = tmp_path / "t.png"
    args = ["chart", str(workspace), "--kind", "tornado", "--project", "serving", "-n", "300"]
    assert runner.invoke(main, [*args, "--out", str(png)]).exit_code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    other = tmp_path / "other.png"
    runner.invoke(main, ["chart", str(workspace), "--kind", "tornado", "-n", "300", "--out", str(other)])
    assert other.read_bytes() != png.read_bytes()  # --project chose another project's tasks
    bad = runner.invoke(main, ["chart", str(workspace), "--out", str(tmp_path / "x.pdf")])
    assert bad.exit_code == 2 and "svg or .png" in bad.stderr and not (tmp_path / "x.pdf").exists()
    unknown = runner.invoke(main, [*args[:-3], "--project", "nope", "--out", str(tmp_path / "y.svg")])
    assert unknown.exit_code == 2 and "nope" in unknown.stderr


def test_chart_without_matplotlib_names_the_extra(workspace, tmp_path):
    """A subprocess where matplotlib cannot be imported: a one-line usage error, no traceback, no file."""
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from teamcast.engine.commands.cli import main\n"
        f"main(['chart', {str(workspace)!r}, '--out', {str(tmp_path / 'c.svg')!r}])\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "pip install 'teamcast[report]'" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "c.svg").exists()


def test_chart_subprocess(workspace, tmp_path):
    out = tmp_path / "timeline.png"
    run = subprocess.run(
        [sys.executable, "-m", "teamcast.engine.commands.cli", "chart", str(workspace), "--kind", "timeline"]
        + ["-n", "200", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert out.stat().st_size > 1000


@pytest.mark.parametrize("kind,charts", [("leadership", ["completion"]), ("retro", ["reliability", "pit"])])
def test_markdown_reports_link_svg_charts_beside_them(tmp_path, kind, charts):
    md = tmp_path / f"{kind}.md"
    write_report(demo_plan(), kind, md, trials=300)
    text = md.read_text()
    for chart in charts:
        svg = tmp_path / f"{kind}-{chart}.svg"
        assert f"]({svg.name})" in text
        assert ET.fromstring(svg.read_text()).tag.endswith("svg")


def test_simulate_sparklines_only_for_the_terminal_table():
    plan = demo_plan()
    forecast = simulate(plan, trials=500, seed=0)
    plain = render_forecast(forecast)
    with_lines = render_forecast(forecast, sparklines=Calendar(plan.start, plan.holidays))
    assert "▁" not in plain
    assert set(plain.splitlines()) <= set(with_lines.splitlines())  # the same table, sparklines added
    spark = [line for line in with_lines.splitlines() if line.startswith("  ") and set(line[25:]) <= set(" ▁▂▃▄▅▆▇█")]
    assert len(spark) >= plan.projects.height
    assert all("█" in line for line in spark[: plan.projects.height])  # each project's busiest dates


def test_simulate_in_a_terminal_shows_sparklines(workspace):
    """Under a pseudo-terminal the table carries sparklines; piped, the same command prints none."""
    pexpect = pytest.importorskip("pexpect")
    cmd = f"{sys.executable} -m teamcast.engine.commands.cli simulate {workspace} -n 300 -q"
    child = pexpect.spawn(cmd, encoding="utf-8", timeout=120, dimensions=(40, 100))
    child.expect(pexpect.EOF)
    assert "Completion dates" in child.before and "█" in child.before
    piped = subprocess.run(cmd.split(), capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0 and "Completion dates" not in piped.stdout
