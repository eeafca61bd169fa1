"""The built-in `triangular` duration model: triangular(low, likely, high), sampled by its inverse CDF."""

from __future__ import annotations

import numpy as np
import polars as pl

from teamcast import hookimpl
from teamcast.plugins.estimates import three_points
from teamcast.plugins.records import DurationModel


def _split(tasks: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """low, likely, high and F(likely), the probability below the mode (0 for a point estimate)."""
    low, likely, high = three_points(tasks)
    width = high - low
    below = np.where(width > 0, (likely - low) / np.where(width > 0, width, 1.0), 0.0)
    return low, likely, high, below


def quantile(tasks: pl.DataFrame, u: np.ndarray) -> np.ndarray:
    low, likely, high, below = _split(tasks)
    width = high - low
    u = np.clip(u, 0.0, 1.0)
    left = low + np.sqrt(u * (width * (likely - low)))
    right = high - np.sqrt((1.0 - u) * (width * (high - likely)))
    return np.where(u < below, left, right)


def sample(tasks: pl.DataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    return quantile(tasks, rng.random((n, tasks.height)))


def mean(tasks: pl.DataFrame) -> np.ndarray:
    low, likely, high = three_points(tasks)
    return (low + likely + high) / 3


def cdf(tasks: pl.DataFrame, x: np.ndarray) -> np.ndarray:
    low, likely, high = three_points(tasks)
    width = high - low
    with np.errstate(divide="ignore", invalid="ignore"):
        rising = (x - low) ** 2 / (width * (likely - low))
        falling = 1.0 - (high - x) ** 2 / (width * (high - likely))
    out = np.where(x <= likely, rising, falling)
    out = np.where(x <= low, 0.0, out)
    return np.where(x >= high, 1.0, out)


MODEL = DurationModel(
    "triangular",
    sample=sample,
    mean=mean,
    cdf=cdf,
    quantile=quantile,
    description="triangular on [low, high] with mode likely; heavier tails than pert",
)


@hookimpl
def register_duration_models(register):
    register(MODEL)
