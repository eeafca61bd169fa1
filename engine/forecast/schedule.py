"""One schedule: every duration at its point value, every task succeeding, hires at their likely day."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from teamcast.engine.forecast.compile import Compiled, compile_plan
from teamcast.engine.forecast.priorities import DEFAULT_PRIORITY, prioritise
from teamcast.engine.forecast.sampling import model_groups
from teamcast.engine.plan.model import Plan
from teamcast.ext.kernel import FIXED_DOING, STATE_NOT_RUN, run_chunk, units_held

if TYPE_CHECKING:
    from polars.datatypes import DataTypeClass


def deterministic_schedule(plan: Plan | Compiled, *, priority: str = DEFAULT_PRIORITY, registry=None) -> pl.DataFrame:
    """One schedule with every duration at its point value, every task succeeding, hires at their likely day.

    Columns: task, project, start, finish (working days), start_date, finish_date, who (units held).
    """
    from teamcast.plugins.manager import checked_values, get_registry

    registry = registry or get_registry()
    compiled = plan if isinstance(plan, Compiled) else compile_plan(plan)
    inp = prioritise(compiled, registry, priority)
    effort = np.zeros((1, len(compiled.task_ids)))
    for model, idx, rows in model_groups(compiled, registry):
        effort[0, idx] = (
            checked_values(model, "point", rows) if model.point is not None else rows["est_likely"].to_numpy()
        )
    doing = inp.task_fixed == FIXED_DOING
    effort[0, doing] = np.maximum(effort[0, doing] - compiled.elapsed[doing], 0.0)
    success = np.ones_like(effort, dtype=np.uint8)
    arrival = np.zeros((1, len(compiled.unit_ids)))
    hired = compiled.unit_hire >= 0
    arrival[0, hired] = compiled.plan.hires["tth_likely"].to_numpy()[compiled.unit_hire[hired]]
    out = run_chunk(inp, effort, success, arrival, threads=1, units=True)
    assert out.held is not None  # asked for with units=True
    who = units_held(inp, out.held[0])
    cal = compiled.calendar
    done_by = compiled.tasks["done_by"].to_list()
    rows = []
    for t, tid in enumerate(compiled.task_ids):
        if out.state[0, t] == STATE_NOT_RUN:
            continue
        start, finish = float(out.start[0, t]), float(out.finish[0, t])
        rows.append(
            {
                "task": tid,
                "project": compiled.tasks["project"][t],
                "start": start,
                "finish": finish,
                "start_date": cal.day_to_date(start),
                "finish_date": cal.finish_date(finish),
                # Done and failed work held no one in the simulation; say who did it.
                "who": [compiled.unit_ids[u] for u in who[t]] or ([by] if (by := done_by[t]) else []),
            }
        )
    columns: dict[str, pl.DataType | DataTypeClass] = {
        "task": pl.String,
        "project": pl.String,
        "start": pl.Float64,
        "finish": pl.Float64,
        "start_date": pl.Date,
        "finish_date": pl.Date,
        "who": pl.List(pl.String),
    }
    schema = pl.Schema(columns)
    return pl.DataFrame(rows, schema=schema, orient="row").sort(["start", "task"], maintain_order=True)
