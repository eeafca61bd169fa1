"""The frames the estimator plugins are handed: tasks and open hires, every default applied.

Polars only, no NumPy: `teamcast validate` builds them to check a plan's estimates against
teamcast's own models without importing NumPy (teamcast.engine.forecast.plugin_check).
"""

from __future__ import annotations

import polars as pl

from teamcast.engine.plan.model import EstimateForm, Plan, TaskStatus, frame


def normalise_tasks(plan: Plan) -> pl.DataFrame:
    """Tasks with every default applied: estimates filled, p_success, model and status set."""
    tasks = plan.tasks
    single = pl.col("est_form") == EstimateForm.SINGLE.value
    return tasks.with_columns(
        est_low=pl.when(single).then(pl.col("est_likely")).otherwise(pl.col("est_low")),
        est_high=pl.when(single).then(pl.col("est_likely")).otherwise(pl.col("est_high")),
        p_success=pl.col("p_success").fill_null(1.0),
        model=pl.col("model").fill_null(plan.default_model),
        success_model=pl.col("success_model").fill_null("bernoulli"),
        status=pl.col("status").fill_null(TaskStatus.TODO.value),
        after=pl.col("after").fill_null([]),
    )


def hire_frame(plan: Plan) -> pl.DataFrame:
    """The open hires as a tasks frame whose estimate is the time to hire, for the duration
    model each names (`arrival_model`, default pert)."""
    rows = [
        {
            "id": h["id"],
            "project": "",
            "est_form": "range",
            "est_low": h["tth_low"],
            "est_likely": h["tth_likely"],
            "est_high": h["tth_high"],
            "model": h["arrival_model"] or "pert",
            "p_success": 1.0,
        }
        for h in plan.hires.to_dicts()
    ]
    return frame("tasks", rows)
