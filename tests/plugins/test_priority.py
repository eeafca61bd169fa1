"""The built-in priority rules, on a small hand-made context."""

from __future__ import annotations

import numpy as np
import pytest

from teamcast.engine.plan.model import frame
from teamcast.errors import PluginError
from teamcast.plugins import priority
from teamcast.plugins.manager import checked_approach_order, checked_order
from teamcast.plugins.records import PriorityContext, PriorityRule


def context(**overrides) -> PriorityContext:
    ids = ["a", "b", "c", "d", "e"]
    tasks = frame("tasks", [{"id": i} for i in ids])
    challenges = frame(
        "challenges",
        [
            {"id": "seq", "strategy": "sequential", "approaches": ["c", "d", "e"]},
            {"id": "par", "strategy": "parallel", "approaches": ["a", "b"]},
        ],
    )
    fields = {
        "tasks": tasks,
        "expected": np.array([5.0, 5.0, 10.0, 2.0, 4.0]),
        "lft": np.array([20.0, 10.0, 10.0, 30.0, 10.0]),
        "p_success": np.array([1.0, 0.5, 0.5, 0.4, 0.2]),
        "value": np.array([1.0, 2.0, 2.0, 1.0, 5.0]),
        "challenges": challenges,
    }
    return PriorityContext(**(fields | overrides))


def rule(name: str) -> PriorityRule:
    return next(r for r in priority.RULES if r.name == name)


def test_lft_orders_by_latest_finish_then_plan_order():
    assert checked_order(rule("lft"), context()).tolist() == [1, 2, 4, 0, 3]


def test_value_orders_by_likelihood_times_importance_then_lft_then_plan_order():
    # p × value: a 1.0, b 1.0, c 1.0, d 0.4, e 1.0; ties broken by lft (b, c, e at 10) then index.
    assert checked_order(rule("value"), context()).tolist() == [1, 2, 4, 0, 3]
    ctx = context(value=np.array([3.0, 1.0, 1.0, 1.0, 1.0]))
    assert checked_order(rule("value"), ctx).tolist() == [0, 1, 2, 3, 4]  # 3, .5, .5, .4, .2


def test_value_is_the_default_rule():
    assert priority.DEFAULT_RULE == "value"


def test_manual_is_plan_order():
    assert checked_order(rule("manual"), context()).tolist() == [0, 1, 2, 3, 4]


def test_sequential_odds_tries_the_best_odds_per_day_first():
    ctx = context()
    # odds p / expected: c 0.05, d 0.2, e 0.05 -> d first, then c and e in listed order.
    orders = checked_approach_order(rule("sequential-odds"), ctx)
    assert {k: v.tolist() for k, v in orders.items()} == {"seq": [3, 2, 4]}
    assert checked_order(rule("sequential-odds"), ctx).tolist() == checked_order(rule("value"), ctx).tolist()


def test_rules_without_approach_order_keep_the_listed_order():
    assert checked_approach_order(rule("value"), context()) == {}


def test_an_order_that_is_not_a_permutation_is_an_error():
    bad = PriorityRule("dup", order=lambda ctx: np.array([0, 0, 1, 2, 3]))
    with pytest.raises(PluginError) as err:
        checked_order(bad, context())
    assert err.value.message == (
        "hook register_priority_rules (priority rule 'dup'): returned an order that is not a permutation of the 5 task indices"
    )


def test_an_approach_order_with_foreign_tasks_is_an_error():
    bad = PriorityRule("odd", order=priority.value_order, approach_order=lambda ctx: {"seq": [0, 1, 2]})
    with pytest.raises(PluginError, match="challenge 'seq' that is not a permutation of its approaches"):
        checked_approach_order(bad, context())
