"""The built-in `fixed` duration model: the effort is always `est_likely` (no uncertainty)."""

from __future__ import annotations

import numpy as np
import polars as pl

from teamcast import hookimpl
from teamcast.plugins.records import DurationModel


def _likely(tasks: pl.DataFrame) -> np.ndarray:
    return tasks["est_likely"].to_numpy().astype(np.float64, copy=True)


def sample(tasks: pl.DataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    return np.repeat(_likely(tasks)[None, :], n, axis=0)


def cdf(tasks: pl.DataFrame, x: np.ndarray) -> np.ndarray:
    return (x >= _likely(tasks)).astype(np.float64)


def quantile(tasks: pl.DataFrame, u: np.ndarray) -> np.ndarray:
    return np.broadcast_to(_likely(tasks), np.shape(u)).copy()


MODEL = DurationModel(
    "fixed",
    sample=sample,
    mean=_likely,
    point=_likely,
    cdf=cdf,
    quantile=quantile,
    description="always est_likely: for fixed-length work such as a booked training run",
)


@hookimpl
def register_duration_models(register):
    register(MODEL)
