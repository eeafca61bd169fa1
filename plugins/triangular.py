"""The built-in `triangular` duration model: triangular(low, likely, high), sampled by its inverse CDF.

The inverse CDF runs in one compiled pass (plugins/_tables.pyx) that matches the NumPy reference
below bit for bit; a sample draws its uniforms in that pass, as `rng.random((n, k))` would.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from teamcast import hookimpl
from teamcast.plugins.estimates import task_id, three_points
from teamcast.plugins.records import DurationModel

try:  # the compiled sampling loop (plugins/_tables.pyx); the NumPy reference gives the same numbers
    from teamcast.plugins import _tables as _compiled
except ImportError:  # a source checkout whose extensions are not built
    _compiled = None  # type: ignore[assignment]


def _split(tasks: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """low, likely, high and F(likely), the probability below the mode (0 for a point estimate)."""
    low, likely, high = three_points(tasks)
    width = high - low
    below = np.where(width > 0, (likely - low) / np.where(width > 0, width, 1.0), 0.0)
    return low, likely, high, below


def quantile(tasks: pl.DataFrame, u: np.ndarray) -> np.ndarray:
    u = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
    if _compiled is None or u.ndim != 2:
        return quantile_reference(tasks, u)
    out = np.empty(u.shape)
    _compiled.triangular(u, *_prepared(tasks), out)  # its callers check the values (checked_values)
    return out


def quantile_reference(tasks: pl.DataFrame, u: np.ndarray) -> np.ndarray:
    """quantile in NumPy: the reference the compiled loop matches bit for bit (tests/plugins/test_tables.py)."""
    low, likely, high, below = _split(tasks)
    width = high - low
    u = np.clip(u, 0.0, 1.0)
    left = low + np.sqrt(u * (width * (likely - low)))
    right = high - np.sqrt((1.0 - u) * (width * (high - likely)))
    return np.where(u < below, left, right)


def sample(tasks: pl.DataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    if _compiled is None or type(rng) is not np.random.Generator:  # a test's stand-in for a Generator
        return quantile(tasks, rng.random((n, tasks.height)))
    out = np.empty((n, tasks.height))
    # The uniforms of rng.random((n, k)), drawn in C as they are used: the same numbers. The loop
    # checks every value it writes, so the manager need not (MODEL.self_checked).
    if not _compiled.sample_triangular(rng.bit_generator, *_prepared(tasks), out):
        raise ValueError(_too_large(tasks, out))
    return out


def _prepared(tasks: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """F(likely), low, high and the two per-task products of the quantile, as quantile_reference rounds them."""
    low, likely, high, below = _split(tasks)
    width = high - low
    with np.errstate(over="ignore"):  # a range near the largest float: the loop reports it
        return below, low, high, width * (likely - low), width * (high - likely)


def _too_large(tasks: pl.DataFrame, block: np.ndarray) -> str:
    """The error for a block with a non-finite or negative value: only where an estimate's range nears
    the largest float, which a validated plan never has."""
    bad = ~(np.isfinite(block) & (block >= 0))
    return f"task '{task_id(tasks, int(np.flatnonzero(bad.any(axis=0))[0]))}': estimate too large to sample"


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
    self_checked=_compiled is not None,
)


@hookimpl
def register_duration_models(register):
    register(MODEL)
