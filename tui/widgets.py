"""Widgets every screen shares: the forecast status line with its progress bar, and the key footer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Label, ProgressBar

if TYPE_CHECKING:
    from textual import getters

    from teamcast.tui.app import TeamcastApp


class ForecastStatus(Horizontal):
    """One line: what the last forecast was, or the running one's progress (press c to cancel)."""

    if TYPE_CHECKING:
        # For the type checker only: this line runs under TeamcastApp (run time keeps Textual's property).
        app = getters.app(TeamcastApp)

    def compose(self) -> ComposeResult:
        yield Label("", id="forecast-note")
        yield ProgressBar(total=None, show_eta=False, id="forecast-bar")

    def on_mount(self) -> None:
        self.watch(self.app, "progress", self._show_progress)
        self.watch(self.app, "forecast_note", self._show_note)

    # Every screen has this line and the app's progress reaches each: only changes are drawn, and the
    # note's width is fixed by the stylesheet (1fr), so new text needs no relayout of the screen.
    def _set_text(self, text: str) -> None:
        label = self.query_one(Label)
        if str(label.content) != text:
            label.update(text, layout=False)

    def _show_progress(self, progress) -> None:
        bar = self.query_one(ProgressBar)
        running = progress.total > 0
        if bar.display != running:
            bar.display = running
        if running:
            bar.update(total=progress.total, progress=progress.done)
            self._set_text(f"{progress.label} (c cancels)")
        else:
            self._set_text(self.app.forecast_note)

    def _show_note(self, note: str) -> None:
        if self.app.progress.total == 0:
            self._set_text(note)


class KeysFooter(Footer):
    """Textual's footer, rebuilt only when the keys it shows changed.

    Textual recomposes the footer (a widget per key) whenever the screen's bindings are refreshed,
    which happens on every mode switch even though a screen's keys stay the same; that rebuild was
    the largest part of a switch.
    """

    _keys: tuple | None = None

    def shown_keys(self) -> tuple:
        """What the footer draws: each shown binding with whether it is enabled, and its tooltip."""
        return tuple(
            (binding.key, binding.action, binding.description, binding.group, enabled, tooltip)
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )

    def bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen:
            keys = self.shown_keys()
            if keys == self._keys:
                return
            self._keys = keys
        super().bindings_changed(screen)
