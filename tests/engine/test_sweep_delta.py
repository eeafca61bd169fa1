"""Sweeps as deltas: a scenario applied to the plan compiled once gives what the full path gives.

The full path is what every sweep did before: validate the scenario's whole plan, compile it
and simulate it. The delta path must give the same compiled arrays, the same error rows and
the same numbers, scenario by scenario, on every kind of variation.
"""

from dataclasses import fields

import numpy as np
import polars as pl
import pytest

from teamcast.engine.forecast.compile import compile_plan
from teamcast.engine.forecast.simulate import simulate
from teamcast.engine.forecast.sweep import changed_keys, grid, parse_vary, run_scenario, sweep, vary
from teamcast.engine.forecast.sweep_delta import SweepBase
from teamcast.engine.plan.demo import demo_plan
from teamcast.engine.plan.planfile import parse_plan_text
from teamcast.engine.plan.validate import validate_plan
from teamcast.errors import PlanError

# One axis per kind of variation on the demo; each value is a scenario of its own. Some are
# invalid on purpose (a role left with too few people, a person still named by work in progress,
# a capacity under the bound, an arrival past the limit).
DEMO_AXES = [
    "people.ml_engineer=0,1,2,4,6",
    "people.devops_engineer=1,3",
    "people.data_scientist=0,1",
    "hire.data_engineer=none,5,200",
    "hire.devops_engineer=10",
    "hire.req-researcher=on,off",
    "capacity.maya=0.3,1.0,0.005,0.01",
    "capacity.wei=0.5",
    "arrival.req-data-engineer=5,20000",
    "strategy.fraud-beat-rules=parallel,sequential",
    "model=pert,lognormal,triangular",
    "priority=value,lft,risk-first",
    "modifier=none,stall",
    "project.fraud=on,off",
]


def _scenarios(axes):
    return [s for spec in axes for s in grid([parse_vary(spec)])]


def assert_same_compiled(a, b):
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "inp":
            for g in fields(x):
                np.testing.assert_array_equal(getattr(x, g.name), getattr(y, g.name), err_msg=g.name)
        elif f.name == "plan":
            assert x.equals(y)
        elif f.name == "tasks":
            assert x.equals(y)
        elif f.name == "calendar":
            assert (x.start, x.day0) == (y.start, y.day0)  # scenarios never change the calendar
        elif isinstance(x, np.ndarray):
            if x.dtype == object:
                assert x.tolist() == y.tolist(), f.name
            else:
                np.testing.assert_array_equal(x, y, err_msg=f.name)
        else:
            assert x == y, f.name


@pytest.fixture(scope="module")
def demo():
    return demo_plan()


def without_work_in_progress(plan):
    """The demo with its work in progress not started: the delta checks only changed people."""
    doing = pl.col("status") == "doing"
    return plan.replace(
        tasks=plan.tasks.with_columns(
            status=pl.when(doing).then(pl.lit("todo")).otherwise(pl.col("status")),
            started=pl.when(doing).then(None).otherwise(pl.col("started")),
            actual_days=pl.when(doing).then(None).otherwise(pl.col("actual_days")),
        )
    )


@pytest.fixture(scope="module", params=["demo", "demo without work in progress"])
def plans(request, demo):
    plan = demo if request.param == "demo" else without_work_in_progress(demo)
    return plan, SweepBase(plan)


@pytest.mark.parametrize("scenario", _scenarios(DEMO_AXES), ids=lambda s: s.label)
def test_a_delta_compiles_what_the_full_path_compiles(plans, scenario):
    demo, base = plans
    varied, _ = vary(demo, scenario)
    errors = [p for p in validate_plan(varied) if p.severity == "error"]
    if errors:
        with pytest.raises(PlanError) as raised:
            base.prepare(varied, changed_keys(scenario))
        assert raised.value.problems == errors  # the same problems, at the same locations
    else:
        assert_same_compiled(base.prepare(varied, changed_keys(scenario)), compile_plan(varied))


def test_a_delta_sweep_gives_the_numbers_of_simulating_each_scenario_plan(demo):
    """Every kind at once, some combined: the rows equal the old path's, which simulated
    each scenario's own plan after validating it whole."""
    axes = [
        parse_vary("people.ml_engineer=5,6"),
        parse_vary("hire.data_engineer=none,5"),
        parse_vary("capacity.wei=0.5,1.0"),
        parse_vary("strategy.fraud-beat-rules=parallel,sequential"),
        parse_vary("priority=value,risk-first"),
    ]
    table = sweep(demo, axes, trials=300, seed=4)
    old = [row for s in grid(axes) for row in run_scenario(demo, s, 300, 4)]
    assert repr(table.to_dicts()) == repr([{k: row.get(k) for k in table.columns} for row in old])
    assert table["error"].is_null().all()
    # And the old path is simulate on the scenario's plan.
    last = grid(axes)[-1]
    varied, options = vary(demo, last)
    forecast = simulate(varied, trials=300, seed=4, priority=options.priority, sensitivity=False)
    rows = table.filter(table["scenario"] == last.index)
    assert rows["p80"].to_list() == forecast.projects["p80"].to_list()
    assert rows["p_on_time"].to_list() == forecast.projects["p_on_time"].to_list()


@pytest.mark.parametrize("spec", DEMO_AXES)
def test_every_kind_alone_matches_the_old_path_row_for_row(plans, spec):
    demo, base = plans
    for scenario in grid([parse_vary(spec)]):
        # repr: exact floats, and NaN (no deadline) equal to NaN
        assert repr(run_scenario(base, scenario, 200, 7)) == repr(run_scenario(demo, scenario, 200, 7)), scenario.label


CYCLE = """
[plan]
name = "cycle"
start = 2027-01-04
default_model = "fixed"

[[people]]
id = "ana"
role = "ml_researcher"

[[projects]]
id = "p"

[[projects.tasks]]
id = "a"
estimate = 3
role = "ml_researcher"
after = ["b"]

[[projects.tasks]]
id = "b"
estimate = 2
role = "ml_researcher"

[[projects.challenges]]
id = "goal"
strategy = "parallel"
approaches = ["a", "b"]
"""


def test_a_sequential_strategy_that_closes_a_cycle_is_the_same_error_row():
    # a waits for b; trying a before b (sequential) makes b wait for a too.
    plan = parse_plan_text(CYCLE)
    base = SweepBase(plan)
    for scenario in grid([parse_vary("strategy.goal=parallel,sequential")]):
        assert repr(run_scenario(base, scenario, 50, 1)) == repr(run_scenario(plan, scenario, 50, 1))
    assert (
        "dependency cycle" in run_scenario(base, grid([parse_vary("strategy.goal=sequential")])[0], 50, 1)[0]["error"]
    )


def test_common_random_numbers_hold_across_delta_scenarios(demo):
    """Scenarios that change nothing a trial draws give the baseline's numbers exactly, and a
    scenario that changes only the order of work keeps every project's P(success)."""
    table = sweep(
        demo,
        [parse_vary("capacity.tomas=0.6,1.0"), parse_vary("priority=value,lft"), parse_vary("hire.req-researcher=on")],
        trials=500,
        seed=11,
    )
    base = sweep(demo, [], trials=500, seed=11)
    metrics = ["project", "p50", "p80", "p95", "p_success", "p_on_time"]
    same = table.filter((table["capacity.tomas"] == "0.6") & (table["priority"] == "value"))
    assert same.select(metrics).equals(base.select(metrics))  # tomas's capacity is 0.6 already
    # The same efforts and outcomes were drawn for every scenario: P(success) depends only on them.
    for _, group in table.group_by("scenario"):
        assert group.sort("project")["p_success"].to_list() == base.sort("project")["p_success"].to_list()


def test_the_base_is_prepared_once_per_process_and_travels_light(demo):
    import pickle

    base = SweepBase(demo)
    copy = pickle.loads(pickle.dumps(base))
    assert copy.compiled is None and copy.token == base.token  # plan and token only
    from teamcast.engine.forecast.sweep_delta import shared_base

    prepared = shared_base(copy)
    assert prepared.compiled is not None and shared_base(pickle.loads(pickle.dumps(base))) is prepared


def _clash(plan, column, value, row=0):
    people = plan.people.with_columns(
        pl.when(pl.int_range(pl.len()) == row).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    )
    return plan.replace(people=people)


@pytest.mark.parametrize(
    "change",
    [
        lambda p: _clash(p, "id", p.people["id"][1]),  # two people with one id
        lambda p: _clash(p, "id", "ml_engineer"),  # a person named like a role
        lambda p: _clash(p, "id", p.hires["id"][0]),  # a person named like an open hire
        lambda p: _clash(p, "reports_to", "nobody"),
        lambda p: _clash(p, "capacity", 0.0),
        lambda p: p.replace(teams=p.teams.with_columns(lead=pl.lit("nobody"))),
    ],
    ids=["duplicate id", "role name", "hire id", "unknown manager", "zero capacity", "unknown lead"],
)
def test_what_the_cheap_checks_cannot_clear_gets_the_validators_own_errors(demo, change):
    """However a people change breaks the plan, the delta reports the validator's problems."""
    for plan in (demo, without_work_in_progress(demo)):
        varied = change(plan)
        errors = [p for p in validate_plan(varied) if p.severity == "error"]
        assert errors
        with pytest.raises(PlanError) as raised:
            SweepBase(plan).prepare(varied, ["people.ml_engineer"])
        assert raised.value.problems == errors
