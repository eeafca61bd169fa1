"""Summaries of kept trials: percentiles and the average ranks behind sensitivity, exactly as NumPy/scipy give them."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from teamcast.engine.forecast.aggregate import (
    SENSITIVITY_TRIALS,
    average_ranks,
    column_percentiles,
    percentiles_of,
    percentiles_of_sorted,
    rank_sensitivity,
)


@pytest.mark.parametrize("shape", [(1, 1), (7, 1), (50, 4), (2048, 30), (0, 3), (4, 0)])
@pytest.mark.parametrize("ties", [False, True])
def test_average_ranks_equal_scipy_rankdata(shape, ties):
    from scipy.stats import rankdata

    values = np.random.default_rng(3).random(shape)
    if ties:
        values = np.round(values * 3)  # long runs of equal values
    if shape[1]:
        values[:, 0] = 2.0  # a constant column: every trial ties
    expected = rankdata(values, axis=0) if values.size else np.zeros(shape)
    assert np.array_equal(average_ranks(values), expected)


def test_rank_sensitivity_matches_spearman_from_scipy():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(11)
    duration = rng.random((400, 3))
    duration[:, 2] = 1.5  # a task of fixed length: no sensitivity
    finish = (duration[:, 0] * 3 + rng.random(400))[:, None]
    finish[::10] = np.nan  # trials in which the project failed are left out
    result = rank_sensitivity(duration, finish, np.zeros(3, dtype=np.int32))
    ok = ~np.isnan(finish[:, 0])
    for t in range(2):
        assert result[t] == pytest.approx(spearmanr(duration[ok, t], finish[ok, 0]).statistic, abs=1e-12)
    assert result[2] == 0.0
    assert result[0] > 0.8


@pytest.mark.parametrize("seed", range(40))
def test_column_percentiles_equal_nanpercentile(seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(1, 300)), int(rng.integers(1, 30))
    values = (rng.random((n, k)) * 30).astype(np.float32)
    if seed % 2:
        values = np.round(values)  # ties
    if seed % 3 == 0:
        values[rng.random(n) < 0.3] = np.nan  # whole trials missing: every column has the same count
    else:
        values[rng.random((n, k)) < rng.random()] = np.nan  # a different count per column
    values[:, 0] = np.nan  # a task that never succeeded
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
        numpy_says = np.nanpercentile(values.astype(np.float64), (50, 80, 95), axis=0)
    got = column_percentiles(values, (50, 80, 95))
    assert np.array_equal(got, sorted_percentiles(values, (50, 80, 95)), equal_nan=True)
    assert np.allclose(got, numpy_says, rtol=0, atol=1e-12, equal_nan=True)  # numpy rounds its lerp differently
    assert np.isnan(values[:, 0]).all()  # the input is left as it was


@pytest.mark.parametrize("seed", range(30))
def test_column_percentiles_of_long_columns_equal_a_sort_to_the_bit(seed):
    # Long enough for the bucketed selection; every awkward kind of column at once.
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(49, 12_000)), int(rng.integers(1, 300))
    values = rng.gamma(2.0, 10.0, (n, k)).astype(np.float64 if seed % 5 == 0 else np.float32)
    if seed % 2:
        values = np.round(values)  # ties
    values[rng.random((n, k)) < rng.random() * 0.5] = np.nan
    values[:, 0] = 7.5  # constant (a task done before the run)
    if k > 4:
        values[:: 1 + seed % 3, 1] = np.inf  # an infinite spread: sorted whole
        values[rng.random(n) < 0.9, 2] = 3.0  # most values in one bucket
        values[:, 3] = np.where(rng.random(n) < 0.01, 1e30, values[:, 3])  # far outliers: crowded buckets
        values[: n - 10, 4] = np.nan  # a few values only
    percentiles = (50, 80, 95) if seed % 3 else (0, 12.5, 50, 99.99, 100)
    got = column_percentiles(values, percentiles)
    with np.errstate(invalid="ignore"):  # inf - inf where a column's order statistics are infinite
        assert np.array_equal(got, sorted_percentiles(values, percentiles), equal_nan=True)


def test_column_percentiles_of_many_distinct_counts():
    # More distinct counts than are worth a partition each: one sort of the block instead.
    rng = np.random.default_rng(1)
    values = rng.random((500, 100)).astype(np.float32)
    values[np.arange(500)[:, None] < np.arange(100)[None, :] * 3] = np.nan
    assert np.array_equal(
        column_percentiles(values, (50, 80, 95)), sorted_percentiles(values, (50, 80, 95)), equal_nan=True
    )


def sorted_percentiles(values: np.ndarray, percentiles) -> np.ndarray:
    """The obvious way, one column at a time: sort, then interpolate as teamcast always has."""
    out = np.full((len(percentiles), values.shape[1]), np.nan)
    for j in range(values.shape[1]):
        column = np.sort(values[:, j][~np.isnan(values[:, j])]).astype(np.float64)
        for i, q in enumerate(percentiles):
            if len(column):
                pos = (len(column) - 1) * (q / 100.0)
                lo = int(np.floor(pos))
                hi = min(lo + 1, len(column) - 1)
                out[i, j] = column[lo] + (column[hi] - column[lo]) * (pos - lo)
    return out


@pytest.mark.parametrize("seed", range(20))
def test_percentiles_of_sorted_equal_numpy_to_the_bit(seed):
    rng = np.random.default_rng(seed)
    for n in (1, 2, 3, 7, 100, int(rng.integers(1, 5000))):
        values = rng.random(n) * 10.0 ** int(rng.integers(0, 7))
        if seed % 2:
            values = np.round(values)
        for percentiles in ((50, 80, 95), (0, 100, 12.5, 99.99)):
            expected = np.percentile(values, percentiles)
            assert np.array_equal(percentiles_of_sorted(np.sort(values), percentiles), expected)
            assert np.array_equal(percentiles_of(values, percentiles), expected)  # partitioned, not sorted


def straightforward_sensitivity(duration: np.ndarray, finish: np.ndarray, task_project: np.ndarray) -> np.ndarray:
    """Spearman from scipy's average ranks, in trial order, task by task: what teamcast computed
    before its ranks came from a compiled radix sort (the same arithmetic, every step exact)."""
    from scipy.stats import rankdata

    duration = np.nan_to_num(duration[:SENSITIVITY_TRIALS], nan=0.0)
    finish = finish[:SENSITIVITY_TRIALS]
    out = np.zeros(duration.shape[1])
    for p in range(finish.shape[1]):
        ok = ~np.isnan(finish[:, p])
        if ok.sum() < 3:
            continue
        y = rankdata(finish[ok, p])
        y -= y.mean()
        sy = np.sqrt((y * y).mean())
        for t in np.flatnonzero(task_project == p):
            x = rankdata(duration[ok, t]) - (ok.sum() + 1) / 2
            sx = np.sqrt((x * x).mean())
            out[t] = (x * y).mean() / (sx * sy) if sx > 0 and sy > 0 else 0.0
    return out


@pytest.mark.parametrize("seed", range(24))
def test_rank_sensitivity_equals_the_straightforward_computation_to_the_bit(seed):
    rng = np.random.default_rng(seed)
    n, k, projects = int(rng.integers(3, 2600)), int(rng.integers(1, 40)), int(rng.integers(1, 4))
    duration = rng.gamma(2.0, 3.0, (n, k)).astype(np.float64 if seed % 4 == 0 else np.float32)
    if seed % 2:
        duration = np.round(duration)  # long runs of ties
    duration[rng.random((n, k)) < 0.1] = np.nan  # tasks that did not run
    duration[:, 0] = 4.0  # fixed length: no sensitivity
    if k > 3:
        duration[::7, 1] = np.inf  # as np.nan_to_num: the largest finite value of the dtype
        duration[::5, 2] = -0.0  # equal to 0.0
        duration[::3, 2] = 0.0
    finish = rng.gamma(5.0, 5.0, (n, projects)) + np.nan_to_num(duration[:, -1:]).astype(np.float64)
    if seed % 3 == 0:
        finish = np.round(finish)  # ties in the project's ranks too
    finish[rng.random((n, projects)) < 0.2] = np.nan  # the project failed
    task_project = rng.integers(0, projects, k).astype(np.int32)
    got = rank_sensitivity(duration, finish, task_project)
    assert np.array_equal(got, straightforward_sensitivity(duration, finish, task_project))
    assert (got[:1] == 0.0).all() and np.isfinite(got).all()


def test_rank_sensitivity_of_float32_durations_equals_that_of_float64():
    rng = np.random.default_rng(3)
    duration = np.round(rng.random((2000, 6)) * 20, 1)  # ties, as durations of 0 for tasks that did not run
    duration[rng.random((2000, 6)) < 0.2] = 0.0
    finish = (duration @ rng.random(6) + rng.random(2000))[:, None]
    project = np.zeros(6, dtype=np.int32)
    wide = rank_sensitivity(duration, finish, project)
    narrow = rank_sensitivity(duration.astype(np.float32), finish, project)
    assert np.allclose(narrow, wide, rtol=0, atol=1e-12) and (np.abs(wide) > 0.05).all()


@pytest.mark.parametrize("kept_rows,duration_rows", [(0, 0), (37, 5), (120, 120), (800, 64)])
def test_tally_keeps_finishes_and_durations_as_numpy_casts_them(kept_rows, duration_rows):
    from teamcast.ext import stats

    rng = np.random.default_rng(kept_rows)
    n, tasks = max(120, kept_rows), 9  # 800: about 200 kept values a task, past the sorted-whole size
    state = rng.integers(0, 4, size=(n, tasks)).astype(np.uint8)
    critical = rng.integers(0, 2, size=(n, tasks)).astype(np.uint8)
    start = rng.random((n, tasks)) * 1e3
    finish = start + rng.random((n, tasks)) * 1e2 + 1e-9  # float32 rounding matters in the last bits
    finish[state == 0] = np.nan
    start[state == 0] = np.nan
    finish[3, 4] = np.inf
    ran, succeeded, crit = (np.zeros(tasks, dtype=np.int64) for _ in range(3))
    kept = np.full((kept_rows, tasks), -1.0, dtype=np.float32)
    duration = np.full((duration_rows, tasks), -1.0, dtype=np.float32)
    bounds = (np.full(tasks, np.inf, np.float32), np.full(tasks, -np.inf, np.float32), np.zeros(tasks, np.int64))
    makespan = stats.tally(
        state, critical, finish, ran, succeeded, crit, kept=kept, start=start, duration=duration, kept_bounds=bounds
    )
    # The NumPy this replaced: a cast, a masked fill and a subtraction into float32.
    expected = finish[:kept_rows].astype(np.float32)
    expected[state[:kept_rows] != 1] = np.nan
    assert np.array_equal(kept, expected, equal_nan=True)
    assert np.array_equal(duration, (finish - start)[:duration_rows].astype(np.float32), equal_nan=True)
    assert np.array_equal(makespan, np.maximum(np.nanmax(finish, axis=1), 0.0))
    assert np.array_equal(ran, (state != 0).sum(axis=0))
    assert np.array_equal(succeeded, (state == 1).sum(axis=0))
    assert np.array_equal(crit, critical.sum(axis=0))
    # The kept values' bounds, and the percentiles they give equal those found without them.
    assert np.array_equal(bounds[2], (~np.isnan(expected)).sum(axis=0))
    if kept_rows:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            lo, hi = np.nanmin(expected, axis=0), np.nanmax(expected, axis=0)
        empty = bounds[2] == 0
        assert np.array_equal(bounds[0][~empty], lo[~empty]) and np.array_equal(bounds[1][~empty], hi[~empty])
        assert (bounds[0][empty] == np.inf).all() and (bounds[1][empty] == -np.inf).all()
        assert np.array_equal(
            column_percentiles(kept, (5, 50, 95), bounds), column_percentiles(kept, (5, 50, 95)), equal_nan=True
        )
