"""The built-in duration and success models against their analytic moments and quantiles.

Tolerances come from the sample size: a mean is within 5 standard errors, an empirical CDF
value within 5 binomial standard errors (plus the documented 1 / GRID for pert's tables).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from teamcast.plugins import bernoulli, fixed, lognormal, pert, triangular

N = 200_000
ESTIMATES = [(2.0, 5.0, 10.0), (1.0, 1.0, 4.0), (3.0, 8.0, 8.0), (4.0, 4.0, 4.0), (0.0, 0.5, 30.0)]


class CountingRng:
    """A Generator stand-in that counts calls, to show a block is drawn in one call."""

    def __init__(self, rng):
        self.rng, self.calls = rng, 0

    def __getattr__(self, name):
        method = getattr(self.rng, name)

        def counted(*args, **kwargs):
            self.calls += 1
            return method(*args, **kwargs)

        return counted


def pert_moments(a, m, b):
    alpha, beta = 1 + 4 * (m - a) / (b - a), 1 + 4 * (b - m) / (b - a)
    var = (b - a) ** 2 * alpha * beta / ((alpha + beta) ** 2 * (alpha + beta + 1))
    return (a + 4 * m + b) / 6, var


def triangular_moments(a, m, b):
    return (a + m + b) / 3, (a * a + m * m + b * b - a * m - a * b - m * b) / 18


def assert_mean_close(samples, mean, var, extra=0.0):
    tolerance = 5 * math.sqrt(var / samples.size) + extra + 1e-12
    assert abs(samples.mean() - mean) <= tolerance


def assert_var_close(samples, var, extra=0.0):
    # A bounded, unimodal law has kurtosis below 3, so Var(s²) < 2σ⁴ / n.
    assert abs(samples.var() - var) <= 5 * var * math.sqrt(2 / samples.size) + extra


@pytest.mark.parametrize(("model", "moments"), [(pert, pert_moments), (triangular, triangular_moments)])
def test_bounded_models_match_analytic_mean_and_variance(tasks_frame, model, moments, rng):
    tasks = tasks_frame(ESTIMATES)
    effort = model.sample(tasks, N, rng)
    assert effort.shape == (N, len(ESTIMATES))
    for j, (a, m, b) in enumerate(ESTIMATES):
        if a == b:
            assert (effort[:, j] == a).all()
            continue
        mean, var = moments(a, m, b)
        interpolation = (b - a) / pert.GRID if model is pert else 0.0
        assert_mean_close(effort[:, j], mean, var, interpolation)
        assert_var_close(effort[:, j], var, 2 * (b - a) * interpolation)
        assert model.mean(tasks)[j] == pytest.approx(mean)
        assert a <= effort[:, j].min() and effort[:, j].max() <= b


@pytest.mark.parametrize("model", [pert, triangular, lognormal])
def test_empirical_cdf_matches_model_cdf(tasks_frame, model, rng):
    estimates = [(2.0, 5.0, 10.0), (1.0, 2.0, 4.0)]
    tasks = tasks_frame(estimates)
    effort = model.sample(tasks, N, rng)
    probes = np.array([[2.5, 1.2], [4.0, 1.8], [6.0, 2.5], [9.0, 3.5]])
    expected = model.cdf(tasks, probes)
    empirical = (effort[None, :, :] <= probes[:, None, :]).mean(axis=1)
    slack = 1 / pert.GRID if model is pert else 0.0
    assert np.all(np.abs(empirical - expected) <= 5 * np.sqrt(expected * (1 - expected) / N) + slack + 1e-9)


@pytest.mark.parametrize("model", [pert, triangular, lognormal])
def test_quantile_inverts_cdf(tasks_frame, model):
    tasks = tasks_frame([(2.0, 5.0, 10.0), (1.0, 1.0, 4.0)])
    u = np.linspace(0.01, 0.99, 99)[:, None].repeat(2, axis=1)
    slack = 1 / pert.GRID if model is pert else 1e-9
    assert np.allclose(model.cdf(tasks, model.quantile(tasks, u)), u, atol=slack)


def test_pert_quantile_matches_the_exact_one_at_grid_nodes(tasks_frame):
    from scipy.special import betaincinv

    tasks = tasks_frame([(2.0, 5.0, 10.0)])
    u = (np.arange(0, pert.GRID + 1, 64) / pert.GRID)[:, None]
    alpha, beta = pert.shapes(np.array([2.0]), np.array([5.0]), np.array([10.0]))
    # The tables come from integrating the density: within 1e-4 of the range (see the module doc).
    assert np.allclose(pert.quantile(tasks, u), 2 + 8 * betaincinv(alpha, beta, u), rtol=0, atol=8 * 1e-4)


def test_lognormal_low_and_high_are_p10_and_p90(tasks_frame, rng):
    tasks = tasks_frame([(2.0, 3.0, 8.0)])
    effort = lognormal.sample(tasks, N, rng)[:, 0]
    tolerance = 5 * math.sqrt(0.09 / N)
    assert abs((effort <= 2.0).mean() - 0.1) <= tolerance
    assert abs((effort <= 8.0).mean() - 0.9) <= tolerance
    assert lognormal.point(tasks)[0] == pytest.approx(4.0)  # the median, sqrt(2 * 8)
    mu, sigma = math.log(4.0), math.log(4.0) / (2 * 1.2815515655446004)
    assert lognormal.mean(tasks)[0] == pytest.approx(math.exp(mu + sigma**2 / 2))


def test_lognormal_needs_a_positive_low(tasks_frame):
    tasks = tasks_frame([(1.0, 2.0, 3.0), (0.0, 2.0, 5.0)])
    with pytest.raises(ValueError, match=r"^task 't1': the lognormal model needs est_low > 0 \(its P10\), got 0$"):
        lognormal.sample(tasks, 3, np.random.default_rng(0))


def test_lognormal_point_estimate_is_constant(tasks_frame, rng):
    assert (lognormal.sample(tasks_frame([(3.0, 3.0, 3.0)]), 100, rng) == 3.0).all()


def test_fixed_is_always_likely(tasks_frame, rng):
    tasks = tasks_frame([(2.0, 5.0, 10.0), (1.0, 1.5, 2.0)])
    effort = fixed.sample(tasks, 4, rng)
    assert effort.tolist() == [[5.0, 1.5]] * 4
    assert fixed.MODEL.point(tasks).tolist() == [5.0, 1.5]
    assert fixed.quantile(tasks, np.full((2, 2), 0.3)).tolist() == [[5.0, 1.5]] * 2


def test_bernoulli_success_rate(tasks_frame, rng):
    p = [0.1, 0.5, 1.0]
    success = bernoulli.sample(tasks_frame([(1.0, 1.0, 1.0)] * 3, p), N, rng)
    assert success.dtype == np.bool_ and success.shape == (N, 3)
    for j, q in enumerate(p):
        assert abs(success[:, j].mean() - q) <= 5 * math.sqrt(q * (1 - q) / N) + 1e-12


@pytest.mark.parametrize("model", [pert, triangular, lognormal, fixed, bernoulli])
def test_same_seed_same_block(tasks_frame, model):
    tasks = tasks_frame([(2.0, 5.0, 10.0), (1.0, 2.0, 4.0)], [0.5, 0.9])
    first = model.sample(tasks, 1000, np.random.default_rng(7))
    assert np.array_equal(first, model.sample(tasks, 1000, np.random.default_rng(7)))
    assert model is fixed or not np.array_equal(first, model.sample(tasks, 1000, np.random.default_rng(8)))


@pytest.mark.parametrize("model", [pert, triangular, lognormal, bernoulli])
def test_a_block_is_drawn_in_one_call(tasks_frame, model, rng):
    counting = CountingRng(rng)
    model.sample(tasks_frame(ESTIMATES[:3]), 5000, counting)
    assert counting.calls == 1


def test_out_of_order_estimate_names_the_task(tasks_frame, rng):
    with pytest.raises(ValueError, match=r"^task 't1': estimate \[5, 3, 8\] needs 0 <= low <= likely <= high$"):
        pert.sample(tasks_frame([(1.0, 2.0, 3.0), (5.0, 3.0, 8.0)]), 2, rng)


def test_pert_tables_are_cached_per_shape(tasks_frame, rng):
    tasks = tasks_frame([(0.0, 1.0, 2.0), (10.0, 11.0, 12.0)])  # one shape, two tasks
    pert.sample(tasks, 10, rng)
    table = pert._tables[(3.0, 3.0)]
    pert.sample(tasks, 10, rng)
    assert pert._tables[(3.0, 3.0)] is table


def test_pert_tables_agree_with_scipys_beta_quantiles():
    from scipy.special import betaincinv

    from teamcast.plugins.pert import GRID, beta_quantile_table

    a = np.array([1.0, 1.5, 2.0, 3.0, 4.2, 5.0])
    b = 6.0 - a  # every PERT shape has alpha + beta = 6
    exact = betaincinv(a[:, None], b[:, None], np.linspace(0.0, 1.0, GRID + 1)[None, :])
    assert np.abs(beta_quantile_table(a, b) - exact).max() < 1e-4


def test_pert_betainc_agrees_with_scipy():
    from scipy.special import betainc

    rng = np.random.default_rng(5)
    a, b, x = 1 + 4 * rng.random(5000), 1 + 4 * rng.random(5000), rng.random(5000)
    x[:10], x[10:20], x[20:30] = 0.0, 1.0, 1e-9  # the ends and just inside them
    a[30:40] = b[40:50] = 1.0  # a flat side: the density does not vanish at that end
    assert np.allclose(pert.betainc(a, b, x), betainc(a, b, x), rtol=0, atol=1e-13)
    # Broadcasting as cdf uses it: one shape per task (columns), many points (rows).
    grid = np.linspace(0, 1, 7)[:, None]
    assert np.allclose(pert.betainc(a[:3], b[:3], grid), betainc(a[:3], b[:3], grid), rtol=0, atol=1e-13)


def test_pert_sample_is_the_same_stream_whatever_the_slice(tasks_frame, monkeypatch):
    # Wide plans are sampled a slice of tasks at a time; the numbers must not depend on it.
    tasks = tasks_frame(ESTIMATES * 7)
    whole = pert.sample(tasks, 500, np.random.default_rng(9))
    monkeypatch.setattr(pert, "SLICE_CELLS", 1_200)  # slices of 2 tasks
    assert np.array_equal(pert.sample(tasks, 500, np.random.default_rng(9)), whole)


def test_pert_tables_are_the_same_built_in_batches(tasks_frame, monkeypatch):
    # A large plan's shapes are integrated a batch at a time; rows do not depend on each other.
    tasks = tasks_frame([(1.0, 2.0 + k / 7, 9.0 + k) for k in range(9)])
    u = np.random.default_rng(4).random((50, 9))
    at_once = pert.quantile(tasks, u)
    monkeypatch.setattr(pert, "_tables", {})  # fresh caches: the tables are built again
    monkeypatch.setattr(pert, "_prepared_cache", {})
    monkeypatch.setattr(pert, "TABLE_BATCH", 2)
    assert np.array_equal(pert.quantile(tasks, u), at_once)
