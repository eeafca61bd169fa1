"""The timeline without Textual: who does what when, as lanes of bars, and each project's forecast whisker.

Bars come from the deterministic schedule (every duration at its point value, every task
succeeding: teamcast's one "most likely" schedule, not a forecast); the whiskers come from the
Monte Carlo forecast (P50, P80, P95 completion, conditional on the project succeeding). Positions
are working days from the plan's day 0, the engine's own clock. `grid` lays one lane over a
window of columns so the terminal app (and a plain test) can draw it cell by cell.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import polars as pl

from teamcast.engine.plan.calendar import Calendar
from teamcast.engine.plan.model import Plan

# How many working days one column covers in each zoom: a day per column, or a week per column.
ZOOMS: dict[str, float] = {"week": 1.0, "month": 5.0}


@dataclass(frozen=True)
class Bar:
    """One task in one lane: working days [start, finish) and what became of it."""

    task: str
    project: str
    title: str
    start: float
    finish: float
    mark: str  # "done" | "doing" | "todo" | "failed"


@dataclass(frozen=True)
class Lane:
    """A person, an open position (a hire) or a pool of shared units, with the bars it holds."""

    id: str
    label: str
    kind: str  # "person" | "hire" | "pool" | "unassigned"
    bars: tuple[Bar, ...]
    units: int = 1  # a pool's size; bars of a pool may overlap up to it
    arrives: float | None = None  # a hire's likely first day


@dataclass(frozen=True)
class Whisker:
    """A project's forecast: P50, P80, P95 completion (working days, conditional on success) and its deadline."""

    project: str
    name: str
    p50: float | None
    p80: float | None
    p95: float | None
    deadline: float | None
    p_success: float | None


@dataclass(frozen=True)
class Timeline:
    lanes: tuple[Lane, ...]
    whiskers: tuple[Whisker, ...]
    calendar: Calendar
    first: float  # the earliest day anything shows
    last: float  # the latest
    abandoned: tuple[str, ...] = field(default=())  # approaches the schedule never runs (another one won)

    def bar(self, task: str) -> Bar | None:
        return next((b for lane in self.lanes for b in lane.bars if b.task == task), None)


def _num(x) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def build_timeline(plan: Plan, projects: pl.DataFrame | None = None, schedule: pl.DataFrame | None = None) -> Timeline:
    """Lanes (people in plan order, then open positions, then pools) and one whisker per project.

    `projects` is a forecast's project table (columns id, p50, p80, p95, p_success); without it the
    whiskers are empty. `schedule` defaults to `deterministic_schedule(plan)`.
    """
    from teamcast.engine.forecast.schedule import deterministic_schedule

    calendar = Calendar(plan.start, plan.holidays)
    if schedule is None:
        schedule = deterministic_schedule(plan) if plan.tasks.height else None
    tasks = {t["id"]: t for t in plan.tasks.iter_rows(named=True)}
    held: dict[str, list[Bar]] = {}
    scheduled: set[str] = set()
    for row in schedule.iter_rows(named=True) if schedule is not None else ():
        task = tasks.get(row["task"], {})
        bar = Bar(
            row["task"],
            row["project"],
            task.get("title") or "",
            row["start"],
            max(row["finish"], row["start"]),
            task.get("status") or "todo",
        )
        scheduled.add(row["task"])
        units = {u.split("#")[0] for u in row["who"]} or {""}
        for unit in units:
            held.setdefault(unit, []).append(bar)

    lanes: list[Lane] = []
    for p in plan.people.iter_rows(named=True):
        lanes.append(Lane(p["id"], p["name"] or p["id"], "person", tuple(held.pop(p["id"], []))))
    for h in plan.hires.iter_rows(named=True):
        label = f"open: {h['name'] or h['id']}"
        lanes.append(Lane(h["id"], label, "hire", tuple(held.pop(h["id"], [])), arrives=_num(h["tth_likely"])))
    for pool in plan.pools.iter_rows(named=True):
        bars = tuple(held.pop(pool["id"], []))
        lanes.append(Lane(pool["id"], f"{pool['id']} ×{pool['units']}", "pool", bars, units=int(pool["units"])))
    if held.get(""):
        lanes.append(Lane("", "unassigned", "unassigned", tuple(held.pop(""))))
    for unit, unit_bars in held.items():  # a unit the plan no longer names: still show the work
        lanes.append(Lane(unit, unit, "person", tuple(unit_bars)))

    figures = {r["id"]: r for r in projects.iter_rows(named=True)} if projects is not None else {}
    whiskers = []
    for p in plan.projects.iter_rows(named=True):
        f = figures.get(p["id"], {})
        deadline = calendar.end_of_day(p["deadline"]) if p["deadline"] is not None else None
        whiskers.append(
            Whisker(
                p["id"],
                p["name"] or p["id"],
                _num(f.get("p50")),
                _num(f.get("p80")),
                _num(f.get("p95")),
                deadline,
                _num(f.get("p_success")),
            )
        )
    in_challenges = [a for approaches in plan.challenges["approaches"].to_list() for a in approaches or []]
    abandoned = tuple(a for a in in_challenges if a in tasks and a not in scheduled)
    ends = [b.start for lane in lanes for b in lane.bars] + [b.finish for lane in lanes for b in lane.bars]
    ends += [x for w in whiskers for x in (w.p95, w.deadline) if x is not None]
    first = min(ends, default=0.0)
    last = max(ends, default=20.0)
    return Timeline(tuple(lanes), tuple(whiskers), calendar, min(first, 0.0), max(last, 1.0), abandoned)


def column(day: float, first_day: float, days_per_col: float) -> int:
    """The column (0-based, may be out of the window) in which working day `day` falls."""
    return math.floor((day - first_day) / days_per_col)


def grid(lane: Lane, first_day: float, days_per_col: float, cols: int) -> list[list[Bar]]:
    """Per column of the window, the bars of `lane` that cover it (a bar always takes at least one column)."""
    cells: list[list[Bar]] = [[] for _ in range(cols)]
    for bar in lane.bars:
        a = column(bar.start, first_day, days_per_col)
        b = max(a + 1, math.ceil((bar.finish - first_day) / days_per_col))
        for c in range(max(a, 0), min(b, cols)):
            cells[c].append(bar)
    return cells


def whisker_cells(w: Whisker, first_day: float, days_per_col: float, cols: int) -> list[str]:
    """One character per column: ├ P50, ┼ P80, ┤ P95 joined by ─, ◆ at the deadline (drawn last)."""
    cells = [" "] * cols
    marks = [(w.p50, "├"), (w.p80, "┼"), (w.p95, "┤")]
    placed = [(column(d, first_day, days_per_col), m) for d, m in marks if d is not None]
    if placed:
        lo, hi = placed[0][0], placed[-1][0]
        for c in range(max(lo, 0), min(hi + 1, cols)):
            cells[c] = "─"
        for c, m in placed:
            if 0 <= c < cols:
                cells[c] = m
    if w.deadline is not None:
        c = column(w.deadline - 1e-9, first_day, days_per_col)
        if 0 <= c < cols:
            cells[c] = "◆"
    return cells


def beyond(w: Whisker, calendar: Calendar, first_day: float, days_per_col: float, cols: int) -> tuple[str, str]:
    """The whisker's marks that fall left and right of the window, as words with an arrow ("" when none)."""
    marks = [(f"P{q}", d) for q, d in ((50, w.p50), (80, w.p80), (95, w.p95)) if d is not None]
    if w.deadline is not None:
        marks.append(("due", w.deadline - 1e-9))
    left = [(label, d) for label, d in marks if column(d, first_day, days_per_col) < 0]
    right = [(label, d) for label, d in marks if column(d, first_day, days_per_col) >= cols]

    def words(side: list[tuple[str, float]]) -> str:
        return " · ".join(f"{label} {calendar.finish_date(d):%b %d}" for label, d in sorted(side, key=lambda m: m[1]))

    return (f"← {words(left)}" if left else "", f"{words(right)} →" if right else "")


def axis(calendar: Calendar, first_day: float, days_per_col: float, cols: int) -> str:
    """Date labels from their columns: each new week in the week zoom, each new month in the month zoom."""
    text = [" "] * cols
    previous: dt.date | None = None
    free_from = 0
    for c in range(cols):
        date = calendar.day_to_date(first_day + c * days_per_col)
        if days_per_col <= 1:
            due = previous is None or date.isocalendar()[:2] != previous.isocalendar()[:2]
            label = date.strftime("%b %d")
        else:
            due = previous is None or (date.year, date.month) != (previous.year, previous.month)
            label = date.strftime("%b'%y") if previous is None or date.month == 1 else date.strftime("%b")
        previous = date
        if due and c >= free_from and c + len(label) <= cols:
            text[c : c + len(label)] = list(label)
            free_from = c + len(label) + 1
    return "".join(text)
