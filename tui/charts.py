"""Text charts for any terminal: the skills chart, the completion-date distribution, likelihood × importance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import polars as pl

from teamcast.engine import histogram

BARS = " ▁▂▃▄▅▆▇█"
# One letter per lecture role reference point on the skills chart.
ROLE_MARK = {
    "ml_product_manager": "P",
    "devops_engineer": "O",
    "data_engineer": "D",
    "ml_engineer": "E",
    "ml_researcher": "R",
    "data_scientist": "S",
}


def _comm_mark(comm: float | None) -> str:
    """A person's dot grows with communication: · weak, o medium, ● strong."""
    if comm is None or comm < 0.5:
        return "·"
    return "o" if comm < 0.8 else "●"


def skills_chart(points: pl.DataFrame, width: int = 40, height: int = 10) -> list[str]:
    """Rows of a grid: ML expertise on x, software engineering on y (0-1), role letters and people's dots."""
    grid = [[" "] * width for _ in range(height)]

    def put(ml: float | None, swe: float | None, mark: str, overwrite: bool) -> None:
        if ml is None or swe is None:
            return
        x = min(width - 1, round(ml * (width - 1)))
        y = min(height - 1, round((1 - swe) * (height - 1)))
        if overwrite or grid[y][x] == " ":
            grid[y][x] = mark

    for row in points.filter(pl.col("kind") == "person").iter_rows(named=True):
        put(row["ml"], row["swe"], _comm_mark(row["comm"]), overwrite=False)
    for row in points.filter(pl.col("kind") == "role").iter_rows(named=True):
        put(row["ml"], row["swe"], ROLE_MARK.get(row["role"], "?"), overwrite=True)
    lines = [("SWE │" if y == 0 else "    │") + "".join(cells) for y, cells in enumerate(grid)]
    lines.append("    └" + "─" * width)
    lines.append("     " + "ML expertise →".rjust(width))
    return lines


SKILLS_LEGEND = (
    "Roles (lecture §1): P ML product manager  O DevOps  D data eng.  E ML eng.  R researcher  S data scientist",
    "People: · weak  o medium  ● strong communication",
)


def distribution(finish_days: np.ndarray, to_date: Callable[[float], dt.date], width: int = 40) -> list[str]:
    """A sparkline of completion dates with its first and last date and the share of failed trials."""
    counts, edges, failed = histogram(finish_days, bins=width)
    if counts.sum() == 0:
        return ["no trial finished the project"]
    top = counts.max()
    spark = "".join(BARS[int(np.ceil(c / top * (len(BARS) - 1)))] for c in counts)
    first, last = to_date(float(edges[0])).isoformat(), to_date(float(edges[-1])).isoformat()
    return [spark, f"{first}{last.rjust(width - len(first))}", f"the project fails in {failed:.0%} of trials"]


def likelihood_importance(tasks: pl.DataFrame, width: int = 30, height: int = 6) -> list[str]:
    """Tasks placed by likelihood (x, P(success)) and importance (y, criticality); marks 1-9, a-z by row order."""
    grid = [[" "] * width for _ in range(height)]
    marks = "123456789abcdefghijklmnopqrstuvwxyz"
    legend = []
    for n, row in enumerate(tasks.head(len(marks)).iter_rows(named=True)):
        likelihood, importance = row["likelihood"], row["importance"]
        if likelihood is None or importance is None:
            continue
        x = min(width - 1, round(likelihood * (width - 1)))
        y = min(height - 1, round((1 - importance) * (height - 1)))
        grid[y][x] = marks[n] if grid[y][x] == " " else "+"
        legend.append(f"{marks[n]} {row['id']}")
    lines = [("imp. │" if y == 0 else "     │") + "".join(cells) for y, cells in enumerate(grid)]
    lines.append("     └" + "─" * width)
    lines.append("      " + "likelihood →".rjust(width))
    return lines + _wrap(legend, width + 6)


def _wrap(items: list[str], width: int) -> list[str]:
    lines, line = [], ""
    for item in items:
        if line and len(line) + 2 + len(item) > width:
            lines.append(line)
            line = ""
        line = f"{line}  {item}" if line else item
    return lines + ([line] if line else [])


def score_bars(scores: dict[str, int], width: int = 16) -> list[str]:
    """One bar per name, longest for the highest score, in the order given."""
    top = max(scores.values(), default=0)
    label = max((len(name) for name in scores), default=0)
    return [
        f"  {name:<{label}} {'█' * (round(score / top * width) if top else 0):<{width}} {score}"
        for name, score in scores.items()
    ]


def pit_histogram(counts: list[int], height: int = 4) -> list[str]:
    """Columns of a histogram over tenths of 0..1, with a 0 and 1 axis: flat when estimates are calibrated."""
    top = max(counts, default=0)
    if top == 0:
        return ["no finished task with an estimate"]
    levels = [c / top * height for c in counts]
    rows = []
    for level in range(height, 0, -1):
        cells = []
        for value in levels:
            fill = value - (level - 1)
            cells.append("███" if fill >= 1 else BARS[round(max(fill, 0) * (len(BARS) - 1))] * 3)
        rows.append("  │" + " ".join(cells))
    rows.append("  └" + "─" * (4 * len(counts) - 1))
    rows.append("   " + " ".join(f"{c:>3}" for c in counts))
    rows.append("   0" + "1".rjust(4 * len(counts) - 2))
    return rows
