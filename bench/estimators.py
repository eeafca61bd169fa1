"""Sampling cost of the evidence-based (`ebs`) and `stall` sample modifiers against `pert` alone.

    .venv/bin/python bench/estimators.py [--tasks 200] [--trials 100000]

Times only the sampling of blocks of trials (no scheduling), best of five, on a generated
network (bench/networks.py) given a synthetic history of 8 finished tasks per person and a
third of the tasks tagged research. The issue's target: ebs and stall each cost no more than
1.5x the pert model's sampling time for the same plan.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import polars as pl
from networks import layered_dag

from teamcast.engine.forecast.compile import compile_plan
from teamcast.engine.forecast.sampling import BLOCK, Sampler
from teamcast.engine.plan.model import frame
from teamcast.plugins.manager import get_registry


def with_history_and_research(plan):
    rng = np.random.default_rng(1)
    people = plan.people["id"].to_list()
    rows = [
        {
            "task": f"h-{p}-{k}",
            "person": p,
            "est_likely": float(e),
            "actual_days": float(e * rng.lognormal(0.15, 0.4)),
            "succeeded": True,
            "finished": dt.date(2026, 12, 1),
        }
        for p in people
        for k, e in enumerate(rng.integers(2, 10, size=8))
    ]
    kinds = ["research" if i % 3 == 0 else "engineering" for i in range(plan.tasks.height)]
    return plan.replace(history=frame("history", rows), tasks=plan.tasks.with_columns(kind=pl.Series(kinds)))


def time_sampling(compiled, modifiers, trials) -> float:
    sampler = Sampler(compiled, get_registry(), modifiers)
    sampler.block(0, 0, BLOCK)  # warm-up: tables, caches
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for b in range(trials // BLOCK):
            sampler.block(0, b, BLOCK)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--trials", type=int, default=100 * BLOCK)
    args = parser.parse_args()
    compiled = compile_plan(with_history_and_research(layered_dag(args.tasks)))
    base = time_sampling(compiled, (), args.trials)
    cells = args.trials // BLOCK * BLOCK * args.tasks
    print(f"{args.tasks} tasks x {args.trials // BLOCK * BLOCK:,} trials, sampling only (best of 5)")
    print(f"  {'pert':<14} {base:6.3f} s  {cells / base / 1e6:6.1f} M samples/s  1.00x")
    for mods in (("ebs",), ("stall",), ("ebs", "stall")):
        t = time_sampling(compiled, mods, args.trials)
        print(f"  {'pert + ' + '+'.join(mods):<14} {t:6.3f} s  {cells / t / 1e6:6.1f} M samples/s  {t / base:.2f}x")


if __name__ == "__main__":
    main()
