"""How fast `teamcast optimise` evaluates and decides candidates on the demo, one core.

    .venv/bin/python bench/optimise_speed.py [--trials 1000] [--candidates 300] [--passes 1000] [--seeds 0 1 2]

Two different figures, not to be confused:

* **full evaluations per second**: candidates run by the kernel on every one of the fixed
  block's trials (`run_chunk`, every output; `run_projects`, the optimiser's call; and full
  scoring of random orders: kernel + the candidate's input + the objective);
* **candidates decided per second** in a real search (`rbrs` then `local`, `--passes` each),
  with racing (the default) and without (`race=False`: every candidate on every trial).
  A decided candidate is one the search got an answer for: scored on every trial, dropped
  early by the racing rule, taken as a tie on the leading futures, or a repeat (the same
  order in effect) answered from the cache; the split is printed. The search's CPU time
  excludes the in- and out-of-sample comparisons at the end.

All rates are per CPU second of this process (one thread). Figures, not tests.
"""

from __future__ import annotations

import argparse
import time


def full_rates(trials: int, n: int) -> dict[str, float]:
    """Full 1,000-trial (or `trials`) evaluations per CPU second."""
    import numpy as np

    from teamcast.engine.forecast.optimise import Optimiser
    from teamcast.engine.plan.demo import demo_plan
    from teamcast.ext.kernel import run_chunk, run_projects
    from teamcast.plugins.records import Candidate

    opt = Optimiser(demo_plan(), trials=trials, race=False)
    rates = {}
    run_chunk(opt.base, *opt.samples)
    began = time.process_time()
    for _ in range(n):
        run_chunk(opt.base, *opt.samples)
    rates["run_chunk"] = n / (time.process_time() - began)
    run_projects(opt.base, *opt.samples)
    began = time.process_time()
    for _ in range(n):
        run_projects(opt.base, *opt.samples, check=False)
    rates["run_projects"] = n / (time.process_time() - began)
    rng = np.random.default_rng(0)
    orders = [rng.permutation(opt.base.n_tasks).astype(np.int32) for _ in range(n)]
    opt.evaluate(opt.default_candidate())
    began = time.process_time()
    for order in orders:
        opt.evaluate(Candidate(order))
    rates["scoring"] = n / (time.process_time() - began)
    return rates


def search(trials: int, passes: int, seed: int, race: bool, time_limit: float | None = None) -> dict:
    """One real search on the demo: candidates decided per CPU second of the search, and the result."""
    from teamcast.engine.forecast.optimise import optimise
    from teamcast.engine.plan.demo import demo_plan

    plan = demo_plan()
    marks: list[float] = []

    def mark() -> bool:  # asked before every candidate: the last mark is the search's end
        marks.append(time.process_time())
        return False

    began = time.process_time()
    r = optimise(plan, trials=trials, passes=passes, seed=seed, race=race, cancel=mark, time_limit=time_limit)
    cpu = marks[-1] - began
    assert r.out_of_sample is not None
    return {
        "decided_per_s": r.proposals / cpu,
        "distinct_per_s": r.evaluations / cpu,
        "full_per_s": r.full_evaluations / cpu,
        "proposals": r.proposals,
        "full": r.full_evaluations,
        "worse": r.dropped,
        "tie": r.tied,
        "repeats": r.repeats,
        "trials_per_decided": r.candidate_trials / max(r.proposals, 1),
        "cpu": cpu,
        "best_in": r.in_sample.best,
        "best_out": r.out_of_sample.best,
        "stopped": r.stopped_by,
    }


def main() -> None:
    import statistics

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--candidates", type=int, default=300, help="full evaluations timed per rate")
    parser.add_argument("--passes", type=int, default=1000, help="candidates per search in the real search")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--time-limit", type=float, default=None, help="also compare racing on/off at this time limit (seconds)"
    )
    args = parser.parse_args()
    rates = full_rates(args.trials, args.candidates)
    print(f"demo, {args.trials} trials per candidate, 1 thread, per CPU second")
    print("full evaluations (every trial):")
    print(f"  kernel alone (run_chunk):              {rates['run_chunk']:8.0f} /s")
    print(f"  kernel, projects only (run_projects):  {rates['run_projects']:8.0f} /s")
    print(f"  full scoring of random orders:         {rates['scoring']:8.0f} /s")
    print(f"real search (rbrs + local, --passes {args.passes} each), median over seeds {args.seeds}:")
    for race in (True, False):
        runs = [search(args.trials, args.passes, s, race) for s in args.seeds]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k != "stopped"}
        print(
            f"  race {'on ' if race else 'off'}: {med['decided_per_s']:6.0f} decided/s "
            f"({med['distinct_per_s']:.0f} distinct, {med['full_per_s']:.0f} full evaluations/s; "
            f"{med['trials_per_decided']:.0f} trials per decided); per search: {med['proposals']:.0f} decided = "
            f"{med['full']:.0f} full + {med['worse']:.0f} worse + {med['tie']:.0f} tie + {med['repeats']:.0f} repeats "
            f"in {med['cpu']:.1f} s; best in/out of sample {med['best_in']:.3f} / {med['best_out']:.3f}"
        )
    if args.time_limit:
        print(
            f"--passes {args.passes} each within a time limit of {args.time_limit:g} s (wall), mean over seeds {args.seeds}:"
        )
        for race in (True, False):
            runs = [search(args.trials, args.passes, s, race, args.time_limit) for s in args.seeds]
            each = ", ".join(f"{r['best_in']:.2f}/{r['best_out']:.2f}" for r in runs)
            print(
                f"  race {'on ' if race else 'off'}: {statistics.mean(r['proposals'] for r in runs):7.0f} decided, "
                f"{sum(r['stopped'] == 'time limit' for r in runs)} of {len(runs)} stopped by the time limit, "
                f"best on_time_value in sample {statistics.mean(r['best_in'] for r in runs):.3f}, "
                f"out of sample {statistics.mean(r['best_out'] for r in runs):.3f} "
                f"(per seed, in/out: {each})"
            )


if __name__ == "__main__":
    main()
