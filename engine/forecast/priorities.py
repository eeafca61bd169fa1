"""Priority rules applied once per run, from expected durations (never a trial's samples)."""

from __future__ import annotations

import numpy as np

from teamcast.engine.forecast.compile import Compiled, latest_finish_times
from teamcast.engine.forecast.sampling import model_groups
from teamcast.errors import SimulationError
from teamcast.ext.kernel import FIXED_DOING, FIXED_DONE, KernelInput

DEFAULT_PRIORITY = "value"


def expected_durations(compiled: Compiled, registry) -> np.ndarray:
    """Expected working days per task (mean effort / capacity of a named person), from the models only."""
    from teamcast.plugins.manager import checked_values

    expected = np.zeros(len(compiled.task_ids))
    for model, idx, rows in model_groups(compiled, registry):
        expected[idx] = checked_values(model, "mean", rows)
    inp = compiled.inp
    named = inp.task_unit >= 0
    expected[named] /= inp.unit_capacity[inp.task_unit[named]]
    doing = inp.task_fixed == FIXED_DOING
    expected[doing] = np.maximum(expected[doing] - compiled.elapsed[doing], 0.0)
    expected[inp.task_fixed >= FIXED_DONE] = 0.0
    return expected


def prioritise(compiled: Compiled, registry, rule_name: str) -> KernelInput:
    """Apply a priority rule once per run; it sees expected durations, never a trial's samples."""
    from dataclasses import replace

    from teamcast.plugins.manager import checked_approach_order, checked_order
    from teamcast.plugins.records import PriorityContext

    rule = registry.priority_rule(rule_name)
    expected = expected_durations(compiled, registry)
    lft = latest_finish_times(compiled.inp, expected)
    p_success = compiled.tasks["p_success"].to_numpy()
    value = compiled.project_value[compiled.inp.task_project]
    ctx = PriorityContext(
        tasks=compiled.tasks,
        expected=expected,
        lft=lft,
        p_success=p_success,
        value=value,
        challenges=compiled.plan.challenges,
    )
    inp = replace(compiled.inp, prio_order=checked_order(rule, ctx))
    if rule.approach_order is not None:
        inp = reorder_approaches(inp, checked_approach_order(rule, ctx), compiled)
    return inp


def reorder_approaches(inp: KernelInput, orders: dict, compiled: Compiled) -> KernelInput:
    """Apply a new order of trying the approaches of challenges: {challenge id: task ids or indices}."""
    from dataclasses import replace

    chal_tasks = inp.chal_tasks.copy()
    pos = inp.task_approach_pos.copy()
    index = {tid: i for i, tid in enumerate(compiled.task_ids)}
    for c, cid in enumerate(compiled.challenge_ids):
        if cid not in orders:
            continue
        members = [index[t] if isinstance(t, str) else int(t) for t in orders[cid]]
        lo, hi = inp.chal_ptr[c], inp.chal_ptr[c + 1]
        if sorted(members) != sorted(chal_tasks[lo:hi].tolist()):
            raise SimulationError(f"priority rule reordered challenge {cid} with other tasks")
        chal_tasks[lo:hi] = members
        for k, t in enumerate(members):
            pos[t] = k
    return replace(inp, chal_tasks=chal_tasks, task_approach_pos=pos)
