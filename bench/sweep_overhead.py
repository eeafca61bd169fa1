"""What a sweep costs per scenario beyond its trials, on the 4,000-task organisation of scale.py.

    .venv/bin/python bench/sweep_overhead.py                    # 24 scenarios x 200 trials, every kind
    .venv/bin/python bench/sweep_overhead.py --scenarios 48 --trials 200 --full

Method (CPU time of this process, one worker): the sweep runs with the kernel call and the
block sampler wrapped in timers. Overhead per scenario = (sweep time - time in the kernel -
time sampling) / scenarios: everything a scenario pays besides drawing and scheduling its
trials (applying the variation, checking and compiling it, priorities, aggregation, rows).
The once-per-sweep cost (validating and compiling the plan) is shown apart and also spread
over the scenarios. `--full` runs the same scenarios on the old path (each scenario's plan
validated and compiled whole) for comparison, and checks that both give identical rows.
Nothing here asserts anything about time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

AXES = {  # one axis per kind of delta on the organisation (values cycle to fill the scenarios)
    "people": ("people.ml_engineer", ["60", "70", "80", "90", "100", "110"]),
    "hire": ("hire.data_engineer", ["none", "20", "40", "60", "90", "120"]),
    "capacity": ("capacity.p000", ["1.0", "0.8", "0.5", "0.9", "0.6", "0.7"]),
    "priority": ("priority", ["value", "lft", "risk-first", "manual", "sequential-odds", "value"]),
    "strategy": ("strategy.proj000-c0", ["parallel", "sequential"]),
    "model": ("model", ["pert", "triangular", "lognormal", "pert"]),
}


class Timers:
    def __init__(self) -> None:
        self.kernel = 0.0
        self.sampling = 0.0

    def install(self) -> None:
        from teamcast.engine.forecast import sampling, simulate

        run_chunk, block = simulate.run_chunk, sampling.Sampler.block

        def timed_chunk(*args, **kwargs):
            began = time.process_time()
            try:
                return run_chunk(*args, **kwargs)
            finally:
                self.kernel += time.process_time() - began

        def timed_block(sampler, *args, **kwargs):
            began = time.process_time()
            try:
                return block(sampler, *args, **kwargs)
            finally:
                self.sampling += time.process_time() - began

        simulate.run_chunk = timed_chunk
        sampling.Sampler.block = timed_block  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", type=int, default=24, help="scenarios per kind of variation")
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--kinds", default=",".join(AXES))
    parser.add_argument("--full", action="store_true", help="also time the old path (validate + compile each)")
    args = parser.parse_args()

    from scale import organisation

    from teamcast.engine.forecast.simulate import simulate
    from teamcast.engine.forecast.sweep import Axis, grid, run_scenario
    from teamcast.engine.forecast.sweep_delta import SweepBase

    plan = organisation()
    simulate(plan, trials=args.trials, seed=1)  # imports, plugin tables
    timers = Timers()
    timers.install()
    began = time.process_time()
    base = SweepBase(plan)
    once = time.process_time() - began
    print(f"{plan.tasks.height:,} tasks, {args.trials} trials per scenario; validate + compile once: {once:.3f} s")
    print(f"{'kind':<10} {'per scenario':>12} {'kernel':>8} {'sampling':>8} {'overhead':>9} {'+ once/N':>9}  old path")
    for kind in args.kinds.split(","):
        key, values = AXES[kind]
        axis = Axis(key, tuple((values * (args.scenarios // len(values) + 1))[: args.scenarios]))
        scenarios = grid([axis])
        timers.kernel = timers.sampling = 0.0
        began = time.process_time()
        rows = [run_scenario(base, s, args.trials, 1) for s in scenarios]
        total = time.process_time() - began
        n = len(scenarios)
        overhead = (total - timers.kernel - timers.sampling) / n
        old = ""
        if args.full:
            timers.kernel = timers.sampling = 0.0
            began = time.process_time()
            old_rows = [run_scenario(plan, s, args.trials, 1) for s in scenarios]
            old_total = time.process_time() - began
            old_overhead = (old_total - timers.kernel - timers.sampling) / n
            same = "identical" if repr(rows) == repr(old_rows) else "DIFFERENT"
            old = f"{old_total / n:.3f} s per scenario, overhead {old_overhead:.3f} s; rows {same}"
        errors = sum(1 for r in rows if r[0]["error"])
        print(
            f"{kind:<10} {total / n:>10.3f} s {timers.kernel / n:>6.3f} s {timers.sampling / n:>6.3f} s "
            f"{overhead:>7.3f} s {overhead + once / n:>7.3f} s  {old}" + (f" ({errors} error rows)" if errors else "")
        )


if __name__ == "__main__":
    main()
