"""The built-in `lognormal` duration model: `low` and `high` are the P10 and P90 of the effort.

`likely` is not used (a lognormal with given P10 and P90 has its mode fixed by them); a
point estimate (low == high) is that constant. Right-skewed and heavy-tailed, like the
overruns reference-class forecasting finds in software work: teamcast's choice of model, not the
lecture's (the lecture only says research progress is nonlinear).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from teamcast import hookimpl
from teamcast.plugins.estimates import task_id, three_points
from teamcast.plugins.records import DurationModel

Z90 = 1.2815515655446004  # the standard normal's 90th percentile


def parameters(tasks: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """μ and σ of ln(effort); σ = 0 for point estimates. Raises ValueError for a low of 0."""
    low, _, high = three_points(tasks)
    bad = (low <= 0) & (high > low)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise ValueError(f"task '{task_id(tasks, j)}': the lognormal model needs est_low > 0 (its P10), got {low[j]:g}")
    with np.errstate(divide="ignore"):
        log_low, log_high = np.log(low), np.log(high)
    mu = np.where(high > low, (log_low + log_high) / 2, log_high)
    sigma = np.where(high > low, (log_high - log_low) / (2 * Z90), 0.0)
    return mu, sigma


def _pin_points(tasks: pl.DataFrame, sigma: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Point estimates take their value exactly (exp(ln x) may be off in the last bit)."""
    point = sigma == 0
    if point.any():
        out[:, point] = tasks["est_high"].to_numpy()[point]
    return out


def sample(tasks: pl.DataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    mu, sigma = parameters(tasks)
    out = rng.standard_normal((n, tasks.height))
    out *= sigma
    out += mu
    return _pin_points(tasks, sigma, np.exp(out, out=out))


def mean(tasks: pl.DataFrame) -> np.ndarray:
    mu, sigma = parameters(tasks)
    return np.where(sigma > 0, np.exp(mu + sigma**2 / 2), tasks["est_high"].to_numpy())


def point(tasks: pl.DataFrame) -> np.ndarray:
    """The median, exp(μ): the deterministic value (likely plays no part in this model)."""
    mu, sigma = parameters(tasks)
    return np.where(sigma > 0, np.exp(mu), tasks["est_high"].to_numpy())


def cdf(tasks: pl.DataFrame, x: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr

    mu, sigma = parameters(tasks)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.log(np.maximum(x, 0.0)) - mu) / sigma
    return np.where(sigma > 0, ndtr(z), (x >= np.exp(mu)).astype(np.float64))


def quantile(tasks: pl.DataFrame, u: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri

    mu, sigma = parameters(tasks)
    with np.errstate(invalid="ignore"):
        z = ndtri(np.clip(u, 0.0, 1.0))
    # Clipping z keeps u = 1 (or 0) finite: the 1e-16 quantile stands in for the infinite one.
    return _pin_points(tasks, sigma, np.exp(mu + sigma * np.clip(z, -8.2, 8.2)))


MODEL = DurationModel(
    "lognormal",
    sample=sample,
    mean=mean,
    point=point,
    cdf=cdf,
    quantile=quantile,
    description="lognormal with low = P10 and high = P90 (likely unused); heavy right tail",
)


@hookimpl
def register_duration_models(register):
    register(MODEL)
