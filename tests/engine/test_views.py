"""The app's figures without the app: field-by-field validation, forecast moves, what-if tables, retro figures."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from teamcast.engine.plan.demo import demo_plan
from teamcast.engine.plan.model import frame
from teamcast.engine.views import (
    Change,
    apply_change,
    compare_forecasts,
    estimate_accuracy,
    field_problems,
    findings_by_section,
    forecast_changes,
    histogram,
    months_before,
    retro_since,
    with_answers,
)
from teamcast.errors import NotFoundError
from teamcast.plugins.records import Finding


@pytest.fixture(scope="module")
def plan():
    return demo_plan()


def projects(rows):
    base = {"name": None, "p50": 10.0, "p80": 20.0, "p_success": 0.5}
    return pl.DataFrame([base | r for r in rows])


def test_apply_change_changes_one_row(plan):
    changed = apply_change(plan, "tasks", "fraud-eval", {"est_likely": 6.0})
    assert changed.tasks.filter(pl.col("id") == "fraud-eval")["est_likely"][0] == 6.0
    assert changed.tasks.filter(pl.col("id") != "fraud-eval").equals(plan.tasks.filter(pl.col("id") != "fraud-eval"))
    with pytest.raises(NotFoundError, match=r"tasks\[nope\] does not exist"):
        apply_change(plan, "tasks", "nope", {})


def test_field_problems_by_field(plan):
    problems = field_problems(
        plan, "tasks", "fraud-eval", {"est_low": 9.0, "p_success": 1.5, "assignee": "nobody", "role": None}
    )
    assert problems == {
        "estimate": ["low 9 > likely 5"],
        "p_success": ["must be in (0, 1], got 1.5"],
        "assignee": ["unknown person or open hire 'nobody'"],
    }
    assert field_problems(plan, "people", "jonas", {"capacity": 0.0, "skill_ml": 7}) == {
        "capacity": ["must be in (0, 1], got 0"],
        "skill_ml": ["must be in [0, 5], got 7"],
    }
    assert field_problems(plan, "tasks", "fraud-eval", {"est_likely": 6.0}) == {}


def test_field_problems_cycle(plan):
    problems = field_problems(plan, "tasks", "fraud-eval", {"after": ["fraud-rollout"]})
    assert list(problems) == ["after"]
    assert problems["after"][0].startswith("dependency cycle: ")


def test_forecast_changes_reports_moves_beyond_noise():
    before = projects([{"id": "fraud", "name": "Fraud v2"}, {"id": "fs", "name": "Feature store"}])
    after = projects(
        [
            {"id": "fraud", "name": "Fraud v2", "p80": 26.0, "p_success": 0.6},
            {"id": "fs", "name": "Feature store", "p50": 10.4},
        ]
    )
    changes = forecast_changes(before, after)
    assert [c.sentence() for c in changes] == [
        "Fraud v2 P80 moved +6 days",
        "Fraud v2 P(success) moved +10 points (50% → 60%)",
    ]
    assert changes[0] == Change("fraud", "Fraud v2", "P80", 20.0, 26.0)


def test_compare_forecasts_keeps_dropped_projects():
    base = projects([{"id": "a"}, {"id": "b"}])
    whatif = projects([{"id": "b", "p50": 7.0}])
    table = compare_forecasts(base, whatif)
    assert table["id"].to_list() == ["a", "b"]
    assert table["p50_whatif"].to_list() == [None, 7.0]
    assert table["p50_delta"].to_list() == [None, -3.0]


def test_histogram_counts_finished_trials_and_failure_share():
    counts, edges, failed = histogram(np.array([1.0, 2.0, 2.0, 3.0, np.nan]), bins=2)
    assert counts.tolist() == [1, 3]
    assert edges.tolist() == [1.0, 2.0, 3.0]
    assert failed == pytest.approx(0.2)


def test_estimate_accuracy():
    history = frame(
        "history",
        [
            {
                "task": "a",
                "person": "ana",
                "est_low": 2.0,
                "est_likely": 4.0,
                "est_high": 8.0,
                "p_success": 0.5,
                "actual_days": 6.0,
                "succeeded": True,
                "finished": dt.date(2026, 1, 2),
            },
            {
                "task": "b",
                "person": "ana",
                "est_low": 1.0,
                "est_likely": 2.0,
                "est_high": 3.0,
                "p_success": 0.5,
                "actual_days": 4.0,
                "succeeded": False,
            },
            {"task": "c", "person": "bo", "est_likely": 5.0, "actual_days": 5.0, "succeeded": True},
        ],
    )
    table = estimate_accuracy(history)
    assert table.to_dicts() == [
        {
            "person": "ana",
            "tasks": 2,
            "median_ratio": 1.75,
            "within_estimate": 0.5,
            "success_rate": 0.5,
            "stated_p": 0.5,
        },
        {
            "person": "bo",
            "tasks": 1,
            "median_ratio": 1.0,
            "within_estimate": None,
            "success_rate": 1.0,
            "stated_p": 1.0,
        },
        {
            "person": "all",
            "tasks": 3,
            "median_ratio": 1.5,
            "within_estimate": 0.5,
            "success_rate": 2 / 3,
            "stated_p": 2 / 3,
        },
    ]


def test_with_answers_sets_clears_and_keeps_the_questionnaire_order(plan):
    changed = with_answers(plan, {"leadership": "ceo_core", "who_does_ml": None})
    answers = dict(changed.org_answers.iter_rows())
    assert answers["leadership"] == "ceo_core"
    assert "who_does_ml" not in answers
    assert changed.org_answers["question"].to_list() == [
        "ml_reports_to",
        "path_to_production",
        "model_maintenance",
        "data_control",
        "compute",
        "hiring",
        "feedback_speed",
        "leadership",
    ]
    unknown = plan.replace(org_answers=frame("org_answers", [{"question": "custom", "answer": "x"}]))
    assert with_answers(unknown, {"hiring": "researchers"}).org_answers.rows() == [
        ("hiring", "researchers"),
        ("custom", "x"),
    ]


def test_findings_by_section_keeps_empty_sections_and_collects_unknown_checks():
    sections = {"a": "§2", "b": "§3", "c": "§3"}
    findings = [Finding("c", "x", "one"), Finding("zz", "y", "two"), Finding("a", "z", "three")]
    grouped = findings_by_section(findings, sections)
    assert list(grouped) == ["§2", "§3", "other checks"]
    assert [f.message for f in grouped["§2"]] == ["three"]
    assert [f.message for f in grouped["§3"]] == ["one"]
    assert [f.message for f in grouped["other checks"]] == ["two"]
    assert findings_by_section([], {"a": "§2"}) == {"§2": []}


def test_retro_windows_count_back_from_the_plan_start():
    start = dt.date(2027, 1, 4)
    assert retro_since(start, "all") is None
    assert retro_since(start, "last quarter") == dt.date(2026, 10, 4)
    assert retro_since(start, "last month") == dt.date(2026, 12, 4)
    assert retro_since(None, "last month") is None
    assert months_before(dt.date(2027, 5, 31), 3) == dt.date(2027, 2, 28)
    assert months_before(dt.date(2028, 3, 31), 1) == dt.date(2028, 2, 29)


def test_recorded_forecast_is_the_newest_snapshot_with_dates_from_the_plan_calendar(tmp_path):
    from teamcast.engine import Calendar, record_snapshot, recorded_forecast, simulate
    from teamcast.engine.plan.workspace import Workspace

    path = tmp_path / "ws.db"
    plan = demo_plan()
    with Workspace.create(path) as ws:
        ws.import_plan(plan)
        assert recorded_forecast(ws.load()) is None  # nothing recorded yet
    record_snapshot(path, simulate(plan, trials=200, seed=1))
    newest = simulate(plan, trials=300, seed=2)
    record_snapshot(path, newest)
    with Workspace.open(path) as ws:
        loaded, version = ws.load(), ws.plan_version()
    recorded = recorded_forecast(loaded)
    assert recorded is not None and (recorded.snapshot, recorded.trials, recorded.seed) == (2, 300, 2)
    calendar = Calendar(plan.start, plan.holidays)
    for mine, live in zip(recorded.projects.to_dicts(), newest.projects.to_dicts(), strict=True):
        assert mine["id"] == live["id"]
        assert mine["p50"] == pytest.approx(live["p50"]) and mine["p_success"] == pytest.approx(live["p_success"])
        assert mine["date_p80"] == calendar.finish_date(live["p80"]) == live["date_p80"]
        assert mine["expected_value"] == pytest.approx(live["expected_value"])
    label = recorded.label(version)
    assert label.startswith("recorded forecast of ") and "(300 trials, seed 2)" in label and "now" not in label
    assert f"plan version {version} (now {version + 1})" in recorded.label(version + 1)


@pytest.mark.parametrize("start", [dt.date(2027, 1, 4), dt.date(2027, 1, 2), dt.date(2026, 12, 24)])
def test_working_day_finder_is_the_calendars_finish_date(start):
    from teamcast.engine.plan.calendar import Calendar
    from teamcast.engine.views import working_day_finder

    holidays = [dt.date(2026, 12, 25), dt.date(2027, 1, 1), dt.date(2027, 1, 5), dt.date(2027, 3, 1)]
    calendar, mine = Calendar(start, holidays), working_day_finder(start, holidays)
    for days in [-3.0, -0.5, 0.0, 0.2, 1.0, 1.01, 4.0, 5.0, 5.5, 17.3, 60.0, 123.9, 400.0]:
        assert mine(days) == calendar.finish_date(days), days
