"""Every figure of issue 15 ("speed where users wait") next to its target, and the baselines, in one table.

    python bench/run.py [--quick] [--rounds N]
    python bench/run.py --startup --rounds 15   # target 1 (start-up) alone, in about a minute

--quick (about two minutes on the 2-core development machine) runs the kernel at 30,000 trials
and skips the two memory workloads (1,000 tasks x 1M trials, 20,000 tasks x 10,000 trials).

Times are CPU seconds (user + system) unless a row says "wall": the development machine is shared,
and CPU time is what another process's work does not inflate. Ratios compare figures measured in
the same run; start-up figures are medians of interleaved rounds (A B C A B C ...). Each driver
and memory measurement runs in a fresh child process, so its peak RSS is its own. Nothing here
asserts anything: the figures are for people (bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEMO = ROOT / "engine" / "plan" / "data" / "demo.toml"
SEED = 7
PYTHON_TRIALS = 300  # the pure-Python SGS runs this many and is extrapolated to a rate


# --- measurements run in a child process (python bench/run.py --measure KIND ARGS...) ----------


def build_plan(name: str):
    sys.path.insert(0, str(HERE))
    from networks import layered_dag

    if name == "demo":
        from teamcast.engine.plan.io import load_plan

        return load_plan(DEMO)
    tasks, _, free = name.removeprefix("net").partition("-")
    return layered_dag(int(tasks), role_pools=None) if free else layered_dag(int(tasks))


def runner(impl: str):
    """A function (plan, trials, seed) -> None running `trials` trials of the plan with `impl`."""
    sys.path.insert(0, str(HERE))
    import baselines

    if impl == "teamcast":
        from teamcast.engine.forecast.simulate import simulate

        return lambda plan, trials, seed: simulate(plan, trials=trials, seed=seed)
    if impl == "numpy":
        return lambda plan, trials, seed: baselines.numpy_longest_path(baselines.network_from_plan(plan), trials, seed)
    if impl == "python":
        return lambda plan, trials, seed: baselines.python_sgs_makespans(
            baselines.network_from_plan(plan), trials, seed
        )
    raise SystemExit(f"unknown implementation {impl!r}")


def measure_driver(workload: str, impl: str, trials: int) -> dict:
    """CPU time and memory of a run (plan building and a short first run excluded); the best of a
    few runs of small workloads, since other work on a shared machine only ever adds time."""
    plan = build_plan(workload)
    run = runner(impl)
    # A short first run pays the one-off costs (imports, plugin loading, PERT tables), as the app
    # and a sweep pay them once per process.
    run(plan, min(trials, 1024), SEED + 1)
    rss_before = _peak_rss_mb()
    seconds = []
    cells = plan.tasks.height * trials
    for _ in range(3 if cells <= 2_000_000 else 2 if cells <= 20_000_000 else 1):
        began = time.process_time()
        run(plan, trials, SEED)
        seconds.append(time.process_time() - began)
    peak = _peak_rss_mb()
    return {"tasks": plan.tasks.height, "seconds": min(seconds), "peak_mb": peak, "run_mb": peak - rss_before}


def measure_kernel(trials: int) -> dict:
    sys.path.insert(0, str(HERE))
    import floor

    return {"pools": floor.measure(200, trials), "free": floor.measure(200, trials, resources=False)}


def measure_optimiser(trials: int, candidates: int = 200) -> dict:
    """Issue 16 on the demo, per CPU second: full evaluations (the optimiser's kernel call,
    run_projects, on every trial) and candidates decided in a real search with racing
    (`rbrs` + `local`, 1,000 passes each; bench/optimise_speed.py has the split)."""
    import numpy as np

    from teamcast.engine.forecast.optimise import Optimiser, optimise
    from teamcast.engine.plan.demo import demo_plan
    from teamcast.ext.kernel import run_projects

    opt = Optimiser(demo_plan(), trials=trials, race=False)
    rng = np.random.default_rng(SEED)
    inputs = [opt.base.with_priority(rng.permutation(opt.base.n_tasks).astype(np.int32)) for _ in range(candidates)]
    run_projects(inputs[0], *opt.samples)
    began = time.process_time()
    for inp in inputs:
        run_projects(inp, *opt.samples, check=False)
    full = candidates / (time.process_time() - began)
    marks: list[float] = []

    def mark() -> bool:  # asked before every candidate: the last mark is the search's end
        marks.append(time.process_time())
        return False

    began = time.process_time()
    result = optimise(demo_plan(), trials=trials, passes=1000, seed=SEED, cancel=mark)
    return {"per_second": full, "decided_per_second": result.proposals / (marks[-1] - began)}


def measure_sweep(scenarios: int, trials: int) -> dict:
    """Seconds per scenario of a sweep of the 4,000-task organisation (people, hires, capacity,
    priority, strategy and model scenarios alike), and the part of it spent sampling and in the
    kernel: the rest is the per-scenario overhead (bench/sweep_overhead.py has it by kind)."""
    sys.path.insert(0, str(HERE))
    from scale import organisation
    from sweep_overhead import AXES, Timers

    from teamcast.engine.forecast.simulate import simulate
    from teamcast.engine.forecast.sweep import Axis, run_scenario
    from teamcast.engine.forecast.sweep_delta import SweepBase

    plan = organisation()
    simulate(plan, trials=trials, seed=1)  # warm-up: tables, imports
    timers = Timers()
    timers.install()
    began = time.process_time()
    base = SweepBase(plan)  # once per sweep: validate and compile
    once = time.process_time() - began
    from teamcast.engine.forecast.sweep import grid

    axes = [Axis(key, (values[i % len(values)],)) for i in range(scenarios) for key, values in AXES.values()]
    began = time.process_time()
    for axis in axes:
        run_scenario(base, grid([axis])[0], trials, 1)
    total = time.process_time() - began
    n = len(axes)
    return {
        "tasks": plan.tasks.height,
        "per_scenario": total / n,
        "run": (timers.kernel + timers.sampling) / n,
        "once": once,
    }


def measure_update_row(repeat: int = 3) -> dict:
    """CPU seconds of Workspace.update_row (a task's title) on the 4,000-task organisation."""
    import tempfile

    sys.path.insert(0, str(HERE))
    from scale import organisation

    from teamcast.engine.plan.workspace import Workspace

    plan = organisation()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.create(Path(tmp) / "bench.db")
        ws.import_plan(plan)
        task = plan.tasks["id"][10]
        times = []
        for k in range(repeat):
            version = ws.row_version("tasks", task)
            began = time.process_time()
            ws.update_row("tasks", task, {"title": f"edited {k}"}, version)
            times.append(time.process_time() - began)
        ws.close()
    return {"tasks": plan.tasks.height, "seconds": statistics.median(times)}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


MEASURES = {
    "driver": lambda w, i, t: measure_driver(w, i, int(t)),
    "kernel": lambda t: measure_kernel(int(t)),
    "optimiser": lambda t: measure_optimiser(int(t)),
    "sweep": lambda s, t: measure_sweep(int(s), int(t)),
    "update_row": lambda: measure_update_row(),
}


def in_child(kind: str, *args) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", kind, *map(str, args)], capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": last}
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- start-up: whole processes, interleaved ---------------------------------------------------


def startup(rounds: int) -> dict[str, float]:
    """Median CPU seconds (user + system, the process and its children) of each command."""
    teamcast = str(Path(sys.executable).with_name("teamcast"))
    commands = {
        "base": [sys.executable, "-c", "import numpy, polars"],
        "version": [teamcast, "--version"],
        "validate": [teamcast, "validate", str(DEMO)],
        "simulate": [teamcast, "simulate", str(DEMO), "--trials", "10000"],
        "simulate1": [teamcast, "simulate", str(DEMO), "--trials", "1"],  # start-up alone, no trials to speak of
    }
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: compiled bytecode is cached
    times: dict[str, list[float]] = {name: [] for name in commands}
    for k in range(rounds + 1):  # round 0 warms the caches (bytecode, page cache) and is dropped
        for name, command in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if k:
                times[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return {name: statistics.median(values) for name, values in times.items()}


# --- the table ----------------------------------------------------------------------------------


@dataclass
class Line:
    target: str  # "1".."7", or "base" for a baseline
    what: str
    value: float | None
    unit: str
    goal: str = ""  # e.g. "<= 1.2"
    note: str = ""

    def met(self) -> str:
        if not self.goal or self.value is None:
            return ""
        op, bound = self.goal.split()
        ok = self.value <= float(bound) if op == "<=" else self.value >= float(bound)
        return "yes" if ok else "no"


def rate(result: dict, trials: int) -> float | None:
    return None if "error" in result else result["tasks"] * trials / result["seconds"]


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def startup_lines(rounds: int) -> list[Line]:
    """Target 1's figures: start-up of whole processes against the baseline, medians of `rounds`."""
    st = startup(rounds)
    base = st["base"]
    return [
        Line("base", 'python -c "import numpy, polars"', base, "s"),
        Line("1", "teamcast --version / numpy+polars", st["version"] / base, "x", "<= 1.2"),
        Line("1", "teamcast validate <demo> / numpy+polars", st["validate"] / base, "x", "<= 1.2"),
        Line("1", "teamcast simulate <demo> --trials 10000 / numpy+polars", st["simulate"] / base, "x", "<= 1.5"),
        Line("info", "teamcast simulate <demo> --trials 1 / numpy+polars", st["simulate1"] / base, "x"),
    ]


def collect(quick: bool, rounds: int) -> list[Line]:
    lines: list[Line] = []
    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731

    say("start-up ...")
    lines += startup_lines(rounds)

    say("driver and baselines ...")
    runs: dict[tuple[str, str, int], float | None] = {}
    for workload, impls in (
        ("net200", ("teamcast", "numpy")),
        ("net200-free", ("teamcast", "numpy")),
        ("demo", ("teamcast",)),
    ):
        for trials in (10_000, 100_000):
            for impl in impls:
                runs[workload, impl, trials] = rate(in_child("driver", workload, impl, trials), trials)
    runs["net200", "python", PYTHON_TRIALS] = rate(in_child("driver", "net200", "python", PYTHON_TRIALS), PYTHON_TRIALS)
    m = 1e6
    for workload in ("net200", "net200-free"):
        for trials in (10_000, 100_000):
            numpy_rate = runs[workload, "numpy", trials]
            lines.append(
                Line(
                    "base",
                    f"numpy forward pass, no resources, {workload}, {trials:,} trials",
                    numpy_rate and numpy_rate / m,
                    "M/s",
                )
            )
    python_rate = runs["net200", "python", PYTHON_TRIALS]
    lines.append(
        Line(
            "base",
            f"pure-Python parallel SGS, net200 ({PYTHON_TRIALS} trials, extrapolated)",
            python_rate and python_rate / m,
            "M/s",
        )
    )
    for workload in ("net200", "demo", "net200-free"):
        for trials in (10_000, 100_000):
            r = runs[workload, "teamcast", trials]
            lines.append(Line("info", f"driver, {workload}, {trials:,} trials", r and r / m, "M/s"))
    for workload in ("net200", "demo"):
        small, large = runs[workload, "teamcast", 10_000], runs[workload, "teamcast", 100_000]
        lines.append(Line("2", f"driver rate at 10k / at 100k trials, {workload}", ratio(small, large), "x", ">= 0.8"))
    for trials in (10_000, 100_000):
        lines.append(
            Line(
                "3",
                f"driver with pools / numpy without, net200, {trials:,} trials",
                ratio(runs["net200", "teamcast", trials], runs["net200", "numpy", trials]),
                "x",
                ">= 1.0",
            )
        )
    for trials in (10_000, 100_000):
        lines.append(
            Line(
                "3",
                f"driver / numpy, no resources (net200-free), {trials:,} trials",
                ratio(runs["net200-free", "teamcast", trials], runs["net200-free", "numpy", trials]),
                "x",
                ">= 2.0",
            )
        )
    lines.append(
        Line(
            "info",
            "driver with pools / pure-Python SGS, net200, 10,000 trials",
            ratio(runs["net200", "teamcast", 10_000], python_rate),
            "x",
        )
    )

    kernel_trials = 30_000 if quick else 100_000
    say(f"kernel and C floor ({kernel_trials:,} trials) ...")
    kernel = in_child("kernel", kernel_trials)
    if "error" in kernel:
        lines.append(Line("4", "kernel", None, "", note=kernel["error"]))
    else:
        pools, free = kernel["pools"], kernel["free"]
        agree = "" if pools["agree"] and free["agree"] else "makespans DIFFER from the floor's"
        lines += [
            Line("base", "C floor (bench/cfloor.pyx), net200 with pools, 1 thread", pools["floor"] / m, "M/s"),
            Line("base", "C floor, net200 without resources", free["floor"] / m, "M/s"),
            Line("4", "kernel alone, net200 with pools, 1 thread", pools["kernel_1"] / m, "M/s", ">= 25"),
            Line(
                "4", "kernel time / C floor time, with pools", pools["floor"] / pools["kernel_1"], "x", "<= 1.2", agree
            ),
            Line("info", "kernel time / C floor time, without resources", free["floor"] / free["kernel_1"], "x"),
            Line(
                "4",
                f"kernel 2 threads / 1 thread (wall), {kernel_trials:,} trials",
                pools["wall_2"] / pools["wall_1"],
                "x",
                ">= 1.8",
                "2 cores shared with other work" if quick else "",
            ),
        ]

    say("optimiser's kernel call and a raced search on the demo ...")
    op = in_child("optimiser", 1000)
    lines.append(
        Line(
            "16",
            "optimiser: full evaluations/s, demo, 1,000 trials (kernel call only)",
            op.get("per_second"),
            "/s",
            ">= 2000",
            op.get("error", "issue 16, build item 4"),
        )
    )
    lines.append(
        Line(
            "16",
            "optimiser: candidates decided/s in a raced search (rbrs+local)",
            op.get("decided_per_second"),
            "/s",
            "",
            op.get("error", "most decided on a slice of the 1,000 trials"),
        )
    )

    say("sweep on the 4,000-task organisation ...")
    sw = in_child("sweep", 4, 200)
    if "error" in sw:
        lines.append(Line("5", "sweep", None, "", note=sw["error"]))
    else:
        lines += [
            Line(
                "5",
                f"sweep overhead per scenario ({sw['tasks']:,} tasks, 200 trials)",
                sw["per_scenario"] - sw["run"],
                "s",
                "<= 0.05",
                f"{sw['per_scenario']:.2f} s per scenario, {sw['run']:.2f} s of it sampling and kernel;"
                f" {sw['once']:.2f} s once per sweep",
            ),
        ]

    say("update_row on the 4,000-task organisation ...")
    ur = in_child("update_row")
    lines.append(
        Line("6", "Workspace.update_row, 4,000-task plan", ur.get("seconds"), "s", "<= 0.1", ur.get("error", ""))
    )
    say("the app, driven headless by bench/app_timing.py ...")
    lines += app_lines(1 if quick else 3)

    if quick:
        lines.append(
            Line(
                "7", "memory: 1,000 tasks x 1M trials; 20,000 tasks x 10k trials", None, "MB", note="skipped by --quick"
            )
        )
    else:
        say("memory: 1,000 tasks x 1,000,000 trials ...")
        big = in_child("driver", "net1000", "teamcast", 1_000_000)
        lines.append(
            Line(
                "7",
                "peak RSS, 1,000 tasks x 1,000,000 trials",
                big.get("peak_mb"),
                "MB",
                "<= 500",
                big.get("error", ""),
            )
        )
        say("memory: 20,000 tasks x 10,000 trials ...")
        wide = in_child("driver", "net20000", "teamcast", 10_000)
        lines.append(
            Line(
                "7",
                "peak RSS, 20,000 tasks x 10,000 trials",
                wide.get("peak_mb"),
                "MB",
                "<= 1500",
                wide.get("error", ""),
            )
        )
    return lines


def print_table(lines: list[Line]) -> None:
    width = max(len(line.what) for line in lines)
    header = f"{'target':<7} {'figure':<{width}} {'value':>10} {'unit':<4} {'goal':<8} {'met':<4} note"
    print(header)
    print("-" * len(header))
    for line in lines:
        value = "n/a" if line.value is None else f"{line.value:.3g}" if line.unit != "MB" else f"{line.value:.0f}"
        print(
            f"{line.target:<7} {line.what:<{width}} {value:>10} {line.unit:<4} {line.goal:<8} {line.met():<4} {line.note}"
        )
    print(
        "\nM/s = million task-trials per CPU second. x = ratio of two figures of this run (a time ratio for start-up and"
        "\nthe kernel/floor line, a rate ratio elsewhere). 'base' rows are baselines, 'info' rows have no target."
    )


def app_lines(rounds: int) -> list[Line]:
    """Target 6's app figures: medians of bench/app_timing.py (wall seconds, each in fresh processes)."""
    proc = subprocess.run(
        [sys.executable, str(HERE / "app_timing.py"), "--rounds", str(rounds), "--json"],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        return [Line("6", "app timings", None, "s", note=f"bench/app_timing.py: {tail}")]
    t = json.loads(proc.stdout)
    return [
        Line("6", "app: launch -> recorded forecast on screen (80x24)", t["recorded.first_s"], "s", "<= 1.0", "wall"),
        Line("6", "app: launch -> provisional forecast, nothing recorded", t["fresh.first_s"], "s", "<= 1.0", "wall"),
        Line("info", "app: launch -> full forecast, nothing recorded", t["fresh.full_s"], "s", note="wall"),
        Line("6", "app: first visit to a mode screen", t["switch_first_s"], "s", "<= 0.1", "wall"),
        Line("6", "app: return to a mode screen", t["switch_again_s"], "s", "<= 0.1", "wall"),
        Line("6", "app: save an edit -> provisional forecast", t["save_first_s"], "s", "<= 0.3", "wall"),
        Line("6", "app: save an edit -> full 10,000-trial forecast", t["save_full_s"], "s", "<= 0.3", "wall"),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about two minutes: smaller kernel run, no memory runs")
    parser.add_argument("--rounds", type=int, default=None, help="start-up rounds (default 5, 3 with --quick)")
    parser.add_argument("--startup", action="store_true", help="target 1 (start-up) alone; more --rounds steady it")
    parser.add_argument("--measure", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        kind, *rest = args.measure
        print(json.dumps(MEASURES[kind](*rest)))
        return
    rounds = args.rounds or (3 if args.quick else 5)
    print_table(startup_lines(rounds) if args.startup else collect(args.quick, rounds))


if __name__ == "__main__":
    main()
