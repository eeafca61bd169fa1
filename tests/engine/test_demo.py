"""The bundled demo organisation: it is valid, it has the shape the docs promise, and it prints a summary."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from click.testing import CliRunner

from teamcast.engine.plan import planfile  # noqa: E402
from teamcast.engine.plan.demo import DEMO_PATH, demo_text, summary_lines
from teamcast.engine.plan.model import Role


@pytest.fixture(scope="module")
def plan():
    from teamcast.engine.plan.demo import demo_plan

    return demo_plan()


def test_the_demo_file_is_package_data():
    assert DEMO_PATH.name == "demo.toml"
    assert demo_text().startswith("# Northwind Analytics")


def test_the_demo_has_no_errors_and_no_warnings():
    plan, problems = planfile.check_plan_text(demo_text())
    assert plan is not None
    assert [str(p) for p in problems] == []


def test_people_cover_all_six_roles(plan):
    assert 12 <= plan.people.height <= 14
    assert set(plan.people["role"]) == {role.value for role in Role}
    assert plan.people["id"].n_unique() == plan.people.height
    assert (plan.people["capacity"] < 1).sum() >= 2


def test_two_open_hires_and_a_gpu_pool(plan):
    assert plan.hires.height == 2
    assert sorted(plan.hires["role"]) == ["data_engineer", "ml_researcher"]
    assert plan.pools.filter(pl.col("id") == "gpus")["units"].to_list() == [4]


def test_four_projects_with_work_done_under_way_and_ahead(plan):
    assert plan.projects.height == 4
    assert 50 <= plan.tasks.height <= 80
    status = plan.tasks["status"].fill_null("todo").value_counts()
    counts = dict(status.iter_rows())
    assert counts["done"] >= 5 and counts["doing"] >= 3 and counts["todo"] >= 30
    assert plan.tasks.filter(pl.col("needs").is_not_null()).height >= 5
    assert plan.tasks.filter(pl.col("assignee").is_not_null()).height >= 3


def test_one_parallel_challenge_of_three_risky_approaches(plan):
    assert plan.challenges.height == 1
    challenge = plan.challenges.row(0, named=True)
    assert challenge["strategy"] == "parallel"
    approaches = plan.tasks.filter(pl.col("id").is_in(challenge["approaches"]))
    assert approaches.height == 3
    assert approaches["project"].unique().to_list() == [challenge["project"]]
    assert approaches["p_success"].is_between(0.3, 0.7).all()


def test_two_quarters_of_history_with_failures_and_experiments(plan):
    history = plan.history
    assert 60 <= history.height <= 90
    assert history["started"].min() <= dt.date(2026, 7, 15)
    assert history["finished"].max() >= dt.date(2026, 12, 15)
    assert history["finished"].max() < plan.start
    assert 0 < (~history["succeeded"]).sum() < history.height // 4
    assert set(history["person"]) <= set(plan.people["id"])
    assert plan.experiments.height >= 15


def test_researchers_were_overconfident(plan):
    # The calibration view needs something to say: stated odds well above the hit rate.
    research = plan.history.filter(pl.col("kind") == "research")
    assert research["p_success"].mean() - research["succeeded"].mean() > 0.2


def test_candidates_are_scored_for_the_researcher_opening(plan):
    assert plan.candidates.height >= 2
    assert set(plan.candidates["hire"]) == {"req-researcher"}
    assert set(plan.scorecards["candidate"]) == set(plan.candidates["id"])


def test_health_checks_find_only_what_the_demo_leaves_in_on_purpose(plan):
    from teamcast.engine.practice import checks

    found = {(f.check, f.location) for f in checks.run_checks(plan, registry=_BuiltinChecks())}
    assert found == {
        ("org_design", "org.data_ownership"),
        # researchers with low software-engineering skill in an embedded organisation (README says so)
        ("org_design", "people.wei.skills.swe"),
        ("org_design", "people.sofia.skills.swe"),
        ("specific_postings", "hires.req-researcher.must_have"),
        ("open_to_non_phds", "hires.req-researcher.must_have"),
        ("ml_and_swe_tested", "candidates.cand-marcus"),
        # the experiments log: both running approaches stall below the challenge's goal
        ("reevaluate_approaches", "tasks.fraud-gbm"),
        ("reevaluate_approaches", "tasks.fraud-seq"),
    }


class _BuiltinChecks:
    """The built-in checks alone, whatever plugins this environment has installed."""

    @property
    def checks(self):
        from teamcast.engine.practice.checks import BUILTIN_CHECKS

        return {check.name: check for check in BUILTIN_CHECKS}


def test_loading_is_deterministic(plan):
    from teamcast.engine.plan.demo import demo_plan

    assert demo_plan().equals(plan)


def test_summary_names_the_org_and_every_project(plan):
    lines = summary_lines(plan)
    assert lines[0] == "Northwind Analytics (archetype: embedded)"
    assert lines[2] == (
        "People (13): 1 ML product manager, 2 DevOps engineers, 2 data engineers, "
        "4 ML engineers, 2 ML researchers, 2 data scientists"
    )
    assert "Open hires (2): ML researcher (req-researcher), data engineer (req-data-engineer)" in lines
    assert "  Fraud model v2 [fraud]: 18 tasks (3 done, 3 doing, 12 todo), due 2027-04-30" in lines
    text = "\n".join(lines)
    for name in plan.projects["name"]:
        assert name in text
    assert lines[-1] == "History: 81 finished tasks from 2026-07-06 to 2026-12-30, 20 experiments logged"


def test_headless_command_prints_the_summary(plan):
    from teamcast.engine.commands.demo import demo

    result = CliRunner().invoke(demo, ["--headless", "--trials", "500"])
    assert result.exit_code == 0, result.output
    printed = result.stdout.splitlines()
    assert printed[: len(summary_lines(plan))] == summary_lines(plan)
    assert any(line.startswith("Fraud model v2") for line in printed)  # the forecast follows


def test_without_the_tui_the_command_falls_back_to_the_summary(plan, monkeypatch):
    import sys

    from teamcast.engine.commands import demo as demo_module
    from teamcast.engine.commands.demo import demo

    monkeypatch.setattr(demo_module, "_interactive", lambda: True)
    monkeypatch.setitem(sys.modules, "teamcast.tui", None)  # makes `from teamcast.tui import ...` fail
    result = CliRunner().invoke(demo, ["--trials", "500"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[: len(summary_lines(plan))] == summary_lines(plan)
    assert result.stderr.startswith("note: the terminal app is not available")


def test_outside_a_terminal_the_command_prints_instead_of_opening_the_app(plan):
    from teamcast.engine.commands.demo import demo

    result = CliRunner().invoke(demo, ["--trials", "500"])
    assert result.exit_code == 0, result.output
    assert result.stderr == "note: not a terminal; printing the demo instead of opening the app\n"


def test_workspace_is_created_once_and_then_reopened(plan, tmp_path):
    from teamcast.engine.commands.demo import demo

    path = tmp_path / "demo.db"
    first = CliRunner().invoke(demo, ["--headless", "--trials", "500", "--workspace", str(path)])
    assert first.exit_code == 0, first.output
    assert first.stderr == f"created {path} with the demo organisation\n"
    assert first.stdout.splitlines()[: len(summary_lines(plan))] == summary_lines(plan)
    again = CliRunner().invoke(demo, ["--headless", "--trials", "500", "--workspace", str(path)])
    assert again.stderr == ""
    assert again.stdout == first.stdout


# --- realism -------------------------------------------------------------------------------------


def test_history_estimates_are_not_fixed_multiples_of_the_likely_value(plan):
    ratios = plan.history.select(
        low=(pl.col("est_low") / pl.col("est_likely")).round(2),
        high=(pl.col("est_high") / pl.col("est_likely")).round(2),
    )
    assert ratios["low"].n_unique() >= 15
    assert ratios["high"].n_unique() >= 15
    assert (plan.history["est_low"] < plan.history["est_likely"]).all()
    assert (plan.history["est_likely"] < plan.history["est_high"]).all()


def test_experiments_are_logged_only_on_work_that_had_started(plan):
    started = {
        **dict(zip(plan.history["task"], plan.history["started"], strict=True)),
        **{t["id"]: t["started"] for t in plan.tasks.iter_rows(named=True) if t["status"] in ("doing", "done")},
    }
    for e in plan.experiments.iter_rows(named=True):
        assert e["task"] in started, e
        assert started[e["task"]] <= e["date"], e


def test_a_believable_spread_of_utilisation(plan):
    from teamcast.engine.forecast.simulate import simulate

    people = simulate(plan, trials=300, seed=0).people
    staff = people.filter(pl.col("id").is_in(plan.people["id"].to_list()))["utilization"]
    assert staff.min() >= 0.15  # nobody on the roster sits idle for most of the plan
    assert staff.max() <= 0.9
    assert staff.max() - staff.min() >= 0.3  # and not everyone equally busy


def test_the_demo_has_a_maintenance_task_so_the_technical_debt_check_is_quiet(plan):
    from teamcast.engine.practice import checks

    assert checks.technical_debt(plan) == []
    assert plan.tasks.filter(pl.col("kind") == "maintenance").height >= 1
