"""The command palette's teamcast commands, the open-position what-if, the start screen's keys, status as a
choice, and layout that uses the terminal's width."""

from __future__ import annotations

import polars as pl
import pytest
from textual.widgets import DataTable, Input, Select
from textual.widgets.select import InvalidSelectValueError

from teamcast.engine.plan.workspace import Workspace
from teamcast.tui.app import TeamcastApp
from teamcast.tui.commands import COMMANDS, PaletteCommand, register
from teamcast.tui.screens.dialogs import StartScreen, WhatIfScreen
from teamcast.tui.screens.forms import TaskForm
from teamcast.tui.screens.hire import HireWhatIf
from teamcast.tui.screens.portfolio import PortfolioScreen
from teamcast.tui.screens.project import ProjectScreen
from teamcast.tui.screens.roster import RosterScreen
from teamcast.tui.screens.timeline import TimelineScreen


async def palette(pilot, text: str) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*text)
    await pilot.pause(0.3)  # the palette searches in a worker of its own
    await pilot.press("enter")
    await pilot.pause()


async def test_palette_switches_modes_and_opens_a_project(app, settle):
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await palette(pilot, "Timeline")
        assert isinstance(app.screen, TimelineScreen)
        await palette(pilot, "Roster")
        assert isinstance(app.screen, RosterScreen)
        await palette(pilot, "Open project: Model serving")
        assert isinstance(app.screen, ProjectScreen) and app.screen.project == "serving"


async def test_palette_forecast_again_and_the_hook_for_more_commands(app, settle):
    ran: list[str] = []
    register(PaletteCommand("Optimise the plan (test)", lambda a: ran.append("optimise"), "a later helper's entry"))
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            first = app.forecast
            await palette(pilot, "Forecast again")
            await settle(pilot)
            assert app.forecast is not first
            await palette(pilot, "Optimise the plan")
            assert ran == ["optimise"]
    finally:
        COMMANDS.pop()


async def test_palette_export_writes_the_plan_beside_the_workspace(app, demo_db, settle):
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await palette(pilot, "Export the plan")
        out = demo_db.with_name("demo-plan.toml")
        from teamcast.engine.plan.io import load_plan

        assert load_plan(out).projects["id"].to_list() == app.plan.projects["id"].to_list()  # it reads back


async def test_plus_one_person_is_an_open_position_with_time_to_hire(app, demo_db, settle):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r", "w")  # the roster's first person: an ML product manager? whichever role
        await pilot.pause()
        assert isinstance(app.screen, HireWhatIf)
        form = app.screen
        form.query_one(Select).value = "data_engineer"
        await pilot.pause()
        # Copied from the plan's open data-engineer position, not a person on day 0.
        hire = app.plan.hires.filter(pl.col("role") == "data_engineer").row(0, named=True)
        assert form.query_one("#tth_likely", Input).value == f"{hire['tth_likely']:g}"
        form.query_one("#tth_likely", Input).value = "50"
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, WhatIfScreen)
        assert "open one data_engineer" in app.screen.scenario.label
        added = app.screen.scenario.plan.hires.filter(pl.col("id").str.starts_with("open-"))
        assert added["tth_likely"].to_list() == [50.0] and added["ramp_days"][0] == hire["ramp_days"]
        assert app.screen.scenario.plan.people.height == app.plan.people.height  # nobody on day 0
        assert app.screen.query_one("#whatif").size.width > 78  # the comparison uses the width
        await pilot.press("s")
        await settle(pilot)
    with Workspace.open(demo_db) as ws:
        assert ws.load().hires.filter(pl.col("id").str.starts_with("open-")).height == 1


async def test_start_screen_d_opens_the_demo_without_typing(settle):
    app = TeamcastApp(None, trials=256, seed=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        assert app.screen.query_one(Input).value == ""
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, PortfolioScreen) and app.plan.projects.height > 0


async def test_status_is_a_choice(app, demo_db, settle):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        app.screen.query_one("TimelineView").cursor_task = "fraud-shadow"
        await pilot.press("enter")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, TaskForm)
        status = form.query_one("#status", Select)
        with pytest.raises(InvalidSelectValueError):
            status.value = "half-done"  # only the four statuses can be chosen
        status.value = "doing"
        await pilot.pause()
        assert "needs a started date" in str(form.query_one("#status-error").render())
        await pilot.press("f2")
        await pilot.pause()
        assert app.screen is form  # refused: the form stays with its message
        status.value = "todo"
        await pilot.pause()
        await pilot.press("f2")
        await settle(pilot)
    with Workspace.open(demo_db) as ws:
        assert ws.load().tasks.filter(pl.col("id") == "fraud-shadow")["status"][0] == "todo"


async def test_names_use_the_width(app, demo_db, settle):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        names = app.screen.query_one("#projects", DataTable).get_column_at(0)
        assert "Merchant insights and experiment analysis" in list(names)
    app = TeamcastApp(demo_db, trials=256, seed=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        names = list(app.screen.query_one("#projects", DataTable).get_column_at(0))
        assert all(len(name) <= 20 for name in names)


async def test_palette_report_writes_markdown_with_its_charts(app, demo_db, settle):
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await palette(pilot, "Report: forecast retro")
        await app.workers.wait_for_complete()
        await pilot.pause()
    out = demo_db.with_name("demo-retro.md")
    assert out.exists() and "## Charts" in out.read_text()
    assert demo_db.with_name("demo-retro-pit.svg").exists()


async def test_footer_keeps_help_quit_and_modes_at_80_columns(app, settle):
    from textual.widgets._footer import FooterKey

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for mode in ("o", "r", "p", "t", "l"):
            await pilot.press(mode)
            await pilot.pause()
            shown = {k.key for k in app.screen.query(FooterKey) if k.region.width and k.region.right <= 80}
            assert {"f1", "q", "o", "r", "p", "t", "l"} <= shown, (mode, shown)


async def test_dialogs_leave_the_title_visible(app, settle):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for keys in (["f1"], ["o", "a"], ["r", "w"], ["p", "enter", "down", "down", "e"]):
            await pilot.press(*keys)
            await pilot.pause()
            assert app.screen.is_modal, keys
            assert "Northwind" in app.export_screenshot(), keys  # the header's subtitle is still drawn
            await pilot.press("escape")
            await pilot.pause()
            if isinstance(app.screen, ProjectScreen):
                await pilot.press("escape")
