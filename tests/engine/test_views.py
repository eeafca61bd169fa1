"""The app's figures without the app: field-by-field validation, forecast moves, what-if tables, retro figures."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from teamcast.engine.demo import demo_plan
from teamcast.engine.errors import NotFoundError
from teamcast.engine.model import frame
from teamcast.engine.views import (
    Change,
    apply_change,
    compare_forecasts,
    estimate_accuracy,
    field_problems,
    forecast_changes,
    histogram,
)


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
    after = projects([{"id": "fraud", "name": "Fraud v2", "p80": 26.0, "p_success": 0.6}, {"id": "fs", "name": "Feature store", "p50": 10.4}])
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
    history = frame("history", [
        {"task": "a", "person": "ana", "est_low": 2.0, "est_likely": 4.0, "est_high": 8.0, "p_success": 0.5, "actual_days": 6.0, "succeeded": True, "finished": dt.date(2026, 1, 2)},
        {"task": "b", "person": "ana", "est_low": 1.0, "est_likely": 2.0, "est_high": 3.0, "p_success": 0.5, "actual_days": 4.0, "succeeded": False},
        {"task": "c", "person": "bo", "est_likely": 5.0, "actual_days": 5.0, "succeeded": True},
    ])
    table = estimate_accuracy(history)
    assert table.to_dicts() == [
        {"person": "ana", "tasks": 2, "median_ratio": 1.75, "within_estimate": 0.5, "success_rate": 0.5, "stated_p": 0.5},
        {"person": "bo", "tasks": 1, "median_ratio": 1.0, "within_estimate": None, "success_rate": 1.0, "stated_p": 1.0},
        {"person": "all", "tasks": 3, "median_ratio": 1.5, "within_estimate": 0.5, "success_rate": 2 / 3, "stated_p": 2 / 3},
    ]
