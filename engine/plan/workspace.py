"""The workspace: one SQLite file that holds a plan, its forecast snapshots and logs, shared safely by several sessions.

Every write is one `BEGIN IMMEDIATE` transaction. Editable rows carry a `row_version` (the
workspace's `plan_version` when the row last changed, so a version is never reused, not even
after a re-import); an update names the version it read and is refused with ConflictError
when another session changed the row since. Tables mirror the frames of `engine/plan/model.py`;
lists and structs are stored as JSON text, dates as ISO text, and a `pos` column keeps the
plan's row order so that an export gives back exactly what was imported.

An edit reads and checks what it needs before it takes the write lock, and under the lock only
checks that the plan is still at the version it read (engine/plan/edits.py says what is
checked), so a long validation never makes another session's write wait.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from teamcast.engine.plan import edits
from teamcast.engine.plan.edits import Snapshot, check_plan
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
    encode_row,
    row_label,
    select_rows,
)
from teamcast.errors import ConflictError, NotFoundError, WorkspaceError

__all__ = ["TaskChange", "Workspace", "check_plan", "writable"]

T = TypeVar("T")
# Times an edit is read and checked without the write lock before the last try takes it throughout.
UNLOCKED_TRIES = 4

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

    def load(self, tables: Iterable[str] | None = None) -> Plan:
        """The whole plan, forecasts included, read in one snapshot of the file; with `tables`,
        only those tables (the others empty)."""
        names = list(SCHEMAS) if tables is None else list(tables)
        with self._transaction("DEFERRED"):
            return Plan(
                **{table: frame(table, [row for _, _, row in select_rows(self._conn, table)]) for table in names}
            )

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
    # An edit is read and checked on a snapshot, without the write lock (`prepare`); under the
    # lock, only a check that the plan is still at the version read, then the writes. Other
    # sessions' writes wait for milliseconds, not for a validation of the whole plan.
    def _edit(self, prepare: Callable[[Snapshot], tuple[Callable[[], T], bool]]) -> T:
        """Run `prepare` (it returns the writes, and whether the plan after them is free of errors)
        and its writes. When another session changed the plan in between, again; the last try
        holds the lock throughout, so an edit cannot starve behind a stream of others."""
        for attempt in range(UNLOCKED_TRIES + 1):
            locked = attempt == UNLOCKED_TRIES
            with self._transaction("IMMEDIATE" if locked else "DEFERRED"):
                snapshot = Snapshot(self._conn)
                write, clean = prepare(snapshot)
                if locked:
                    return self._write(write, clean)
            with self._transaction():
                if self._meta("plan_version") == snapshot.version:
                    return self._write(write, clean)
        raise AssertionError("unreachable: the last try holds the lock")

    def _write(self, write: Callable[[], T], clean: bool) -> T:
        result = write()
        if clean:  # the next edit may trust this plan and check only what it changes
            self._conn.execute(
                "INSERT OR REPLACE INTO meta VALUES ('checked', ?), ('checked_rules', ?)",
                (self._meta("plan_version"), edits.rules_stamp()),
            )
        return result

    def import_plan(self, plan: Plan, source: str | None = None) -> None:
        """Replace every plan table (forecasts stay) in one transaction; refuses an invalid plan untouched."""
        check_plan(plan, source)
        with self._transaction():
            version = self._bump_plan_version()
            for table in PLAN_TABLES:
                self._conn.execute(f"DELETE FROM {table}")
                self._insert(table, getattr(plan, table).iter_rows(named=True), 0, version)
            self._write(lambda: None, clean=True)

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
            edits.check_value(table, row_id, column, value)

        def prepare(snapshot: Snapshot) -> tuple[Callable[[], int], bool]:
            stored = snapshot.row(table, row_id)
            if stored is None and table not in SINGLETON_TABLES:
                raise NotFoundError(f"{row_label(table, row_id)} does not exist")
            _expect(table, row_id, stored[1] if stored else 0, expected_version)
            row = (stored[2] if stored else {}) | changes
            clean = edits.check_row_edit(snapshot, table, stored, row)

            def write() -> int:
                version = self._bump_plan_version()
                if stored is None:  # a singleton written for the first time
                    self._insert(table, [row], 0, version)
                else:
                    self._write_row(table, row_id, row, expected_version, version)
                return version

            return write, clean

        return self._edit(prepare)

    def replace_answers(self, answers: list[dict[str, str]], expected_plan_version: int) -> int:
        """Replace the org questionnaire's answers (ORG_ANSWERS rows) read at `expected_plan_version`.

        ConflictError when another session changed the plan since, PlanError (nothing written)
        when the answers add an error. Returns the new plan version.
        """

        def prepare(snapshot: Snapshot) -> tuple[Callable[[], int], bool]:
            self._expect_plan_version("org.answers", snapshot.version, expected_plan_version)
            replaced = frame("org_answers", answers)
            if snapshot.trusted:  # no check of another table reads the answers
                clean = snapshot.check(snapshot.slice().replace(org_answers=replaced))
            else:
                clean = edits.check_change(snapshot.plan(), snapshot.plan().replace(org_answers=replaced))

            def write() -> int:
                version = self._bump_plan_version()
                self._conn.execute("DELETE FROM org_answers")
                self._insert("org_answers", answers, 0, version)
                return version

            return write, clean

        return self._edit(prepare)

    def reorder_tasks(
        self,
        order: list[str],
        expected_plan_version: int,
        *,
        approaches: dict[str, list[str]] | None = None,
        strategies: dict[str, str] | None = None,
    ) -> int:
        """Put the tasks in `order` (the `manual` priority reads plan order) and, optionally, set the
        approach order and the strategy (parallel, sequential) of some challenges; ConflictError if
        the plan changed since, PlanError (nothing written) if the new order adds an error (who holds
        whom at day 0 follows it)."""

        moved: dict[str, dict[str, Any]] = {}
        for challenge, members in (approaches or {}).items():
            moved.setdefault(challenge, {})["approaches"] = list(members)
        for challenge, strategy in (strategies or {}).items():
            moved.setdefault(challenge, {})["strategy"] = strategy

        def prepare(snapshot: Snapshot) -> tuple[Callable[[], int], bool]:
            self._expect_plan_version("tasks", snapshot.version, expected_plan_version)
            if sorted(order) != sorted(snapshot.task_ids()):
                raise ConflictError("tasks: the new order does not list every task once; reload and try again")
            stored = {}
            for challenge in sorted(moved):
                found = snapshot.row("challenges", challenge)
                if found is None:
                    raise NotFoundError(f"{row_label('challenges', challenge)} does not exist")
                stored[challenge] = found
            if snapshot.trusted and not moved:  # only who holds whom at day 0 follows the order
                clean = snapshot.check(snapshot.slice(order=order))
            else:
                plan = snapshot.plan()
                rank = {task: n for n, task in enumerate(order)}
                challenges = [row | moved.get(row["id"], {}) for row in plan.challenges.to_dicts()]
                after = plan.replace(
                    tasks=plan.tasks.sort(pl.col("id").replace_strict(rank, return_dtype=pl.Int64)),
                    challenges=frame("challenges", challenges),
                )
                clean = edits.check_change(plan, after)

            def write() -> int:
                version = self._bump_plan_version()
                self._conn.execute("UPDATE tasks SET pos = -1 - pos")  # out of the way of the new positions
                self._conn.executemany(
                    'UPDATE tasks SET pos = ?, row_version = ? WHERE "id" = ?',
                    ((pos, version, task) for pos, task in enumerate(order)),
                )
                for challenge, (_, expected, row) in stored.items():
                    self._write_row("challenges", challenge, row | moved[challenge], expected, version)
                return version

            return write, clean

        return self._edit(prepare)

    def insert_row(self, table: str, row: dict[str, Any]) -> int:
        """Add one row at the end of an id table; returns its version."""
        _check_editable(table)
        if table in SINGLETON_TABLES:
            raise WorkspaceError(f"{table} holds one row; change it with update_row")
        row_id = row.get("id")
        for column, value in row.items():
            edits.check_value(table, row_id, column, value)

        def prepare(snapshot: Snapshot) -> tuple[Callable[[], int], bool]:
            plan = snapshot.plan()
            if row_id in getattr(plan, table)["id"].to_list():
                raise ConflictError(f"{table}[{row_id}] already exists; reload and try again")
            clean = edits.check_change(
                plan, plan.replace(**{table: pl.concat([getattr(plan, table), frame(table, [row])])})
            )

            def write() -> int:
                version = self._bump_plan_version()
                self._insert(table, [row], self._next_position(table), version)
                return version

            return write, clean

        return self._edit(prepare)

    def delete_row(self, table: str, row_id: str, expected_version: int) -> None:
        """Remove one row read at `expected_version` (a project takes its tasks and challenges with it)."""
        _check_editable(table)

        def prepare(snapshot: Snapshot) -> tuple[Callable[[], None], bool]:
            _expect(table, row_id, self._stored_version(table, row_id), expected_version)
            plan = snapshot.plan()
            key = pl.lit(True) if table in SINGLETON_TABLES else pl.col("id") == row_id
            remaining = {table: getattr(plan, table).filter(~key)}
            if table == "projects":
                for child in PROJECT_CHILDREN:
                    remaining[child] = getattr(plan, child).filter(pl.col("project") != row_id)
            clean = edits.check_change(plan, plan.replace(**remaining))

            def write() -> None:
                self._bump_plan_version()
                self._conn.execute(f"DELETE FROM {table} WHERE {_key(table)}", _key_args(table, row_id))

            return write, clean

        self._edit(prepare)

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

        `change(plan, task)` gets the task's stored row and the plan as stored: every table but
        tasks, history and experiments in full; those may hold only some rows (the tasks in
        progress), so a change must not count on them. It returns the changed row and a history
        row (or None), and may raise to refuse; then, as when the change would add an error to
        the plan, nothing is written (`what` names the change in that error). Returns what was written.
        """

        def prepare(snapshot: Snapshot) -> tuple[Callable[[], tuple[dict, dict | None]], bool]:
            stored = snapshot.row("tasks", task_id)
            if stored is None:
                raise NotFoundError(f"task {task_id!r} does not exist in {self.path}")
            plan = snapshot.slice() if snapshot.trusted else snapshot.plan()
            changed, history = change(plan, dict(stored[2]))
            rows = [history] if history is not None else []
            clean = edits.check_row_edit(snapshot, "tasks", stored, changed, rows, what)

            def write() -> tuple[dict, dict | None]:
                version = self._bump_plan_version()
                self._write_row("tasks", task_id, changed, stored[1], version)
                self._insert("history", rows, self._next_position("history"))
                return changed, history

            return write, clean

        return self._edit(prepare)

    def append_history(self, select: Callable[[Plan], list[dict]], *, check: bool = True) -> list[dict]:
        """Append the history rows `select(plan)` returns for the stored plan, in one transaction.

        `select` sees the whole plan as stored when the rows are written. With `check`, rows that
        add an error to the plan are refused and nothing is written. Returns the rows appended.
        """

        def prepare(snapshot: Snapshot) -> tuple[Callable[[], list[dict]], bool]:
            plan = snapshot.plan()
            rows = select(plan)
            clean = False
            if rows and check and snapshot.trusted:
                clean = snapshot.check(snapshot.slice(history=rows))
            elif rows and check:
                clean = edits.check_change(plan, edits.with_history(plan, rows))

            def write() -> list[dict]:
                if rows:
                    self._bump_plan_version()
                    self._insert("history", rows, self._next_position("history"))
                return rows

            return write, clean

        return self._edit(prepare)

    def _write_row(self, table: str, row_id: str, row: dict, expected: int, version: int) -> None:
        assignments = ", ".join(f'"{name}" = ?' for name in SCHEMAS[table])
        cursor = self._conn.execute(
            f"UPDATE {table} SET row_version = ?, {assignments} WHERE {_key(table)} AND row_version = ?",
            (version, *encode_row(table, row), *_key_args(table, row_id), expected),
        )
        if cursor.rowcount != 1:  # cannot happen after the version check; never write blind if it does
            raise ConflictError(f"{row_label(table, row_id)} was changed by another session; reload and try again")

    @staticmethod
    def _expect_plan_version(what: str, stored: int, expected: int) -> None:
        """ConflictError naming `what` when another session changed the plan since it was read at `expected`."""
        if stored != expected:
            raise ConflictError(
                f"{what}: the workspace was changed by another session (version {stored}, "
                f"you had {expected}); reload and try again"
            )


def _expect(table: str, row_id: str, stored: int, expected: int) -> None:
    """ConflictError when the row is no longer at the version the caller read."""
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
