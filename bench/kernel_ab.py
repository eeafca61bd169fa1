"""Interleaved A/B of kernel builds against the C floor, by CPU time, on net200 with pools.

    python bench/kernel_ab.py OLD.so,- [--rounds 31] [--trials 8192] [--no-resources]

Each comma-separated item is a copy of a built _kernel*.so (or `-` for the built one). Every round
runs each build once and the floor (bench/cfloor.pyx) once on the same pre-sampled efforts, so a
busy spell on a shared machine hits all of them; it prints, per build, the median rate, the median
per-round kernel/floor time ratio and the median per-round time ratio to the first build.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv: list[str] | None = None) -> None:
    from floor import build, floor_arrays
    from kernel_only import kernel_input, load_kernel, outputs, pert_efforts

    from teamcast.ext.kernel import _DTYPES

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("builds", help="comma-separated _kernel*.so paths, '-' for the built one")
    ap.add_argument("--rounds", type=int, default=31)
    ap.add_argument("--trials", type=int, default=8192)
    ap.add_argument("--no-resources", action="store_true")
    args = ap.parse_args(argv)
    names = args.builds.split(",")
    kernels = [load_kernel(None if name == "-" else Path(name)) for name in names]
    cfloor = build()
    compiled, inp = kernel_input(200, resources=not args.no_resources)
    n = args.trials
    effort = pert_efforts(compiled, n)
    success = np.ones((n, inp.n_tasks), np.uint8)
    arrival = np.zeros((n, inp.n_units))
    plan = {name: getattr(inp, name) for name in _DTYPES}
    out = outputs(inp, n)
    arrays = floor_arrays(inp)
    start, finish, makespan = np.empty_like(effort), np.empty_like(effort), np.empty(n)
    spent: dict[str, list[float]] = {name: [] for name in names}
    floor: list[float] = []
    for _ in range(args.rounds):
        for name, kernel in zip(names, kernels, strict=True):
            began = time.process_time()
            kernel.schedule(**plan, effort=effort, success=success, arrival=arrival, **out, n_threads=1)
            spent[name].append(time.process_time() - began)
        began = time.process_time()
        cfloor.schedule(**arrays, duration=effort, start=start, finish=finish, makespan=makespan)
        floor.append(time.process_time() - began)
    cells = n * inp.n_tasks
    print(f"C floor: {cells / statistics.median(floor) / 1e6:.2f} M task-trials/s (median of {args.rounds})")
    first = spent[names[0]]
    for name in names:
        rate = cells / statistics.median(spent[name]) / 1e6
        to_floor = statistics.median(a / b for a, b in zip(spent[name], floor, strict=True))
        to_first = statistics.median(a / b for a, b in zip(spent[name], first, strict=True))
        print(f"{name}: {rate:.2f} M task-trials/s, kernel/floor {to_floor:.3f}, time / first build's {to_first:.3f}")


if __name__ == "__main__":
    main()
