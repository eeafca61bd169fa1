"""The bundled demo organisation (Northwind Analytics): its plan file, the parsed plan, and a short summary.

The demo is what a new user sees first (`teamcast demo`), and the plan tests, benchmarks and
screenshots can rely on: thirteen people over the six roles, two open hires, four projects
with a research challenge, and two quarters of history.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from importlib.resources import files

import polars as pl

from teamcast.engine.plan.model import ROLE_TITLE, Plan, Role, TaskStatus

DEMO_PATH = files("teamcast.engine.plan") / "data" / "demo.toml"
DEMO_SOURCE = "demo.toml"

_LECTURE_ROLES = [role.value for role in Role]
# Progress reads left to right: what is behind us, what is under way, what is ahead.
_STATUS_ORDER = [TaskStatus.DONE, TaskStatus.DOING, TaskStatus.TODO, TaskStatus.FAILED]


def demo_text() -> str:
    """The demo plan file, as shipped."""
    return DEMO_PATH.read_text(encoding="utf-8")


def demo_plan() -> Plan:
    """The demo, parsed (and checked) by the plan-file reader."""
    # Imported here: the reader is heavier than this module and not every caller needs it.
    from teamcast.engine.plan.planfile import parse_plan_text

    return parse_plan_text(demo_text(), DEMO_SOURCE)


def summary_lines(plan: Plan) -> list[str]:
    """A few lines a person reads in ten seconds: who the organisation is, who works there, what it plans."""
    return [
        *_org_lines(plan),
        _people_line(plan.people),
        _hires_line(plan.hires),
        *_pools_lines(plan.pools),
        "Projects:",
        *_project_lines(plan.projects, plan.tasks),
        _history_line(plan),
    ]


def _org_lines(plan: Plan) -> list[str]:
    org = plan.org.row(0, named=True) if plan.org.height else {}
    name = org.get("name") or plan.name
    archetype = org.get("archetype")
    first = f"{name} (archetype: {archetype})" if archetype else name
    return [first, f"Plan {plan.name!r}, starting {plan.start.isoformat()}"]


def _role_title(role: str) -> str:
    return ROLE_TITLE[Role(role)] if role in _LECTURE_ROLES else role


def _role_count(role: str, count: int) -> str:
    return f"{count} {_role_title(role)}{'s' if count != 1 else ''}"


def _people_line(people: pl.DataFrame) -> str:
    counts = Counter(people["role"].to_list())
    # The lecture's order of roles first, custom roles after them.
    order = [r for r in _LECTURE_ROLES if r in counts] + sorted(set(counts) - set(_LECTURE_ROLES))
    return f"People ({people.height}): {', '.join(_role_count(r, counts[r]) for r in order)}"


def _hires_line(hires: pl.DataFrame) -> str:
    if hires.is_empty():
        return "Open hires: none"
    described = [f"{_role_title(row['role'])} ({row['id']})" for row in hires.iter_rows(named=True)]
    return f"Open hires ({hires.height}): {', '.join(described)}"


def _pools_lines(pools: pl.DataFrame) -> list[str]:
    if pools.is_empty():
        return []
    return ["Pools: " + ", ".join(f"{units} {pool}" for pool, units in pools.select("id", "units").iter_rows())]


def _project_lines(projects: pl.DataFrame, tasks: pl.DataFrame) -> list[str]:
    statuses = tasks.with_columns(pl.col("status").fill_null(TaskStatus.TODO.value))
    lines = []
    for project in projects.iter_rows(named=True):
        counts = Counter(statuses.filter(pl.col("project") == project["id"])["status"].to_list())
        parts = [f"{counts[s]} {s}" for s in _STATUS_ORDER if counts[s] or s != TaskStatus.FAILED]
        deadline = f", due {project['deadline'].isoformat()}" if project["deadline"] else ""
        lines.append(
            f"  {project['name']} [{project['id']}]: {sum(counts.values())} tasks ({', '.join(parts)}){deadline}"
        )
    return lines


def _history_line(plan: Plan) -> str:
    history = plan.history
    if history.is_empty():
        return "History: none yet"
    first, last = history["started"].min(), history["finished"].max()
    span = (
        f" from {first.isoformat()} to {last.isoformat()}"
        if isinstance(first, dt.date) and isinstance(last, dt.date)
        else ""
    )
    return f"History: {history.height} finished tasks{span}, {plan.experiments.height} experiments logged"
