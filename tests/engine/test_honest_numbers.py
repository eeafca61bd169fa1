"""Every number a team lead reads means what it says (issue 12): dates conditional on success
are labelled so, unconditional figures are there, the advice follows the numbers, and one
schedule is one a team could follow."""

import datetime as dt
import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

from teamcast.engine.commands.cli import main
from teamcast.engine.forecast.result import unconditional_days
from teamcast.engine.forecast.schedule import deterministic_schedule
from teamcast.engine.forecast.simulate import simulate
from teamcast.engine.plan.demo import demo_plan
from teamcast.engine.plan.model import Plan, frame
from teamcast.engine.retro.report import change_sentences, project_sentences, risk_sentences

DEMO = "engine/plan/data/demo.toml"


@pytest.fixture(scope="module")
def demo_json():
    result = CliRunner().invoke(main, ["simulate", DEMO, "--trials", "2000", "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_has_unconditional_figures_beside_the_conditional_dates(demo_json):
    forecast = simulate(demo_plan(), trials=2000, seed=0)
    for index, project in enumerate(demo_json["projects"]):
        finish = forecast.project_finish[:, index]
        deadline = forecast.calendar.end_of_day(dt.date.fromisoformat(project["deadline"]))
        # Unconditional: a failed future counts as not done.
        assert project["p_done_by_deadline"] == pytest.approx(np.mean(np.nan_to_num(finish, nan=np.inf) <= deadline))
        assert project["finish_given"] == "success"
        for q in (50, 80, 95):
            date = project["done_and_successful_by"][f"p{q}"]
            if project["p_success"] < q / 100:
                assert date is None
            else:
                day = forecast.calendar.end_of_day(dt.date.fromisoformat(date))
                assert np.mean(np.nan_to_num(finish, nan=np.inf) <= day) >= q / 100
                # ... and never earlier than the date conditional on success.
                assert date >= project["finish_date"][f"p{q}"]


def test_unconditional_days_are_the_inverse_of_the_done_and_successful_curve():
    finish = np.array([[1.0], [2.0], [np.nan], [4.0], [5.0]])
    assert unconditional_days(finish, 0.4)[0] == 2.0
    assert unconditional_days(finish, 0.6)[0] == 4.0  # the failed trial is never done
    assert unconditional_days(finish, 0.81)[0] != unconditional_days(finish, 0.81)[0]  # NaN: P(success) is 0.8


@pytest.mark.parametrize("seed", range(6))
def test_unconditional_days_equal_the_sorted_columns_order_statistic(seed):
    # Found by a partition now; the same day as reading the sorted column (failures last).
    rng = np.random.default_rng(seed)
    trials = int(rng.integers(1, 5000))
    finish = np.round(rng.gamma(4.0, 10.0, (trials, 3)), int(seed % 2))
    finish[rng.random((trials, 3)) < rng.random()] = np.nan
    ordered = np.sort(np.where(np.isnan(finish), np.inf, finish), axis=0)
    for q in (0.5, 0.8, 0.95, 1.0, 1 / 3):
        k = max(int(np.ceil(q * trials - 1e-9)) - 1, 0)
        expected = np.where(np.isinf(ordered[k]), np.nan, ordered[k])
        assert np.array_equal(unconditional_days(finish, q), expected, equal_nan=True)


def test_the_table_says_its_dates_are_if_it_succeeds():
    result = CliRunner().invoke(main, ["simulate", DEMO, "--trials", "500"])
    assert result.exit_code == 0
    assert "finish date, if it succeeds" in result.stdout
    assert "on time: done and successful by its deadline" in result.stdout


def project(**overrides):
    base = {
        "impact": "x",
        "p_success": 0.52,
        "p_on_time": 0.44,
        "date_p50": "2027-04-13",
        "date_p80": "2027-04-27",
        "done_p80": None,
        "deadline": "2027-04-30",
        "critical_tasks": [],
        "research_risks": [],
        "bottlenecks": [],
    }
    return base | overrides


def test_a_risky_project_is_called_risky_and_its_dates_say_if_it_succeeds():
    p = project()
    words = " ".join(project_sentences(p) + risk_sentences(p) + change_sentences(p))
    assert "80% confident by 2027-04-27" not in words
    assert "**When, if it succeeds:** even odds by 2027-04-13; 80% by 2027-04-27." in words
    assert "no date carries 80% confidence: it succeeds in 52%" in words
    assert "risk of failure: 48% that it does not succeed at all" in words
    # The deadline is after the 80% date: advice never moves it (earlier or later); failure is the risk.
    assert "moving the deadline" not in words
    assert "the deadline is not what puts this at risk: 48%" in words


def test_a_deadline_before_the_80_percent_date_is_flagged_and_only_ever_moved_later():
    p = project(p_success=0.95, p_on_time=0.3, deadline="2027-04-09", done_p80="2027-04-28")
    risks, changes = risk_sentences(p), change_sentences(p)
    assert "the deadline (2027-04-09) is earlier than the 80% date if it succeeds (2027-04-27)" in risks
    assert not any("risk of failure" in r for r in risks)
    assert any("moving the deadline out to the 80% date (2027-04-27)" in c for c in changes)
    assert "80% confident it is done and successful by 2027-04-28" in " ".join(project_sentences(p))


def test_leadership_report_on_the_demo_labels_every_date(tmp_path):
    out = tmp_path / "lead.md"
    result = CliRunner().invoke(main, ["report", DEMO, "--kind", "leadership", "--out", str(out), "--trials", "500"])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "80% confident by" not in text.replace("80% confident it is done and successful by", "")
    assert text.count("**When, if it succeeds:**") == 4
    for moved in re.findall(r"moving the deadline out to the 80% date \((\d{4}-\d\d-\d\d)\)", text):
        assert moved > "2027-04-09"  # later than the earliest demo deadline it could apply to


# --- schedules a team could follow ----------------------------------------------------------


def test_the_demo_schedule_is_one_a_team_could_follow():
    plan = demo_plan()
    table = deterministic_schedule(plan)
    start = plan.start
    rows = {r["task"]: r for r in table.to_dicts()}
    # Every task that runs in the schedule names who does it.
    assert all(r["who"] for r in rows.values())
    # Work in progress starts at day 0 and still takes time (its remaining effort).
    doing = [r for r in rows.values() if r["status"] == "in progress"]
    assert doing and all(r["start"] == 0.0 and r["finish"] > 0.0 for r in doing)
    # Nothing that is not recorded history is dated before the plan's start.
    for r in rows.values():
        if r["status"] not in ("done", "failed"):
            assert r["start_date"] >= start and r["finish_date"] >= start
    # The losing approach of a parallel challenge is shown as abandoned, not completed.
    assert rows["fraud-seq"]["status"] == "abandoned"


def test_a_zero_effort_milestone_is_dated_on_its_day():
    start = dt.date(2027, 1, 4)
    tasks = [
        {"id": "a", "project": "p", "est_form": "single", "est_likely": 3.0, "assignee": "ana"},
        {"id": "m", "project": "p", "est_form": "single", "est_likely": 0.0, "after": ["a"]},
        {"id": "m0", "project": "p", "est_form": "single", "est_likely": 0.0},
    ]
    plan = Plan(
        plan=frame("plan", [{"name": "m", "start": start}]),
        people=frame("people", [{"id": "ana", "role": "ml_engineer", "capacity": 1.0}]),
        projects=frame("projects", [{"id": "p", "name": "P"}]),
        tasks=frame("tasks", tasks),
    )
    rows = {r["task"]: r for r in deterministic_schedule(plan).to_dicts()}
    assert rows["m0"]["finish_date"] == start  # at day 0: the start, not the Friday before
    assert rows["m"]["finish_date"] == rows["m"]["start_date"] == dt.date(2027, 1, 7)
    result = CliRunner().invoke(main, ["schedule", DEMO])
    assert result.exit_code == 0 and "abandoned" in result.stdout and " status " in result.stdout.splitlines()[0]
