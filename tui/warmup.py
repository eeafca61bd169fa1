"""Getting the other modes ready while the person reads the first forecast (issue 15, target 6).

Two steps, both after the first forecast so that neither delays it: the other screens' modules are
imported in a thread (`import_modules`), then each mode's screen is composed, styled and filled out of
sight (`prebuild_modes`), so that the first visit to a mode costs what a return visit does.

Why out of sight and not on the first key press: the first time a mode is shown, Textual mounts its
widgets, parses the CSS of widget classes not seen yet and re-parses and re-applies the whole app's
CSS (twice: a new screen starts with its styles out of date). That is several tenths of a second on
the UI thread while the person waits. Done beforehand, it costs the same CPU time at a moment when
nobody is waiting for the screen.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App

# The modules the other screens need, imported in the warm-up thread.
WARM_UP_MODULES = (
    "teamcast.tui.screens.org",
    "teamcast.tui.screens.roster",
    "teamcast.tui.screens.retro",
    "teamcast.tui.screens.timeline",
    "teamcast.tui.screens.dialogs",
    "teamcast.tui.screens.forms",
    "teamcast.tui.screens.project",
    "teamcast.tui.scenario",
)

# The modes built out of sight, in the order a person most likely visits them.
PREBUILT_MODES = ("roster", "org", "retro", "timeline")


def import_screen_modules(modules: tuple[str, ...] = WARM_UP_MODULES) -> None:
    """Import `modules` (in a worker thread: the UI thread keeps drawing meanwhile)."""
    for module in modules:
        importlib.import_module(module)


async def prebuild_modes(app: App, modes: tuple[str, ...], seen: set[str]) -> list[str]:
    """Compose, style and fill each of `modes` not in `seen` out of sight; the modes built, in order.

    Each mode is switched to and straight back within one call on the UI thread (Textual's public
    `switch_mode`): no frame is drawn in between, so the person never sees the other screen, and the
    screen composes, mounts and fills itself while hidden (a hidden screen is not drawn). Once it is
    mounted, a second round trip: Textual brings a screen's styles up to date with the app's (a full
    re-parse and re-apply of the CSS) when it is switched to mounted; the first visit would pay that
    otherwise. A mode is skipped while a dialog or other pushed screen is on top (the round trip
    would take it off the screen for a moment) or when the person got there first.
    """
    built: list[str] = []
    for mode in modes:
        # Whatever the person did meanwhile (a key, a click) runs before the next screen is built.
        await asyncio.sleep(0)
        back = app.current_mode
        if mode in seen or not _round_trip_ok(app, mode, back):
            continue
        seen.add(mode)
        mounted = app.switch_mode(mode)
        app.switch_mode(back)
        await mounted
        await asyncio.sleep(0)
        if _round_trip_ok(app, mode, back):
            app.switch_mode(mode)
            app.switch_mode(back)
        built.append(mode)
    return built


def _round_trip_ok(app: App, mode: str, back: str) -> bool:
    """True when `mode` can be switched to and back now: the person is still where they were, no dialog on top."""
    return app.current_mode == back != mode and len(app.screen_stack) == 1
