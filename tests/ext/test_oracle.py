"""The oracle against schedules worked out by hand, and against invariants on random plans."""

import math

import numpy as np
import oracle
import pytest
from hypothesis import given, settings
from numpy.testing import assert_array_equal
from strategies import Challenge, Task, Unit, kernel_cases, make_input

from teamcast.ext.kernel import (
    FIXED_DOING,
    FIXED_DONE,
    FIXED_FAILED,
    STRATEGY_SEQUENTIAL,
)

nan = math.nan


def simulate(inp, effort, success=None, arrival=None):
    success = [1] * inp.n_tasks if success is None else success
    arrival = [0.0] * inp.n_units if arrival is None else arrival
    return oracle.simulate_trial(inp, effort, success, arrival)


def one_pool(*units: Unit) -> list[list[Unit]]:
    return [list(units)]


# -- precedence ------------------------------------------------------------------------------


def test_a_chain_finishes_at_the_sum_of_its_efforts():
    inp = make_input([Task(), Task(after=[0]), Task(after=[1])])
    out = simulate(inp, [2.0, 3.0, 4.0])
    assert_array_equal(out["start"], [0.0, 2.0, 5.0])
    assert_array_equal(out["finish"], [2.0, 5.0, 9.0])
    assert_array_equal(out["state"], [1, 1, 1])
    assert_array_equal(out["critical"], [1, 1, 1])
    assert_array_equal(out["proj_finish"], [9.0])
    assert_array_equal(out["proj_success"], [1])


def test_parallel_branches_join_at_the_longest_and_only_it_is_critical():
    inp = make_input([Task(), Task(), Task(after=[0, 1])])
    out = simulate(inp, [2.0, 5.0, 1.0])
    assert_array_equal(out["start"], [0.0, 0.0, 5.0])
    assert_array_equal(out["finish"], [2.0, 5.0, 6.0])
    assert_array_equal(out["critical"], [0, 1, 1])


def test_between_predecessors_finishing_together_the_first_listed_is_the_cause():
    inp = make_input([Task(), Task(), Task(after=[1, 0])])
    out = simulate(inp, [3.0, 3.0, 1.0])
    assert_array_equal(out["critical"], [0, 1, 1])


def test_zero_effort_finishes_at_its_start_and_its_successor_starts_then():
    inp = make_input([Task(), Task(after=[0]), Task(after=[1])])
    out = simulate(inp, [2.0, 0.0, 1.0])
    assert_array_equal(out["start"], [0.0, 2.0, 2.0])
    assert_array_equal(out["finish"], [2.0, 2.0, 3.0])
    assert_array_equal(out["critical"], [1, 1, 1])


def test_a_failure_skips_every_dependent_which_then_holds_no_one():
    inp = make_input(
        [
            Task(),
            Task(after=[0], needs=[(0, 1)]),
            Task(after=[1], needs=[(0, 1)]),
            Task(),
            Task(project=1, after=[2]),
        ],
        one_pool(Unit()),
    )
    out = simulate(inp, [2.0, 1.0, 1.0, 1.0, 1.0], success=[0, 1, 1, 1, 1])
    assert_array_equal(out["state"], [2, 0, 0, 1, 0])
    assert_array_equal(out["start"], [0.0, nan, nan, 0.0, nan])
    assert_array_equal(out["finish"], [2.0, nan, nan, 1.0, nan])
    assert_array_equal(out["busy"], [0.0])
    assert_array_equal(out["proj_success"], [0, 0])
    assert_array_equal(out["proj_finish"], [2.0, nan])


# -- units -----------------------------------------------------------------------------------


def test_one_person_serialises_two_tasks_and_the_release_is_the_cause():
    inp = make_input([Task(needs=[(0, 1)]), Task(needs=[(0, 1)])], one_pool(Unit()), prio_order=[1, 0])
    out = simulate(inp, [3.0, 4.0])
    assert_array_equal(out["start"], [4.0, 0.0])
    assert_array_equal(out["finish"], [7.0, 4.0])
    assert_array_equal(out["busy"], [7.0])
    assert_array_equal(out["critical"], [1, 1])


def test_a_task_that_cannot_start_does_not_reserve_units():
    inp = make_input(
        [Task(needs=[(0, 1)]), Task(needs=[(0, 2)]), Task(needs=[(0, 1)])],
        one_pool(Unit(), Unit()),
    )
    out = simulate(inp, [4.0, 1.0, 1.0])
    assert_array_equal(out["start"], [0.0, 4.0, 0.0])
    assert_array_equal(out["finish"], [4.0, 5.0, 1.0])
    assert_array_equal(out["busy"], [5.0, 2.0])
    assert_array_equal(out["critical"], [1, 1, 0])


def test_a_named_unit_is_taken_besides_the_lowest_free_units_of_the_demand():
    inp = make_input([Task(unit=1, needs=[(0, 1)])], one_pool(Unit(), Unit(), Unit()))
    out = simulate(inp, [2.0])
    assert_array_equal(out["busy"], [2.0, 2.0, 0.0])


def test_the_resource_chain_walks_through_other_projects_without_marking_them():
    inp = make_input(
        [
            Task(project=0, after=[2], unit=0),
            Task(project=0),
            Task(project=1),
            Task(project=1, after=[2], unit=0),
        ],
        one_pool(Unit()),
    )
    out = simulate(inp, [2.0, 10.0, 1.0, 1.0])
    assert_array_equal(out["start"], [1.0, 0.0, 0.0, 3.0])
    assert_array_equal(out["finish"], [3.0, 10.0, 1.0, 4.0])
    assert_array_equal(out["proj_finish"], [10.0, 4.0])
    # Project 1 ends with t3, delayed by t0's release of u0; t0 waited for t2.
    assert_array_equal(out["critical"], [0, 1, 1, 1])


def test_half_capacity_doubles_a_duration_and_the_slowest_unit_sets_the_pace():
    inp = make_input([Task(needs=[(0, 2)])], one_pool(Unit(capacity=1.0), Unit(capacity=0.5)))
    out = simulate(inp, [3.0])
    assert_array_equal(out["finish"], [6.0])


def test_a_hire_starts_on_arrival_and_works_at_ramp_productivity_until_the_ramp_ends():
    inp = make_input([Task(needs=[(0, 1)])], one_pool(Unit(ramp_days=4.0, ramp_prod=0.5)))
    out = simulate(inp, [5.0], arrival=[2.0])
    # Days 2-6 at rate 0.5 do 2 days of effort; the remaining 3 take 3 more days.
    assert_array_equal(out["start"], [2.0])
    assert_array_equal(out["finish"], [9.0])
    assert_array_equal(out["busy"], [7.0])
    assert_array_equal(out["critical"], [1])


def test_a_task_done_within_the_ramp_runs_at_ramp_productivity():
    inp = make_input([Task(needs=[(0, 1)])], one_pool(Unit(ramp_days=4.0, ramp_prod=0.5)))
    assert_array_equal(simulate(inp, [1.0], arrival=[2.0])["finish"], [4.0])


def test_the_ramp_duration_uses_the_documented_floating_point_operations():
    hire = Unit(capacity=0.75, ramp_days=0.7, ramp_prod=0.3)
    inp = make_input([Task(needs=[(0, 1)])], one_pool(hire))
    out = simulate(inp, [1.1], arrival=[0.3])
    ramp_end = 0.3 + 0.7
    remaining = 1.1 - (0.75 * 0.3) * (ramp_end - 0.3)
    expected = ramp_end + remaining / (0.75 * 1.0)
    assert out["finish"][0] == expected
    assert expected == pytest.approx(1.0 + (1.1 - 0.1575) / 0.75)


# -- challenges ------------------------------------------------------------------------------


def test_a_parallel_challenge_is_won_by_the_first_success_and_abandons_the_rest():
    inp = make_input(
        [Task(unit=0), Task(unit=1), Task(unit=0), Task(after=["c0"], unit=1)],
        one_pool(Unit(), Unit()),
        [Challenge([0, 1, 2])],
    )
    out = simulate(inp, [2.0, 5.0, 1.0, 1.0])
    assert_array_equal(out["state"], [1, 3, 0, 1])
    assert_array_equal(out["start"], [0.0, 0.0, nan, 2.0])
    assert_array_equal(out["finish"], [2.0, 2.0, nan, 3.0])
    # t1 held u1 until it was abandoned; t3 took u1 at once.
    assert_array_equal(out["busy"], [2.0, 3.0])
    assert_array_equal(out["critical"], [1, 0, 0, 1])
    assert_array_equal(out["proj_success"], [1])
    assert_array_equal(out["proj_finish"], [3.0])


@pytest.mark.parametrize(("success", "winner"), [([1, 1, 1], 0), ([0, 1, 1], 1)])
def test_simultaneous_approaches_leave_the_win_to_the_lowest_successful_index(success, winner):
    inp = make_input([Task(), Task(), Task(after=["c0"])], challenges=[Challenge([0, 1])])
    out = simulate(inp, [2.0, 2.0, 1.0], success=success)
    # Finishing at the same time as the winner is not being abandoned.
    assert_array_equal(out["state"], [1 if s else 2 for s in success[:2]] + [1])
    assert_array_equal(out["finish"], [2.0, 2.0, 3.0])
    assert_array_equal(out["critical"], [int(winner == 0), int(winner == 1), 1])
    assert_array_equal(out["proj_success"], [1])


def sequential_plan():
    return make_input(
        [Task(), Task(), Task(), Task(after=["c0"])],
        challenges=[Challenge([0, 1, 2], STRATEGY_SEQUENTIAL)],
    )


def test_a_sequential_challenge_tries_the_next_approach_after_a_failure():
    out = simulate(sequential_plan(), [2.0, 3.0, 4.0, 1.0], success=[0, 1, 1, 1])
    assert_array_equal(out["state"], [2, 1, 0, 1])
    assert_array_equal(out["start"], [0.0, 2.0, nan, 5.0])
    assert_array_equal(out["finish"], [2.0, 5.0, nan, 6.0])
    assert_array_equal(out["critical"], [1, 1, 0, 1])
    assert_array_equal(out["proj_success"], [1])


def test_a_sequential_challenge_fails_when_every_approach_fails_and_skips_its_successors():
    out = simulate(sequential_plan(), [2.0, 3.0, 4.0, 1.0], success=[0, 0, 0, 1])
    assert_array_equal(out["state"], [2, 2, 2, 0])
    assert_array_equal(out["finish"], [2.0, 5.0, 9.0, nan])
    assert_array_equal(out["critical"], [1, 1, 1, 0])
    assert_array_equal(out["proj_success"], [0])
    assert_array_equal(out["proj_finish"], [9.0])


def test_a_won_sequential_challenge_never_starts_an_approach_still_waiting():
    # t2 (c0#1) is skipped when t1 fails, which makes t3 (c0#2) ready while t0 (c0#0) waits
    # for the unit t4 holds; t3 wins, so t0 is never ready again.
    inp = make_input(
        [Task(unit=0), Task(), Task(after=[1]), Task(), Task(unit=0)],
        one_pool(Unit()),
        [Challenge([0, 2, 3], STRATEGY_SEQUENTIAL)],
        prio_order=[4, 0, 1, 2, 3],
    )
    out = simulate(inp, [1.0, 1.0, 1.0, 0.5, 5.0], success=[1, 0, 1, 1, 1])
    assert_array_equal(out["state"], [0, 2, 0, 1, 1])
    assert_array_equal(out["start"], [nan, 0.0, nan, 1.0, 0.0])
    assert_array_equal(out["busy"], [5.0])


def test_a_parallel_portfolio_succeeds_with_probability_one_minus_all_failing():
    p = np.array([0.5, 0.3, 0.6])
    n = 4000
    rng = np.random.default_rng(7)
    inp = make_input([Task(), Task(), Task()], challenges=[Challenge([0, 1, 2])])
    effort = rng.choice([1.0, 2.0, 3.0], size=(n, 3))
    success = (rng.random((n, 3)) < p).astype(np.uint8)
    out = oracle.run_chunk(inp, effort, success, np.zeros((n, 0)))
    expected = 1 - np.prod(1 - p)
    tolerance = 4 * math.sqrt(expected * (1 - expected) / n)
    assert abs(out.proj_success[:, 0].mean() - expected) < tolerance


# -- work already under way ------------------------------------------------------------------


def test_work_in_progress_starts_first_with_its_remaining_effort():
    inp = make_input([Task(needs=[(0, 1)]), Task(unit=0, fixed=FIXED_DOING)], one_pool(Unit()), prio_order=[0, 1])
    out = simulate(inp, [1.0, 2.0])
    assert_array_equal(out["start"], [2.0, 0.0])
    assert_array_equal(out["finish"], [3.0, 2.0])
    assert_array_equal(out["busy"], [3.0])
    assert_array_equal(out["critical"], [1, 1])


def test_done_and_failed_tasks_keep_their_actuals_and_hold_no_one():
    inp = make_input(
        [
            Task(unit=0, fixed=FIXED_DONE, fixed_start=-3.0, fixed_finish=-1.0),
            Task(after=[0], unit=0),
            Task(fixed=FIXED_FAILED, fixed_start=-2.0, fixed_finish=0.0),
            Task(after=[2]),
        ],
        one_pool(Unit()),
    )
    out = simulate(inp, [9.0, 2.0, 9.0, 1.0])
    assert_array_equal(out["state"], [1, 1, 2, 0])
    assert_array_equal(out["start"], [-3.0, 0.0, -2.0, nan])
    assert_array_equal(out["finish"], [-1.0, 2.0, 0.0, nan])
    assert_array_equal(out["busy"], [2.0])
    assert_array_equal(out["critical"], [0, 1, 0, 0])
    assert_array_equal(out["proj_success"], [0])
    assert_array_equal(out["proj_finish"], [2.0])


def test_a_chunk_stacks_its_trials():
    inp = make_input([Task(), Task(after=[0])], n_projects=2)
    out = oracle.run_chunk(inp, np.array([[1.0, 2.0], [3.0, 0.0]]), np.ones((2, 2)), np.zeros((2, 0)))
    assert_array_equal(out.finish, [[1.0, 3.0], [3.0, 3.0]])
    assert out.state.dtype == np.uint8 and out.state.shape == (2, 2)
    assert_array_equal(out.proj_finish, [[3.0, nan], [3.0, nan]])
    assert_array_equal(out.proj_success, [[1, 1], [1, 1]])
    assert out.busy.shape == (2, 0)


# -- invariants on random plans --------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(case=kernel_cases())
def test_random_schedules_respect_precedence_units_and_accounting(case):
    inp = case.inp
    plan = oracle._Plan(inp)
    for effort, success, arrival in zip(case.effort, case.success, case.arrival, strict=False):
        # The trial object, not just its outputs, to see which units each task held.
        trial = oracle._Trial(plan, effort.tolist(), success.tolist(), arrival.tolist())
        trial.run()
        out = trial.outputs()
        ran = out["state"] != 0
        assert_array_equal(np.isnan(out["start"]), ~ran)
        assert_array_equal(np.isnan(out["finish"]), ~ran)
        assert not np.any(out["critical"].astype(bool) & ~ran)
        fixed = np.isin(inp.task_fixed, [FIXED_DONE, FIXED_FAILED])
        assert_array_equal(out["start"][fixed], inp.fixed_start[fixed])
        assert np.all(out["start"][inp.task_fixed == FIXED_DOING] == 0.0)
        for i in np.flatnonzero(ran & ~fixed):
            assert_task_respects_its_inputs(plan, trial, out, i, effort[i], arrival)
        assert_units_are_never_double_booked(plan, trial, out, arrival)
        for p, tasks in enumerate(plan.project_tasks):
            finishes = [out["finish"][i] for i in tasks if ran[i]]
            assert_array_equal(out["proj_finish"][p], max(finishes) if finishes else nan)


def assert_task_respects_its_inputs(plan, trial, out, i, effort, arrival):
    start, finish = out["start"][i], out["finish"][i]
    for p in plan.preds[i]:
        if p < plan.n_tasks:
            assert out["state"][p] == 1 and out["finish"][p] <= start
        else:
            winner = trial.chal_winner[p - plan.n_tasks]
            assert out["state"][winner] == 1 and out["finish"][winner] <= start
    assert all(arrival[u] <= start for u in trial.taken[i])
    if out["state"][i] != 3:
        # No rate exceeds 1, so a task never takes less time than its effort.
        assert finish - start >= effort * (1 - 1e-12)


def assert_units_are_never_double_booked(plan, trial, out, arrival):
    held = [[] for _ in range(plan.n_units)]
    for i, units in enumerate(trial.taken):
        for u in units:
            held[u].append((out["start"][i], out["finish"][i]))
    for u, intervals in enumerate(held):
        intervals.sort()
        for (_, end), (begin, _) in zip(intervals, intervals[1:], strict=False):
            assert end <= begin
        assert out["busy"][u] == pytest.approx(sum(f - s for s, f in intervals))
