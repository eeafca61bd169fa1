"""The app's behaviour under Pilot: navigation, editing and saving, conflicts, progress and cancel, what-ifs."""

from __future__ import annotations

import polars as pl
from textual.widgets import DataTable, Input, Tree

from teamcast.engine.plan.workspace import Workspace
from teamcast.tui.app import TeamcastApp
from teamcast.tui.screens.dialogs import HelpScreen, WhatIfScreen
from teamcast.tui.screens.forms import PersonForm, TaskForm
from teamcast.tui.screens.org import OrgScreen
from teamcast.tui.screens.portfolio import PortfolioScreen
from teamcast.tui.screens.project import ProjectScreen
from teamcast.tui.screens.retro import RetroScreen
from teamcast.tui.screens.roster import RosterScreen


def task(path, task_id: str) -> dict:
    with Workspace.open(path) as ws:
        return ws.load().tasks.filter(pl.col("id") == task_id).row(0, named=True)


async def open_task_form(pilot, task_id: str) -> TaskForm:
    """Portfolio -> first project (Fraud model v2) -> cursor on `task_id` -> e."""
    await pilot.press("p", "enter")
    await pilot.pause()
    tree = pilot.app.screen.query_one(Tree)
    tree.cursor_line = next(
        tree.get_node_at_line(i).line
        for i in range(tree.last_line + 1)
        if tree.get_node_at_line(i).data == ("tasks", task_id)
    )
    await pilot.press("e")
    await pilot.pause()
    assert isinstance(pilot.app.screen, TaskForm)
    return pilot.app.screen


async def set_field(pilot, form, name: str, value: str) -> None:
    form.query_one(f"#{name}", Input).value = value
    await pilot.pause()


async def test_keys_reach_every_screen(app, settle):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, PortfolioScreen)
        for key, screen in [
            ("o", OrgScreen),
            ("r", RosterScreen),
            ("t", RetroScreen),
            ("p", PortfolioScreen),
            ("1", OrgScreen),
            ("2", RosterScreen),
            ("3", PortfolioScreen),
            ("4", RetroScreen),
        ]:
            await pilot.press(key)
            assert isinstance(app.screen, screen), key
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        assert "Everywhere" in str(app.screen.query_one("#help-keys").render())
        await pilot.press("escape", "3", "enter")
        assert isinstance(app.screen, ProjectScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, PortfolioScreen)


async def test_portfolio_shows_the_forecast(app, settle):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#projects", DataTable)
        assert table.row_count == 4
        assert app.forecast.trials == 1024
        assert table.get_row_at(0)[0] == "Fraud model v2"


async def test_editing_a_task_saves_to_the_workspace_and_forecasts_again(app, demo_db, settle):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = app.forecast
        form = await open_task_form(pilot, "fraud-eval")
        await set_field(pilot, form, "est_high", "40")
        await set_field(pilot, form, "est_likely", "20")
        await pilot.press("f2")
        await settle(pilot)
        assert task(demo_db, "fraud-eval")["est_likely"] == 20.0
        assert task(demo_db, "fraud-eval")["est_high"] == 40.0
        assert app.forecast is not before
        messages = [n.message for n in app._notifications]
        assert any("Fraud model v2 P80 moved +" in m for m in messages), messages
    with Workspace.open(demo_db) as ws:  # the save recorded the forecast that followed it
        forecasts = ws.load().forecasts
    assert forecasts["snapshot"].unique().to_list() == [1]
    assert forecasts.filter(pl.col("level") == "project").height == 4


async def test_a_save_updates_the_project_tree_in_place_and_keeps_the_cursor(app, settle):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        form = await open_task_form(pilot, "fraud-eval")
        screen = app.screen_stack[-2]
        assert isinstance(screen, ProjectScreen)
        tree = screen.query_one(Tree)
        nodes = {node.data: node for node in tree.root.children}
        cursor = tree.cursor_line
        await set_field(pilot, form, "est_high", "40")
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen is screen and tree.cursor_line == cursor
        # The same nodes (no rebuild), the edited task's label showing its new estimate.
        assert {node.data: node for node in tree.root.children} == nodes
        edited = next(n for n in tree.root.children if n.data == ("tasks", "fraud-eval"))
        assert "/40 " in str(edited.label)
        assert str(tree.get_node_at_line(edited.line).label) == str(edited.label)


async def test_invalid_values_are_shown_beside_their_field_and_not_saved(app, demo_db, settle):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        form = await open_task_form(pilot, "fraud-eval")
        await set_field(pilot, form, "p_success", "1.5")
        await set_field(pilot, form, "est_low", "abc")
        await pilot.press("f2")
        assert isinstance(app.screen, TaskForm)
        assert str(form.query_one("#est_low-error").render()) == "⚠ not a number: 'abc'"
        await set_field(pilot, form, "est_low", "3")
        await pilot.press("f2")
        assert str(form.query_one("#p_success-error").render()) == "⚠ must be in (0, 1], got 1.5"
        await set_field(pilot, form, "after", "fraud-rollout")
        assert "dependency cycle" in str(form.query_one("#after-error").render())
        await pilot.press("escape")
    assert task(demo_db, "fraud-eval")["p_success"] == 0.9


async def test_a_stale_save_is_refused_with_a_conflict_message(app, demo_db, settle):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        form = await open_task_form(pilot, "fraud-eval")
        with Workspace.open(demo_db) as other:  # a second session saves first
            other.update_row("tasks", "fraud-eval", {"est_likely": 7.0}, other.row_version("tasks", "fraud-eval"))
        await set_field(pilot, form, "est_likely", "6")
        await pilot.press("f2")
        await settle(pilot)
        conflicts = [n for n in app._notifications if n.title == "conflict"]
        assert len(conflicts) == 1
        assert "tasks[fraud-eval] was changed by another session" in conflicts[0].message
        assert "Your edit was not saved." in conflicts[0].message
        assert app.plan.tasks.filter(pl.col("id") == "fraud-eval")["est_likely"][0] == 7.0
    assert task(demo_db, "fraud-eval")["est_likely"] == 7.0


async def test_editing_a_person(app, demo_db, settle):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r", "e")
        form = app.screen
        assert isinstance(form, PersonForm)
        await set_field(pilot, form, "capacity", "0.8")
        await pilot.press("f2")
        await settle(pilot)
    with Workspace.open(demo_db) as ws:
        assert ws.load().people.filter(pl.col("id") == "priya")["capacity"][0] == 0.8


async def test_progress_is_shown_and_a_run_can_be_cancelled(demo_db):
    app = TeamcastApp(demo_db, trials=2_000_000, seed=0)  # long enough to still be running under any load
    seen = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.watch(app, "progress", lambda p: seen.append(p))
        for _ in range(400):
            await pilot.pause(0.02)
            if app.progress.total == 2_000_000 and app.progress.done > 0:  # past the provisional run
                break
        assert app.progress.total == 2_000_000
        await pilot.press("c")  # keys are handled while the run goes on
        await app.workers.wait_for_complete()
        await pilot.pause()
        # The provisional small run stays on screen, still labelled provisional, and the hint no
        # longer promises the full run.
        assert app.forecast is not None and app.forecast.trials == 1_000 and app.provisional
        assert app.forecast_note == "forecast cancelled"
        assert app.progress.total == 0
        hint = str(app.screen.query_one("#portfolio-hint").render())
        assert "Provisional: 1,000 trials" in hint and "did not run" in hint
    partial = [p.done for p in seen if p.total == 2_000_000 and 0 < p.done < 2_000_000]
    assert partial, seen  # progress was reported before the run ended, and it ended early
    assert len(seen) < 2_000_000 // 1024  # throttled: fewer redraws than chunks


async def test_whatif_compares_then_saves(app, demo_db, settle):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("w")  # drop the selected project (Fraud model v2)
        await settle(pilot)
        assert isinstance(app.screen, WhatIfScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 4
        assert table.get_row_at(0)[2] == "dropped"
        await pilot.press("escape")
        assert isinstance(app.screen, PortfolioScreen)
        with Workspace.open(demo_db) as ws:
            assert "fraud" in ws.load().projects["id"].to_list()

        form = await open_task_form(pilot, "fraud-eval")
        await set_field(pilot, form, "est_likely", "9")
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, WhatIfScreen)
        assert app.screen.scenario.label == "fraud-eval: est_likely=9"
        await pilot.press("s")
        await settle(pilot)
    assert task(demo_db, "fraud-eval")["est_likely"] == 9.0
