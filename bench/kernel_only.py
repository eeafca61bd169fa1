"""Time the Cython scheduling kernel alone, without sampling, on the 200-task layered network.

    python bench/kernel_only.py [--trials N] [--tasks T] [--threads 1,2] [--repeat R]
    python bench/kernel_only.py --save FILE.npz    # also keep every output, to compare builds
    python bench/kernel_only.py --check FILE.npz   # and assert the outputs are bit-identical
    python bench/kernel_only.py --kernel OLD.so    # time another build of _kernel (before/after)
    python bench/kernel_only.py --no-resources     # the same network with no pools (precedence only)
    python bench/kernel_only.py --fail 0.1         # each task fails with this chance (skips, ...)

The plan is `networks.layered_dag(tasks)` (role pools 2/2/1, or none with --no-resources) compiled
and prioritised with the "value" rule. Efforts come from a fixed-seed Beta-PERT draw on each task's (low, likely, high)
and are made once, before timing, so only `teamcast.ext._kernel.schedule` is timed: trials run in
chunks of 8192 (the driver's chunk size), the output arrays are allocated outside the clock.
The figure is the best of `--repeat` runs, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

CHUNK = 8192
SEED = 7
OUTPUTS = ("start", "finish", "state", "critical", "proj_finish", "proj_success", "busy")


def kernel_input(tasks: int, resources: bool = True):
    from networks import ROLE_POOLS, layered_dag

    from teamcast.engine.forecast.compile import compile_plan
    from teamcast.engine.forecast.priorities import prioritise
    from teamcast.plugins.manager import get_registry

    compiled = compile_plan(layered_dag(tasks, role_pools=ROLE_POOLS if resources else None))
    return compiled, prioritise(compiled, get_registry(), "value")


def pert_efforts(compiled, trials: int) -> np.ndarray:
    """Beta-PERT efforts (lambda 4), one row per trial, from a fixed seed."""
    low = compiled.tasks["est_low"].to_numpy()
    likely = compiled.tasks["est_likely"].to_numpy()
    high = compiled.tasks["est_high"].to_numpy()
    span = np.where(high > low, high - low, 1.0)
    alpha = 1 + 4 * (likely - low) / span
    beta = 1 + 4 * (high - likely) / span
    rng = np.random.default_rng(SEED)
    return low + rng.beta(alpha, beta, size=(trials, len(low))) * (high - low)


def outputs(inp, n: int) -> dict[str, np.ndarray]:
    t, u, p = inp.n_tasks, inp.n_units, inp.n_projects
    return {
        "start": np.full((n, t), np.nan),
        "finish": np.full((n, t), np.nan),
        "state": np.zeros((n, t), np.uint8),
        "critical": np.zeros((n, t), np.uint8),
        "proj_finish": np.full((n, p), np.nan),
        "proj_success": np.zeros((n, p), np.uint8),
        "busy": np.zeros((n, u), np.float64),
    }


def load_kernel(path: Path | None):
    """The built kernel, or another build of it (a copy of an older _kernel*.so) to compare."""
    if path is None:
        from teamcast.ext import _kernel

        return _kernel
    import importlib.util

    # The module's init function is PyInit__kernel, so it must be loaded under the name _kernel.
    spec = importlib.util.spec_from_file_location("_kernel", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_all(_kernel, inp, effort, success, arrival, threads: int) -> tuple[float, dict[str, np.ndarray]]:
    """Seconds spent inside the kernel over all chunks, and the outputs of every trial."""
    from teamcast.ext.kernel import _DTYPES

    plan_arrays = {name: getattr(inp, name) for name in _DTYPES}
    n = effort.shape[0]
    out = outputs(inp, n)
    spent = 0.0
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        # Slices of C-contiguous rows stay C-contiguous, so the kernel writes straight into `out`.
        views = {name: arr[lo:hi] for name, arr in out.items()}
        began = time.perf_counter()
        _kernel.schedule(
            **plan_arrays,
            effort=effort[lo:hi],
            success=success[lo:hi],
            arrival=arrival[lo:hi],
            **views,
            n_threads=threads,
        )
        spent += time.perf_counter() - began
    return spent, out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=100_000)
    ap.add_argument("--tasks", type=int, default=200)
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--save", type=Path, help="write the outputs (of the first thread count) here")
    ap.add_argument("--check", type=Path, help="assert the outputs equal these saved ones, bit for bit")
    ap.add_argument("--kernel", type=Path, help="a _kernel*.so to time instead of the built one")
    ap.add_argument("--no-resources", action="store_true", help="the network without role pools")
    ap.add_argument("--fail", type=float, default=0.0, help="chance that a task fails (fixed seed)")
    args = ap.parse_args(argv)

    _kernel = load_kernel(args.kernel)
    compiled, inp = kernel_input(args.tasks, resources=not args.no_resources)
    effort = pert_efforts(compiled, args.trials)
    # Its own generator, so the efforts stay those of runs without --fail.
    fails = np.random.default_rng(SEED + 1).random((args.trials, inp.n_tasks)) < args.fail
    success = (~fails).astype(np.uint8)
    arrival = np.zeros((args.trials, inp.n_units), np.float64)
    task_trials = args.trials * inp.n_tasks
    print(
        f"{inp.n_tasks} tasks, {inp.n_units} units, {args.trials:,} trials in chunks of {CHUNK}, "
        f"OpenMP {'on' if _kernel.openmp_enabled() else 'off'}"
    )
    first = None
    for threads in (int(x) for x in args.threads.split(",")):
        best = float("inf")
        for _ in range(args.repeat):
            spent, out = run_all(_kernel, inp, effort, success, arrival, threads)
            best = min(best, spent)
            first = first or out
            _compare(first, out, f"threads={threads}")
        print(
            f"threads {threads}: {best * 1e9 / task_trials:6.1f} ns per task-trial, "
            f"{task_trials / best / 1e6:6.1f} M task-trials/s"
        )
    if args.save:
        np.savez_compressed(args.save, **first)
    if args.check:
        with np.load(args.check) as saved:
            _compare({k: saved[k] for k in OUTPUTS}, first, str(args.check))
        print(f"outputs bit-identical to {args.check}")


def _compare(expected: dict[str, np.ndarray], got: dict[str, np.ndarray], what: str) -> None:
    for name in OUTPUTS:
        a, b = expected[name], got[name]
        # Compare raw bytes: NaN == NaN and -0.0 != 0.0, which is what "the same bits" means.
        if a.shape != b.shape or a.tobytes() != b.tobytes():
            raise SystemExit(f"{name} differs from {what}")


if __name__ == "__main__":
    main()
