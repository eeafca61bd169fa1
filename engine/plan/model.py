"""The plan's data model: enums with the lecture's ids and the Polars schema of every table, declared once.

A plan file, a workspace and the simulation all speak in these frames. Frames keep what the
user wrote: an optional key the user left out is null here (defaults are applied when a plan
is compiled for the simulation), so a plan survives TOML -> frames -> TOML unchanged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from polars.datatypes import DataTypeClass


class Role(StrEnum):
    """The six ML roles of Lecture 13, §1."""

    ML_PRODUCT_MANAGER = "ml_product_manager"
    DEVOPS_ENGINEER = "devops_engineer"
    DATA_ENGINEER = "data_engineer"
    ML_ENGINEER = "ml_engineer"
    ML_RESEARCHER = "ml_researcher"
    DATA_SCIENTIST = "data_scientist"


class RoleFamily(StrEnum):
    ML_ADJACENT = "ml_adjacent"
    CORE_ML = "core_ml"
    BUSINESS_ANALYTICS = "business_analytics"


ROLE_FAMILY: dict[Role, RoleFamily] = {
    Role.ML_PRODUCT_MANAGER: RoleFamily.ML_ADJACENT,
    Role.DEVOPS_ENGINEER: RoleFamily.ML_ADJACENT,
    Role.DATA_ENGINEER: RoleFamily.ML_ADJACENT,
    Role.ML_ENGINEER: RoleFamily.CORE_ML,
    Role.ML_RESEARCHER: RoleFamily.CORE_ML,
    Role.DATA_SCIENTIST: RoleFamily.BUSINESS_ANALYTICS,
}

ROLE_TITLE: dict[Role, str] = {
    Role.ML_PRODUCT_MANAGER: "ML product manager",
    Role.DEVOPS_ENGINEER: "DevOps engineer",
    Role.DATA_ENGINEER: "data engineer",
    Role.ML_ENGINEER: "ML engineer",
    Role.ML_RESEARCHER: "ML researcher",
    Role.DATA_SCIENTIST: "data scientist",
}


class Archetype(StrEnum):
    """The five organisation archetypes of Lecture 13, §2."""

    NASCENT = "nascent"
    RND = "rnd"
    EMBEDDED = "embedded"
    DIVISION = "division"
    ML_FIRST = "ml_first"


class TaskStatus(StrEnum):
    TODO = "todo"
    DOING = "doing"
    DONE = "done"
    FAILED = "failed"


class Strategy(StrEnum):
    """How a challenge tries its approaches (Lecture 13, §3: a portfolio of approaches)."""

    PARALLEL = "parallel"
    SEQUENTIAL = "sequential"


class EstimateForm(StrEnum):
    """How a task's estimate was written: three points, one number, or model parameters."""

    RANGE = "range"
    SINGLE = "single"
    PARAMS = "params"


SKILL_AXES = ("ml", "swe", "comm")
DEFAULT_MODEL = "pert"

# Typed as either kind of polars dtype so that the schema dicts below type-check as one mapping.
_STR: pl.DataType | DataTypeClass = pl.String
_F: pl.DataType | DataTypeClass = pl.Float64
_I: pl.DataType | DataTypeClass = pl.Int64
_D: pl.DataType | DataTypeClass = pl.Date
_B: pl.DataType | DataTypeClass = pl.Boolean
_LIST_STR: pl.DataType | DataTypeClass = pl.List(pl.String)
_NEEDS: pl.DataType | DataTypeClass = pl.List(pl.Struct({"pool": pl.String, "units": pl.Int64}))

# One row: the [plan] table.
PLAN_SCHEMA = pl.Schema(
    {
        "name": _STR,
        "start": _D,
        "holidays": pl.List(pl.Date),
        "default_model": _STR,  # null -> "pert"
        "description": _STR,
    }
)

# One row: the [org] table (archetype self-assessment and the three design choices).
ORG_SCHEMA = pl.Schema(
    {
        "name": _STR,
        "archetype": _STR,  # what the organisation believes it is (optional)
        "swe_vs_research": _STR,  # design choice 1
        "data_ownership": _STR,  # design choice 2
        "model_ownership": _STR,  # design choice 3
    }
)

# The questionnaire answers of [org.answers], one row per question.
ORG_ANSWERS_SCHEMA = pl.Schema({"question": _STR, "answer": _STR})

TEAMS_SCHEMA = pl.Schema(
    {
        "id": _STR,
        "name": _STR,
        "reports_to": _STR,  # free text (e.g. "cto") or another team's id
        "lead": _STR,  # person id, optional
    }
)

PEOPLE_SCHEMA = pl.Schema(
    {
        "id": _STR,
        "name": _STR,
        "role": _STR,  # one of Role, or a custom role id (warned about)
        "team": _STR,
        "capacity": _F,  # (0, 1]; null -> 1.0
        "skill_ml": _I,  # 0-5, null when not given
        "skill_swe": _I,
        "skill_comm": _I,
        "reports_to": _STR,  # person id, optional
        "joined": _D,
    }
)

HIRES_SCHEMA = pl.Schema(
    {
        "id": _STR,
        "name": _STR,
        "role": _STR,
        "team": _STR,
        "tth_low": _F,  # time to hire, working days from plan start
        "tth_likely": _F,
        "tth_high": _F,
        "ramp_days": _F,  # null -> 0
        "ramp_productivity": _F,  # null -> 1.0
        "capacity": _F,  # null -> 1.0
        "must_have": _LIST_STR,
        "nice_to_have": _LIST_STR,
        "description": _STR,
        "arrival_model": _STR,  # duration model of the time to hire; null -> pert
    }
)

POOLS_SCHEMA = pl.Schema({"id": _STR, "units": _I})

PROJECTS_SCHEMA = pl.Schema(
    {
        "id": _STR,
        "name": _STR,
        "team": _STR,
        "deadline": _D,
        "value": _F,  # importance, > 0; null -> 1.0
        "impact": _STR,
    }
)

TASKS_SCHEMA = pl.Schema(
    {
        "id": _STR,
        "project": _STR,
        "title": _STR,
        "kind": _STR,  # free tag: research, engineering, data, infra, ...
        "est_form": _STR,  # EstimateForm
        "est_low": _F,
        "est_likely": _F,  # for est_form == "single", the one number
        "est_high": _F,
        "est_params": _STR,  # JSON object for est_form == "params"
        "model": _STR,  # null -> plan default_model
        "p_success": _F,  # null -> 1.0
        "role": _STR,
        "needs": _NEEDS,  # null when not given
        "assignee": _STR,
        "after": _LIST_STR,  # null when not given
        "status": _STR,  # TaskStatus, null -> todo
        "started": _D,
        "finished": _D,
        "actual_days": _F,
        "done_by": _STR,  # person who did it (key `by` in the plan file)
        "success_model": _STR,  # registered success model; null -> bernoulli
    }
)

CHALLENGES_SCHEMA = pl.Schema(
    {
        "id": _STR,
        "project": _STR,
        "title": _STR,
        "strategy": _STR,  # Strategy
        "approaches": _LIST_STR,
    }
)

HISTORY_SCHEMA = pl.Schema(
    {
        "task": _STR,
        "project": _STR,
        "kind": _STR,
        "person": _STR,
        "team": _STR,
        "est_low": _F,
        "est_likely": _F,
        "est_high": _F,
        "p_success": _F,
        "actual_days": _F,
        "succeeded": _B,
        "started": _D,
        "finished": _D,
        "forecast_p50": _F,  # the forecast standing when the work started, days of effort
        "forecast_p80": _F,
        "elapsed_days": _F,  # working days from start to finish, when known (actual_days is effort)
    }
)

# Appended by recorded forecast runs (issue: retros); one row per project or task per snapshot.
FORECASTS_SCHEMA = pl.Schema(
    {
        "snapshot": _I,
        "created": pl.Datetime("us", "UTC"),
        "who": _STR,
        "plan_version": _I,
        "seed": _I,
        "trials": _I,
        "level": _STR,  # "project" | "task"
        "id": _STR,
        "p50": _F,
        "p80": _F,
        "p95": _F,
        "mean": _F,
        "p_success": _F,
        "p_on_time": _F,
    }
)

EXPERIMENTS_SCHEMA = pl.Schema(
    {
        "date": _D,
        "person": _STR,
        "task": _STR,  # task or approach id
        "tried": _STR,
        "outcome": _STR,
        "effort_days": _F,
    }
)

CANDIDATES_SCHEMA = pl.Schema(
    {
        "id": _STR,
        "name": _STR,
        "role": _STR,
        "hire": _STR,  # the open position, optional
        "strengths": _LIST_STR,  # hypotheses about strengths to validate
        "bars": _LIST_STR,  # weaker aspects that need a minimum bar
    }
)

SCORECARDS_SCHEMA = pl.Schema(
    {
        "candidate": _STR,
        "assessment": _STR,  # e.g. pair_coding, ml_theory, take_home
        "aspect": _STR,  # the strength or bar this assessment speaks to
        "score": _F,  # 1-5
        "minimum": _F,  # the minimum bar, for bar aspects
    }
)

SCHEMAS: dict[str, pl.Schema] = {
    "plan": PLAN_SCHEMA,
    "org": ORG_SCHEMA,
    "org_answers": ORG_ANSWERS_SCHEMA,
    "teams": TEAMS_SCHEMA,
    "people": PEOPLE_SCHEMA,
    "hires": HIRES_SCHEMA,
    "pools": POOLS_SCHEMA,
    "projects": PROJECTS_SCHEMA,
    "tasks": TASKS_SCHEMA,
    "challenges": CHALLENGES_SCHEMA,
    "history": HISTORY_SCHEMA,
    "forecasts": FORECASTS_SCHEMA,
    "experiments": EXPERIMENTS_SCHEMA,
    "candidates": CANDIDATES_SCHEMA,
    "scorecards": SCORECARDS_SCHEMA,
}


def empty_frame(table: str) -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMAS[table])


def frame(table: str, rows: list[dict]) -> pl.DataFrame:
    """A frame of `table` from row dicts; missing keys become null, columns keep the declared order."""
    schema = SCHEMAS[table]
    if not rows:
        return empty_frame(table)
    return pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema, orient="row")


def _empty(table: str):
    return field(default_factory=lambda: empty_frame(table))


@dataclass(frozen=True)
class Plan:
    """A whole plan: one frame per table, each with the schema in SCHEMAS."""

    plan: pl.DataFrame = _empty("plan")
    org: pl.DataFrame = _empty("org")
    org_answers: pl.DataFrame = _empty("org_answers")
    teams: pl.DataFrame = _empty("teams")
    people: pl.DataFrame = _empty("people")
    hires: pl.DataFrame = _empty("hires")
    pools: pl.DataFrame = _empty("pools")
    projects: pl.DataFrame = _empty("projects")
    tasks: pl.DataFrame = _empty("tasks")
    challenges: pl.DataFrame = _empty("challenges")
    history: pl.DataFrame = _empty("history")
    forecasts: pl.DataFrame = _empty("forecasts")
    experiments: pl.DataFrame = _empty("experiments")
    candidates: pl.DataFrame = _empty("candidates")
    scorecards: pl.DataFrame = _empty("scorecards")

    # --- convenience -------------------------------------------------------
    @property
    def name(self) -> str:
        return self.plan["name"][0] if self.plan.height else ""

    @property
    def start(self) -> dt.date:
        return self.plan["start"][0]

    @property
    def holidays(self) -> list[dt.date]:
        value = self.plan["holidays"][0] if self.plan.height else None
        return list(value) if value is not None else []

    @property
    def default_model(self) -> str:
        value = self.plan["default_model"][0] if self.plan.height else None
        return value or DEFAULT_MODEL

    def tables(self) -> dict[str, pl.DataFrame]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def replace(self, **frames: pl.DataFrame) -> Plan:
        return replace(self, **frames)

    def equals(self, other: Plan) -> bool:
        """Frame-by-frame equality, nulls equal to nulls."""
        return all(a.equals(b) for a, b in zip(self.tables().values(), other.tables().values(), strict=True))
