"""What every area screen shares: header, footer, the forecast status line, redrawing on DataChanged,
and where the screen's own workers land."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Header
from textual.worker import Worker, WorkerState

from teamcast.tui.messages import DataChanged
from teamcast.tui.widgets import ForecastStatus, KeysFooter

if TYPE_CHECKING:
    from textual import getters

    from teamcast.tui.app import TeamcastApp


def teamcast_app(node: DOMNode) -> TeamcastApp:
    """`node.app`, typed as teamcast's app (its plan, forecast and edit methods)."""
    return cast("TeamcastApp", node.app)


class AreaScreen(Screen):
    """A screen that shows the app's plan and forecast; subclasses compose `body` and implement `show`."""

    if TYPE_CHECKING:
        # For the type checker only: these screens run under TeamcastApp (run time keeps Textual's property).
        app = getters.app(TeamcastApp)

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield from self.body()
        yield ForecastStatus()
        yield KeysFooter()

    def body(self) -> ComposeResult:
        raise NotImplementedError

    @property
    def active_bindings(self):
        """The app's keys (modes, forecast, F1, q) first: the footer shows them before the screen's own."""
        bindings = super().active_bindings
        first = {key: b for key, b in bindings.items() if b.node is self.app}
        return first | {key: b for key, b in bindings.items() if key not in first}

    def setup(self) -> None:
        """Once, before the first `show`: e.g. a table's columns."""

    def show(self) -> None:
        """Fill the widgets from `self.app.plan` and `self.app.forecast`."""
        raise NotImplementedError

    def on_mount(self) -> None:
        self.setup()

    # What the screen last drew from: the app's data stamp (plan or forecast changes) and the width.
    # Coming back to a screen whose data did not move keeps its widgets as they are (cursor included):
    # rebuilding tables on every switch is what made switching slow.
    _shown: tuple[int, int] | None = None

    def redraw(self) -> None:
        self._shown = (self.app.data_stamp, self.size.width)
        self.show()

    def redraw_if_stale(self) -> None:
        if self._shown != (self.app.data_stamp, self.size.width):
            self.redraw()

    def on_screen_resume(self) -> None:
        self.redraw_if_stale()

    def on_data_changed(self, _: DataChanged) -> None:
        self.redraw_if_stale()  # a resume may have drawn this very change already

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A screen's own workers (their messages do not bubble): results to `worker_done`, failures to the app."""
        if event.state == WorkerState.ERROR:
            self.app.report(event.worker.error, event.worker.name)
        elif event.state == WorkerState.SUCCESS:
            self.worker_done(event.worker.name, event.worker.result)

    def worker_done(self, name: str, result) -> None:
        """A worker of this screen finished with `result`."""


def fmt_days(days: float | None) -> str:
    return "–" if days is None or days != days else f"{days:.0f}"


def fmt_p(p: float | None) -> str:
    return "–" if p is None or p != p else f"{p:.0%}"
