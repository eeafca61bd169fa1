"""Plan files: TOML text to the frames of teamcast.engine.plan.model and back, with every problem reported at once.

The key set of each table is declared once (the Table constants below) and drives both directions, so the reader
and the writer cannot drift apart. Reading checks syntax, unknown keys and types here, then
hands the frames to teamcast.engine.plan.validate for the semantic checks. Writing is canonical:
fixed key order, one line per key, null keys omitted, so export -> import -> export gives the
same bytes (docs/plan-format.md describes the format for users).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from typing import TypeGuard, cast

from teamcast.engine.plan import model
from teamcast.engine.plan.model import Plan
from teamcast.engine.plan.validate import item_location, validate_plan
from teamcast.errors import PlanError, Problem

try:  # tomllib's own parser as compiled wheels: the same documents, errors and messages, ~3x faster
    import tomli as tomllib
except ImportError:  # pragma: no cover - tomli is a dependency; the standard library's copy will do
    import tomllib  # type: ignore[no-redef]

Row = dict[str, object]
Problems = list[Problem]

_INT64 = 2**63
# Whole floats below this are written as integers; above it a float may not be exact as an int.
_EXACT_INT = 2**53


# --- value checks: each returns the converted value, or records a problem and returns None ----


def describe(value: object) -> str:
    """How a TOML value reads in a message: `string 'x'`, `integer 5`, `a table`, ..."""
    match value:
        case bool():
            return f"boolean {str(value).lower()}"
        case int():
            return f"integer {value}"
        case float():
            return f"float {value}"
        case str():
            return f"string {value!r}"
        case dt.datetime() | dt.time():
            return f"date-time {value.isoformat()}"
        case dt.date():
            return f"date {value.isoformat()}"
        case list():
            return "an array"
        case dict():
            return "a table"
    return type(value).__name__


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def read_text(value: object, loc: str, problems: Problems) -> str | None:
    if isinstance(value, str):
        return value
    problems.append(Problem(loc, f"expected a string, got {describe(value)}"))
    return None


def read_number(value: object, loc: str, problems: Problems) -> float | None:
    if _is_number(value):
        return float(value)
    problems.append(Problem(loc, f"expected a number, got {describe(value)}"))
    return None


def read_whole(value: object, loc: str, problems: Problems) -> int | None:
    if _is_number(value) and not (isinstance(value, float) and not value.is_integer()):
        if -_INT64 <= value < _INT64:
            return int(value)
        problems.append(Problem(loc, f"number too large: {value}"))
        return None
    problems.append(Problem(loc, f"expected a whole number, got {describe(value)}"))
    return None


def read_flag(value: object, loc: str, problems: Problems) -> bool | None:
    if isinstance(value, bool):
        return value
    problems.append(Problem(loc, f"expected true or false, got {describe(value)}"))
    return None


def read_date(value: object, loc: str, problems: Problems) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    message = f"expected a date (YYYY-MM-DD), got {describe(value)}"
    if isinstance(value, str):
        try:
            dt.date.fromisoformat(value)
            message += f"; write it without quotes: {value}"
        except ValueError as exc:
            if not str(exc).startswith("Invalid isoformat"):
                message += f" ({exc})"
    problems.append(Problem(loc, message))
    return None


def read_list(read_item: Callable, value: object, loc: str, problems: Problems) -> list | None:
    if not isinstance(value, list):
        problems.append(Problem(loc, f"expected an array, got {describe(value)}"))
        return None
    items = [read_item(item, f"{loc}[{i}]", problems) for i, item in enumerate(value)]
    return None if any(item is None for item in items) else items


def unknown_key(key: str, known: Iterator[str] | list[str], loc: str) -> Problem:
    import difflib  # only a plan with a misspelt key needs it (lazy: start-up)

    known = list(known)
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(known)}"
    return Problem(loc, f"unknown key; {hint}")


def _estimate_points(value: object, loc: str, problems: Problems) -> tuple[float, float, float] | float | None:
    """A range `[low, likely, high]` or a single number; None after recording a problem."""
    if _is_number(value):
        return float(value)
    if isinstance(value, list) and len(value) == 3:
        points = [read_number(v, f"{loc}[{i}]", problems) for i, v in enumerate(value)]
        return None if None in points else cast(tuple[float, float, float], tuple(points))  # three, none None
    problems.append(Problem(loc, f"expected [low, likely, high] or a single number, got {describe(value)}"))
    return None


# --- writing values ---------------------------------------------------------------------------


def _number(value: float) -> int | float:
    """The canonical written form of a stored float: whole numbers as integers."""
    return int(value) if value.is_integer() and abs(value) < _EXACT_INT else value


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")


def toml_key(key: str) -> str:
    """A key as TOML writes it: bare when it can be, else quoted by tomli_w."""
    if _BARE_KEY.match(key):
        return key
    import tomli_w  # only keys that need quoting, and the writer, use it (lazy: start-up)

    return tomli_w.dumps({key: 0}).rsplit(" = ", 1)[0]


# --- the key set: one Field per TOML key ---------------------------------------------------------


# Field and Table are plain classes: a dataclass compiles its methods when created (~0.5 ms of every
# start-up per class), and these are only built here and read, never compared or changed.


class Field:
    """A TOML key stored in one column of the same name unless `column` says otherwise."""

    __slots__ = ("key", "column")

    def __init__(self, key: str, column: str | None = None) -> None:
        self.key = key
        self.column = column

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key={self.key!r}, column={self.column!r})"

    @property
    def col(self) -> str:
        return self.column or self.key

    def read(self, value: object, loc: str, problems: Problems) -> Row:
        return {self.col: self.convert(value, loc, problems)}

    def convert(self, value: object, loc: str, problems: Problems) -> object:
        raise NotImplementedError

    def write(self, row: Row) -> object:
        """The TOML value for `row`, or None to leave the key out."""
        return row[self.col]


class Text(Field):
    def convert(self, value, loc, problems):
        return read_text(value, loc, problems)


class Date(Field):
    def convert(self, value, loc, problems):
        return read_date(value, loc, problems)


class Flag(Field):
    def convert(self, value, loc, problems):
        return read_flag(value, loc, problems)


class Number(Field):
    """A float column; written as an integer when whole."""

    def convert(self, value, loc, problems):
        return read_number(value, loc, problems)

    def write(self, row):
        value = row[self.col]
        return None if value is None else _number(value)


class Fraction(Number):
    """A float column for a share of 1 (capacity, p_success): always written as a float, `1.0`."""

    def write(self, row):
        return row[self.col]


class TextList(Field):
    def convert(self, value, loc, problems):
        return read_list(read_text, value, loc, problems)


class DateList(Field):
    def convert(self, value, loc, problems):
        return read_list(read_date, value, loc, problems)


class TaskEstimate(Field):
    """`estimate` of a task: a range, a single number, or a table of model parameters (est_* columns)."""

    def read(self, value, loc, problems):
        if isinstance(value, dict):
            try:
                params = json.dumps(value, sort_keys=True, allow_nan=False)
            except (TypeError, ValueError):
                problems.append(
                    Problem(loc, "model parameters must be finite numbers, strings, booleans or arrays of them")
                )
                return {}
            return {"est_form": model.EstimateForm.PARAMS.value, "est_params": params}
        points = _estimate_points(value, loc, problems)
        if points is None:
            return {}
        if isinstance(points, float):
            return {"est_form": model.EstimateForm.SINGLE.value, "est_likely": points}
        low, likely, high = points
        return {"est_form": model.EstimateForm.RANGE.value, "est_low": low, "est_likely": likely, "est_high": high}

    def write(self, row):
        match row["est_form"]:
            case model.EstimateForm.PARAMS:
                return json.loads(row["est_params"])
            case model.EstimateForm.SINGLE:
                return _number(row["est_likely"])
            case model.EstimateForm.RANGE:
                return [_number(row[c]) for c in ("est_low", "est_likely", "est_high")]
        return None


class PointEstimate(Field):
    """A range or a single number in est_low/est_likely/est_high; a single number is est_likely alone."""

    def read(self, value, loc, problems):
        points = _estimate_points(value, loc, problems)
        if points is None:
            return {}
        if isinstance(points, float):
            return {"est_likely": points}
        return dict(zip(("est_low", "est_likely", "est_high"), points, strict=True))

    def write(self, row):
        low, likely, high = row["est_low"], row["est_likely"], row["est_high"]
        if low is None and high is None and likely is not None:
            return _number(likely)
        if None in (low, likely, high):
            return None
        return [_number(low), _number(likely), _number(high)]


class TimeToHire(Field):
    """`time_to_hire`: a range, or one number meaning low = likely = high (tth_* columns)."""

    _COLUMNS = ("tth_low", "tth_likely", "tth_high")

    def read(self, value, loc, problems):
        points = _estimate_points(value, loc, problems)
        if points is None:
            return {}
        if isinstance(points, float):
            points = (points, points, points)
        return dict(zip(self._COLUMNS, points, strict=True))

    def write(self, row):
        points = [row[c] for c in self._COLUMNS]
        if None in points:
            return None
        if points[0] == points[1] == points[2]:
            return _number(points[0])
        return [_number(p) for p in points]


class Skills(Field):
    """`skills = { ml = 4, swe = 3, comm = 2 }`, any subset, in skill_* columns."""

    def read(self, value, loc, problems):
        if not isinstance(value, dict):
            problems.append(
                Problem(loc, f"expected a table like {{ ml = 3, swe = 4, comm = 2 }}, got {describe(value)}")
            )
            return {}
        row = {}
        for axis, level in value.items():
            if axis not in model.SKILL_AXES:
                problems.append(unknown_key(axis, model.SKILL_AXES, f"{loc}.{axis}"))
                continue
            row[f"skill_{axis}"] = read_whole(level, f"{loc}.{axis}", problems)
        return row

    def write(self, row):
        levels = {axis: row[f"skill_{axis}"] for axis in model.SKILL_AXES if row[f"skill_{axis}"] is not None}
        return levels or None


class Needs(Field):
    """`needs = { ml_engineer = 1, gpus = 2 }`: a list of {pool, units} in the order written."""

    def convert(self, value, loc, problems):
        if not isinstance(value, dict):
            problems.append(
                Problem(loc, f"expected a table like {{ ml_engineer = 1, gpus = 2 }}, got {describe(value)}")
            )
            return None
        # A bad entry is dropped, not the whole table, so validation still sees who the task needs.
        needs = [
            {"pool": pool, "units": read_whole(units, f"{loc}.{toml_key(pool)}", problems)}
            for pool, units in value.items()
        ]
        return [n for n in needs if n["units"] is not None]

    def write(self, row):
        needs = row[self.col]
        return None if needs is None else {n["pool"]: n["units"] for n in needs}


class Table:
    """One TOML table (or array of tables) stored in the frame `frame`."""

    # children: arrays of tables nested in each item, (TOML key, Table, column that holds the parent id).
    def __init__(self, frame: str, fields: tuple[Field, ...], children: tuple[tuple[str, Table, str], ...] = ()):
        self.frame, self.fields, self.children = frame, fields, children

    def keys(self) -> list[str]:
        return [f.key for f in self.fields] + [key for key, _, _ in self.children]

    @cached_property
    def by_key(self) -> dict[str, Field]:
        """Each field by its TOML key (built once: the reader looks keys up for every item)."""
        return {f.key: f for f in self.fields}

    @cached_property
    def child_keys(self) -> frozenset[str]:
        return frozenset(key for key, _, _ in self.children)


PLAN = Table("plan", (Text("name"), Date("start"), DateList("holidays"), Text("default_model"), Text("description")))
ORG = Table(
    "org",
    (Text("name"), Text("archetype"), Text("swe_vs_research"), Text("data_ownership"), Text("model_ownership")),
)
TEAMS = Table("teams", (Text("id"), Text("name"), Text("reports_to"), Text("lead")))
PEOPLE = Table(
    "people",
    (
        Text("id"),
        Text("name"),
        Text("role"),
        Text("team"),
        Fraction("capacity"),
        Skills("skills"),
        Text("reports_to"),
        Date("joined"),
    ),
)
HIRES = Table(
    "hires",
    (
        Text("id"), Text("name"), Text("role"), Text("team"), TimeToHire("time_to_hire"), Number("ramp_days"),
        Fraction("ramp_productivity"), Fraction("capacity"), TextList("must_have"), TextList("nice_to_have"),
        Text("description"), Text("arrival_model"),
    ),
)  # fmt: skip
TASKS = Table(
    "tasks",
    (
        Text("id"), Text("title"), Text("kind"), TaskEstimate("estimate"), Text("model"), Fraction("p_success"),
        Text("role"), Needs("needs"), Text("assignee"), TextList("after"), Text("status"), Date("started"),
        Date("finished"), Number("actual_days"), Text("by", "done_by"), Text("success_model"),
    ),
)  # fmt: skip
CHALLENGES = Table("challenges", (Text("id"), Text("title"), Text("strategy"), TextList("approaches")))
PROJECTS = Table(
    "projects",
    (Text("id"), Text("name"), Text("team"), Date("deadline"), Number("value"), Text("impact")),
    children=(("tasks", TASKS, "project"), ("challenges", CHALLENGES, "project")),
)
HISTORY = Table(
    "history",
    (
        Text("task"), Text("project"), Text("kind"), Text("person"), Text("team"), PointEstimate("estimate"),
        Fraction("p_success"), Number("actual_days"), Flag("succeeded"), Date("started"), Date("finished"),
        Number("forecast_p50"), Number("forecast_p80"), Number("elapsed_days"),
    ),
)  # fmt: skip
EXPERIMENTS = Table(
    "experiments", (Date("date"), Text("person"), Text("task"), Text("tried"), Text("outcome"), Number("effort_days"))
)
SCORES = Table("scorecards", (Text("assessment"), Text("aspect"), Number("score"), Number("minimum")))
CANDIDATES = Table(
    "candidates",
    (Text("id"), Text("name"), Text("role"), Text("hire"), TextList("strengths"), TextList("bars")),
    children=(("scores", SCORES, "candidate"),),
)

# Top-level arrays of tables, in the order the writer emits them (with [plan], [org], [pools]).
ARRAYS: dict[str, Table] = {"teams": TEAMS, "people": PEOPLE, "hires": HIRES}
LATER_ARRAYS: dict[str, Table] = {
    "projects": PROJECTS,
    "history": HISTORY,
    "experiments": EXPERIMENTS,
    "candidates": CANDIDATES,
}
TOP_KEYS = ["plan", "org", *ARRAYS, "pools", *LATER_ARRAYS]


# --- reading -------------------------------------------------------------------------------------


class _Reader:
    """Walks a parsed TOML document into row lists per frame, collecting problems."""

    def __init__(self) -> None:
        self.problems: Problems = []
        self.rows: dict[str, list[Row]] = {name: [] for name in model.SCHEMAS}

    def document(self, doc: dict) -> Plan:
        for key in doc:
            if key not in TOP_KEYS:
                self.problems.append(unknown_key(key, TOP_KEYS, key))
        if "plan" in doc:
            self.single(PLAN, doc["plan"], "plan")
        if "org" in doc:
            self.org(doc["org"])
        for key, table in (ARRAYS | LATER_ARRAYS).items():
            if key in doc:
                self.array(table, doc[key], key, header=key, parent=None)
        if "pools" in doc:
            self.pools(doc["pools"])
        return Plan(**{name: model.frame(name, rows) for name, rows in self.rows.items()})

    def single(self, table: Table, value: object, loc: str, extra: tuple[str, ...] = ()) -> None:
        if not isinstance(value, dict):
            self.problems.append(Problem(loc, f"expected a table [{loc}], got {describe(value)}"))
            return
        self.rows[table.frame].append(self.item(table, value, loc, extra))

    def org(self, value: object) -> None:
        self.single(ORG, value, "org", extra=("answers",))
        answers = value.get("answers") if isinstance(value, dict) else None
        if answers is None:
            return
        if not isinstance(answers, dict):
            self.problems.append(Problem("org.answers", f"expected a table [org.answers], got {describe(answers)}"))
            return
        for question, answer in answers.items():
            text = read_text(answer, f"org.answers.{toml_key(question)}", self.problems)
            self.rows["org_answers"].append({"question": question, "answer": text})

    def pools(self, value: object) -> None:
        if not isinstance(value, dict):
            self.problems.append(Problem("pools", f"expected a table [pools], got {describe(value)}"))
            return
        for pool, units in value.items():
            self.rows["pools"].append(
                {"id": pool, "units": read_whole(units, f"pools.{toml_key(pool)}", self.problems)}
            )

    def array(self, table: Table, value: object, loc: str, header: str, parent: tuple[str, str | None] | None) -> None:
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problems.append(Problem(loc, f"expected an array of tables [[{header}]], got {describe(value)}"))
            return
        for index, item in enumerate(value):
            item_id = item.get("id") if isinstance(item.get("id"), str) else None
            item_loc = f"{loc}[{item_location(item_id, index)}]"
            row = self.item(table, item, item_loc)
            if parent is not None:
                row[parent[0]] = parent[1]
            self.rows[table.frame].append(row)
            for key, child, parent_column in table.children:
                if key in item:
                    self.array(
                        child, item[key], f"{item_loc}.{key}", f"{header}.{key}", parent=(parent_column, item_id)
                    )

    def item(self, table: Table, item: dict, loc: str, extra: tuple[str, ...] = ()) -> Row:
        fields = table.by_key
        row: Row = {}
        for key, value in item.items():
            if key in fields:
                row |= fields[key].read(value, f"{loc}.{toml_key(key)}", self.problems)
            elif key not in extra and key not in table.child_keys:
                self.problems.append(unknown_key(key, table.keys() + list(extra), f"{loc}.{toml_key(key)}"))
        return row


_TOML_POSITION = re.compile(r"^(?P<message>.*) \(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)$")


_OTHER_DATE = re.compile(r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b")  # 31/03/2027, 03.31.27, ...


def _syntax_problem(exc: tomllib.TOMLDecodeError, text: str) -> Problem:
    match = _TOML_POSITION.match(str(exc))
    if match is None:
        return Problem("", str(exc))
    where = f"line {match['line']}, column {match['column']}" if match["line"] else "end of file"
    hint = ""
    if match["line"]:
        line = text.splitlines()[int(match["line"]) - 1] if int(match["line"]) <= len(text.splitlines()) else ""
        if _OTHER_DATE.search(line):
            hint = "; write dates as YYYY-MM-DD without quotes, e.g. 2027-03-31"
    return Problem(where, f"TOML syntax: {match['message']}{hint}")


def check_plan_text(text: str) -> tuple[Plan | None, Problems]:
    """Every problem of a plan file's text, errors and warnings, in one list; never raises for a bad plan.

    The plan is None when the text is not TOML. A key with a problem of its own (a wrong type)
    is null in the frames, and validation does not report it a second time.
    """
    text = text.removeprefix("\ufeff")  # a byte-order mark some editors write; TOML does not allow it
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [_syntax_problem(exc, text)]
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        return None, [Problem("", "TOML syntax: arrays or tables nested too deeply (a plan needs a few levels)")]
    reader = _Reader()
    plan = reader.document(doc)
    semantic = [p for p in validate_plan(plan) if not _already_reported(p.location, reader.problems)]
    return plan, reader.problems + semantic


def _already_reported(location: str, problems: Problems) -> bool:
    """Whether the reader reported this key, or an element of it, already (so it is null in the frames)."""
    return any(p.location == location or p.location.startswith(f"{location}[") for p in problems)


def parse_plan_text_with_warnings(text: str, source: str = "<plan>") -> tuple[Plan, Problems]:
    """The plan and its warnings; raises PlanError (with the warnings too) if there is any error."""
    plan, problems = check_plan_text(text)
    if plan is None or any(p.severity == "error" for p in problems):
        raise PlanError(problems, source=source)
    return plan, problems


def parse_plan_text(text: str, source: str = "<plan>") -> Plan:
    """The plan in `text`; raises PlanError listing every problem. Warnings alone do not raise."""
    return parse_plan_text_with_warnings(text, source)[0]


def read_plan_text_file(path: str | os.PathLike) -> str:
    """The text of a plan file; an unreadable file is a PlanError naming it."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else f"not UTF-8 text ({exc.reason})"
        raise PlanError([Problem("", f"cannot read the plan file: {reason}")], source=str(path)) from exc


def read_plan_with_warnings(path: str | os.PathLike) -> tuple[Plan, Problems]:
    return parse_plan_text_with_warnings(read_plan_text_file(path), source=str(path))


def read_plan(path: str | os.PathLike) -> Plan:
    """The plan in a .toml file; raises PlanError (source = the path) listing every problem."""
    return read_plan_with_warnings(path)[0]
