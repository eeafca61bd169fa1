"""Portfolio: every project's forecast; Enter drills into one project's tasks, challenges and charts."""

from __future__ import annotations

import polars as pl
from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Label, Static, Tree

from teamcast.engine import Calendar
from teamcast.tui import charts
from teamcast.tui.scenario import drop_project, edit_row
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
        plan, forecast = self.app.plan, self.app.forecast
        table = self.query_one("#projects", DataTable)
        cursor = table.cursor_row
        table.clear()
        figures = {row["id"]: row for row in forecast.projects.to_dicts()} if forecast else {}
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
        if plan.projects.height == 0:
            hint = "No projects: import a plan with `teamcast import plan.toml --into WORKSPACE`."
        self.query_one("#portfolio-hint", Static).update(hint)

    def on_resize(self) -> None:
        if self.app.workspace is not None:
            self.show()  # names as long as the new width allows

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
            self.app.push_screen(ProjectScreen(project))

    def action_optimise(self) -> None:
        self.app.action_optimise()

    def action_whatif_drop(self) -> None:
        project = self._selected()
        if project is not None:
            self.app.start_whatif(drop_project(self.app.plan, project, self.app.row_version("projects", project)))


class ProjectScreen(AreaScreen):
    """One project: its tasks and challenges with estimates and forecasts, and two charts."""

    BINDINGS = [
        Binding("escape,backspace", "back", "Back", id="project.back"),
        Binding("e", "edit", "Edit task", id="project.edit"),
        Binding("w", "whatif", "What-if", id="project.whatif"),
    ]

    def __init__(self, project: str):
        super().__init__()
        self.project = project

    def body(self) -> ComposeResult:
        with Horizontal(id="project-body"):
            yield Tree("project", id="task-tree")
            with VerticalScroll(id="project-charts"):
                yield Label("[b]Completion dates[/b] (all trials)")
                yield Static(id="distribution")
                yield Label("[b]Likelihood × importance[/b]\nteamcast's own chart (not from the lecture)")
                yield Static(id="likelihood")

    def show(self) -> None:
        plan, forecast = self.app.plan, self.app.forecast
        rows = plan.projects.filter(pl.col("id") == self.project)
        if rows.height == 0:
            self.app.pop_screen()
            return
        name = rows["name"][0] or self.project
        tasks = plan.tasks.filter(pl.col("project") == self.project)
        figures = {r["id"]: r for r in forecast.tasks.to_dicts()} if forecast else {}
        tree = self.query_one(Tree)
        cursor = tree.cursor_line
        tree.clear()
        tree.root.set_label(f"[b]{escape(name)}[/b]")
        by_id = {t["id"]: t for t in tasks.to_dicts()}
        in_challenge: set[str] = set()
        for c in plan.challenges.filter(pl.col("project") == self.project).iter_rows(named=True):
            label = f"◆ {escape(c['title'] or c['id'])} " + escape(f"[{c['strategy']}]")
            node = tree.root.add(label, data=("challenges", c["id"]), expand=True)
            for approach in c["approaches"] or []:
                in_challenge.add(approach)
                if approach in by_id:
                    node.add_leaf(_task_label(by_id[approach], figures.get(approach)), data=("tasks", approach))
        for t in by_id.values():
            if t["id"] not in in_challenge:
                tree.root.add_leaf(_task_label(t, figures.get(t["id"])), data=("tasks", t["id"]))
        tree.root.expand()
        tree.cursor_line = max(cursor, 0)
        self.query_one("#distribution", Static).update("\n".join(self._distribution(plan, forecast)))
        self.query_one("#likelihood", Static).update("\n".join(self._likelihood(tasks, figures)))

    def _distribution(self, plan, forecast) -> list[str]:
        if forecast is None or self.project not in forecast.projects["id"].to_list():
            return ["waiting for the forecast…"]
        column = forecast.projects["id"].to_list().index(self.project)
        calendar = Calendar(plan.start, plan.holidays)
        return charts.distribution(forecast.project_finish[:, column], calendar.finish_date, width=36)

    @staticmethod
    def _likelihood(tasks: pl.DataFrame, figures: dict) -> list[str]:
        rows = [
            {
                "id": t["id"],
                "likelihood": t["p_success"] if t["p_success"] is not None else 1.0,
                "importance": figures[t["id"]]["criticality"] if t["id"] in figures else None,
            }
            for t in tasks.iter_rows(named=True)
        ]
        frame = pl.DataFrame(rows, schema={"id": pl.String, "likelihood": pl.Float64, "importance": pl.Float64})
        return charts.likelihood_importance(frame) + ["importance = criticality in the forecast"]

    def _cursor(self) -> tuple[str, str] | None:
        node = self.query_one(Tree).cursor_node
        return node.data if node is not None and node.data else None

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_edit(self, whatif: bool = False) -> None:
        from teamcast.tui.screens.forms import TaskForm

        target = self._cursor()
        if target is None or target[0] != "tasks":
            self.notify("select a task to edit (arrows, then e)", severity="warning")
            return
        version = self.app.row_version("tasks", target[1])
        task = self.app.plan.tasks.filter(pl.col("id") == target[1]).row(0, named=True)
        self.app.push_screen(TaskForm(task, version, whatif=whatif))

    def action_whatif(self) -> None:
        """On a challenge: switch its strategy; on a task: the edit form, simulated instead of saved."""
        target = self._cursor()
        if target is not None and target[0] == "challenges":
            challenge = self.app.plan.challenges.filter(pl.col("id") == target[1]).row(0, named=True)
            other = "sequential" if challenge["strategy"] == "parallel" else "parallel"
            version = self.app.row_version("challenges", target[1])
            label = f"{target[1]} {other}"
            self.app.start_whatif(edit_row(self.app.plan, "challenges", target[1], {"strategy": other}, version, label))
            return
        self.action_edit(whatif=True)


def _task_label(task: dict, figure: dict | None) -> str:
    estimate = "/".join("–" if task[c] is None else f"{task[c]:g}" for c in ("est_low", "est_likely", "est_high"))
    p = task["p_success"] if task["p_success"] is not None else 1.0
    status = task["status"] or "todo"
    crit = f" c{figure['criticality']:.0%}" if figure else ""
    return f"{escape(task['id'])} {estimate} {p:.0%} {status}{crit}"
