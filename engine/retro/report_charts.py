"""The reports' charts: inline SVG for the HTML reports, SVG files beside a Markdown report.

matplotlib is imported only when a chart is drawn (teamcast[report]); its math-text parsing is off
so that a name with dollar signs is drawn as text.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from teamcast.engine.charts import completion_figure, pyplot, svg_text


def _figure(width: float = 6.0, height: float = 3.2):
    return pyplot().subplots(figsize=(width, height))


def completion_chart(projects: list[dict]) -> str:
    curves = {p["name"]: [(dt.date.fromisoformat(c["date"]), c["p_done"]) for c in p["curve"]] for p in projects}
    return svg_text(completion_figure(curves))


def reliability_chart(success: dict) -> str:
    fig, ax = _figure(4.2, 4.0)
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--", label="perfectly calibrated")
    used = [b for b in success["reliability"] if b["count"]]
    x = [b["mean_forecast"] for b in used]
    y = [b["observed"] for b in used]
    err = [
        [o - b["band"][0] for o, b in zip(y, used, strict=True)],
        [b["band"][1] - o for o, b in zip(y, used, strict=True)],
    ]
    ax.errorbar(x, y, yerr=err, fmt="o", capsize=3, label="observed (95% Wilson band)")
    for b, xi, yi in zip(used, x, y, strict=True):
        ax.annotate(f"n={b['count']}", (xi, yi), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("forecast P(success)")
    ax.set_ylabel("share that succeeded")
    ax.set_title("Reliability diagram")
    ax.legend(fontsize=7, loc="upper left")
    return svg_text(fig)


def pit_chart(pit: list[float]) -> str:
    fig, ax = _figure(4.2, 3.0)
    ax.hist([v for v in pit if v is not None], bins=10, range=(0, 1), edgecolor="white")
    ax.axhline(len(pit) / 10, color="grey", lw=0.8, ls="--", label="calibrated")
    ax.set_xlabel("PIT = F(actual) under the estimate")
    ax.set_ylabel("tasks")
    ax.set_title("PIT histogram (flat is calibrated; mass near 1 = optimistic)")
    ax.legend(fontsize=7)
    return svg_text(fig)


def markdown_charts(data: dict, out: Path) -> str:
    """The HTML report's charts as SVG files beside the Markdown (`<stem>-<chart>.svg`), and the links to them."""
    from teamcast.engine.plan.io import write_atomic

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return "\n_Charts need matplotlib: pip install 'teamcast[report]'._\n"
    charts = []
    if data["kind"] == "leadership":
        charts.append(("completion", "When each project lands", lambda: completion_chart(data["projects"])))
    if data["kind"] == "retro" and data["success"]:
        charts.append(("reliability", "Reliability diagram", lambda: reliability_chart(data["success"])))
    if data["kind"] == "retro" and data["pit"]:
        charts.append(("pit", "PIT histogram", lambda: pit_chart(data["pit"])))
    links = []
    for name, title, draw in charts:
        path = out.with_name(f"{out.stem}-{name}.svg")
        write_atomic(path, draw().encode())
        links.append(f"![{title}]({path.name})")
    return "\n## Charts\n\n" + "\n\n".join(links) + "\n" if links else ""
