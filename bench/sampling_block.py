"""Time Sampler.block alone (efforts, successes, hire arrivals of one 1,024-trial block) on the
200-task layered network, in CPU nanoseconds per task-trial cell.

    python bench/sampling_block.py [--seconds S] [--tasks T] [--no-resources]
    python bench/sampling_block.py --driver TRIALS [--rounds R] [--no-resources]

--driver times whole simulate() runs instead, alternating in one process the NumPy reference of
pert (plugins.pert.sample_reference, scanned by the manager: the path before plugins/_tables.pyx)
and the compiled model, R rounds of each, in CPU ns per cell.

Blocks are drawn back to back, five per round, for `--seconds`; the figure is printed as the
minimum, the 10th percentile and the median of the rounds, since the machine may be shared (another
process on the same core inflates the median far more than the minimum). To compare two builds,
run this script with each one's Python in turn, A B A B, and compare like with like.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

BLOCK_TRIALS = 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--no-resources", action="store_true")
    parser.add_argument("--driver", type=int, metavar="TRIALS")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.driver:
        driver(args.driver, args.rounds, args.tasks, not args.no_resources)
        return

    from networks import layered_dag

    from teamcast.engine.forecast.compile import compile_plan
    from teamcast.engine.forecast.sampling import Sampler
    from teamcast.plugins.manager import get_registry

    plan = layered_dag(args.tasks, role_pools=None) if args.no_resources else layered_dag(args.tasks)
    sampler = Sampler(compile_plan(plan), get_registry(), ())
    sampler.block(7, 0, BLOCK_TRIALS)  # tables, imports
    cells = BLOCK_TRIALS * args.tasks
    rounds = []
    block = 0
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        began = time.process_time()
        for _ in range(5):
            sampler.block(7, block, BLOCK_TRIALS)
            block += 1
        rounds.append((time.process_time() - began) / 5 / cells * 1e9)
    r = np.array(rounds)
    print(
        f"Sampler.block: min {r.min():.2f}  p10 {np.percentile(r, 10):.2f}  median {np.median(r):.2f} "
        f"ns per cell ({len(r)} rounds of 5 blocks)"
    )


def driver(trials: int, rounds: int, tasks: int, resources: bool) -> None:
    import dataclasses
    import statistics

    from networks import layered_dag

    from teamcast.engine.forecast.simulate import simulate
    from teamcast.plugins import pert
    from teamcast.plugins.manager import get_registry

    models = get_registry().records("duration_model")
    compiled = models["pert"]
    reference = dataclasses.replace(compiled, sample=pert.sample_reference, self_checked=False)
    plan = layered_dag(tasks) if resources else layered_dag(tasks, role_pools=None)
    simulate(plan, trials=1024, seed=1)  # tables, imports
    figures: dict[str, list[float]] = {"numpy reference": [], "compiled": []}
    try:
        for _ in range(rounds):
            for name, model in (("numpy reference", reference), ("compiled", compiled)):
                models["pert"] = model
                began = time.process_time()
                simulate(plan, trials=trials, seed=7)
                figures[name].append((time.process_time() - began) / (trials * tasks) * 1e9)
    finally:
        models["pert"] = compiled
    for name, values in figures.items():
        print(f"simulate, pert {name}: median {statistics.median(values):.1f}  min {min(values):.1f} ns per cell")


if __name__ == "__main__":
    main()
