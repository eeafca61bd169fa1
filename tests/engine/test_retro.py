"""The team retro built from a plan: selection, scores, inputs (experiments) and date trends; and `teamcast retro`."""

import datetime as dt
import json
import math

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from teamcast.engine.commands.cli import main
from teamcast.engine.commands.retro import commands
from teamcast.engine.plan.demo import demo_plan
from teamcast.engine.plan.model import frame
from teamcast.engine.plan.workspace import Workspace
from teamcast.engine.retro import calibration as cal
from teamcast.engine.retro.review import build_retro, render_retro, retro_json, select_history

for command in commands:  # until engine/commands/cli.py lists the module
    if command.name not in main.commands:
        main.add_command(command)


@pytest.fixture(scope="module")
def plan():
    return demo_plan()


def test_scores_equal_calibration_on_the_selected_history(plan):
    retro = build_retro(plan)
    p = plan.history["p_success"].to_numpy()
    y = plan.history["succeeded"].to_numpy().astype(float)
    assert retro.success.n == plan.history.height
    assert retro.success.brier == pytest.approx(cal.brier_score(p, y))
    assert retro.success.enough
    # PIT under Beta-PERT: F(actual) with the estimate's three points.
    from teamcast.plugins.manager import get_registry

    rows = plan.history.with_columns(pl.col("task").alias("id"))
    pit = get_registry().duration_model("pert").cdf(rows, rows["actual_days"].to_numpy()[None, :]).reshape(-1)
    assert retro.durations.pit == pytest.approx(pit)
    assert retro.durations.coverage80 == pytest.approx(np.mean((pit >= 0.1) & (pit <= 0.9)))


def test_selection_by_date_team_and_person(plan):
    since = dt.date(2026, 10, 1)
    assert select_history(plan, since=since)["finished"].min() >= since
    risk = select_history(plan, team="risk")
    assert set(risk["person"]) <= set(plan.people.filter(pl.col("team") == "risk")["id"])
    retro = build_retro(plan, person="wei")
    assert [g.id for g in retro.people] == ["wei"]
    assert retro.success.n == plan.history.filter(pl.col("person") == "wei").height
    assert not retro.success.enough  # wei has fewer than 20 resolved forecasts
    assert f"NOT ENOUGH DATA: {retro.success.n} resolved forecasts, 20 needed" in render_retro(retro)


def test_people_are_sorted_by_name_never_by_success(plan):
    retro = build_retro(plan)
    assert [g.id for g in retro.people] == sorted(g.id for g in retro.people)
    assert [r["person"] for r in retro.experiments_by_person] == sorted(
        r["person"] for r in retro.experiments_by_person
    )
    assert all(g.brier is None for g in retro.people if g.resolved < cal.MIN_RESOLVED)
    wei = next(r for r in retro.experiments_by_person if r["person"] == "wei")
    log = plan.experiments.filter(pl.col("person") == "wei")
    assert (wei["experiments"], wei["experiment_days"]) == (log.height, pytest.approx(log["effort_days"].sum()))


def test_trend_flags_a_date_that_slips_faster_than_time(plan):
    t0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    rows = [
        {
            "snapshot": s,
            "created": t0 + dt.timedelta(days=7 * (s - 1)),
            "level": "project",
            "id": "fraud",
            "p50": 60.0 + 10 * (s - 1),
            "p80": 70.0 + 10 * (s - 1),
        }  # ten working days later every week
        for s in (1, 2, 3)
    ]
    retro = build_retro(plan.replace(forecasts=frame("forecasts", rows)))
    (trend,) = retro.trends
    assert trend.slip_p50 == pytest.approx(2.0, abs=0.1)  # 10 working days = 14 calendar days per 7 days
    assert trend.flagged
    assert "<- slipping" in render_retro(retro)


def test_snapshots_minutes_apart_give_no_trend(plan, tmp_path):
    # Two real runs recorded minutes apart, with different seeds: the dates differ by noise.
    from teamcast.engine.forecast.simulate import simulate
    from teamcast.engine.forecast.snapshots import snapshot_frame

    t0 = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    runs = [
        snapshot_frame(simulate(plan, trials=300, seed=seed), who="lead", created=t0 + dt.timedelta(minutes=3 * seed))
        for seed in (1, 2)
    ]
    rows = pl.concat([r.with_columns(snapshot=pl.lit(i + 1, pl.Int64)) for i, r in enumerate(runs)])
    retro = build_retro(plan.replace(forecasts=rows))
    assert retro.trends and all(t.too_short and math.isnan(t.slip_p50) and not t.flagged for t in retro.trends)
    text = render_retro(retro)
    assert "too close together for a trend (less than a day apart)" in text and "days per day" not in text
    data = retro_json(retro)
    assert all(t["too_short"] and t["slip_p50"] is None for t in data["trends"])
    # A day later, the same two snapshots give a rate.
    later = rows.with_columns(
        created=pl.when(pl.col("snapshot") == 2).then(pl.col("created") + dt.timedelta(days=1)).otherwise("created")
    )
    assert not any(t.too_short for t in build_retro(plan.replace(forecasts=later)).trends)


@pytest.fixture
def ws(tmp_path, plan):
    path = tmp_path / "team.db"
    with Workspace.create(path) as store:
        store.import_plan(plan)
    return path


def test_retro_cli_table_and_json(ws, plan):
    runner = CliRunner()
    table = runner.invoke(main, ["retro", str(ws)])
    assert table.exit_code == 0, table.output
    retro = build_retro(plan)
    assert (
        f"Brier score  {retro.success.brier:.3f}  (0-1 scale, 0 is perfect; always saying 50% scores 0.250)"
        in table.stdout
    )
    assert all(len(line) <= 80 for line in table.stdout.splitlines())
    data = json.loads(runner.invoke(main, ["retro", str(ws), "--format", "json", "--team", "risk"]).stdout)
    assert data["selection"] == "team risk"
    assert {p["id"] for p in data["people"]} <= set(plan.people.filter(pl.col("team") == "risk")["id"])
    assert data["success"]["brier"] == pytest.approx(build_retro(plan, team="risk").success.brier, abs=1e-4)


def test_retro_cli_bad_date(ws):
    result = CliRunner().invoke(main, ["retro", str(ws), "--since", "last week"])
    assert result.exit_code == 1
    assert result.stderr == "outcome: --since 'last week' is not a date; write it as YYYY-MM-DD\n"
