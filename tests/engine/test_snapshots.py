"""Recording forecast snapshots into a workspace and reading them back."""

import datetime as dt

import polars as pl
import pytest

from teamcast.engine.forecast.simulate import simulate
from teamcast.engine.forecast.snapshots import latest_task_forecast, project_trend, record, snapshots
from teamcast.engine.plan.demo import demo_plan
from teamcast.engine.plan.model import FORECASTS_SCHEMA
from teamcast.engine.plan.workspace import Workspace


@pytest.fixture(scope="module")
def forecast():
    return simulate(demo_plan(), trials=300, seed=3)


def test_record_appends_one_snapshot_per_run(tmp_path, forecast):
    path = tmp_path / "team.db"
    with Workspace.create(path) as store:
        store.import_plan(demo_plan())
        version = store.plan_version()
        first = record(store, forecast, who="ana")
    second = record(path, forecast, who="ben")  # a path works too
    assert (first, second) == (1, 2)
    with Workspace.open(path) as store:
        rows = store.load().forecasts
    assert rows.schema == FORECASTS_SCHEMA
    runs = snapshots(rows)
    assert runs["who"].to_list() == ["ana", "ben"] and runs["plan_version"].to_list() == [version, version]
    assert runs["seed"].to_list() == [3, 3] and runs["trials"].to_list() == [300, 300]
    assert abs(runs["created"][0] - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    per_snapshot = rows.filter(pl.col("snapshot") == 1)
    assert per_snapshot.filter(pl.col("level") == "project").height == forecast.projects.height
    assert per_snapshot.filter(pl.col("level") == "task").height == forecast.tasks.height


def test_stored_values_are_the_forecasts(tmp_path, forecast):
    path = tmp_path / "team.db"
    with Workspace.create(path) as store:
        store.import_plan(demo_plan())
        record(store, forecast, who="ana")
        rows = store.load().forecasts
    fraud = forecast.projects.filter(pl.col("id") == "fraud").row(0, named=True)
    trend = project_trend(rows, "fraud")
    assert trend.height == 1
    assert trend.row(0, named=True)["p80"] == pytest.approx(fraud["p80"])
    assert trend.row(0, named=True)["p_on_time"] == pytest.approx(fraud["p_on_time"])
    task = forecast.tasks.filter(pl.col("id") == "fraud-gbm").row(0, named=True)
    assert latest_task_forecast(rows, "fraud-gbm")["p50"] == pytest.approx(task["p50"])
    assert latest_task_forecast(rows, "nope") is None


def test_snapshots_survive_a_reimport(tmp_path, forecast):
    path = tmp_path / "team.db"
    with Workspace.create(path) as store:
        store.import_plan(demo_plan())
        record(store, forecast, who="ana")
        store.import_plan(demo_plan())
        assert snapshots(store.load().forecasts).height == 1
