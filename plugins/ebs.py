"""The built-in `ebs` sample modifier: evidence-based scheduling (Spolsky, 2007; LECTURE.md §6).

Each person's velocities are estimate ÷ actual over their finished work in `history` (the
estimate's likely value). Every trial divides a task's likely estimate by a velocity drawn
from the history of whoever does it: the named person, the person already doing it, or, for
a task given to a role, the pooled history of that role's people. Dividing, not multiplying:
a velocity of 0.5 (work took twice the estimate) doubles the effort.

Options (`--modifier ebs:window_days=182,min_tasks=6`):
* `window_days` (default 182, calendar days): velocities finished longer ago than this before
  the plan's start are dropped.
* `min_tasks` (default 6): a person with fewer finished tasks in the window gets teamcast's
  wide prior history added to their own: PRIOR_SIZE velocities at evenly spaced quantiles of
  a log-normal with median PRIOR_MEDIAN (work takes 1.25× its estimate) and log-sd
  PRIOR_SIGMA (a P10–P90 range of about 0.42–1.52). These numbers are teamcast's, chosen to
  match the right-skewed overruns of reference-class forecasting, not the lecture's.
Tasks whose doer has no history and no role peers use the prior alone; tasks done or failed
are left as they are.
"""

from __future__ import annotations

import datetime as dt
import weakref

import numpy as np
import polars as pl

from teamcast import hookimpl
from teamcast.plugins.records import SampleContext, SampleModifier

PRIOR_MEDIAN = 0.8
PRIOR_SIGMA = 0.5
PRIOR_SIZE = 20
WINDOW_DAYS = 182
MIN_TASKS = 6


def prior_velocities() -> np.ndarray:
    from scipy.special import ndtri

    q = (np.arange(PRIOR_SIZE) + 0.5) / PRIOR_SIZE
    return np.exp(np.log(PRIOR_MEDIAN) + PRIOR_SIGMA * ndtri(q))


def velocities(history: pl.DataFrame, start: dt.date, window_days: int) -> dict[str, np.ndarray]:
    """Per person, estimate ÷ actual of the finished work inside the window."""
    cutoff = start - dt.timedelta(days=window_days)
    rows = history.filter(
        pl.col("person").is_not_null()
        & pl.col("est_likely").is_not_null()
        & (pl.col("actual_days") > 0)
        & (pl.col("finished").is_null() | (pl.col("finished") >= cutoff))
    )
    out: dict[str, list[float]] = {}
    for person, est, actual in rows.select("person", "est_likely", "actual_days").iter_rows():
        out.setdefault(person, []).append(est / actual)
    return {p: np.array(v) for p, v in out.items()}


_evidence_cache: dict[int, tuple] = {}


def evidence(ctx: SampleContext) -> list[np.ndarray]:
    """The velocity history each task draws from, in task order (worked out once per run:
    every block of a run hands over the same plan and options)."""
    key = (tuple(sorted(ctx.options.items())), id(ctx.tasks))
    cached = _evidence_cache.get(id(ctx.plan))
    if cached is not None and cached[0]() is ctx.plan and cached[1] == key:
        return cached[2]
    result = _evidence(ctx)
    _evidence_cache.clear()  # one run at a time is the common case; keep memory flat
    _evidence_cache[id(ctx.plan)] = (weakref.ref(ctx.plan), key, result)
    return result


def _evidence(ctx: SampleContext) -> list[np.ndarray]:
    plan = ctx.plan
    window = int(ctx.options.get("window_days", WINDOW_DAYS))
    min_tasks = int(ctx.options.get("min_tasks", MIN_TASKS))
    own = velocities(plan.history, plan.start, window)
    prior = prior_velocities()

    def of_person(person: str) -> np.ndarray:
        v = own.get(person, np.empty(0))
        return v if len(v) >= min_tasks else np.concatenate([v, prior])

    roles = dict(zip(plan.people["id"].to_list(), plan.people["role"].to_list(), strict=True))
    by_role: dict[str, list[str]] = {}
    for person, role in roles.items():
        by_role.setdefault(role, []).append(person)
    cache: dict[str, np.ndarray] = {}
    result = []
    for doer in ctx.doer:
        if doer not in cache:
            if doer in roles:
                cache[doer] = of_person(doer)
            elif doer in by_role:
                cache[doer] = np.concatenate([of_person(p) for p in by_role[doer]])
            else:
                cache[doer] = prior
        result.append(cache[doer])
    return result


def apply(ctx: SampleContext, effort: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    tasks = ctx.tasks
    todo = (tasks["status"] != "done").to_numpy() & (tasks["status"] != "failed").to_numpy()
    likely = tasks["est_likely"].to_numpy()
    histories = evidence(ctx)
    cols = np.flatnonzero(todo & (tasks["status"] != "doing").to_numpy())
    if not len(cols):
        return effort
    # Every column's history side by side in one table, so that one gather serves the whole
    # block: column j draws entry floor(u * size_j) of its row.
    rows: dict[int, int] = {}
    row_of = np.array([rows.setdefault(id(histories[t]), len(rows)) for t in cols], dtype=np.intp)
    distinct = {id(histories[t]): histories[t] for t in cols}
    width = max(len(v) for v in distinct.values())
    table = np.ones((len(rows), width))
    for key, r in rows.items():
        table[r, : len(distinct[key])] = distinct[key]
    size = np.array([len(distinct[id(histories[t])]) for t in cols], dtype=np.float64)
    pick = rng.random((effort.shape[0], len(cols)))
    pick *= size
    index = pick.astype(np.intp)
    index += row_of * width
    draw = table.ravel().take(index)
    np.divide(likely[cols], draw, out=draw)
    effort[:, cols] = draw  # the block is the driver's to hand over: changed in place
    return effort


MODIFIER = SampleModifier(
    "ebs",
    apply=apply,
    description="evidence-based scheduling: divide each estimate by a velocity from the doer's history",
    options=("window_days", "min_tasks"),
)


@hookimpl
def register_sample_modifiers(register):
    register(MODIFIER)
