"""One model of failure in time (docs/simulation.md): the in-progress update is its exact posterior.

The model is simulated from scratch here (effort D from the estimate, success ~ Bernoulli(p),
independent of D; the outcome is revealed when D has been spent), conditioned on "still
running after s days of effort", and compared with what teamcast's update says.
"""

import datetime as dt

import numpy as np
import pytest

from teamcast.engine.forecast.compile import compile_plan
from teamcast.engine.forecast.progress import reevaluate
from teamcast.engine.forecast.sampling import Sampler
from teamcast.engine.plan.model import Plan, frame
from teamcast.ext.kernel import FIXED_DOING
from teamcast.plugins.manager import get_registry

START = dt.date(2027, 1, 4)  # a Monday
ESTIMATE = {"est_form": "range", "est_low": 4.0, "est_likely": 6.0, "est_high": 10.0}


def doing_plan(model: str, p: float, spent: float) -> Plan:
    task = {
        "id": "t",
        "project": "p",
        "title": "t",
        "kind": "research",
        **ESTIMATE,
        "assignee": "ana",
        "model": model,
        "p_success": p,
        "status": "doing",
        "started": dt.date(2026, 12, 1),
        "actual_days": spent,  # recorded effort comes first
        "done_by": "ana",
    }
    return Plan(
        plan=frame("plan", [{"name": "wip", "start": START}]),
        people=frame("people", [{"id": "ana", "role": "ml_engineer", "capacity": 1.0}]),
        projects=frame("projects", [{"id": "p", "name": "P"}]),
        tasks=frame("tasks", [task]),
    )


def simulate_the_model(model: str, p: float, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(effort, success) of n lives of the task, straight from the model's sampler."""
    registry = get_registry()
    tasks = frame("tasks", [{"id": "t", "project": "p", **ESTIMATE, "model": model, "p_success": p}])
    rng = np.random.default_rng(seed)
    effort = registry.duration_model(model).sample(tasks, n, rng)[:, 0]
    success = rng.random(n) < p
    return effort, success


@pytest.mark.parametrize("model", ["pert", "lognormal"])
@pytest.mark.parametrize("p", [0.3, 0.8, 0.99, 1.0])
@pytest.mark.parametrize("spent", [1.0, 5.0, 8.0, 9.0, 12.0])
def test_the_update_is_the_posterior_of_the_simulated_model(model, p, spent):
    effort, success = simulate_the_model(model, p, 200_000, seed=int(spent * 10) + int(p * 100))
    running = effort > spent
    updated = reevaluate(compile_plan(doing_plan(model, p, spent)), get_registry()).row(0, named=True)
    assert updated["spent_days"] == spent
    if running.sum() < 200:
        # Past the end of a bounded estimate the model says this cannot happen: p is kept, and flagged.
        assert model == "pert" and spent >= ESTIMATE["est_high"]
        assert updated["p_updated"] == p and updated["past_estimate"]
        return
    empirical = success[running].mean()
    se = np.sqrt(max(empirical * (1 - empirical), 1e-4) / running.sum())
    assert abs(updated["p_updated"] - empirical) < 4 * se + 1e-9
    assert not updated["past_estimate"]


@pytest.mark.parametrize("model", ["pert", "lognormal"])
@pytest.mark.parametrize("spent", [1.0, 6.0, 9.0])
def test_remaining_effort_is_drawn_from_the_same_conditional(model, spent):
    effort, _ = simulate_the_model(model, 0.7, 400_000, seed=11)
    expected = effort[effort > spent] - spent
    compiled = compile_plan(doing_plan(model, 0.7, spent))
    sampler = Sampler(compiled, get_registry(), [])
    column = int(np.flatnonzero(compiled.inp.task_fixed == FIXED_DOING)[0])
    drawn = np.concatenate([sampler.block(5, b, 1024)[0][:, column] for b in range(20)])
    for q in (0.1, 0.5, 0.9):
        want = np.quantile(expected, q)
        assert np.quantile(drawn, q) == pytest.approx(want, rel=0.05, abs=0.05)


def test_effort_spent_without_a_record_is_working_days_times_capacity_holidays_excluded():
    plan = doing_plan("pert", 0.8, 0.0)
    # From Monday 2026-12-21 to the start, Monday 2027-01-04: ten weekdays, two of them holidays.
    holidays = [dt.date(2026, 12, 25), dt.date(2027, 1, 1)]
    plan = plan.replace(
        tasks=plan.tasks.with_columns(actual_days=None, started=dt.date(2026, 12, 21)),
        people=plan.people.with_columns(capacity=0.5),
        plan=frame("plan", [{"name": "wip", "start": START, "holidays": holidays}]),
    )
    assert compile_plan(plan).elapsed[0] == pytest.approx(0.5 * 8)
