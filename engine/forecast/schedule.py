"""One schedule: every duration at its point value, every task succeeding, hires at their likely day."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from teamcast.engine.forecast.compile import Compiled, compile_plan
from teamcast.engine.forecast.priorities import DEFAULT_PRIORITY, prioritise, reorder_approaches
from teamcast.engine.forecast.sampling import model_groups
from teamcast.engine.plan.model import Plan
from teamcast.ext.kernel import FIXED_DOING, FIXED_DONE, STATE_NOT_RUN, KernelInput, run_chunk


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
    `teamcast optimise` found them. Columns: task, project, start, finish (working days),
    start_date, finish_date, who (units held).
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
    out = run_chunk(inp, effort, success, arrival, threads=1)
    who = assign_units(inp, out.start[0], out.finish[0], out.state[0], arrival[0])
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
    schema = pl.Schema(
        {
            "task": pl.String,
            "project": pl.String,
            "start": pl.Float64,
            "finish": pl.Float64,
            "start_date": pl.Date,
            "finish_date": pl.Date,
            "who": pl.List(pl.String),
        }
    )
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
    effort[0, doing] = np.maximum(effort[0, doing] - compiled.elapsed[doing], 0.0)
    success = np.ones_like(effort, dtype=np.uint8)
    arrival = np.zeros((1, len(compiled.unit_ids)))
    hired = compiled.unit_hire >= 0
    arrival[0, hired] = compiled.plan.hires["tth_likely"].to_numpy()[compiled.unit_hire[hired]]
    return effort, success, arrival


def assign_units(
    inp: KernelInput, start: np.ndarray, finish: np.ndarray, state: np.ndarray, arrival: np.ndarray
) -> list[list[int]]:
    """Which units each task of one trial held, replaying the kernel's unit rule (docs/simulation.md, step 4).

    The kernel reports times only; the units follow from them because the rule is
    deterministic: at each start time, completions free their units first, then tasks take
    the lowest free units in the order the dispatch started them (work in progress first,
    then priority order).
    """
    n_tasks = inp.n_tasks
    rank = np.empty(n_tasks, dtype=np.int64)
    rank[inp.prio_order] = np.arange(n_tasks)
    started = [t for t in range(n_tasks) if not np.isnan(start[t]) and inp.task_fixed[t] < FIXED_DONE]
    started.sort(key=lambda t: (start[t], 0 if inp.task_fixed[t] == FIXED_DOING else 1, rank[t]))
    held_until = np.full(inp.n_units, -np.inf)
    held_from = np.full(inp.n_units, -np.inf)
    who: list[list[int]] = [[] for _ in range(n_tasks)]
    for t in started:
        s = start[t]
        taken: list[int] = []
        if inp.task_unit[t] >= 0:
            taken.append(int(inp.task_unit[t]))
        for d in range(inp.dem_ptr[t], inp.dem_ptr[t + 1]):
            pool, count = inp.dem_pool[d], inp.dem_count[d]
            members = inp.pool_units[inp.pool_ptr[pool] : inp.pool_ptr[pool + 1]]
            free = [int(u) for u in members if _free(u, s, held_until, held_from, arrival) and int(u) not in taken]
            taken.extend(free[:count])
        for u in taken:
            held_until[u] = finish[t]
            held_from[u] = s
        who[t] = taken
    return who


def _free(u, s, held_until, held_from, arrival) -> bool:
    # A unit taken at this very instant is busy even if its task takes no time.
    return arrival[u] <= s and (held_until[u] < s or (held_until[u] == s and held_from[u] < s))
