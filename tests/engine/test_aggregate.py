"""Summaries of kept trials: percentiles and the average ranks behind sensitivity, exactly as NumPy/scipy give them."""

from __future__ import annotations

import numpy as np
import pytest

from teamcast.engine.forecast.aggregate import (
    average_ranks,
    column_percentiles,
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


def test_rank_sensitivity_is_the_same_in_batches_of_tasks(monkeypatch):
    import teamcast.engine.forecast.aggregate as aggregate

    rng = np.random.default_rng(8)
    duration = (rng.random((600, 40)) * 10).astype(np.float32)
    duration[rng.random((600, 40)) < 0.1] = np.nan  # tasks that did not run
    finish = rng.random((600, 2)) * 100
    finish[rng.random(600) < 0.2, 1] = np.nan
    task_project = rng.integers(0, 2, 40).astype(np.int32)
    whole = rank_sensitivity(duration, finish, task_project)
    monkeypatch.setattr(aggregate, "SENSITIVITY_CELLS", 1_500)  # a few tasks at a time
    assert np.array_equal(rank_sensitivity(duration, finish, task_project), whole)


@pytest.mark.parametrize("seed", range(10))
def test_row_order_sorts_float32_rows_as_argsort_does(seed):
    from teamcast.engine.forecast.aggregate import row_order

    rng = np.random.default_rng(seed)
    rows = (rng.standard_normal((7, 300)) * 10).astype(np.float32)
    rows[:, ::5] = np.round(rows[:, ::5])  # ties
    rows[0, :3] = [-0.0, 0.0, -0.0]  # equal values of either sign
    rows[1, :2] = [np.inf, -np.inf]
    order = row_order(rows)
    assert order.dtype == np.intp and sorted(order[0].tolist()) == list(range(300))
    expected = np.take_along_axis(rows, np.argsort(rows, axis=1), axis=1)
    assert np.array_equal(np.take_along_axis(rows, order, axis=1), expected)


def test_rank_sensitivity_of_float32_durations_equals_that_of_float64():
    rng = np.random.default_rng(3)
    duration = np.round(rng.random((2000, 6)) * 20, 1)  # ties, as durations of 0 for tasks that did not run
    duration[rng.random((2000, 6)) < 0.2] = 0.0
    finish = (duration @ rng.random(6) + rng.random(2000))[:, None]
    project = np.zeros(6, dtype=np.int32)
    wide = rank_sensitivity(duration, finish, project)
    narrow = rank_sensitivity(duration.astype(np.float32), finish, project)
    assert np.allclose(narrow, wide, rtol=0, atol=1e-12) and (np.abs(wide) > 0.05).all()
