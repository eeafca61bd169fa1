"""How long a person waits in the terminal app (issue 15, target 6), measured with Textual's Pilot at 80×24.

Three figures, each the median over `--rounds` fresh processes (a launch pays its imports, as a
person's does), on the demo organisation:

- launch → first forecast: from starting the Python process to the Portfolio table showing
  figures (whatever they are: a recorded snapshot, a provisional small run, or the full run; the
  row says which), and to the full forecast replacing it. Two workspaces: one that holds a recorded
  forecast snapshot (a workspace in use) and a fresh one with none.
- mode switch: from pressing a mode key to the new screen mounted and painted, first visit and
  return visits separately, once the app's warm-up after the first forecast has finished (as after
  a person's first look at it).
- save → new forecast: from F2 in the task form to the full new forecast drawn on the screen
  (the first figures after the save, provisional or full, are reported too).

"Painted" means: the screen's next refresh after the change has run (`App.call_after_refresh`).
For a mode switch that is when the UI thread's work for it is done: Textual's `switch_mode` holds
the paint itself back for 50 ms (`App.delay_update`, to mask the transition), so the terminal shows
the new screen at max(that figure, 0.05 s) after the key, plus the write to the terminal.
Keys go in through `App.simulate_key`, the path a real key takes; `pilot.press`/`pilot.pause` are
not used for timing because they wait for the whole process to go idle, which a running forecast
worker prevents (they would add up to a second per call).

Each wall figure has a CPU-seconds companion (`*_cpu_s`, process CPU time, all threads): on a
shared, oversubscribed machine wall time mostly measures the neighbours. Wall seconds are noisy: read the medians, and compare before/after in the same
run of the machine (interleave). Nothing here is a test; no test asserts time.

    .venv/bin/python bench/app_timing.py               # 5 rounds, 10,000 trials (the app's default)
    .venv/bin/python bench/app_timing.py --rounds 3 --json
"""

from __future__ import annotations

import time

STARTED = time.time()  # before any heavy import: the child's launch clock starts here at the latest

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

MODES = [("r", "RosterScreen"), ("o", "OrgScreen"), ("t", "RetroScreen"), ("l", "TimelineScreen")]
POLL_S = 0.005


def _table_figures(app) -> str | None:
    """The first project's P50 cell when the Portfolio table shows figures, else None."""
    from textual.widgets import DataTable

    screen = app.screen
    if type(screen).__name__ != "PortfolioScreen":
        return None
    try:
        table = screen.query_one("#projects", DataTable)
    except Exception:
        return None
    if table.row_count == 0:
        return None
    cell = str(table.get_row_at(0)[1])
    return None if cell in ("…", "") else cell


def _status(app) -> str:
    return str(app.forecast_note)


async def _painted(app) -> None:
    """Return once the screen has refreshed after what has happened so far."""
    done = asyncio.Event()
    app.call_after_refresh(done.set)
    await done.wait()


async def _until(test) -> None:
    while not test():
        await asyncio.sleep(POLL_S)


async def _launch(db: Path, trials: int, spawned: float) -> dict:
    from teamcast.tui.app import TeamcastApp

    imported = time.time()
    app = TeamcastApp(db, trials=trials, seed=0)
    out: dict = {"import_s": imported - spawned}
    async with app.run_test(size=(80, 24)):
        await _until(lambda: _table_figures(app) is not None)
        out["first_label"] = _status(app)
        await _painted(app)
        out["first_s"] = time.time() - spawned
        out["first_cpu_s"] = time.process_time()  # CPU of the whole process (all threads) since it started
        await _until(lambda: app.forecast is not None and app.forecast.trials == trials and not _busy(app))
        out["full_label"] = _status(app)
        await _painted(app)
        out["full_s"] = time.time() - spawned
    return out


def _busy(app) -> bool:
    return any(w.group == "forecast" and not w.is_finished for w in app.workers)


async def _settled(app, pilot) -> None:
    """The forecast, then the warm-up (imports, and the screens built out of sight where the app does
    that), as after a person's first look: each worker may start the next, so wait till none is left."""
    while True:
        await app.workers.wait_for_complete()
        await pilot.pause()
        if all(w.is_finished for w in app.workers):
            return


async def _switches(db: Path, trials: int) -> dict:
    from teamcast.tui.app import TeamcastApp

    app = TeamcastApp(db, trials=trials, seed=0)
    first: list[float] = []
    cpu_first: list[float] = []
    again: list[float] = []
    cpu_again: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await _settled(app, pilot)
        for visit in range(3):
            for key, name in [*MODES, ("p", "PortfolioScreen")]:
                started, cpu = time.perf_counter(), time.process_time()
                app.simulate_key(key)
                await _until(lambda name=name: type(app.screen).__name__ == name)
                await _painted(app)
                returning = visit > 0 or name == "PortfolioScreen"
                (again if returning else first).append(time.perf_counter() - started)
                (cpu_again if returning else cpu_first).append(time.process_time() - cpu)
    return {
        "switch_first_s": statistics.median(first),
        "switch_first_cpu_s": statistics.median(cpu_first),
        "switch_again_s": statistics.median(again),
        "switch_again_cpu_s": statistics.median(cpu_again),
    }


async def _save(db: Path, trials: int) -> dict:
    from textual.widgets import Input, Tree

    from teamcast.tui.app import TeamcastApp

    app = TeamcastApp(db, trials=trials, seed=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settled(app, pilot)
        await pilot.press("p", "enter")
        await pilot.pause()
        tree = app.screen.query_one(Tree)
        line = next(i for i in range(tree.last_line + 1) if (tree.get_node_at_line(i).data or ("",))[0] == "tasks")
        tree.cursor_line = line
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        box = form.query_one("#est_high", Input)
        box.value = f"{float(box.value or 0) + 3:g}"
        await pilot.pause()
        before = app.forecast
        started, cpu = time.perf_counter(), time.process_time()
        app.simulate_key("f2")
        await _until(lambda: app.forecast is not before and app.forecast is not None)
        first_label = _status(app)
        await _painted(app)
        first = time.perf_counter() - started
        first_cpu = time.process_time() - cpu
        await _until(lambda: app.forecast.trials == trials and not _busy(app))
        await _painted(app)
        full = time.perf_counter() - started
        full_cpu = time.process_time() - cpu
        return {
            "save_first_s": first,
            "save_first_cpu_s": first_cpu,
            "save_first_label": first_label,
            "save_full_s": full,
            "save_full_cpu_s": full_cpu,
        }


def child(args: argparse.Namespace) -> None:
    db = Path(args.db)
    run = {"launch": lambda: _launch(db, args.trials, args.spawned), "switch": lambda: _switches(db, args.trials)}
    run["save"] = lambda: _save(db, args.trials)
    print(json.dumps(asyncio.run(run[args.child]())))


def make_workspaces(folder: Path, trials: int) -> tuple[Path, Path]:
    """The demo twice: `recorded.db` holding one recorded forecast snapshot, `fresh.db` holding none."""
    from teamcast.engine import record_snapshot, simulate
    from teamcast.engine.plan.demo import demo_plan
    from teamcast.engine.plan.workspace import Workspace

    paths = folder / "recorded.db", folder / "fresh.db"
    for path in paths:
        with Workspace.create(path) as ws:
            ws.import_plan(demo_plan())
    record_snapshot(paths[0], simulate(demo_plan(), trials=trials, seed=0))
    return paths


def _spawn(kind: str, db: Path, trials: int) -> dict:
    spawned = time.time()
    cmd = [sys.executable, __file__, "--child", kind, "--db", str(db), "--trials", str(trials)]
    cmd += ["--spawned", repr(spawned)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} on {db.name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--json", action="store_true", help="print the medians as JSON")
    parser.add_argument("--child", choices=["launch", "switch", "save"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--spawned", type=float, default=STARTED, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    rows: dict[str, list] = {}
    with tempfile.TemporaryDirectory(prefix="teamcast-bench-") as folder:
        recorded, fresh = make_workspaces(Path(folder), args.trials)
        for _ in range(args.rounds):
            for name, db in (("recorded", recorded), ("fresh", fresh)):
                for key, value in _spawn("launch", db, args.trials).items():
                    rows.setdefault(f"{name}.{key}", []).append(value)
            # The save records a snapshot: it edits a copy, so `fresh` stays without one for the next round.
            for kind, db in (("switch", fresh), ("save", Path(shutil.copy(fresh, Path(folder) / "save.db")))):
                for key, value in _spawn(kind, db, args.trials).items():
                    rows.setdefault(key, []).append(value)
    medians = {k: statistics.median(v) if isinstance(v[0], float) else v[-1] for k, v in rows.items()}
    if args.json:
        print(json.dumps(medians, indent=1))
        return
    targets = {
        "recorded.first_s": 1.0,
        "fresh.first_s": 1.0,
        "switch_first_s": 0.1,
        "switch_again_s": 0.1,
        "save_first_s": 0.3,
        "save_full_s": 0.3,
    }
    print(f"teamcast app at 80×24, demo plan, {args.trials:,} trials, median of {args.rounds} rounds (wall seconds)")
    for key, value in medians.items():
        target = f"  (target < {targets[key]:.1f} s)" if key in targets else ""
        shown = f"{value:7.3f} s" if isinstance(value, float) else f"  {value}"
        print(f"  {key:26} {shown}{target}")


if __name__ == "__main__":
    main()
