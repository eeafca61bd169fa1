"""`teamcast demo`: the bundled demo organisation, in the TUI or as a printed summary."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from teamcast.engine.commands.terminal import echo


@click.command()
@click.option("--headless", is_flag=True, help="Print a summary and a forecast instead of opening the terminal app.")
@click.option(
    "--trials",
    default=10_000,
    show_default=True,
    type=click.IntRange(1, 10_000_000),
    help="Trials of the printed forecast.",
)
@click.option(
    "--workspace",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Keep the demo in this workspace file: created with the demo if missing, reopened as it is otherwise.",
)
def demo(headless: bool, trials: int, workspace: Path | None):
    """The bundled demo organisation, Northwind Analytics: explore it before writing your own plan.

    \b
    Examples:
      teamcast demo                          # the terminal app on a throw-away copy
      teamcast demo --workspace demo.db      # keep your edits between runs
      teamcast demo --headless               # print the summary and a forecast
    """
    if workspace is not None:
        _prepare_workspace(workspace)
    if not headless and not _interactive():
        echo("note: not a terminal; printing the demo instead of opening the app", err=True)
        headless = True
    if not headless:
        try:
            from teamcast.tui import run_app
        except ImportError as exc:
            echo(f"note: the terminal app is not available ({exc}); printing the summary instead", err=True)
        else:
            _run_tui(run_app, workspace)
            return
    _print_summary(workspace, trials)


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _prepare_workspace(path: Path) -> None:
    """Create `path` holding the demo unless it exists, so that a second run continues the first."""
    if path.exists():
        return
    from teamcast.engine.plan.demo import DEMO_SOURCE, demo_plan
    from teamcast.engine.plan.workspace import Workspace

    plan = demo_plan()
    with Workspace.create(path) as ws:
        ws.import_plan(plan, source=DEMO_SOURCE)
    echo(f"created {path} with the demo organisation", err=True)


def _run_tui(run_app, workspace: Path | None) -> None:
    """The app on `workspace`, or on a throw-away copy of the demo that is deleted afterwards."""
    if workspace is not None:
        run_app(workspace)
        return
    with tempfile.TemporaryDirectory(prefix="teamcast-demo-") as folder:
        path = Path(folder) / "demo.db"
        _prepare_workspace(path)
        run_app(path)


def _print_summary(workspace: Path | None, trials: int) -> None:
    from teamcast.engine.commands.simulate import render_forecast
    from teamcast.engine.forecast.simulate import simulate
    from teamcast.engine.plan.demo import demo_plan, summary_lines

    if workspace is None:
        plan = demo_plan()
    else:
        from teamcast.engine.plan.workspace import Workspace

        with Workspace.open(workspace) as ws:
            plan = ws.load()
    for line in summary_lines(plan):
        echo(line)
    echo("")
    echo(render_forecast(simulate(plan, trials=trials, seed=0)), nl=False)


commands = [demo]
