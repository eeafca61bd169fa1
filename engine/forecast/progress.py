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

    tasks = compiled.tasks
    doing = np.flatnonzero(compiled.inp.task_fixed == FIXED_DOING)
    stated = tasks["p_success"].to_numpy()[doing].astype(np.float64)
    spent = compiled.elapsed[doing]
    updated = stated.copy()
    models = tasks["model"].to_numpy()[doing]
    # One call of each model's CDF for all its work in progress that may still fail.
    for name in sorted(set(models.tolist())):
        model = registry.duration_model(name)
        cols = np.flatnonzero((models == name) & (stated < 1.0))
        if model.cdf is None or not len(cols):
            continue
        still_running = 1.0 - checked_values(model, "cdf", tasks[doing[cols].tolist()], spent[cols][None, :])[0]
        p = stated[cols]
        updated[cols] = p * still_running / (p * still_running + 1.0 - p)
    schema = pl.Schema({"id": pl.String, "p_stated": pl.Float64, "p_updated": pl.Float64, "spent_days": pl.Float64})
    columns = {"id": tasks["id"].to_numpy()[doing], "p_stated": stated, "p_updated": updated, "spent_days": spent}
    # From lists: a frame built from NumPy arrays makes Polars import numpy.ma (~40 ms of start-up).
    return pl.DataFrame({name: values.tolist() for name, values in columns.items()}, schema=schema)


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
