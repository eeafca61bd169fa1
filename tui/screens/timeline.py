"""Timeline: one lane per person, open position and pool, bars from the point schedule, forecast whiskers."""

from __future__ import annotations

import polars as pl
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from teamcast.engine import Plan, build_timeline, deterministic_schedule
from teamcast.tui.screens.base import AreaScreen, teamcast_app
from teamcast.tui.timeline import TimelineView


class TimelineScroll(VerticalScroll, can_focus=False):
    """Scrolls the lanes up and down; the timeline itself keeps the keys."""


class TimelineScreen(AreaScreen):
    """Who does what when: the point schedule (every task at its likely duration, every one succeeding)."""

    BINDINGS = [
        Binding("enter", "open_task", "Open task", id="timeline.open"),
        Binding("z", "zoom", "Zoom week/month", id="timeline.zoom"),
        Binding("[", "scroll_window(-1)", "Earlier", id="timeline.earlier"),
        Binding("]", "scroll_window(1)", "Later", id="timeline.later"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.shown_version: tuple[int, int] | None = None

    def body(self) -> ComposeResult:
        with TimelineScroll(id="timeline-body"):
            yield TimelineView(id="timeline")
        yield Static("", id="timeline-detail")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(TimelineView).focus()

    def show(self) -> None:
        plan, forecast = teamcast_app(self).plan, teamcast_app(self).forecast
        view = self.query_one(TimelineView)
        if plan.plan.height == 0:
            self.query_one("#timeline-detail", Static).update("No plan: import one with `teamcast import`.")
            return
        # The point schedule depends on the plan only: the app keeps it per plan version, computed
        # off the UI thread (here, or by the app's warm-up after its first forecast).
        schedule = teamcast_app(self).point_schedule()
        if schedule is None and plan.tasks.height:
            self.query_one("#timeline-detail", Static).update("computing the point schedule…")
            self.compute_schedule(plan, teamcast_app(self).plan_version)
            return
        # The bars are rebuilt only when the plan or the forecast changed.
        key = (teamcast_app(self).plan_version, id(forecast))
        if key != self.shown_version or view.timeline is None:
            self.shown_version = key
            timeline = build_timeline(plan, forecast.projects if forecast is not None else None, schedule)
            today = teamcast_app(self).today or plan.start
            view.set_timeline(timeline, timeline.calendar.date_to_day(today))
        self._detail()

    @work(thread=True, exclusive=True, group="timeline", name="schedule")
    def compute_schedule(self, plan: Plan, version: int) -> tuple[int, pl.DataFrame]:
        return version, deterministic_schedule(plan)

    def worker_done(self, name: str, result) -> None:
        if name == "schedule":
            teamcast_app(self).keep_schedule(*result)
            self.show()

    def on_timeline_view_moved(self, _: TimelineView.Moved) -> None:
        self._detail()

    def _detail(self) -> None:
        view = self.query_one(TimelineView)
        bar = view.selected()
        if bar is None:
            text = "no bar here · Enter opens a task · z zooms · [ ] scroll"
        else:
            assert view.timeline is not None  # a selected bar comes from it
            cal = view.timeline.calendar
            start, finish = cal.day_to_date(bar.start), cal.finish_date(max(bar.finish, bar.start + 1e-9))
            text = (
                f"[b]{bar.task}[/b] ({bar.mark}) {bar.title}\n"
                f"{start:%a %b %d} → {finish:%a %b %d} · {bar.finish - bar.start:.0f} working days "
                "(point schedule: likely durations, all succeed)"
            )
        self.query_one("#timeline-detail", Static).update(text)

    # --- actions ------------------------------------------------------------------------------
    def action_zoom(self) -> None:
        view = self.query_one(TimelineView)
        view.set_zoom("month" if view.zoom == "week" else "week")
        self.notify(f"zoom: {'a week' if view.zoom == 'month' else 'a working day'} per column", timeout=2)

    def action_scroll_window(self, step: int) -> None:
        view = self.query_one(TimelineView)
        view.scroll_days(step * (5 if view.zoom == "week" else 4))  # a week, or about a month

    def action_open_task(self) -> None:
        from teamcast.tui.screens.forms import TaskForm

        bar = self.query_one(TimelineView).selected()
        if bar is None:
            self.notify("no task under the cursor (arrows move between bars)", severity="warning")
            return
        if bar.task not in teamcast_app(self).plan.tasks["id"]:
            return
        version = teamcast_app(self).row_version("tasks", bar.task)  # before the data: see row_version
        rows = teamcast_app(self).plan.tasks.filter(pl.col("id") == bar.task)
        if rows.height == 0:
            return
        teamcast_app(self).push_screen(TaskForm(rows.row(0, named=True), version))
