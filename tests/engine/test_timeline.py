"""The timeline's lanes, bars, whiskers and cells, without Textual."""

from __future__ import annotations

import polars as pl

from teamcast.engine import deterministic_schedule
from teamcast.engine.forecast.simulate import simulate
from teamcast.engine.plan.demo import demo_plan
from teamcast.engine.timeline import axis, beyond, build_timeline, column, grid, whisker_cells


def test_every_scheduled_task_sits_in_the_lanes_of_who_held_it():
    plan = demo_plan()
    schedule = deterministic_schedule(plan)
    timeline = build_timeline(plan, schedule=schedule)
    kinds = {lane.id: lane.kind for lane in timeline.lanes}
    assert [lane.id for lane in timeline.lanes][: plan.people.height] == plan.people["id"].to_list()
    assert kinds["req-researcher"] == "hire" and kinds["gpus"] == "pool"
    for row in schedule.iter_rows(named=True):
        held = {u.split("#")[0] for u in row["who"]} or {""}
        for unit in held:
            lane = next(lane for lane in timeline.lanes if lane.id == unit)
            bar = next(b for b in lane.bars if b.task == row["task"])
            assert (bar.start, bar.finish) == (row["start"], max(row["finish"], row["start"]))


def test_done_and_doing_marks_and_the_abandoned_approach():
    plan = demo_plan()
    timeline = build_timeline(plan)
    assert timeline.bar("fraud-spec").mark == "done"
    assert timeline.bar("fraud-eval-harness").mark == "doing"
    # An approach of the parallel challenge that the point schedule never runs.
    scheduled = set(deterministic_schedule(plan)["task"].to_list())
    approaches = set(plan.challenges["approaches"][0])
    assert set(timeline.abandoned) == approaches - scheduled
    failed = plan.tasks.with_columns(
        status=pl.when(pl.col("id") == "fraud-spec").then(pl.lit("failed")).otherwise(pl.col("status"))
    )
    assert build_timeline(plan.replace(tasks=failed)).bar("fraud-spec").mark == "failed"


def test_an_open_position_arrives_at_its_likely_time_to_hire():
    plan = demo_plan()
    lane = next(lane for lane in build_timeline(plan).lanes if lane.id == "req-data-engineer")
    assert lane.arrives == plan.hires.filter(pl.col("id") == "req-data-engineer")["tth_likely"][0]
    assert all(bar.start >= lane.arrives for bar in lane.bars)


def test_whiskers_carry_the_forecast_and_the_deadline():
    plan = demo_plan()
    forecast = simulate(plan, trials=256, seed=0)
    timeline = build_timeline(plan, forecast.projects)
    by_id = {w.project: w for w in timeline.whiskers}
    row = forecast.projects.filter(pl.col("id") == "fraud").row(0, named=True)
    fraud = by_id["fraud"]
    assert (fraud.p50, fraud.p80, fraud.p95) == (row["p50"], row["p80"], row["p95"])
    assert fraud.deadline == timeline.calendar.end_of_day(plan.projects["deadline"][0])
    cells = whisker_cells(fraud, 0.0, 1.0, 120)
    assert cells[column(fraud.p50, 0.0, 1.0)] == "├"
    assert cells[column(fraud.p95, 0.0, 1.0)] == "┤"
    assert "◆" in cells
    # Without a forecast, only deadlines.
    bare = build_timeline(plan).whiskers[0]
    assert bare.p50 is None and "├" not in whisker_cells(bare, 0.0, 1.0, 120)


def test_grid_zooms_and_scrolls():
    plan = demo_plan()
    timeline = build_timeline(plan)
    lane = next(lane for lane in timeline.lanes if lane.id == "jonas")
    by_day = grid(lane, timeline.first, 1.0, 200)
    by_week = grid(lane, timeline.first, 5.0, 40)
    assert sum(1 for c in by_day if c) > sum(1 for c in by_week if c) > 0
    later = grid(lane, timeline.first + 10, 1.0, 200)
    assert later[:-10] == by_day[10:]  # ten days later: the same cells, ten columns to the left
    assert "Jan" in axis(timeline.calendar, 0.0, 1.0, 60)
    assert axis(timeline.calendar, -45.0, 5.0, 40).startswith("Nov'26")


def test_a_whisker_out_of_the_window_says_where_it_is():
    plan = demo_plan()
    forecast = simulate(plan, trials=256, seed=0)
    timeline = build_timeline(plan, forecast.projects)
    fraud = timeline.whiskers[0]
    date = timeline.calendar.finish_date(fraud.p50)
    left, right = beyond(fraud, timeline.calendar, -40.0, 1.0, 60)
    assert left == "" and right.endswith("→") and f"P50 {date:%b %d}" in right and "due Apr 30" in right
    left, right = beyond(fraud, timeline.calendar, 200.0, 1.0, 60)
    assert left.startswith("← P50") and right == ""
    assert beyond(fraud, timeline.calendar, 0.0, 1.0, 120) == ("", "")  # in the window: drawn, no words
    # Half in: only the marks beyond the edge are named.
    left, right = beyond(fraud, timeline.calendar, fraud.p50 - 5, 1.0, 10)
    assert left == "" and "P50" not in right and "P95" in right
