"""The timeline widget: lanes of bars drawn cell by cell from teamcast.engine.timeline, a cursor on one bar.

The widget owns the window (first day, zoom) and the cursor; the screen binds the keys. Bars are
coloured by project; the cursor's bar is shown reversed and described on the screen's detail line.
"""

from __future__ import annotations

import datetime as dt

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from teamcast.engine import ZOOMS, Bar, Timeline, axis, beyond, column, grid, whisker_cells

PROJECT_COLOURS = ("cyan", "magenta", "green", "yellow", "bright_blue", "red", "bright_magenta", "bright_green")
MARK = {"todo": "█", "doing": "▓", "done": "▒", "failed": "✗"}
LEGEND = "█ to do ▓ doing ▒ done ✗ failed │ today ├P50 ┼P80 ┤P95 if it succeeds ◆ due"


class TimelineView(Widget, can_focus=True):
    """Who does what when (the point schedule), with each project's forecast whisker beneath the lanes."""

    DEFAULT_CSS = "TimelineView { height: auto; width: 1fr; }"
    # On the widget itself: the scrolling container around it would take the arrows first.
    BINDINGS = [
        Binding("left", "bar(-1)", "Previous bar", show=False),
        Binding("right", "bar(1)", "Next bar", show=False),
        Binding("up", "lane(-1)", "Lane up", show=False),
        Binding("down", "lane(1)", "Lane down", show=False),
        Binding("home", "today", "Back to today", show=False),
        Binding("pagedown", "page(1)", "Page down (the forecast whiskers)", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
    ]

    zoom: reactive[str] = reactive("week")
    first_day: reactive[float] = reactive(0.0)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.timeline: Timeline | None = None
        self.lane = 0
        self.cursor_task: str | None = None
        self.today: float = 0.0

    # --- geometry -----------------------------------------------------------------------------
    @property
    def days_per_col(self) -> float:
        return ZOOMS[self.zoom]

    @property
    def label_width(self) -> int:
        return min(26, max(12, self.size.width // 5))

    @property
    def cols(self) -> int:
        return max(self.size.width - self.label_width - 1, 10)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        t = self.timeline
        if t is None:
            return 1
        return 1 + len(t.lanes) + 1 + len(t.whiskers) + 2

    def lane_row(self, lane: int) -> int:
        """The line of `lane` inside the widget (under the date axis)."""
        return 1 + lane

    # --- data ---------------------------------------------------------------------------------
    def set_timeline(self, timeline: Timeline, today: float) -> None:
        first_show = self.timeline is None
        self.timeline = timeline
        self.today = today
        self.lane = min(self.lane, max(len(timeline.lanes) - 1, 0))
        if self.cursor_task is None or timeline.bar(self.cursor_task) is None:
            self._cursor_near(today)
        if first_show:
            self.first_day = self._window_start(today)
        self.refresh(layout=True)

    def _window_start(self, day: float) -> float:
        # A little history on the left: a fifth of the window before `day`.
        return day - (self.cols // 5) * self.days_per_col

    def _cursor_near(self, day: float) -> None:
        """Put the cursor on the bar of the current lane nearest `day` (the first lane with bars if none)."""
        t = self.timeline
        if t is None or not t.lanes:
            self.cursor_task = None
            return
        order = list(range(self.lane, len(t.lanes))) + list(range(self.lane))
        for lane in order:
            bars = t.lanes[lane].bars
            if bars:
                self.lane = lane
                self.cursor_task = min(bars, key=lambda b: abs((b.start + b.finish) / 2 - day)).task
                return
        self.cursor_task = None

    def selected(self) -> Bar | None:
        return self.timeline.bar(self.cursor_task) if self.timeline and self.cursor_task else None

    # --- moves (the screen's keys) --------------------------------------------------------------
    def move_bar(self, step: int) -> None:
        t = self.timeline
        if t is None or not t.lanes:
            return
        bars = sorted(t.lanes[self.lane].bars, key=lambda b: (b.start, b.task))
        if not bars:
            return
        ids = [b.task for b in bars]
        i = ids.index(self.cursor_task) + step if self.cursor_task in ids else 0
        self.cursor_task = ids[max(0, min(i, len(ids) - 1))]
        self._follow()

    def move_lane(self, step: int) -> None:
        t = self.timeline
        if t is None or not t.lanes:
            return
        bar = self.selected()
        day = (bar.start + bar.finish) / 2 if bar else self.today
        lane = self.lane + step
        while 0 <= lane < len(t.lanes) and not t.lanes[lane].bars:
            lane += step  # skip lanes with nothing to select
        if 0 <= lane < len(t.lanes):
            self.lane = lane
            self.cursor_task = min(t.lanes[lane].bars, key=lambda b: abs((b.start + b.finish) / 2 - day)).task
        elif self.parent is not None:
            # Past the last lane: the whiskers and legend beneath come into view (past the first: the top).
            self.action_page(step)
            return
        self._follow()

    def action_bar(self, step: int) -> None:
        self.move_bar(step)

    def action_lane(self, step: int) -> None:
        self.move_lane(step)

    def action_page(self, step: int) -> None:
        parent = self.parent
        if isinstance(parent, Widget):
            parent.scroll_page_down(animate=False) if step > 0 else parent.scroll_page_up(animate=False)

    def action_today(self) -> None:
        self.go_today()
        self.post_message(self.Moved())

    def scroll_days(self, columns: int) -> None:
        self.first_day += columns * self.days_per_col

    def set_zoom(self, zoom: str) -> None:
        bar = self.selected()
        centre = (bar.start + bar.finish) / 2 if bar else self.today
        self.zoom = zoom
        first = centre - (self.cols // 2) * self.days_per_col
        if self.timeline is not None:
            # No empty months before the first bar; the whole plan from its start when it fits.
            start = self.timeline.first - self.days_per_col
            fits = self.timeline.last - start <= self.cols * self.days_per_col
            first = start if fits else max(first, start)
        self.first_day = first

    def go_today(self) -> None:
        self.first_day = self._window_start(self.today)
        self._cursor_near(self.today)
        self.refresh()

    def _follow(self) -> None:
        """Scroll so the cursor's bar is in the window and its lane in view."""
        bar = self.selected()
        if bar is not None:
            a = column(bar.start, self.first_day, self.days_per_col)
            if a < 0 or a >= self.cols:
                self.first_day = self._window_start(bar.start)
        if self.parent is not None and hasattr(self.parent, "scroll_to_region"):
            self.parent.scroll_to_region(Region(0, self.lane_row(self.lane), 1, 1), animate=False)
        self.refresh()
        self.post_message(self.Moved())

    class Moved(Message):
        """The cursor moved to another bar."""

    # --- drawing ------------------------------------------------------------------------------
    def _colour(self, project: str) -> str:
        t = self.timeline
        ids = [w.project for w in t.whiskers] if t else []
        return PROJECT_COLOURS[ids.index(project) % len(PROJECT_COLOURS)] if project in ids else "white"

    def render(self) -> Text:
        t = self.timeline
        if t is None:
            return Text("waiting for the plan…")
        width, cols, dpc = self.label_width, self.cols, self.days_per_col
        today_col = column(self.today, self.first_day, dpc)
        lines: list[Text] = []
        head = Text(" " * (width + 1))
        head.append(axis(t.calendar, self.first_day, dpc, cols), style="bold")
        lines.append(head)
        for n, lane in enumerate(t.lanes):
            line = Text()
            label = lane.label if len(lane.label) <= width else lane.label[: width - 1] + "…"
            style = "italic" if lane.kind in ("hire", "pool", "unassigned") else ""
            line.append(f"{label:<{width}} ", style=Style.parse(style) + Style(bold=n == self.lane))
            self._draw_lane(line, lane, cols, dpc, today_col)
            lines.append(line)
        lines.append(Text("Forecast · " + ("a day" if dpc == 1 else "a week") + " a column", style="bold"))
        for w in t.whiskers:
            line = Text()
            name = w.name if len(w.name) <= width else w.name[: width - 1] + "…"
            line.append(f"{name:<{width}} ", style=self._colour(w.project))
            cells = whisker_cells(w, self.first_day, dpc, cols)
            left, right = beyond(w, t.calendar, self.first_day, dpc, cols)
            # Marks out of the window are named at its edge (just an arrow where the whisker is in the way).
            if left:
                note = left if all(ch == " " for ch in cells[: len(left) + 1]) else "←"
                cells[: len(note)] = list(note[:cols])
            if right:
                note = right if all(ch == " " for ch in cells[-len(right) - 1 :]) else "→"
                cells[cols - len(note) :] = list(note[-cols:])
            for c, ch in enumerate(cells):
                if ch == " " and c == today_col:
                    line.append("│", style="dim")
                else:
                    line.append(ch, style="bold red" if ch == "◆" else self._colour(w.project))
            lines.append(line)
        lines.append(Text(LEGEND, style="dim"))
        note = f"abandoned in the point schedule (another approach wins): {', '.join(t.abandoned)}"
        lines.append(Text(note if t.abandoned else "", style="dim"))
        return Text("\n").join(lines)

    def _draw_lane(self, line: Text, lane, cols: int, dpc: float, today_col: int) -> None:
        arrives = column(lane.arrives, self.first_day, dpc) if lane.arrives is not None else None
        previous: Bar | None = None
        for c, bars in enumerate(grid(lane, self.first_day, dpc, cols)):
            if not bars:
                if arrives is not None and c < arrives:
                    ch = "·"  # an open position before its likely hire date
                else:
                    ch = "│" if c == today_col else " "
                line.append(ch, style="dim")
                previous = None
                continue
            bar = next((b for b in bars if b.task == self.cursor_task), bars[0])
            if lane.kind == "pool":
                ch = str(min(len({b.task for b in bars}), 9))
            else:
                ch = MARK.get(bar.mark, "█")
                if previous is not None and previous.task != bar.task and ch == "█":
                    ch = "▐"  # where one bar ends and the next begins
            style = Style.parse(self._colour(bar.project))
            if bar.task == self.cursor_task:  # the cursor: a line through the bar, on the project's colour
                ch, style = "━", Style(color="bright_white", bgcolor=self._colour(bar.project), bold=True)
            line.append(ch, style=style)
            previous = bar


def day_of(timeline: Timeline, date: dt.date) -> float:
    return timeline.calendar.date_to_day(date)
