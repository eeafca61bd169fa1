"""Typed wrapper around the Cython scheduling kernel: the array contract of docs/simulation.md.

`run_chunk` is the Python boundary: it checks shapes, dtypes and index ranges, allocates the
outputs (or reuses a previous chunk's) and hands plain contiguous arrays to
`teamcast.ext._kernel.schedule`. `run_projects` is the optimiser's cheaper call: only the
projects' finish and success, which is all its objectives read.
"""

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

    def hold_ptr(self) -> np.ndarray:
        """Where each task's held units sit in a row of `KernelOutput.held`: task i's are
        held[:, hold_ptr[i]:hold_ptr[i + 1]] (a named person first, then each demand's units)."""
        demanded = np.concatenate([[0], np.cumsum(self.dem_count, dtype=np.int64)])
        slots = (self.task_unit >= 0).astype(np.int64) + demanded[self.dem_ptr[1:]] - demanded[self.dem_ptr[:-1]]
        return np.concatenate([[0], np.cumsum(slots)]).astype(np.int64)

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
    held: np.ndarray | None = None  # (n, slots) units each task held, -1 where none; with units=True

    def rows(self, n: int) -> KernelOutput | None:
        """The first `n` trials' rows (views), or None when this output has fewer rows."""
        if self.start.shape[0] < n:
            return None
        return KernelOutput(
            self.start[:n],
            self.finish[:n],
            self.state[:n],
            self.critical[:n],
            self.proj_finish[:n],
            self.proj_success[:n],
            self.busy[:n],
            None if self.held is None else self.held[:n],
        )


@dataclass
class ProjectOutput:
    """Per-trial project results only (`run_projects`): what the optimiser's objectives read."""

    proj_finish: np.ndarray  # (n, projects) float64: latest finish of the project's tasks that ran
    proj_success: np.ndarray  # (n, projects) uint8


def units_held(inp: KernelInput, held_row: np.ndarray) -> list[list[int]]:
    """One trial's `held` row as the list of units each task held (empty where it held none)."""
    ptr = inp.hold_ptr()
    return [[int(u) for u in held_row[ptr[t] : ptr[t + 1]] if u >= 0] for t in range(inp.n_tasks)]


def openmp_available() -> bool:
    """Whether the compiled kernel can spread a chunk's trials over several threads."""
    from teamcast.ext import _kernel

    return bool(_kernel.openmp_enabled())


def max_threads() -> int:
    """The most threads `run_chunk` will use (1 when built without OpenMP)."""
    from teamcast.ext import _kernel

    return int(_kernel.max_threads())


def run_chunk(
    inp: KernelInput,
    effort: np.ndarray,
    success: np.ndarray,
    arrival: np.ndarray,
    *,
    threads: int = 1,
    units: bool = False,
    out: KernelOutput | None = None,
) -> KernelOutput:
    """Schedule one chunk of trials: row `k` of each sample array is trial `k`.

    `effort` is (n, T) float64, `success` (n, T) 0/1, `arrival` (n, U) float64. Results do
    not depend on `threads`. With `units`, the output's `held` says which units each task
    held (see KernelInput.hold_ptr). `out`, a previous chunk's output of the same plan that
    the caller no longer needs, is overwritten (its first n rows) instead of allocating new
    arrays. Raises ValueError when an array does not fit the plan.
    """
    from teamcast.ext import _kernel

    effort, success, arrival = _checked(inp, effort, success, arrival, threads)
    n, n_tasks = effort.shape
    reused = out.rows(n) if out is not None and (out.held is not None) == units else None
    if reused is not None and reused.start.shape[1] == n_tasks and reused.busy.shape[1] == inp.n_units:
        out = reused
    else:
        # Uninitialised: the kernel writes every entry of every row.
        out = KernelOutput(
            start=np.empty((n, n_tasks)),
            finish=np.empty((n, n_tasks)),
            state=np.empty((n, n_tasks), np.uint8),
            critical=np.empty((n, n_tasks), np.uint8),
            proj_finish=np.empty((n, inp.n_projects)),
            proj_success=np.empty((n, inp.n_projects), np.uint8),
            busy=np.empty((n, inp.n_units), np.float64),
            held=np.empty((n, int(inp.hold_ptr()[-1])), np.int32) if units else None,
        )
    _kernel.schedule(
        **{name: getattr(inp, name) for name in _DTYPES},
        effort=effort,
        success=success,
        arrival=arrival,
        start=out.start,
        finish=out.finish,
        state=out.state,
        critical=out.critical,
        proj_finish=out.proj_finish,
        proj_success=out.proj_success,
        busy=out.busy,
        n_threads=threads,
        held=out.held,
    )
    return out


def run_projects(
    inp: KernelInput,
    effort: np.ndarray,
    success: np.ndarray,
    arrival: np.ndarray,
    *,
    threads: int = 1,
    check: bool = True,
) -> ProjectOutput:
    """`run_chunk`'s proj_finish and proj_success only, and faster: the kernel keeps per-task
    rows to itself and works out no causes or binding chains. The numbers are run_chunk's.

    `check=False` skips the plan's index checks, for a caller that checked this plan with
    `check_input` and changed only what it validated itself (the optimiser's orders).
    """
    from teamcast.ext import _kernel

    effort, success, arrival = _checked(inp, effort, success, arrival, threads, check)
    n = effort.shape[0]
    out = ProjectOutput(np.empty((n, inp.n_projects)), np.empty((n, inp.n_projects), np.uint8))
    _kernel.schedule(
        **{name: getattr(inp, name) for name in _DTYPES},
        effort=effort,
        success=success,
        arrival=arrival,
        start=None,
        finish=None,
        state=None,
        critical=None,
        proj_finish=out.proj_finish,
        proj_success=out.proj_success,
        busy=None,
        n_threads=threads,
        detail=False,
    )
    return out


def check_input(inp: KernelInput) -> None:
    """Raise ValueError where the plan's arrays would make the kernel read out of bounds."""
    _check_plan(inp)


def _checked(inp, effort, success, arrival, threads, check=True):
    """The sample arrays as the kernel takes them, after checking them (and the plan) against each other."""
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    if check:
        _check_plan(inp)
    n_tasks, n_units = inp.n_tasks, inp.n_units
    effort = _sample_array("effort", effort, np.float64, n_tasks, "tasks")
    n = effort.shape[0]
    success = _sample_array("success", success, np.uint8, n_tasks, "tasks", n)
    arrival = _sample_array("arrival", arrival, np.float64, n_units, "units", n)
    return effort, success, arrival


def _sample_array(name, arr, dtype, width, what, n=None) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.dtype == np.bool_ and dtype == np.uint8:
        arr = arr.view(np.uint8)
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if arr.ndim != 2 or arr.shape[1] != width or (n is not None and arr.shape[0] != n):
        rows = "n" if n is None else str(n)
        raise ValueError(f"{name} must have shape ({rows}, {width}) (trials × {what}), got {arr.shape}")
    return arr


def _check_plan(inp: KernelInput) -> None:
    """Reject inputs that would make the kernel read out of bounds; semantics are the compiler's."""
    t, c, u, k, p = inp.n_tasks, inp.n_challenges, inp.n_units, inp.n_pools, inp.n_projects
    _check_csr("pred", inp.pred_ptr, inp.pred_idx, t, 0, t + c)
    _check_csr("succ", inp.succ_ptr, inp.succ_idx, t + c, 0, t)
    _check_csr("chal", inp.chal_ptr, inp.chal_tasks, c, 0, t)
    _check_csr("dem", inp.dem_ptr, inp.dem_pool, t, 0, k)
    _check_csr("pool", inp.pool_ptr, inp.pool_units, k, 0, u)
    per_task = {
        "task_project": (0, p),
        "task_challenge": (-1, c),
        "task_approach_pos": (-1, t),
        "task_unit": (-1, u),
        "task_fixed": (0, 4),
        "fixed_start": None,
        "fixed_finish": None,
        "prio_order": (0, t),
    }
    for name, bounds in per_task.items():
        _check_values(name, getattr(inp, name), t, bounds)
    for name, bounds in {"chal_strategy": (0, 2), "chal_project": (0, p)}.items():
        _check_values(name, getattr(inp, name), c, bounds)
    for name, bounds in {
        "unit_pool": (0, k),
        "unit_capacity": None,
        "unit_ramp_days": None,
        "unit_ramp_prod": None,
    }.items():
        _check_values(name, getattr(inp, name), u, bounds)
    if inp.dem_count.shape != inp.dem_pool.shape or (inp.dem_count < 0).any():
        raise ValueError("dem_count must match dem_pool and hold counts >= 0")
    if not np.array_equal(np.sort(inp.prio_order), np.arange(t)):
        raise ValueError("prio_order must list every task exactly once")
    approach = np.flatnonzero(inp.task_challenge >= 0)
    pos = inp.task_approach_pos[approach]
    first = inp.chal_ptr[inp.task_challenge[approach]]
    size = inp.chal_ptr[inp.task_challenge[approach] + 1] - first
    if (pos < 0).any() or (pos >= size).any() or (inp.chal_tasks[first + pos] != approach).any():
        raise ValueError("task_challenge/task_approach_pos must point at the task in chal_tasks")


def _check_csr(name, ptr, idx, rows, lo, hi) -> None:
    if ptr.shape != (rows + 1,) or ptr[0] != 0 or ptr[-1] != idx.shape[0] or (np.diff(ptr) < 0).any():
        raise ValueError(f"{name}_ptr must have {rows + 1} non-decreasing offsets from 0 to {idx.shape[0]}")
    if idx.size and (idx.min() < lo or idx.max() >= hi):
        raise ValueError(f"{name} indices must lie in [{lo}, {hi})")


def _check_values(name, arr, length, bounds) -> None:
    if arr.shape != (length,):
        raise ValueError(f"{name} must have shape ({length},), got {arr.shape}")
    if bounds is not None and arr.size and (arr.min() < bounds[0] or arr.max() >= bounds[1]):
        raise ValueError(f"{name} values must lie in [{bounds[0]}, {bounds[1]})")
