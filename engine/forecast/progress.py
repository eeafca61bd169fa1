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

    rows = []
    tasks = compiled.tasks
    for t in np.flatnonzero(compiled.inp.task_fixed == FIXED_DOING):
        row = tasks[int(t) : int(t) + 1]
        p = float(row["p_success"][0])
        spent = float(compiled.elapsed[t])
        model = registry.duration_model(row["model"][0])
        f_spent = float("nan")
        if model.cdf is not None:
            f_spent = float(checked_values(model, "cdf", row, np.array([[spent]]))[0, 0])
        rows.append(
            {
                "id": row["id"][0],
                "p_stated": p,
                "p_updated": posterior_p_success(p, f_spent),
                "spent_days": spent,
                "past_estimate": bool(f_spent >= PAST_END),
            }
        )
    schema = pl.Schema(
        {
            "id": pl.String,
            "p_stated": pl.Float64,
            "p_updated": pl.Float64,
            "spent_days": pl.Float64,
            "past_estimate": pl.Boolean,
        }
    )
    return pl.DataFrame(rows, schema=schema, orient="row")


def apply_reevaluation(compiled: Compiled, updates: pl.DataFrame) -> Compiled:
    from dataclasses import replace

    if not updates.height:
        return compiled
    new_p = dict(updates.select("id", "p_updated").iter_rows())
    tasks = compiled.tasks.with_columns(
        p_success=pl.struct("id", "p_success").map_elements(
            lambda r: new_p.get(r["id"], r["p_success"]), return_dtype=pl.Float64
        )
    )
    return replace(compiled, tasks=tasks)
