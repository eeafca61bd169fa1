"""The workspace: one SQLite file that holds a plan, its forecast snapshots and logs, shared safely by several sessions.

Every write is one `BEGIN IMMEDIATE` transaction. Editable rows carry a `row_version` (the
workspace's `plan_version` when the row last changed, so a version is never reused, not even
after a re-import); an update names the version it read and is refused with ConflictError
when another session changed the row since. Tables mirror the frames of `engine/plan/model.py`;
lists and structs are stored as JSON text, dates as ISO text, and a `pos` column keeps the
plan's row order so that an export gives back exactly what was imported.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from teamcast.engine.plan.model import SCHEMAS, Plan, frame
from teamcast.engine.plan.storage import (
    APPLICATION_ID,
    BUSY_TIMEOUT_MS,
    EDITABLE_TABLES,
    MIGRATIONS,
    PLAN_TABLES,
    PROJECT_CHILDREN,
    SCHEMA_VERSION,
    SINGLETON_TABLES,
    column_list,
    decode_row,
    encode_row,
    row_label,
)
from teamcast.engine.plan.validate import validate_plan
from teamcast.errors import (
    ConflictError,
    NotFoundError,
    PlanError,
    Problem,
    WorkspaceError,
)

# --- plan checks ---------------------------------------------------------------------------


def _storage_problems(plan: Plan) -> list[Problem]:
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


def _validation_problems(plan: Plan) -> list[Problem]:
    """Problems from teamcast.engine.plan.validate.validate_plan."""
    return list(validate_plan(plan))


def _problems(plan: Plan) -> list[Problem]:
    return _storage_problems(plan) or _validation_problems(plan)


def check_plan(plan: Plan, source: str | None = None) -> list[Problem]:
    """Raise PlanError with every problem when `plan` cannot be stored or does not validate;
    otherwise return its warnings."""
    problems = _problems(plan)
    if any(p.severity == "error" for p in problems):
        raise PlanError(problems, source=source)
    return problems


def _check_change(before: Plan, after: Plan, what: str | None = None) -> None:
    """Refuse an edit that adds errors; errors the stored plan already had (an empty workspace
    has no [plan] yet) must not block the edits that fix them. `what` names the edit, since an
    error may sit on another row (starting one task can leave another without its people)."""
    errors = [p for p in _problems(after) if p.severity == "error"]
    if not errors:  # the usual edit: no need to validate the plan as it was too
        return
    known = set(_problems(before))
    added = [p for p in errors if p not in known]
    if added:
        raise PlanError(added, source=what)


def _check_value(table: str, row_id: str | None, column: str, value: Any) -> None:
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


# --- the workspace -------------------------------------------------------------------------


def _connect(path: Path, mode: str) -> sqlite3.Connection:
    uri = f"{path.absolute().as_uri()}?mode={mode}"
    # isolation_level=None: this module issues BEGIN/COMMIT itself, so a transaction spans
    # exactly the statements it means to.
    return sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)


# change(plan, task) -> (changed task row, history row or None)
TaskChange = Callable[[Plan, dict], tuple[dict, "dict | None"]]


def writable(path: Path) -> bool:
    """Whether SQLite may write `path` and create its journal files beside it."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


class Workspace:
    """An open workspace file; use `Workspace.create` or `Workspace.open`, and close it (or use `with`)."""

    def __init__(self, connection: sqlite3.Connection, path: Path):
        self._conn = connection
        self.path = path
        self.read_only = False  # opened immutable: the file or its directory is not writable
        # One connection may be shared by a TUI's worker threads; transactions must not interleave.
        self._lock = threading.RLock()

    # --- opening ---------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path) -> Workspace:
        """A new, empty workspace at `path`; refuses to touch an existing file."""
        path = Path(path)
        try:
            path.touch(exist_ok=False)  # atomic: two `init`s racing cannot both succeed
        except FileExistsError:
            raise WorkspaceError(f"{path} already exists; open it, or choose another name") from None
        except OSError as exc:
            raise WorkspaceError(f"cannot create {path}: {exc.strerror}") from None
        try:
            workspace = cls._connected(path)
            workspace._configure()
            workspace._migrate()
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return workspace

    @classmethod
    def open(cls, path: str | Path) -> Workspace:
        """The existing workspace at `path`, migrated to this version's schema if it is older."""
        path = Path(path)
        if not path.exists():
            missing = WorkspaceError(f"{path} does not exist; create it with `teamcast init {path}`")
            missing.exit_code = 2  # a file argument that does not exist is a usage error (docs/cli.md)
            raise missing
        if not path.is_file():
            raise WorkspaceError(f"{path} is not a file")
        workspace = cls._connected(path, read_only=not writable(path))
        try:
            # Nothing is written (not even the journal mode) before the file proves to be ours.
            version = workspace._check_header()
            if workspace.read_only and version < SCHEMA_VERSION:
                raise WorkspaceError(
                    f"{path} needs an upgrade to this teamcast's schema, but it is read-only here; "
                    "copy it to a writable place first"
                )
            if not workspace.read_only:
                workspace._configure()
            if version < SCHEMA_VERSION:
                workspace._migrate()
        except BaseException:
            workspace.close()
            raise
        return workspace

    @classmethod
    def _connected(cls, path: Path, read_only: bool = False) -> Workspace:
        # A file we may not write (read-only directory or file) is opened immutable: SQLite then
        # needs no lock or -shm file beside it, so read-only commands still work.
        try:
            conn = _connect(path, "ro&immutable=1" if read_only else "rw")
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        except sqlite3.Error as exc:
            raise WorkspaceError(f"cannot open {path}: {exc}") from None
        try:
            # The first read of the header tells a garbage file from a database.
            conn.execute("PRAGMA schema_version").fetchone()
        except sqlite3.OperationalError as exc:  # full disk, file-size limit, locks: not the file's fault
            conn.close()
            raise WorkspaceError(f"cannot open {path}: {exc}") from None
        except sqlite3.DatabaseError:
            conn.close()
            raise WorkspaceError(f"{path} is not a teamcast workspace (not an SQLite database)") from None
        workspace = cls(conn, path)
        workspace.read_only = read_only
        return workspace

    def _configure(self) -> None:
        with self._sqlite_errors():
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA foreign_keys = ON")

    def _check_header(self) -> int:
        with self._sqlite_errors():
            application_id = self._conn.execute("PRAGMA application_id").fetchone()[0]
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if application_id != APPLICATION_ID:
            raise WorkspaceError(f"{self.path} is an SQLite database but not a teamcast workspace")
        if version > SCHEMA_VERSION:
            raise WorkspaceError(
                f"{self.path} was written by a newer teamcast (schema {version}; this one reads up to "
                f"{SCHEMA_VERSION}); upgrade teamcast to open it"
            )
        return version

    def _migrate(self) -> None:
        """Apply the missing migrations in one transaction: a file is either migrated or untouched."""
        with self._transaction():
            # Another process may have migrated the file since its header was read.
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version >= SCHEMA_VERSION:
                return
            for statements in MIGRATIONS[version:]:
                for statement in statements:
                    self._conn.execute(statement)
            self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- transactions ----------------------------------------------------------------------
    @contextmanager
    def _sqlite_errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise WorkspaceError(
                    f"{self.path} is busy: another session held it for over {BUSY_TIMEOUT_MS // 1000} s; try again"
                ) from None
            raise WorkspaceError(f"{self.path}: {exc}") from None
        except sqlite3.Error as exc:
            raise WorkspaceError(f"{self.path}: {exc}") from None

    @contextmanager
    def _transaction(self, mode: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
        """One transaction: IMMEDIATE takes the write lock up front, so what it reads stays true until COMMIT."""
        with self._lock, self._sqlite_errors():
            self._conn.execute(f"BEGIN {mode}")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:  # SQLite may have rolled back already
                    self._conn.execute("ROLLBACK")
                raise

    def _bump_plan_version(self) -> int:
        self._conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'plan_version'")
        return self._meta("plan_version")

    def _meta(self, key: str) -> int:
        return self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]

    # --- reading ---------------------------------------------------------------------------
    def plan_version(self) -> int:
        """Counts every change to the plan (imports, edits); forecast snapshots do not change it."""
        with self._transaction("DEFERRED"):
            return self._meta("plan_version")

    def load(self) -> Plan:
        """The whole plan, forecasts included, read in one snapshot of the file."""
        with self._transaction("DEFERRED"):
            return self._read_plan()

    def _read_plan(self) -> Plan:
        return Plan(**{table: self._read_table(table) for table in SCHEMAS})

    def _read_table(self, table: str) -> pl.DataFrame:
        rows = self._conn.execute(f"SELECT {column_list(table)} FROM {table} ORDER BY pos").fetchall()
        return frame(table, [decode_row(table, values) for values in rows])

    def row_version(self, table: str, row_id: str) -> int:
        """The version an update of this row must name; 0 for a singleton row not written yet."""
        _check_editable(table)
        with self._transaction("DEFERRED"):
            return self._stored_version(table, row_id)

    def _stored_version(self, table: str, row_id: str) -> int:
        found = self._conn.execute(
            f"SELECT row_version FROM {table} WHERE {_key(table)}", _key_args(table, row_id)
        ).fetchone()
        if found is not None:
            return found[0]
        if table in SINGLETON_TABLES:
            return 0
        raise NotFoundError(f"{row_label(table, row_id)} does not exist")

    # --- writing ---------------------------------------------------------------------------
    def import_plan(self, plan: Plan, source: str | None = None) -> None:
        """Replace every plan table (forecasts stay) in one transaction; refuses an invalid plan untouched."""
        check_plan(plan, source)
        with self._transaction():
            version = self._bump_plan_version()
            for table in PLAN_TABLES:
                self._conn.execute(f"DELETE FROM {table}")
                self._insert(table, getattr(plan, table).iter_rows(named=True), 0, version)

    def _insert(self, table: str, rows: Iterable[dict], start: int, version: int | None = None) -> None:
        """Rows at positions start, start + 1, ...; rows of editable tables carry `version`."""
        head = ["pos", "row_version"] if table in EDITABLE_TABLES else ["pos"]
        names = ", ".join(head) + ", " + column_list(table)
        marks = ", ".join("?" * (len(head) + len(SCHEMAS[table])))
        stamp = [version] if table in EDITABLE_TABLES else []
        self._conn.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({marks})",
            ([start + i, *stamp, *encode_row(table, row)] for i, row in enumerate(rows)),
        )

    def _next_position(self, table: str) -> int:
        return self._conn.execute(f"SELECT coalesce(max(pos), -1) + 1 FROM {table}").fetchone()[0]

    def update_row(self, table: str, row_id: str, changes: dict[str, Any], expected_version: int) -> int:
        """Change some fields of one row read at `expected_version`; returns the row's new version.

        ConflictError when another session changed the row since; NotFoundError for an unknown id;
        PlanError, with nothing written, when the change adds an error to the plan.
        """
        _check_editable(table)
        for column, value in changes.items():
            _check_value(table, row_id, column, value)
        with self._transaction():
            self._expect_version(table, row_id, expected_version)
            plan = self._read_plan()
            rows = getattr(plan, table).to_dicts()
            index = _row_index(table, rows, row_id)
            if index is None:  # a singleton written for the first time
                rows.append(dict(changes))
            else:
                rows[index] = rows[index] | changes
            updated = plan.replace(**{table: frame(table, rows)})
            if table == "projects" and "id" in changes:
                updated = _rename_project(updated, row_id, changes["id"])
            _check_change(plan, updated)
            version = self._bump_plan_version()
            if index is None:
                self._insert(table, [rows[-1]], 0, version)
            else:
                self._write_row(table, row_id, rows[index], expected_version, version)
            return version

    def replace_answers(self, answers: list[dict[str, str]], expected_plan_version: int) -> int:
        """Replace the org questionnaire's answers (ORG_ANSWERS rows) read at `expected_plan_version`.

        One transaction: ConflictError when another session changed the plan since, PlanError
        (nothing written) when the answers add an error. Returns the new plan version.
        """
        with self._transaction():
            self._expect_plan_version("org.answers", expected_plan_version)
            plan = self._read_plan()
            _check_change(plan, plan.replace(org_answers=frame("org_answers", answers)))
            version = self._bump_plan_version()
            self._conn.execute("DELETE FROM org_answers")
            self._insert("org_answers", answers, 0, version)
            return version

    def reorder_tasks(
        self,
        order: list[str],
        expected_plan_version: int,
        *,
        approaches: dict[str, list[str]] | None = None,
        strategies: dict[str, str] | None = None,
    ) -> int:
        """Put the tasks in `order` (the `manual` priority reads plan order) and, optionally, set the
        approach order and the strategy (parallel, sequential) of some challenges; one transaction,
        ConflictError if the plan changed since."""
        with self._transaction():
            self._expect_plan_version("tasks", expected_plan_version)
            plan = self._read_plan()
            if sorted(order) != sorted(plan.tasks["id"].to_list()):
                raise ConflictError("tasks: the new order does not list every task once; reload and try again")
            version = self._bump_plan_version()
            self._conn.execute("UPDATE tasks SET pos = -1 - pos")  # out of the way of the new positions
            for pos, task in enumerate(order):
                self._conn.execute('UPDATE tasks SET pos = ?, row_version = ? WHERE "id" = ?', (pos, version, task))
            rows = {row["id"]: row for row in plan.challenges.to_dicts()}
            for challenge in sorted({*(approaches or {}), *(strategies or {})}):
                change: dict[str, Any] = {}
                if approaches and challenge in approaches:
                    change["approaches"] = list(approaches[challenge])
                if strategies and challenge in strategies:
                    change["strategy"] = strategies[challenge]
                self._write_row(
                    "challenges",
                    challenge,
                    rows[challenge] | change,
                    self._stored_version("challenges", challenge),
                    version,
                )
            return version

    def insert_row(self, table: str, row: dict[str, Any]) -> int:
        """Add one row at the end of an id table; returns its version."""
        _check_editable(table)
        if table in SINGLETON_TABLES:
            raise WorkspaceError(f"{table} holds one row; change it with update_row")
        row_id = row.get("id")
        for column, value in row.items():
            _check_value(table, row_id, column, value)
        with self._transaction():
            plan = self._read_plan()
            if row_id in getattr(plan, table)["id"].to_list():
                raise ConflictError(f"{table}[{row_id}] already exists; reload and try again")
            _check_change(plan, plan.replace(**{table: pl.concat([getattr(plan, table), frame(table, [row])])}))
            version = self._bump_plan_version()
            self._insert(table, [row], self._next_position(table), version)
            return version

    def delete_row(self, table: str, row_id: str, expected_version: int) -> None:
        """Remove one row read at `expected_version` (a project takes its tasks and challenges with it)."""
        _check_editable(table)
        with self._transaction():
            self._expect_version(table, row_id, expected_version)
            plan = self._read_plan()
            key = pl.lit(True) if table in SINGLETON_TABLES else pl.col("id") == row_id
            remaining = {table: getattr(plan, table).filter(~key)}
            if table == "projects":
                for child in PROJECT_CHILDREN:
                    remaining[child] = getattr(plan, child).filter(pl.col("project") != row_id)
            _check_change(plan, plan.replace(**remaining))
            self._bump_plan_version()
            self._conn.execute(f"DELETE FROM {table} WHERE {_key(table)}", _key_args(table, row_id))

    def append_forecasts(self, forecasts: pl.DataFrame) -> int:
        """Store one forecast snapshot (FORECASTS_SCHEMA rows) and return its id.

        `snapshot` is assigned here; a null `created` becomes now and a null `plan_version`
        the workspace's current one. Columns left out are null.
        """
        schema = SCHEMAS["forecasts"]
        unknown = set(forecasts.columns) - set(schema)
        if unknown:
            raise WorkspaceError(f"forecasts have no column(s) {', '.join(sorted(unknown))}")
        given = set(forecasts.columns)
        try:
            forecasts = forecasts.select(
                (pl.col(name) if name in given else pl.lit(None)).cast(dtype, strict=True).alias(name)
                for name, dtype in schema.items()
            )
        except pl.exceptions.PolarsError as exc:
            raise WorkspaceError(f"forecasts do not fit the forecasts schema: {exc}") from None
        with self._transaction():
            self._conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'last_snapshot'")
            snapshot = self._meta("last_snapshot")
            forecasts = forecasts.with_columns(
                pl.lit(snapshot, pl.Int64).alias("snapshot"),
                pl.col("created").fill_null(pl.lit(dt.datetime.now(dt.UTC)).cast(schema["created"])),
                pl.col("plan_version").fill_null(self._meta("plan_version")),
            )
            self._insert("forecasts", forecasts.iter_rows(named=True), self._next_position("forecasts"))
            return snapshot

    # --- recorded work: what outcomes, imports and the app record ---------------------------
    def change_task(self, task_id: str, change: TaskChange, what: str | None = None) -> tuple[dict, dict | None]:
        """Change one task and append the history row the change produces, in one transaction.

        `change(plan, task)` sees the stored plan and the task's row as read inside the
        transaction, and returns the changed row and a history row (or None). It may raise to
        refuse; then, as when the change would add an error to the plan, nothing is written
        (`what` names the change in that error). Returns what was written.
        """
        with self._transaction():
            plan = self._read_plan()
            rows = plan.tasks.to_dicts()
            index = next((i for i, row in enumerate(rows) if row["id"] == task_id), None)
            if index is None:
                raise NotFoundError(f"task {task_id!r} does not exist in {self.path}")
            changed, history = change(plan, rows[index])
            rows[index] = changed
            updated = plan.replace(tasks=frame("tasks", rows))
            if history is not None:
                updated = updated.replace(history=pl.concat([plan.history, frame("history", [history])]))
            _check_change(plan, updated, what)
            expected = self._stored_version("tasks", task_id)
            version = self._bump_plan_version()
            self._write_row("tasks", task_id, changed, expected, version)
            if history is not None:
                self._insert("history", [history], self._next_position("history"))
        return changed, history

    def append_history(self, select: Callable[[Plan], list[dict]], *, check: bool = True) -> list[dict]:
        """Append the history rows `select(plan)` returns for the stored plan, in one transaction.

        `select` runs inside the transaction, so what it checks against (rows already recorded,
        the people) cannot change before the rows are written. With `check`, rows that add an
        error to the plan are refused and nothing is written. Returns the rows appended.
        """
        with self._transaction():
            plan = self._read_plan()
            rows = select(plan)
            if rows and check:
                _check_change(plan, plan.replace(history=pl.concat([plan.history, frame("history", rows)])))
            if rows:
                self._bump_plan_version()
                self._insert("history", rows, self._next_position("history"))
        return rows

    def _write_row(self, table: str, row_id: str, row: dict, expected: int, version: int) -> None:
        assignments = ", ".join(f'"{name}" = ?' for name in SCHEMAS[table])
        cursor = self._conn.execute(
            f"UPDATE {table} SET row_version = ?, {assignments} WHERE {_key(table)} AND row_version = ?",
            (version, *encode_row(table, row), *_key_args(table, row_id), expected),
        )
        if cursor.rowcount != 1:  # cannot happen under BEGIN IMMEDIATE; never write blind if it does
            raise ConflictError(f"{row_label(table, row_id)} was changed by another session; reload and try again")

    def _expect_plan_version(self, what: str, expected: int) -> None:
        """ConflictError naming `what` when another session changed the plan since it was read at `expected`."""
        stored = self._meta("plan_version")
        if stored != expected:
            raise ConflictError(
                f"{what}: the workspace was changed by another session (version {stored}, "
                f"you had {expected}); reload and try again"
            )

    def _expect_version(self, table: str, row_id: str, expected: int) -> None:
        stored = self._stored_version(table, row_id)
        if stored != expected:
            raise ConflictError(
                f"{row_label(table, row_id)} was changed by another session "
                f"(version {stored}, you had {expected}); reload and try again"
            )


def _check_editable(table: str) -> None:
    if table not in EDITABLE_TABLES:
        raise WorkspaceError(f"{table} rows cannot be edited one by one (editable: {', '.join(EDITABLE_TABLES)})")


def _key(table: str) -> str:
    return "pos = 0" if table in SINGLETON_TABLES else '"id" = ?'


def _key_args(table: str, row_id: str) -> tuple:
    return () if table in SINGLETON_TABLES else (row_id,)


def _row_index(table: str, rows: list[dict], row_id: str) -> int | None:
    if table in SINGLETON_TABLES:
        return 0 if rows else None
    return next(i for i, row in enumerate(rows) if row["id"] == row_id)


def _rename_project(plan: Plan, old: str, new: str) -> Plan:
    """The frames as the foreign keys leave them after a project's id changes (ON UPDATE CASCADE)."""
    renamed = pl.when(pl.col("project") == old).then(pl.lit(new)).otherwise(pl.col("project")).alias("project")
    return plan.replace(**{child: getattr(plan, child).with_columns(renamed) for child in PROJECT_CHILDREN})
