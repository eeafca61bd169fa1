"""Recording outcomes: start, finish or fail a task in a workspace, or import finished work from a tracker's CSV export.

Finishing a task does two things in one transaction: the task keeps its place in the plan with
status done/failed and its actuals (the simulation fixes it there), and a row is appended to
the history with the forecast that stood when the work started. That forecast
(`forecast_p50`, `forecast_p80`) is in **days of effort**: the 50 % and 80 % quantiles of the
task's estimate under its duration model, so it compares directly with `actual_days`.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from teamcast.engine.plan.calendar import Calendar
from teamcast.engine.plan.model import Plan, TaskStatus, frame
from teamcast.engine.plan.workspace import Workspace, _check_change
from teamcast.errors import NotFoundError, PlanError, Problem, TeamcastError, UsageError

OUTCOMES = ("start", "done", "fail")
# 8 working hours a day: how tracker time fields (seconds) become days of effort.
SECONDS_PER_DAY = 8 * 3600


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
    # One IMMEDIATE transaction: the task row and the history row change together or not at all.
    with store._transaction():
        plan = store._read_plan()
        rows = plan.tasks.to_dicts()
        index = next((i for i, row in enumerate(rows) if row["id"] == task_id), None)
        if index is None:
            raise NotFoundError(f"task {task_id!r} does not exist in {store.path}")
        task = rows[index]
        if by is not None and by not in plan.people["id"].to_list():
            raise NotFoundError(f"person {by!r} does not exist in {store.path}")
        if outcome == "start":
            changed, history = _started(task, on, by), None
        else:
            changed, history = _finished(plan, task, outcome, on, by, actual)
        rows[index] = changed
        updated = plan.replace(tasks=frame("tasks", rows))
        if history is not None:
            updated = updated.replace(history=pl.concat([plan.history, frame("history", [history])]))
        _check_change(plan, updated, f"refused: task {outcome} {task_id}")
        expected = store._stored_version("tasks", task_id)
        version = store._bump_plan_version()
        store._write_row("tasks", task_id, changed, expected, version)
        if history is not None:
            store._insert("history", [history], store._next_position("history"))
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
    if actual is None:
        if started is None:
            raise OutcomeError(f"task {task['id']!r} was never started: give --actual DAYS (working days of effort)")
        actual = _working_days(plan, started, on)
    person = by or task["done_by"] or task["assignee"]
    status = TaskStatus.DONE.value if outcome == "done" else TaskStatus.FAILED.value
    changed = task | {"status": status, "finished": on, "actual_days": actual, "done_by": person}
    return changed, _history_row(plan, changed, person)


def _working_days(plan: Plan, started: dt.date, finished: dt.date) -> float:
    """Working days from the start of `started` to the end of `finished` (one day at least).

    The calendar is anchored at `started`, not at the plan's start: finished work usually lies
    before the plan's start, and counts stay non-negative this way."""
    return max(1.0, Calendar(started, plan.holidays).end_of_day(finished))


def _history_row(plan: Plan, task: dict, person: str | None) -> dict:
    p50, p80 = effort_quantiles(plan, task)
    row = _three_point_row(task)
    low, likely, high = row.row(0)[1:] if row is not None else (None, None, None)
    return {
        "task": task["id"],
        "project": task["project"],
        "kind": task["kind"],
        "person": person,
        "team": _team_of(plan, person),
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


def _team_of(plan: Plan, person: str | None) -> str | None:
    found = plan.people.filter(pl.col("id") == person)["team"]
    return found[0] if found.len() else None


# --- tracker CSV import --------------------------------------------------------------------

# The history fields a CSV column can fill; `outcome` is read into `succeeded` and `estimate`
# (one number) fills est_low = est_likely = est_high unless est_low/est_high are mapped too.
FIELDS = (
    "task",
    "project",
    "kind",
    "person",
    "team",
    "outcome",
    "estimate",
    "est_low",
    "est_likely",
    "est_high",
    "p_success",
    "actual_days",
    "started",
    "finished",
)
REQUIRED = ("task", "finished", "outcome")

# Column names of each tracker's CSV export, overridable with --map FIELD=COLUMN.
MAPPINGS: dict[str, dict[str, str]] = {
    "jira": {
        "task": "Issue key",
        "project": "Project key",
        "kind": "Issue Type",
        "person": "Assignee",
        "started": "Created",
        "finished": "Resolved",
        "outcome": "Resolution",
        "estimate": "Original Estimate",
        "actual_days": "Time Spent",
    },
    "github": {
        "task": "Number",
        "project": "Repository",
        "kind": "Labels",
        "person": "Assignees",
        "started": "Created At",
        "finished": "Closed At",
        "outcome": "State Reason",
        "estimate": "Estimate",
        "actual_days": "Actual",
    },
}
# Jira exports time-tracking fields in seconds; GitHub custom number fields are taken as days.
TIME_IN_SECONDS = {"jira": True, "github": False}
SUCCEEDED = {"done", "fixed", "resolved", "complete", "completed", "succeeded", "success", "true", "yes", "1"}
FAILED = {
    "won't do",
    "won't fix",
    "wont do",
    "wont fix",
    "cannot reproduce",
    "duplicate",
    "incomplete",
    "declined",
    "abandoned",
    "not_planned",
    "not planned",
    "failed",
    "failure",
    "false",
    "no",
    "0",
    "rejected",
}
_DATE_FORMATS = ("%d/%b/%y %I:%M %p", "%d/%b/%Y %I:%M %p", "%d/%b/%y", "%d/%b/%Y", "%m/%d/%Y", "%Y/%m/%d")


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """`--map FIELD=COLUMN` options as a dict; UsageError for a malformed pair or an unknown field."""
    mapping = {}
    for pair in pairs:
        field_name, sep, column = pair.partition("=")
        field_name, column = field_name.strip(), column.strip()
        if not sep or not field_name or not column:
            raise UsageError(f"--map {pair!r}: write FIELD=COLUMN, e.g. --map finished=Resolved")
        if field_name not in FIELDS:
            raise UsageError(f"--map {pair!r}: unknown field {field_name!r}; fields: {', '.join(FIELDS)}")
        mapping[field_name] = column
    return mapping


def _tracker_date(text: str) -> dt.date:
    text = text.strip()
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date")


def _outcome(text: str) -> bool | None:
    """True/False for a resolved row, None for one still open (empty resolution)."""
    value = text.strip().lower()
    if not value or value in {"unresolved", "open"}:
        return None
    if value in SUCCEEDED:
        return True
    if value in FAILED:
        return False
    raise ValueError(f"unknown outcome {text!r} (map successes like 'Done', failures like \"Won't Do\")")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_.-]+", "-", text.strip().lower()).strip("-")


@dataclass(frozen=True)
class ImportSummary:
    imported: int
    open_rows: int  # not resolved yet: skipped
    duplicates: int  # the same task and finish date is already in the history

    def __str__(self) -> str:
        return (
            f"imported {self.imported} finished task(s) into the history; skipped {self.open_rows} open, "
            f"{self.duplicates} already recorded"
        )


def import_tracker_csv(
    ws_path: str | Path, csv_path: str | Path, fmt: str, mapping: dict[str, str] | None = None
) -> ImportSummary:
    """Append the resolved rows of a Jira or GitHub CSV export to the workspace's history.

    `mapping` overrides MAPPINGS[fmt] field by field. The whole file is checked before the
    workspace is touched; any bad row fails the import with every problem listed.
    """
    if fmt not in MAPPINGS:
        raise UsageError(f"unknown tracker format {fmt!r}; expected one of {', '.join(MAPPINGS)}")
    csv_path = Path(csv_path)
    columns = MAPPINGS[fmt] | (mapping or {})
    header, records = _read_csv(csv_path)
    _check_columns(csv_path, header, columns, set(mapping or {}))
    with Workspace.open(ws_path) as store:
        with store._transaction():
            plan = store._read_plan()
            rows, open_rows = _history_rows(csv_path, records, columns, fmt, plan)
            seen = set(plan.history.select("task", "finished").iter_rows())
            new = [row for row in rows if (row["task"], row["finished"]) not in seen]
            if new:
                store._bump_plan_version()
                store._insert("history", new, store._next_position("history"))
    return ImportSummary(len(new), open_rows, len(rows) - len(new))


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            return list(reader.fieldnames or []), list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise OutcomeError(f"cannot read {path}: {exc}") from None


def _check_columns(path: Path, header: list[str], columns: dict[str, str], explicit: set[str]) -> None:
    """Required fields and explicitly mapped ones must name a column of the file."""
    missing = [
        f"{columns[f]!r} ({f})" for f in columns if columns[f] not in header and (f in REQUIRED or f in explicit)
    ]
    if missing:
        raise OutcomeError(f"{path}: missing column(s) {', '.join(missing)}; map them with --map FIELD=COLUMN")


def _history_rows(
    path: Path, records: list[dict[str, str]], columns: dict[str, str], fmt: str, plan: Plan
) -> tuple[list[dict], int]:
    present = {f: c for f, c in columns.items() if records and c in records[0]}
    people = _people_index(plan)
    rows, problems, open_rows = [], [], 0
    for line, record in enumerate(records, start=2):  # line 1 is the header
        try:
            row = _history_row_from(record, present, fmt, people)
        except ValueError as exc:
            problems.append(Problem(f"{path}:{line}", str(exc)))
            continue
        if row is None:
            open_rows += 1
        else:
            rows.append(row)
    if problems:
        raise PlanError(problems)
    return rows, open_rows


def _people_index(plan: Plan) -> dict[str, tuple[str, str | None]]:
    """Person id and team by id and by display name (lower case), for the tracker's assignee text."""
    index = {}
    for person in plan.people.select("id", "name", "team").iter_rows():
        index[person[0].lower()] = (person[0], person[2])
        if person[1]:
            index[person[1].lower()] = (person[0], person[2])
    return index


def _history_row_from(record: dict[str, str], columns: dict[str, str], fmt: str, people: dict) -> dict | None:
    def text(field_name: str) -> str:
        return (record.get(columns.get(field_name, ""), "") or "").strip()

    def where(field_name: str) -> str:
        return f"{columns[field_name]} ({field_name})"

    succeeded = _parse(lambda: _outcome(text("outcome")), where("outcome"))
    if succeeded is None:
        return None
    task = _slug(text("task"))
    if not task:
        raise ValueError(f"{where('task')} is empty")
    if fmt == "github" and task.isdigit():
        task = f"gh-{task}"
    finished = _parse(lambda: _tracker_date(text("finished")), where("finished"))
    started = _parse(lambda: _tracker_date(text("started")), where("started")) if text("started") else None
    assignee = re.split(r"[,;]", text("person"))[0].strip()
    person, team = people.get(assignee.lower(), (_slug(assignee) or None, None))
    estimate = _days(text("estimate"), fmt, where, "estimate")
    likely = _days(text("est_likely"), fmt, where, "est_likely") or estimate
    low = _days(text("est_low"), fmt, where, "est_low") or likely
    high = _days(text("est_high"), fmt, where, "est_high") or likely
    actual = _days(text("actual_days"), fmt, where, "actual_days")
    p_success = _parse(lambda: float(text("p_success")), where("p_success")) if text("p_success") else None
    return {
        "task": task,
        "project": text("project") or None,
        "kind": (re.split(r"[,;]", text("kind"))[0].strip() or None),
        "person": person,
        "team": text("team") or team,
        "est_low": low,
        "est_likely": likely,
        "est_high": high,
        "p_success": p_success,
        "actual_days": actual,
        "succeeded": succeeded,
        "started": started,
        "finished": finished,
        "forecast_p50": None,
        "forecast_p80": None,
    }


def _parse(read, where: str):
    try:
        return read()
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _days(value: str, fmt: str, where, field_name: str) -> float | None:
    """A time field in days: Jira's time tracking is in seconds, GitHub number fields in days."""
    if not value:
        return None
    number = _parse(lambda: float(value), where(field_name))
    if number < 0:
        raise ValueError(f"{where(field_name)}: {value!r} is negative")
    seconds = TIME_IN_SECONDS[fmt] and field_name in ("estimate", "est_low", "est_likely", "est_high", "actual_days")
    return number / SECONDS_PER_DAY if seconds else number
