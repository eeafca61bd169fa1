"""Roster: people with their skills, capacity and forecast utilization; open hires; the skills chart."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Label, Static

from teamcast.engine.calendar import Calendar
from teamcast.engine.model import ROLE_TITLE
from teamcast.tui import charts
from teamcast.tui.scenario import add_person
from teamcast.tui.screens.base import AreaScreen, fmt_p


class RosterScreen(AreaScreen):
    """Who we have and who is coming (lecture §1, §4)."""

    BINDINGS = [
        Binding("e", "edit_person", "Edit person", id="roster.edit"),
        Binding("w", "whatif_hire", "What-if: +1 of role", id="roster.whatif"),
    ]

    def body(self) -> ComposeResult:
        with VerticalScroll(id="roster-body"):
            yield Label("[b]People[/b]")
            yield DataTable(id="people", cursor_type="row", zebra_stripes=True)
            yield Label("[b]Open hires[/b]")
            yield DataTable(id="hires", cursor_type="row")
            yield Label("[b]Skills[/b] (lecture §1 axes; role letters are the lecture's reference points)")
            yield Static(id="skills-chart")

    def setup(self) -> None:
        self.query_one("#people", DataTable).add_columns("id", "name", "role", "team", "ml", "swe", "comm", "capacity", "util.")
        self.query_one("#hires", DataTable).add_columns("id", "role", "team", "expected arrival", "ramp")

    def show(self) -> None:
        plan, forecast = self.app.plan, self.app.forecast
        utilization = dict(zip(forecast.people["id"], forecast.people["utilization"], strict=True)) if forecast else {}
        people = self.query_one("#people", DataTable)
        people.clear()
        for p in plan.people.iter_rows(named=True):
            people.add_row(
                p["id"], p["name"] or "", _role(p["role"]), p["team"] or "",
                *(_skill(p[f"skill_{axis}"]) for axis in ("ml", "swe", "comm")),
                fmt_p(p["capacity"] if p["capacity"] is not None else 1.0), fmt_p(utilization.get(p["id"])),
                key=p["id"],
            )
        hires = self.query_one("#hires", DataTable)
        hires.clear()
        calendar = Calendar(plan.start, plan.holidays) if plan.plan.height else None
        from teamcast.engine.hiring import pert_mean

        for h in plan.hires.iter_rows(named=True):
            mean = pert_mean(h["tth_low"], h["tth_likely"], h["tth_high"])
            arrival = calendar.day_to_date(mean).isoformat() if calendar and mean is not None else "–"
            ramp = f"{h['ramp_days']:.0f} d at {fmt_p(h['ramp_productivity'])}" if h["ramp_days"] else "–"
            hires.add_row(h["id"], _role(h["role"]), h["team"] or "", arrival, ramp, key=h["id"])
        self.query_one("#skills-chart", Static).update("\n".join(_skills_lines(plan)))

    def _selected(self) -> dict | None:
        table = self.query_one("#people", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        rows = self.app.plan.people.filter(self.app.plan.people["id"] == key).to_dicts()
        return rows[0] if rows else None

    def action_edit_person(self) -> None:
        from teamcast.tui.screens.forms import PersonForm

        person = self._selected()
        if person is not None:
            self.app.push_screen(PersonForm(person, self.app.row_version("people", person["id"])))

    def action_whatif_hire(self) -> None:
        person = self._selected()
        if person is not None:
            self.app.start_whatif(add_person(self.app.plan, person["role"]))


def _skills_lines(plan) -> list[str]:
    from teamcast.engine.roster import skills_chart

    return charts.skills_chart(skills_chart(plan)) + list(charts.SKILLS_LEGEND)


def _role(role: str | None) -> str:
    return ROLE_TITLE.get(role, role or "")  # type: ignore[call-overload]


def _skill(level: int | None) -> str:
    return "–" if level is None else str(level)
