"""Typed wrapper around ext/_stats.pyx: percentiles, Spearman correlations and per-chunk counts of
a run's trials, in one pass per column (what teamcast.engine.forecast.aggregate summarises a run
with). Each function gives the same numbers, to the last bit, as the NumPy it replaced; the
checks here keep the compiled code to the shapes and dtypes it reads.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def column_percentiles(
    values: np.ndarray,
    percentiles: Sequence[float],
    bounds: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """(len(percentiles), columns) float64: each column's percentiles of its non-NaN values
    (NaN for a column without any), linear interpolation written a + (b - a) * (pos - lo).

    `bounds`: each column's minimum, maximum (values' dtype) and count (int64) of its non-NaN
    values, as `tally` keeps them, so that the compiled code skips its own pass for them. They
    must be right: with wrong ones the answer is wrong (a test holds tally's to NumPy's)."""
    from teamcast.ext import _stats

    if values.ndim != 2:
        raise ValueError(f"values must be 2-D (trials × columns), got shape {values.shape}")
    if values.dtype not in (np.float32, np.float64):
        values = values.astype(np.float64)
    values = np.ascontiguousarray(values)
    q = np.ascontiguousarray(percentiles, dtype=np.float64)
    if q.ndim != 1 or len(q) > 8 or ((q < 0) | (q > 100) | np.isnan(q)).any():
        raise ValueError("percentiles must be at most 8 numbers from 0 to 100")
    out = np.empty((len(q), values.shape[1]))
    if bounds is None:
        _stats.column_percentiles(values, q, out)
    else:
        lo, hi, count = bounds
        _stats.column_percentiles(
            values,
            q,
            out,
            np.ascontiguousarray(lo, dtype=values.dtype),
            np.ascontiguousarray(hi, dtype=values.dtype),
            np.ascontiguousarray(count, dtype=np.int64),
        )
    return out


def rank_correlations(
    values: np.ndarray, rows: np.ndarray, cols: np.ndarray, y: np.ndarray, sy: float, out: np.ndarray
) -> None:
    """out[c] = Spearman correlation of values[rows, c] (NaN as 0, ±inf as the dtype's largest
    finite value) with y, for each c in cols: y are the same trials' average ranks less their
    mean, sy = sqrt(mean(y * y)); 0.0 where either is constant."""
    from teamcast.ext import _stats

    if values.ndim != 2:
        raise ValueError(f"values must be 2-D (trials × columns), got shape {values.shape}")
    if values.dtype not in (np.float32, np.float64):
        values = values.astype(np.float64)
    if out.dtype != np.float64 or not out.flags.c_contiguous:
        raise ValueError("out must be a contiguous float64 array")
    _stats.rank_correlations(
        np.ascontiguousarray(values),
        np.ascontiguousarray(rows, dtype=np.int64),
        np.ascontiguousarray(cols, dtype=np.int64),
        np.ascontiguousarray(y, dtype=np.float64),
        float(sy),
        out,
    )


def tally(
    state: np.ndarray,
    critical: np.ndarray,
    finish: np.ndarray,
    ran: np.ndarray,
    succeeded: np.ndarray,
    crit: np.ndarray,
    kept: np.ndarray | None = None,
    start: np.ndarray | None = None,
    duration: np.ndarray | None = None,
    kept_bounds: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Add one chunk's counts per task in place: ran += state != 0, succeeded += state == 1,
    crit += critical. Returns each trial's makespan: its latest finish (NaN skipped), at least 0.

    In the same pass, when given: kept (k, T) float32, contiguous, gets the first k trials'
    finish times (NaN where state != 1), and duration (kd, T) float32 the first kd trials'
    finish - start (computed in float64, then rounded), as NumPy's casts would. kept_bounds:
    (minimum, maximum) float32 and count int64 per task of the kept values, NaN skipped, updated
    in place (start them at inf, -inf, 0): column_percentiles' `bounds`."""
    from teamcast.ext import _stats

    n, n_tasks = state.shape
    empty = np.empty((0, n_tasks), dtype=np.float32)
    for name, arr in (("kept", kept), ("duration", duration)):
        if arr is not None and (arr.dtype != np.float32 or not arr.flags.c_contiguous or not arr.flags.writeable):
            raise ValueError(f"{name} must be a writable contiguous float32 array")
    if duration is not None and start is None:
        raise ValueError("durations need the start times")
    if kept_bounds is None:
        kept_bounds = (
            np.full(n_tasks, np.inf, np.float32),
            np.full(n_tasks, -np.inf, np.float32),
            np.zeros(n_tasks, np.int64),
        )
    for arr, dtype in zip(kept_bounds, (np.float32, np.float32, np.int64), strict=True):
        if arr.dtype != dtype or arr.shape != (n_tasks,) or not arr.flags.c_contiguous or not arr.flags.writeable:
            raise ValueError("kept_bounds must be writable (tasks,) float32, float32 and int64 arrays")
    makespan = np.empty(n)
    _stats.tally(
        np.ascontiguousarray(state, dtype=np.uint8),
        np.ascontiguousarray(critical, dtype=np.uint8),
        np.ascontiguousarray(finish, dtype=np.float64),
        ran,
        succeeded,
        crit,
        makespan,
        empty if kept is None else kept,
        np.empty((0, n_tasks)) if start is None else np.ascontiguousarray(start, dtype=np.float64),
        empty if duration is None else duration,
        *kept_bounds,
    )
    return makespan
