"""The built-in `stall` sample modifier: research stalls (Lecture 13, §3: progress is nonlinear), modelled
with heavy tails (teamcast's model).

The lecture's point is that ML research progress is nonlinear: long stalls are common, and
effort and progress decouple. This modifier adds, to each task of a stall-prone
kind, with probability `p`, a stall whose length is Lomax (Pareto II) distributed with shape
`alpha` and scale `scale` × the task's likely estimate. A heavy tail stretches the P95 far
more than the P50: teamcast's reading of the long stalls the lecture describes.

Defaults are teamcast's own, not the lecture's: research p = 0.35, experiment p = 0.35,
data p = 0.10, every other kind 0; alpha = 1.5 (finite mean, infinite variance);
scale = 0.5. Options: `--modifier stall:p_research=0.5,alpha=2,scale=0.3` (`p_<kind>` for
any kind). Work in progress keeps stalling too; done and failed tasks are untouched.
"""

from __future__ import annotations

import numpy as np

from teamcast import hookimpl
from teamcast.plugins.records import SampleContext, SampleModifier

DEFAULT_P = {"research": 0.35, "experiment": 0.35, "data": 0.10}
ALPHA = 1.5
SCALE = 0.5


def stall_probability(ctx: SampleContext) -> np.ndarray:
    p_by_kind = dict(DEFAULT_P)
    for key, value in ctx.options.items():
        if key.startswith("p_"):
            p_by_kind[key[2:]] = float(value)
    kinds = ctx.tasks["kind"].fill_null("").to_list()
    status = ctx.tasks["status"].to_list()
    return np.array(
        [0.0 if s in ("done", "failed") else p_by_kind.get(k, 0.0) for k, s in zip(kinds, status, strict=True)]
    )


def apply(ctx: SampleContext, effort: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    p = stall_probability(ctx)
    cols = np.flatnonzero(p > 0)
    if not len(cols):
        return effort
    alpha = float(ctx.options.get("alpha", ALPHA))
    scale = float(ctx.options.get("scale", SCALE))
    n = effort.shape[0]
    sub = effort[:, cols]
    stalls = rng.random((n, len(cols))) < p[cols]
    # Lengths only for the trials that stall (a third or so): the power is the costly part.
    # Lomax by inversion: scale * ((1 - u)^(-1/alpha) - 1); 1 - u keeps the base in (0, 1].
    length = rng.random(int(stalls.sum()))
    np.subtract(1.0, length, out=length)
    np.power(length, -1.0 / alpha, out=length)
    length -= 1.0
    length *= np.broadcast_to(scale * ctx.tasks["est_likely"].to_numpy()[cols], sub.shape)[stalls]
    sub[stalls] += length
    effort[:, cols] = sub  # the block is the driver's to hand over: changed in place
    return effort


MODIFIER = SampleModifier(
    "stall",
    apply=apply,
    description="research stalls: heavy-tailed (Lomax) delays on research-like tasks",
    options=("p_*", "alpha", "scale"),
)


@hookimpl
def register_sample_modifiers(register):
    register(MODIFIER)
