"""Dialogs: help (F1), the start screen when there is no workspace, the baseline-vs-what-if comparison
and the optimiser's default-vs-best task order."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Input, Label, Static

from teamcast.engine import OptimiseResult, compare_forecasts, render_optimise


class HelpScreen(ModalScreen[None]):
    """Every key of the screen beneath and the global ones."""

    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="help.close")]

    def __init__(self, beneath: Screen):
        super().__init__()
        self.beneath = beneath

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Label("[b]Keys[/b] (Esc closes)")
            with VerticalScroll():
                yield Static("\n".join(self.lines()), id="help-keys")

    def lines(self) -> list[str]:
        screen_keys = [b for b in self.beneath.BINDINGS if isinstance(b, Binding)]
        # A widget with keys of its own (the timeline's arrows) lists them with its screen's.
        focused = self.beneath.focused
        if focused is not None and type(focused).__module__.startswith("teamcast."):
            screen_keys += [b for b in focused.BINDINGS if isinstance(b, Binding)]
        app_keys = [b for b in self.app.BINDINGS if isinstance(b, Binding)]
        lines = [f"[b]{type(self.beneath).__name__.removesuffix('Screen')}[/b]"]
        lines += [f"  {escape(b.key):<18} {escape(b.description)}" for b in screen_keys] or ["  (no keys of its own)"]
        lines += ["", "[b]Everywhere[/b]"]
        lines += [f"  {escape(b.key):<18} {escape(b.description or b.action)}" for b in app_keys]
        lines += [
            "  ctrl+p            command palette",
            "  tab, arrows       move between and within widgets",
            "  pgup, pgdn        scroll the focused table or page",
        ]
        return lines


class StartScreen(ModalScreen[tuple[str, str] | None]):
    """No workspace here: open the demo, or create a new workspace at a path."""

    BINDINGS = [
        Binding("d", "demo", "Open the demo", id="start.demo"),
        Binding("escape", "quit_app", "Quit", id="start.quit"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="start"):
            yield Label("[b]teamcast[/b]: no workspace (./teamcast.db) here.")
            yield Button("d  open the demo organisation (a throw-away copy)", id="start-demo")
            yield Label("or Tab to the box, type a path and Enter to create a new workspace:")
            yield Input(placeholder="teamcast.db", id="start-path")
            yield Label("Esc quits", classes="hint")

    def on_mount(self) -> None:
        # The button holds the focus, so d opens the demo instead of typing into the path box.
        self.query_one(Button).focus()

    def on_button_pressed(self, _: Button.Pressed) -> None:
        self.action_demo()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(("new", event.value.strip() or "teamcast.db"))

    def action_demo(self) -> None:
        self.dismiss(("demo", ""))

    def action_quit_app(self) -> None:
        self.dismiss(None)


class WhatIfScreen(ModalScreen):
    """Baseline and what-if side by side per project; s saves the what-if, Escape discards it."""

    BINDINGS = [
        Binding("s", "save", "Save what-if", id="whatif.save"),
        Binding("escape", "discard", "Discard", id="whatif.discard"),
    ]

    def __init__(self, scenario, baseline, whatif):
        super().__init__()
        self.scenario = scenario
        self.table = compare_forecasts(baseline.projects, whatif.projects)

    def compose(self) -> ComposeResult:
        with Vertical(id="whatif"):
            yield Label(f"[b]What-if[/b]: {self.scenario.label}", id="whatif-title")
            yield DataTable(id="comparison", cursor_type="row")
            yield Label(
                "P50, P80: working days from the plan's start until the project is done, if it succeeds; "
                "P(ok): the chance it succeeds. s saves it into the workspace · Esc discards it",
                classes="hint",
                id="whatif-hint",
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("project", "P50", "what-if", "Δ", "P80", "what-if", "Δ", "P(ok)", "what-if", "Δ")
        for row in self.table.iter_rows(named=True):
            cells = []
            for figure in ("p50", "p80", "p_success"):
                base, new, delta = row[f"{figure}_base"], row[f"{figure}_whatif"], row[f"{figure}_delta"]
                cells += _cells(base, new, delta, percent=figure == "p_success")
            name = row["name"] or row["id"]
            room = max(12, self.app.size.width - 67)  # the nine figure columns keep their place at 80 columns
            table.add_row(name if len(name) <= room else name[: room - 1] + "…", *cells)
        table.focus()

    def action_save(self) -> None:
        self.dismiss(self.scenario)

    def action_discard(self) -> None:
        self.dismiss(None)


def _cells(base, new, delta, *, percent: bool) -> list[str]:
    def num(x, signed=False):
        if x is None or x != x:
            return "–"
        if percent:
            return f"{x * 100:+.0f}pt" if signed else f"{x:.0%}"
        return f"{x:+.0f}" if signed else f"{x:.0f}"

    if new is None:
        return [num(base), "dropped", ""]
    return [num(base), num(new), num(delta, signed=True)]


class OptimiseScreen(ModalScreen):
    """The optimiser's answer: the default task order against the best one found, on the same sampled
    futures and on fresh ones, with what changed; s keeps the best order, Escape discards it."""

    BINDINGS = [
        Binding("s", "save", "Keep best order", id="optimise.save"),
        Binding("escape", "discard", "Discard", id="optimise.discard"),
    ]

    def __init__(self, result: OptimiseResult) -> None:
        super().__init__()
        self.result = result

    def compose(self) -> ComposeResult:
        with Vertical(id="whatif"):
            yield Label("[b]Optimise the task order[/b]: teamcast's search (Lecture 13, §3)")
            with VerticalScroll():
                yield Static(render_optimise(self.result), id="optimise-report", markup=False)
            hint = "s keeps the best order as the plan's task order · Esc discards it"
            if not self.result.improved:
                hint = "nothing to keep: no order beats the default beyond noise · Esc closes"
            yield Label(hint, classes="hint", id="whatif-hint")

    def action_save(self) -> None:
        self.dismiss(self.result if self.result.improved else None)

    def action_discard(self) -> None:
        self.dismiss(None)
