"""`teamcast optimise --deterministic --objective makespan` on PSPLIB J30: mean deviation from the optimum.

    .venv/bin/python bench/optimise_j30.py --passes 100 1000 [--limit 48] [--searches rbrs local]
        [--scheme serial|parallel] [--dir FOLDER_OF_J60_OR_J120]

For each pass count and each instance it runs the optimiser (regret-biased sampling with
`passes` candidates, then local search with `passes` more, unless --searches says otherwise),
checks the best schedule with the independent checker of tests/engine/schedule_checker.py and
prints the mean deviation of the best makespan from the proven optimum, the share of
instances solved to optimality and the time taken. The textbook single-pass parallel LFT
(teamcast's `schedule --priority lft`) is printed first as the reference. Every row also gives
the mean deviation from the critical-path lower bound (resources ignored), the figure the
literature reports for J60 and J120, whose optima are not all known: point --dir at a folder
of their .sm files (an `*opt.sm` file of optima there is used when present). Figures, not tests.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _checker():
    spec = importlib.util.spec_from_file_location("schedule_checker", ROOT / "tests" / "engine" / "schedule_checker.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def critical_path(raw) -> float:
    """The longest path through the precedences (resources ignored): a lower bound on the makespan."""
    finish: dict[int, float] = {}

    def done(j: int) -> float:
        if j not in finish:  # jobs are numbered so that successors come later; recursion depth <= n
            finish[j] = raw.durations[j] + max((0.0, *(done(p) for p in preds.get(j, []))))
        return finish[j]

    preds: dict[int, list[int]] = {}
    for j, succs in raw.successors.items():
        for s in succs:
            preds.setdefault(s, []).append(j)
    return max(done(j) for j in raw.durations)


def main() -> None:
    from teamcast.engine.forecast.optimise import Optimiser
    from teamcast.engine.forecast.schedule import deterministic_schedule
    from teamcast.engine.plan.psplib import read_optimum_file, read_sm

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--limit", type=int, default=None, help="only every k-th instance, this many in all")
    parser.add_argument("--searches", nargs="+", default=["rbrs", "local"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scheme", choices=["serial", "parallel"], default="serial")
    parser.add_argument("--dir", type=Path, default=None, help="a folder of .sm files (J60, J120); default J30")
    args = parser.parse_args()
    os.environ.setdefault("TEAMCAST_PSPLIB_DIR", str(Path("/work/shared/data/psplib")))
    checker = _checker()
    folder = args.dir or checker.j30_dir()
    if folder is None:
        sys.exit("PSPLIB J30 not found; set TEAMCAST_PSPLIB_DIR")
    number = re.compile(r"j(30|60|90|120)(\d+)_(\d+)$")
    files = sorted(
        (p for p in folder.glob("j*_*.sm") if number.match(p.stem)),
        key=lambda p: [int(n) for n in number.match(p.stem).groups()],  # type: ignore[union-attr]
    )
    if args.limit:
        files = files[:: max(1, len(files) // args.limit)][: args.limit]
    known = sorted(folder.glob("*opt.sm"))
    optimum = read_optimum_file(known[0]) if known else {}
    instances = [(p.stem, read_sm(p), checker.read_instance(p)) for p in files]
    bound = {name: critical_path(raw) for name, _, raw in instances}

    def checked(name, plan, raw, order=None, table=None) -> float:
        if table is None:
            table = deterministic_schedule(plan, priority="lft", order=order)
        starts = dict(zip(table["task"], table["start"], strict=True))
        durations = {t: f - s for t, s, f in zip(table["task"], table["start"], table["finish"], strict=True)}
        who = dict(zip(table["task"], table["who"].to_list(), strict=True))
        bad = checker.check_schedule(raw, starts, durations) + checker.check_units(raw, starts, who)
        if bad:
            sys.exit(f"{name}: infeasible schedule: {bad[:3]}")
        return checker.makespan(raw, starts)

    def report(label: str, makespans: dict[str, float], seconds: float, evaluations: int) -> None:
        cp = 100 * sum((makespans[n] - bound[n]) / bound[n] for n in makespans) / len(makespans)
        if optimum:
            dev = 100 * sum((makespans[n] - optimum[n]) / optimum[n] for n in makespans) / len(makespans)
            solved = sum(makespans[n] == optimum[n] for n in makespans)
            known = f"mean deviation {dev:5.2f} %  optimal {solved:3d}/{len(makespans)}  "
        else:
            known = f"at the bound {sum(makespans[n] == bound[n] for n in makespans):3d}/{len(makespans)}  "
        print(
            f"{label:<34} {known}from CP bound {cp:6.2f} %  "
            f"{seconds:7.1f} s  {evaluations / max(seconds, 1e-9):8.0f} schedules/s",
            flush=True,
        )

    started = time.perf_counter()
    report("single-pass parallel LFT", {n: checked(n, p, r) for n, p, r in instances}, time.perf_counter() - started, 0)
    for passes in args.passes:
        started = time.perf_counter()
        makespans: dict[str, float] = {}
        evaluations = 0
        for name, plan, raw in instances:
            opt = Optimiser(
                plan, objective="makespan", deterministic=True, priority="lft", seed=args.seed, scheme=args.scheme
            )
            result = opt.run(passes=passes, searches=args.searches)
            evaluations += result.schedules
            makespans[name] = checked(name, plan, raw, result.order_index, result.schedule)
            if makespans[name] != result.in_sample.best:
                sys.exit(f"{name}: the optimiser's makespan {result.in_sample.best} is not its schedule's")
        label = f"{args.scheme} {'+'.join(args.searches)} x{passes}"
        report(label, makespans, time.perf_counter() - started, evaluations)


if __name__ == "__main__":
    main()
