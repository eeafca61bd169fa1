"""`teamcast tui [WORKSPACE]`: the terminal app on a workspace."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("workspace", required=False, type=click.Path(dir_okay=False, path_type=Path))
def tui(workspace: Path | None):
    """Open the terminal app on WORKSPACE (default ./teamcast.db; without one it offers the demo or a new workspace).

    \b
    Examples:
      teamcast tui team.db
      teamcast tui            # ./teamcast.db, or a choice of the demo or a new workspace
    """
    from teamcast.errors import WorkspaceError
    from teamcast.tui import run_app

    if workspace is not None and not workspace.exists():
        raise WorkspaceError(f"{workspace} does not exist; create it with `teamcast init {workspace}`")
    run_app(workspace)


commands = [tui]
