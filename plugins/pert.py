"""The built-in `pert` duration model: Beta-PERT on [low, high] with mode `likely` (λ = 4).

Sampling is the hot path of a simulation, and `Generator.beta` costs two gamma draws per
value. Instead, the quantile function of each distinct Beta(α, β) shape is tabulated once
per process on a uniform grid of GRID cells in u (cached), and a block of float64 uniforms
is mapped through it by linear interpolation: a gather and a multiply-add per value, in one
compiled pass (plugins/_tables.pyx) that writes the driver's block directly and matches the
NumPy reference below bit for bit.

The tables are built by integrating the Beta density (trapezoid rule on XGRID cells; PERT
shapes have α, β ≥ 1, so the density is bounded) and inverting the resulting CDF, which is
about five times cheaper than scipy.special.betaincinv per shape and agrees with it to
within 1e-4 of the range (tested). Interpolation error: the table is (that close to) exact
at the nodes u_i = i / GRID and the interpolant is monotone between them, so for every x the
sampled CDF and the true CDF lie in the same cell: |F̃(x) − F(x)| ≤ 1 / GRID (≈ 4.9e-4,
below the Monte Carlo noise of 1 / √n for n < 4 M trials). Every sampled value differs from
the exact quantile of the same uniform by at most one cell's width in x, so the mean is off
by at most (high − low) / GRID, and in practice far less (the error is second order wherever
the quantile is smooth).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import polars as pl

from teamcast import hookimpl
from teamcast.plugins.estimates import task_id, three_points
from teamcast.plugins.records import DurationModel

try:  # the compiled sampling loop (plugins/_tables.pyx); the NumPy reference gives the same numbers
    from teamcast.plugins import _tables as _compiled
except ImportError:  # a source checkout whose extensions are not built
    _compiled = None  # type: ignore[assignment]

LAMBDA = 4.0
GRID = 2048
XGRID = 8192  # cells of the density integration that builds each table
TABLE_BATCH = 256  # shapes integrated together (rows are independent: batching changes no number)

_tables: dict[tuple[float, float], np.ndarray] = {}


def shapes(low: np.ndarray, likely: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """α and β of each task's Beta; (1, 1) for a point estimate, whose width is 0 anyway."""
    width = high - low
    safe = np.where(width > 0, width, 1.0)
    alpha = np.where(width > 0, 1 + LAMBDA * (likely - low) / safe, 1.0)
    beta = np.where(width > 0, 1 + LAMBDA * (high - likely) / safe, 1.0)
    return alpha, beta


def _quantile_tables(alpha: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(D, GRID + 1) tabulated Beta quantiles for the distinct shapes, and each task's row in it."""
    keys, rows = np.unique(np.stack([alpha, beta], axis=1), axis=0, return_inverse=True)
    missing = [(a, b) for a, b in map(tuple, keys.tolist()) if (a, b) not in _tables]
    # A few hundred shapes at a time: each is integrated on XGRID cells, and a large plan's
    # thousands of distinct shapes at once would take several (shapes x XGRID) float64 arrays.
    for first in range(0, len(missing), TABLE_BATCH):
        batch = missing[first : first + TABLE_BATCH]
        a, b = np.array(batch).T
        _tables.update(zip(batch, beta_quantile_table(a, b), strict=True))
    return np.stack([_tables[key] for key in map(tuple, keys.tolist())]), rows.reshape(-1)


def beta_quantile_table(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Quantiles of Beta(a, b) (a, b >= 1) at u = 0, 1/GRID, ..., 1: the density integrated by
    the trapezoid rule on XGRID cells, normalised, then inverted by linear interpolation."""
    x = np.linspace(0.0, 1.0, XGRID + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        # (a - 1) log x is 0 for a == 1 even at x == 0, where the product would be 0 * -inf.
        log_density = np.where(a[:, None] == 1.0, 0.0, (a[:, None] - 1.0) * np.log(x)) + np.where(
            b[:, None] == 1.0, 0.0, (b[:, None] - 1.0) * np.log1p(-x)
        )
    density = np.exp(log_density - np.max(log_density, axis=1, keepdims=True))
    cdf = np.zeros_like(density)
    np.cumsum((density[:, 1:] + density[:, :-1]) * 0.5, axis=1, out=cdf[:, 1:])
    cdf /= cdf[:, -1:]
    u = np.linspace(0.0, 1.0, GRID + 1)
    return np.stack([np.interp(u, row, x) for row in cdf])


def quantile(tasks: pl.DataFrame, u: np.ndarray) -> np.ndarray:
    """Efforts at probabilities `u` ((n, k), in [0, 1]) by interpolating the tabulated quantiles."""
    x = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
    if _compiled is None or x.ndim != 2:
        return quantile_reference(tasks, x)
    start, slope, _, low, width, base = _prepared(tasks)
    out = np.empty(x.shape)
    _compiled.interpolate(x.T, start, slope, base, low, width, out.T, GRID)  # tasks along the first axis
    return out


SLICE_CELLS = 1 << 20  # uniforms mapped at a time by the NumPy paths: temporaries stay near 8 MB


def sample(tasks: pl.DataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    # Uniforms are drawn task-major, (k, n): the gathers of one task then all fall in its own
    # 16 KB table, which stays in cache, instead of hopping between every task's table.
    if _compiled is None:
        return sample_reference(tasks, n, rng)
    start, slope, _, low, width, base = _prepared(tasks)
    k = tasks.height
    out = np.empty((n, k))  # row-major, as the driver takes it; out.T is its (tasks, trials) view
    if type(rng) is np.random.Generator:
        # The uniforms of rng.random((k, n)), drawn in C as they are used: the same numbers.
        sizes = np.array([n], dtype=np.int64)
        _compiled.sample_pert_blocks([rng.bit_generator], sizes, start, slope, base, low, width, out, GRID)
    else:  # a stand-in for a Generator (a test's wrapper): its own random(), then the same loop
        step = max(1, SLICE_CELLS // max(n, 1))
        for lo in range(0, k, step):
            hi = min(k, lo + step)
            x = rng.random((hi - lo, n))
            _compiled.interpolate(x, start, slope, base[lo:hi], low[lo:hi], width[lo:hi], out[:, lo:hi].T, GRID)
    return out


def sample_blocks(
    tasks: pl.DataFrame, rngs: Sequence[np.random.Generator], sizes: Sequence[int], out: np.ndarray
) -> None:
    """sample(tasks, sizes[b], rngs[b]) for each block b, written one after another into the rows
    of the row-major (sum(sizes), k) float64 `out`: the same numbers, each generator left where
    sample leaves it. Compiled, each task's table is read once for all the blocks, not once a block
    (on a plan of a few hundred distinct estimates the tables do not all stay in the cache)."""
    if _compiled is not None and all(type(rng) is np.random.Generator for rng in rngs):
        start, slope, _, low, width, base = _prepared(tasks)
        sizes_arr = np.asarray(sizes, dtype=np.int64)
        _compiled.sample_pert_blocks(
            [rng.bit_generator for rng in rngs], sizes_arr, start, slope, base, low, width, out, GRID
        )
        return
    first = 0
    for rng, n in zip(rngs, sizes, strict=True):
        out[first : first + n] = sample(tasks, n, rng)
        first += n


def quantile_reference(tasks: pl.DataFrame, u: np.ndarray) -> np.ndarray:
    """quantile in NumPy: the reference the compiled loop matches bit for bit (tests/plugins/test_tables.py)."""
    return _interpolate(tasks, np.clip(u, 0.0, 1.0) * GRID)


def sample_reference(tasks: pl.DataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    """sample in NumPy: the reference the compiled loop matches bit for bit (tests/plugins/test_tables.py),
    and the path of a source checkout whose extension is not built. The uniforms are drawn a slice
    of tasks at a time (the same stream as one (k, n) draw, since a generator fills row by row),
    so a wide plan's temporaries do not take several times the block's size."""
    prepared, k = _prepared(tasks), tasks.height
    out = np.empty((n, k), order="F")
    step = max(1, SLICE_CELLS // max(n, 1))
    for lo in range(0, k, step):
        hi = min(k, lo + step)
        x = rng.random((hi - lo, n))
        x *= GRID
        # out is column-major: its columns lo:hi, transposed, are a row-major (tasks, n) block,
        # which the interpolation fills in place (no temporary and no transposing copy).
        _interpolate_with(prepared, slice(lo, hi), x, rows_axis=0, out=out[:, lo:hi].T)
    return np.ascontiguousarray(out)


def _interpolate(tasks: pl.DataFrame, x: np.ndarray, rows_axis: int = 1) -> np.ndarray:
    """Maps x = u * GRID (overwritten) through each task's table: a gather and a multiply-add per
    value. Tasks run along `rows_axis` of x."""
    return _interpolate_with(_prepared(tasks), slice(None), x, rows_axis)


def _interpolate_with(
    prepared: tuple, tasks: slice, x: np.ndarray, rows_axis: int, out: np.ndarray | None = None
) -> np.ndarray:
    """_interpolate for the tasks `tasks` (a slice) of a _prepared(...) set of estimates, into
    `out` (x's shape, row-major) when given; x is used as scratch space."""
    start, slope, rows, low, width, _ = prepared
    shape = (-1, 1) if rows_axis == 0 else (1, -1)
    cell = x.astype(np.intp)
    np.minimum(cell, GRID - 1, out=cell)  # u == 1 lands in the last cell, not past it
    x -= cell  # the position inside the cell
    cell += (rows[tasks] * GRID).reshape(shape)
    # Every cell index is in range, so mode="clip" changes no value; it lets take write into
    # `out` directly (the default mode buffers an output array).
    out = slope.take(cell, out=out, mode="clip")
    out *= x
    out += start.take(cell, out=x, mode="clip")  # x is no longer needed: its memory takes the starts
    out *= width[tasks].reshape(shape)
    out += low[tasks].reshape(shape)
    return out


_prepared_cache: dict[bytes, tuple] = {}


def _prepared(
    tasks: pl.DataFrame,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Flattened cell starts and slopes of the distinct shapes, each task's table row, low, width
    and first cell (row * GRID); built once per set of estimates, since every block of a run asks again."""
    low, likely, high = three_points(tasks)
    key = np.concatenate([low, likely, high]).tobytes()
    hit = _prepared_cache.get(key)
    if hit is None:
        with np.errstate(over="ignore", invalid="ignore"):  # a range near the largest float: see _check_bounds
            table, rows = _quantile_tables(*shapes(low, likely, high))
        start, slope = table[:, :-1], np.diff(table, axis=1)
        base = rows.astype(np.int64) * GRID
        _check_bounds(tasks, start, slope, rows, low, high - low)
        hit = (start.ravel(), slope.ravel(), rows, low, high - low, base)
        if len(_prepared_cache) >= 32:  # plans being edited: keep only recent ones
            _prepared_cache.clear()
        _prepared_cache[key] = hit
    return hit


def _check_bounds(
    tasks: pl.DataFrame, start: np.ndarray, slope: np.ndarray, rows: np.ndarray, low: np.ndarray, width: np.ndarray
) -> None:
    """Makes every value `sample` can return finite and non-negative (MODEL.self_checked), once per
    set of estimates instead of once per value: a value is ((slope * f) + start) * width + low with
    f in [0, 1] and every operand finite and non-negative, so it is non-negative, and since rounding
    is monotone it is at most (max(slope + start) * width) + low, the bound tested here per task."""
    with np.errstate(over="ignore", invalid="ignore"):
        table_ok = (np.isfinite(start) & np.isfinite(slope) & (start >= 0) & (slope >= 0)).all(axis=1)
        ok = table_ok[rows] & np.isfinite(np.max(slope + start, axis=1)[rows] * width + low)
    if not ok.all():  # only where the range nears the largest float: a validated plan never gets here
        raise ValueError(f"task '{task_id(tasks, int(np.flatnonzero(~ok)[0]))}': estimate too large to sample")


def mean(tasks: pl.DataFrame) -> np.ndarray:
    low, likely, high = three_points(tasks)
    return (low + LAMBDA * likely + high) / (LAMBDA + 2)


def variance(tasks: pl.DataFrame) -> np.ndarray:
    """The analytic variance (used by tests and by anyone who wants a spread without sampling)."""
    low, likely, high = three_points(tasks)
    alpha, beta = shapes(low, likely, high)
    total = alpha + beta
    return (high - low) ** 2 * alpha * beta / (total**2 * (total + 1))


_cdf_cache: dict[bytes, np.ndarray] = {}


def cdf(tasks: pl.DataFrame, x: np.ndarray) -> np.ndarray:
    """The exact CDF (the regularized incomplete beta function); a point estimate is a step at its value.

    A run asks for F(effort spent) of its work in progress twice (the in-progress update, then
    the conditional sampling) and every run of the same plan asks again: the last few answers
    are kept (a copy is returned, so a caller may change it)."""
    low, likely, high = three_points(tasks)
    x = np.asarray(x, dtype=np.float64)
    key = b"".join(
        [
            np.array([x.ndim, *x.shape], dtype=np.int64).tobytes(),
            x.tobytes(),
            low.tobytes(),
            likely.tobytes(),
            high.tobytes(),
        ]
    )
    hit = _cdf_cache.get(key)
    if hit is None:
        hit = _cdf(low, likely, high, x)
        if len(_cdf_cache) >= 32:
            _cdf_cache.clear()
        _cdf_cache[key] = hit
    return hit.copy()


def _cdf(low: np.ndarray, likely: np.ndarray, high: np.ndarray, x: np.ndarray) -> np.ndarray:
    alpha, beta = shapes(low, likely, high)
    width = high - low
    scaled = np.clip((x - low) / np.where(width > 0, width, 1.0), 0.0, 1.0)
    return np.where(width > 0, betainc(alpha, beta, scaled), (x >= low).astype(np.float64))


_lgamma = np.frompyfunc(math.lgamma, 1, 1)


def _log_gamma(v: np.ndarray) -> np.ndarray:
    return np.asarray(_lgamma(v), dtype=np.float64)


def betainc(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The regularized incomplete beta function I_x(a, b) for a, b > 0 and x in [0, 1].

    What scipy.special.betainc computes, to within about 1e-14 (tested), in NumPy: importing
    scipy.special costs a command more than the few values a forecast asks for. The continued
    fraction of Numerical Recipes (§6.4, modified Lentz), evaluated where it converges fast
    (x < (a + 1) / (a + b + 2)) and by I_x(a, b) = 1 - I_{1-x}(b, a) elsewhere.
    """
    a, b, x = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, x)))
    swap = x > (a + 1.0) / (a + b + 2.0)
    p, q, z = np.where(swap, b, a), np.where(swap, a, b), np.where(swap, 1.0 - x, x)
    inner = (z > 0.0) & (z < 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_front = _log_gamma(p + q) - _log_gamma(p) - _log_gamma(q) + p * np.log(z) + q * np.log1p(-z)
        value = np.where(inner, np.exp(log_front) * _beta_fraction(p, q, np.where(inner, z, 0.5)) / p, 0.0)
    value = np.where(z >= 1.0, 1.0, value)
    return np.where(swap, 1.0 - value, value)


def _beta_fraction(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The continued fraction of I_x(a, b), all elements at once until each has converged."""
    tiny, eps = 1e-300, 1e-16

    def guard(v: np.ndarray) -> np.ndarray:
        return np.where(np.abs(v) < tiny, tiny, v)

    c = np.ones_like(x)
    d = 1.0 / guard(1.0 - (a + b) * x / (a + 1.0))
    h = d.copy()
    done = np.zeros(x.shape, dtype=bool)
    for m in range(1, 1000):
        even = m * (b - m) * x / ((a + 2 * m - 1.0) * (a + 2 * m))
        d = 1.0 / guard(1.0 + even * d)
        c = guard(1.0 + even / c)
        h = np.where(done, h, h * d * c)
        odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1.0))
        d = 1.0 / guard(1.0 + odd * d)
        c = guard(1.0 + odd / c)
        step = d * c
        h = np.where(done, h, h * step)
        done |= np.abs(step - 1.0) < eps
        if done.all():
            break
    return h


MODEL = DurationModel(
    "pert",
    sample=sample,
    mean=mean,
    cdf=cdf,
    quantile=quantile,
    description="Beta-PERT on [low, high] with mode likely (λ = 4); the default",
    self_checked=_compiled is not None,
)


@hookimpl
def register_duration_models(register):
    register(MODEL)
