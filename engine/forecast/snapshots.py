"""Forecast snapshots: record a forecast run into a workspace (append-only) and read the snapshots back.

A snapshot keeps who ran it, when, on which plan version and seed, and per project and per
task the percentiles and probabilities; retros compare them with what happened, and the
trend of a project's P50/P80 across snapshots shows whether its date keeps slipping.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from pathlib import Path

import polars as pl

from teamcast.engine.plan.model import FORECASTS_SCHEMA
from teamcast.engine.plan.workspace import Workspace


def who_am_i() -> str:
    """The user recorded with a snapshot when none is given: $TEAMCAST_USER, else the login name."""
    return os.environ.get("TEAMCAST_USER") or getpass.getuser()


def snapshot_frame(forecast, *, who: str | None = None, created: dt.datetime | None = None) -> pl.DataFrame:
    """The FORECASTS_SCHEMA rows of one forecast (snapshot and plan_version left null for the workspace)."""
    common = {
        "created": created,
        "who": who if who is not None else who_am_i(),
        "seed": forecast.seed,
        "trials": forecast.trials,
    }
    projects = forecast.projects.select(
        pl.lit("project").alias("level"), "id", "p50", "p80", "p95", "mean", "p_success", "p_on_time"
    )
    tasks = forecast.tasks.select(
        pl.lit("task").alias("level"),
        "id",
        "p50",
        "p80",
        "p95",
        pl.lit(None, pl.Float64).alias("mean"),
        "p_success",
        pl.lit(None, pl.Float64).alias("p_on_time"),
    )
    rows = pl.concat([projects, tasks], how="vertical_relaxed")
    return rows.with_columns(
        pl.lit(None, pl.Int64).alias("snapshot"),
        pl.lit(common["created"], FORECASTS_SCHEMA["created"]).alias("created"),
        pl.lit(common["who"], pl.String).alias("who"),
        pl.lit(None, pl.Int64).alias("plan_version"),
        pl.lit(common["seed"], pl.Int64).alias("seed"),
        pl.lit(common["trials"], pl.Int64).alias("trials"),
    ).select(list(FORECASTS_SCHEMA))


def record(workspace: Workspace | str | Path, forecast, who: str | None = None) -> int:
    """Append `forecast` to the workspace as a new snapshot and return the snapshot's id."""
    frame = snapshot_frame(forecast, who=who)
    if isinstance(workspace, Workspace):
        return workspace.append_forecasts(frame)
    with Workspace.open(workspace) as store:
        return store.append_forecasts(frame)


def snapshots(forecasts: pl.DataFrame) -> pl.DataFrame:
    """One row per snapshot: snapshot, created, who, plan_version, seed, trials, in order."""
    return (
        forecasts.group_by("snapshot", maintain_order=True)
        .agg(pl.col("created", "who", "plan_version", "seed", "trials").first())
        .sort("snapshot")
    )


def project_trend(forecasts: pl.DataFrame, project: str) -> pl.DataFrame:
    """A project's forecast in every snapshot that has it: snapshot, created, p50, p80 (days), p_success."""
    return (
        forecasts.filter((pl.col("level") == "project") & (pl.col("id") == project))
        .select("snapshot", "created", "p50", "p80", "p_success", "p_on_time")
        .sort("snapshot")
    )


def latest_task_forecast(forecasts: pl.DataFrame, task: str) -> dict | None:
    """The task's row of the newest snapshot that has it, or None."""
    rows = forecasts.filter((pl.col("level") == "task") & (pl.col("id") == task)).sort("snapshot")
    return rows.row(-1, named=True) if rows.height else None
