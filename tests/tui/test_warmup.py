"""The warm-up after the first forecast builds the other modes' screens out of sight, so that a first
visit to a mode does not compose it while the person waits (issue 15, target 6)."""

from __future__ import annotations

import pytest

from teamcast.tui.app import TeamcastApp
from teamcast.tui.screens.base import AreaScreen
from teamcast.tui.warmup import PREBUILT_MODES

SCREENS = {"o": "OrgScreen", "r": "RosterScreen", "t": "RetroScreen", "l": "TimelineScreen"}


@pytest.fixture
def mounts(monkeypatch) -> list[tuple[str, str, str]]:
    """Every area screen mounted: (its class, the mode shown then, the screen on top then); the warm-up
    builds screens (conftest turns that off for the other tests)."""
    monkeypatch.setattr(TeamcastApp, "PREBUILD_MODES", PREBUILT_MODES)
    seen: list[tuple[str, str, str]] = []
    on_mount = AreaScreen.on_mount

    def record(self: AreaScreen) -> None:
        seen.append((type(self).__name__, self.app.current_mode, type(self.app.screen).__name__))
        on_mount(self)

    monkeypatch.setattr(AreaScreen, "on_mount", record)
    return seen


async def _warmed(pilot) -> None:
    """Until no worker is left: the forecast starts the warm-up imports, which start the screen building."""
    while True:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if all(w.is_finished for w in pilot.app.workers):
            return


async def test_modes_are_built_out_of_sight_and_a_first_visit_composes_nothing(app, mounts):
    async with app.run_test(size=(80, 24)) as pilot:
        await _warmed(pilot)
        assert type(app.screen).__name__ == "PortfolioScreen"
        built = {name for name, mode, top in mounts if mode == "portfolio" and top == "PortfolioScreen"}
        assert built >= set(SCREENS.values())
        assert app.modes_seen >= set(PREBUILT_MODES)
        before = len(mounts)
        for key, name in SCREENS.items():
            await pilot.press(key)
            assert type(app.screen).__name__ == name
        assert len(mounts) == before  # the visits showed the screens built beforehand
        # ... filled with the plan: the Org screen's profile names the plan.
        await pilot.press("o")
        assert "Northwind" in str(app.screen.query_one("#org-profile").render())


async def test_a_dialog_open_during_the_warm_up_stays_and_the_modes_are_built_after_it(app, mounts):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await _warmed(pilot)
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "HelpScreen"  # never taken off the screen by the warm-up
        assert {name for name, _, _ in mounts} == {"PortfolioScreen"}  # nothing built while the dialog was up
        await pilot.press("escape")
        await pilot.pause(1.5)  # the warm-up tries again a second later
        await _warmed(pilot)
        assert type(app.screen).__name__ == "PortfolioScreen"
        assert {name for name, mode, _ in mounts if mode == "portfolio"} >= set(SCREENS.values())
