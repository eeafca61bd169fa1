"""Typed wrapper around the Cython scheduling kernel: the array contract of docs/simulation.md."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

STATE_NOT_RUN = 0
STATE_SUCCEEDED = 1
STATE_FAILED = 2
STATE_ABANDONED = 3

FIXED_TODO = 0
FIXED_DOING = 1
FIXED_DONE = 2
FIXED_FAILED = 3

STRATEGY_PARALLEL = 0
STRATEGY_SEQUENTIAL = 1

_DTYPES = {
    "pred_ptr": np.int64,
    "pred_idx": np.int32,
    "succ_ptr": np.int64,
    "succ_idx": np.int32,
    "task_project": np.int32,
    "task_challenge": np.int32,
    "task_approach_pos": np.int32,
    "chal_ptr": np.int64,
    "chal_tasks": np.int32,
    "chal_strategy": np.uint8,
    "chal_project": np.int32,
    "dem_ptr": np.int64,
    "dem_pool": np.int32,
    "dem_count": np.int32,
    "task_unit": np.int32,
    "pool_ptr": np.int64,
    "pool_units": np.int32,
    "unit_pool": np.int32,
    "unit_capacity": np.float64,
    "unit_ramp_days": np.float64,
    "unit_ramp_prod": np.float64,
    "task_fixed": np.uint8,
    "fixed_start": np.float64,
    "fixed_finish": np.float64,
    "prio_order": np.int32,
}


@dataclass(frozen=True)
class KernelInput:
    """Everything about a plan the kernel needs that does not change between trials.

    Field meanings are in docs/simulation.md ("Kernel input"). `n_projects` is explicit
    because a project may have no tasks.
    """

    n_projects: int
    pred_ptr: np.ndarray
    pred_idx: np.ndarray
    succ_ptr: np.ndarray
    succ_idx: np.ndarray
    task_project: np.ndarray
    task_challenge: np.ndarray
    task_approach_pos: np.ndarray
    chal_ptr: np.ndarray
    chal_tasks: np.ndarray
    chal_strategy: np.ndarray
    chal_project: np.ndarray
    dem_ptr: np.ndarray
    dem_pool: np.ndarray
    dem_count: np.ndarray
    task_unit: np.ndarray
    pool_ptr: np.ndarray
    pool_units: np.ndarray
    unit_pool: np.ndarray
    unit_capacity: np.ndarray
    unit_ramp_days: np.ndarray
    unit_ramp_prod: np.ndarray
    task_fixed: np.ndarray
    fixed_start: np.ndarray
    fixed_finish: np.ndarray
    prio_order: np.ndarray

    def __post_init__(self):
        for f in fields(self):
            if f.name in _DTYPES:
                arr = np.ascontiguousarray(getattr(self, f.name), dtype=_DTYPES[f.name])
                arr.setflags(write=False)
                object.__setattr__(self, f.name, arr)

    @property
    def n_tasks(self) -> int:
        return int(self.task_project.shape[0])

    @property
    def n_challenges(self) -> int:
        return int(self.chal_strategy.shape[0])

    @property
    def n_units(self) -> int:
        return int(self.unit_pool.shape[0])

    @property
    def n_pools(self) -> int:
        return int(self.pool_ptr.shape[0] - 1)

    def with_priority(self, prio_order: np.ndarray) -> KernelInput:
        from dataclasses import replace

        return replace(self, prio_order=prio_order)


@dataclass
class KernelOutput:
    """Per-trial results of one chunk (shapes in docs/simulation.md, "Outputs")."""

    start: np.ndarray
    finish: np.ndarray
    state: np.ndarray
    critical: np.ndarray
    proj_finish: np.ndarray
    proj_success: np.ndarray
    busy: np.ndarray
