"""Forecast trends: each project's P50/P80 date across the recorded snapshots, and how fast it slips.

A slip rate needs snapshots at least MIN_TREND_SPAN_DAYS apart; closer ones give no rate and
the retro says so (two runs minutes apart differ by noise, not by time).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import polars as pl

from teamcast.engine.plan.calendar import Calendar
from teamcast.engine.plan.model import Plan
from teamcast.engine.retro import calibration as cal

# A project's date that moves out by more than this many days per day of calendar time is flagged.
SLIP_FLAG = 1.0
# A slip rate needs snapshots at least this far apart (calendar days): two runs minutes apart
# would turn noise between seeds into "days per day" figures in the thousands.
MIN_TREND_SPAN_DAYS = 1.0


@dataclass(frozen=True)
class Trend:
    """A project's forecast dates across snapshots and how fast they slip (days per day)."""

    project: str
    name: str
    points: list[dict]  # snapshot, created (ISO), date_p50, date_p80, p_success
    slip_p50: float
    slip_p80: float
    span_days: float = math.nan  # calendar days from the first snapshot to the last

    @property
    def too_short(self) -> bool:
        """Fewer than two snapshots, or all within MIN_TREND_SPAN_DAYS: no slip rate is given."""
        return not self.span_days >= MIN_TREND_SPAN_DAYS

    @property
    def flagged(self) -> bool:
        return any(s > SLIP_FLAG for s in (self.slip_p50, self.slip_p80) if not math.isnan(s))


def trends(plan: Plan) -> list[Trend]:
    """Each project's P50/P80 finish date in every snapshot, and its slip rate (least squares)."""
    forecasts = plan.forecasts.filter(pl.col("level") == "project")
    if forecasts.height == 0 or not plan.plan.height:
        return []
    calendar = Calendar(plan.start, plan.holidays)
    names = dict(plan.projects.select("id", "name").iter_rows())
    found = []
    for project in forecasts["id"].unique(maintain_order=True).to_list():
        rows = forecasts.filter(pl.col("id") == project).sort("snapshot").to_dicts()
        points, made, p50s, p80s = [], [], [], []
        for row in rows:
            d50, d80 = (_finish(calendar, row[q]) for q in ("p50", "p80"))
            points.append(
                {
                    "snapshot": row["snapshot"],
                    "created": row["created"].isoformat() if row["created"] else None,
                    "date_p50": d50.isoformat() if d50 else None,
                    "date_p80": d80.isoformat() if d80 else None,
                    "p_success": row["p_success"],
                }
            )
            made.append(row["created"].timestamp() / 86400 if row["created"] else math.nan)
            p50s.append(d50.toordinal() if d50 else math.nan)
            p80s.append(d80.toordinal() if d80 else math.nan)
        times = [m for m in made if not math.isnan(m)]
        span = max(times) - min(times) if times else math.nan
        slips = (
            (cal.slip_rate(made, p50s), cal.slip_rate(made, p80s)) if span >= MIN_TREND_SPAN_DAYS else (math.nan,) * 2
        )
        found.append(Trend(project, names.get(project) or project, points, *slips, span_days=span))
    return found


def _finish(calendar: Calendar, days) -> dt.date | None:
    if days is None or not math.isfinite(days):
        return None
    return calendar.finish_date(days)
