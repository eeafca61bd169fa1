"""Racing candidates of `teamcast optimise` and keys by effect: the stopping rule, that only
candidates scored on every future become the best, and that orders sharing a key dispatch alike."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner

from teamcast.engine.commands.cli import main
from teamcast.engine.forecast import optimise as optimise_module
from teamcast.engine.forecast.optimise import Optimiser, optimise
from teamcast.engine.forecast.optimise_race import (
    DROP,
    GO_ON,
    RACE_STAGES,
    TIE,
    EffectKey,
    conflict_pairs,
    race_verdict,
    stages,
)
from teamcast.engine.plan.demo import demo_plan
from teamcast.engine.plan.planfile import parse_plan_text as parse_plan
from teamcast.ext.kernel import FIXED_DONE, run_projects
from teamcast.plugins.records import Candidate

FIRST = RACE_STAGES[0]

# One person, two projects: the default rule (value) starts the valuable one first, which makes
# the other miss its early deadline; the other way round both are on time.
URGENT = """
[plan]
name = "urgent first"
start = 2027-01-04

[[people]]
id = "ana"
role = "ml_researcher"

[[projects]]
id = "big"
deadline = 2027-03-01
value = 3

[[projects.tasks]]
id = "big-work"
estimate = [2, 3, 4]
role = "ml_researcher"

[[projects]]
id = "urgent"
deadline = 2027-01-08
value = 1

[[projects.tasks]]
id = "urgent-work"
estimate = [2, 3, 4]
role = "ml_researcher"
"""


@pytest.fixture(scope="module")
def demo():
    return demo_plan()


# --- the rule ----------------------------------------------------------------------------------


def test_a_clearly_worse_candidate_is_dropped_after_the_first_stage():
    rng = np.random.default_rng(0)
    incumbent = rng.integers(0, 2, 1000) * 3.0
    worse = incumbent - (rng.random(1000) < 0.3) * 2.0  # loses 2 in 30 % of the futures, never gains
    assert race_verdict(worse[:FIRST], incumbent[:FIRST], 1000) == DROP
    noisy = incumbent + rng.normal(-1.0, 1.0, 1000)  # worse on average, better in some futures
    assert race_verdict(noisy[:FIRST], incumbent[:FIRST], 1000) == DROP


def test_a_better_candidate_is_never_dropped():
    """A candidate better on average (gains 0.5 in 30 % of futures, loses 0.2 in 20 %) stays in
    the race at every stage, on each of 200 different blocks of futures; one that is never worse
    than the incumbent cannot be dropped at all."""
    for seed in range(200):
        rng = np.random.default_rng(seed)
        incumbent = rng.integers(0, 4, 1000).astype(float)
        u = rng.random(1000)
        better = incumbent + np.where(u < 0.3, 0.5, np.where(u < 0.5, -0.2, 0.0))
        for m in stages(1000)[:-1]:
            assert race_verdict(better[:m], incumbent[:m], 1000) != DROP
        never_worse = incumbent + (u < 0.01)
        for m in stages(1000)[:-1]:
            assert race_verdict(never_worse[:m], incumbent[:m], 1000) != DROP


def test_equal_on_the_leading_futures_is_a_tie_and_fewer_are_not_enough():
    incumbent = np.arange(1000.0) % 7
    assert race_verdict(incumbent[:FIRST].copy(), incumbent[:FIRST], 1000) == TIE
    assert race_verdict(incumbent[:16].copy(), incumbent[:16], 1000) == GO_ON
    # The whole block is never decided by the rule: the caller scores it exactly.
    assert race_verdict(incumbent - 1, incumbent, 1000) == GO_ON


def test_the_median_rule_is_a_sign_test_against_the_incumbents_median():
    rng = np.random.default_rng(1)
    incumbent = -rng.normal(30, 3, 1000)  # makespans, negated: higher is better
    median = float(np.median(incumbent))
    longer = incumbent - 5.0  # five days later in every future
    assert race_verdict(longer[:FIRST], incumbent[:FIRST], 1000, median=median) == DROP
    shorter = incumbent + 0.5
    for m in stages(1000)[:-1]:
        assert race_verdict(shorter[:m], incumbent[:m], 1000, median=median) != DROP


def test_stages_end_with_the_whole_block():
    assert stages(1000) == [*RACE_STAGES, 1000]
    assert stages(100) == [64, 100]
    assert stages(1) == [1]


# --- in the optimiser ------------------------------------------------------------------------


def test_the_optimiser_drops_a_worse_candidate_after_the_first_stage(demo):
    good = Candidate(np.array(optimise(demo, passes=30, trials=300, seed=2).order_index, dtype=np.int32))
    opt = Optimiser(demo, trials=1000, seed=2)
    full_score = opt.evaluate(good)  # the first candidate: scored on every trial, the incumbent
    assert opt.candidate_trials == 1000 and opt.full_evaluations == 1
    default = opt.default_candidate()  # about 3 below on these futures
    score = opt.evaluate(default)
    assert opt.dropped == 1 and opt.candidate_trials == 1000 + FIRST
    assert score < full_score  # an estimate below the best, never above
    # Without racing it is scored on every trial, and is indeed worse.
    plain = Optimiser(demo, trials=1000, seed=2, race=False)
    plain.evaluate(good)
    assert plain.evaluate(default) < full_score and plain.candidate_trials == 2000 and plain.dropped == 0


def test_only_candidates_scored_on_every_future_become_the_best(demo, monkeypatch):
    """Were every candidate a tie on the leading futures, none could replace the default order."""
    monkeypatch.setattr(optimise_module, "race_verdict", lambda *a, **k: TIE)
    result = optimise(demo, passes=30, trials=300, seed=4)
    assert result.tied > 0 and result.full_evaluations == 1  # the baseline alone
    assert result.order_index == Optimiser(demo, trials=300, seed=4).default_candidate().order.tolist()
    assert not result.improved


def test_racing_is_deterministic_for_a_seed(demo):
    a = optimise(demo, passes=40, trials=300, seed=7)
    b = optimise(demo, passes=40, trials=300, seed=7)
    assert a.order == b.order and a.in_sample == b.in_sample
    assert (a.dropped, a.tied, a.repeats, a.candidate_trials) == (b.dropped, b.tied, b.repeats, b.candidate_trials)
    assert a.race and a.dropped > 0


def test_racing_on_and_off_find_the_same_best_where_it_is_clear():
    plan = parse_plan(URGENT)
    on = optimise(plan, passes=20, trials=500, seed=0)
    off = optimise(plan, passes=20, trials=500, seed=0, race=False)
    assert on.order[0] == off.order[0] == "urgent-work"
    assert on.in_sample.best == off.in_sample.best and on.out_of_sample == off.out_of_sample
    assert on.improved and off.improved
    assert off.dropped == off.tied == 0 and off.candidate_trials == off.full_evaluations * 500


def test_deterministic_runs_do_not_race():
    plan = parse_plan(URGENT)
    result = optimise(plan, passes=10, deterministic=True)
    assert not result.race and result.dropped == result.tied == 0


# --- orders identical in effect ----------------------------------------------------------------


def _swap_free(opt: Optimiser, order: np.ndarray, rng: np.random.Generator, steps: int) -> np.ndarray:
    """`order` after `steps` random swaps of neighbours that are not a conflicting pair."""
    pairs = {tuple(p) for p in conflict_pairs(opt.base).tolist()}
    order = order.copy()
    for _ in range(steps):
        i = int(rng.integers(len(order) - 1))
        a, b = sorted((int(order[i]), int(order[i + 1])))
        if (a, b) not in pairs:
            order[i], order[i + 1] = order[i + 1], order[i]
    return order


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_orders_with_one_key_dispatch_alike_in_every_future(demo, seed):
    opt = Optimiser(demo, trials=400, seed=seed)
    key = EffectKey(opt.base)
    rng = np.random.default_rng(seed)
    effort, success, arrival = opt.samples
    for _ in range(6):
        order = rng.permutation(opt.base.n_tasks).astype(np.int32)
        other = _swap_free(opt, order, rng, 400)
        assert not np.array_equal(order, other) and key(order) == key(other)
        a = run_projects(replace(opt.base, prio_order=order), effort, success, arrival)
        b = run_projects(replace(opt.base, prio_order=other), effort, success, arrival)
        assert np.array_equal(a.proj_success, b.proj_success)
        assert np.array_equal(a.proj_finish, b.proj_finish, equal_nan=True)


def test_a_swap_of_a_conflicting_pair_changes_the_key(demo):
    opt = Optimiser(demo, trials=10)
    key = EffectKey(opt.base)
    pairs = conflict_pairs(opt.base)
    assert len(pairs) and all(opt.base.task_fixed[t] < FIXED_DONE for t in pairs.ravel())
    a, b = (int(t) for t in pairs[0])
    order = np.array([a, b] + [t for t in range(opt.base.n_tasks) if t not in (a, b)], dtype=np.int32)
    swapped = order.copy()
    swapped[:2] = [b, a]
    assert key(order) != key(swapped)


def test_a_repeat_in_effect_is_answered_from_the_cache(demo):
    opt = Optimiser(demo, trials=200, seed=3)
    first = opt.default_candidate()
    opt.evaluate(first)
    other = _swap_free(opt, first.order, np.random.default_rng(0), 300)
    assert not np.array_equal(other, first.order)
    runs = opt.candidate_trials
    opt.evaluate(Candidate(other))
    assert opt.repeats == 1 and opt.candidate_trials == runs and opt.evaluations == 1


# --- the command ---------------------------------------------------------------------------------


def test_no_race_changes_what_the_command_does():
    runner = CliRunner()
    args = ["optimise", "engine/plan/data/demo.toml", "--passes", "30", "--trials", "300", "--format", "json"]
    raced = json.loads(runner.invoke(main, args).output)
    plain = json.loads(runner.invoke(main, [*args, "--no-race"]).output)
    assert raced["race"] and raced["decided_early"]["worse"] > 0
    assert raced["candidate_trials"] < raced["evaluations"] * 300
    assert not plain["race"] and plain["decided_early"] == {"worse": 0, "tie": 0}
    assert plain["candidate_trials"] == plain["full_evaluations"] * 300
    assert "--no-race" in runner.invoke(main, ["optimise", "--help"]).output
