"""Summaries of kept trials: the NumPy average ranks behind sensitivity match scipy's exactly."""

from __future__ import annotations

import numpy as np
import pytest

from teamcast.engine.forecast.aggregate import average_ranks, rank_sensitivity


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
