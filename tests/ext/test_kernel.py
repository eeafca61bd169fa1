"""The Cython scheduling kernel on hand-built plans whose schedules are known by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from teamcast.ext.kernel import (
    FIXED_DOING,
    FIXED_DONE,
    FIXED_FAILED,
    FIXED_TODO,
    STATE_ABANDONED,
    STATE_FAILED,
    STATE_NOT_RUN,
    STATE_SUCCEEDED,
    STRATEGY_PARALLEL,
    STRATEGY_SEQUENTIAL,
    KernelInput,
    run_chunk,
)

NAN = math.nan
FIXED = {"todo": FIXED_TODO, "doing": FIXED_DOING, "done": FIXED_DONE, "failed": FIXED_FAILED}
STRATEGY = {"parallel": STRATEGY_PARALLEL, "sequential": STRATEGY_SEQUENTIAL}


def _csr(rows):
    ptr = np.zeros(len(rows) + 1, np.int64)
    ptr[1:] = np.cumsum([len(r) for r in rows])
    return ptr, np.array([x for r in rows for x in r], np.int32)


def build(tasks, *, pools=(), challenges=(), ramp=None, n_projects=1, prio=None) -> KernelInput:
    """A KernelInput from a readable description.

    tasks: dicts with optional keys `after` (task indices, or "c<k>" for challenge k),
    `needs` ({pool: count}), `unit` (assignee unit), `project`, `status`
    ("todo"/"doing"/"done"/"failed"), `actual` ((start, finish) for done/failed).
    pools: per pool, the capacities of its units (units are numbered pool by pool).
    challenges: dicts with `approaches`, optional `strategy` and `project`.
    ramp: {unit: (ramp_days, ramp_productivity)}.
    """
    n_tasks = len(tasks)
    node = lambda ref: n_tasks + int(ref[1:]) if isinstance(ref, str) else ref  # noqa: E731
    preds = [[node(ref) for ref in t.get("after", ())] for t in tasks]
    succs = [[] for _ in range(n_tasks + len(challenges))]
    for i, ps in enumerate(preds):
        for p in ps:
            succs[p].append(i)
    task_challenge = np.full(n_tasks, -1)
    task_pos = np.full(n_tasks, -1)
    for c, chal in enumerate(challenges):
        for pos, a in enumerate(chal["approaches"]):
            task_challenge[a], task_pos[a] = c, pos
    capacity = [cap for pool in pools for cap in pool]
    ramp = ramp or {}
    pool_ptr, pool_units = _csr([[] for _ in pools])
    pool_ptr[1:] = np.cumsum([len(pool) for pool in pools])
    pool_units = np.arange(len(capacity))
    dem_ptr, dem_pool = _csr([list(t.get("needs", {})) for t in tasks])
    fixed = [FIXED[t.get("status", "todo")] for t in tasks]
    actual = [t.get("actual", (NAN, NAN)) for t in tasks]
    return KernelInput(
        n_projects=n_projects,
        pred_ptr=_csr(preds)[0],
        pred_idx=_csr(preds)[1],
        succ_ptr=_csr(succs)[0],
        succ_idx=_csr(succs)[1],
        task_project=[t.get("project", 0) for t in tasks],
        task_challenge=task_challenge,
        task_approach_pos=task_pos,
        chal_ptr=_csr([c["approaches"] for c in challenges])[0],
        chal_tasks=_csr([c["approaches"] for c in challenges])[1],
        chal_strategy=[STRATEGY[c.get("strategy", "parallel")] for c in challenges],
        chal_project=[c.get("project", 0) for c in challenges],
        dem_ptr=dem_ptr,
        dem_pool=dem_pool,
        dem_count=[n for t in tasks for n in t.get("needs", {}).values()],
        task_unit=[t.get("unit", -1) for t in tasks],
        pool_ptr=pool_ptr,
        pool_units=pool_units,
        unit_pool=[k for k, pool in enumerate(pools) for _ in pool],
        unit_capacity=capacity,
        unit_ramp_days=[ramp.get(u, (0.0, 1.0))[0] for u in range(len(capacity))],
        unit_ramp_prod=[ramp.get(u, (0.0, 1.0))[1] for u in range(len(capacity))],
        task_fixed=fixed,
        fixed_start=[a[0] for a in actual],
        fixed_finish=[a[1] for a in actual],
        prio_order=range(n_tasks) if prio is None else prio,
    )


def run(inp, effort, success=None, arrival=None, threads=1):
    """Run trials given as rows; success defaults to all true, arrival to day 0."""
    effort = np.atleast_2d(np.asarray(effort, np.float64))
    n = effort.shape[0]
    if success is None:
        success = np.ones_like(effort, np.uint8)
    if arrival is None:
        arrival = np.zeros((n, inp.n_units))
    return run_chunk(inp, effort, np.atleast_2d(success), np.atleast_2d(arrival), threads=threads)


def one_unit_each(n_tasks, **extra):
    return [{"needs": {0: 1}, **extra} for _ in range(n_tasks)]


def test_chain_finishes_at_the_sum_of_efforts():
    inp = build([{"needs": {0: 1}}, {"needs": {0: 1}, "after": [0]}, {"needs": {0: 1}, "after": [1]}], pools=[[1.0]])
    out = run(inp, [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(out.start, [[0, 2, 5]])
    np.testing.assert_array_equal(out.finish, [[2, 5, 9]])
    np.testing.assert_array_equal(out.state, [[STATE_SUCCEEDED] * 3])
    np.testing.assert_array_equal(out.critical, [[1, 1, 1]])
    np.testing.assert_array_equal(out.proj_finish, [[9]])
    np.testing.assert_array_equal(out.proj_success, [[1]])
    np.testing.assert_array_equal(out.busy, [[9]])


def test_parallel_branches_join_at_the_longer_one_which_alone_is_critical():
    inp = build([{}, {"after": [0]}, {"after": [0]}, {"after": [1, 2]}])
    out = run(inp, [1.0, 2.0, 5.0, 1.0])
    np.testing.assert_array_equal(out.start, [[0, 1, 1, 6]])
    np.testing.assert_array_equal(out.finish, [[1, 3, 6, 7]])
    np.testing.assert_array_equal(out.critical, [[1, 0, 1, 1]])
    np.testing.assert_array_equal(out.proj_finish, [[7]])


def test_one_person_serialises_two_tasks_higher_priority_first():
    inp = build(one_unit_each(2), pools=[[1.0]], prio=[1, 0])
    out = run(inp, [3.0, 2.0])
    np.testing.assert_array_equal(out.start, [[2, 0]])
    np.testing.assert_array_equal(out.finish, [[5, 2]])
    # The resource link counts for the binding chain too.
    np.testing.assert_array_equal(out.critical, [[1, 1]])
    np.testing.assert_array_equal(out.busy, [[5]])


def test_a_task_needing_two_units_waits_until_both_are_free():
    inp = build([{"needs": {0: 1}}, {"needs": {0: 1}}, {"needs": {0: 2}}], pools=[[1.0, 1.0]])
    out = run(inp, [3.0, 5.0, 2.0])
    np.testing.assert_array_equal(out.start, [[0, 0, 5]])
    np.testing.assert_array_equal(out.finish, [[3, 5, 7]])
    np.testing.assert_array_equal(out.busy, [[5, 7]])
    np.testing.assert_array_equal(out.critical, [[0, 1, 1]])


def test_a_lower_priority_task_starts_when_a_higher_one_cannot():
    inp = build([{"needs": {0: 1}}, {"needs": {0: 2}}, {"needs": {0: 1}}], pools=[[1.0, 1.0]])
    out = run(inp, [4.0, 1.0, 1.0])
    np.testing.assert_array_equal(out.start, [[0, 4, 0]])


def test_a_named_assignee_must_be_free_and_is_taken_besides_the_demands():
    tasks = [
        {"needs": {0: 1}},  # takes unit 0, the lowest free one
        {"unit": 0},  # waits for unit 0 although unit 1 is free
        {"unit": 1, "needs": {0: 1}},  # unit 1 plus the lowest free unit other than it
    ]
    inp = build(tasks, pools=[[1.0, 1.0, 1.0]], prio=[0, 1, 2])
    out = run(inp, [4.0, 1.0, 2.0])
    np.testing.assert_array_equal(out.start, [[0, 4, 0]])
    np.testing.assert_array_equal(out.busy, [[5, 2, 2]])


def test_mixed_demands_start_in_priority_order_with_single_pool_tasks():
    tasks = [
        {"needs": {0: 1}},  # rank 0: takes unit 0
        {"unit": 2, "needs": {0: 1}},  # rank 1: unit 2 and unit 1, before the task below
        {"needs": {0: 1}},  # rank 2: nothing left at day 0
    ]
    inp = build(tasks, pools=[[1.0, 1.0, 1.0]])
    out = run(inp, [3.0, 2.0, 1.0])
    np.testing.assert_array_equal(out.start, [[0, 0, 2]])
    np.testing.assert_array_equal(out.busy, [[3, 3, 2]])


def test_a_hire_arrives_and_ramps_up():
    inp = build(one_unit_each(1), pools=[[1.0]], ramp={0: (20.0, 0.5)})
    out = run(inp, [[15.0], [8.0]], arrival=[[10.0], [10.0]])
    # 20 ramp days at half speed give 10 days of effort; the 5 left go at full speed.
    np.testing.assert_array_equal(out.start, [[10], [10]])
    np.testing.assert_array_equal(out.finish, [[35], [26]])
    np.testing.assert_array_equal(out.busy, [[25], [16]])


def test_a_task_started_after_ramp_up_runs_at_full_speed():
    inp = build([{"needs": {0: 1}}, {"needs": {0: 1}, "after": [0]}], pools=[[1.0]], ramp={0: (2.0, 0.5)})
    out = run(inp, [2.0, 3.0], arrival=[[1.0]])
    # First task: 2 ramp days at 0.5 give 1 day of effort, the other day at full speed.
    np.testing.assert_array_equal(out.finish, [[4, 7]])


def test_half_capacity_doubles_a_duration_and_the_slowest_unit_sets_the_pace():
    inp = build([{"needs": {0: 1}}, {"needs": {1: 2}}], pools=[[0.5], [1.0, 0.25]])
    out = run(inp, [3.0, 1.0])
    np.testing.assert_array_equal(out.finish, [[6, 4]])


def test_zero_effort_finishes_when_it_starts():
    inp = build([{}, {"after": [0]}])
    out = run(inp, [0.0, 2.0])
    np.testing.assert_array_equal(out.start, [[0, 0]])
    np.testing.assert_array_equal(out.finish, [[0, 2]])


def _parallel_challenge():
    tasks = [
        {"needs": {0: 1}},  # approach A
        {"needs": {0: 1}},  # approach B
        {"after": ["c0"]},  # follows the challenge
        {"needs": {0: 2}},  # needs both units: shows when the abandoned one is freed
    ]
    return build(tasks, pools=[[1.0, 1.0]], challenges=[{"approaches": [0, 1]}])


def test_parallel_challenge_first_success_wins_and_abandons_the_other():
    out = run(_parallel_challenge(), [5.0, 8.0, 1.0, 1.0])
    np.testing.assert_array_equal(out.state, [[STATE_SUCCEEDED, STATE_ABANDONED, STATE_SUCCEEDED, STATE_SUCCEEDED]])
    np.testing.assert_array_equal(out.start, [[0, 0, 5, 5]])
    np.testing.assert_array_equal(out.finish, [[5, 5, 6, 6]])
    np.testing.assert_array_equal(out.busy, [[6, 6]])
    np.testing.assert_array_equal(out.critical, [[1, 0, 1, 0]])
    np.testing.assert_array_equal(out.proj_success, [[1]])


def test_parallel_challenge_survives_a_failed_approach():
    out = run(_parallel_challenge(), [5.0, 8.0, 1.0, 1.0], success=[[0, 1, 1, 1]])
    np.testing.assert_array_equal(out.state, [[STATE_FAILED, STATE_SUCCEEDED, STATE_SUCCEEDED, STATE_SUCCEEDED]])
    np.testing.assert_array_equal(out.start, [[0, 0, 8, 8]])
    np.testing.assert_array_equal(out.proj_success, [[1]])


def _sequential_challenge():
    tasks = [{}, {}, {"after": ["c0"]}]
    return build(tasks, challenges=[{"approaches": [0, 1], "strategy": "sequential"}])


def test_sequential_challenge_tries_the_next_approach_only_after_a_failure():
    out = run(_sequential_challenge(), [[3.0, 4.0, 1.0]] * 2, success=[[0, 1, 1], [1, 1, 1]])
    np.testing.assert_array_equal(out.start, [[0, 3, 7], [0, NAN, 3]])
    np.testing.assert_array_equal(
        out.state, [[STATE_FAILED, STATE_SUCCEEDED, STATE_SUCCEEDED], [STATE_SUCCEEDED, STATE_NOT_RUN, STATE_SUCCEEDED]]
    )
    np.testing.assert_array_equal(out.critical, [[1, 1, 1], [1, 0, 1]])
    np.testing.assert_array_equal(out.proj_success, [[1], [1]])


def test_a_challenge_whose_approaches_all_fail_fails_and_skips_what_follows():
    out = run(_sequential_challenge(), [3.0, 4.0, 1.0], success=[[0, 0, 1]])
    np.testing.assert_array_equal(out.state, [[STATE_FAILED, STATE_FAILED, STATE_NOT_RUN]])
    np.testing.assert_array_equal(out.proj_finish, [[7]])
    np.testing.assert_array_equal(out.proj_success, [[0]])


def test_a_failure_skips_its_dependents_which_hold_no_one():
    tasks = [{"needs": {0: 1}}, {"needs": {0: 1}, "after": [0]}, {"needs": {0: 1}, "after": [1]}, {"needs": {0: 1}}]
    inp = build(tasks, pools=[[1.0]])
    out = run(inp, [2.0, 3.0, 4.0, 1.0], success=[[0, 1, 1, 1]])
    np.testing.assert_array_equal(out.state, [[STATE_FAILED, STATE_NOT_RUN, STATE_NOT_RUN, STATE_SUCCEEDED]])
    np.testing.assert_array_equal(out.start, [[0, NAN, NAN, 2]])
    np.testing.assert_array_equal(out.busy, [[3]])
    np.testing.assert_array_equal(out.proj_finish, [[3]])
    np.testing.assert_array_equal(out.proj_success, [[0]])


def test_work_in_progress_starts_at_zero_before_higher_priority_tasks():
    inp = build([{"needs": {0: 1}}, {"needs": {0: 1}, "status": "doing"}], pools=[[1.0]], prio=[0, 1])
    out = run(inp, [3.0, 2.0])
    np.testing.assert_array_equal(out.start, [[2, 0]])
    np.testing.assert_array_equal(out.finish, [[5, 2]])


def test_done_and_failed_tasks_stay_at_their_actuals_and_hold_no_one():
    tasks = [
        {"needs": {0: 1}, "status": "done", "actual": (-5.0, -1.0)},
        {"needs": {0: 1}, "after": [0]},
        {"needs": {0: 1}, "status": "failed", "actual": (-3.0, -2.0)},
        {"after": [2]},
    ]
    inp = build(tasks, pools=[[1.0]])
    out = run(inp, [99.0, 3.0, 99.0, 1.0], success=[[0, 1, 1, 1]])
    np.testing.assert_array_equal(out.start, [[-5, 0, -3, NAN]])
    np.testing.assert_array_equal(out.finish, [[-1, 3, -2, NAN]])
    np.testing.assert_array_equal(out.state, [[STATE_SUCCEEDED, STATE_SUCCEEDED, STATE_FAILED, STATE_NOT_RUN]])
    np.testing.assert_array_equal(out.busy, [[3]])
    np.testing.assert_array_equal(out.proj_finish, [[3]])


def test_the_binding_chain_walks_through_other_projects_without_marking_them():
    tasks = [{"project": 1}, {"after": [0]}, {"project": 1}]
    inp = build(tasks, n_projects=3)
    out = run(inp, [2.0, 1.0, 1.0])
    np.testing.assert_array_equal(out.critical, [[1, 1, 0]])
    np.testing.assert_array_equal(out.proj_finish, [[3, 2, NAN]])
    # A project without tasks has nothing that could fail.
    np.testing.assert_array_equal(out.proj_success, [[1, 1, 1]])


def _random_plan(rng, n_tasks=40):
    tasks = []
    for i in range(n_tasks):
        after = sorted({int(j) for j in rng.integers(0, i, size=min(i, 2))}) if i else []
        tasks.append({"after": after, "needs": {int(rng.integers(0, 3)): 1}})
    return build(
        tasks,
        pools=[[1.0, 0.8], [1.0, 1.0], [0.5]],
        challenges=[{"approaches": [n_tasks - 2, n_tasks - 1]}],
        ramp={4: (10.0, 0.5)},
        prio=rng.permutation(n_tasks),
    )


def test_results_do_not_depend_on_the_thread_count():
    rng = np.random.default_rng(3)
    inp = _random_plan(rng)
    n = 500
    effort = rng.uniform(0.0, 5.0, (n, inp.n_tasks))
    success = (rng.random((n, inp.n_tasks)) < 0.9).astype(np.uint8)
    arrival = np.zeros((n, inp.n_units))
    arrival[:, 4] = rng.uniform(0.0, 20.0, n)
    one, two = (run_chunk(inp, effort, success, arrival, threads=k) for k in (1, 2))
    for name in ("start", "finish", "state", "critical", "proj_finish", "proj_success", "busy"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name), err_msg=name)
    assert (one.state == STATE_SUCCEEDED).mean() > 0.5


def test_read_only_inputs_are_accepted_and_left_unchanged():
    rng = np.random.default_rng(4)
    inp = _random_plan(rng, n_tasks=10)
    effort = rng.uniform(0.0, 5.0, (20, 10))
    success = np.ones((20, 10), np.uint8)
    arrival = np.zeros((20, inp.n_units))
    copies = [a.copy() for a in (effort, success, arrival)]
    for a in (effort, success, arrival):
        a.setflags(write=False)
    run_chunk(inp, effort, success, arrival, threads=2)
    for a, c in zip((effort, success, arrival), copies, strict=False):
        np.testing.assert_array_equal(a, c)


def test_boolean_success_is_accepted():
    inp = build([{}, {"after": [0]}])
    out = run(inp, [1.0, 1.0], success=np.array([[False, True]]))
    np.testing.assert_array_equal(out.state, [[STATE_FAILED, STATE_NOT_RUN]])


def test_a_wrong_shaped_effort_array_is_rejected():
    inp = build([{}, {}])
    with pytest.raises(ValueError, match=r"effort must have shape \(n, 2\) \(trials × tasks\), got \(4, 3\)"):
        run_chunk(inp, np.ones((4, 3)), np.ones((4, 2), np.uint8), np.zeros((4, 0)))


def test_a_success_array_with_other_trials_is_rejected():
    inp = build([{}, {}])
    with pytest.raises(ValueError, match=r"success must have shape \(4, 2\)"):
        run_chunk(inp, np.ones((4, 2)), np.ones((3, 2), np.uint8), np.zeros((4, 0)))


def test_a_priority_order_that_is_not_a_permutation_is_rejected():
    with pytest.raises(ValueError, match="prio_order must list every task exactly once"):
        run(build([{}, {}], prio=[0, 0]), [1.0, 1.0])


def test_an_empty_chunk_gives_empty_outputs():
    out = run_chunk(build([{}]), np.zeros((0, 1)), np.zeros((0, 1), np.uint8), np.zeros((0, 0)))
    assert out.start.shape == (0, 1) and out.proj_finish.shape == (0, 1)
