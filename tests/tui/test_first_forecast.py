"""What the app shows before its own forecast lands (issue 15): the recorded forecast, labelled, then the
live one; a provisional small run where nothing is recorded and after a save; screens kept on a switch.

A gate on `teamcast.engine.simulate` holds the full run, so that each test sees the screen while the
worker is still going, whatever the machine's speed.
"""

from __future__ import annotations

import threading

import pytest
from textual.widgets import DataTable, Input, Tree

import teamcast.engine
from teamcast.engine import record_snapshot, recorded_forecast, simulate
from teamcast.engine.plan.demo import demo_plan
from teamcast.engine.plan.workspace import Workspace
from teamcast.tui.app import PROVISIONAL_TRIALS, TeamcastApp
from teamcast.tui.screens.portfolio import PortfolioScreen
from teamcast.tui.screens.roster import RosterScreen

TRIALS = 2048  # more than PROVISIONAL_TRIALS, so that a provisional run comes first where one is due


@pytest.fixture
def gate(monkeypatch):
    """Runs of PROVISIONAL_TRIALS go through; any other run waits until `gate.set()`."""
    opened = threading.Event()

    def gated(plan, *, trials, **kwargs):
        if trials != PROVISIONAL_TRIALS:
            assert opened.wait(60), "the test never opened the gate"
        return simulate(plan, trials=trials, **kwargs)

    monkeypatch.setattr(teamcast.engine, "simulate", gated)
    yield opened
    opened.set()


def first_row(app) -> tuple:
    return tuple(str(cell) for cell in app.screen.query_one("#projects", DataTable).get_row_at(0))


def hint(app) -> str:
    return str(app.screen.query_one("#portfolio-hint").render())


def running(app) -> bool:
    """A forecast worker has started (it may be held at the gate)."""
    return any(w.name == "forecast" and not w.is_finished for w in app.workers)


async def wait_for(pilot, test) -> None:
    for _ in range(500):
        if test():
            return
        await pilot.pause(0.01)
    raise AssertionError("the app never got there")


async def save_an_estimate(pilot, app) -> None:
    """p, Enter, then fraud-eval's likely estimate edited to 9 and saved (F2)."""
    await pilot.press("p", "enter")
    await pilot.pause()
    tree = app.screen.query_one(Tree)
    tree.cursor_line = next(
        i for i in range(tree.last_line + 1) if tree.get_node_at_line(i).data == ("tasks", "fraud-eval")
    )
    await pilot.press("e")
    await pilot.pause()
    app.screen.query_one("#est_likely", Input).value = "9"
    await pilot.pause()
    await pilot.press("f2")


@pytest.fixture
def recorded_db(demo_db):
    """The demo with one recorded snapshot of 300 trials, seed 7: figures unlike the app's own run."""
    record_snapshot(demo_db, simulate(demo_plan(), trials=300, seed=7))
    return demo_db


async def test_recorded_forecast_is_shown_labelled_then_replaced_by_the_live_run(recorded_db, gate, settle):
    with Workspace.open(recorded_db) as ws:
        recorded = recorded_forecast(ws.load())
    assert recorded is not None and recorded.trials == 300
    expected = recorded.projects.row(0, named=True)
    app = TeamcastApp(recorded_db, trials=TRIALS, seed=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: running(app))
        # The live run is held at the gate: what shows is the snapshot, and it says so.
        assert app.forecast is None
        row = first_row(app)
        assert row[1] == expected["date_p50"].strftime("%b %d")
        assert row[4] == f"{expected['p_success']:.0%}"
        assert "Shown: the recorded forecast of" in hint(app) and "300 trials, seed 7" in hint(app)
        assert "a new forecast is running" in hint(app)
        assert "recorded forecast" in app.forecast_note
        gate.set()
        await settle(pilot)
        assert app.forecast is not None and app.forecast.trials == TRIALS and not app.provisional
        live = app.forecast.projects.row(0, named=True)
        assert first_row(app)[1] == live["date_p50"].strftime("%b %d")
        assert "recorded" not in hint(app) and "Provisional" not in hint(app)
        assert app.forecast_note == f"forecast: {TRIALS:,} trials, seed 0"


async def test_recorded_label_names_a_plan_that_moved_since_and_survives_a_cancel(recorded_db, gate, settle):
    with Workspace.open(recorded_db) as ws:
        version = ws.row_version("people", "priya")
        ws.update_row("people", "priya", {"capacity": 0.5}, version)
    app = TeamcastApp(recorded_db, trials=2_000_000, seed=0)  # long: the cancel lands between chunks
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: running(app))
        assert f"(now {app.plan_version})" in hint(app)
        await pilot.press("c")  # cancelled: the recorded figures stay, and no longer promise a run
        gate.set()
        await settle(pilot)
        assert app.forecast is None and app.forecast_note == "forecast cancelled"
        assert "Shown: the recorded forecast" in hint(app) and "f runs a new forecast" in hint(app)


async def test_without_a_recorded_forecast_a_provisional_run_comes_first(demo_db, gate, settle):
    app = TeamcastApp(demo_db, trials=TRIALS, seed=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.forecast is not None)
        assert app.forecast.trials == PROVISIONAL_TRIALS and app.provisional
        # The screen redraws on a DataChanged message after the forecast lands: wait for it (the
        # full run is held at the gate, so what it shows can only be the provisional run).
        await wait_for(pilot, lambda: "Provisional" in hint(app))
        assert f"Provisional: {PROVISIONAL_TRIALS:,} trials" in hint(app) and f"the full {TRIALS:,} follow" in hint(app)
        assert app.forecast_note.startswith(f"provisional forecast: {PROVISIONAL_TRIALS:,} trials")
        assert first_row(app)[1] != "…"
        gate.set()
        await settle(pilot)
        assert app.forecast.trials == TRIALS and not app.provisional
        assert "Provisional" not in hint(app)


async def test_a_save_shows_a_provisional_run_then_records_only_the_full_one(demo_db, gate, settle, monkeypatch):
    monkeypatch.setattr(TeamcastApp, "PROVISIONAL_AFTER_S", 0.0)  # every full run counts as slow
    app = TeamcastApp(demo_db, trials=TRIALS, seed=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.forecast is not None)
        gate.set()
        await settle(pilot)
        before = app.forecast
        gate.clear()
        await save_an_estimate(pilot, app)
        await wait_for(pilot, lambda: app.forecast is not before)
        # The edit's effect at once, from a small run labelled provisional; nothing recorded yet.
        assert app.forecast.trials == PROVISIONAL_TRIALS and app.provisional
        assert app.forecast_note.startswith("provisional forecast")
        with Workspace.open(demo_db) as ws:
            assert ws.load().forecasts.height == 0
        gate.set()
        await settle(pilot)
        assert app.forecast.trials == TRIALS and not app.provisional
        with Workspace.open(demo_db) as ws:
            assert ws.load().forecasts["trials"].unique().to_list() == [TRIALS]  # only the full run


async def test_after_a_quick_full_run_a_save_runs_the_full_forecast_alone(demo_db, settle, monkeypatch):
    """Where the last full run was quick, a provisional run would land about when the full one does: none runs."""
    monkeypatch.setattr(TeamcastApp, "PROVISIONAL_AFTER_S", float("inf"))  # every full run counts as quick
    runs: list[int] = []

    def counted(plan, *, trials, **kwargs):
        runs.append(trials)
        return simulate(plan, trials=trials, **kwargs)

    monkeypatch.setattr(teamcast.engine, "simulate", counted)
    app = TeamcastApp(demo_db, trials=TRIALS, seed=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert runs == [PROVISIONAL_TRIALS, TRIALS]  # a new workspace: nothing known yet, provisional first
        before = app.forecast
        await save_an_estimate(pilot, app)
        await settle(pilot)
        assert runs == [PROVISIONAL_TRIALS, TRIALS, TRIALS]
        assert app.forecast is not before and app.forecast.trials == TRIALS and not app.provisional
        assert app.forecast.projects.row(0, named=True) != before.projects.row(0, named=True)  # the edit's effect
        with Workspace.open(demo_db) as ws:
            assert ws.load().forecasts["trials"].unique().to_list() == [TRIALS]


async def test_switching_back_keeps_the_screen_and_redraws_only_what_moved(demo_db, gate, settle, monkeypatch):
    gate.set()
    shows = []
    real_show = PortfolioScreen.show

    def counting_show(self) -> None:
        shows.append(self.app.data_stamp)
        real_show(self)

    monkeypatch.setattr(PortfolioScreen, "show", counting_show)
    app = TeamcastApp(demo_db, trials=TRIALS, seed=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        portfolio = app.screen
        table = portfolio.query_one("#projects", DataTable)
        table.move_cursor(row=2)
        drawn = len(shows)
        await pilot.press("r")
        assert isinstance(app.screen, RosterScreen)
        await pilot.press("p")
        await pilot.pause()
        assert app.screen is portfolio and table.cursor_row == 2
        assert len(shows) == drawn  # nothing moved: the table was not rebuilt
        # Data that changes while Portfolio is hidden is drawn when it comes back.
        await pilot.press("r")
        with Workspace.open(demo_db) as ws:
            ws.update_row("projects", "fraud", {"name": "Fraud model v3"}, ws.row_version("projects", "fraud"))
        app.reload()
        await pilot.press("p")
        await pilot.pause()
        assert len(shows) == drawn + 1
        assert first_row(app)[0] == "Fraud model v3" and table.cursor_row == 2
        await settle(pilot)


async def test_news_from_a_run_cancelled_since_is_dropped(demo_db, settle):
    """Workers post their progress and provisional forecast without waiting for the UI; what arrives from a
    run that a newer one replaced (cancelled) never reaches the screen."""
    from types import SimpleNamespace

    from teamcast.tui.runs import Progress, ProvisionalReady, RunProgress

    app = TeamcastApp(demo_db, trials=TRIALS, seed=0)
    small = simulate(demo_plan(), trials=PROVISIONAL_TRIALS, seed=3)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = app.forecast
        old, live = SimpleNamespace(is_cancelled=True), SimpleNamespace(is_cancelled=False)
        app.post_message(ProvisionalReady(small, old))
        app.post_message(RunProgress(Progress(5, 10, "old run"), old))
        await pilot.pause()
        assert app.forecast is shown and not app.provisional and app.progress.total == 0
        app.post_message(RunProgress(Progress(5, 10, "live run"), live))
        app.post_message(ProvisionalReady(small, live))
        await pilot.pause()
        assert app.forecast is small and app.provisional and app.progress == Progress(5, 10, "live run")
