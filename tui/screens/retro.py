"""Retro: the finished work of the history and how good its estimates were (lecture §3: measure inputs)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Label

from teamcast.engine.views import estimate_accuracy
from teamcast.tui.screens.base import AreaScreen, fmt_p


class RetroScreen(AreaScreen):
    """Estimate vs actual per person, then every finished task."""

    def body(self) -> ComposeResult:
        with VerticalScroll(id="retro-body"):
            yield Label("[b]Estimates vs actuals[/b] (actual ÷ likely; within = finished by the high estimate)")
            yield DataTable(id="accuracy", cursor_type="row", zebra_stripes=True)
            yield Label("[b]History[/b]")
            yield DataTable(id="history", cursor_type="row")

    def setup(self) -> None:
        self.query_one("#accuracy", DataTable).add_columns(
            "person", "tasks", "median actual/est", "within estimate", "succeeded", "stated p"
        )
        self.query_one("#history", DataTable).add_columns("task", "person", "estimate", "actual", "p", "ok", "finished")

    def show(self) -> None:
        history = self.app.plan.history
        accuracy = self.query_one("#accuracy", DataTable)
        accuracy.clear()
        for row in estimate_accuracy(history).iter_rows(named=True):
            ratio = "–" if row["median_ratio"] is None else f"{row['median_ratio']:.2f}×"
            accuracy.add_row(
                row["person"], str(row["tasks"]), ratio, fmt_p(row["within_estimate"]),
                fmt_p(row["success_rate"]), fmt_p(row["stated_p"]),
            )
        table = self.query_one("#history", DataTable)
        table.clear()
        for h in history.iter_rows(named=True):
            estimate = "/".join("–" if h[c] is None else f"{h[c]:g}" for c in ("est_low", "est_likely", "est_high"))
            table.add_row(
                h["task"], h["person"] or "", estimate, f"{h['actual_days']:g}", fmt_p(h["p_success"]),
                "✓" if h["succeeded"] else "✗", h["finished"].isoformat() if h["finished"] else "",
            )
