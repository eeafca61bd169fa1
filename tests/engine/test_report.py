"""Leadership and retro reports: data, Markdown and self-contained HTML (checked in headless Chromium when installed)."""

import json
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from teamcast.engine.commands.cli import main
from teamcast.engine.commands.retro import commands
from teamcast.engine.plan.demo import demo_plan
from teamcast.engine.plan.workspace import Workspace
from teamcast.engine.retro.report import leadership_data, render, retro_data

for command in commands:  # until engine/commands/cli.py lists the module
    if command.name not in main.commands:
        main.add_command(command)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def leadership():
    return leadership_data(demo_plan(), trials=1000, seed=1, bottleneck_trials=300)


@pytest.fixture(scope="module")
def retro():
    return retro_data(demo_plan())


def _pct(x):
    return f"{100 * x:.0f}%"


def test_leadership_markdown_speaks_in_product_terms(leadership):
    text = render(leadership, ".md")
    for p in leadership["projects"]:
        assert f"## {p['name']}" in text
        assert f"**Likelihood:** {_pct(p['p_success'])} that it succeeds at all; {_pct(p['p_on_time'])} that it" in text
        assert f"**When, if it succeeds:** even odds by {p['date_p50']}; 80% by {p['date_p80']}." in text
        assert p["impact"].rstrip(".") in text
    fraud = next(p for p in leadership["projects"] if p["id"] == "fraud")
    assert fraud["critical_tasks"] and fraud["research_risks"]
    assert all(r["p_success"] < 1 for r in fraud["research_risks"])
    assert "criticality" not in text and "F1" not in text  # no bare model metrics


def test_retro_markdown_has_the_json_numbers(retro):
    text = render(retro, ".md")
    assert (
        f"| Brier score | {retro['success']['brier']:.3f} | 0–1 scale, 0 is perfect; always saying 50% scores 0.250 |"
        in text
    )
    assert f"| inside the P80 interval (10–90%) | {_pct(retro['durations']['coverage_p80'])} | 80% |" in text
    assert "Sorted by name." in text


def _self_contained(page: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(http" not in page


@pytest.mark.parametrize("kind", ["leadership", "retro"])
def test_html_is_one_self_contained_file_with_charts(kind, leadership, retro):
    data = leadership if kind == "leadership" else retro
    page = render(data, ".html")
    _self_contained(page)
    assert page.count("<svg") == (1 if kind == "leadership" else 2)
    assert render(data, ".html") == page  # the same data renders the same file


def _chromium(page_path, tmp_path):
    profile = tmp_path / "profile"
    run = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            page_path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout, run.stderr


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_reports_load_in_chromium_without_console_errors(tmp_path, leadership, retro):
    for name, data in (("leadership", leadership), ("retro", retro)):
        path = tmp_path / f"{name}.html"
        path.write_text(render(data, ".html"))
        dom, log = _chromium(path, tmp_path)
        assert "CONSOLE" not in log and "Uncaught" not in log
        if name == "leadership":
            fraud = next(p for p in data["projects"] if p["id"] == "fraud")
            assert f"{_pct(fraud['p_success'])} that it succeeds at all" in dom
            assert fraud["date_p80"] in dom
        else:
            assert f"{data['success']['brier']:.3f}" in dom
            assert _pct(data["durations"]["coverage_p50"]) in dom
        assert dom.count("<svg") >= 1


def test_report_cli_writes_json_md_and_refuses_other_suffixes(tmp_path):
    ws = tmp_path / "team.db"
    with Workspace.create(ws) as store:
        store.import_plan(demo_plan())
    runner = CliRunner()
    out = tmp_path / "retro.json"
    result = runner.invoke(main, ["report", str(ws), "--kind", "retro", "--out", str(out)])
    assert result.exit_code == 0 and result.stderr == f"wrote the retro report to {out}\n"
    data = json.loads(out.read_text())
    md = tmp_path / "retro.md"
    assert runner.invoke(main, ["report", str(ws), "--kind", "retro", "--out", str(md)]).exit_code == 0
    assert f"{data['success']['brier']:.3f}" in md.read_text()
    bad = runner.invoke(main, ["report", str(ws), "--kind", "retro", "--out", str(tmp_path / "r.pdf")])
    assert bad.exit_code == 2
    assert bad.stderr == "usage: cannot write a report as '.pdf'; use .md, .html, .json\n"
    assert not (tmp_path / "r.pdf").exists()
