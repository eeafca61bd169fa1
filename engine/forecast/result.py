"""What a forecast run returns: one frame per level (projects, tasks, people) and its stable JSON form."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl

PERCENTILES = (50, 80, 95)


@dataclass
class Forecast:
    """The result of a run: one frame per level plus what produced it."""

    plan_name: str
    trials: int
    seed: int
    priority: str
    modifiers: tuple[str, ...]
    projects: pl.DataFrame
    tasks: pl.DataFrame
    people: pl.DataFrame
    project_finish: np.ndarray = field(repr=False)  # (trials, P) finish days, NaN where a project failed
    start: object = None  # the plan's start date
    reevaluated: pl.DataFrame | None = None  # work in progress: id, p_stated, p_updated, spent_days
    calendar: object = None  # the plan's Calendar, for dates of the unconditional figures

    def done_and_successful_by(self, q: float) -> np.ndarray:
        """Per project, the first day by which it is done and successful with probability >= q.

        Unconditional: a trial in which the project failed counts as never done, so the day is
        NaN when P(success) < q. (P50/P80/P95 in `projects` are conditional on success.)"""
        return unconditional_days(self.project_finish, q)

    def done_and_successful_dates(self, q: float) -> list:
        days = self.done_and_successful_by(q)
        return [None if self.calendar is None else day_date(self.calendar, d) for d in days]

    def to_json(self) -> dict:
        """The stable machine-readable form (DESIGN.md keys, extended)."""

        def pct(row: dict, prefix: str = "") -> dict:
            return {f"p{q}": _num(row[f"{prefix}p{q}"]) for q in PERCENTILES}

        projects = []
        unconditional = {q: self.done_and_successful_dates(q / 100) for q in PERCENTILES}
        for index, row in enumerate(self.projects.to_dicts()):
            projects.append(
                {
                    "id": row["id"],
                    "name": row["name"],
                    "p_success": _num(row["p_success"]),
                    "p_on_time": _num(row["p_on_time"]),
                    # Unconditional: done and successful by the end of the deadline's day.
                    "p_done_by_deadline": _num(row["p_on_time"]),
                    "finish_given": "success",  # finish_days and finish_date count successful trials only
                    "done_and_successful_by": {f"p{q}": _iso(unconditional[q][index]) for q in PERCENTILES},
                    "finish_days": {**pct(row), "mean": _num(row["mean"])},
                    "finish_date": {f"p{q}": _iso(row[f"date_p{q}"]) for q in PERCENTILES},
                    "deadline": _iso(row["deadline"]),
                    "value": _num(row["value"]),
                    "expected_value": _num(row["expected_value"]),
                }
            )
        tasks = [
            {
                "id": row["id"],
                "project": row["project"],
                "p_run": _num(row["p_run"]),
                "p_success": _num(row["p_success"]),
                "finish_days": pct(row),
                "criticality": _num(row["criticality"]),
                "sensitivity": _num(row["sensitivity"]),
            }
            for row in self.tasks.to_dicts()
        ]
        people = [
            {"id": row["id"], "utilization": _num(row["utilization"]), "busy_days": _num(row["busy_days"])}
            for row in self.people.to_dicts()
        ]
        updated = {}
        if self.reevaluated is not None:
            updated = {r["id"]: r for r in self.reevaluated.to_dicts()}
        for task in tasks:
            if task["id"] in updated:
                task["p_success_stated"] = _num(updated[task["id"]]["p_stated"])
                task["p_success_updated"] = _num(updated[task["id"]]["p_updated"])
                task["past_estimate"] = bool(updated[task["id"]].get("past_estimate", False))
        return {
            "plan": self.plan_name,
            "trials": self.trials,
            "seed": self.seed,
            "priority": self.priority,
            "modifiers": list(self.modifiers),
            "start": _iso(self.start),
            "projects": projects,
            "tasks": tasks,
            "people": people,
        }


def unconditional_days(finish: np.ndarray, q: float) -> np.ndarray:
    """Per column of `finish` (trials x projects, NaN where the project failed): the smallest
    day d with P(finish <= d and success) >= q, NaN when P(success) < q."""
    trials = finish.shape[0]
    if not trials:
        return np.full(finish.shape[1], np.nan)
    k = max(int(math.ceil(q * trials - 1e-9)) - 1, 0)
    # The k-th smallest of each column: one partition puts it in place (a sort costs ~3x more).
    days = np.partition(np.where(np.isnan(finish), np.inf, finish), k, axis=0)[k].astype(np.float64)
    return np.where(np.isinf(days), np.nan, days)


def _num(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else round(x, 6)


def _iso(d) -> str | None:
    return d.isoformat() if d is not None else None


PROJECT_RESULT_SCHEMA = pl.Schema(
    {
        "id": pl.String,
        "name": pl.String,
        "p_success": pl.Float64,
        "p_on_time": pl.Float64,
        "p50": pl.Float64,
        "p80": pl.Float64,
        "p95": pl.Float64,
        "mean": pl.Float64,
        "date_p50": pl.Date,
        "date_p80": pl.Date,
        "date_p95": pl.Date,
        "deadline": pl.Date,
        "value": pl.Float64,
        "expected_value": pl.Float64,
    }
)
TASK_RESULT_SCHEMA = pl.Schema(
    {
        "id": pl.String,
        "project": pl.String,
        "p_run": pl.Float64,
        "p_success": pl.Float64,
        "p50": pl.Float64,
        "p80": pl.Float64,
        "p95": pl.Float64,
        "criticality": pl.Float64,
        "sensitivity": pl.Float64,
    }
)
PEOPLE_RESULT_SCHEMA = pl.Schema({"id": pl.String, "utilization": pl.Float64, "busy_days": pl.Float64})


def result_frame(rows: list[dict], schema: pl.Schema) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def day_date(calendar, days: float):
    if days is None or np.isnan(days):
        return None
    return calendar.finish_date(float(days))
