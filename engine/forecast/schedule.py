"""One schedule: every duration at its point value, every task succeeding, hires at their likely day.

Work in progress starts at day 0 with its remaining effort: the median of the effort still to
spend given the effort already spent (the conditional the simulation samples from, see
docs/simulation.md "Failure in time"), so a task past its point estimate still takes time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from teamcast.engine.forecast.compile import Compiled, compile_plan
from teamcast.engine.forecast.priorities import DEFAULT_PRIORITY, prioritise, reorder_approaches
from teamcast.engine.forecast.sampling import model_groups
from teamcast.engine.plan.model import Plan
from teamcast.ext.kernel import (
    FIXED_DOING,
    FIXED_DONE,
    FIXED_FAILED,
    STATE_ABANDONED,
    STATE_NOT_RUN,
    KernelInput,
    run_chunk,
    units_held,
)

# What each task is in the schedule: recorded work, then what the run did with the rest.
_FIXED_STATUS = {FIXED_DONE: "done", FIXED_FAILED: "failed", FIXED_DOING: "in progress"}

if TYPE_CHECKING:
    from polars.datatypes import DataTypeClass


def deterministic_schedule(
    plan: Plan | Compiled,
    *,
    priority: str = DEFAULT_PRIORITY,
    registry=None,
    order: Sequence[int] | None = None,
    approaches: dict[str, list[str]] | None = None,
) -> pl.DataFrame:
    """One schedule with every duration at its point value, every task succeeding, hires at their likely day.

    `order` (task indices, highest priority first) replaces the rule's order and `approaches`
    ({challenge id: approach task ids}) the order of trying a challenge's approaches, as
    `teamcast optimise` found them. Columns: task, project, status (done, failed, in progress,
    planned, abandoned), start, finish (working days), start_date, finish_date, who (units held).
    A task of zero effort is dated on its start day, never before it.
    """
    from teamcast.plugins.manager import get_registry

    registry = registry or get_registry()
    compiled = plan if isinstance(plan, Compiled) else compile_plan(plan)
    inp = prioritise(compiled, registry, priority)
    if order is not None:
        inp = inp.with_priority(np.asarray(order, dtype=np.int32))
    if approaches:
        inp = reorder_approaches(inp, approaches, compiled)
    effort, success, arrival = point_sample(compiled, registry)
    out = run_chunk(inp, effort, success, arrival, threads=1, units=True)
    assert out.held is not None  # asked for with units=True
    return schedule_table(compiled, inp, out.start[0], out.finish[0], out.state[0], units_held(inp, out.held[0]))


def schedule_table(
    compiled: Compiled,
    inp: KernelInput,
    start: np.ndarray,
    finish: np.ndarray,
    state: np.ndarray | None,
    who: list[list[int]],
) -> pl.DataFrame:
    """One schedule as a table (the columns of deterministic_schedule): per task its start and
    finish (working days, NaN: never ran), the kernel's state (None: every task that ran
    succeeded) and the units it held."""
    cal = compiled.calendar
    done_by = compiled.tasks["done_by"].to_list()
    rows = []
    for t, tid in enumerate(compiled.task_ids):
        if (state[t] == STATE_NOT_RUN) if state is not None else np.isnan(start[t]):
            continue
        begin, end = float(start[t]), float(finish[t])
        status = _FIXED_STATUS.get(int(inp.task_fixed[t]), "planned")
        if state is not None and state[t] == STATE_ABANDONED:
            status = "abandoned"  # another approach of its challenge succeeded first
        rows.append(
            {
                "task": tid,
                "project": compiled.tasks["project"][t],
                "status": status,
                "start": begin,
                "finish": end,
                "start_date": cal.day_to_date(begin),
                # Zero-effort work (a milestone) is done on the day it starts, not the day before.
                "finish_date": cal.finish_date(end) if end > begin else cal.day_to_date(begin),
                # Done and failed work held no one in the simulation; say who did it.
                "who": [compiled.unit_ids[u] for u in who[t]] or ([by] if (by := done_by[t]) else []),
            }
        )
    columns: dict[str, pl.DataType | DataTypeClass] = {
        "task": pl.String,
        "project": pl.String,
        "status": pl.String,
        "start": pl.Float64,
        "finish": pl.Float64,
        "start_date": pl.Date,
        "finish_date": pl.Date,
        "who": pl.List(pl.String),
    }
    schema = pl.Schema(columns)
    return pl.DataFrame(rows, schema=schema, orient="row").sort(["start", "task"], maintain_order=True)


def point_sample(compiled: Compiled, registry) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One trial's (effort, success, arrival): point estimates, every task succeeding, hires at their likely day."""
    from teamcast.plugins.manager import checked_values

    effort = np.zeros((1, len(compiled.task_ids)))
    for model, idx, rows in model_groups(compiled, registry):
        effort[0, idx] = (
            checked_values(model, "point", rows) if model.point is not None else rows["est_likely"].to_numpy()
        )
    doing = compiled.inp.task_fixed == FIXED_DOING
    effort[0, doing] = median_remaining(compiled, registry, effort[0])[doing]
    success = np.ones_like(effort, dtype=np.uint8)
    arrival = np.zeros((1, len(compiled.unit_ids)))
    hired = compiled.unit_hire >= 0
    arrival[0, hired] = compiled.plan.hires["tth_likely"].to_numpy()[compiled.unit_hire[hired]]
    return effort, success, arrival


def median_remaining(compiled: Compiled, registry, point: np.ndarray) -> np.ndarray:
    """Per task, the median effort still to spend on work in progress given the effort spent.

    With a model that has cdf and quantile: F^-1(F(s) + (1 - F(s)) / 2) - s, the median of the
    conditional the simulation samples. Otherwise, and past the end of a bounded estimate,
    teamcast's rule as in the simulation: the point estimate less the effort spent, or the point
    less the low estimate when that is nothing (the task as it was at its start).
    """
    from teamcast.plugins.manager import checked_values

    spent = compiled.elapsed
    low = np.nan_to_num(compiled.tasks["est_low"].to_numpy())
    fallback = np.where(point > spent, point - spent, np.maximum(point - low, 0.0))
    out = fallback.copy()
    doing = np.flatnonzero(compiled.inp.task_fixed == FIXED_DOING)
    for model, idx, rows in model_groups(compiled, registry):
        cols = np.flatnonzero(np.isin(idx, doing))
        if not len(cols) or model.cdf is None or model.quantile is None:
            continue
        sub = rows[cols]
        tasks = idx[cols]
        f_spent = checked_values(model, "cdf", sub, spent[tasks][None, :])[0]
        live = f_spent < 1.0 - 1e-12
        q = np.where(live, f_spent + (1.0 - f_spent) * 0.5, 0.5)[None, :]
        median = checked_values(model, "quantile", sub, q)[0]
        out[tasks] = np.where(live, np.maximum(median - spent[tasks], 0.0), fallback[tasks])
    return out
