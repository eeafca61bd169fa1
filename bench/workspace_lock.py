"""How long one recorded outcome (`task start`) holds a workspace's write lock on a 20,000-task plan.

    .venv/bin/python bench/workspace_lock.py [TASKS]

Prints the wall time of three `record_outcome(..., "start")` calls; each is one transaction, so
this is the time another session's write waits (issue 14). Not a test: it asserts nothing.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from scale import organisation  # noqa: E402

from teamcast.engine import Workspace, record_outcome  # noqa: E402


def main() -> None:
    tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    plan = organisation(tasks=tasks, teams=max(1, tasks // 200))
    path = Path(tempfile.mkdtemp()) / "big.db"
    with Workspace.create(path) as ws:
        ws.import_plan(plan)
    todo = [r["id"] for r in plan.tasks.iter_rows(named=True) if (r["status"] or "todo") == "todo"][:3]
    with Workspace.open(path) as ws:
        for task in todo:
            started = time.perf_counter()
            record_outcome(ws, task, "start", on=dt.date(2027, 1, 5))
            print(f"{tasks:,} tasks: task start {task} held the write lock {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
