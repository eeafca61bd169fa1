"""The driver end to end on small plans whose answers are known: analytic cases, determinism, percentiles."""

import datetime as dt
import json

import numpy as np
import pytest

from teamcast.engine.forecast.sampling import BLOCK
from teamcast.engine.forecast.schedule import deterministic_schedule
from teamcast.engine.forecast.simulate import simulate
from teamcast.engine.plan.model import Plan, frame

START = dt.date(2027, 1, 4)  # a Monday


def make_plan(tasks, *, people=(), projects=None, challenges=(), hires=(), pools=(), default_model="fixed"):
    """A plan from short task dicts: id, estimate (number or [l, m, h]), plus any TASKS column."""
    rows = []
    for t in tasks:
        row = {"project": "p", "title": t["id"], **t}
        est = row.pop("estimate", 1)
        if isinstance(est, list):
            row.update(est_form="range", est_low=est[0], est_likely=est[1], est_high=est[2])
        else:
            row.update(est_form="single", est_likely=float(est))
        rows.append(row)
    projects = projects or [{"id": "p", "name": "P", "value": 1.0}]
    return Plan(
        plan=frame("plan", [{"name": "test", "start": START, "default_model": default_model}]),
        people=frame("people", [{"capacity": 1.0, **p} for p in people]),
        hires=frame("hires", list(hires)),
        pools=frame("pools", list(pools)),
        projects=frame("projects", projects),
        tasks=frame("tasks", rows),
        challenges=frame("challenges", list(challenges)),
    )


def test_chain_finishes_at_the_sum_of_its_efforts():
    plan = make_plan(
        [
            {"id": "a", "estimate": 3},
            {"id": "b", "estimate": 4, "after": ["a"]},
            {"id": "c", "estimate": 5, "after": ["b"]},
        ]
    )
    forecast = simulate(plan, trials=100, seed=1)
    row = forecast.projects.row(0, named=True)
    assert row["p50"] == row["p95"] == 12.0
    assert row["p_success"] == 1.0


def test_parallel_branches_finish_at_the_longest():
    plan = make_plan(
        [{"id": "a", "estimate": 3}, {"id": "b", "estimate": 7}, {"id": "c", "estimate": 2, "after": ["a", "b"]}]
    )
    assert simulate(plan, trials=50).projects["p50"][0] == 9.0


def test_a_single_person_serialises_two_tasks():
    plan = make_plan(
        [{"id": "a", "estimate": 3, "role": "ml_engineer"}, {"id": "b", "estimate": 4, "role": "ml_engineer"}],
        people=[{"id": "ana", "role": "ml_engineer"}],
    )
    forecast = simulate(plan, trials=50)
    assert forecast.projects["p50"][0] == 7.0
    assert forecast.people.row(0, named=True)["utilization"] == pytest.approx(1.0)


def test_capacity_stretches_duration():
    plan = make_plan(
        [{"id": "a", "estimate": 3, "assignee": "ana"}], people=[{"id": "ana", "role": "ml_engineer", "capacity": 0.5}]
    )
    assert simulate(plan, trials=10).projects["p50"][0] == 6.0


def test_portfolio_of_parallel_approaches_succeeds_with_one_minus_product_of_failures():
    ps = [0.5, 0.3, 0.2]
    plan = make_plan(
        [{"id": f"x{i}", "estimate": 5, "p_success": p} for i, p in enumerate(ps)],
        challenges=[{"id": "goal", "project": "p", "strategy": "parallel", "approaches": ["x0", "x1", "x2"]}],
    )
    n = 40_000
    p = simulate(plan, trials=n, seed=3).projects["p_success"][0]
    expected = 1 - np.prod([1 - q for q in ps])  # 0.72
    assert abs(p - expected) < 4 * np.sqrt(expected * (1 - expected) / n)


def test_failure_stops_dependent_work():
    plan = make_plan([{"id": "a", "estimate": 2, "p_success": 0.5}, {"id": "b", "estimate": 2, "after": ["a"]}])
    n = 20_000
    forecast = simulate(plan, trials=n, seed=5)
    tasks = {r["id"]: r for r in forecast.tasks.to_dicts()}
    assert abs(tasks["b"]["p_run"] - 0.5) < 4 * np.sqrt(0.25 / n)
    assert tasks["b"]["p_run"] == tasks["a"]["p_success"]


def test_pert_percentiles_match_the_distribution():
    plan = make_plan([{"id": "a", "estimate": [2, 5, 14]}], default_model="pert")
    n = 50_000
    forecast = simulate(plan, trials=n, seed=11)
    # Beta-PERT(2, 5, 14): alpha = 1 + 4*3/12 = 2, beta = 1 + 4*9/12 = 4; mean = (2 + 20 + 14) / 6 = 6
    from scipy.stats import beta

    assert forecast.projects["mean"][0] == pytest.approx(6.0, abs=4 * 12 * np.sqrt(2 * 4 / (36 * 7)) / np.sqrt(n))
    p80 = 2 + 12 * beta.ppf(0.8, 2, 4)
    assert forecast.projects["p80"][0] == pytest.approx(p80, rel=0.01)


def _demo_like_plan():
    return make_plan(
        [
            {"id": "a", "estimate": [1, 3, 8], "role": "ml_engineer", "p_success": 0.9},
            {"id": "b", "estimate": [2, 4, 9], "role": "ml_engineer"},
            {"id": "c", "estimate": [1, 2, 6], "role": "data_engineer", "after": ["a"]},
            {
                "id": "d",
                "estimate": [3, 5, 12],
                "needs": [{"pool": "ml_engineer", "units": 1}, {"pool": "gpus", "units": 2}],
                "after": ["b"],
                "p_success": 0.6,
            },
            {"id": "e", "estimate": [3, 6, 15], "role": "ml_engineer", "p_success": 0.5},
            {"id": "f", "estimate": [1, 1.5, 3], "role": "data_engineer", "after": ["goal"]},
        ],
        people=[
            {"id": "ana", "role": "ml_engineer"},
            {"id": "bo", "role": "ml_engineer", "capacity": 0.8},
            {"id": "cy", "role": "data_engineer"},
        ],
        hires=[
            {
                "id": "req",
                "role": "ml_engineer",
                "tth_low": 5,
                "tth_likely": 10,
                "tth_high": 30,
                "ramp_days": 20,
                "ramp_productivity": 0.5,
            }
        ],
        pools=[{"id": "gpus", "units": 2}],
        challenges=[{"id": "goal", "project": "p", "strategy": "parallel", "approaches": ["d", "e"]}],
        default_model="pert",
    )


def test_same_seed_same_numbers_whatever_the_chunk_size_and_threads():
    plan = _demo_like_plan()
    runs = [
        simulate(plan, trials=3 * BLOCK + 17, seed=42, chunk_trials=chunk, threads=threads).to_json()
        # Below a block, the kernel takes a block's trials in slices (how very wide plans run).
        for chunk, threads in [(BLOCK, 1), (8 * BLOCK, 1), (2 * BLOCK, 2), (100, 1), (BLOCK // 2, 2)]
    ]
    assert all(json.dumps(run) == json.dumps(runs[0]) for run in runs[1:])
    assert runs[0] != simulate(plan, trials=3 * BLOCK + 17, seed=43).to_json()


def test_runs_one_after_another_give_the_numbers_of_a_run_alone():
    # A run writes into the kernel arrays the last run left (of the same plan or another size):
    # what a forecast holds must not change when a later run reuses them.
    plan, other = _demo_like_plan(), make_plan([{"id": "a", "estimate": [1, 2, 6]}], default_model="pert")
    first = simulate(plan, trials=2 * BLOCK + 5, seed=4)
    kept = (json.dumps(first.to_json()), first.project_finish.copy(), first.tasks.clone())
    for trials, chunk in [(5 * BLOCK, None), (BLOCK // 2, None), (3 * BLOCK, BLOCK)]:
        simulate(other, trials=trials, seed=9, chunk_trials=chunk)
        simulate(plan, trials=trials, seed=9, chunk_trials=chunk)
    again = simulate(plan, trials=2 * BLOCK + 5, seed=4)
    assert json.dumps(first.to_json()) == kept[0] == json.dumps(again.to_json())
    assert np.array_equal(first.project_finish, kept[1], equal_nan=True)
    assert first.tasks.equals(kept[2]) and again.tasks.equals(kept[2])


def test_progress_reports_and_cancellation():
    plan = _demo_like_plan()
    seen = []
    simulate(plan, trials=3 * BLOCK, chunk_trials=BLOCK, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(BLOCK, 3 * BLOCK), (2 * BLOCK, 3 * BLOCK), (3 * BLOCK, 3 * BLOCK)]
    from teamcast.errors import CancelledError

    with pytest.raises(CancelledError):
        simulate(plan, trials=3 * BLOCK, chunk_trials=BLOCK, cancel=lambda: True)


def test_deterministic_schedule_names_who_does_what():
    plan = make_plan(
        [
            {"id": "a", "estimate": 3, "role": "ml_engineer"},
            {"id": "b", "estimate": 4, "role": "ml_engineer"},
            {"id": "c", "estimate": 2, "assignee": "bo", "after": ["a"]},
        ],
        people=[{"id": "ana", "role": "ml_engineer"}, {"id": "bo", "role": "ml_engineer"}],
    )
    table = deterministic_schedule(plan, priority="manual")
    rows = {r["task"]: r for r in table.to_dicts()}
    assert rows["a"]["who"] == ["ana"] and rows["b"]["who"] == ["bo"]
    assert (rows["c"]["start"], rows["c"]["finish"]) == (4.0, 6.0)
    assert rows["c"]["finish_date"] == dt.date(2027, 1, 11)


def test_column_percentiles_match_numpy():
    from teamcast.engine.forecast.aggregate import column_percentiles

    rng = np.random.default_rng(0)
    values = rng.random((501, 7))
    values[rng.random((501, 7)) < 0.3] = np.nan
    values[:, 3] = np.nan
    expected = np.full((3, 7), np.nan)
    for j in range(7):
        if not np.isnan(values[:, j]).all():
            expected[:, j] = np.nanpercentile(values[:, j], [50, 80, 95])
    np.testing.assert_allclose(column_percentiles(values, [50, 80, 95]), expected, rtol=1e-12)


def test_a_run_split_across_workers_merges_to_the_same_forecast():
    plan = _demo_like_plan()
    trials = 5 * BLOCK + 100
    here = simulate(plan, trials=trials, seed=8).to_json()
    split = simulate(plan, trials=trials, seed=8, executor="local", jobs=2).to_json()
    assert json.dumps(here) == json.dumps(split)
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        on_dask = simulate(plan, trials=trials, seed=8, executor=cluster.scheduler_address, jobs=2).to_json()
    assert json.dumps(here) == json.dumps(on_dask)


@pytest.mark.parametrize("certain", [False, True])
@pytest.mark.parametrize("modifiers", [(), ("stall",)])
def test_a_chunk_of_blocks_is_its_blocks_sampled_one_by_one_through_the_plugins(monkeypatch, modifiers, certain):
    """The built-in pert and bernoulli sample a chunk's blocks in one compiled pass; the arrays are
    those of each block drawn alone through the plugin calls (work in progress, hires, modifiers).
    When no task states a P(success), the success draws are skipped and what follows is the same."""
    import dataclasses

    import polars as pl

    from teamcast.engine.forecast.compile import compile_plan
    from teamcast.engine.forecast.sampling import Sampler
    from teamcast.engine.plan.demo import demo_plan
    from teamcast.plugins import bernoulli, manager, pert

    plan = demo_plan()
    if certain:
        plan = dataclasses.replace(plan, tasks=plan.tasks.with_columns(p_success=pl.lit(None, pl.Float64)))
    compiled = compile_plan(plan)
    calls = []
    for module in (pert, bernoulli):
        original = module.sample_blocks
        monkeypatch.setattr(module, "sample_blocks", lambda *a, f=original: calls.append(f) or f(*a))
    fast = Sampler(compiled, manager.get_registry(), modifiers)
    sizes = [BLOCK, BLOCK, 300]
    got = fast.blocks(11, 4, sizes)
    # The compiled passes ran (bernoulli's only where a draw decides something), with work in progress.
    assert len(calls) == (1 if certain else 2) and len(fast.doing) and fast.hires.height
    monkeypatch.setattr(manager, "is_builtin", lambda record: False)  # every block through the plugin calls
    plain = Sampler(compiled, manager.get_registry(), modifiers)
    blocks = [plain.block(11, 4 + b, n) for b, n in enumerate(sizes)]
    assert len(calls) == (1 if certain else 2)
    for i, want in enumerate(np.concatenate(parts) for parts in zip(*blocks, strict=True)):
        assert got[i].dtype == want.dtype and got[i].tobytes() == want.tobytes()
