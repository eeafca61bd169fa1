"""The "+1 person" what-if as an open position: a role, its time to hire and its ramp-up, simulated beside the baseline."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select

from teamcast.engine import ROLE_TITLE, Role
from teamcast.tui.scenario import add_open_position, hire_defaults
from teamcast.tui.screens.base import teamcast_app

FIELDS = (
    ("tth_low", "hired in, soonest"),
    ("tth_likely", "likely"),
    ("tth_high", "latest"),
    ("ramp_days", "ramp-up days"),
    ("ramp_productivity", "speed in ramp"),
)


class HireWhatIf(ModalScreen[None]):
    """Pick a role; the time to hire and ramp come from an open position of that role, or teamcast's defaults."""

    BINDINGS = [
        Binding("f3", "simulate", "Simulate", id="hire.simulate"),
        Binding("escape", "cancel", "Cancel", id="hire.cancel"),
    ]

    def __init__(self, role: str | None = None):
        super().__init__()
        self.role = role or Role.ML_ENGINEER.value

    def compose(self) -> ComposeResult:
        with Vertical(id="hire"):
            yield Label("[b]What-if: one more person[/b], as an open position (nobody works it until it is filled)")
            yield Select(
                [(ROLE_TITLE[r], r.value) for r in Role],
                value=self.role,
                allow_blank=False,
                compact=True,
                id="hire-role",
            )
            for name, label in FIELDS:
                with Horizontal(classes="field"):
                    yield Label(label, classes="field-label hire-label")
                    yield Input("", id=name, classes="field-input")
            yield Label(
                "Working days from the plan's start; speed 0.5 = half a person while ramping. "
                "F3 or Enter simulates, Esc cancels.",
                classes="hint",
            )

    def on_mount(self) -> None:
        self._fill(self.role)
        self.query_one(Select).focus()

    def _fill(self, role: str) -> None:
        for name, value in hire_defaults(teamcast_app(self).plan, role).items():
            self.query_one(f"#{name}", Input).value = f"{value:g}"

    def on_select_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.role = event.value
            self._fill(event.value)

    def on_input_submitted(self, _: Input.Submitted) -> None:
        self.action_simulate()

    def action_simulate(self) -> None:
        figures = {}
        for name, label in FIELDS:
            text = self.query_one(f"#{name}", Input).value.strip()
            try:
                figures[name] = float(text)
            except ValueError:
                self.notify(f"{label}: not a number: {text!r}", severity="error")
                return
        if not figures["tth_low"] <= figures["tth_likely"] <= figures["tth_high"]:
            self.notify("time to hire: soonest ≤ likely ≤ latest", severity="error")
            return
        if not 0 < figures["ramp_productivity"] <= 1:
            self.notify("speed in ramp: between 0 and 1", severity="error")
            return
        self.dismiss()
        teamcast_app(self).start_whatif(add_open_position(teamcast_app(self).plan, self.role, figures))

    def action_cancel(self) -> None:
        self.dismiss()
