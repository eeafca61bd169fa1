"""The team retro: how good were our forecasts, and what did we try (Lecture 13, §3: measure inputs, not results).

`build_retro(plan, ...)` selects the finished work (history) by date, team or person, scores the
success forecasts and the duration estimates with `teamcast.engine.retro.calibration`, summarises
the experiments log per person and per approach (sorted by name, never by whose idea worked),
and follows each project's P50/P80 date across the recorded snapshots. The result renders as
a terminal table, as JSON, and feeds the retro report.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from teamcast.engine.plan.model import Plan
from teamcast.engine.retro import calibration as cal
from teamcast.engine.retro.trends import MIN_TREND_SPAN_DAYS, SLIP_FLAG, Trend, trends  # noqa: F401 (re-exported)

FALLBACK_MODEL = "pert"


@dataclass(frozen=True)
class SuccessScores:
    """Scores of P(success) against what happened, over `n` resolved forecasts."""

    n: int
    base_rate: float
    mean_forecast: float
    brier: float
    log: float
    in_the_large: float
    murphy: cal.Murphy
    table: list[cal.ReliabilityBin]

    @property
    def enough(self) -> bool:
        return self.n >= cal.MIN_RESOLVED


@dataclass(frozen=True)
class DurationScores:
    """Actual effort against the estimate's distribution, over `n` finished tasks."""

    n: int
    pit: np.ndarray = field(repr=False)
    pit_histogram: list[int]
    coverage50: float  # share inside the 25–75 % interval; 0.5 when calibrated
    coverage80: float  # share inside the 10–90 % interval; 0.8 when calibrated
    interval_score80: float  # days; Gneiting & Raftery, alpha = 0.2
    log_ratio: cal.LogRatio


@dataclass(frozen=True)
class GroupScores:
    """One person's or team's forecasts, in brief."""

    id: str
    resolved: int
    succeeded: int
    brier: float | None  # None below MIN_RESOLVED
    durations: int
    coverage50: float
    coverage80: float
    typical_factor: float  # exp(median ln(actual ÷ estimate))


@dataclass(frozen=True)
class Retro:
    plan_name: str
    selection: str
    history_rows: int
    success: SuccessScores | None
    durations: DurationScores | None
    people: list[GroupScores]
    teams: list[GroupScores]
    experiments_by_person: list[dict]
    experiments_by_approach: list[dict]
    trends: list[Trend]

    def to_json(self) -> dict:
        return retro_json(self)


# --- selection -----------------------------------------------------------------------------


def select_history(
    plan: Plan, *, since: dt.date | None = None, team: str | None = None, person: str | None = None
) -> pl.DataFrame:
    """History rows finished on or after `since`, of `team` and of `person` (each when given).
    A row without a team takes its person's team from the roster."""
    teams = plan.people.select(pl.col("id").alias("person"), pl.col("team").alias("roster_team"))
    history = (
        plan.history.join(teams, on="person", how="left")
        .with_columns(pl.col("team").fill_null(pl.col("roster_team")))
        .drop("roster_team")
    )
    return _within(history, "finished", since, team, person)


def _within(rows: pl.DataFrame, date_column: str, since, team, person) -> pl.DataFrame:
    """The rows on or after `since` (by `date_column`), of `team` and of `person`, where given."""
    if since is not None:
        rows = rows.filter(pl.col(date_column) >= since)
    if team is not None:
        rows = rows.filter(pl.col("team") == team)
    if person is not None:
        rows = rows.filter(pl.col("person") == person)
    return rows


def _selection_text(since, team, person) -> str:
    parts = [
        f"since {since}" if since else None,
        f"team {team}" if team else None,
        f"person {person}" if person else None,
    ]
    return ", ".join(p for p in parts if p) or "all finished work"


# --- scoring -------------------------------------------------------------------------------


def success_scores(history: pl.DataFrame) -> SuccessScores | None:
    resolved = history.filter(pl.col("p_success").is_not_null() & pl.col("succeeded").is_not_null())
    if resolved.height == 0:
        return None
    p = resolved["p_success"].to_numpy().astype(np.float64)
    y = resolved["succeeded"].to_numpy().astype(np.float64)
    return SuccessScores(
        n=p.size,
        base_rate=float(y.mean()),
        mean_forecast=float(p.mean()),
        brier=cal.brier_score(p, y),
        log=cal.log_score(p, y),
        in_the_large=cal.calibration_in_the_large(p, y),
        murphy=cal.murphy_decomposition(p, y),
        table=cal.reliability_table(p, y),
    )


def _duration_model(plan: Plan):
    from teamcast.plugins.manager import get_registry

    registry = get_registry()
    model = (
        registry.duration_model(plan.default_model)
        if plan.default_model in registry.records("duration_model")
        else None
    )
    if model is None or model.cdf is None or model.quantile is None:
        model = registry.duration_model(FALLBACK_MODEL)
    return model


def _estimated(history: pl.DataFrame) -> pl.DataFrame:
    """Rows with an estimate and a positive actual, single numbers spread into three points."""
    return history.filter(pl.col("est_likely").is_not_null() & (pl.col("actual_days") > 0)).with_columns(
        pl.col("est_low").fill_null(pl.col("est_likely")),
        pl.col("est_high").fill_null(pl.col("est_likely")),
        pl.col("task").alias("id"),
    )


def duration_scores(history: pl.DataFrame, model) -> DurationScores | None:
    rows = _estimated(history)
    if rows.height == 0:
        return None
    actual = rows["actual_days"].to_numpy().astype(np.float64)
    pit = np.asarray(model.cdf(rows, actual.reshape(1, -1)), dtype=np.float64).reshape(-1)
    low, high = np.asarray(model.quantile(rows, np.repeat([[0.1], [0.9]], rows.height, axis=1)), dtype=np.float64)
    return DurationScores(
        n=rows.height,
        pit=pit,
        pit_histogram=cal.pit_histogram(pit).tolist(),
        coverage50=cal.central_coverage(pit, 0.5),
        coverage80=cal.central_coverage(pit, 0.8),
        interval_score80=cal.interval_score(low, high, actual, alpha=0.2),
        log_ratio=cal.log_ratio(actual, rows["est_likely"].to_numpy()),
    )


def group_scores(history: pl.DataFrame, column: str, model) -> list[GroupScores]:
    """Scores per value of `column` (person or team), sorted by name."""
    groups = []
    for key in sorted(v for v in history[column].unique().to_list() if v is not None):
        rows = history.filter(pl.col(column) == key)
        success = success_scores(rows)
        durations = duration_scores(rows, model)
        groups.append(
            GroupScores(
                id=key,
                resolved=success.n if success else 0,
                succeeded=int(rows["succeeded"].sum() or 0),
                brier=success.brier if success and success.enough else None,
                durations=durations.n if durations else 0,
                coverage50=durations.coverage50 if durations else math.nan,
                coverage80=durations.coverage80 if durations else math.nan,
                typical_factor=durations.log_ratio.typical_factor if durations else math.nan,
            )
        )
    return groups


# --- inputs: the experiments log ------------------------------------------------------------


def _experiments(plan: Plan, since, team, person) -> pl.DataFrame:
    teams = plan.people.select(pl.col("id").alias("person"), "team")
    return _within(plan.experiments.join(teams, on="person", how="left"), "date", since, team, person)


def _outcomes(plan: Plan) -> dict[str, str]:
    """What became of each task: history's verdict, else the task's status."""
    found = {row["id"]: row["status"] or "todo" for row in plan.tasks.select("id", "status").to_dicts()}
    for row in plan.history.select("task", "succeeded").to_dicts():
        if row["succeeded"] is not None:
            found[row["task"]] = "done" if row["succeeded"] else "failed"
    return found


def experiments_by_person(log: pl.DataFrame, history: pl.DataFrame) -> list[dict]:
    """Per person, by name: experiments run, effort on them, approaches tried, tasks finished."""
    finished = history.group_by("person").agg(
        pl.len().alias("tasks_finished"), pl.col("actual_days").sum().alias("task_days")
    )
    tried = log.group_by("person").agg(
        pl.len().alias("experiments"),
        pl.col("effort_days").sum().alias("experiment_days"),
        pl.col("task").unique().sort().alias("approaches"),
    )
    joined = tried.join(finished, on="person", how="full", coalesce=True).filter(pl.col("person").is_not_null())
    return (
        joined.with_columns(
            pl.col("experiments", "tasks_finished").fill_null(0),
            pl.col("experiment_days", "task_days").fill_null(0.0),
            pl.col("approaches").fill_null([]),
        )
        .sort("person")
        .to_dicts()
    )


def experiments_by_approach(log: pl.DataFrame, outcomes: dict[str, str]) -> list[dict]:
    """Per approach (task), by id: experiments, effort, who took part, and what became of it."""
    rows = (
        log.group_by("task")
        .agg(
            pl.len().alias("experiments"),
            pl.col("effort_days").sum().alias("effort_days"),
            pl.col("person").unique().sort().alias("people"),
        )
        .sort("task")
        .to_dicts()
    )
    return [row | {"outcome": outcomes.get(row["task"], "unknown")} for row in rows]


# --- the retro -----------------------------------------------------------------------------


def build_retro(
    plan: Plan, *, since: dt.date | None = None, team: str | None = None, person: str | None = None
) -> Retro:
    history = select_history(plan, since=since, team=team, person=person)
    model = _duration_model(plan)
    log = _experiments(plan, since, team, person)
    return Retro(
        plan_name=plan.name,
        selection=_selection_text(since, team, person),
        history_rows=history.height,
        success=success_scores(history),
        durations=duration_scores(history, model),
        people=group_scores(history, "person", model),
        teams=group_scores(history, "team", model),
        experiments_by_person=experiments_by_person(log, history),
        experiments_by_approach=experiments_by_approach(log, _outcomes(plan)),
        trends=trends(plan),
    )


def _num(x, digits: int = 4):
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else round(x, digits)


def retro_json(retro: Retro) -> dict:
    """The stable machine-readable retro (documented in docs/retro.md)."""
    s, d = retro.success, retro.durations
    success = None
    if s is not None:
        m = s.murphy
        success = {
            "resolved": s.n,
            "enough_data": s.enough,
            "min_resolved": cal.MIN_RESOLVED,
            "base_rate": _num(s.base_rate),
            "mean_forecast": _num(s.mean_forecast),
            "brier": _num(s.brier),
            "log_score": _num(s.log),
            "calibration_in_the_large": _num(s.in_the_large),
            "murphy": {
                "reliability": _num(m.reliability),
                "resolution": _num(m.resolution),
                "uncertainty": _num(m.uncertainty),
                "within_bin": _num(m.within_bin),
                "reliability_corrected": _num(m.reliability_corrected),
                "resolution_corrected": _num(m.resolution_corrected),
                "uncertainty_corrected": _num(m.uncertainty_corrected),
            },
            "reliability": [
                {
                    "low": b.low,
                    "high": b.high,
                    "count": b.count,
                    "mean_forecast": _num(b.mean_forecast),
                    "observed": _num(b.observed),
                    "band": [_num(b.band_low), _num(b.band_high)],
                }
                for b in s.table
            ],
        }
    durations = None
    if d is not None:
        durations = {
            "tasks": d.n,
            "pit_histogram": d.pit_histogram,
            "coverage_p50": _num(d.coverage50),
            "coverage_p80": _num(d.coverage80),
            "interval_score_80": _num(d.interval_score80),
            "log_ratio": {
                "median": _num(d.log_ratio.median),
                "iqr": _num(d.log_ratio.iqr),
                "mad": _num(d.log_ratio.mad),
                "typical_factor": _num(d.log_ratio.typical_factor),
            },
        }

    def group(g: GroupScores) -> dict:
        return {
            "id": g.id,
            "resolved": g.resolved,
            "succeeded": g.succeeded,
            "brier": _num(g.brier),
            "durations": g.durations,
            "coverage_p50": _num(g.coverage50),
            "coverage_p80": _num(g.coverage80),
            "typical_factor": _num(g.typical_factor),
        }

    return {
        "plan": retro.plan_name,
        "selection": retro.selection,
        "history_rows": retro.history_rows,
        "success": success,
        "durations": durations,
        "people": [group(g) for g in retro.people],
        "teams": [group(g) for g in retro.teams],
        "experiments": {
            "by_person": [
                {**r, "experiment_days": _num(r["experiment_days"]), "task_days": _num(r["task_days"])}
                for r in retro.experiments_by_person
            ],
            "by_approach": [{**r, "effort_days": _num(r["effort_days"])} for r in retro.experiments_by_approach],
        },
        "trends": [
            {
                "project": t.project,
                "name": t.name,
                "points": t.points,
                "slip_p50": _num(t.slip_p50),
                "slip_p80": _num(t.slip_p80),
                "span_days": _num(t.span_days),
                "too_short": t.too_short,
                "flagged": t.flagged,
            }
            for t in retro.trends
        ],
    }


# --- the terminal table --------------------------------------------------------------------


def _pct(x) -> str:
    return "   -" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:3.0f}%"


def _f(x, spec: str = ".3f") -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def render_retro(retro: Retro) -> str:
    """The retro as text for an 80-column terminal."""
    lines = [f"Retro: {retro.plan_name} ({retro.selection}; {retro.history_rows} finished tasks)", ""]
    lines += _success_lines(retro.success)
    lines += _duration_lines(retro.durations)
    lines += _group_lines("person", retro.people) + _group_lines("team", retro.teams)
    lines += _experiment_lines(retro)
    lines += _trend_lines(retro.trends)
    return "\n".join(lines).rstrip() + "\n"


def _success_lines(s: SuccessScores | None) -> list[str]:
    if s is None:
        return ["Success forecasts: none resolved yet.", ""]
    lines = [f"Success forecasts: P(success) against what happened, {s.n} resolved"]
    if not s.enough:
        lines += [
            f"  NOT ENOUGH DATA: {s.n} resolved forecasts, {cal.MIN_RESOLVED} needed for a verdict;",
            "  the scores below are indicative only",
        ]
    m = s.murphy
    direction = "too optimistic" if s.in_the_large > 0 else "too pessimistic" if s.in_the_large < 0 else "on target"
    lines += [
        f"  Brier score  {s.brier:.3f}  (0-1 scale, 0 is perfect; always saying 50% scores 0.250)",
        f"  log score    {s.log:.3f}  (nats, lower is better; always 50% scores 0.693)",
        f"  in-the-large {s.in_the_large:+.3f}: said {_pct(s.mean_forecast).strip()} on average,"
        f" {_pct(s.base_rate).strip()} succeeded ({direction})",
        f"  Murphy: reliability {m.reliability:.3f} (corrected {m.reliability_corrected:.3f}), resolution "
        f"{m.resolution:.3f} ({m.resolution_corrected:.3f}),",
        f"          uncertainty {m.uncertainty:.3f} ({m.uncertainty_corrected:.3f}), within-bin {m.within_bin:+.3f}",
        "",
        "  forecast     n   said  happened  95% band (Wilson)",
    ]
    for b in s.table:
        if b.count == 0:
            continue
        flag = "" if b.consistent else "  <- outside the band"
        lines.append(
            f"  {f'{100 * b.low:.0f}-{100 * b.high:.0f}%':<9} {b.count:4d}  {_pct(b.mean_forecast)}  {_pct(b.observed):>8}"
            f"  {_pct(b.band_low)}-{_pct(b.band_high).strip()}{flag}"
        )
    return [*lines, ""]


def _duration_lines(d: DurationScores | None) -> list[str]:
    if d is None:
        return ["Durations: no finished task with an estimate and an actual.", ""]
    bars = " ".join(f"{c}" for c in d.pit_histogram)
    shape = pit_shape(d.pit_histogram)
    return [
        f"Durations: actual effort against the estimate's distribution, {d.n} tasks",
        f"  inside the P50 interval (25-75%): {_pct(d.coverage50).strip():>4}  (calibrated: 50%)",
        f"  inside the P80 interval (10-90%): {_pct(d.coverage80).strip():>4}  (calibrated: 80%)",
        f"  interval score, 80% interval: {d.interval_score80:.1f} days (lower is better)",
        f"  actual / most likely estimate: typically x{d.log_ratio.typical_factor:.2f}",
        f"    (ln ratio median {d.log_ratio.median:+.2f}, IQR {d.log_ratio.iqr:.2f})",
        f"  PIT histogram, tenths of 0..1: {bars}",
        f"    {shape}",
        "",
    ]


def pit_shape(counts: list[int]) -> str:
    """A plain reading of the PIT histogram (teamcast's rule of thumb on the outer fifths, which
    hold 20 % each when calibrated)."""
    total = sum(counts)
    if total == 0:
        return "empty"
    low, high = sum(counts[:2]) / total, sum(counts[-2:]) / total
    if high > 0.3 and high > 1.5 * low:
        return "piled near 1: work took longer than estimated"
    if low > 0.3 and low > 1.5 * high:
        return "piled near 0: work took less than estimated"
    if low + high > 0.55:
        return "U-shaped: ranges too narrow, over-confident"
    if low + high < 0.25:
        return "hump-shaped: ranges too wide"
    return "roughly flat: ranges about right"


def _group_lines(kind: str, groups: list[GroupScores]) -> list[str]:
    if not groups:
        return []
    lines = [f"Per {kind} (by name)", f"  {kind:<14} resolved  ok  Brier  tasks  in P50  in P80  actual/est"]
    for g in groups:
        brier = _f(g.brier) if g.brier is not None else "  n/a"
        lines.append(
            f"  {g.id[:14]:<14} {g.resolved:8d} {g.succeeded:3d}  {brier:>5}  {g.durations:5d}  {_pct(g.coverage50):>6}"
            f"  {_pct(g.coverage80):>6}  x{_f(g.typical_factor, '.2f')}"
        )
    lines.append(f"  Brier n/a: fewer than {cal.MIN_RESOLVED} resolved forecasts.")
    return [*lines, ""]


def _experiment_lines(retro: Retro) -> list[str]:
    if not retro.experiments_by_person:
        return []
    lines = [
        "Inputs: experiments and effort, sorted by name",
        "(Lecture 13, §3: measure inputs, not results; nobody is ranked by outcome)",
        f"  {'person':<14} experiments  days  tasks done  task days  approaches",
    ]
    for r in retro.experiments_by_person:
        approaches = ", ".join(r["approaches"])
        lines.append(
            f"  {r['person'][:14]:<14} {r['experiments']:11d} {r['experiment_days']:5.1f}  {r['tasks_finished']:10d}"
            f"  {r['task_days']:9.1f}  {approaches[:24]}"
        )
    if retro.experiments_by_approach:
        lines += ["", f"  {'approach':<24} experiments  days  people               outcome"]
        for r in retro.experiments_by_approach:
            lines.append(
                f"  {r['task'][:24]:<24} {r['experiments']:11d} {r['effort_days']:5.1f}  "
                f"{', '.join(r['people'])[:20]:<20} {r['outcome']}"
            )
    return [*lines, ""]


def _trend_lines(found: list[Trend]) -> list[str]:
    if not found:
        return ["Forecast trend: no snapshots recorded yet (teamcast simulate WS --record).", ""]
    lines = [
        "Forecast trend across snapshots (days the date moves per day that passes)",
        f"  {'project':<24} snaps  last P50    last P80    slip P50  slip P80",
    ]
    for t in found:
        last = t.points[-1]
        flag = "  <- slipping" if t.flagged else ""
        if t.too_short:
            flag = "  too close together for a trend (less than a day apart)"
        lines.append(
            f"  {t.name[:24]:<24} {len(t.points):5d}  {last['date_p50'] or '-':<10}  {last['date_p80'] or '-':<10}"
            f"  {_f(t.slip_p50, '+.2f'):>8}  {_f(t.slip_p80, '+.2f'):>8}{flag}"
        )
    return [*lines, ""]
