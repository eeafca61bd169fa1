"""The serial scheme of `teamcast optimise --deterministic`: activity lists scheduled one task at a time.

The kernel dispatches in parallel (nobody waits while ready work fits), which only reaches
non-delay schedules; on many PSPLIB instances no non-delay schedule is optimal. With one
deterministic future, the optimiser can instead schedule each candidate with the serial scheme
(teamcast.ext.serial): the candidate's order is an activity list, each task starts at the
earliest time its predecessors and the free units allow, after every task listed before it.
Searches also get forward-backward improvement (`justify`).

The serial scheme covers plans whose units within a pool are interchangeable: no task names
its assignee, no challenge has alternative approaches, no failed work, and the units of a pool
all have the same capacity and no ramp-up. `serial_problem` says why when a plan is outside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from teamcast.ext.kernel import FIXED_DOING, FIXED_DONE, FIXED_FAILED, FIXED_TODO, KernelInput
from teamcast.ext.serial import MODE_LIST, MODE_PINNED, MODE_SKIP, SerialProblem

if TYPE_CHECKING:
    import polars as pl

    from teamcast.engine.forecast.compile import Compiled


@dataclass
class SerialOutput:
    """What the objectives read from one serial schedule, shaped like the kernel's output (one trial)."""

    start: np.ndarray  # (1, T)
    finish: np.ndarray  # (1, T)
    proj_finish: np.ndarray  # (1, P)
    proj_success: np.ndarray  # (1, P)


def serial_problem(inp: KernelInput, effort: np.ndarray, arrival: np.ndarray) -> SerialProblem | str:
    """The serial scheme's view of one future (`effort` per task, `arrival` per unit), or why there is none."""
    n = inp.n_tasks
    open_ = (inp.task_fixed == FIXED_TODO) | (inp.task_fixed == FIXED_DOING)
    if np.any(inp.task_fixed == FIXED_FAILED):
        return "the plan has failed work (its dependants are skipped)"
    if np.any(open_ & (inp.task_unit >= 0)):
        return "a task names who does it (the serial scheme treats a pool's units as interchangeable)"
    sizes = np.diff(inp.chal_ptr)
    if np.any(sizes > 1):
        return "a challenge has alternative approaches (which run depends on the dispatch)"
    cap = np.asarray(inp.unit_capacity)
    ramps = (np.asarray(inp.unit_ramp_days) > 0) & (np.asarray(inp.unit_ramp_prod) < 1)
    pool_units = [[int(u) for u in inp.pool_units[inp.pool_ptr[k] : inp.pool_ptr[k + 1]]] for k in range(inp.n_pools)]
    demands: list[list[tuple[int, int]]] = []
    duration = np.zeros(n)
    for j in range(n):
        merged: dict[int, int] = {}
        for d in range(inp.dem_ptr[j], inp.dem_ptr[j + 1]):
            merged[int(inp.dem_pool[d])] = merged.get(int(inp.dem_pool[d]), 0) + int(inp.dem_count[d])
        demands.append(sorted(merged.items()))
        rate = 1.0
        if open_[j]:
            for k in merged:
                units = pool_units[k]
                if len(set(cap[units].tolist())) > 1 or np.any(ramps[units]):
                    return f"the units of a pool differ in capacity or ramp-up (pool {k})"
                rate = min(rate, float(cap[units[0]])) if units else rate
        # The kernel's arithmetic: a task of effort E at a constant rate r takes E / r.
        duration[j] = effort[j] / rate if effort[j] > 0 else 0.0
    preds: list[list[int]] = []
    for j in range(n):
        found: list[int] = []
        for p in inp.pred_idx[inp.pred_ptr[j] : inp.pred_ptr[j + 1]]:
            if p < n:
                found.append(int(p))
            else:  # a challenge with one approach stands for that approach
                c = int(p) - n
                found += [int(a) for a in inp.chal_tasks[inp.chal_ptr[c] : inp.chal_ptr[c + 1]]]
        preds.append(sorted(set(found)))
    mode = np.where(inp.task_fixed == FIXED_DOING, MODE_PINNED, MODE_LIST)
    mode = np.where(inp.task_fixed == FIXED_DONE, MODE_SKIP, mode)
    return SerialProblem(duration, preds, demands, pool_units, np.asarray(arrival, dtype=np.float64), mode)


class SerialScheme:
    """Serial schedules of activity lists on one future, shaped for the optimiser's objectives."""

    def __init__(self, inp: KernelInput, problem: SerialProblem):
        self.inp = inp
        self.problem = problem

    def output(self, order: np.ndarray) -> SerialOutput:
        """The serial schedule of `order` with project finishes (done work at its recorded finish)."""
        inp = self.inp
        start, _ = self.problem.forward(order)
        finish = start + self.problem.duration
        done = inp.task_fixed == FIXED_DONE
        start = np.where(done, inp.fixed_start, start)
        finish = np.where(done, inp.fixed_finish, finish)
        proj_finish = np.full(inp.n_projects, np.nan)
        for j in range(inp.n_tasks):
            p = int(inp.task_project[j])
            if not np.isnan(finish[j]) and not finish[j] <= proj_finish[p]:
                proj_finish[p] = finish[j]
        return SerialOutput(start[None], finish[None], proj_finish[None], np.ones((1, inp.n_projects), np.uint8))

    def justify(self, order: np.ndarray) -> np.ndarray:
        return self.problem.justify(order)

    @property
    def schedules(self) -> int:
        return self.problem.schedules


def serial_table(compiled: Compiled, scheme: SerialScheme, order) -> pl.DataFrame:
    """The serial schedule of `order` in the columns of `teamcast schedule` (see schedule_table)."""
    from teamcast.engine.forecast.schedule import schedule_table

    out = scheme.output(np.asarray(order, dtype=np.int32))
    held = scheme.problem.units(np.where(scheme.inp.task_fixed == FIXED_DONE, np.nan, out.start[0]))
    return schedule_table(compiled, scheme.inp, out.start[0], out.finish[0], None, held)


__all__ = ["SerialOutput", "SerialScheme", "serial_problem", "serial_table"]
