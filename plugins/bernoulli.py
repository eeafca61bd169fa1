"""The built-in `bernoulli` success model: a task succeeds with probability `p_success`, independently."""

from __future__ import annotations

import numpy as np
import polars as pl

from teamcast import hookimpl
from teamcast.plugins.records import SuccessModel


def sample(tasks: pl.DataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    p = tasks["p_success"].to_numpy().astype(np.float64, copy=False)
    return rng.random((n, tasks.height)) < p


MODEL = SuccessModel("bernoulli", sample=sample, description="succeeds with probability p_success, independently")


@hookimpl
def register_success_models(register):
    register(MODEL)
