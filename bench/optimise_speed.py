"""How many candidates per second `teamcast optimise` scores on the demo, one core.

    .venv/bin/python bench/optimise_speed.py [--trials 1000] [--candidates 300]

Prints four rates: the kernel alone (`run_chunk`, every output, on the fixed block), the
optimiser's kernel call (`run_projects`: project outputs only, the floor for any candidate),
full scoring of random orders (kernel + building the KernelInput + the objective),
and a real search (`rbrs` then `local`), where screening on the first quarter of the trials
spares most losers the other three quarters. Figures, not tests.
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    import numpy as np

    from teamcast.engine.forecast.optimise import Optimiser
    from teamcast.engine.plan.demo import demo_plan
    from teamcast.ext.kernel import run_chunk, run_projects
    from teamcast.plugins.records import Candidate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--candidates", type=int, default=300)
    args = parser.parse_args()
    plan = demo_plan()
    opt = Optimiser(plan, trials=args.trials, screen=False)
    n = args.candidates
    print(f"demo: {opt.base.n_tasks} tasks, {opt.base.n_units} units, {args.trials} trials per candidate, 1 thread")

    run_chunk(opt.base, *opt.samples)
    start = time.perf_counter()
    for _ in range(n):
        run_chunk(opt.base, *opt.samples)
    kernel = n / (time.perf_counter() - start)
    print(f"  kernel alone (run_chunk):            {kernel:8.0f} candidates/s")

    run_projects(opt.base, *opt.samples)
    start = time.perf_counter()
    for _ in range(n):
        run_projects(opt.base, *opt.samples, check=False)
    projects = n / (time.perf_counter() - start)
    print(f"  kernel, projects only (run_projects):{projects:8.0f} candidates/s")

    rng = np.random.default_rng(0)
    orders = [rng.permutation(opt.base.n_tasks).astype(np.int32) for _ in range(n)]
    start = time.perf_counter()
    for order in orders:
        opt.evaluate(Candidate(order))
    full = n / (time.perf_counter() - start)
    print(f"  full scoring of distinct orders:     {full:8.0f} candidates/s")

    screened = Optimiser(plan, trials=args.trials)
    start = time.perf_counter()
    result = screened.run(passes=n // 2)
    seconds = time.perf_counter() - start
    print(
        f"  search (rbrs+local, screening):      {result.evaluations / seconds:8.0f} candidates/s "
        f"({result.evaluations} distinct, {result.full_evaluations} on every trial, "
        f"incl. the out-of-sample comparison)"
    )


if __name__ == "__main__":
    main()
