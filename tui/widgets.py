"""Widgets every screen shares: the forecast status line with its progress bar."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

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

    def _show_progress(self, progress) -> None:
        bar = self.query_one(ProgressBar)
        running = progress.total > 0
        bar.display = running
        if running:
            bar.update(total=progress.total, progress=progress.done)
            self.query_one(Label).update(f"{progress.label} (c cancels)")
        else:
            self.query_one(Label).update(self.app.forecast_note)

    def _show_note(self, note: str) -> None:
        if self.app.progress.total == 0:
            self.query_one(Label).update(note)
