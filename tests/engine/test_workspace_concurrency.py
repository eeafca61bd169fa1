"""Several real processes on one workspace: no lost update, and a killed import never leaves a mix of two plans."""

from __future__ import annotations

import importlib.util
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from teamcast.engine.plan.model import empty_frame
from teamcast.engine.plan.workspace import Workspace

WORKER = Path(__file__).with_name("workspace_worker.py")
_spec = importlib.util.spec_from_file_location("workspace_worker", WORKER)
worker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(worker)


def start(*args: object) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def run_together(path: Path, *commands: tuple) -> None:
    """Start one worker per command, let them go at the same moment, and require each to succeed."""
    children = [start(*command) for command in commands]
    Path(f"{path}.go").touch()
    for child in children:
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err


def workspace_with(path: Path, plan) -> Path:
    with Workspace.create(path) as ws:
        ws.import_plan(plan.replace(forecasts=empty_frame("forecasts")))
    return path


def test_two_processes_incrementing_one_field_lose_no_update(tmp_path):
    path = workspace_with(tmp_path / "w.db", worker.full_plan())
    run_together(path, ("increment", path, "gpus", 50), ("increment", path, "gpus", 50))
    with Workspace.open(path) as ws:
        assert ws.load().pools.to_dicts() == [{"id": "gpus", "units": 8 + 100}]
        assert ws.plan_version() == 1 + 100


def test_two_processes_appending_forecasts_get_distinct_snapshots(tmp_path):
    path = workspace_with(tmp_path / "w.db", worker.full_plan())
    run_together(path, ("forecasts", path, 40), ("forecasts", path, 40))
    with Workspace.open(path) as ws:
        forecasts = ws.load().forecasts
    assert sorted(forecasts["snapshot"].to_list()) == list(range(1, 81))
    assert forecasts.group_by("id").len()["len"].to_list() == [2] * 40


def assert_consistent(path: Path, old, new) -> str:
    """The file opens, passes SQLite's integrity check, and holds exactly one of the two plans."""
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()
    with Workspace.open(path) as ws:
        loaded = ws.load().replace(forecasts=empty_frame("forecasts"))
    if loaded.equals(old):
        return "old"
    assert loaded.equals(new), "the workspace holds a mix of the old and the new plan"
    return "new"


def test_a_process_killed_inside_the_import_transaction_leaves_the_old_plan(tmp_path):
    old, new = worker.large_plan(3000, "old"), worker.large_plan(3000, "new")
    path = workspace_with(tmp_path / "w.db", old)
    Path(f"{path}.go").touch()
    child = start("import-pause", path, 3000)
    assert child.stdout.readline() == "inside\n"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert assert_consistent(path, old, new) == "old"
    with Workspace.open(path) as ws:  # the write lock died with the process
        ws.insert_row("pools", {"id": "tpus", "units": 1})


def timed_import(path: Path, rows: int, kill_after: float | None = None) -> float:
    """Run an import in a child, killing it `kill_after` seconds into its write transaction;
    returns the seconds from the transaction's start to the child's end."""
    Path(f"{path}.go").touch()
    child = start("import-large", path, rows)
    assert child.stdout.readline() == "transaction\n"
    began = time.perf_counter()
    if kill_after is None:
        assert child.wait(timeout=120) == 0
    else:
        time.sleep(kill_after)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    return time.perf_counter() - began


def test_processes_killed_at_random_moments_of_an_import_leave_old_or_new(tmp_path):
    rows = 2500
    old, new = worker.large_plan(rows, "old"), worker.large_plan(rows, "new")
    # Kill times spread over one import transaction's duration on this machine.
    template = workspace_with(tmp_path / "old.db", old)
    shutil.copy(template, tmp_path / "calibrate.db")
    duration = timed_import(tmp_path / "calibrate.db", rows)
    rng = random.Random(20270104)
    outcomes = []
    for attempt in range(5):
        path = Path(shutil.copy(template, tmp_path / f"w{attempt}.db"))
        timed_import(path, rows, kill_after=rng.uniform(0.0, 1.1) * duration)
        outcomes.append(assert_consistent(path, old, new))
    # Which outcomes occur depends on the machine's speed, so only consistency is asserted.
    print(f"import transaction of {rows} tasks: {duration:.2f} s; outcomes after kills: {outcomes}")


def test_a_reader_sees_the_plan_before_or_after_a_concurrent_import(tmp_path):
    old, new = worker.large_plan(3000, "old"), worker.large_plan(3000, "new")
    path = workspace_with(tmp_path / "w.db", old)
    Path(f"{path}.go").touch()
    child = start("import-large", path, 3000)
    assert child.stdout.readline() == "transaction\n"
    seen = []
    with Workspace.open(path) as ws:
        while not seen or child.poll() is None:
            tasks = ws.load().tasks
            seen.append(set(tasks["title"].str.split(" ").list.first()))
            assert tasks.height == 3000
    assert child.wait(timeout=60) == 0
    assert assert_consistent(path, old, new) == "new"
    assert all(titles in ({"old"}, {"new"}) for titles in seen)
