"""The built-in `risk-first` priority rule: least likely, most important work first (teamcast's rule)."""

from __future__ import annotations

import datetime as dt

import numpy as np
from click.testing import CliRunner

from teamcast.engine.forecast.schedule import deterministic_schedule
from teamcast.engine.plan.model import Plan, frame
from teamcast.plugins import priority
from teamcast.plugins.manager import checked_order, get_registry
from teamcast.plugins.records import PriorityContext


def context() -> PriorityContext:
    return PriorityContext(
        tasks=frame("tasks", [{"id": i} for i in "abcde"]),
        expected=np.array([5.0, 5.0, 10.0, 2.0, 4.0]),
        lft=np.array([20.0, 10.0, 10.0, 30.0, 10.0]),
        p_success=np.array([1.0, 0.5, 0.5, 0.4, 0.2]),
        value=np.array([1.0, 2.0, 2.0, 1.0, 5.0]),
        challenges=frame("challenges", []),
    )


def rule(name: str):
    return next(r for r in priority.RULES if r.name == name)


def test_risk_first_orders_by_risk_times_importance_then_lft_then_plan_order():
    # (1 - p) × value: a 0, b 1, c 1, d .6, e 4; b and c tie on lft, so plan order.
    assert checked_order(rule("risk-first"), context()).tolist() == [4, 1, 2, 3, 0]
    # ... which is not the order of the default rule, most likely × most important first.
    assert checked_order(rule("value"), context()).tolist() == [1, 2, 4, 0, 3]


def test_risk_first_is_registered_like_the_other_built_ins():
    registry = get_registry(refresh=True)
    assert "risk-first" in registry.priority_rules
    assert registry.owner("priority_rule", "risk-first").dist == "teamcast"


def _one_person_two_bets() -> Plan:
    """One engineer, two equally important tasks: a safe one written first and a long shot."""
    tasks = [
        {"id": "safe", "project": "p", "title": "safe", "est_form": "single", "est_likely": 5.0, "p_success": 0.95},
        {"id": "bet", "project": "p", "title": "bet", "est_form": "single", "est_likely": 5.0, "p_success": 0.3},
    ]
    return Plan(
        plan=frame("plan", [{"name": "t", "start": dt.date(2027, 1, 4), "default_model": "fixed"}]),
        people=frame("people", [{"id": "ana", "role": "ml_engineer", "capacity": 1.0}]),
        projects=frame("projects", [{"id": "p", "name": "P", "value": 1.0}]),
        tasks=frame("tasks", [{**t, "role": "ml_engineer"} for t in tasks]),
    )


def test_risk_first_changes_which_task_starts_first():
    plan = _one_person_two_bets()
    start = {
        name: {r["task"]: r["start"] for r in deterministic_schedule(plan, priority=name).to_dicts()}
        for name in ("value", "risk-first")
    }
    assert start["value"]["safe"] < start["value"]["bet"]
    assert start["risk-first"]["bet"] < start["risk-first"]["safe"]


def test_simulate_accepts_risk_first_and_its_help_names_the_rule_as_teamcasts(tmp_path):
    from teamcast.engine.commands.cli import main

    result = CliRunner().invoke(main, ["simulate", "--help"])
    assert result.exit_code == 0
    assert "teamcast's rule" in result.output and "risk-first" in result.output
