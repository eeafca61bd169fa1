"""The in-progress update: what the effort already spent on work under way says about its P(success)."""

from __future__ import annotations

import numpy as np
import polars as pl

from teamcast.engine.forecast.compile import Compiled
from teamcast.ext.kernel import FIXED_DOING


def reevaluate(compiled: Compiled, registry) -> pl.DataFrame:
    """P(success) of each task in progress, updated by Bayes' rule for not having finished yet.

    A task that will succeed takes effort D ~ F (its estimate). Work that is going to fail
    gives no sign of it until it is given up, so still running is certain under failure
    (teamcast's assumption). Having spent `e` without finishing therefore has likelihood
    1 - F(e) under success and 1 under failure:
    p' = p (1 - F(e)) / (p (1 - F(e)) + 1 - p). Work well inside its estimate barely moves;
    work past its high estimate drops to 0 (if it is still expected to succeed, the estimate
    is what needs updating).
    """
    from teamcast.plugins.manager import checked_values

    rows = []
    tasks = compiled.tasks
    for t in np.flatnonzero(compiled.inp.task_fixed == FIXED_DOING):
        row = tasks[int(t) : int(t) + 1]
        p = float(row["p_success"][0])
        spent = float(compiled.elapsed[t])
        model = registry.duration_model(row["model"][0])
        updated = p
        if model.cdf is not None and p < 1.0:
            still_running = 1.0 - float(checked_values(model, "cdf", row, np.array([[spent]]))[0, 0])
            updated = p * still_running / (p * still_running + 1.0 - p)
        rows.append({"id": row["id"][0], "p_stated": p, "p_updated": updated, "spent_days": spent})
    schema = pl.Schema({"id": pl.String, "p_stated": pl.Float64, "p_updated": pl.Float64, "spent_days": pl.Float64})
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
