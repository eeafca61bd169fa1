"""Reports to share: the leadership report (product impact with its risk) and the retro report (how good were our forecasts).

Each report is first built as plain data (`leadership_data`, `retro_data`: JSON-ready dicts, the
numbers every rendering shows), then rendered as Markdown or as one self-contained HTML file
whose charts are inline SVG drawn with matplotlib (Agg), so a report opens anywhere with no
network. The leadership report speaks in product terms (Lecture 13, §3: educate leadership
on uncertainty), never in bare model metrics.
"""

from __future__ import annotations

import html
import math
import re
from pathlib import Path

import numpy as np
import polars as pl

from teamcast.engine.plan.calendar import Calendar
from teamcast.engine.plan.model import ROLE_TITLE, Plan, Role
from teamcast.engine.plan.text import escape_strings
from teamcast.engine.retro.report_charts import completion_chart, markdown_charts, pit_chart, reliability_chart
from teamcast.engine.retro.review import build_retro, retro_json
from teamcast.engine.retro.sections import plugin_sections, sections_markdown
from teamcast.errors import UsageError

KINDS = ("leadership", "retro")
SUFFIXES = (".md", ".html", ".json")
TOP_TASKS = 3
# A task on the deciding chain in fewer futures than this is not worth a leader's attention.
MIN_CRITICALITY = 0.05


def _num(x, digits: int = 4):
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else round(x, digits)


def _iso(d) -> str | None:
    return d.isoformat() if d is not None else None


def _role_title(role: str) -> str:
    return ROLE_TITLE[Role(role)] if role in set(Role) else role


# --- leadership: data --------------------------------------------------------------------


def leadership_data(plan: Plan, *, trials: int = 5_000, seed: int = 0, bottleneck_trials: int = 1_000) -> dict:
    """Per project: the impact, P(success), P50/P80 dates, P(deadline), top risks and what would change the picture."""
    from teamcast.engine.forecast.simulate import simulate
    from teamcast.engine.practice.roster import bottlenecks

    forecast = simulate(plan, trials=trials, seed=seed)
    gains = bottlenecks(plan, trials=bottleneck_trials, seed=seed) if plan.people.height else []
    calendar = Calendar(plan.start, plan.holidays)
    impact = dict(plan.projects.select("id", "impact").iter_rows())
    projects = []
    for index, row in enumerate(forecast.projects.to_dicts()):
        finish = forecast.project_finish[:, index]
        projects.append(
            {
                "id": row["id"],
                "name": row["name"] or row["id"],
                "impact": impact.get(row["id"]),
                "p_success": _num(row["p_success"]),
                "p_on_time": _num(row["p_on_time"]),
                "date_p50": _iso(row["date_p50"]),
                "date_p80": _iso(row["date_p80"]),
                # Unconditional: done and successful by this date with 80% probability (None below 80% P(success)).
                "done_p80": _iso(forecast.done_and_successful_dates(0.8)[index]),
                "deadline": _iso(row["deadline"]),
                "critical_tasks": _critical_tasks(plan, forecast.tasks, row["id"]),
                "research_risks": _research_risks(plan, row["id"]),
                "bottlenecks": _bottlenecks(gains, row["id"], calendar, row["p80"]),
                "curve": _completion_curve(finish, calendar),
            }
        )
    return {
        "kind": "leadership",
        "plan": plan.name,
        "trials": forecast.trials,
        "seed": forecast.seed,
        "start": _iso(calendar.day0),
        "projects": projects,
        "sections": plugin_sections(plan, forecast),
    }


def _titles(plan: Plan) -> dict[str, str]:
    return {i: t or i for i, t in plan.tasks.select("id", "title").iter_rows()}


def _critical_tasks(plan: Plan, tasks: pl.DataFrame, project: str) -> list[dict]:
    """The project's tasks most often on the chain that sets its finish."""
    titles = _titles(plan)
    rows = tasks.filter((pl.col("project") == project) & (pl.col("criticality") >= MIN_CRITICALITY)).sort(
        "criticality", descending=True
    )
    return [
        {"id": r["id"], "title": titles.get(r["id"], r["id"]), "criticality": _num(r["criticality"])}
        for r in rows.head(TOP_TASKS).to_dicts()
    ]


def _research_risks(plan: Plan, project: str) -> list[dict]:
    """Open research work that may stall or fail: kind research, not finished, least likely first."""
    open_research = plan.tasks.filter(
        (pl.col("project") == project)
        & (pl.col("kind") == "research")
        & ~pl.col("status").fill_null("todo").is_in(["done", "failed"])
    )
    stated = dict(open_research.select("id", pl.col("p_success").fill_null(1.0)).iter_rows())
    titles = _titles(plan)
    portfolio = {
        a for approaches in plan.challenges["approaches"].to_list() if len(approaches or []) > 1 for a in approaches
    }
    found = [
        {"id": i, "title": titles.get(i, i), "p_success": _num(p), "has_alternatives": i in portfolio}
        for i, p in stated.items()
    ]
    return sorted(found, key=lambda r: (r["p_success"], r["id"]))[:TOP_TASKS]


def _bottlenecks(gains, project: str, calendar: Calendar, p80_days) -> list[dict]:
    """Roles whose one extra person would bring this project's P80 date forward, biggest gain first."""
    found = []
    for b in gains:
        if b.project != project or not b.delta_days < -0.5:
            continue
        found.append(
            {
                "role": b.role,
                "title": _role_title(b.role),
                "days_earlier": _num(-b.delta_days, 1),
                "date_p80_after": _iso(calendar.finish_date(b.p80_after)),
            }
        )
    return found[:TOP_TASKS]


def _completion_curve(finish: np.ndarray, calendar: Calendar, points: int = 40) -> list[dict]:
    """P(done by date) at evenly spaced days; it levels off at P(success), not at 100 %."""
    done = np.sort(finish[np.isfinite(finish)])
    if done.size == 0:
        return []
    days = np.unique(np.ceil(np.linspace(done[0], done[-1], points)))
    share = np.searchsorted(done, days, side="right") / finish.size
    return [{"date": _iso(calendar.finish_date(d)), "p_done": _num(p)} for d, p in zip(days, share, strict=True)]


# --- retro: data -------------------------------------------------------------------------


def retro_data(plan: Plan, **selection) -> dict:
    retro = build_retro(plan, **selection)
    data = retro_json(retro)
    data["kind"] = "retro"
    data["pit"] = [_num(v) for v in (retro.durations.pit if retro.durations else [])]
    data["sections"] = plugin_sections(plan, retro)
    return data


def report_data(plan: Plan, kind: str, *, trials: int = 5_000, seed: int = 0) -> dict:
    if kind == "leadership":
        return leadership_data(plan, trials=trials, seed=seed)
    if kind == "retro":
        return retro_data(plan)
    raise UsageError(f"unknown report kind {kind!r}; expected one of {', '.join(KINDS)}")


# --- words -------------------------------------------------------------------------------


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def project_sentences(p: dict) -> list[str]:
    """A project in product terms: what it brings, how likely, when, and what could change that."""
    lines = [
        f"**Impact:** {(p['impact'] or 'not stated').rstrip('.')}.",
        f"**Likelihood:** {_pct(p['p_success'])} that it succeeds at all; "
        f"{_pct(p['p_on_time'])} that it is done and successful by the deadline ({p['deadline'] or 'none set'}).",
        f"**When, if it succeeds:** even odds by {p['date_p50'] or '-'}; 80% by {p['date_p80'] or '-'}. "
        + when_unconditional(p),
    ]
    return lines


def when_unconditional(p: dict) -> str:
    """The 80% date counting the risk of failure, or why there is none."""
    if p.get("done_p80"):
        return f"Counting the risk of failure: 80% confident it is done and successful by {p['done_p80']}."
    return (
        f"Counting the risk of failure, no date carries 80% confidence: it succeeds in {_pct(p['p_success'])} "
        "of simulated futures."
    )


def _failure_risk(p: dict) -> float | None:
    return None if p["p_success"] is None else 1.0 - p["p_success"]


def _deadline_before_p80(p: dict) -> bool:
    return bool(p["deadline"] and p["date_p80"] and p["deadline"] < p["date_p80"])


def risk_sentences(p: dict) -> list[str]:
    fails = _failure_risk(p)
    risks = [f"risk of failure: {_pct(fails)} that it does not succeed at all"] if fails and fails >= 0.1 else []
    if _deadline_before_p80(p):
        risks.append(f"the deadline ({p['deadline']}) is earlier than the 80% date if it succeeds ({p['date_p80']})")
    risks += [
        f"{t['title']} sets the finish date in {_pct(t['criticality'])} of simulated futures"
        for t in p["critical_tasks"]
    ]
    risks += [
        f"research: {t['title']} may stall or not pan out ({_pct(t['p_success'])} expected to work)"
        for t in p["research_risks"]
    ]
    return risks


def _days(n: float) -> str:
    return f"{n:.0f} working day" + ("" if round(n) == 1 else "s")


def change_sentences(p: dict) -> list[str]:
    changes = [
        f"one more {b['title']} would bring the 80% date if it succeeds {_days(b['days_earlier'])} earlier "
        f"(to {b['date_p80_after']})"
        for b in p["bottlenecks"]
    ]
    if any(not t["has_alternatives"] for t in p["research_risks"]):
        changes.append(
            "a second, independent approach to the riskiest research question raises the odds it is "
            "solved (teamcast's arithmetic: two independent approaches at 50% give 75%)"
        )
    # Advice follows the numbers, and never moves a deadline earlier.
    if _deadline_before_p80(p):
        changes.append(
            f"moving the deadline out to the 80% date ({p['date_p80']}), or cutting scope, makes the date "
            "one we expect to keep if the work succeeds"
        )
    elif (_failure_risk(p) or 0.0) >= 0.2:
        changes.append(
            f"the deadline is not what puts this at risk: {_pct(_failure_risk(p))} that it does not succeed at "
            "all is; more time does not change that, more ways to succeed do"
        )
    return changes


# --- Markdown ----------------------------------------------------------------------------


def leadership_markdown(data: dict) -> str:
    lines = [
        f"# {data['plan']}: outlook for leadership",
        "",
        f"From {data['trials']:,} simulated futures of the current plan (seed {data['seed']}); dates are "
        "the day by which the work is done. Dates marked 'if it succeeds' count only the futures in which "
        "the project succeeds; the others count failure as never done.",
        "",
    ]
    for p in data["projects"]:
        lines += [f"## {p['name']}", "", *[f"- {s}" for s in project_sentences(p)], ""]
        risks, changes = risk_sentences(p), change_sentences(p)
        if risks:
            lines += ["**Top risks**", "", *[f"- {r}" for r in risks], ""]
        if changes:
            lines += ["**What would change the picture**", "", *[f"- {c}" for c in changes], ""]
    return "\n".join(lines)


def _md_num(x, spec: str = ".3f") -> str:
    return "-" if x is None else format(x, spec)


def retro_markdown(data: dict) -> str:
    lines = [
        f"# {data['plan']}: forecast retro",
        "",
        f"Selection: {data['selection']}; {data['history_rows']} finished tasks.",
        "",
    ]
    s = data["success"]
    if s:
        lines += ["## Success forecasts", ""]
        if not s["enough_data"]:
            lines += [
                f"**Not enough data:** {s['resolved']} resolved forecasts; {s['min_resolved']} are needed "
                "for a verdict. The scores are indicative only.",
                "",
            ]
        m = s["murphy"]
        lines += [
            "| score | value | reading |",
            "|---|---|---|",
            f"| Brier score | {_md_num(s['brier'])} | 0–1 scale, 0 is perfect; always saying 50% scores 0.250 |",
            f"| log score | {_md_num(s['log_score'])} | nats, lower is better; always 50% scores 0.693 |",
            f"| calibration-in-the-large | {_md_num(s['calibration_in_the_large'], '+.3f')} | mean forecast "
            f"{_pct(s['mean_forecast'])} vs {_pct(s['base_rate'])} succeeded |",
            f"| reliability | {_md_num(m['reliability'])} (corrected {_md_num(m['reliability_corrected'])}) | lower is better |",
            f"| resolution | {_md_num(m['resolution'])} (corrected {_md_num(m['resolution_corrected'])}) | higher is better |",
            f"| uncertainty | {_md_num(m['uncertainty'])} (corrected {_md_num(m['uncertainty_corrected'])}) | the base rate's variance |",
            "",
            "| forecast | n | said | happened | 95% band |",
            "|---|---|---|---|---|",
        ]
        for b in s["reliability"]:
            if b["count"]:
                lines.append(
                    f"| {100 * b['low']:.0f}–{100 * b['high']:.0f}% | {b['count']} | {_pct(b['mean_forecast'])} | "
                    f"{_pct(b['observed'])} | {_pct(b['band'][0])}–{_pct(b['band'][1])} |"
                )
        lines.append("")
    d = data["durations"]
    if d:
        lr = d["log_ratio"]
        lines += [
            "## Durations",
            "",
            "| score | value | calibrated |",
            "|---|---|---|",
            f"| inside the P50 interval (25–75%) | {_pct(d['coverage_p50'])} | 50% |",
            f"| inside the P80 interval (10–90%) | {_pct(d['coverage_p80'])} | 80% |",
            f"| interval score, 80% interval | {_md_num(d['interval_score_80'], '.2f')} days | lower is better |",
            f"| median ln(actual ÷ estimate) | {_md_num(lr['median'], '+.3f')} (×{_md_num(lr['typical_factor'], '.2f')}) | 0 |",
            f"| IQR of ln(actual ÷ estimate) | {_md_num(lr['iqr'])} | small |",
            "",
            f"PIT histogram (tenths of 0–1): {', '.join(map(str, d['pit_histogram']))}",
            "",
        ]
    for kind, key in (("person", "people"), ("team", "teams")):
        if data[key]:
            lines += [
                f"## Per {kind} (by name)",
                "",
                f"| {kind} | resolved | Brier | in P50 | in P80 | actual ÷ estimate |",
                "|---|---|---|---|---|---|",
            ]
            lines += [
                f"| {g['id']} | {g['resolved']} | {_md_num(g['brier']) if g['brier'] is not None else 'n/a'} | "
                f"{_pct(g['coverage_p50'])} | {_pct(g['coverage_p80'])} | ×{_md_num(g['typical_factor'], '.2f')} |"
                for g in data[key]
            ]
            lines.append("")
    ex = data["experiments"]
    if ex["by_person"]:
        lines += [
            "## Inputs: experiments and effort",
            "",
            "Sorted by name. Lecture 13, §3: judge the quality and volume of experiments, not whose idea worked.",
            "",
            "| person | experiments | experiment days | tasks finished | task days |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['person']} | {r['experiments']} | {r['experiment_days']} | {r['tasks_finished']} | {r['task_days']} |"
            for r in ex["by_person"]
        ]
        lines += ["", "| approach | experiments | days | people | outcome |", "|---|---|---|---|---|"]
        lines += [
            f"| {r['task']} | {r['experiments']} | {r['effort_days']} | {', '.join(r['people'])} | {r['outcome']} |"
            for r in ex["by_approach"]
        ]
        lines.append("")
    if data["trends"]:
        lines += [
            "## Forecast trend",
            "",
            "| project | snapshots | last P50 | last P80 | slip P50 (days/day) | slip P80 |",
            "|---|---|---|---|---|---|",
        ]
        for t in data["trends"]:
            last = t["points"][-1]
            flag = " **slipping**" if t["flagged"] else ""
            if t.get("too_short"):
                flag = " (snapshots less than a day apart: no trend yet)"
            lines.append(
                f"| {t['name']} | {len(t['points'])} | {last['date_p50']} | {last['date_p80']} | "
                f"{_md_num(t['slip_p50'], '+.2f')}{flag} | {_md_num(t['slip_p80'], '+.2f')} |"
            )
        lines.append("")
    return "\n".join(lines)


# --- HTML --------------------------------------------------------------------------------

_STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccd;padding:.2rem .6rem;text-align:left}
th{background:#eef}h2{border-bottom:1px solid #ccd;margin-top:2rem}.chart svg{max-width:100%;height:auto}
.note{background:#fff4d6;padding:.4rem .6rem;border-left:4px solid #e0a800}"""


_BOLD = re.compile(r"(?<!\\)\*\*")  # ** that for_markdown did not escape
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # a backslash escape of ASCII punctuation


def _markdown_to_html(markdown: str) -> str:
    """The small Markdown subset this module writes: headings, bullets, pipe tables, **bold**, paragraphs."""
    out: list[str] = []
    table: list[str] = []

    def inline(text: str) -> str:
        # Names arrive escaped by for_markdown (backslashes, entities): undo that, then escape for HTML.
        parts = [html.escape(html.unescape(_MD_ESCAPE.sub(r"\1", p))) for p in _BOLD.split(text)]
        return "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))

    def flush_table() -> None:
        if not table:
            return
        rows = [r for r in table if not set(r.replace("|", "").strip()) <= set("-")]
        head, *body = rows
        cells = lambda row: [c.strip() for c in row.strip().strip("|").split("|")]  # noqa: E731
        out.append("<table><tr>" + "".join(f"<th>{inline(c)}</th>" for c in cells(head)) + "</tr>")
        out.extend("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in cells(r)) + "</tr>" for r in body)
        out.append("</table>")
        table.clear()

    in_list = False
    for line in markdown.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        flush_table()
        if line.startswith("- "):
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{inline(line[2:])}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if line.startswith("## "):
            out.append(f"<h2>{inline(line[3:])}</h2>")
        elif line.startswith("# "):
            out.append(f"<h1>{inline(line[2:])}</h1>")
        elif line.strip():
            out.append(f"<p>{inline(line)}</p>")
    flush_table()
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>\n{body}\n</body></html>\n"
    )


def _safe(data: dict) -> dict:
    """`data` with every string (names, titles, impact) escaped as inline Markdown: one line, no markup."""
    return escape_strings(data)  # type: ignore[return-value]


def render_html(data: dict) -> str:
    if data["kind"] == "leadership":
        chart = f'<h2>Completion dates</h2><div class="chart">{completion_chart(data["projects"])}</div>'
        body = _markdown_to_html(leadership_markdown(_safe(data)) + sections_markdown(data)).replace(
            "</p>", "</p>" + chart, 1
        )
        return _page(f"{data['plan']}: outlook for leadership", body)
    charts = []
    if data["success"]:
        charts.append(f'<div class="chart">{reliability_chart(data["success"])}</div>')
    if data["pit"]:
        charts.append(f'<div class="chart">{pit_chart(data["pit"])}</div>')
    body = _markdown_to_html(retro_markdown(_safe(data)) + sections_markdown(data)) + (
        "<h2>Charts</h2>" + "".join(charts) if charts else ""
    )
    return _page(f"{data['plan']}: forecast retro", body)


def render_markdown(data: dict) -> str:
    safe = _safe(data)
    main = leadership_markdown(safe) if data["kind"] == "leadership" else retro_markdown(safe)
    return main + sections_markdown(data)


def render(data: dict, suffix: str) -> str:
    """The report as text for a file ending in `suffix` (.md, .html or .json)."""
    import json

    if suffix == ".md":
        return render_markdown(data)
    if suffix == ".html":
        return render_html(data)
    if suffix == ".json":
        return json.dumps(data, indent=2) + "\n"
    raise UsageError(f"cannot write a report as {suffix or '(no suffix)'!r}; use {', '.join(SUFFIXES)}")


def write_report(plan: Plan, kind: str, out: str | Path, *, trials: int = 5_000, seed: int = 0) -> dict:
    """Build the report and write it atomically to `out` (format from the suffix); returns its data."""
    from teamcast.engine.plan.io import write_atomic

    suffix = Path(out).suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(f"cannot write a report as {suffix or '(no suffix)'!r}; use {', '.join(SUFFIXES)}")
    data = report_data(plan, kind, trials=trials, seed=seed)
    text = render(data, suffix)
    if suffix == ".md":
        text += markdown_charts(data, Path(out))
    write_atomic(out, text.encode())
    return data
