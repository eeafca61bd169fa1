"""Shared fixtures for the app's tests: a real demo workspace in tmp_path and a small, fixed forecast."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import pytest

from teamcast.engine.plan.demo import demo_plan
from teamcast.engine.plan.workspace import Workspace
from teamcast.tui.app import TeamcastApp

ROOT = Path(__file__).resolve().parents[2]
TRIALS = 1024


@pytest.fixture(autouse=True)
def no_prebuilt_screens(monkeypatch) -> None:
    """The app builds the other modes' screens out of sight after its first forecast: about a second of CPU
    per app, which would double this suite's time. Only test_warmup.py needs it (it turns it back on)."""
    monkeypatch.setattr(TeamcastApp, "PREBUILD_MODES", ())


@pytest.fixture
def demo_db(tmp_path) -> Path:
    """A workspace file holding the demo organisation."""
    path = tmp_path / "demo.db"
    with Workspace.create(path) as ws:
        ws.import_plan(demo_plan())
    return path


@pytest.fixture
def app(demo_db) -> TeamcastApp:
    return TeamcastApp(demo_db, trials=TRIALS, seed=0)


async def _settle(pilot) -> None:
    """Wait until every worker (the forecast) finished and the screen caught up."""
    for _ in range(2):  # a finished forecast can start what follows it (a redraw, a what-if screen)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


@pytest.fixture
def settle():
    return _settle


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run `async def` tests in a fresh event loop (no async plugin is installed)."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        names = pyfuncitem._fixtureinfo.argnames
        asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
        return True
    return None
