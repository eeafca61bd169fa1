"""Deciding a candidate of `teamcast optimise` without running it on every future, where that is safe.

Two shortcuts, both for the kernel's dispatch (sampled futures):

* **Racing** (`race_verdict`). A candidate is run on a leading slice of the fixed block of
  futures (64 trials, then 128, 256, 512, then all), paired trial by trial with the
  incumbent's values on the same futures (common random numbers). It leaves the race as
  soon as it cannot plausibly beat the incumbent on the whole block: for a mean objective,
  when the one-sided upper bound of the mean paired difference, mean + z sd / sqrt(m) times
  the finite-population factor sqrt((N - m) / (N - 1)), is below 0 (z = 2.5, about 0.6 %
  per look for a candidate exactly as good; the first m trials are a random sample of the
  block's N, drawn without replacement); for the median (makespan), when the share of
  futures in which it does worse than the incumbent's whole-block median is above one half
  by more than the same margin (a sign test, 0.5 standing in for the unknown spread). A
  candidate whose per-trial values equal the incumbent's on every one of the first 64
  trials is taken to be a tie (most such moves change nothing at all) and leaves the race
  with the incumbent's score. Only a candidate run on every future may become the best;
  the scores of those decided early are estimates (the incumbent's score plus the mean
  paired difference on the slice, capped just below the incumbent's) that steer the search.
* **Orders identical in effect** (`EffectKey`). The kernel uses the priority order only to
  walk the ready tasks at each dispatch, starting each that fits (docs/simulation.md). Two
  tasks can only affect each other there if they draw on a common pool (a named person
  counts as that person's pool) and neither must finish before the other can become ready
  (a path of task dependencies between them); tasks already done or failed never dispatch.
  Two orders that put every such pair the same way round therefore give the same schedule
  in every future, exactly, and share a key: the second is answered from the cache.
"""

from __future__ import annotations

import math
from graphlib import TopologicalSorter

import numpy as np

from teamcast.ext.kernel import FIXED_DONE, KernelInput

RACE_STAGES = (64, 128, 256, 512)  # trials run before each look; then the whole block
RACE_Z = 2.5  # one-sided normal quantile of the "cannot plausibly beat" bound
TIE_TRIALS = 64  # equal to the incumbent on this many leading futures: taken as a tie
EFFECT_KEY_MAX_TASKS = 2000  # above this, pairs cost more than they save: key on the order itself

DROP = "worse"
TIE = "tie"
GO_ON = "go on"


def race_verdict(
    cand: np.ndarray, incumbent: np.ndarray, total: int, *, median: float | None = None, z: float = RACE_Z
) -> str:
    """What to do with a candidate after its first m trials (`cand`, higher is better) paired
    with the incumbent's on the same futures (`incumbent`), out of `total` in the block.

    `median`: the incumbent's median over the whole block (higher is better) when the
    objective is a median; None for a mean. Returns DROP (cannot plausibly beat the
    incumbent on the whole block), TIE (identical on at least TIE_TRIALS futures) or GO_ON.
    """
    m = cand.shape[0]
    if m >= total:
        return GO_ON  # the whole block: decided exactly by the caller
    d = cand - incumbent
    if m >= TIE_TRIALS and not d.any():
        return TIE
    fpc = math.sqrt((total - m) / (total - 1))
    if median is None:
        mean = float(d.sum()) / m
        # The sample variance from two sums (np.std costs more than the rest of a look).
        var = max(float(d @ d) - m * mean * mean, 0.0) / (m - 1) if m > 1 else 0.0
        bound = mean + z * math.sqrt(var / m) * fpc
        return DROP if bound < 0 else GO_ON
    worse = float(np.mean(cand < median))  # futures where it does worse than the incumbent's median
    return DROP if worse - z * 0.5 / math.sqrt(m) * fpc > 0.5 else GO_ON


def stages(total: int) -> list[int]:
    """The trial counts at which a candidate is looked at: RACE_STAGES below `total`, then `total`."""
    return [m for m in RACE_STAGES if m < total] + [total]


def conflict_pairs(inp: KernelInput) -> np.ndarray:
    """(k, 2) task pairs whose relative priority can change a dispatch (see the module docstring)."""
    n = inp.n_tasks
    pools: list[set[int]] = [set() for _ in range(n)]
    for t in range(n):
        pools[t].update(int(k) for k in inp.dem_pool[inp.dem_ptr[t] : inp.dem_ptr[t + 1]])
        if inp.task_unit[t] >= 0:
            pools[t].add(int(inp.unit_pool[inp.task_unit[t]]))
    preds = {t: [int(p) for p in inp.pred_idx[inp.pred_ptr[t] : inp.pred_ptr[t + 1]] if p < n] for t in range(n)}
    ancestors = [0] * n  # bitsets over tasks: which must finish before the task can be ready
    for t in TopologicalSorter(preds).static_order():
        for p in preds[t]:
            ancestors[t] |= ancestors[p] | (1 << p)
    by_pool: dict[int, list[int]] = {}
    for t in range(n):
        if inp.task_fixed[t] < FIXED_DONE:  # done or failed work never dispatches
            for k in pools[t]:
                by_pool.setdefault(k, []).append(t)
    pairs: set[tuple[int, int]] = set()
    for members in by_pool.values():
        for a_i, a in enumerate(members):
            for b in members[a_i + 1 :]:
                if not (ancestors[b] >> a) & 1 and not (ancestors[a] >> b) & 1:
                    pairs.add((a, b))
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)


class EffectKey:
    """Bytes that two priority orders share exactly when they dispatch alike in every future."""

    def __init__(self, inp: KernelInput):
        self.n = inp.n_tasks
        self.exact = self.n <= EFFECT_KEY_MAX_TASKS
        pairs = conflict_pairs(inp) if self.exact else np.empty((0, 2), dtype=np.int64)
        self.first, self.second = pairs[:, 0].copy(), pairs[:, 1].copy()
        self._rank = np.empty(self.n, dtype=np.int64)
        self._steps = np.arange(self.n, dtype=np.int64)

    def __call__(self, order: np.ndarray) -> bytes:
        if not self.exact:
            return b"o" + order.tobytes()
        self._rank[order] = self._steps
        return b"k" + np.packbits(self._rank[self.first] < self._rank[self.second]).tobytes()


__all__ = [
    "DROP",
    "GO_ON",
    "RACE_STAGES",
    "RACE_Z",
    "TIE",
    "TIE_TRIALS",
    "EffectKey",
    "conflict_pairs",
    "race_verdict",
    "stages",
]
