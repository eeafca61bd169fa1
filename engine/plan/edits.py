"""Checks for the edits of a workspace: read only what an edit needs, validate only what it can break.

A workspace notes the plan version it last proved free of errors, with a stamp of the rules
that proved it (meta keys `checked` and `checked_rules`, written by `Workspace`). From such a
plan, changing some tasks, appending history rows, or changing a column of another row that
only that row's checks read (`LOCAL_COLUMNS`) can add errors only where the checks of those
rows find them, with the rest of the plan as context. So the edit is checked on a *slice*:
every table but the bulk ones in full, the changed tasks and every task in progress (the
day-0 check of who is free reads them all, in plan order), the appended history rows, and
what the slice's rows need from the whole plan (validate.Whole: task ids, the work of the
other tasks). A task's new `after` can close a dependency cycle only through that task, so
one search from it tells whether the graph still has none.

Anything else (a stored plan not known to be free of errors, ids, a task's project, roles,
pools, challenges) is checked as before: the whole plan, refusing only errors the edit adds.
`Workspace` runs either check before it takes the write lock. tests/engine/test_edit_checks.py
compares the two on random edits of real plans.
"""

from __future__ import annotations

import functools
import sqlite3
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl

from teamcast.engine.plan.graph import dependency_graph, on_cycle
from teamcast.engine.plan.model import SCHEMAS, Plan, frame
from teamcast.engine.plan.storage import (
    EDITABLE_TABLES,
    PROJECT_CHILDREN,
    SINGLETON_TABLES,
    decode_value,
    row_label,
    select_rows,
)
from teamcast.engine.plan.validate import Whole, validate_plan
from teamcast.errors import PlanError, Problem, WorkspaceError

# Tables a slice holds only some rows of: they grow with the plan's size and age.
BULK_TABLES = ("tasks", "history", "experiments", "forecasts")


def _all_but(table: str, *columns: str) -> frozenset[str]:
    return frozenset(SCHEMAS[table]) - set(columns)


# Columns that no check of another row reads, so that changing one can add errors only on its own
# row (and, for tasks, in the day-0 check of work in progress, which the slice holds in full).
# Ids are read by every reference; a person's or open hire's role makes the roster that tasks
# draw from; pool sizes bound what tasks need; challenges decide which tasks are approaches.
# A task's `after` is local but for dependency cycles (searched from the task).
LOCAL_COLUMNS: dict[str, frozenset[str]] = {
    "plan": _all_but("plan"),
    "org": _all_but("org"),
    "teams": _all_but("teams", "id"),
    "people": _all_but("people", "id", "role"),
    "hires": _all_but("hires", "id", "role"),
    "projects": _all_but("projects", "id"),
    "tasks": _all_but("tasks", "id", "project"),
    "challenges": frozenset({"title"}),
    "candidates": _all_but("candidates", "id"),
}

# The largest point of a task's estimate, or null: what limits' horizon check sums per task.
_EFFORT = (
    "max(coalesce(est_low, est_likely, est_high), coalesce(est_likely, est_high, est_low),"
    " coalesce(est_high, est_low, est_likely))"
)


@functools.cache
def rules_stamp() -> int:
    """A number that changes with the code deciding what an error is (this teamcast's version and
    the source of the checking modules), so that a plan proved free of errors by other rules is
    checked whole again."""
    import teamcast
    from teamcast.engine.plan import graph, limits, model, storage, text, validate

    stamp = zlib.crc32(teamcast.__version__.encode())
    for path in (*(module.__file__ for module in (validate, limits, text, graph, model, storage)), __file__):
        try:
            stamp = zlib.crc32(Path(str(path)).read_bytes(), stamp)
        except OSError:  # no source installed: the version alone
            pass
    return stamp


# --- whole-plan checks -----------------------------------------------------------------------


def storage_problems(plan: Plan) -> list[Problem]:
    """What the tables cannot hold whatever the validator says: wrong columns, missing or repeated ids."""
    problems: list[Problem] = []
    for table, df in plan.tables().items():
        if df.schema != SCHEMAS[table]:
            problems.append(Problem(table, "columns differ from the data model (engine/plan/model.py)"))
            continue
        if table in SINGLETON_TABLES and df.height > 1:
            problems.append(Problem(table, f"holds {df.height} rows; at most one is allowed"))
        if "id" in df.columns and table in EDITABLE_TABLES:
            if df["id"].null_count():
                problems.append(Problem(table, "a row has no id"))
            for row_id in df.filter(pl.col("id").is_duplicated())["id"].unique(maintain_order=True):
                problems.append(Problem(f"{table}[{row_id}]", "id used more than once"))
    if not problems:
        known = set(plan.projects["id"].to_list())
        for table in PROJECT_CHILDREN:
            for row in getattr(plan, table).select("id", "project").iter_rows():
                if row[1] not in known:
                    problems.append(Problem(f"{table}[{row[0]}]", f"project {row[1]!r} does not exist"))
    return problems


def plan_problems(plan: Plan, whole: Whole | None = None) -> list[Problem]:
    """What a workspace refuses to store: storage problems first, else the validator's."""
    return storage_problems(plan) or validate_plan(plan, whole)


def _errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def check_plan(plan: Plan, source: str | None = None) -> list[Problem]:
    """Raise PlanError with every problem when `plan` cannot be stored or does not validate;
    otherwise return its warnings."""
    problems = plan_problems(plan)
    if _errors(problems):
        raise PlanError(problems, source=source)
    return problems


def check_change(before: Plan, after: Plan, what: str | None = None) -> bool:
    """Refuse an edit that adds errors; errors the stored plan already had (an empty workspace
    has no [plan] yet) must not block the edits that fix them. `what` names the edit, since an
    error may sit on another row (starting one task can leave another without its people).
    Returns whether `after` is free of errors."""
    errors = _errors(plan_problems(after))
    if not errors:  # the usual edit: no need to validate the plan as it was too
        return True
    known = set(plan_problems(before))
    added = [p for p in errors if p not in known]
    if added:
        raise PlanError(added, source=what)
    return False


def check_value(table: str, row_id: str | None, column: str, value: Any) -> None:
    """PlanError unless `value` fits `table`'s `column`."""
    if column not in SCHEMAS[table] or (column == "id" and table in SINGLETON_TABLES):
        raise WorkspaceError(f"{table} has no field {column!r}")
    dtype = SCHEMAS[table][column]
    # Polars would read a lone string as a list of one; a list column takes a list or nothing.
    fits = value is None or not isinstance(dtype, pl.List) or isinstance(value, list)
    try:
        pl.Series([value], dtype=dtype, strict=True)
    except (TypeError, ValueError, pl.exceptions.PolarsError):
        fits = False
    if not fits:
        location = f"{row_label(table, row_id)}.{column}"
        raise PlanError([Problem(location, f"expected {dtype}, got {value!r}")])


def rename_project(plan: Plan, old: str, new: str) -> Plan:
    """The frames as the foreign keys leave them after a project's id changes (ON UPDATE CASCADE)."""
    renamed = pl.when(pl.col("project") == old).then(pl.lit(new)).otherwise(pl.col("project")).alias("project")
    return plan.replace(**{child: getattr(plan, child).with_columns(renamed) for child in PROJECT_CHILDREN})


def with_row(plan: Plan, table: str, old: dict, new: dict) -> Plan:
    """`plan` with row `old` of `table` (a singleton not written yet: {}) changed to `new`."""
    rows = getattr(plan, table).to_dicts()
    if table in SINGLETON_TABLES:
        rows = [new] if not rows else [rows[0] | new]
    else:
        rows = [new if row["id"] == old["id"] else row for row in rows]
    changed = plan.replace(**{table: frame(table, rows)})
    if table == "projects" and old and new["id"] != old["id"]:
        changed = rename_project(changed, old["id"], new["id"])
    return changed


def with_history(plan: Plan, rows: list[dict]) -> Plan:
    return plan.replace(history=pl.concat([plan.history, frame("history", rows)])) if rows else plan


# --- reading for an edit ---------------------------------------------------------------------


class Snapshot:
    """What an edit reads, all in the one read transaction open on `conn`."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        meta = dict(conn.execute('SELECT "key", "value" FROM meta').fetchall())
        self.version: int = meta["plan_version"]
        # The stored plan was proved free of errors at this version, by these rules.
        self.trusted = meta.get("checked") == self.version and meta.get("checked_rules") == rules_stamp()
        self._plan: Plan | None = None
        self._frames: dict[str, pl.DataFrame] = {}
        self._held: dict[int, dict] | None = None

    def row(self, table: str, row_id: str | None) -> tuple[int, int, dict] | None:
        """The stored row's position, version and values; None when there is none."""
        where, args = ("pos = 0", ()) if table in SINGLETON_TABLES else ('"id" = ?', (row_id,))
        found = select_rows(self.conn, table, where, args)
        return (found[0][0], found[0][1] or 0, found[0][2]) if found else None

    def plan(self) -> Plan:
        """The whole plan, forecasts included."""
        if self._plan is None:
            self._plan = Plan(**{t: frame(t, [r for _, _, r in select_rows(self.conn, t)]) for t in SCHEMAS})
        return self._plan

    def task_ids(self) -> list[str]:
        return [task for (task,) in self.conn.execute('SELECT "id" FROM tasks')]

    def slice(
        self, tasks: dict[int, dict] | None = None, history: Iterable[dict] = (), order: list[str] | None = None
    ) -> Plan:
        """The slice of the plan with the tasks at some positions set to new values, `history` rows
        appended, and, with `order`, the tasks in that order of ids."""
        if not self._frames:
            self._frames = {
                t: frame(t, [r for _, _, r in select_rows(self.conn, t)]) for t in SCHEMAS if t not in BULK_TABLES
            }
            self._held = {pos: row for pos, _, row in select_rows(self.conn, "tasks", "status = 'doing'")}
        held = (self._held or {}) | (tasks or {})
        positions = sorted(held)
        if order is not None:
            rank = {task: n for n, task in enumerate(order)}
            positions.sort(key=lambda pos: rank[held[pos]["id"]])
        return Plan(
            **self._frames,
            tasks=frame("tasks", [held[pos] for pos in positions]),
            history=frame("history", list(history)),
        )

    def whole(self, plan: Plan, every_task: bool = False) -> Whole:
        """What slice `plan` needs from the whole plan: the tasks its rows name (or, with `every_task`,
        all, for the whole check's "did you mean" hints) and the work of the others."""
        inside = plan.tasks["id"].to_list()
        named = set(inside)
        for after in plan.tasks["after"].drop_nulls():
            named.update(after)
        for approaches in plan.challenges["approaches"].drop_nulls():
            named.update(approaches)
        if every_task:
            projects = dict(self.conn.execute('SELECT "id", "project" FROM tasks').fetchall())
        else:
            projects = {}
            ids = sorted(named)
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                query = f'SELECT "id", "project" FROM tasks WHERE "id" IN ({marks})'
                projects.update(self.conn.execute(query, chunk).fetchall())
        marks = ", ".join("?" * len(inside))
        effort = self.conn.execute(
            f"SELECT total(CASE WHEN abs(e) < 9e999 THEN e END) FROM (SELECT {_EFFORT} AS e FROM tasks"
            f' WHERE "id" NOT IN ({marks}))',
            inside,
        ).fetchone()[0]
        return Whole(
            task_projects=projects,
            history_before=self.conn.execute("SELECT count(*) FROM history").fetchone()[0],
            effort_elsewhere=float(effort),
        )

    def check(self, plan: Plan, what: str | None = None) -> bool:
        """Refuse the edit slice `plan` shows: the stored plan being free of errors, any error in
        the slice is one the edit adds. Returns True: the plan after the edit is free of errors."""
        if _errors(plan_problems(plan, self.whole(plan))):
            # Refused: find the errors again with every task known, so the hints match the whole check.
            raise PlanError(_errors(plan_problems(plan, self.whole(plan, every_task=True))), source=what)
        return True

    def closes_cycle(self, task_id: str, after: list[str] | None) -> bool:
        """Whether giving task `task_id` this `after` puts it on a dependency cycle."""
        dtype = SCHEMAS["tasks"]["after"]
        tasks = [
            (node, after if node == task_id else decode_value(deps, dtype))
            for node, deps in self.conn.execute('SELECT "id", "after" FROM tasks')
        ]
        challenges = self.slice().challenges.select("id", "strategy", "approaches").iter_rows()
        return on_cycle(task_id, dependency_graph(tasks, challenges))


def check_row_edit(
    snapshot: Snapshot,
    table: str,
    stored: tuple[int, int, dict] | None,
    new: dict,
    history: list[dict] | None = None,
    what: str | None = None,
) -> bool:
    """Refuse (PlanError) changing the `stored` row of `table` (None: a singleton not written yet)
    to `new`, with `history` rows appended, if that adds an error; else return whether the plan
    after it is free of errors."""
    history = history or []
    position, _, old = stored if stored is not None else (0, 0, {})
    changed = {c for c in SCHEMAS[table] if c in new and (stored is None or old.get(c) != new.get(c))}
    local = snapshot.trusted and changed <= LOCAL_COLUMNS.get(table, frozenset())
    if local and table == "tasks" and "after" in changed:
        local = not snapshot.closes_cycle(new["id"], new["after"])
    if local:
        if table == "tasks":
            return snapshot.check(snapshot.slice({position: new}, history), what)
        return snapshot.check(with_row(snapshot.slice(history=history), table, old, new), what)
    before = snapshot.plan()
    return check_change(before, with_history(with_row(before, table, old, new), history), what)
