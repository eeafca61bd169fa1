"""The Monte Carlo driver: sample with the estimator plugins, schedule with the kernel, aggregate.

A forecast depends on the plan, the seed and the trial count only: random streams belong to
fixed blocks of trials (teamcast.engine.forecast.sampling), and the aggregates are kept in
trial order (teamcast.engine.forecast.aggregate), whatever the chunk size, thread count or
executor.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from teamcast.engine.forecast.aggregate import Aggregates
from teamcast.engine.forecast.compile import Compiled, compile_plan
from teamcast.engine.forecast.priorities import DEFAULT_PRIORITY, prioritise
from teamcast.engine.forecast.progress import apply_reevaluation, reevaluate
from teamcast.engine.forecast.result import Forecast
from teamcast.engine.forecast.sampling import BLOCK, Sampler
from teamcast.engine.plan.model import Plan
from teamcast.errors import CancelledError, SimulationError
from teamcast.ext.kernel import KernelOutput, run_chunk

CHUNK_CELLS = 2_000_000  # trials x tasks per chunk: ~16 MB per float64 array

ProgressCallback = Callable[[int, int], None]

# The kernel's output arrays of the last run (at most one chunk's: ~CHUNK_CELLS x 18 bytes), for
# the next run to write into: fresh arrays of that size cost the kernel a page fault per page
# (~3 ms of a 10,000-trial run of 200 tasks). Nothing a forecast holds points into them: add
# copies what it keeps. A run takes them (or allocates) and gives them back when it ends.
_spare: list[KernelOutput] = []
_spare_lock = threading.Lock()


def simulate(
    plan: Plan | Compiled,
    *,
    trials: int = 10_000,
    seed: int = 0,
    priority: str | None = None,
    modifiers: Sequence[str] = (),
    threads: int = 1,
    chunk_trials: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: Callable[[], bool] | None = None,
    registry=None,
    executor: str | None = None,
    jobs: int = 1,
    sensitivity: bool = True,
    tasks: bool = True,
) -> Forecast:
    """Run `trials` Monte Carlo trials of a validated plan and summarise them.

    With `executor` ("local" with `jobs` processes, or "dask://HOST:PORT"), the blocks of
    trials are split into parts that run elsewhere; the parts' aggregates merge exactly, so
    the forecast is identical to a run in this process. `sensitivity=False` skips the
    duration-finish rank correlations (reported as NaN), which sweeps do not use; `tasks=False`
    leaves the per-task frame empty (sweeps report projects and people only).
    """
    from teamcast.plugins.manager import get_registry

    if trials < 1:
        raise SimulationError(f"trials must be at least 1, got {trials}")
    if seed < 0:
        raise SimulationError(f"seed must be a non-negative integer, got {seed}")
    registry = registry or get_registry()
    run = _Run(plan if isinstance(plan, Compiled) else compile_plan(plan), registry, trials, seed, priority, modifiers)
    n_blocks = -(-trials // BLOCK)
    if executor is None:
        agg = run.blocks(range(n_blocks), threads=threads, chunk_trials=chunk_trials, progress=progress, cancel=cancel)
    else:
        from teamcast.engine.forecast.executors import make_executor

        plan_frames = run.compiled.plan
        parts = _split(n_blocks, max(jobs, 1) * 2)
        with make_executor(executor, jobs) as ex:
            partials = ex.map_calls(
                _run_part,
                [(plan_frames, trials, seed, priority, tuple(modifiers), threads, part) for part in parts],
                None if progress is None else lambda done, total: progress(min(done * trials // total, trials), trials),
            )
        agg = Aggregates.merge(run.compiled, trials, partials)
    forecast = agg.result(
        seed=seed, priority=run.priority, modifiers=tuple(modifiers), sensitivity=sensitivity, tasks=tasks
    )
    forecast.reevaluated = run.updates
    forecast.calendar = run.compiled.calendar  # dates of the unconditional figures
    return forecast


def _split(n_blocks: int, parts: int) -> list[range]:
    size = max(1, -(-n_blocks // parts))
    return [range(b, min(b + size, n_blocks)) for b in range(0, n_blocks, size)]


def _run_part(plan, trials, seed, priority, modifiers, threads, blocks) -> Aggregates:
    """One part of a split run, on a worker: the aggregates of `blocks`, without the plan."""
    from teamcast.plugins.manager import get_registry

    run = _Run(compile_plan(plan), get_registry(), trials, seed, priority, modifiers)
    agg = run.blocks(blocks, threads=threads)
    agg.c = None  # the caller has the plan; do not ship it back
    return agg


class _Run:
    """Everything fixed for a run: the compiled plan after re-evaluation, priorities, the sampler."""

    def __init__(self, compiled: Compiled, registry, trials: int, seed: int, priority, modifiers):
        self.priority = priority or DEFAULT_PRIORITY
        self.updates = reevaluate(compiled, registry)
        self.compiled = apply_reevaluation(compiled, self.updates)
        self.inp = prioritise(self.compiled, registry, self.priority)
        self.sampler = Sampler(self.compiled, registry, modifiers)
        self.trials = trials
        self.seed = seed

    def blocks(self, blocks: range, *, threads: int = 1, chunk_trials: int | None = None, progress=None, cancel=None):
        """Aggregates over `blocks` (a range of block numbers), run chunk by chunk."""
        if chunk_trials is None:
            chunk_trials = CHUNK_CELLS // max(len(self.compiled.task_ids), 1)
        chunk_blocks = max(1, chunk_trials // BLOCK)
        # A plan so wide that one block is more than a chunk: the kernel takes the block's trials
        # a slice at a time, so its outputs stay chunk-sized (the samples are one block's).
        step = max(1, min(chunk_trials, BLOCK)) if chunk_trials < BLOCK else None
        trials = self.trials
        agg = Aggregates(self.compiled, trials, blocks)
        with _spare_lock:  # the kernel's output arrays, reused by the next chunk once aggregated
            out = _spare.pop() if _spare else None
        for first_block in range(blocks.start, blocks.stop, chunk_blocks):
            if cancel is not None and cancel():
                raise CancelledError("the forecast was cancelled")
            chunk = range(first_block, min(first_block + chunk_blocks, blocks.stop))
            sizes = [min(BLOCK, trials - b * BLOCK) for b in chunk]
            effort, success, arrival = self.sampler.blocks(self.seed, chunk.start, sizes)
            n = effort.shape[0]
            for lo in range(0, n, step or n):
                hi = min(n, lo + (step or n))
                rows = run_chunk(self.inp, effort[lo:hi], success[lo:hi], arrival[lo:hi], threads=threads, out=out)
                agg.add(first_block * BLOCK + lo, rows, arrival[lo:hi])
                if rows.start.base is None:  # new arrays, not the first rows of the last ones
                    out = rows
            if progress is not None:
                progress(min(chunk.stop * BLOCK, trials), trials)
        if out is not None:
            with _spare_lock:
                _spare[:] = [out]
        return agg
