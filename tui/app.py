"""The Textual app: owns the workspace, the loaded plan and the latest forecast, runs forecasts in a
thread worker, and routes edits and what-ifs to the workspace. Screens only compose and route.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.worker import Worker, WorkerState, get_current_worker

from teamcast.engine import Plan, Workspace
from teamcast.errors import CancelledError, ConflictError, PlanError, TeamcastError
from teamcast.tui.commands import TeamcastCommands
from teamcast.tui.messages import DataChanged
from teamcast.tui.runs import (
    PROVISIONAL_TRIALS,
    Progress,
    ProgressLine,
    ProvisionalReady,
    RunProgress,
    run_simulation,
)
from teamcast.tui.screens.portfolio import PortfolioScreen
from teamcast.tui.warmup import PREBUILT_MODES, import_screen_modules, prebuild_modes

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.widget import AwaitMount

    from teamcast.engine import Forecast, OptimiseResult, RecordedForecast
    from teamcast.tui.scenario import Scenario

DEFAULT_TRIALS = 10_000
# The optimiser in the app: teamcast's bounds for an interactive session (the CLI has no time limit).
OPTIMISE_TRIALS = 500
OPTIMISE_PASSES = 200
OPTIMISE_SECONDS = 20.0
PREBUILD_RETRY_S = 1.0  # how soon the warm-up tries again to build a mode's screen skipped for an open dialog


MODES_GROUP = Binding.Group("modes")


# The screens other than Portfolio are imported when first shown (or warmed up in a thread after
# the first forecast), so that their modules (health checks, hiring, retro) do not delay the first paint.
def _org_screen() -> Screen:
    from teamcast.tui.screens.org import OrgScreen

    return OrgScreen()


def _roster_screen() -> Screen:
    from teamcast.tui.screens.roster import RosterScreen

    return RosterScreen()


def _retro_screen() -> Screen:
    from teamcast.tui.screens.retro import RetroScreen

    return RetroScreen()


def _timeline_screen() -> Screen:
    from teamcast.tui.screens.timeline import TimelineScreen

    return TimelineScreen()


class TeamcastApp(App[None]):
    """teamcast over one workspace: four screens as modes, forecasts as you edit."""

    CSS_PATH = "app.tcss"
    TITLE = "teamcast"
    MODES = {
        "org": _org_screen,
        "roster": _roster_screen,
        "portfolio": PortfolioScreen,
        "retro": _retro_screen,
        "timeline": _timeline_screen,
    }
    DEFAULT_MODE = "portfolio"
    BINDINGS = [
        # One footer group for the modes, so they, F1 and q stay visible at 80 columns.
        Binding("o,1", "switch_mode('org')", "Org", id="org", group=MODES_GROUP),
        Binding("r,2", "switch_mode('roster')", "Roster", id="roster", group=MODES_GROUP),
        Binding("p,3", "switch_mode('portfolio')", "Portfolio", id="portfolio", group=MODES_GROUP),
        Binding("t,4", "switch_mode('retro')", "Retro", id="retro", group=MODES_GROUP),
        Binding("l,5", "switch_mode('timeline')", "Timeline", id="timeline", group=MODES_GROUP),
        Binding("f", "forecast", "Forecast", id="forecast"),
        Binding("c", "cancel_forecast", "Cancel run", id="cancel", show=False),
        Binding("f1", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    progress: reactive[Progress] = reactive(Progress, always_update=True)
    forecast_note: reactive[str] = reactive("")

    COMMANDS = App.COMMANDS | {TeamcastCommands}
    # The modes whose screens the warm-up builds out of sight after the first forecast; () builds none
    # (each costs about a quarter of a second of CPU at a moment nobody waits; a first visit then pays it).
    PREBUILD_MODES: tuple[str, ...] = PREBUILT_MODES
    # A save shows a provisional small run first only where the last full run took at least this long
    # (wall seconds): a quicker full run lands about when the provisional one would, and figures that
    # change twice within a blink only distract (the provisional run also delays the full one).
    PROVISIONAL_AFTER_S = 0.25

    def __init__(
        self, path: Path | None = None, *, trials: int = DEFAULT_TRIALS, seed: int = 0, read_only: bool = False
    ):
        super().__init__()
        # Read-only (`teamcast serve` without --edit): everything shows, nothing is written.
        self.read_only = read_only
        self.animation_level = "none"
        self.path = path
        self.trials = trials
        self.seed = seed
        self.workspace: Workspace | None = None
        self.plan = Plan()
        self.plan_version = 0
        self.forecast: Forecast | None = None
        # True while `forecast` is a provisional small run (PROVISIONAL_TRIALS) that the full run replaces.
        self.provisional = False
        # The workspace's newest recorded snapshot, shown by the Portfolio until the first live forecast lands.
        self.recorded: RecordedForecast | None = None
        self.last_forecast_seconds: float | None = None
        self.last_full: Forecast | None = None  # the newest full (not provisional) forecast
        self._warmed = False
        self.modes_seen: set[str] = set()  # modes shown or built out of sight: not built (again) by the warm-up
        self._schedule: tuple[int, Any] | None = None  # (plan version, its point schedule) for the Timeline
        self.forecast_scheduled = False  # a forecast will start after the first paint
        # Bumped whenever the plan or the forecast changes: a screen redraws on resume only when it moved.
        self.data_stamp = 0
        # Where the timeline draws its "today" line; tests pin it (None: the plan's first working day).
        self.today: dt.date | None = dt.date.today()

    # --- lifecycle --------------------------------------------------------------------------
    def on_mount(self) -> None:
        if self.path is None:
            from teamcast.tui.screens.dialogs import StartScreen

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
            from teamcast.tui.screens.dialogs import StartScreen

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
        from teamcast.engine import recorded_forecast

        try:
            self.workspace = Workspace.open(path)
            self.plan_version = self.workspace.plan_version()  # first: see reload
            self.plan = self.workspace.load()
        except TeamcastError as exc:
            self.notify(exc.message, title=exc.title, severity="error", timeout=30)
            return
        self.path = path
        self.sub_title = f"{self.plan.name or 'empty workspace'} · {path.name}"
        # The last recorded forecast goes on screen at once; the live run replaces it. Without one,
        # a provisional small run comes first.
        self.recorded = recorded_forecast(self.plan)
        if self.recorded is not None:
            self.forecast_note = self.recorded.label(self.plan_version) + " · running a new forecast"
        self._data_changed()
        # With a recorded forecast on screen, the worker starts after the first paint: its imports
        # (NumPy, the kernel, plugins) would otherwise share the interpreter with drawing it.
        # Without a recorded forecast there is nothing to show before the provisional run: start it now.
        if self.recorded is None:
            self.action_forecast(quick=True)
        else:
            self.forecast_scheduled = True
            self.call_after_refresh(self.action_forecast)

    def reload(self) -> None:
        """Read the plan again from the workspace and tell the visible screen."""
        assert self.workspace is not None
        # The version first, then the data (docs/api.md): data read after the version is at least
        # as new, so an edit naming this version is refused rather than undoing another session's
        # write made in between; the other order would name a version newer than the data.
        self.plan_version = self.workspace.plan_version()
        self.plan = self.workspace.load()
        self._data_changed()

    def _data_changed(self) -> None:
        self.data_stamp += 1
        self.screen.post_message(DataChanged())

    # --- actions ------------------------------------------------------------------------------
    def action_help(self) -> None:
        from teamcast.tui.screens.dialogs import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_forecast(self, quick: bool = False) -> None:
        """Forecast the plan again in a worker; `quick` shows a provisional small run before the full one."""
        self.forecast_scheduled = False
        if self.workspace is None or self.plan.projects.height == 0:
            self.forecast_note = "no projects to forecast" if self.workspace else ""
            return
        self.run_forecast(self.plan, self.trials, self.seed, quick=quick)

    def action_whatif_hire(self, role: str | None = None) -> None:
        from teamcast.tui.screens.hire import HireWhatIf

        if self.workspace is not None:
            self.push_screen(HireWhatIf(role))

    def open_project(self, project: str) -> None:
        """The Portfolio mode with `project`'s tasks and charts on top (the palette's "Open project")."""
        from teamcast.tui.screens.project import ProjectScreen

        self.switch_mode("portfolio")
        self.push_screen(ProjectScreen(project))

    def action_export(self) -> None:
        """The plan as canonical TOML beside the workspace file."""
        from teamcast.engine import write_plan

        if self.path is None or self.refuse_write("the export"):
            return
        out = self.path.with_name(f"{self.path.stem}-plan.toml")
        write_plan(self.plan, out)
        self.notify(f"wrote {out}", title="export")

    def action_report(self, kind: str) -> None:
        if self.path is None or self.refuse_write("the report"):
            return
        self.write_report(kind, self.path.with_name(f"{self.path.stem}-{kind}.md"))

    @work(thread=True, group="report", name="report")
    def write_report(self, kind: str, out: Path) -> Path:
        """A report (Markdown, its charts as SVG files beside it) in a thread: it runs its own forecast."""
        from teamcast.engine import write_report

        self.call_from_thread(self.notify, f"writing the {kind} report…", title="report", timeout=3)
        write_report(self.plan, kind, out, seed=self.seed)
        self.call_from_thread(self.notify, f"wrote {out}", title="report")
        return out

    def action_optimise(self) -> None:
        """Search for a better task order (teamcast optimise) in a worker; c cancels and keeps the best so far."""
        self.run_optimise(self.plan, self.seed)

    def action_cancel_forecast(self) -> None:
        self.workers.cancel_group(self, "forecast")

    # --- workers ------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="forecast", name="forecast")
    def run_forecast(
        self, plan: Plan, trials: int, seed: int, record: bool = False, quick: bool = False
    ) -> tuple[Forecast, float, bool]:
        """The forecast of `plan`, in a thread; progress redraws throttled, cancellable between chunks.

        With `quick`, a provisional run of PROVISIONAL_TRIALS goes on screen first (labelled so).
        With `record`, the finished full forecast is appended to the workspace's snapshots once it is
        on screen (`record_forecast`), so retros can compare it with what happens.
        """
        worker = get_current_worker()
        line = ProgressLine(self, worker)
        quick = quick and trials > PROVISIONAL_TRIALS
        if quick:
            first, _ = run_simulation(
                self, worker, plan, PROVISIONAL_TRIALS, seed, "provisional forecast", line=line, last=False
            )
            self.post_message(ProvisionalReady(first, worker))
        # While it runs, the status line says that what is on screen is the provisional run.
        label = "provisional shown; full run" if quick else "forecast"
        forecast, seconds = run_simulation(self, worker, plan, trials, seed, label, line=line)
        return forecast, seconds, record

    @work(thread=True, group="record", name="record")
    def record_forecast(self, forecast: Forecast) -> None:
        """Append `forecast` to the workspace's snapshots, through a connection of this thread's own:
        after the forecast is on screen, so that the person does not wait for the write."""
        from teamcast.engine import record_snapshot

        if self.workspace is not None:
            record_snapshot(self.workspace.path, forecast)

    @work(thread=True, exclusive=True, group="forecast", name="what-if")
    def run_whatif(self, scenario: Scenario) -> tuple[Scenario, Forecast, Forecast]:
        """Baseline and what-if forecasts of the same trials and seed, for a side-by-side comparison."""
        # A provisional forecast has fewer trials than the what-if: the baseline then runs in full.
        baseline = self.forecast if self.forecast is not None and not self.provisional else None
        worker = get_current_worker()
        line = ProgressLine(self, worker)
        if baseline is None:
            baseline, _ = run_simulation(
                self, worker, self.plan, self.trials, self.seed, "baseline", line=line, last=False
            )
        label = f"what-if: {scenario.label}"
        whatif, _ = run_simulation(self, worker, scenario.plan, self.trials, self.seed, label, line=line)
        return scenario, baseline, whatif

    @work(thread=True, exclusive=True, group="forecast", name="optimise")
    def run_optimise(self, plan: Plan, seed: int) -> OptimiseResult:
        """`teamcast optimise` on the plan, bounded in time for an interactive session; cancellable."""
        from teamcast.engine import optimise

        worker = get_current_worker()

        def progress(done: int, total: int, best: float) -> None:
            self.post_message(RunProgress(Progress(done, total, "optimise (c cancels)"), worker))

        try:
            return optimise(
                plan,
                trials=OPTIMISE_TRIALS,
                passes=OPTIMISE_PASSES,
                seed=seed,
                time_limit=OPTIMISE_SECONDS,
                cancel=lambda: worker.is_cancelled,
                progress=progress,
            )
        finally:
            self.post_message(RunProgress(Progress(), worker))

    def _optimise_decided(self, result: OptimiseResult | None) -> None:
        """`result` is the optimiser's answer the user chose to keep; None when discarded."""
        if result is None or self.workspace is None or self.refuse_write("the task order"):
            return
        try:
            self.workspace.reorder_tasks(result.order, self.plan_version, approaches=result.approaches)
        except ConflictError as exc:
            self.notify(f"{exc.message}. The order was not saved.", title="conflict", severity="error", timeout=15)
        except TeamcastError as exc:
            self.notify("\n".join(exc.lines()[:6]), title=exc.title, severity="error", timeout=10)
        else:
            self.notify(
                "saved as the plan's task order: the manual priority rule follows it "
                "(teamcast simulate --priority manual)",
                title="optimise",
            )
        self.reload()

    def on_run_progress(self, message: RunProgress) -> None:
        if not message.worker.is_cancelled:  # a cancelled run's last words would hide the new run's bar
            self.progress = message.progress

    def on_provisional_ready(self, message: ProvisionalReady) -> None:
        self._provisional_done(message.forecast, message.worker)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place where worker results land and worker failures become notifications."""
        worker = event.worker
        if event.state == WorkerState.ERROR:
            self.report(worker.error, worker.name)
        elif event.state == WorkerState.CANCELLED and worker.group == "forecast":
            self.progress = Progress()
            self.forecast_note = f"{worker.name} cancelled"
            if self.provisional or self.recorded is not None:
                self._data_changed()  # the screens stop saying that a run follows
        elif event.state == WorkerState.SUCCESS and worker.name == "forecast":
            forecast, seconds, record = cast("tuple[Forecast, float, bool]", worker.result)  # run_forecast's
            self._forecast_done(forecast, seconds)
            if record:
                self.record_forecast(forecast)
        elif event.state == WorkerState.SUCCESS and worker.name == "optimise":
            from teamcast.tui.screens.dialogs import OptimiseScreen

            result = cast("OptimiseResult", worker.result)  # what run_optimise returns
            self.push_screen(OptimiseScreen(result), self._optimise_decided)
        elif event.state == WorkerState.SUCCESS and worker.name == "what-if":
            from teamcast.tui.screens.dialogs import WhatIfScreen

            scenario, baseline, whatif = cast("tuple[Scenario, Forecast, Forecast]", worker.result)  # run_whatif's
            self.push_screen(WhatIfScreen(scenario, baseline, whatif), self._whatif_decided)
        elif event.state == WorkerState.SUCCESS and worker.name == "warm-up":
            self.prebuild()
        elif event.state == WorkerState.SUCCESS and worker.name == "prebuild" and self.prebuild_pending():
            self.set_timer(PREBUILD_RETRY_S, self.prebuild)  # a dialog was open: try again shortly
        if worker.group == "forecast" and worker.is_finished:
            self.warm_up()

    def full_run_pending(self) -> bool:
        """True while a forecast worker is running or about to start (the run that replaces what is shown)."""
        return self.forecast_scheduled or any(w.name == "forecast" and not w.is_finished for w in self.workers)

    def warm_up(self) -> None:
        """Once, after the first forecast: import the other screens' modules in a thread, then build their
        screens out of sight (teamcast.tui.warmup), so a first visit to a mode does not pay for them while
        the person waits."""
        if not self._warmed:
            self._warmed = True
            self.import_modules()

    @work(thread=True, group="warm-up", name="warm-up")
    def import_modules(self) -> None:
        import_screen_modules()
        from teamcast.engine import deterministic_schedule

        plan, version = self.plan, self.plan_version
        if plan.tasks.height and self.point_schedule() is None:
            self.call_from_thread(self.keep_schedule, version, deterministic_schedule(plan))

    def prebuild(self) -> None:
        """Build the screens of the modes not seen yet out of sight, on the UI loop (an async worker:
        cancelled cleanly when the app exits)."""
        if self.prebuild_pending():
            self.run_worker(
                prebuild_modes(self, self.PREBUILD_MODES, self.modes_seen), group="warm-up", name="prebuild"
            )

    def prebuild_pending(self) -> bool:
        return not self.modes_seen.issuperset(self.PREBUILD_MODES)

    def switch_mode(self, mode: str) -> AwaitMount:
        self.modes_seen.add(mode)
        return super().switch_mode(mode)

    def point_schedule(self) -> Any:
        """The point schedule of the plan as it is now (a frame), or None when not computed yet."""
        if self._schedule is not None and self._schedule[0] == self.plan_version:
            return self._schedule[1]
        return None

    def keep_schedule(self, version: int, schedule: Any) -> None:
        self._schedule = (version, schedule)

    def report(self, error: BaseException | None, what: str) -> None:
        """A failed worker (the app's or a screen's) as a notification; a cancelled one as a note."""
        if isinstance(error, CancelledError):
            self.forecast_note = f"{what} cancelled"
        elif isinstance(error, TeamcastError):
            self.notify("\n".join(error.lines()[:6]), title=error.title, severity="error", timeout=10)
        else:
            self.notify(f"{type(error).__name__}: {error}", title=f"{what} failed", severity="error", timeout=10)

    def _provisional_done(self, forecast: Forecast, worker: Worker) -> None:
        """A provisional small run on screen until the full one replaces it (not when a newer run took over)."""
        if worker.is_cancelled:
            return
        if not self.provisional:
            self.last_full = self.forecast  # what the full run's "what changed" compares with
        self.forecast, self.provisional, self.recorded = forecast, True, None
        self.forecast_note = f"provisional forecast: {forecast.trials:,} trials; the full {self.trials:,} follow"
        self._data_changed()

    def _forecast_done(self, forecast: Forecast, seconds: float) -> None:
        previous = self.last_full if self.provisional else self.forecast
        self.forecast, self.provisional, self.recorded = forecast, False, None
        self.last_full = forecast
        self.last_forecast_seconds = seconds
        note = f"forecast: {forecast.trials:,} trials, seed {forecast.seed}"
        if previous is not None:
            from teamcast.engine import forecast_changes

            changes = forecast_changes(previous.projects, forecast.projects)
            text = "\n".join(c.sentence() for c in changes) or "no project moved by a day or more"
            self.notify(text, title="what changed")
            # The status line keeps the news after the notification fades (and when it is hidden).
            more = f" (+{len(changes) - 1} more)" if len(changes) > 1 else ""
            note += f" · {changes[0].sentence()}{more}" if changes else " · nothing moved by a day"
        self.forecast_note = note
        self._data_changed()

    # --- edits and what-ifs -------------------------------------------------------------------
    def refuse_write(self, what: str) -> bool:
        """True (and a notification) when the app is read-only: `what` was not saved."""
        if self.read_only:
            self.notify(f"read-only view: {what} was not saved", title="read-only", severity="warning", timeout=8)
        return self.read_only

    def row_version(self, table: str, row_id: str) -> int:
        """The version an edit must name, after catching up with any other session's changes.

        Call it before reading the row's data from `self.plan`. The row's version is read first: the
        plan on screen is then as new (the workspace did not change since it was read) or newer
        (reloaded here), never older than the version the edit names."""
        assert self.workspace is not None
        version = self.workspace.row_version(table, row_id)
        if self.workspace.plan_version() != self.plan_version:
            self.reload()
            self.notify("another session changed the workspace; showing its latest state", title="reloaded")
        return version

    def save_row(self, table: str, row_id: str, changes: dict[str, Any], version: int) -> bool:
        """Write one edit in one transaction, then re-forecast; False (and a message) when refused."""
        assert self.workspace is not None
        if self.refuse_write("the edit"):
            return False
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
        # A save records its (full) forecast; a provisional small run shows the edit's effect first
        # where the full run is slow (or its time not known yet).
        last = self.last_forecast_seconds
        quick = last is None or last >= self.PROVISIONAL_AFTER_S
        self.run_forecast(self.plan, self.trials, self.seed, record=True, quick=quick)
        return True

    def save_answers(self, answers: dict[str, str | None]) -> bool:
        """Write the org questionnaire's answers (None clears one); False (and a message) when refused.

        One transaction, refused when another session changed the workspace since it was loaded.
        """
        assert self.workspace is not None
        if self.refuse_write("the answers"):
            return False
        from teamcast.engine import with_answers

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
        if scenario is None or self.workspace is None or self.refuse_write("the what-if"):
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
