"""Generated plans for the benchmarks: deterministic random layered DAGs with PERT estimates.

The same (tasks, seed) always gives the same plan, so figures from different runs and machines
compare like with like.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from teamcast.engine.plan.model import Plan, frame

START = dt.date(2027, 1, 4)
SEED = 2027
# The three role pools of workload (b): two ML engineers, two data engineers, one researcher.
ROLE_POOLS = {"ml_engineer": 2, "data_engineer": 2, "ml_researcher": 1}


def layered_dag(
    tasks: int,
    *,
    seed: int = SEED,
    role_pools: dict[str, int] | None = ROLE_POOLS,
    max_preds: int = 3,
) -> Plan:
    """A plan of `tasks` tasks in about sqrt(tasks) layers; each task after the first layer waits for
    1..max_preds tasks of the two layers above it.  Estimates are PERT triples (likely 2..10 days,
    low 50-90 % of it, high 120-300 %).  With `role_pools`, roles are assigned round-robin and each
    role is a pool of that many people; with None, tasks need no one (precedence only)."""
    rng = np.random.default_rng(seed)
    layers = _layers(tasks, rng)
    likely = rng.integers(2, 11, size=tasks).astype(float)
    low = np.round(likely * rng.uniform(0.5, 0.9, size=tasks), 1)
    high = np.round(likely * rng.uniform(1.2, 3.0, size=tasks), 1)
    roles = list(role_pools or {})
    rows = []
    for i in range(tasks):
        rows.append(
            {
                "id": f"t{i}",
                "project": "net",
                "est_form": "range",
                "est_low": float(low[i]),
                "est_likely": float(likely[i]),
                "est_high": float(high[i]),
                "role": roles[i % len(roles)] if roles else None,
                "after": _predecessors(i, layers, max_preds, rng),
            }
        )
    people = [
        {"id": f"{role}-{k}", "name": f"{role} {k}", "role": role, "capacity": 1.0}
        for role, count in (role_pools or {}).items()
        for k in range(1, count + 1)
    ]
    return Plan(
        plan=frame("plan", [{"name": f"layered-{tasks}", "start": START, "default_model": "pert"}]),
        people=frame("people", people),
        projects=frame("projects", [{"id": "net", "name": f"Layered network of {tasks} tasks"}]),
        tasks=frame("tasks", rows),
    )


def _layers(tasks: int, rng: np.random.Generator) -> list[list[int]]:
    """Consecutive task indices split into layers of random width around sqrt(tasks)."""
    mean_width = max(1, round(math.sqrt(tasks)))
    layers, first = [], 0
    while first < tasks:
        width = int(rng.integers(max(1, mean_width // 2), mean_width * 3 // 2 + 1))
        layers.append(list(range(first, min(tasks, first + width))))
        first += width
    return layers


def _predecessors(task: int, layers: list[list[int]], max_preds: int, rng: np.random.Generator) -> list[str] | None:
    level = next(k for k, layer in enumerate(layers) if layer[0] <= task <= layer[-1])  # layers are ranges
    if level == 0:
        return None
    pool = layers[level - 1] + (layers[level - 2] if level >= 2 else [])
    count = int(rng.integers(1, min(max_preds, len(pool)) + 1))
    return [f"t{p}" for p in sorted(rng.choice(pool, size=count, replace=False).tolist())]
