"""Scores that say how good forecasts were: pure functions on NumPy arrays, no I/O.

Binary forecasts (will the task succeed?) are scored with the Brier score, the log score, a
reliability table and the Murphy decomposition; duration forecasts (how long will it take?)
with PIT values, interval coverage, the interval score and the log ratio of actual to
estimate. Every function takes plain arrays so that the retro, the reports and the TUI share
one implementation and tests can check it against hand-worked values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Below this many resolved forecasts the scores are reported as "not enough data" (teamcast's
# threshold; standard forecasting practice suggests ~20, not the lecture).
MIN_RESOLVED = 20
BINS = 10
Z95 = 1.959963984540054
# Probabilities are clipped this far from 0 and 1 for the log score, so that one forecast of
# exactly 0 % or 100 % that went the other way costs ln(1e6) ≈ 13.8 rather than infinity.
LOG_EPS = 1e-6


def _binary(p, y) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(p, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if p.shape != y.shape or p.ndim != 1:
        raise ValueError(f"p and y must be 1-D arrays of one length, got {p.shape} and {y.shape}")
    if p.size == 0:
        raise ValueError("no forecasts to score")
    if np.any((p < 0) | (p > 1)) or np.any(~np.isfinite(p)):
        raise ValueError("probabilities must lie in [0, 1]")
    if np.any((y != 0) & (y != 1)):
        raise ValueError("outcomes must be 0 or 1")
    return p, y


def brier_score(p, y) -> float:
    """Mean of (p − y)²: 0 is perfect, 1 is worst; always saying 50 % scores 0.25."""
    p, y = _binary(p, y)
    return float(np.mean((p - y) ** 2))


def log_score(p, y) -> float:
    """Mean negative log-likelihood in nats (lower is better); always saying 50 % scores ln 2 ≈ 0.693."""
    p, y = _binary(p, y)
    q = np.clip(p, LOG_EPS, 1 - LOG_EPS)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log1p(-q)))


def calibration_in_the_large(p, y) -> float:
    """Mean forecast minus the observed base rate: > 0 means too optimistic about success."""
    p, y = _binary(p, y)
    return float(p.mean() - y.mean())


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion (95 % by default); (0, 1) for n = 0."""
    if n == 0:
        return 0.0, 1.0
    phat = successes / n
    centre = (phat + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # At 0 or n successes the bound is exactly 0 or 1; rounding would leave it a hair off.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def bin_index(p, bins: int = BINS) -> np.ndarray:
    """The bucket of each probability: [0, 0.1), [0.1, 0.2), ..., [0.9, 1.0] for 10 bins."""
    p = np.asarray(p, dtype=np.float64)
    return np.minimum((p * bins).astype(np.intp), bins - 1)


@dataclass(frozen=True)
class ReliabilityBin:
    """One bucket of forecasts: how many, what they said on average, what happened, and the 95 % band."""

    low: float
    high: float
    count: int
    mean_forecast: float
    observed: float  # share that succeeded; NaN in an empty bucket
    band_low: float  # Wilson 95 % interval of `observed`
    band_high: float

    @property
    def consistent(self) -> bool:
        """Whether the mean forecast lies inside the 95 % band of what was observed."""
        return self.count == 0 or self.band_low <= self.mean_forecast <= self.band_high


def reliability_table(p, y, bins: int = BINS) -> list[ReliabilityBin]:
    """Forecasts grouped in `bins` equal buckets of probability, empty buckets included."""
    p, y = _binary(p, y)
    index = bin_index(p, bins)
    table = []
    for k in range(bins):
        inside = index == k
        count = int(inside.sum())
        hits = int(y[inside].sum())
        band = wilson_interval(hits, count)
        table.append(
            ReliabilityBin(
                low=k / bins,
                high=(k + 1) / bins,
                count=count,
                mean_forecast=float(p[inside].mean()) if count else math.nan,
                observed=hits / count if count else math.nan,
                band_low=band[0],
                band_high=band[1],
            )
        )
    return table


@dataclass(frozen=True)
class Murphy:
    """Murphy's decomposition BS = REL − RES + UNC, plain and bias-corrected.

    With forecasts binned, the identity holds exactly when every forecast in a bin has the same
    value; otherwise `within_bin` = BS − (REL − RES + UNC) carries the rest (the within-bin
    variance and covariance terms of Stephenson, Coelho & Jolliffe 2008).
    The corrected terms follow Ferro & Fricker (2012), "A bias-corrected decomposition of the
    Brier score", QJRMS 138: 1954–1960: REL and RES lose Σ_k n_k ȳ_k(1 − ȳ_k) / (n (n_k − 1)),
    RES gains ȳ(1 − ȳ) / (n − 1), UNC becomes n ȳ(1 − ȳ) / (n − 1); their sum is unchanged.
    """

    brier: float
    reliability: float  # lower is better: distance of forecasts from observed frequencies
    resolution: float  # higher is better: how far the bins' outcomes differ from the base rate
    uncertainty: float  # the base rate's variance ȳ(1 − ȳ): what climatology would score
    within_bin: float
    reliability_corrected: float
    resolution_corrected: float
    uncertainty_corrected: float


def murphy_decomposition(p, y, bins: int = BINS) -> Murphy:
    p, y = _binary(p, y)
    n = p.size
    index = bin_index(p, bins)
    counts = np.bincount(index, minlength=bins).astype(np.float64)
    used = counts > 0
    mean_p = np.bincount(index, weights=p, minlength=bins)[used] / counts[used]
    mean_y = np.bincount(index, weights=y, minlength=bins)[used] / counts[used]
    n_k = counts[used]
    base = y.mean()
    reliability = float(np.sum(n_k * (mean_p - mean_y) ** 2) / n)
    resolution = float(np.sum(n_k * (mean_y - base) ** 2) / n)
    uncertainty = float(base * (1 - base))
    brier = float(np.mean((p - y) ** 2))
    # A bin of one forecast has ȳ_k(1 − ȳ_k) = 0, so its term is 0 whatever the 0/0 says.
    several = n_k > 1
    bias = float(np.sum(n_k[several] * mean_y[several] * (1 - mean_y[several]) / (n_k[several] - 1)) / n)
    if n > 1:
        resolution_corrected = resolution - bias + uncertainty / (n - 1)
        uncertainty_corrected = uncertainty * n / (n - 1)
    else:
        resolution_corrected, uncertainty_corrected = resolution, uncertainty
    return Murphy(
        brier=brier,
        reliability=reliability,
        resolution=resolution,
        uncertainty=uncertainty,
        within_bin=brier - (reliability - resolution + uncertainty),
        reliability_corrected=reliability - bias,
        resolution_corrected=resolution_corrected,
        uncertainty_corrected=uncertainty_corrected,
    )


# --- durations -----------------------------------------------------------------------------


def pit_histogram(pit, bins: int = BINS) -> np.ndarray:
    """Counts of PIT values F(actual) in `bins` equal buckets of [0, 1]; flat when calibrated,
    U-shaped when over-confident, piled near 1 when optimistic (work took longer)."""
    pit = np.asarray(pit, dtype=np.float64)
    return np.bincount(bin_index(np.clip(pit, 0.0, 1.0), bins), minlength=bins)


def central_coverage(pit, level: float) -> float:
    """Share of actuals inside the central `level` interval of their forecast, read off the PIT
    values: level 0.5 is the 25–75 % interval, 0.8 the 10–90 % one. NaN when empty."""
    pit = np.asarray(pit, dtype=np.float64)
    if pit.size == 0:
        return math.nan
    tail = (1 - level) / 2
    return float(np.mean((pit >= tail) & (pit <= 1 - tail)))


def interval_score(low, high, actual, alpha: float = 0.2) -> float:
    """Mean interval score of central (1 − alpha) intervals (Gneiting & Raftery 2007, eq. 43):
    width + (2/alpha)·(low − x)·[x < low] + (2/alpha)·(x − high)·[x > high]. In days; lower is
    better: it rewards narrow intervals and punishes misses in proportion to the miss."""
    low, high, actual = (np.asarray(a, dtype=np.float64) for a in (low, high, actual))
    if actual.size == 0:
        return math.nan
    below = np.maximum(low - actual, 0.0)
    above = np.maximum(actual - high, 0.0)
    return float(np.mean((high - low) + (2 / alpha) * (below + above)))


@dataclass(frozen=True)
class LogRatio:
    """ln(actual ÷ estimate): median (0 = on estimate, ln 2 ≈ 0.69 = twice as long) and spread."""

    median: float
    iqr: float  # interquartile range of the log ratios
    mad: float  # median absolute deviation from the median (unscaled)

    @property
    def typical_factor(self) -> float:
        """exp(median): the typical actual ÷ estimate, e.g. 1.3 = 30 % over."""
        return math.exp(self.median)


def log_ratio(actual, estimate) -> LogRatio:
    actual, estimate = (np.asarray(a, dtype=np.float64) for a in (actual, estimate))
    ok = (actual > 0) & (estimate > 0)
    if not ok.any():
        return LogRatio(math.nan, math.nan, math.nan)
    r = np.log(actual[ok] / estimate[ok])
    median = float(np.median(r))
    q25, q75 = np.quantile(r, [0.25, 0.75])
    return LogRatio(median, float(q75 - q25), float(np.median(np.abs(r - median))))


# --- trends --------------------------------------------------------------------------------


def slip_rate(when_days, forecast_days) -> float:
    """Least-squares slope of a forecast date against the day it was made (both in calendar days):
    0 = stable, 1 = the date moves out a day for every day that passes. NaN with < 2 distinct times."""
    x = np.asarray(when_days, dtype=np.float64)
    y = np.asarray(forecast_days, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 2 or np.ptp(x) == 0:
        return math.nan
    xc = x - x.mean()
    return float(np.sum(xc * (y - y.mean())) / np.sum(xc * xc))
