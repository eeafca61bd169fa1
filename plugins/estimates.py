"""Reading three-point estimates out of a tasks frame, shared by the built-in duration models."""

from __future__ import annotations

import numpy as np
import polars as pl


def three_points(tasks: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(low, likely, high) as float64 arrays; raises ValueError naming the first task whose
    estimate is missing, negative or out of order."""
    columns = ("est_low", "est_likely", "est_high")
    low, likely, high = (tasks[c].to_numpy().astype(np.float64, copy=False) for c in columns)
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(low) & np.isfinite(high) & (low >= 0) & (low <= likely) & (likely <= high))
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        if "est_params" in tasks.columns and tasks["est_params"][j] is not None:
            raise ValueError(
                f"task '{task_id(tasks, j)}': estimate is given as parameters {tasks['est_params'][j]}; "
                "this model needs [low, likely, high] or a single number"
            )
        raise ValueError(
            f"task '{task_id(tasks, j)}': estimate [{low[j]:g}, {likely[j]:g}, {high[j]:g}] "
            "needs 0 <= low <= likely <= high"
        )
    return low, likely, high


def task_id(tasks: pl.DataFrame, row: int) -> str:
    return str(tasks["id"][row]) if "id" in tasks.columns else f"#{row}"
