"""The Timeline mode under Pilot (keys, zoom, scroll, Enter opens the task) and its snapshots at 80×24 and 120×40."""

from __future__ import annotations

from pathlib import Path

import pytest

from teamcast.engine.plan.demo import demo_plan
from teamcast.engine.plan.workspace import Workspace
from teamcast.tui.app import TeamcastApp
from teamcast.tui.screens.dialogs import HelpScreen
from teamcast.tui.screens.forms import TaskForm
from teamcast.tui.screens.timeline import TimelineScreen
from teamcast.tui.timeline import TimelineView

SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def pinned_app(tmp_path) -> TeamcastApp:
    """The demo with today pinned to the plan's start, so the today line does not move with the clock."""
    folder = tmp_path / "ws"
    folder.mkdir()
    path = folder / "demo.db"
    with Workspace.create(path) as ws:
        ws.import_plan(demo_plan())
    app = TeamcastApp(Path(path), trials=1024, seed=0)
    app.today = None
    return app


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("keys", [("l",), ("l", "z")], ids=["week", "month"])
def test_timeline_snapshot(snap_compare, pinned_app, settle, keys, size):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)

    assert snap_compare(pinned_app, terminal_size=size, run_before=run_before)


async def test_timeline_keys_move_zoom_scroll_and_open(pinned_app, settle):
    app = pinned_app
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        assert isinstance(app.screen, TimelineScreen)
        view = app.screen.query_one(TimelineView)
        assert view.has_focus and view.timeline is not None
        first = view.cursor_task
        lane = view.lane
        await pilot.press("right")
        assert view.cursor_task != first and view.lane == lane
        detail = str(app.screen.query_one("#timeline-detail").render())
        assert view.cursor_task in detail
        await pilot.press("down")
        assert view.lane > lane
        # The lane far down (the open position, below 24 rows) scrolls into view.
        for _ in range(len(view.timeline.lanes)):
            await pilot.press("down")
        await pilot.pause()
        assert app.screen.query_one("#timeline-body").scroll_y > 0
        start = view.first_day
        await pilot.press("]")
        assert view.first_day == start + 5  # a week of working days later
        await pilot.press("[", "[")
        assert view.first_day == start - 5
        await pilot.press("z")
        assert view.zoom == "month" and view.days_per_col == 5
        await pilot.press("z")
        assert view.zoom == "week"
        await pilot.press("home")
        assert view.selected() is not None
        task = view.cursor_task
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TaskForm) and app.screen.row["id"] == task
        await pilot.press("escape")
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        keys = str(app.screen.query_one("#help-keys").render())
        assert "Timeline" in keys and "Zoom week/month" in keys and "Previous bar" in keys


async def test_timeline_follows_an_edit(pinned_app, settle):
    """Saving a longer estimate moves the task's bar: the timeline redraws from the new plan."""
    app = pinned_app
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        view = app.screen.query_one(TimelineView)
        before = view.timeline.bar("fraud-shadow")
        assert app.save_row("tasks", "fraud-shadow", {"est_likely": 30.0, "est_high": 40.0}, 1)
        await settle(pilot)
        after = view.timeline.bar("fraud-shadow")
        assert after.finish - after.start > before.finish - before.start
