"""One project (opened from Portfolio): its tasks and challenges with estimates and forecasts, and two charts."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, Static, Tree
from textual.widgets.tree import TreeNode

from teamcast.engine import Calendar
from teamcast.tui import charts
from teamcast.tui.scenario import edit_row
from teamcast.tui.screens.base import AreaScreen


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
        # What the tree was built from, its nodes, and its widest label.
        self._built: tuple[tuple, list[_Built], int] | None = None
        self._chart_sizes: dict[str, tuple[int, int]] = {}

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
        by_id = {t["id"]: t for t in tasks.to_dicts()}
        # The tree as (parent index or None, label, data), parents before their children.
        nodes: list[tuple[int | None, str, tuple[str, str]]] = []
        in_challenge: set[str] = set()
        for c in plan.challenges.filter(pl.col("project") == self.project).iter_rows(named=True):
            label = f"◆ {escape(c['title'] or c['id'])} " + escape(f"[{c['strategy']}]")
            parent = len(nodes)
            nodes.append((None, label, ("challenges", c["id"])))
            for approach in c["approaches"] or []:
                in_challenge.add(approach)
                if approach in by_id:
                    nodes.append((parent, _task_label(by_id[approach], figures.get(approach)), ("tasks", approach)))
        for t in by_id.values():
            if t["id"] not in in_challenge:
                nodes.append((None, _task_label(t, figures.get(t["id"])), ("tasks", t["id"])))
        self._fill_tree(f"[b]{escape(name)}[/b]", nodes)
        self._update_chart("#distribution", self._distribution(plan, forecast))
        self._update_chart("#likelihood", self._likelihood(tasks, figures))

    def _fill_tree(self, root_label: str, nodes: list[tuple[int | None, str, tuple[str, str]]]) -> None:
        """The tree as `nodes` say. After a save or a new forecast it usually has the same nodes with new
        figures: their labels change in place (a redraw of those lines) instead of a rebuild (a relayout)."""
        tree = self.query_one(Tree)
        shape = (root_label, tuple((parent, data) for parent, _, data in nodes))
        widest = max((len(label) for _, label, _ in nodes), default=0)
        # In place only where no label outgrows the widest one built (the tree's width stays right).
        if self._built is not None and self._built[0] == shape and widest <= self._built[2]:
            for kept, (_, label, _) in zip(self._built[1], nodes, strict=True):
                if kept.label != label:
                    kept.node.set_label(label)
                    kept.label = label
            return
        cursor = tree.cursor_line
        tree.clear()
        tree.root.set_label(root_label)
        built: list[_Built] = []
        for parent, label, data in nodes:
            if parent is not None:
                node = built[parent].node.add_leaf(label, data=data)
            elif data[0] == "challenges":
                node = tree.root.add(label, data=data, expand=True)
            else:
                node = tree.root.add_leaf(label, data=data)
            built.append(_Built(node, label))
        tree.root.expand()
        tree.cursor_line = max(cursor, 0)
        self._built = (shape, built, widest)

    def _update_chart(self, selector: str, lines: list[str]) -> None:
        # As many lines, none longer: the widget keeps its size, so new figures need no relayout.
        size = (len(lines), max(map(len, lines), default=0))
        same = self._chart_sizes.get(selector) == size
        self._chart_sizes[selector] = size
        self.query_one(selector, Static).update("\n".join(lines), layout=not same)

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


@dataclass
class _Built:
    """A node of the tree as built, with the label it was given."""

    node: TreeNode
    label: str


def _task_label(task: dict, figure: dict | None) -> str:
    estimate = "/".join("–" if task[c] is None else f"{task[c]:g}" for c in ("est_low", "est_likely", "est_high"))
    p = task["p_success"] if task["p_success"] is not None else 1.0
    status = task["status"] or "todo"
    crit = f" c{figure['criticality']:.0%}" if figure else ""
    return f"{escape(task['id'])} {estimate} {p:.0%} {status}{crit}"
