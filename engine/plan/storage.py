"""How a workspace lays a plan out in SQLite: the tables (as migrations), and values converted
between Polars/Python and SQLite (lists and structs as JSON text, dates as ISO text)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import polars as pl

from teamcast.engine.plan.model import SCHEMAS

if TYPE_CHECKING:
    import sqlite3

    from polars.datatypes import DataTypeClass

# "tcas" in the header's application_id field: tells a workspace from any other SQLite file.
APPLICATION_ID = 0x74636173
BUSY_TIMEOUT_MS = 5000

# Tables holding one row at most: their row is addressed by the table's own name.
SINGLETON_TABLES = ("plan", "org")
# Rows a session edits one at a time, under optimistic concurrency.
EDITABLE_TABLES = (
    *SINGLETON_TABLES,
    "teams",
    "people",
    "hires",
    "pools",
    "projects",
    "tasks",
    "challenges",
    "candidates",
)
# Everything import_plan replaces; forecasts are append-only snapshots and survive a re-import.
PLAN_TABLES = tuple(name for name in SCHEMAS if name != "forecasts")
# Rows deleted with a project (the foreign keys cascade the same way).
PROJECT_CHILDREN = ("tasks", "challenges")

PROJECT_REF = (
    '"project" TEXT NOT NULL REFERENCES projects("id") '
    "ON UPDATE CASCADE ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED"
)

# Migration n brings a file from user_version n-1 to n. Never edit a released migration:
# append a new one (a test checks that the stored columns match engine/plan/model.py).
MIGRATIONS: list[tuple[str, ...]] = [
    (
        f"PRAGMA application_id = {APPLICATION_ID}",
        'CREATE TABLE meta ("key" TEXT PRIMARY KEY, "value" INTEGER NOT NULL)',
        "INSERT INTO meta VALUES ('plan_version', 0), ('last_snapshot', 0)",
        """CREATE TABLE plan (pos INTEGER PRIMARY KEY CHECK (pos = 0), row_version INTEGER NOT NULL,
            "name" TEXT, "start" TEXT, "holidays" TEXT, "default_model" TEXT, "description" TEXT)""",
        """CREATE TABLE org (pos INTEGER PRIMARY KEY CHECK (pos = 0), row_version INTEGER NOT NULL,
            "name" TEXT, "archetype" TEXT, "swe_vs_research" TEXT, "data_ownership" TEXT, "model_ownership" TEXT)""",
        """CREATE TABLE org_answers (pos INTEGER PRIMARY KEY, "question" TEXT, "answer" TEXT)""",
        """CREATE TABLE teams (pos INTEGER PRIMARY KEY, row_version INTEGER NOT NULL,
            "id" TEXT NOT NULL UNIQUE, "name" TEXT, "reports_to" TEXT, "lead" TEXT)""",
        """CREATE TABLE people (pos INTEGER PRIMARY KEY, row_version INTEGER NOT NULL,
            "id" TEXT NOT NULL UNIQUE, "name" TEXT, "role" TEXT, "team" TEXT, "capacity" REAL,
            "skill_ml" INTEGER, "skill_swe" INTEGER, "skill_comm" INTEGER, "reports_to" TEXT, "joined" TEXT)""",
        """CREATE TABLE hires (pos INTEGER PRIMARY KEY, row_version INTEGER NOT NULL,
            "id" TEXT NOT NULL UNIQUE, "name" TEXT, "role" TEXT, "team" TEXT,
            "tth_low" REAL, "tth_likely" REAL, "tth_high" REAL, "ramp_days" REAL, "ramp_productivity" REAL,
            "capacity" REAL, "must_have" TEXT, "nice_to_have" TEXT, "description" TEXT)""",
        """CREATE TABLE pools (pos INTEGER PRIMARY KEY, row_version INTEGER NOT NULL,
            "id" TEXT NOT NULL UNIQUE, "units" INTEGER)""",
        """CREATE TABLE projects (pos INTEGER PRIMARY KEY, row_version INTEGER NOT NULL,
            "id" TEXT NOT NULL UNIQUE, "name" TEXT, "team" TEXT, "deadline" TEXT, "value" REAL, "impact" TEXT)""",
        f"""CREATE TABLE tasks (pos INTEGER PRIMARY KEY, row_version INTEGER NOT NULL,
            "id" TEXT NOT NULL UNIQUE, {PROJECT_REF}, "title" TEXT, "kind" TEXT,
            "est_form" TEXT, "est_low" REAL, "est_likely" REAL, "est_high" REAL, "est_params" TEXT,
            "model" TEXT, "p_success" REAL, "role" TEXT, "needs" TEXT, "assignee" TEXT, "after" TEXT,
            "status" TEXT, "started" TEXT, "finished" TEXT, "actual_days" REAL, "done_by" TEXT)""",
        f"""CREATE TABLE challenges (pos INTEGER PRIMARY KEY, row_version INTEGER NOT NULL,
            "id" TEXT NOT NULL UNIQUE, {PROJECT_REF}, "title" TEXT, "strategy" TEXT, "approaches" TEXT)""",
        """CREATE TABLE history (pos INTEGER PRIMARY KEY, "task" TEXT, "project" TEXT, "kind" TEXT,
            "person" TEXT, "team" TEXT, "est_low" REAL, "est_likely" REAL, "est_high" REAL, "p_success" REAL,
            "actual_days" REAL, "succeeded" INTEGER, "started" TEXT, "finished" TEXT,
            "forecast_p50" REAL, "forecast_p80" REAL)""",
        """CREATE TABLE forecasts (pos INTEGER PRIMARY KEY, "snapshot" INTEGER NOT NULL, "created" TEXT,
            "who" TEXT, "plan_version" INTEGER, "seed" INTEGER, "trials" INTEGER, "level" TEXT, "id" TEXT,
            "p50" REAL, "p80" REAL, "p95" REAL, "mean" REAL, "p_success" REAL, "p_on_time" REAL)""",
        "CREATE INDEX forecasts_snapshot ON forecasts (snapshot)",
        """CREATE TABLE experiments (pos INTEGER PRIMARY KEY, "date" TEXT, "person" TEXT, "task" TEXT,
            "tried" TEXT, "outcome" TEXT, "effort_days" REAL)""",
        """CREATE TABLE candidates (pos INTEGER PRIMARY KEY, row_version INTEGER NOT NULL,
            "id" TEXT NOT NULL UNIQUE, "name" TEXT, "role" TEXT, "hire" TEXT, "strengths" TEXT, "bars" TEXT)""",
        """CREATE TABLE scorecards (pos INTEGER PRIMARY KEY, "candidate" TEXT, "assessment" TEXT,
            "aspect" TEXT, "score" REAL, "minimum" REAL)""",
    ),
    # 2 (issue 12): history keeps elapsed working days apart from effort (actual_days is effort);
    # a task names its success model, a hire the model of its time to hire.
    (
        'ALTER TABLE history ADD COLUMN "elapsed_days" REAL',
        'ALTER TABLE tasks ADD COLUMN "success_model" TEXT',
        'ALTER TABLE hires ADD COLUMN "arrival_model" TEXT',
    ),
]
SCHEMA_VERSION = len(MIGRATIONS)


# --- values: Polars/Python <-> SQLite ------------------------------------------------------


def to_json(value: Any) -> Any:
    """Nested lists and structs as JSON-ready values (dates as ISO text)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    return value


def from_json(value: Any, dtype: pl.DataType | DataTypeClass) -> Any:
    """The inverse of to_json, guided by the column's declared type."""
    if value is None:
        return None
    if isinstance(dtype, pl.List):
        return [from_json(item, dtype.inner) for item in value]
    if isinstance(dtype, pl.Struct):
        return {f.name: from_json(value.get(f.name), f.dtype) for f in dtype.fields}
    if dtype == pl.Date:
        return dt.date.fromisoformat(value)
    return value


def encode_value(value: Any, dtype: pl.DataType) -> Any:
    if value is None:
        return None
    if isinstance(dtype, (pl.List, pl.Struct)):
        return json.dumps(to_json(value), ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, dt.date):  # dates and datetimes alike
        return value.isoformat()
    if dtype == pl.Boolean:
        return int(value)
    return value


def decode_value(value: Any, dtype: pl.DataType) -> Any:
    if value is None:
        return None
    if isinstance(dtype, (pl.List, pl.Struct)):
        return from_json(json.loads(value), dtype)
    if isinstance(dtype, pl.Datetime):
        return dt.datetime.fromisoformat(value)
    if dtype == pl.Date:
        return dt.date.fromisoformat(value)
    if dtype == pl.Boolean:
        return bool(value)
    return value


def encode_row(table: str, row: dict[str, Any]) -> list[Any]:
    return [encode_value(row.get(name), dtype) for name, dtype in SCHEMAS[table].items()]


def decode_row(table: str, values: tuple) -> dict[str, Any]:
    return {name: decode_value(v, dtype) for (name, dtype), v in zip(SCHEMAS[table].items(), values, strict=True)}


def column_list(table: str) -> str:
    return ", ".join(f'"{name}"' for name in SCHEMAS[table])


def row_label(table: str, row_id: str | None) -> str:
    return table if table in SINGLETON_TABLES else f"{table}[{row_id}]"


def select_rows(
    conn: sqlite3.Connection, table: str, where: str = "", args: tuple = ()
) -> list[tuple[int, int | None, dict[str, Any]]]:
    """(position, row version or None, values) of the rows of `table` that match `where`, in plan order."""
    version = "row_version" if table in EDITABLE_TABLES else "NULL"
    condition = f" WHERE {where}" if where else ""
    cursor = conn.execute(f"SELECT pos, {version}, {column_list(table)} FROM {table}{condition} ORDER BY pos", args)
    return [(values[0], values[1], decode_row(table, values[2:])) for values in cursor]
