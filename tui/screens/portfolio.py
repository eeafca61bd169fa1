"""Portfolio: every project's forecast; Enter drills into one project's tasks, challenges and charts.

The app's first screen: it imports only what its table needs (the project screen, charts and
what-ifs load when first used), so that it paints soon after launch.
"""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from teamcast.tui.screens.base import AreaScreen, fmt_p

NAME_WIDTH = 20  # the least: room for every column at 80 columns
OTHER_COLUMNS = 60  # what the seven figure columns and the table's padding take


def _short_date(date) -> str:
    return date.strftime("%b %d") if date else "–"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class PortfolioScreen(AreaScreen):
    """When each project lands, with what probability, and what it is worth (lecture §3)."""

    BINDINGS = [
        Binding("enter", "open_project", "Open project", id="portfolio.open"),
        Binding("w", "whatif_drop", "What-if: drop project", id="portfolio.whatif"),
        Binding("O", "optimise", "Optimise order", id="portfolio.optimise"),
    ]

    def body(self) -> ComposeResult:
        with VerticalScroll(id="portfolio-body"):
            yield DataTable(id="projects", cursor_type="row", zebra_stripes=True)
            yield Static(id="portfolio-hint")

    def setup(self) -> None:
        self.query_one("#projects", DataTable).add_columns(
            "project", "P50", "P80", "P95", "P(ok)", "P(time)", "due", "EV"
        )

    def show(self) -> None:
        plan, forecast, recorded = self.app.plan, self.app.forecast, self.app.recorded
        table = self.query_one("#projects", DataTable)
        cursor = table.cursor_row
        table.clear()
        # Until the first live run lands, the workspace's last recorded forecast (labelled as such).
        shown = forecast.projects if forecast else recorded.projects if recorded else None
        figures = {row["id"]: row for row in shown.to_dicts()} if shown is not None else {}
        for p in plan.projects.iter_rows(named=True):
            f = figures.get(p["id"])
            deadline = _short_date(p["deadline"])
            name = _clip(p["name"] or p["id"], max(NAME_WIDTH, self.size.width - OTHER_COLUMNS))
            if f is None:
                table.add_row(name, "…", "…", "…", "…", "…", deadline, "…", key=p["id"])
                continue
            dates = [_short_date(f[f"date_p{q}"]) for q in (50, 80, 95)]
            table.add_row(
                name,
                *dates,
                fmt_p(f["p_success"]),
                fmt_p(f["p_on_time"]),
                deadline,
                f"{f['expected_value']:.1f}",
                key=p["id"],
            )
        table.move_cursor(row=min(cursor, max(table.row_count - 1, 0)))
        hint = "Enter: tasks and charts · w: what-if without it · f: forecast again"
        if plan.plan.height:
            hint = f"Dates in {plan.start.year} if it succeeds; P(time): succeeds by due. " + hint
        if forecast is None and recorded is not None:
            label = escape(recorded.label(self.app.plan_version))
            then = "a new forecast is running" if self.app.full_run_pending() else "f runs a new forecast"
            hint = f"[b]Shown: the {label}[/b]; {then}.\n" + hint
        elif forecast is not None and self.app.provisional:
            then = "follow" if self.app.full_run_pending() else "did not run: f runs them"
            hint = f"[b]Provisional: {forecast.trials:,} trials[/b]; the full {self.app.trials:,} {then}.\n" + hint
        if plan.projects.height == 0:
            hint = "No projects: import a plan with `teamcast import plan.toml --into WORKSPACE`."
        self.query_one("#portfolio-hint", Static).update(hint)

    def on_resize(self) -> None:
        if self.app.workspace is not None:
            self.redraw_if_stale()  # names as long as the new width allows

    def _selected(self) -> str | None:
        table = self.query_one("#projects", DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_project()

    def action_open_project(self) -> None:
        project = self._selected()
        if project is not None:
            from teamcast.tui.screens.project import ProjectScreen

            self.app.push_screen(ProjectScreen(project))

    def action_optimise(self) -> None:
        self.app.action_optimise()

    def action_whatif_drop(self) -> None:
        project = self._selected()
        if project is not None:
            from teamcast.tui.scenario import drop_project

            version = self.app.row_version("projects", project)  # before the plan it drops from
            self.app.start_whatif(drop_project(self.app.plan, project, version))
