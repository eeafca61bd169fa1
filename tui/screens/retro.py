"""Retro: how good the forecasts were (Brier and log scores, reliability, Murphy decomposition, duration
coverage and PIT: standard forecasting practice, not the lecture's), estimate vs actual per person and
team, and the finished work itself. The experiments log is shown as inputs, sorted by name (Lecture 13,
§3: measure inputs, not results). `s` cycles the time window; Enter on a person or team drills into it
and Escape backs out. The retro is computed in a thread worker."""

from __future__ import annotations

import datetime as dt
import math
from typing import cast

import polars as pl
from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Label, Static

from teamcast.engine import (
    MIN_RESOLVED,
    RETRO_WINDOWS,
    Plan,
    Retro,
    build_retro,
    estimate_accuracy,
    pit_shape,
    retro_since,
    select_history,
)
from teamcast.tui import charts
from teamcast.tui.screens.base import AreaScreen, fmt_p

Selection = tuple[str, str]  # ("person" | "team", id)


class RetroScreen(AreaScreen):
    """Calibration of past forecasts, per person and team, with the finished work beneath."""

    BINDINGS = [
        Binding("s", "next_window", "Window (all, quarter, month)", id="retro.window"),
        Binding("enter", "drill", "Drill into the selected person or team", id="retro.drill", show=False),
        Binding("escape,backspace", "back", "Back (drill-down)", id="retro.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.window = 0  # index into RETRO_WINDOWS
        self.drilled: list[Selection] = []  # the drill-down path; Escape pops it
        self.retro: Retro | None = None

    def body(self) -> ComposeResult:
        with VerticalScroll(id="retro-body"):
            yield Static(id="retro-title")
            yield Static(id="retro-success", classes="panel")
            yield DataTable(id="reliability", cursor_type="row")
            yield Static(id="retro-durations", classes="panel")
            yield Label(
                "[b]Per person and team[/b] (by name; Enter drills in): n resolved, Brier (n/a below "
                f"{MIN_RESOLVED}), share inside the P50/P80 intervals, ln and ratio of actual ÷ estimate"
            )
            yield DataTable(id="groups", cursor_type="row", zebra_stripes=True)
            yield Label(
                "[b]Inputs[/b]: experiments and effort, by name (Lecture 13, §3: measure inputs, not results; "
                "nobody is ranked by outcome)"
            )
            yield DataTable(id="experiments", cursor_type="row")
            yield DataTable(id="approaches", cursor_type="row")
            yield Label("[b]Estimates vs actuals[/b] (actual ÷ likely; within = finished by the high estimate)")
            yield DataTable(id="accuracy", cursor_type="row", zebra_stripes=True)
            yield Label("[b]History[/b]")
            yield DataTable(id="history", cursor_type="row")

    def setup(self) -> None:
        self.query_one("#reliability", DataTable).add_columns(
            "forecast", "n", "said", "happened", "95% band (Wilson)", ""
        )
        self.query_one("#groups", DataTable).add_columns(
            "who", "n", "ok", "Brier", "tasks", "in P50", "in P80", "ln(a/e)", "a/e"
        )
        self.query_one("#experiments", DataTable).add_columns(
            "person", "experiments", "days", "tasks done", "task days", "approaches tried"
        )
        self.query_one("#approaches", DataTable).add_columns("approach", "experiments", "days", "people", "outcome")
        self.query_one("#accuracy", DataTable).add_columns(
            "person", "tasks", "median actual/est", "within estimate", "succeeded", "stated p"
        )
        self.query_one("#history", DataTable).add_columns("task", "person", "estimate", "actual", "p", "ok", "finished")

    # --- what is selected -------------------------------------------------------------------
    @property
    def window_label(self) -> str:
        return RETRO_WINDOWS[self.window][0]

    @property
    def since(self) -> dt.date | None:
        plan = self.app.plan
        return retro_since(plan.start if plan.plan.height else None, self.window_label)

    def _selected(self, kind: str) -> str | None:
        return next((key for k, key in reversed(self.drilled) if k == kind), None)

    def show(self) -> None:
        self.run_retro(self.app.plan, self.since, self._selected("team"), self._selected("person"))

    @work(thread=True, exclusive=True, group="retro", name="retro")
    def run_retro(self, plan: Plan, since, team, person) -> tuple[Retro, pl.DataFrame]:
        """The retro and the finished work of one selection, off the UI thread."""
        return build_retro(plan, since=since, team=team, person=person), select_history(
            plan, since=since, team=team, person=person
        )

    def worker_done(self, name: str, result) -> None:
        if name == "retro":
            self.retro, history = result
            self._fill(self.retro, history)

    def _reselect(self) -> None:
        """Show the retro of the new selection from its title down."""
        self.query_one("#retro-body", VerticalScroll).scroll_home(animate=False)
        self.show()

    # --- filling the widgets ----------------------------------------------------------------
    def _fill(self, retro: Retro, history: pl.DataFrame) -> None:
        since = self.since
        window = self.window_label + (f" (finished since {since.isoformat()})" if since else "")
        self.query_one("#retro-title", Static).update(
            f"[b]Retro[/b]: {escape(retro.selection)}; {retro.history_rows} finished tasks · window: {window}\n"
            "s: next window · Enter on a person or team: drill in · Esc: back"
        )
        self.query_one("#retro-success", Static).update("\n".join(success_lines(retro)))
        self._fill_reliability(retro)
        self.query_one("#retro-durations", Static).update("\n".join(duration_lines(retro)))
        self._fill_groups(retro)
        self._fill_experiments(retro)
        self._fill_accuracy(history)
        self._fill_history(history)

    def _fill_reliability(self, retro: Retro) -> None:
        table = self.query_one("#reliability", DataTable)
        table.clear()
        table.display = retro.success is not None
        for b in retro.success.table if retro.success else []:
            if b.count == 0:
                continue
            table.add_row(
                f"{100 * b.low:.0f}–{100 * b.high:.0f}%",
                str(b.count),
                fmt_p(b.mean_forecast),
                fmt_p(b.observed),
                f"{fmt_p(b.band_low)}–{fmt_p(b.band_high)}",
                "" if b.consistent else "⚠ outside the band",
            )

    def _fill_groups(self, retro: Retro) -> None:
        table = self.query_one("#groups", DataTable)
        table.clear()
        for kind, groups in (("person", retro.people), ("team", retro.teams)):
            for g in groups:
                who = g.id if kind == "person" else f"team {g.id}"
                brier = "n/a" if g.brier is None else f"{g.brier:.3f}"
                factor = g.typical_factor
                ln_ratio = "–" if not _finite(factor) else f"{math.log(factor):+.2f}"
                table.add_row(
                    who,
                    str(g.resolved),
                    str(g.succeeded),
                    brier,
                    str(g.durations),
                    fmt_p(g.coverage50),
                    fmt_p(g.coverage80),
                    ln_ratio,
                    "–" if not _finite(factor) else f"×{factor:.2f}",
                    key=f"{kind}:{g.id}",
                )

    def _fill_experiments(self, retro: Retro) -> None:
        people = self.query_one("#experiments", DataTable)
        people.clear()
        for r in retro.experiments_by_person:
            people.add_row(
                r["person"],
                str(r["experiments"]),
                f"{r['experiment_days']:.1f}",
                str(r["tasks_finished"]),
                f"{r['task_days']:.1f}",
                ", ".join(r["approaches"]) or "–",
            )
        approaches = self.query_one("#approaches", DataTable)
        approaches.clear()
        approaches.display = bool(retro.experiments_by_approach)
        for r in retro.experiments_by_approach:
            approaches.add_row(
                r["task"], str(r["experiments"]), f"{r['effort_days']:.1f}", ", ".join(r["people"]), r["outcome"]
            )

    def _fill_accuracy(self, history: pl.DataFrame) -> None:
        accuracy = self.query_one("#accuracy", DataTable)
        accuracy.clear()
        for row in estimate_accuracy(history).iter_rows(named=True):
            ratio = "–" if row["median_ratio"] is None else f"{row['median_ratio']:.2f}×"
            accuracy.add_row(
                row["person"],
                str(row["tasks"]),
                ratio,
                fmt_p(row["within_estimate"]),
                fmt_p(row["success_rate"]),
                fmt_p(row["stated_p"]),
            )

    def _fill_history(self, history: pl.DataFrame) -> None:
        table = self.query_one("#history", DataTable)
        table.clear()
        for h in history.iter_rows(named=True):
            estimate = "/".join("–" if h[c] is None else f"{h[c]:g}" for c in ("est_low", "est_likely", "est_high"))
            table.add_row(
                h["task"],
                h["person"] or "",
                estimate,
                f"{h['actual_days']:g}",
                fmt_p(h["p_success"]),
                "✓" if h["succeeded"] else "✗",
                h["finished"].isoformat() if h["finished"] else "",
            )

    # --- actions ----------------------------------------------------------------------------
    def action_next_window(self) -> None:
        self.window = (self.window + 1) % len(RETRO_WINDOWS)
        self._reselect()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "groups":
            self._drill(cast(str, event.row_key.value))  # every #groups row is added with a key

    def action_drill(self) -> None:
        table = self.query_one("#groups", DataTable)
        if table.row_count:
            self._drill(cast(str, table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))

    def _drill(self, key: str) -> None:
        kind, _, group = key.partition(":")
        if (kind, group) not in self.drilled:
            self.drilled.append((kind, group))
        self._reselect()

    def action_back(self) -> None:
        if self.drilled:
            self.drilled.pop()
            self._reselect()


def success_lines(retro: Retro) -> list[str]:
    """The success forecasts' scores, each with its reference, and a warning below MIN_RESOLVED."""
    s = retro.success
    if s is None:
        return ["[b]Success forecasts[/b]: none resolved in this selection."]
    lines = [f"[b]Success forecasts[/b]: P(success) against what happened, {s.n} resolved"]
    if not s.enough:
        lines.append(
            f"⚠ Not enough data: {s.n} resolved forecasts, {MIN_RESOLVED} needed for a verdict; "
            "the scores below are indicative only."
        )
    m = s.murphy
    direction = "too optimistic" if s.in_the_large > 0 else "too pessimistic" if s.in_the_large < 0 else "on target"
    return lines + [
        f"Brier score {s.brier:.3f} (0 is perfect; always saying 50% scores 0.250)",
        f"log score {s.log:.3f} nats (lower is better; always 50% scores 0.693)",
        f"in the large {s.in_the_large:+.3f}: said {fmt_p(s.mean_forecast)} on average, "
        f"{fmt_p(s.base_rate)} succeeded ({direction})",
        f"Murphy: Brier = reliability {m.reliability:.3f} − resolution {m.resolution:.3f} "
        f"+ uncertainty {m.uncertainty:.3f} (within-bin {m.within_bin:+.3f})",
        f"  bias-corrected: reliability {m.reliability_corrected:.3f}, resolution {m.resolution_corrected:.3f}, "
        f"uncertainty {m.uncertainty_corrected:.3f}",
        "Reliability, in 10% buckets of the stated P(success) (empty buckets left out):",
    ]


def duration_lines(retro: Retro) -> list[str]:
    """Coverage of the estimate's intervals, the interval score, ln(actual ÷ estimate) and the PIT chart."""
    d = retro.durations
    if d is None:
        return ["[b]Durations[/b]: no finished task with an estimate and an actual in this selection."]
    return [
        f"[b]Durations[/b]: actual effort against the estimate's distribution, {d.n} tasks",
        f"inside the P50 interval (25–75%): {fmt_p(d.coverage50)} (calibrated: 50%)",
        f"inside the P80 interval (10–90%): {fmt_p(d.coverage80)} (calibrated: 80%)",
        f"interval score, 80% interval: {d.interval_score80:.1f} days (lower is better)",
        f"ln(actual ÷ likely estimate): median {d.log_ratio.median:+.2f}, IQR {d.log_ratio.iqr:.2f}; "
        f"typically ×{d.log_ratio.typical_factor:.2f}",
        "PIT histogram (where each actual fell in its estimate's distribution; flat when calibrated):",
        *charts.pit_histogram(d.pit_histogram),
        f"reading: {pit_shape(d.pit_histogram)}",
    ]


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)
