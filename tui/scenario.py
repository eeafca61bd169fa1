"""What-ifs: a changed copy of the plan to simulate, and the workspace writes that make it real."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from teamcast.engine import Plan, Workspace, apply_change


@dataclass(frozen=True)
class Scenario:
    """A labelled what-if: `plan` is simulated beside the baseline; `save` writes it to a workspace."""

    label: str
    plan: Plan
    save: Callable[[Workspace], object]


def edit_row(plan: Plan, table: str, row_id: str, changes: dict, version: int, label: str) -> Scenario:
    """One row changed (a task's estimate, a challenge's strategy, a person's capacity, ...)."""
    return Scenario(
        label, apply_change(plan, table, row_id, changes), lambda ws: ws.update_row(table, row_id, changes, version)
    )


def drop_project(plan: Plan, project_id: str, version: int) -> Scenario:
    """The plan without one project (its tasks and challenges go with it)."""
    keep = plan.projects["id"] != project_id
    changed = plan.replace(
        projects=plan.projects.filter(keep),
        tasks=plan.tasks.filter(plan.tasks["project"] != project_id),
        challenges=plan.challenges.filter(plan.challenges["project"] != project_id),
    )
    return Scenario(f"drop project {project_id}", changed, lambda ws: ws.delete_row("projects", project_id, version))


def add_person(plan: Plan, role: str) -> Scenario:
    """One more full-time person of `role`, available from the start (the roster's "hire one more")."""
    from teamcast.engine import with_extra_person

    changed = with_extra_person(plan, role)
    row = changed.people.row(-1, named=True)
    return Scenario(f"add one {role}", changed, lambda ws: ws.insert_row("people", row))


# teamcast's defaults for an open position when the plan has none of that role to copy
# (working days; teamcast's own guesses, not the lecture's figures): about two to four months to
# hire, a month to ramp at half speed.
DEFAULT_HIRE = {"tth_low": 40.0, "tth_likely": 60.0, "tth_high": 90.0, "ramp_days": 20.0, "ramp_productivity": 0.5}


def hire_defaults(plan: Plan, role: str) -> dict[str, float]:
    """Time to hire and ramp for a new opening of `role`: copied from an open position of that role, else defaults."""
    same = plan.hires.filter(plan.hires["role"] == role)
    if same.height == 0:
        return dict(DEFAULT_HIRE)
    row = same.row(0, named=True)
    return {k: float(row[k]) if row[k] is not None else v for k, v in DEFAULT_HIRE.items()}


def add_open_position(plan: Plan, role: str, figures: dict[str, float]) -> Scenario:
    """One more open position of `role`: nobody until it is filled (time to hire), then a ramp-up at reduced speed."""
    import polars as pl

    taken = set(plan.people["id"].to_list()) | set(plan.hires["id"].to_list()) | set(plan.tasks["id"].to_list())
    hire_id, n = f"open-{role}", 2
    while hire_id in taken:
        hire_id, n = f"open-{role}-{n}", n + 1
    row = (
        {name: None for name in plan.hires.columns}
        | figures
        | {
            "id": hire_id,
            "name": f"open {role} (what-if)",
            "role": role,
            "capacity": 1.0,
        }
    )
    changed = plan.replace(hires=pl.concat([plan.hires, pl.DataFrame([row], schema=plan.hires.schema, orient="row")]))
    label = f"open one {role}: hired in ~{figures['tth_likely']:.0f} working days, {figures['ramp_days']:.0f} to ramp"
    return Scenario(label, changed, lambda ws: ws.insert_row("hires", row))
