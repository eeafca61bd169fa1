"""Roster: people with their skills, capacity, forecast utilization and growth evidence; coverage by
role; open hires with their expected arrival and posting review; the skills chart; and, on demand,
which extra person would move the projects most (a thread worker)."""

from __future__ import annotations

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Label, Static
from textual.worker import Worker, WorkerState, get_current_worker

from teamcast.engine import (
    GROWTH_SOURCE,
    ROLE_TITLE,
    Bottleneck,
    Calendar,
    Plan,
    bottlenecks,
    coverage,
    growth,
    open_positions,
    simulate,
)
from teamcast.tui import charts
from teamcast.tui.screens.base import AreaScreen, fmt_p

BOTTLENECK_TRIALS = 2_000  # per simulation; the worker runs one per role plus the baseline
SHOWN_BOTTLENECKS = 8
TIER_BADGE = {"shown": "✓", "some": "~", "not shown": "✗", "unknown": "?"}


class RosterScreen(AreaScreen):
    """Who we have and who is coming (lecture §1, §4)."""

    BINDINGS = [
        Binding("e", "edit_person", "Edit person", id="roster.edit"),
        Binding("w", "whatif_hire", "What-if: open a position", id="roster.whatif"),
        Binding("b", "bottlenecks", "Bottlenecks: +1 per role", id="roster.bottlenecks"),
        Binding("c", "cancel", "Cancel runs", id="roster.cancel", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.found: list[Bottleneck] | None = None
        self.found_version: int | None = None  # the plan version the bottlenecks were computed on
        self.running: str = ""

    def body(self) -> ComposeResult:
        with VerticalScroll(id="roster-body"):
            yield Label("[b]People[/b] (select one for its growth evidence)")
            yield DataTable(id="people", cursor_type="row", zebra_stripes=True)
            yield Static(id="growth", classes="panel")
            yield Label("[b]Bottlenecks[/b] (b: simulate one extra person of each role)")
            yield Static(id="bottlenecks", classes="panel")
            yield Label("[b]Coverage by role[/b] (open effort against capacity; teamcast's naive reading)")
            yield DataTable(id="coverage", cursor_type="row")
            yield Label(
                "[b]Open hires[/b] (arrival: PERT mean of time to hire; posting review: Lecture 13, §4, teamcast's thresholds)"
            )
            yield DataTable(id="hires", cursor_type="row")
            yield Static(id="postings", classes="panel")
            yield Label(
                "[b]Skills[/b] (Lecture 13, §1 (figure): role letters are the lecture's reference points, read off its figure)"
            )
            yield Static(id="skills-chart")

    def setup(self) -> None:
        self.query_one("#people", DataTable).add_columns(
            "id", "name", "role", "team", "ml", "swe", "comm", "capacity", "util."
        )
        self.query_one("#coverage", DataTable).add_columns(
            "role", "people", "hires", "open days", "per day", "clears by", "covered"
        )
        self.query_one("#hires", DataTable).add_columns(
            "id", "role", "team", "expected arrival", "ramp", "posting", "describes"
        )

    def show(self) -> None:
        plan, forecast = self.app.plan, self.app.forecast
        calendar = Calendar(plan.start, plan.holidays) if plan.plan.height and plan.start else None
        utilization = dict(zip(forecast.people["id"], forecast.people["utilization"], strict=True)) if forecast else {}
        people = self.query_one("#people", DataTable)
        cursor = people.cursor_row
        people.clear()
        for p in plan.people.iter_rows(named=True):
            people.add_row(
                p["id"],
                p["name"] or "",
                _role(p["role"]),
                p["team"] or "",
                *(_skill(p[f"skill_{axis}"]) for axis in ("ml", "swe", "comm")),
                fmt_p(p["capacity"] if p["capacity"] is not None else 1.0),
                fmt_p(utilization.get(p["id"])),
                key=p["id"],
            )
        people.move_cursor(row=min(cursor, max(people.row_count - 1, 0)))
        self._show_growth()
        self._show_bottlenecks()
        self._show_coverage(plan, calendar)
        self._show_hires(plan)
        self.query_one("#skills-chart", Static).update("\n".join(_skills_lines(plan)))

    def _show_coverage(self, plan: Plan, calendar: Calendar | None) -> None:
        table = self.query_one("#coverage", DataTable)
        table.clear()
        for row in coverage(plan).iter_rows(named=True):
            clear = row["clear_day"]
            clears_by = (
                "never"
                if clear is None
                else calendar.day_to_date(clear).isoformat()
                if calendar
                else f"day {clear:.0f}"
            )
            table.add_row(
                _role(row["role"]),
                str(row["people"]),
                str(row["hires"]),
                f"{row['demand_days']:.0f}",
                f"{row['capacity_per_day']:.1f}",
                clears_by,
                "✓" if row["covered"] else "✗ no one",
                key=row["role"],
            )

    def _show_hires(self, plan: Plan) -> None:
        hires = self.query_one("#hires", DataTable)
        hires.clear()
        ramps = {h["id"]: h for h in plan.hires.iter_rows(named=True)}
        notes = []
        for position in open_positions(plan):
            hire = ramps[position.id]
            ramp = f"{hire['ramp_days']:.0f} d at {fmt_p(hire['ramp_productivity'])}" if hire["ramp_days"] else "–"
            review = position.posting
            verdict = (
                f"unicorn: {len(review.roles)} roles"
                if review.is_unicorn
                else "too many"
                if review.too_many
                else "specific"
            )
            arrival = position.expected_date.isoformat() if position.expected_date else "–"
            described = ", ".join(_role(r) for r in review.described) or "–"
            hires.add_row(
                position.id,
                _role(position.role),
                position.team or "",
                arrival,
                ramp,
                verdict,
                described,
                key=position.id,
            )
            notes += [f"⚠ {escape(position.id)}: {escape(m)}" for m in review.messages()]
        self.query_one("#postings", Static).update("\n".join(notes) or "✓ every posting is specific")

    def _show_growth(self) -> None:
        person = self._selected()
        panel = self.query_one("#growth", Static)
        if person is None:
            panel.update("")
            return
        found = growth(self.app.plan, person["id"])
        lines = [
            f"[b]Growth[/b]: {escape(found.name or found.person)} (teamcast's lens on the five ways to stand out "
            f"that {GROWTH_SOURCE} gives job seekers; inputs only)"
        ]
        lines += [
            f"{TIER_BADGE.get(t.status, '?')} {t.tier} {t.title}: {t.status} ({escape(t.evidence)})"
            for t in found.tiers
        ]
        lines.append(f"→ {escape(found.next_step())}")
        panel.update("\n".join(lines))

    def _show_bottlenecks(self) -> None:
        panel = self.query_one("#bottlenecks", Static)
        if self.running:
            panel.update(self.running)
        elif self.found is None:
            panel.update("Press b to rank the roles: the plan is simulated once per role with one more person.")
        else:
            panel.update("\n".join(bottleneck_lines(self.found, stale=self.found_version != self.app.plan_version)))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "people":
            self._show_growth()

    def _selected(self) -> dict | None:
        table = self.query_one("#people", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        rows = self.app.plan.people.filter(self.app.plan.people["id"] == key).to_dicts()
        return rows[0] if rows else None

    # --- actions ----------------------------------------------------------------------------
    def action_edit_person(self) -> None:
        from teamcast.tui.screens.forms import PersonForm

        person = self._selected()
        if person is not None:  # the version first, then the row as the plan now holds it
            version = self.app.row_version("people", person["id"])
            rows = self.app.plan.people.filter(self.app.plan.people["id"] == person["id"]).to_dicts()
            if rows:
                self.app.push_screen(PersonForm(rows[0], version))

    def action_whatif_hire(self) -> None:
        person = self._selected()
        if person is not None:
            self.app.action_whatif_hire(person["role"])

    def action_bottlenecks(self) -> None:
        if self.app.plan.people.height == 0 or self.app.plan.projects.height == 0:
            self.notify("bottlenecks need people and projects", severity="warning")
            return
        self.running = "simulating…"
        self._show_bottlenecks()
        self.query_one("#bottlenecks", Static).scroll_visible()
        self.run_bottlenecks(
            self.app.plan, self.app.plan_version, min(self.app.trials, BOTTLENECK_TRIALS), self.app.seed
        )

    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "bottlenecks")
        self.app.action_cancel_forecast()

    # --- the worker -------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="bottlenecks", name="bottlenecks")
    def run_bottlenecks(self, plan: Plan, version: int, trials: int, seed: int) -> tuple[int, list[Bottleneck]]:
        """The ranked bottlenecks of `plan`; progress per simulation, cancellable between chunks."""
        worker = get_current_worker()
        total = plan.people["role"].n_unique() + 1
        done = 0

        def one_run(variant: Plan, *, trials: int, seed: int):
            nonlocal done
            done += 1
            note = f"simulating {done} of {total} ({trials:,} trials each)… c cancels"
            self.app.call_from_thread(self._progress, note)
            return simulate(variant, trials=trials, seed=seed, chunk_trials=1024, cancel=lambda: worker.is_cancelled)

        return version, bottlenecks(plan, trials=trials, seed=seed, simulate=one_run)

    def _progress(self, note: str) -> None:
        self.running = note
        self._show_bottlenecks()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "bottlenecks" and event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self.running = ""
            self._show_bottlenecks()
        super().on_worker_state_changed(event)

    def worker_done(self, name: str, result) -> None:
        if name == "bottlenecks":
            self.found_version, self.found = result
            self.running = ""
            self._show_bottlenecks()


def bottleneck_lines(found: list[Bottleneck], *, stale: bool) -> list[str]:
    """The largest gains first; a note when nothing moves or the plan changed since."""
    moving = [b for b in found if round(b.delta_days) < 0]
    lines = [f"{n}. {escape(b.sentence())}" for n, b in enumerate(moving[:SHOWN_BOTTLENECKS], start=1)]
    if not moving:
        lines = ["No extra person moves any project's P80 by a day or more."]
    elif len(moving) > SHOWN_BOTTLENECKS:
        lines.append(f"… and {len(moving) - SHOWN_BOTTLENECKS} smaller moves")
    if stale:
        lines.append("The plan changed since: press b again.")
    return lines


def _skills_lines(plan) -> list[str]:
    from teamcast.engine import skills_chart

    return charts.skills_chart(skills_chart(plan)) + list(charts.SKILLS_LEGEND)


def _role(role: str | None) -> str:
    return ROLE_TITLE.get(role, role or "")  # type: ignore[call-overload]


def _skill(level: int | None) -> str:
    return "–" if level is None else str(level)
