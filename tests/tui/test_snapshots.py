"""How every screen looks at 80×24 (SSH) and 120×40, on the demo with a fixed seed and trial count."""

from __future__ import annotations

from pathlib import Path

import pytest

from teamcast.engine.plan.demo import demo_plan
from teamcast.engine.plan.workspace import Workspace
from teamcast.tui.app import TeamcastApp

SCREENS = {
    "org": ["o"],
    "answers": ["o", "a"],
    "roster": ["r"],
    "bottlenecks": ["r", "b"],
    "portfolio": ["p"],
    "retro": ["t"],
    "retro-person": ["t", "tab", "tab", "enter"],  # the first row: amara
    "project": ["p", "enter"],
}
SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def snapshot_app(tmp_path) -> TeamcastApp:
    # The same file name every time: the header shows it.
    folder = tmp_path / "ws"
    folder.mkdir()
    path = folder / "demo.db"
    with Workspace.create(path) as ws:
        ws.import_plan(demo_plan())
    return TeamcastApp(Path(path), trials=1024, seed=0)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare, snapshot_app, settle, screen, size):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press(*SCREENS[screen])
        await settle(pilot)

    assert snap_compare(snapshot_app, terminal_size=size, run_before=run_before)
