"""Finished work from a tracker: the resolved rows of a Jira or GitHub CSV export appended to a
workspace's history, as evidence for the estimators and the retro."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from teamcast.engine.plan.model import Plan
from teamcast.engine.plan.workspace import Workspace
from teamcast.engine.retro.outcomes import OutcomeError
from teamcast.errors import PlanError, Problem, UsageError

# 8 working hours a day: how tracker time fields (seconds) become days of effort.
SECONDS_PER_DAY = 8 * 3600


# The history fields a CSV column can fill; `outcome` is read into `succeeded` and `estimate`
# (one number) fills est_likely, a single-number estimate, unless est_low/est_high are mapped too.
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
    counts: dict[str, int] = {}

    def select(plan: Plan) -> list[dict]:
        from teamcast.engine.plan.io import require_plan

        require_plan(plan, ws_path)
        rows, counts["open"] = _history_rows(csv_path, records, columns, fmt, plan)
        seen = set(plan.history.select("task", "finished").iter_rows())
        new = [row for row in rows if (row["task"], row["finished"]) not in seen]
        counts["known"] = len(rows) - len(new)
        return new

    with Workspace.open(ws_path) as store:
        # Every row is checked against the plan before commit: the workspace stays valid.
        new = store.append_history(select, check=True)
    return ImportSummary(len(new), counts["open"], counts["known"])


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
    if assignee and assignee.lower() not in people:
        # A history row names a person of the plan (validate checks it); inventing one from the
        # tracker's text would leave a workspace that `teamcast validate` rejects.
        raise ValueError(
            f"{where('person')}: {assignee!r} is not a person of the plan (by id or name); "
            "add them to the plan first, or leave the cell empty"
        )
    person, team = people.get(assignee.lower(), (None, None))
    estimate = _days(text("estimate"), fmt, where, "estimate")
    likely = _days(text("est_likely"), fmt, where, "est_likely") or estimate
    low = _days(text("est_low"), fmt, where, "est_low")
    high = _days(text("est_high"), fmt, where, "est_high")
    if low is None and high is None or low == likely == high:
        low = high = None  # a single number is est_likely alone, as in a plan file
    else:
        low, high = (low if low is not None else likely), (high if high is not None else likely)
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
