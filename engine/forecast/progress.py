"""The in-progress update: what the effort already spent on work under way says about its P(success).

teamcast has one model of failure in time (docs/simulation.md, "Failure in time"): a task's
effort D is drawn from its estimate F whether it will succeed or fail, and the outcome is
revealed when D has been spent. The kernel simulates exactly that, and this update is the
exact posterior of that model.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from teamcast.engine.forecast.compile import Compiled
from teamcast.ext.kernel import FIXED_DOING

# F(spent) at or above this counts as "past the end of the estimate" (no mass left beyond it).
PAST_END = 1.0 - 1e-12


def posterior_p_success(p: float, f_spent: float) -> float:
    """P(success | effort D > spent) under teamcast's failure model.

    Success and failure share the effort distribution F, so "still running after s" has
    likelihood 1 - F(s) under both and Bayes' rule gives
    p' = p (1 - F(s)) / (p (1 - F(s)) + (1 - p)(1 - F(s))) = p. Past the end of a bounded
    estimate (F(s) = 1) the observation is impossible under the model; teamcast keeps p (the
    limit as s approaches the end) and flags the task: its estimate, not its odds, needs revisiting.
    """
    del f_spent  # the likelihood is the same under success and failure: it cancels
    return p


def reevaluate(compiled: Compiled, registry) -> pl.DataFrame:
    """Work in progress: stated and updated P(success), effort spent, and whether it ran past its estimate.

    Effort spent is the recorded `actual_days` of the task when given, else the working days
    since `started` (holidays excluded) times the doer's capacity (see compile).
    """
    from teamcast.plugins.manager import checked_values

    tasks = compiled.tasks
    doing = np.flatnonzero(compiled.inp.task_fixed == FIXED_DOING)
    stated = tasks["p_success"].to_numpy()[doing].astype(np.float64)
    spent = compiled.elapsed[doing]
    f_spent = np.full(len(doing), np.nan)
    models = tasks["model"].to_numpy()[doing]
    # One call of each model's CDF for all its work in progress.
    for name in sorted(set(models.tolist())):
        model = registry.duration_model(name)
        cols = np.flatnonzero(models == name)
        if model.cdf is None or not len(cols):
            continue
        f_spent[cols] = checked_values(model, "cdf", tasks[doing[cols].tolist()], spent[cols][None, :])[0]
    schema = pl.Schema(
        {
            "id": pl.String,
            "p_stated": pl.Float64,
            "p_updated": pl.Float64,
            "spent_days": pl.Float64,
            "past_estimate": pl.Boolean,
        }
    )
    columns = {
        "id": tasks["id"].to_numpy()[doing].tolist(),
        "p_stated": stated.tolist(),
        "p_updated": [posterior_p_success(float(p), float(f)) for p, f in zip(stated, f_spent, strict=True)],
        "spent_days": spent.tolist(),
        "past_estimate": (f_spent >= PAST_END).tolist(),  # NaN (no cdf) compares False
    }
    # From lists: a frame built from NumPy arrays makes Polars import numpy.ma (~40 ms of start-up).
    return pl.DataFrame(columns, schema=schema)


def apply_reevaluation(compiled: Compiled, updates: pl.DataFrame) -> Compiled:
    """The compiled plan with the updated P(success) of work in progress (`updates` from reevaluate)."""
    from dataclasses import replace

    if not updates.height:
        return compiled
    # One join on the task id instead of a Python call per task (map_elements).
    updated = updates.select("id", pl.col("p_updated").alias("_p_updated"))
    tasks = (
        compiled.tasks.join(updated, on="id", how="left", maintain_order="left")
        .with_columns(p_success=pl.coalesce("_p_updated", "p_success"))
        .drop("_p_updated")
    )
    return replace(compiled, tasks=tasks)
