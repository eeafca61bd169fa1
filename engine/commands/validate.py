"""`teamcast validate FILE`: every problem of a plan with its location, warnings too; exit 1 on any error.

Problems go to stderr one per line (`error: plan.toml: projects[fraud].tasks[x].estimate: ...`),
so stdout carries only the one-line summary of a plan without errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from teamcast.engine.commands.terminal import echo
from teamcast.errors import PlanError, Problem

if TYPE_CHECKING:  # the model imports Polars; `teamcast --help` should not
    from teamcast.engine.plan.model import Plan


def _inspect_plan_file(path: Path) -> tuple[Plan | None, list[Problem]]:
    from teamcast.engine.plan.planfile import check_plan_text, read_plan_text_file

    return check_plan_text(read_plan_text_file(path))


def _inspect_loaded(path: Path) -> tuple[Plan | None, list[Problem]]:
    """A workspace (.db) or any other format teamcast.engine.plan.io reads: load it, then validate the frames."""
    from teamcast.engine.plan.io import load_plan
    from teamcast.engine.plan.validate import validate_plan

    try:
        plan = load_plan(path)
    except PlanError as exc:
        return None, exc.problems
    return plan, validate_plan(plan)


def inspect(path: Path) -> tuple[Plan | None, list[Problem]]:
    """The plan in `path` (None if it could not be read) and all its problems, errors and warnings."""
    if path.suffix.lower() == ".toml":
        return _inspect_plan_file(path)
    return _inspect_loaded(path)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(path: Path, plan: Plan, warnings: int) -> str:
    """`plan.toml: ok — 4 projects, 62 tasks, 12 people (1 warning)`."""
    people = f"{plan.people.height} {'person' if plan.people.height == 1 else 'people'}"
    line = f"{path}: ok — {_count(plan.projects.height, 'project')}, {_count(plan.tasks.height, 'task')}, {people}"
    return f"{line} ({_count(warnings, 'warning')})" if warnings else line


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(file: Path) -> None:
    """Check FILE (a .toml plan or a .db workspace) and list every problem with its location.

    \b
    Examples:
      teamcast validate plan.toml
      teamcast validate team.db && teamcast simulate team.db
    """
    plan, problems = inspect(file)
    if plan is not None and not any(p.severity == "error" for p in problems):
        # What the estimator plugins refuse, so that a plan validate accepts is one simulate runs.
        from teamcast.engine.forecast.plugin_check import plugin_problems

        problems = [*problems, *plugin_problems(plan)]
    for line in PlanError(problems, source=str(file)).lines():
        echo(line, err=True)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if plan is None or errors:
        echo(f"{file}: {_count(errors, 'error')}, {_count(warnings, 'warning')}", err=True)
        click.get_current_context().exit(1)
    echo(summary(file, plan, warnings))


commands = [validate]
