"""Charts as files: completion curves, the timeline and a tornado of task sensitivity, drawn with matplotlib.

matplotlib is imported only when a chart is drawn (it is the optional `report` extra); without it
`MissingChartLibrary` says what to install. Each `*_figure` returns a matplotlib Figure; `save`
writes it as SVG or PNG (from the file's suffix), `svg_text` returns the SVG markup. Text is drawn
as paths and ids are salted, so the same data renders the same file on any machine.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import numpy as np

from teamcast.errors import UsageError

KINDS = ("completion", "timeline", "tornado")
SUFFIXES = (".svg", ".png")
TORNADO_TASKS = 12


class MissingChartLibrary(UsageError):
    """matplotlib is not installed."""


def pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend (no display needed), or a clear error naming the extra."""
    try:
        import matplotlib
    except ImportError:
        raise MissingChartLibrary("charts need matplotlib: pip install 'teamcast[report]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.fonttype"] = "path"  # the chart needs no font on the reader's machine
    matplotlib.rcParams["svg.hashsalt"] = "teamcast"  # stable ids: the same chart renders the same file
    matplotlib.rcParams["text.parse_math"] = False  # a name with $...$ is text, not math to parse
    return plt


def svg_text(fig: Any) -> str:
    """The figure as SVG markup (no XML prolog: it can sit inside HTML or stand alone as a file)."""
    plt = pyplot()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def save(fig: Any, out: str | Path) -> None:
    """Write the figure to `out` as SVG or PNG, atomically."""
    from teamcast.engine.plan.io import write_atomic

    suffix = Path(out).suffix.lower()
    if suffix not in SUFFIXES:
        pyplot().close(fig)
        raise UsageError(f"cannot write a chart as {suffix or '(no suffix)'!r}; use {' or '.join(SUFFIXES)}")
    if suffix == ".svg":
        write_atomic(out, svg_text(fig).encode())
        return
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight", metadata={"Software": None})
    pyplot().close(fig)
    write_atomic(out, buffer.getvalue())


def completion_curve(finish: np.ndarray, to_date, points: int = 40) -> list[tuple[dt.date, float]]:
    """P(done by date) at evenly spaced days; it levels off at P(success), not at 100 %."""
    done = np.sort(finish[np.isfinite(finish)])
    if done.size == 0:
        return []
    days = np.unique(np.ceil(np.linspace(done[0], done[-1], points)))
    share = np.searchsorted(done, days, side="right") / finish.size
    return [(to_date(float(d)), float(p)) for d, p in zip(days, share, strict=True)]


def completion_figure(curves: dict[str, list[tuple[dt.date, float]]]) -> Any:
    """One step curve per project name: the share of all trials done by each date."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 3.2))
    for name, curve in curves.items():
        if curve:
            ax.step([d for d, _ in curve], [p for _, p in curve], where="post", label=name)
    ax.axhline(0.8, color="grey", lw=0.8, ls="--")
    ax.axhline(0.5, color="grey", lw=0.8, ls=":")
    ax.set_ylim(0, 1)
    ax.set_ylabel("P(done by date)")
    ax.set_title("When each project lands (levels off at its P(success))")
    ax.legend(fontsize=7, loc="upper left")
    fig.autofmt_xdate()
    return fig


def timeline_figure(timeline) -> Any:
    """Lanes of bars (the point schedule), each project's P50–P95 whisker with P80 marked, deadlines, day 0."""
    plt = pyplot()
    lanes = [lane for lane in timeline.lanes if lane.bars]
    projects = [w.project for w in timeline.whiskers]
    colours = plt.get_cmap("tab10")
    rows = len(lanes) + len(timeline.whiskers)
    fig, ax = plt.subplots(figsize=(8.0, max(2.5, 0.28 * rows + 1.2)))
    to_date = timeline.calendar.day_to_date

    def x(day: float) -> float:
        from matplotlib.dates import date2num

        return float(date2num(to_date(day)))

    for y, lane in enumerate(lanes):
        for bar in lane.bars:
            colour = colours(projects.index(bar.project) % 10) if bar.project in projects else "grey"
            left, right = x(bar.start), x(max(bar.finish, bar.start + 0.5))
            hatch = "xx" if bar.mark == "failed" else ("//" if bar.mark == "done" else None)
            ax.barh(y, right - left, left=left, height=0.7, color=colour, alpha=0.85, hatch=hatch, edgecolor="white")
    base = len(lanes)
    for n, w in enumerate(timeline.whiskers):
        y = base + n
        colour = colours(n % 10)
        if w.p50 is not None and w.p95 is not None:
            ax.plot([x(w.p50), x(w.p95)], [y, y], color=colour, lw=2)
            ax.plot([x(w.p50)], [y], "|", color=colour, ms=10)
            ax.plot([x(w.p95)], [y], "|", color=colour, ms=10)
            if w.p80 is not None:
                ax.plot([x(w.p80)], [y], "o", color=colour, ms=5)
        if w.deadline is not None:
            ax.plot([x(w.deadline - 1)], [y], "D", color="crimson", ms=5)
    ax.axvline(x(0.0), color="black", lw=0.8, ls=":")
    labels = [lane.label for lane in lanes] + [f"{w.name} (P50–P80–P95)" for w in timeline.whiskers]
    ax.set_yticks(range(rows), labels, fontsize=7)
    ax.invert_yaxis()
    ax.xaxis_date()
    ax.set_title(
        "Who does what when (point schedule; hatched: done), forecast whiskers (P50–P95, dot P80), red diamonds: deadlines",
        fontsize=8,
    )
    fig.autofmt_xdate()
    return fig


def tornado_figure(tasks, project_name: str, top: int = TORNADO_TASKS) -> Any:
    """The tasks whose duration moves the project's finish most (rank correlation, the forecast's sensitivity)."""
    plt = pyplot()
    rows = [
        r for r in tasks.iter_rows(named=True) if r["sensitivity"] is not None and r["sensitivity"] == r["sensitivity"]
    ]
    rows = sorted(rows, key=lambda r: abs(r["sensitivity"]), reverse=True)[:top]
    fig, ax = plt.subplots(figsize=(6.0, max(2.0, 0.3 * len(rows) + 1.0)))
    values = [r["sensitivity"] for r in rows]
    ax.barh(range(len(rows)), values, color=["tab:red" if v > 0 else "tab:blue" for v in values])
    ax.set_yticks(range(len(rows)), [r["id"] for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlim(-1, 1)
    ax.set_xlabel("Spearman rank correlation of the task's duration with the project's finish")
    ax.set_title(f"{project_name}: which task's uncertainty moves the finish most", fontsize=9)
    return fig
