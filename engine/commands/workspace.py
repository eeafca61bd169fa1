"""`teamcast init`, `import` and `export`: create a workspace, fill it from a file, write it back as a plan file.

Importers are chosen by the file's suffix from IMPORTERS (plan .toml, PSPLIB .sm); a module that
reads another format (tracker CSV) adds itself with `register_importer`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from teamcast.engine.commands.terminal import echo
from teamcast.errors import UsageError

if TYPE_CHECKING:  # the model imports Polars; `teamcast --help` should not
    from teamcast.engine.plan.model import Plan

# Suffix (lower case, with the dot) -> a function reading that file into a Plan; raises PlanError.
Importer = Callable[[Path], "Plan"]
IMPORTERS: dict[str, Importer] = {}


def register_importer(suffix: str, importer: Importer) -> None:
    """Let `teamcast import` read files ending in `suffix` (e.g. ".sm") with `importer`."""
    IMPORTERS[suffix.lower()] = importer


def _read_plan_file(path: Path) -> Plan:
    from teamcast.engine.plan.planfile import read_plan

    return read_plan(path)


def _read_psplib(path: Path) -> Plan:
    from teamcast.engine.plan.psplib import read_sm

    return read_sm(path)


register_importer(".toml", _read_plan_file)
register_importer(".sm", _read_psplib)


def read_importable(path: Path) -> Plan:
    """The plan in `path`, read by the importer its suffix names; UsageError for an unknown suffix."""
    importer = IMPORTERS.get(path.suffix.lower())
    if importer is None:
        known = ", ".join(sorted(IMPORTERS))
        raise UsageError(f"unsupported file type {path.suffix or '(no suffix)'!r} for {path}; teamcast imports {known}")
    return importer(path)


def _refuse_lost_work(stored: Plan, incoming: Plan, file: Path, workspace: Path) -> None:
    from teamcast.engine.plan.merge import work_lost
    from teamcast.errors import WorkspaceError

    lost = work_lost(stored, incoming)
    if lost:
        raise WorkspaceError(
            f"importing {file} would drop work recorded in {workspace} that the file lacks: {'; '.join(lost)}. "
            f"Export the workspace again and edit that (teamcast export {workspace} --to {file}), "
            "or add --replace to drop it",
            title="import refused",
        )


def _summary(plan: Plan) -> str:
    tables = ("teams", "people", "hires", "pools", "projects", "tasks", "challenges", "history")
    return ", ".join(f"{table} {getattr(plan, table).height}" for table in tables)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def init(path: Path) -> None:
    """Create an empty workspace at PATH (a new .db file).

    \b
    Examples:
      teamcast init team.db
      teamcast import plan.toml --into team.db
    """
    from teamcast.engine.plan.workspace import Workspace

    Workspace.create(path).close()
    echo(f"created workspace {path}", err=True)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--into", "workspace", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The workspace (.db)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jira", "github"]),
    default=None,
    help="For a tracker's CSV export: which tracker wrote it (default jira).",
)
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="For a tracker CSV: read FIELD from COLUMN instead of the default (repeatable; docs/retro.md).",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Replace the plan even if that drops work recorded in WS since FILE was written (history, task status).",
)
def import_(file: Path, workspace: Path, fmt: str | None, mapping: tuple[str, ...], replace: bool) -> None:
    """Replace the plan in workspace WS with FILE (plan .toml or PSPLIB .sm); creates WS if needed.

    FILE is checked completely before the workspace is touched: an invalid plan leaves it as it was.
    Work recorded in WS that FILE lacks (history rows, a task's status moved back) is never dropped
    silently: the import refuses and lists it, unless --replace.
    A tracker's CSV export (.csv, --format jira|github) instead records the outcomes it lists
    (finished work with its actuals) in the existing workspace.

    \b
    Examples:
      teamcast import plan.toml --into team.db
      teamcast import j301_1.sm --into rcpsp.db
      teamcast import export.csv --into team.db --format jira --map actual_days="Time Spent (d)"
    """
    from teamcast.engine.plan.workspace import Workspace, check_plan

    if file.suffix.lower() == ".csv":
        from teamcast.engine.retro.tracker import import_tracker_csv, parse_mapping

        echo(str(import_tracker_csv(workspace, file, fmt or "jira", parse_mapping(mapping))), err=True)
        return

    plan = read_importable(file)
    for warning in check_plan(plan, source=str(file)):
        echo(f"warning: {file}: {warning}", err=True)
    created = not workspace.exists()
    store = Workspace.create(workspace) if created else Workspace.open(workspace)
    try:
        with store:
            if not created and not replace:
                _refuse_lost_work(store.load(), plan, file, workspace)
            store.import_plan(plan, source=str(file))
            version = store.plan_version()
    except BaseException:
        if created:  # a failed import into a new path leaves nothing behind
            for leftover in (workspace, *(workspace.with_name(workspace.name + s) for s in ("-wal", "-shm"))):
                leftover.unlink(missing_ok=True)
        raise
    if created:
        echo(f"created workspace {workspace}", err=True)
    name = plan.name or file.name
    echo(f"imported {name!r} into {workspace} ({_summary(plan)}; plan version {version})", err=True)


@click.command()
@click.argument("workspace", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--to", "target", required=True, help="The plan file to write (.toml), or - for stdout.")
@click.option("--force", is_flag=True, help="Write --to even over a workspace file.")
def export(workspace: Path, target: str, force: bool) -> None:
    """Write the plan in workspace WS as a plan file (TOML); the file reads back to the same plan.

    \b
    Examples:
      teamcast export team.db --to plan.toml
      teamcast export team.db --to - | less
    """
    from teamcast.engine.plan.io import check_output, require_plan, write_atomic
    from teamcast.engine.plan.planwriter import plan_to_toml
    from teamcast.engine.plan.workspace import Workspace

    if target != "-":
        check_output(target, inputs=[workspace], force=force)
    with Workspace.open(workspace) as store:
        plan = require_plan(store.load(), workspace)
    if target == "-":
        click.echo(plan_to_toml(plan), nl=False)
        return
    write_atomic(target, plan_to_toml(plan).encode("utf-8"))
    echo(f"exported {plan.name or workspace.name!r} to {target}", err=True)


commands = [init, import_, export]
