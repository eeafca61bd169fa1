"""The built-in `bernoulli` success model: a task succeeds with probability `p_success`, independently."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from teamcast import hookimpl
from teamcast.plugins.records import SuccessModel

try:  # the compiled loop (plugins/_tables.pyx); `sample` is the reference it matches
    from teamcast.plugins import _tables as _compiled
except ImportError:  # a source checkout whose extensions are not built
    _compiled = None  # type: ignore[assignment]


def sample(tasks: pl.DataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    p = tasks["p_success"].to_numpy().astype(np.float64, copy=False)
    return rng.random((n, tasks.height)) < p


def sample_blocks(
    tasks: pl.DataFrame, rngs: Sequence[np.random.Generator], sizes: Sequence[int], out: np.ndarray
) -> None:
    """sample(tasks, sizes[b], rngs[b]) for each block b, as 0/1, written one after another into the
    rows of the row-major (sum(sizes), k) uint8 `out`: the same values from the same draws, compiled
    (plugins/_tables.pyx) without a block of uniforms or of booleans in between."""
    if _compiled is not None and all(type(rng) is np.random.Generator for rng in rngs):
        p = np.ascontiguousarray(tasks["p_success"].to_numpy(), dtype=np.float64)
        _compiled.bernoulli_blocks([rng.bit_generator for rng in rngs], np.asarray(sizes, dtype=np.int64), p, out)
        return
    first = 0
    for rng, n in zip(rngs, sizes, strict=True):
        out[first : first + n] = sample(tasks, n, rng)
        first += n


MODEL = SuccessModel("bernoulli", sample=sample, description="succeeds with probability p_success, independently")


@hookimpl
def register_success_models(register):
    register(MODEL)
