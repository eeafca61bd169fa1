"""Benchmark the teamcast simulation against two baselines and print one table.

    python bench/run.py [--quick] [--only NAME] [--threads N]

Each measurement runs in a fresh child process, so its peak RSS is its own.  Nothing here asserts
anything about time; the figures are for people (see bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 7


@dataclass(frozen=True)
class Workload:
    name: str
    what: str
    trials: tuple[int, ...]  # several counts show how time grows with the trial count
    python_trials: int  # the pure-Python dispatch runs this many and is extrapolated to a rate
    heavy: bool = False  # skipped by --quick


WORKLOADS = [
    Workload("demo", "the bundled demo plan", (10_000,), 500),
    Workload("net200", "200-task layered DAG, role pools 2/2/1", (10_000,), 300),
    Workload("net200-free", "the same DAG, no resources", (10_000,), 300),
    Workload("net1000", "1,000-task layered DAG, role pools 2/2/1", (100_000, 300_000, 1_000_000), 30, heavy=True),
]


def build_plan(name: str):
    sys.path.insert(0, str(HERE))
    from networks import layered_dag

    if name == "demo":
        from teamcast.engine.plan.demo import demo_plan

        return demo_plan()
    if name == "net200":
        return layered_dag(200)
    if name == "net200-free":
        return layered_dag(200, role_pools=None)
    if name == "net1000":
        return layered_dag(1000)
    raise SystemExit(f"unknown workload {name!r}")


def runner(impl: str, threads: int) -> Callable:
    """A function (plan, trials, seed) -> None that runs `trials` trials of the plan with `impl`."""
    sys.path.insert(0, str(HERE))
    import baselines

    if impl == "teamcast":
        # The driver under test; plug another entry point in here to measure it the same way.
        from teamcast.engine.forecast.simulate import simulate

        return lambda plan, trials, seed: simulate(plan, trials=trials, seed=seed, threads=threads)
    if impl == "numpy":
        return lambda plan, trials, seed: baselines.numpy_longest_path(baselines.network_from_plan(plan), trials, seed)
    if impl == "python":
        return lambda plan, trials, seed: baselines.python_sgs_makespans(
            baselines.network_from_plan(plan), trials, seed
        )
    raise SystemExit(f"unknown implementation {impl!r}")


def measure(workload: str, impl: str, trials: int, threads: int) -> dict:
    """Run once in this process; time and memory of the run alone (plan building excluded)."""
    plan = build_plan(workload)
    run = runner(impl, threads)
    # A short first run pays the one-off costs (imports, plugin loading, PERT tables), as the
    # TUI and a sweep pay them once per process; it is reported apart as "first s".
    began = time.perf_counter()
    run(plan, min(trials, 1024), SEED + 1)
    first = time.perf_counter() - began
    rss_before = _peak_rss_mb()
    began = time.perf_counter()
    run(plan, trials, SEED)
    seconds = time.perf_counter() - began
    peak = _peak_rss_mb()
    return {
        "tasks": plan.tasks.height,
        "seconds": seconds,
        "first_s": first,
        "peak_mb": peak,
        "run_mb": peak - rss_before,
    }


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def measure_in_child(workload: str, impl: str, trials: int, threads: int) -> dict:
    args = [sys.executable, __file__, "--measure", workload, impl, str(trials), "--threads", str(threads)]
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": last}
    return json.loads(done.stdout.strip().splitlines()[-1])


@dataclass
class Row:
    workload: str
    impl: str
    trials: int
    result: dict

    @property
    def rate(self) -> float | None:
        if "error" in self.result:
            return None
        return self.result["tasks"] * self.trials / self.result["seconds"]


def run_workload(workload: Workload, threads: int, trials_override: int | None = None) -> list[Row]:
    rows = []
    for trials in (trials_override,) if trials_override else workload.trials:
        for impl in ("teamcast", "numpy"):
            rows.append(Row(workload.name, impl, trials, measure_in_child(workload.name, impl, trials, threads)))
    python = measure_in_child(workload.name, "python", workload.python_trials, threads)
    rows.append(Row(workload.name, "python", workload.python_trials, python))
    return rows


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'workload':<12} {'impl':<10} {'tasks':>6} {'trials':>9} {'first s':>8} {'seconds':>9} {'task-trials/s':>14} "
        f"{'peak MB':>8} {'run +MB':>8} {'x numpy':>8} {'x python':>9}"
    )
    print(header)
    print("-" * len(header))
    numpy_rates = {(r.workload, r.trials): r.rate for r in rows if r.impl == "numpy"}
    python_rates = {r.workload: r.rate for r in rows if r.impl == "python"}
    for row in rows:
        numpy_rate = numpy_rates.get((row.workload, row.trials))
        python_rate = python_rates.get(row.workload)
        name = f"{row.impl}*" if row.impl == "python" else row.impl
        if row.rate is None:
            print(f"{row.workload:<12} {name:<10} unavailable: {row.result['error']}")
            continue
        res = row.result
        vs_numpy = _ratio(row.rate, numpy_rate, row.impl != "numpy")
        vs_python = _ratio(row.rate, python_rate, row.impl != "python")
        print(
            f"{row.workload:<12} {name:<10} {res['tasks']:>6} {row.trials:>9,} {res['first_s']:>8.3f} {res['seconds']:>9.3f} "
            f"{row.rate:>14,.0f} {res['peak_mb']:>8.0f} {res['run_mb']:>8.0f} {vs_numpy:>8} {vs_python:>9}"
        )
    print("\n* the pure-Python dispatch runs far fewer trials; its rate is extrapolated from them.")
    print("  x numpy / x python: this row's task-trials/s divided by the baseline's (same workload).")


def print_growth(rows: list[Row]) -> None:
    """Seconds per 100k trials at each trial count: flat means time grows linearly with trials."""
    for impl in ("teamcast", "numpy"):
        timed = [r for r in rows if r.impl == impl and r.rate is not None]
        if len(timed) > 1:
            per = ", ".join(f"{r.trials:,}: {r.result['seconds'] / r.trials * 1e5:.2f}" for r in timed)
            print(f"{timed[0].workload} {impl}: seconds per 100k trials at {per}")


def _ratio(rate: float, baseline: float | None, wanted: bool) -> str:
    return f"{rate / baseline:.1f}" if wanted and baseline else ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 1,000-task x 1M-trial workload")
    parser.add_argument("--only", choices=[w.name for w in WORKLOADS], help="run one workload")
    parser.add_argument("--threads", type=int, default=1, help="kernel threads for the teamcast runs")
    parser.add_argument(
        "--trials",
        type=int,
        default=None,
        help="run each chosen workload at this trial count (steady state: e.g. 100000)",
    )
    parser.add_argument("--measure", nargs=3, metavar=("WORKLOAD", "IMPL", "TRIALS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        workload, impl, trials = args.measure
        print(json.dumps(measure(workload, impl, int(trials), args.threads)))
        return
    if args.only:
        chosen = [w for w in WORKLOADS if w.name == args.only]
    else:
        chosen = [w for w in WORKLOADS if not (args.quick and w.heavy)]
    rows: list[Row] = []
    for workload in chosen:
        print(f"running {workload.name}: {workload.what} ...", file=sys.stderr, flush=True)
        rows.extend(run_workload(workload, args.threads, args.trials))
    print_table(rows)
    for workload in chosen:
        print_growth([r for r in rows if r.workload == workload.name])


if __name__ == "__main__":
    main()
