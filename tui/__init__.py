"""teamcast's terminal app (Textual): the Org, Roster, Portfolio and Retro screens over one workspace."""

from __future__ import annotations

from pathlib import Path

from teamcast.interrupts import pythons_own_ctrl_c
from teamcast.tui.app import TeamcastApp

DEFAULT_WORKSPACE = Path("teamcast.db")


def run_app(path: Path | None = None) -> None:
    """Open the app on the workspace at `path`; with none, on ./teamcast.db, or offer the demo or a new workspace."""
    if path is None and DEFAULT_WORKSPACE.exists():
        path = DEFAULT_WORKSPACE
    with pythons_own_ctrl_c():  # the app handles its keys itself: a command's Ctrl-C recording stays out
        TeamcastApp(path).run()


__all__ = ["TeamcastApp", "run_app"]
