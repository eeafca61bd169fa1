"""What the terminal app shows, computed without Textual: edits checked field by field, what moved
between two forecasts, baseline-vs-what-if tables, estimate-vs-actual figures from the history,
the binned completion-date distribution, questionnaire answers as a plan, health-check findings
grouped by lecture section, and the retro's time windows.

Everything here takes and returns plain frames and dataclasses so that a plain test reaches it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from teamcast.engine.plan.model import Plan, frame
from teamcast.engine.plan.validate import validate_plan
from teamcast.errors import NotFoundError

if TYPE_CHECKING:
    import numpy as np

# Form fields of an editable row and the TOML keys the validator names them by.
FIELD_KEYS: dict[str, dict[str, str]] = {
    "tasks": {
        "estimate": "estimate",
        "p_success": "p_success",
        "status": "status",
        "assignee": "assignee",
        "after": "after",
        "role": "role",
        "started": "status",
        "finished": "status",
        "actual_days": "actual_days",
    },
    "people": {
        "capacity": "capacity",
        "role": "role",
        "team": "team",
        "skills.ml": "skill_ml",
        "skills.swe": "skill_swe",
        "skills.comm": "skill_comm",
    },
}
GENERAL = ""  # the key for problems that belong to no single field


# --- editing ------------------------------------------------------------------------------------


def apply_change(plan: Plan, table: str, row_id: str, changes: dict[str, Any]) -> Plan:
    """The plan with one row of `table` changed as `Workspace.update_row` would change it."""
    rows = getattr(plan, table).to_dicts()
    for row in rows:
        if row["id"] == row_id:
            row.update(changes)
            break
    else:
        raise NotFoundError(f"{table}[{row_id}] does not exist")
    return plan.replace(**{table: frame(table, rows)})


def row_location(plan: Plan, table: str, row_id: str) -> str:
    """How the validator names the row, e.g. `projects[fraud].tasks[fraud-gbm]` or `people[ana]`."""
    if table == "tasks":
        project = plan.tasks.filter(pl.col("id") == row_id)["project"]
        if project.len() == 0:
            raise NotFoundError(f"tasks[{row_id}] does not exist")
        return f"projects[{project[0]}].tasks[{row_id}]"
    return f"{table}[{row_id}]"


def field_problems(plan: Plan, table: str, row_id: str, changes: dict[str, Any]) -> dict[str, list[str]]:
    """The errors the change would add to the plan, by form field (GENERAL for the rest).

    Errors the plan had before the change are not the editor's fault and are left out, so an
    empty result means the change can be saved.
    """
    before = {(p.location, p.message) for p in validate_plan(plan) if p.severity == "error"}
    changed = apply_change(plan, table, row_id, changes)
    location = row_location(changed, table, row_id)
    fields = FIELD_KEYS.get(table, {})
    found: dict[str, list[str]] = {}
    for problem in validate_plan(changed):
        if problem.severity != "error" or (problem.location, problem.message) in before:
            continue
        key = GENERAL
        if problem.location.startswith(location + "."):
            toml_key = problem.location[len(location) + 1 :]
            key = fields.get(toml_key, fields.get(toml_key.split(".")[0], GENERAL))
        message = problem.message if key != GENERAL else str(problem)
        found.setdefault(key, []).append(message)
    return found


# --- forecasts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One project figure that moved between two forecasts."""

    project: str
    name: str
    figure: str  # "P50", "P80", "P95" or "P(success)"
    before: float
    after: float

    @property
    def delta(self) -> float:
        return self.after - self.before

    def sentence(self) -> str:
        if self.figure == "P(success)":
            return (
                f"{self.name} {self.figure} moved {self.delta * 100:+.0f} points ({self.before:.0%} → {self.after:.0%})"
            )
        return f"{self.name} {self.figure} moved {self.delta:+.0f} days"


def forecast_changes(
    before: pl.DataFrame, after: pl.DataFrame, *, min_days: float = 1.0, min_p: float = 0.01
) -> list[Change]:
    """The P50/P80/P(success) moves of each project present in both forecasts' project frames.

    Moves smaller than `min_days` working days (or `min_p` for probabilities) are noise at a
    usual trial count and are left out.
    """
    old = {row["id"]: row for row in before.to_dicts()}
    changes = []
    for row in after.to_dicts():
        prior = old.get(row["id"])
        if prior is None:
            continue
        for column, figure, threshold in (
            ("p50", "P50", min_days),
            ("p80", "P80", min_days),
            ("p_success", "P(success)", min_p),
        ):
            a, b = prior[column], row[column]
            if _finite(a) and _finite(b) and abs(b - a) >= threshold:
                changes.append(Change(row["id"], row["name"] or row["id"], figure, a, b))
    return changes


@dataclass(frozen=True)
class RecordedForecast:
    """The newest forecast snapshot a workspace holds, shaped like `Forecast.projects` for the Portfolio.

    A snapshot keeps per project only P50/P80/P95 (working days, if it succeeds), the mean,
    P(success) and P(on time): no criticality, no per-trial finish days, so the screens that need
    those wait for a live run. Dates are computed from the days with the plan's current calendar.
    """

    snapshot: int
    created: dt.datetime | None
    who: str | None
    trials: int
    seed: int
    plan_version: int | None
    projects: pl.DataFrame  # id, name, p50/p80/p95, date_p50/80/95, p_success, p_on_time, expected_value

    def label(self, plan_version: int | None = None) -> str:
        """What these figures are, in one line: when recorded, with how many trials, whether the plan moved since."""
        when = self.created.strftime("%Y-%m-%d %H:%M UTC") if self.created else "an unknown date"
        text = f"recorded forecast of {when} ({self.trials:,} trials, seed {self.seed})"
        if plan_version is not None and self.plan_version is not None and self.plan_version != plan_version:
            text += f", plan version {self.plan_version} (now {plan_version})"
        return text


def recorded_forecast(plan: Plan) -> RecordedForecast | None:
    """The newest snapshot in `plan.forecasts` for the plan's current projects; None when there is none."""
    forecasts = plan.forecasts
    if forecasts.height == 0 or plan.plan.height == 0:
        return None
    latest = forecasts.filter(pl.col("snapshot") == forecasts["snapshot"].max())
    head = latest.row(0, named=True)
    figures = {r["id"]: r for r in latest.filter(pl.col("level") == "project").iter_rows(named=True)}
    finish_date = working_day_finder(plan.start, plan.holidays)

    def date(days: float | None) -> dt.date | None:
        return finish_date(days) if days is not None and _finite(days) else None

    rows = []
    for project in plan.projects.iter_rows(named=True):
        f = figures.get(project["id"])
        if f is None:
            continue
        value = project["value"] if project["value"] is not None else 1.0  # compile's default value
        p_success = f["p_success"]
        rows.append(
            {
                "id": project["id"],
                "name": project["name"] or project["id"],
                **{f"p{q}": f[f"p{q}"] for q in (50, 80, 95)},
                **{f"date_p{q}": date(f[f"p{q}"]) for q in (50, 80, 95)},
                "p_success": p_success,
                "p_on_time": f["p_on_time"],
                "expected_value": value * p_success if p_success is not None else None,
            }
        )
    schema = {
        "id": pl.String,
        "name": pl.String,
        **{f"p{q}": pl.Float64 for q in (50, 80, 95)},
        **{f"date_p{q}": pl.Date for q in (50, 80, 95)},
        "p_success": pl.Float64,
        "p_on_time": pl.Float64,
        "expected_value": pl.Float64,
    }
    return RecordedForecast(
        snapshot=head["snapshot"],
        created=head["created"],
        who=head["who"],
        trials=head["trials"],
        seed=head["seed"],
        plan_version=head["plan_version"],
        projects=pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema),
    )


def working_day_finder(start: dt.date, holidays: Iterable[dt.date]) -> Callable[[float], dt.date]:
    """`Calendar(start, holidays).finish_date` in plain Python (Mon–Fri, holidays skipped).

    The app's first paint shows a recorded forecast's dates with it: this keeps NumPy (which the
    Calendar needs) out of the launch, about a tenth of a second. A test holds it equal to Calendar.
    """
    off = set(holidays)

    def working(day: dt.date) -> bool:
        return day.weekday() < 5 and day not in off

    day0 = start
    while not working(day0):
        day0 += dt.timedelta(days=1)

    def finish_date(days: float) -> dt.date:
        index = math.ceil(days) - 1  # work ending at `days` is done on working day ceil(days) - 1
        step = dt.timedelta(days=1 if index >= 0 else -1)
        day, left = day0, abs(index)
        while left:
            day += step
            left -= working(day)
        return day

    return finish_date


def compare_forecasts(baseline: pl.DataFrame, whatif: pl.DataFrame) -> pl.DataFrame:
    """Baseline and what-if side by side per project: P50, P80 (days) and P(success), each with its delta.

    Projects the what-if drops keep their baseline figures with null what-if columns.
    """
    figures = ["p50", "p80", "p_success"]
    left = baseline.select("id", "name", *figures)
    right = whatif.select("id", *[pl.col(f).alias(f"{f}_whatif") for f in figures])
    joined = left.join(right, on="id", how="left", maintain_order="left")
    return joined.select(
        "id",
        "name",
        *[
            expr
            for f in figures
            for expr in (
                pl.col(f).alias(f"{f}_base"),
                pl.col(f"{f}_whatif"),
                (pl.col(f"{f}_whatif") - pl.col(f)).alias(f"{f}_delta"),
            )
        ],
    )


def histogram(finish_days: np.ndarray, bins: int = 20) -> tuple[np.ndarray, np.ndarray, float]:
    """Counts of the finite finish days in `bins` equal bins, the bin edges, and the share of trials that failed."""
    import numpy as np  # here, not at import: the app's first paint needs this module but not NumPy

    finish_days = np.asarray(finish_days, dtype=float)
    done = finish_days[np.isfinite(finish_days)]
    failed = 1.0 - done.size / finish_days.size if finish_days.size else 0.0
    if done.size == 0:
        return np.zeros(bins, dtype=np.int64), np.zeros(bins + 1), failed
    low, high = float(done.min()), float(done.max())
    if high == low:
        high = low + 1.0
    counts, edges = np.histogram(done, bins=bins, range=(low, high))
    return counts, edges, failed


# --- retros -------------------------------------------------------------------------------------

RETRO_COLUMNS = pl.Schema(
    {
        "person": pl.String,
        "tasks": pl.Int64,
        "median_ratio": pl.Float64,
        "within_estimate": pl.Float64,
        "success_rate": pl.Float64,
        "stated_p": pl.Float64,
    }
)


def estimate_accuracy(history: pl.DataFrame) -> pl.DataFrame:
    """Per person, then "all": finished tasks, median actual / likely estimate, share finished within
    the high estimate, success rate and the mean stated p_success (calibration: the last two should agree).

    Rows without an estimate count for success but not for the ratios.
    """
    if history.height == 0:
        return pl.DataFrame(schema=RETRO_COLUMNS)
    data = history.with_columns(
        pl.col("person").fill_null("(unknown)"),
        (pl.col("actual_days") / pl.col("est_likely")).alias("ratio"),
        (pl.col("actual_days") <= pl.col("est_high")).cast(pl.Float64).alias("within"),
        pl.col("succeeded").cast(pl.Float64).alias("ok"),
    )

    people = data.group_by("person", maintain_order=True).agg(_retro_figures()).sort("person")
    total = data.select(pl.lit("all").alias("person"), *_retro_figures())
    return pl.concat([people, total]).cast(RETRO_COLUMNS)


def _retro_figures() -> list[pl.Expr]:
    return [
        pl.len().cast(pl.Int64).alias("tasks"),
        pl.col("ratio").median().alias("median_ratio"),
        pl.col("within").mean().alias("within_estimate"),
        pl.col("ok").mean().alias("success_rate"),
        pl.col("p_success").fill_null(1.0).mean().alias("stated_p"),
    ]


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


# --- the org questionnaire and the health checks --------------------------------------------


def with_answers(plan: Plan, answers: dict[str, str | None]) -> Plan:
    """The plan with questionnaire answers set (None clears one), in the questionnaire's order;
    answers to questions it does not know stay, after the known ones."""
    from teamcast.engine.practice.org import QUESTIONS, answers_of  # the questionnaire: not needed at launch

    merged = answers_of(plan) | answers
    known = [q.id for q in QUESTIONS]
    order = known + [q for q in merged if q not in known]
    rows = [{"question": q, "answer": merged[q]} for q in order if merged.get(q) is not None]
    return plan.replace(org_answers=frame("org_answers", rows))


def findings_by_section(findings: list, sections: dict[str, str]) -> dict[str, list]:
    """Every section of `sections` (check -> section, in registration order) with its findings;
    findings of a check no section names go under "other checks"."""
    grouped: dict[str, list] = {section: [] for section in sections.values()}
    for finding in findings:
        grouped.setdefault(sections.get(finding.check, "other checks"), []).append(finding)
    return grouped


# --- the retro's windows --------------------------------------------------------------------

# Label and months back from the plan's start; None keeps all finished work.
RETRO_WINDOWS: tuple[tuple[str, int | None], ...] = (("all", None), ("last quarter", 3), ("last month", 1))


def months_before(date: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier, or that month's last day when it is shorter."""
    month_index = date.year * 12 + date.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(date.day, calendar.monthrange(year, month + 1)[1])
    return dt.date(year, month + 1, day)


def retro_since(start: dt.date | None, window: str) -> dt.date | None:
    """The first finish date a retro window keeps, relative to the plan's start (None: everything)."""
    months = dict(RETRO_WINDOWS)[window]
    return None if months is None or start is None else months_before(start, months)
