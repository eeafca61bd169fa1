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
