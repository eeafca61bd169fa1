"""The Textual app: owns the workspace, the loaded plan and the latest forecast, runs forecasts in a
thread worker, and routes edits and what-ifs to the workspace. Screens only compose and route.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.worker import Worker, WorkerState, get_current_worker

from teamcast.engine import Forecast, Plan, Workspace, forecast_changes, simulate, with_answers
from teamcast.errors import CancelledError, ConflictError, PlanError, TeamcastError
from teamcast.tui.messages import DataChanged
from teamcast.tui.scenario import Scenario
from teamcast.tui.screens.dialogs import HelpScreen, StartScreen, WhatIfScreen
from teamcast.tui.screens.org import OrgScreen
from teamcast.tui.screens.portfolio import PortfolioScreen
from teamcast.tui.screens.retro import RetroScreen
from teamcast.tui.screens.roster import RosterScreen

DEFAULT_TRIALS = 10_000
CHUNK_TRIALS = 1024  # cancellation is checked between chunks: about a frame of work each
PROGRESS_EVERY_S = 0.1  # at most ten progress redraws a second, whatever the chunk rate
# Two kernel threads where there are cores for them: results do not depend on the thread
# count, and on a shared SSH host two is a modest share.
THREADS = min(2, os.cpu_count() or 1)


@dataclass(frozen=True)
class Progress:
    """Where the running forecast stands; `total == 0` when none runs."""

    done: int = 0
    total: int = 0
    label: str = ""


class TeamcastApp(App[None]):
    """teamcast over one workspace: four screens as modes, forecasts as you edit."""

    CSS_PATH = "app.tcss"
    TITLE = "teamcast"
    MODES = {"org": OrgScreen, "roster": RosterScreen, "portfolio": PortfolioScreen, "retro": RetroScreen}
    DEFAULT_MODE = "portfolio"
    BINDINGS = [
        Binding("o,1", "switch_mode('org')", "Org", id="org"),
        Binding("r,2", "switch_mode('roster')", "Roster", id="roster"),
        Binding("p,3", "switch_mode('portfolio')", "Portfolio", id="portfolio"),
        Binding("t,4", "switch_mode('retro')", "Retro", id="retro"),
        Binding("f", "forecast", "Forecast", id="forecast"),
        Binding("c", "cancel_forecast", "Cancel run", id="cancel", show=False),
        Binding("f1", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    progress: reactive[Progress] = reactive(Progress, always_update=True)
    forecast_note: reactive[str] = reactive("")

    def __init__(self, path: Path | None = None, *, trials: int = DEFAULT_TRIALS, seed: int = 0):
        super().__init__()
        self.animation_level = "none"
        self.path = path
        self.trials = trials
        self.seed = seed
        self.workspace: Workspace | None = None
        self.plan = Plan()
        self.plan_version = 0
        self.forecast: Forecast | None = None
        self.last_forecast_seconds: float | None = None

    # --- lifecycle --------------------------------------------------------------------------
    def on_mount(self) -> None:
        if self.path is None:
            self.push_screen(StartScreen(), self._start_chosen)
        else:
            self.open_workspace(self.path)

    def on_unmount(self) -> None:
        if self.workspace is not None:
            self.workspace.close()

    def _start_chosen(self, choice: tuple[str, str] | None) -> None:
        if choice is None:
            self.exit()
            return
        kind, where = choice
        try:
            path = self._demo_workspace() if kind == "demo" else self._new_workspace(Path(where))
        except TeamcastError as exc:
            self.notify(exc.message, title=exc.title, severity="error")
            self.push_screen(StartScreen(), self._start_chosen)
            return
        self.open_workspace(path)

    @staticmethod
    def _demo_workspace() -> Path:
        from teamcast.engine import DEMO_SOURCE, demo_plan

        path = Path(tempfile.mkdtemp(prefix="teamcast-demo-")) / "demo.db"
        with Workspace.create(path) as ws:
            ws.import_plan(demo_plan(), source=DEMO_SOURCE)
        return path

    @staticmethod
    def _new_workspace(path: Path) -> Path:
        Workspace.create(path).close()
        return path

    def open_workspace(self, path: Path) -> None:
        try:
            self.workspace = Workspace.open(path)
            self.reload()
        except TeamcastError as exc:
            self.notify(exc.message, title=exc.title, severity="error", timeout=30)
            return
        self.path = path
        self.sub_title = f"{self.plan.name or 'empty workspace'} · {path.name}"
        self.action_forecast()

    def reload(self) -> None:
        """Read the plan again from the workspace and tell the visible screen."""
        assert self.workspace is not None
        self.plan = self.workspace.load()
        self.plan_version = self.workspace.plan_version()
        self._data_changed()

    def _data_changed(self) -> None:
        self.screen.post_message(DataChanged())

    # --- actions ------------------------------------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_forecast(self) -> None:
        if self.workspace is None or self.plan.projects.height == 0:
            self.forecast_note = "no projects to forecast" if self.workspace else ""
            return
        self.run_forecast(self.plan, self.trials, self.seed)

    def action_cancel_forecast(self) -> None:
        self.workers.cancel_group(self, "forecast")

    # --- workers ------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="forecast", name="forecast")
    def run_forecast(self, plan: Plan, trials: int, seed: int, record: bool = False) -> tuple[Forecast, float]:
        """The forecast of `plan`, in a thread; progress redraws throttled, cancellable between chunks.

        With `record`, the finished forecast is appended to the workspace's snapshots (through a
        connection of this thread's own) so retros can compare it with what happens.
        """
        forecast, seconds = self._simulate(plan, trials, seed, "forecast")
        if record and self.workspace is not None:
            from teamcast.engine import record_snapshot

            record_snapshot(self.workspace.path, forecast)
        return forecast, seconds

    @work(thread=True, exclusive=True, group="forecast", name="what-if")
    def run_whatif(self, scenario: Scenario) -> tuple[Scenario, Forecast, Forecast]:
        """Baseline and what-if forecasts of the same trials and seed, for a side-by-side comparison."""
        baseline = self.forecast or self._simulate(self.plan, self.trials, self.seed, "baseline")[0]
        whatif, _ = self._simulate(scenario.plan, self.trials, self.seed, f"what-if: {scenario.label}")
        return scenario, baseline, whatif

    def _simulate(self, plan: Plan, trials: int, seed: int, label: str) -> tuple[Forecast, float]:
        worker = get_current_worker()
        last = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= PROGRESS_EVERY_S or done == total:
                last = now
                self.call_from_thread(setattr, self, "progress", Progress(done, total, label))

        started = time.perf_counter()
        self.call_from_thread(setattr, self, "progress", Progress(0, trials, label))
        try:
            forecast = simulate(
                plan,
                trials=trials,
                seed=seed,
                chunk_trials=CHUNK_TRIALS,
                threads=THREADS,
                progress=progress,
                cancel=lambda: worker.is_cancelled,
            )
        finally:
            self.call_from_thread(setattr, self, "progress", Progress())
        return forecast, time.perf_counter() - started

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place where worker results land and worker failures become notifications."""
        worker = event.worker
        if event.state == WorkerState.ERROR:
            self.report(worker.error, worker.name)
        elif event.state == WorkerState.CANCELLED and worker.group == "forecast":
            self.progress = Progress()
            self.forecast_note = f"{worker.name} cancelled"
        elif event.state == WorkerState.SUCCESS and worker.name == "forecast":
            forecast, seconds = cast(tuple[Forecast, float], worker.result)  # what run_forecast returns
            self._forecast_done(forecast, seconds)
        elif event.state == WorkerState.SUCCESS and worker.name == "what-if":
            scenario, baseline, whatif = cast(tuple[Scenario, Forecast, Forecast], worker.result)  # run_whatif's
            self.push_screen(WhatIfScreen(scenario, baseline, whatif), self._whatif_decided)

    def report(self, error: BaseException | None, what: str) -> None:
        """A failed worker (the app's or a screen's) as a notification; a cancelled one as a note."""
        if isinstance(error, CancelledError):
            self.forecast_note = f"{what} cancelled"
        elif isinstance(error, TeamcastError):
            self.notify("\n".join(error.lines()[:6]), title=error.title, severity="error", timeout=10)
        else:
            self.notify(f"{type(error).__name__}: {error}", title=f"{what} failed", severity="error", timeout=10)

    def _forecast_done(self, forecast: Forecast, seconds: float) -> None:
        previous, self.forecast = self.forecast, forecast
        self.last_forecast_seconds = seconds
        note = f"forecast: {forecast.trials:,} trials, seed {forecast.seed}"
        if previous is not None:
            changes = forecast_changes(previous.projects, forecast.projects)
            text = "\n".join(c.sentence() for c in changes) or "no project moved by a day or more"
            self.notify(text, title="what changed")
            # The status line keeps the news after the notification fades (and when it is hidden).
            more = f" (+{len(changes) - 1} more)" if len(changes) > 1 else ""
            note += f" · {changes[0].sentence()}{more}" if changes else " · nothing moved by a day"
        self.forecast_note = note
        self._data_changed()

    # --- edits and what-ifs -------------------------------------------------------------------
    def row_version(self, table: str, row_id: str) -> int:
        """The version an edit must name, after catching up with any other session's changes."""
        assert self.workspace is not None
        if self.workspace.plan_version() != self.plan_version:
            self.reload()
            self.notify("another session changed the workspace; showing its latest state", title="reloaded")
        return self.workspace.row_version(table, row_id)

    def save_row(self, table: str, row_id: str, changes: dict[str, Any], version: int) -> bool:
        """Write one edit in one transaction, then re-forecast; False (and a message) when refused."""
        assert self.workspace is not None
        try:
            self.workspace.update_row(table, row_id, changes, version)
        except ConflictError as exc:
            self.notify(f"{exc.message}. Your edit was not saved.", title="conflict", severity="error", timeout=15)
            self.reload()
            return False
        except PlanError as exc:
            self.notify("\n".join(exc.lines()[:6]), title=exc.title, severity="error", timeout=10)
            return False
        self.reload()
        self.run_forecast(self.plan, self.trials, self.seed, record=True)  # a save records its forecast
        return True

    def save_answers(self, answers: dict[str, str | None]) -> bool:
        """Write the org questionnaire's answers (None clears one); False (and a message) when refused.

        One transaction, refused when another session changed the workspace since it was loaded.
        """
        assert self.workspace is not None
        rows = with_answers(self.plan, answers).org_answers.to_dicts()
        try:
            self.workspace.replace_answers(rows, self.plan_version)
        except ConflictError:
            self.reload()
            self.notify(
                "another session changed the workspace; your answers were not saved. Showing its latest state.",
                title="conflict",
                severity="error",
                timeout=15,
            )
            return False
        except TeamcastError as exc:
            self.notify("\n".join(exc.lines()[:6]), title=exc.title, severity="error", timeout=10)
            return False
        self.reload()
        return True

    def start_whatif(self, scenario: Scenario) -> None:
        self.run_whatif(scenario)

    def _whatif_decided(self, scenario: Scenario | None) -> None:
        """`scenario` is what the user chose to save; None when the what-if was discarded."""
        if scenario is None or self.workspace is None:
            return
        try:
            scenario.save(self.workspace)
        except ConflictError as exc:
            self.notify(f"{exc.message}. The what-if was not saved.", title="conflict", severity="error", timeout=15)
        except TeamcastError as exc:
            self.notify("\n".join(exc.lines()[:6]), title=exc.title, severity="error", timeout=10)
        else:
            self.notify(f"saved: {scenario.label}", title="what-if")
        self.reload()
        self.action_forecast()
