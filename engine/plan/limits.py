"""Sane ranges for every number and date in a plan, so that nothing validation accepts can crash a run.

A plan is simulated on a working-day calendar that ends at 9999-12-31 (Python's last date).
The bounds here keep every date a run can reach well inside it: dates in plans are in
[MIN_DATE, MAX_DATE], one quantity of work is at most MAX_DAYS working days, nobody works at
less than MIN_CAPACITY, and all the work done one task after another at the lowest capacity
fits in MAX_HORIZON_DAYS (about 3,800 years: twice the room a tail of the sampled durations
needs). Every float, in every column of every table, must be finite: SQLite would store NaN
as null, losing what was written, and no check could bound it. Pool sizes are bounded because the kernel keeps one slot per unit. Ids must be
printable and not blank: they are how people find things in messages and tables.
Each message names the bound, so the fix is clear.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import polars as pl

from teamcast.engine.plan.model import Plan
from teamcast.engine.plan.text import unprintable
from teamcast.errors import Problem

if TYPE_CHECKING:
    from polars.datatypes import DataTypeClass

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2199, 12, 31)
MAX_DAYS = 10_000.0  # working days (about 38 years) for one estimate, actual, hiring time or ramp
MIN_CAPACITY = 0.01  # a share of a working day
MAX_UNITS = 1_000  # units of one pool (GPUs, ...), and units one task needs
MAX_HORIZON_DAYS = 1_000_000.0

# Frame -> columns counted in working days, with the plan file key each is written under.
DAY_COLUMNS: dict[str, dict[str, str]] = {
    "tasks": {"est_low": "estimate", "est_likely": "estimate", "est_high": "estimate", "actual_days": "actual_days"},
    "history": {
        "est_low": "estimate",
        "est_likely": "estimate",
        "est_high": "estimate",
        "actual_days": "actual_days",
        "forecast_p50": "forecast_p50",
        "forecast_p80": "forecast_p80",
    },
    "hires": {
        "tth_low": "time_to_hire",
        "tth_likely": "time_to_hire",
        "tth_high": "time_to_hire",
        "ramp_days": "ramp_days",
    },
    "experiments": {"effort_days": "effort_days"},
}
# Frame -> shares of a working day (already in (0, 1] by validation; here: not vanishingly small).
CAPACITY_COLUMNS: dict[str, list[str]] = {"people": ["capacity"], "hires": ["capacity", "ramp_productivity"]}
# Columns a plan file writes as one point of a key: column -> (key, point).
POINT_KEYS: dict[str, tuple[str, str]] = {
    f"{prefix}_{point}": (key, point)
    for prefix, key in (("est", "estimate"), ("tth", "time_to_hire"))
    for point in ("low", "likely", "high")
}
ID_FRAMES = ("teams", "people", "hires", "pools", "projects", "tasks", "challenges", "candidates")


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _holds_floats(dtype: pl.DataType | DataTypeClass) -> bool:
    if isinstance(dtype, pl.List):
        return _holds_floats(dtype.inner)
    if isinstance(dtype, pl.Struct):
        return any(_holds_floats(f.dtype) for f in dtype.fields)
    return dtype.is_float()


def _non_finite(value: object) -> float | None:
    """The first NaN or infinity in `value`, a float or a list or struct of them; else None."""
    if isinstance(value, float):
        return None if math.isfinite(value) else value
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return next((bad for item in items if (bad := _non_finite(item)) is not None), None)


def finite_problems(
    plan: Plan, locations: dict[str, list[str]], table_rows: Callable[[str], list[dict]] | None = None
) -> list[Problem]:
    """Each key of each row holding a NaN or an infinity, named as the plan file writes it
    (`estimate`, not `est_low`); the other checks skip what is not finite. `table_rows(name)`
    gives a frame's rows as dicts when the caller has built them already."""
    problems: list[Problem] = []
    for name, locs in locations.items():
        frame = getattr(plan, name)
        keys: dict[str, list[tuple[str, str]]] = {}  # key -> its (column, point)s
        for column, dtype in frame.schema.items():
            if _holds_floats(dtype):
                key, point = POINT_KEYS.get(column, (column, ""))
                keys.setdefault(key, []).append((column, point))
        if not keys:
            continue
        rows = table_rows(name) if table_rows is not None else frame.iter_rows(named=True)
        for loc, row in zip(locs, rows, strict=True):
            for key, points in keys.items():
                bad = [(point, v) for column, point in points if (v := _non_finite(row[column])) is not None]
                if not bad:
                    continue
                point, value = bad[0]
                # One number written (`estimate = nan`) fills `likely` alone, or all three points alike.
                given = {point: str(row[column]) for column, point in points if row[column] is not None}
                one_number = set(given) == {"likely"} or (len(given) == len(points) and len(set(given.values())) == 1)
                what = "not" if len(points) == 1 or one_number else f"{point} is not"
                problems.append(Problem(f"{loc}.{key}", f"{what} a finite number: {value}"))
    return problems


def _refuse_constant(name: str) -> float:
    raise ValueError(name)


def params_problems(text: str | None) -> list[str]:
    """What is wrong with a task's model parameters, stored as JSON text (NaN and Infinity are not JSON)."""
    try:
        params = json.loads(text, parse_constant=_refuse_constant) if text is not None else None
    except ValueError as exc:
        if str(exc) in ("NaN", "Infinity", "-Infinity"):
            return [f"model parameters must be finite numbers, got {exc}"]
        params = None
    except TypeError:
        params = None
    return [] if isinstance(params, dict) else ["model parameters are not a JSON object"]


_DATE_LIST = pl.List(pl.Date)


def _date_columns(frame: pl.DataFrame) -> Iterator[str]:
    for name, dtype in frame.schema.items():
        if dtype == pl.Date or dtype == _DATE_LIST:
            yield name


def limit_problems(
    plan: Plan,
    locations: dict[str, list[str]],
    effort_elsewhere: float = 0.0,
    table_rows: Callable[[str], list[dict]] | None = None,
) -> list[Problem]:
    """Every value outside its sane range, at the location `locations` gives each row;
    `effort_elsewhere` is the work of tasks not in `plan` (a slice of a bigger plan).
    `table_rows(name)` gives a frame's rows as dicts when the caller has built them already."""
    problems = finite_problems(plan, locations, table_rows)

    def rows(name: str) -> Iterator[tuple[str, dict]]:
        if table_rows is not None:
            return zip(locations[name], table_rows(name), strict=True)
        return zip(locations[name], getattr(plan, name).iter_rows(named=True), strict=True)

    for name in ID_FRAMES:
        for loc, row in rows(name):
            item_id = row.get("id")
            if not isinstance(item_id, str) or item_id == "":
                continue  # missing or empty ids are reported by validation
            where = loc if name == "pools" else f"{loc}.id"
            if not item_id.strip():
                problems.append(Problem(where, "must not be blank"))
            elif (char := unprintable(item_id)) is not None:
                problems.append(Problem(where, f"contains the unprintable character {char}; ids must be printable"))
    for name in locations:
        frame = getattr(plan, name)
        for column in _date_columns(frame):
            for loc, row in rows(name):
                values = row[column] if isinstance(row[column], list) else [row[column]]
                for value in values:
                    if value is not None and not MIN_DATE <= value <= MAX_DATE:
                        problems.append(
                            Problem(f"{loc}.{column}", f"{value} is outside the calendar [{MIN_DATE}, {MAX_DATE}]")
                        )
                        break
    for name, columns in DAY_COLUMNS.items():
        for loc, row in rows(name):
            reported = set()
            for column, key in columns.items():
                value = row[column]
                if _finite(value) and value > MAX_DAYS and key not in reported:
                    reported.add(key)
                    problems.append(
                        Problem(f"{loc}.{key}", f"must be at most {MAX_DAYS:,.0f} working days, got {value:g}")
                    )
    for name, capacity_columns in CAPACITY_COLUMNS.items():
        for loc, row in rows(name):
            for column in capacity_columns:
                value = row[column]
                if _finite(value) and 0 < value < MIN_CAPACITY:
                    problems.append(Problem(f"{loc}.{column}", f"must be at least {MIN_CAPACITY:g}, got {value:g}"))
    for loc, row in rows("pools"):
        if _finite(row["units"]) and row["units"] > MAX_UNITS:
            problems.append(Problem(loc, f"must be at most {MAX_UNITS:,} units, got {row['units']:,}"))
    for loc, row in rows("tasks"):
        for need in row["needs"] or []:
            if _finite(need["units"]) and need["units"] > MAX_UNITS:
                problems.append(
                    Problem(f"{loc}.needs.{need['pool']}", f"must be at most {MAX_UNITS:,}, got {need['units']:,}")
                )
    if not problems:
        problems += _horizon_problems(plan, effort_elsewhere)
    return problems


def _horizon_problems(plan: Plan, effort_elsewhere: float) -> list[Problem]:
    """All the work, one task after another at the lowest capacity, must fit the calendar."""
    efforts = plan.tasks.select(pl.max_horizontal("est_low", "est_likely", "est_high")).to_series()
    total = float(efforts.filter(efforts.is_finite()).sum()) + effort_elsewhere  # validation reports the rest
    capacities = [c for c in [*plan.people["capacity"], *plan.hires["capacity"]] if _finite(c) and c > 0]
    slowest = min([1.0, *capacities])
    hiring = max([0.0, *(v for v in plan.hires["tth_high"] if _finite(v))])
    horizon = total / slowest + hiring
    if horizon <= MAX_HORIZON_DAYS:
        return []
    return [
        Problem(
            "projects",
            f"all the work one task after another at the lowest capacity ({slowest:g}) takes {horizon:,.0f} "
            f"working days; teamcast plans up to {MAX_HORIZON_DAYS:,.0f} (about 3,800 years)",
        )
    ]


def horizon_problems(plan: Plan) -> list[Problem]:
    """The horizon check alone (all the work in series must fit the calendar): a sweep runs it
    when a scenario lowers a capacity or lengthens a time to hire."""
    return _horizon_problems(plan, 0.0)
