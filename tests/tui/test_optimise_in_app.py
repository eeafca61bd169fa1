"""The optimiser on Portfolio: O runs it in a worker, the dialog shows default against best, s keeps it."""

from __future__ import annotations

import pytest
from textual.widgets import Static

import teamcast.tui.app as app_module
from teamcast.engine.plan.workspace import Workspace
from teamcast.tui.screens.dialogs import OptimiseScreen
from teamcast.tui.screens.portfolio import PortfolioScreen


@pytest.fixture(autouse=True)
def small_search(monkeypatch):
    # A short search keeps the test quick; the CLI's own tests cover the search itself.
    monkeypatch.setattr(app_module, "OPTIMISE_TRIALS", 200)
    monkeypatch.setattr(app_module, "OPTIMISE_PASSES", 20)


def task_order(path) -> list[str]:
    with Workspace.open(path) as ws:
        return ws.load().tasks["id"].to_list()


async def test_o_on_portfolio_shows_default_against_best_and_escape_keeps_the_plan(app, demo_db, settle):
    before = task_order(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, PortfolioScreen)
        await pilot.press("O")
        await settle(pilot)
        assert isinstance(app.screen, OptimiseScreen)
        text = str(app.screen.query_one("#optimise-report", Static).render())
        assert "default order" in text and "best order" in text and "out of sample" in text
        assert "verdict:" in text
        await pilot.press("escape")
        assert isinstance(app.screen, PortfolioScreen)
    assert task_order(demo_db) == before  # discarded: nothing written


async def test_s_keeps_the_best_order_as_the_plans_task_order(app, demo_db, settle):
    before = task_order(demo_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        assert isinstance(app.screen, OptimiseScreen)
        improved = app.screen.result.improved
        best = app.screen.result.order
        await pilot.press("s")
        await settle(pilot)
    assert improved  # on the demo, seed 0: +3.1 on-time value in sample, +2.4 on fresh futures
    after = task_order(demo_db)
    # the plan's task order follows the best order, so `--priority manual` reproduces it
    assert [t for t in best if t in after] == [t for t in after if t in best]
    assert after != before
