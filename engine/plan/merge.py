"""What an import would throw away: work recorded in a workspace that the incoming plan file lacks.

`teamcast import plan.toml --into ws.db` replaces the plan. Between an `export` and the import
back, `task start|done|fail` may have recorded work in the workspace (history rows, task status);
a plain replace would silently lose it. `work_lost` lists it so the import can refuse and say so.
"""

from __future__ import annotations

from collections import Counter

from teamcast.engine.plan.model import Plan

# How far a task has got; an import may move a task forward (an edited file), never back.
_PROGRESS = {None: 0, "todo": 0, "doing": 1, "done": 2, "failed": 2}


def _names(ids: list[str], limit: int = 5) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def work_lost(stored: Plan, incoming: Plan) -> list[str]:
    """One line per kind of recorded work in `stored` that importing `incoming` would drop; [] if none."""
    lost = []
    kept = Counter(incoming.history.iter_rows())
    dropped = []
    for row in stored.history.iter_rows():
        if kept[row] > 0:
            kept[row] -= 1
        else:
            dropped.append(row)
    if dropped:
        tasks = sorted({str(row[0]) for row in dropped})
        lost.append(f"{len(dropped)} history row(s) of task(s) {_names(tasks)}")
    new_status = dict(incoming.tasks.select("id", "status").iter_rows())
    back = []
    for task_id, status in stored.tasks.select("id", "status").iter_rows():
        if _PROGRESS.get(status, 0) == 0:
            continue
        if task_id not in new_status:
            back.append(f"{task_id} ({status}, not in the file)")
        elif _PROGRESS.get(new_status[task_id], 0) < _PROGRESS[status]:
            back.append(f"{task_id} ({status} -> {new_status[task_id] or 'todo'})")
    if back:
        lost.append(f"the status of task(s) {_names(back)}")
    return lost
