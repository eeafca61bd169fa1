"""Recording outcomes: start, finish or fail a task in a workspace (a tracker's CSV export: teamcast.engine.retro.tracker).

Finishing a task does two things in one transaction: the task keeps its place in the plan with
status done/failed and its actuals (the simulation fixes it there), and a row is appended to
the history with the forecast that stood when the work started. That forecast
(`forecast_p50`, `forecast_p80`) is in **days of effort**: the 50 % and 80 % quantiles of the
task's estimate under its duration model, so it compares directly with `actual_days`.

`actual_days` is effort, never elapsed time: without `--actual` it is the working days from
`started` to the finish (holidays excluded) times the doer's capacity; the working days
themselves are kept in `elapsed_days`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from teamcast.engine.plan.calendar import Calendar
from teamcast.engine.plan.model import Plan, TaskStatus
from teamcast.engine.plan.workspace import Workspace
from teamcast.errors import NotFoundError, TeamcastError, UsageError

OUTCOMES = ("start", "done", "fail")


class OutcomeError(TeamcastError):
    """An outcome that cannot be recorded as given (bad date, task in the wrong state, bad CSV)."""

    title = "outcome"


def parse_date(text: str, what: str = "date") -> dt.date:
    """An ISO date (YYYY-MM-DD), or OutcomeError naming `what`."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise OutcomeError(f"{what} {text!r} is not a date; write it as YYYY-MM-DD") from None


# --- task start / done / fail --------------------------------------------------------------


def effort_quantiles(plan: Plan, task: dict, levels: Iterable[float] = (0.5, 0.8)) -> list[float | None]:
    """The task's effort at each probability level under its duration model (None when the model
    has no quantile function or the estimate is not three points)."""
    from teamcast.plugins.manager import get_registry

    levels = list(levels)
    row = _three_point_row(task)
    model = get_registry().duration_model(task.get("model") or plan.default_model)
    if model.quantile is None or row is None:
        return [None] * len(levels)
    try:
        values = model.quantile(row, np.asarray(levels, dtype=np.float64).reshape(-1, 1))
    except ValueError:
        return [None] * len(levels)
    return [float(v) for v in np.asarray(values).reshape(-1)]


def _three_point_row(task: dict) -> pl.DataFrame | None:
    """A one-row tasks-like frame with est_low/likely/high filled in (a single number is all three)."""
    likely = task.get("est_likely")
    if likely is None:
        return None
    low = task.get("est_low") if task.get("est_low") is not None else likely
    high = task.get("est_high") if task.get("est_high") is not None else likely
    return pl.DataFrame(
        {"id": [task.get("id") or task.get("task")], "est_low": [low], "est_likely": [likely], "est_high": [high]}
    )


@dataclass(frozen=True)
class Recorded:
    """What `record_outcome` did, for the CLI's one-line answer."""

    task: str
    status: str
    on: dt.date
    actual_days: float | None
    history_row: dict | None


def record_outcome(
    workspace: str | Path | Workspace,
    task_id: str,
    outcome: str,
    *,
    on: dt.date | None = None,
    by: str | None = None,
    actual: float | None = None,
) -> Recorded:
    """Start (`start`), finish (`done`) or fail (`fail`) task `task_id`; done and fail append a history row.

    Everything happens in one transaction: on any error nothing is written.
    """
    if outcome not in OUTCOMES:
        raise UsageError(f"unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
    if actual is not None and not actual > 0:
        raise OutcomeError(f"--actual must be a positive number of working days, got {actual:g}")
    on = on or dt.date.today()
    if isinstance(workspace, Workspace):
        return _record(workspace, task_id, outcome, on, by, actual)
    with Workspace.open(workspace) as store:
        return _record(store, task_id, outcome, on, by, actual)


def _record(
    store: Workspace, task_id: str, outcome: str, on: dt.date, by: str | None, actual: float | None
) -> Recorded:
    def change(plan: Plan, task: dict) -> tuple[dict, dict | None]:
        if by is not None and by not in plan.people["id"].to_list():
            raise NotFoundError(f"person {by!r} does not exist in {store.path}")
        if outcome == "start":
            return _started(task, on, by), None
        return _finished(plan, task, outcome, on, by, actual)

    from teamcast.engine.plan.io import require_plan

    require_plan(store.load(tables=("plan",)), store.path)
    # One transaction: the task row and the history row change together or not at all.
    changed, history = store.change_task(task_id, change, f"refused: task {outcome} {task_id}")
    return Recorded(task_id, changed["status"], on, changed.get("actual_days"), history)


def _status(task: dict) -> str:
    return task["status"] or TaskStatus.TODO.value


def _started(task: dict, on: dt.date, by: str | None) -> dict:
    if _status(task) != TaskStatus.TODO:
        raise OutcomeError(f"task {task['id']!r} is already {_status(task)}; only a todo task can start")
    return task | {"status": TaskStatus.DOING.value, "started": on, "done_by": by or task["done_by"]}


def _finished(
    plan: Plan, task: dict, outcome: str, on: dt.date, by: str | None, actual: float | None
) -> tuple[dict, dict]:
    if _status(task) in (TaskStatus.DONE, TaskStatus.FAILED):
        raise OutcomeError(f"task {task['id']!r} is already {_status(task)}")
    started = task["started"]
    if started is not None and on < started:
        raise OutcomeError(f"task {task['id']!r} started on {started}; it cannot finish on {on}")
    person = by or task["done_by"] or task["assignee"]
    elapsed = _working_days(plan, started, on) if started is not None else None
    if actual is None:
        if elapsed is None:
            raise OutcomeError(f"task {task['id']!r} was never started: give --actual DAYS (working days of effort)")
        # History is effort: a half-time person who spent 10 working days on it gave 5 days of work.
        actual = elapsed * capacity_of(plan, person)
    status = TaskStatus.DONE.value if outcome == "done" else TaskStatus.FAILED.value
    changed = task | {"status": status, "finished": on, "actual_days": actual, "done_by": person}
    return changed, _history_row(plan, changed, person) | {"elapsed_days": elapsed}


def capacity_of(plan: Plan, person: str | None) -> float:
    """The share of a person's (or open hire's) working time on planned work; 1.0 when unknown.

    A hire's ramp is not applied: the plan does not say when they arrived."""
    if person is None:
        return 1.0
    for table in (plan.people, plan.hires):
        found = table.filter(pl.col("id") == person)["capacity"]
        if found.len():
            return float(found[0]) if found[0] is not None else 1.0
    return 1.0


def _working_days(plan: Plan, started: dt.date, finished: dt.date) -> float:
    """Working days from the start of `started` to the end of `finished` (one day at least).

    The calendar is anchored at `started`, not at the plan's start: finished work usually lies
    before the plan's start, and counts stay non-negative this way."""
    return max(1.0, Calendar(started, plan.holidays).end_of_day(finished))


def _history_row(plan: Plan, task: dict, person: str | None) -> dict:
    p50, p80 = effort_quantiles(plan, task)
    low, likely, high = task["est_low"], task["est_likely"], task["est_high"]
    if low == high:  # a single number stays one (a zero-width range is not a valid estimate)
        low = high = None
    return {
        "task": task["id"],
        "project": task["project"],
        "kind": task["kind"],
        "person": person,
        "team": team_of(plan, person),
        "est_low": low,
        "est_likely": likely,
        "est_high": high,
        "p_success": task["p_success"] if task["p_success"] is not None else 1.0,
        "actual_days": task["actual_days"],
        "succeeded": task["status"] == TaskStatus.DONE.value,
        "started": task["started"],
        "finished": task["finished"],
        "forecast_p50": p50,
        "forecast_p80": p80,
    }


def team_of(plan: Plan, person: str | None) -> str | None:
    if person is None:
        return None
    found = plan.people.filter(pl.col("id") == person)["team"]
    return found[0] if found.len() else None
