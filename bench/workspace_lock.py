"""How long one recorded outcome (`task start`) holds a workspace's write lock on a 20,000-task plan.

    .venv/bin/python bench/workspace_lock.py [TASKS]

A second process tries to take the write lock (`BEGIN IMMEDIATE`, no waiting) every
millisecond while this one records three `record_outcome(..., "start")` calls. For each call
it prints the longest stretch the other process found the lock taken (what another session's
write waits, issue 14) and the call's own wall and CPU time. Not a test: it asserts nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import select
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def poll(path: str) -> None:
    """Try the write lock until told to stop on stdin; print the stretches it was taken (monotonic clock)."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    taken: list[tuple[float, float]] = []
    since = None
    print("ready", flush=True)
    while not select.select([sys.stdin], [], [], 0)[0]:
        now = time.monotonic()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            if since is not None:
                taken.append((since, now))
                since = None
        except sqlite3.OperationalError:
            since = now if since is None else since
        time.sleep(0.001)
    print(json.dumps(taken), flush=True)


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from scale import organisation

    from teamcast.engine import Workspace, record_outcome

    tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    plan = organisation(tasks=tasks, teams=max(1, tasks // 200))
    path = Path(tempfile.mkdtemp()) / "big.db"
    with Workspace.create(path) as ws:
        ws.import_plan(plan)
    todo = [r["id"] for r in plan.tasks.iter_rows(named=True) if (r["status"] or "todo") == "todo"][:3]
    poller = subprocess.Popen(
        [sys.executable, __file__, "--poll", str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert poller.stdout is not None and poller.stdout.readline() == "ready\n"
    calls = []
    with Workspace.open(path) as ws:
        for task in todo:
            began, cpu = time.monotonic(), time.process_time()
            record_outcome(ws, task, "start", on=dt.date(2027, 1, 5))
            calls.append((task, began, time.monotonic(), time.process_time() - cpu))
    taken = json.loads(poller.communicate("stop\n")[0])
    for task, began, ended, cpu in calls:
        held = max((b - a for a, b in taken if a >= began - 0.01 and b <= ended + 0.01), default=0.0)
        print(
            f"{tasks:,} tasks: task start {task} held the write lock {held:.3f} s "
            f"(the call: {ended - began:.2f} s wall, {cpu:.2f} s CPU)"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--poll"]:
        poll(sys.argv[2])
    else:
        main()
