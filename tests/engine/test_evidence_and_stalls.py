"""Evidence-based scheduling, research stalls and the re-evaluation of work in progress, through the driver."""

import datetime as dt

import numpy as np
import pytest

from teamcast.engine.forecast.compile import compile_plan
from teamcast.engine.forecast.progress import reevaluate
from teamcast.engine.forecast.sampling import parse_modifier
from teamcast.engine.forecast.simulate import simulate
from teamcast.engine.plan.model import Plan, frame
from teamcast.errors import SimulationError
from teamcast.plugins.manager import get_registry

START = dt.date(2027, 1, 4)


def plan_with_history(history_rows, *, task_extra=None, kind="engineering", model="fixed"):
    task = {
        "id": "t",
        "project": "p",
        "title": "t",
        "kind": kind,
        "est_form": "range",
        "est_low": 4.0,
        "est_likely": 6.0,
        "est_high": 10.0,
        "assignee": "ana",
        "model": model,
        **(task_extra or {}),
    }
    return Plan(
        plan=frame("plan", [{"name": "ebs", "start": START}]),
        people=frame("people", [{"id": "ana", "role": "ml_engineer", "capacity": 1.0}]),
        projects=frame("projects", [{"id": "p", "name": "P"}]),
        tasks=frame("tasks", [task]),
        history=frame("history", history_rows),
    )


def history(person, pairs, finished=dt.date(2026, 12, 1)):
    return [
        {"task": f"h{i}", "person": person, "est_likely": e, "actual_days": a, "succeeded": True, "finished": finished}
        for i, (e, a) in enumerate(pairs)
    ]


def test_ebs_divides_the_estimate_by_a_velocity_from_the_persons_history():
    # Worked example: Ana's six finished tasks: three took twice their estimate (velocity 0.5),
    # three took exactly the estimate (velocity 1.0). A 6-day estimate therefore becomes
    # 6 / 0.5 = 12 days or 6 / 1.0 = 6 days, half the time each (multiplying would give 3 or 6).
    plan = plan_with_history(history("ana", [(4, 8)] * 3 + [(5, 5)] * 3))
    n = 20_000
    forecast = simulate(plan, trials=n, seed=1, modifiers=["ebs"])
    finish = forecast.project_finish[:, 0]
    assert set(np.unique(finish)) == {6.0, 12.0}
    share_long = float(np.mean(finish == 12.0))
    assert abs(share_long - 0.5) < 4 * np.sqrt(0.25 / n)


def test_ebs_drops_velocities_outside_the_window_and_adds_the_prior_for_thin_histories():
    old = history("ana", [(4, 8)] * 6, finished=dt.date(2026, 1, 1))  # a year before the start
    plan = plan_with_history(old)
    forecast = simulate(plan, trials=5_000, seed=2, modifiers=["ebs"])
    # Only the prior is left: a continuum of values, median effort 6 / 0.8 = 7.5 days.
    assert len(np.unique(forecast.project_finish[:, 0])) > 10
    assert forecast.projects["p50"][0] == pytest.approx(7.5, rel=0.15)
    # A longer window keeps the old evidence: every trial takes 12 days.
    kept = simulate(plan, trials=500, seed=2, modifiers=["ebs:window_days=400"])
    assert kept.projects["p95"][0] == kept.projects["p50"][0] == 12.0


def test_ebs_forecast_moves_with_history():
    fast = simulate(plan_with_history(history("ana", [(6, 4)] * 6)), trials=500, modifiers=["ebs"])
    slow = simulate(plan_with_history(history("ana", [(4, 6)] * 6)), trials=500, modifiers=["ebs"])
    assert fast.projects["p50"][0] == pytest.approx(4.0)
    assert slow.projects["p50"][0] == pytest.approx(9.0)


def test_stalls_widen_the_p95_much_more_than_the_p50():
    plan = plan_with_history([], kind="research", model="pert")
    base = simulate(plan, trials=20_000, seed=3).projects.row(0, named=True)
    stalled = simulate(plan, trials=20_000, seed=3, modifiers=["stall"]).projects.row(0, named=True)
    widen_p50 = stalled["p50"] - base["p50"]
    widen_p95 = stalled["p95"] - base["p95"]
    assert widen_p50 >= 0
    assert widen_p95 > 4 * widen_p50
    # Only stall-prone kinds stall.
    eng = plan_with_history([], kind="engineering", model="pert")
    assert simulate(eng, trials=2_000, seed=3, modifiers=["stall"]).to_json() == simulate(
        eng, trials=2_000, seed=3
    ).to_json() | {"modifiers": ["stall"]}


def test_modifier_options_are_parsed_and_bad_ones_rejected():
    assert parse_modifier("stall:p_research=0.5, alpha=2") == ("stall", {"p_research": "0.5", "alpha": "2"})
    assert parse_modifier("ebs") == ("ebs", {})
    with pytest.raises(SimulationError, match="key=value"):
        parse_modifier("stall:alpha")


def test_work_in_progress_keeps_its_odds_and_work_past_its_estimate_is_flagged():
    # teamcast's failure model (docs/simulation.md): success and failure share the effort
    # distribution, so effort spent moves the remaining effort, not P(success).
    def doing(started):
        return plan_with_history(
            [], model="pert", task_extra={"status": "doing", "started": started, "done_by": "ana", "p_success": 0.6}
        )

    registry = get_registry()
    early = reevaluate(compile_plan(doing(dt.date(2027, 1, 1))), registry).row(0, named=True)  # 1 day spent
    late = reevaluate(compile_plan(doing(dt.date(2026, 12, 7))), registry).row(0, named=True)  # 20 days > high 10
    assert early["p_stated"] == late["p_stated"] == early["p_updated"] == late["p_updated"] == 0.6
    assert (early["past_estimate"], late["past_estimate"]) == (False, True)
    forecast = simulate(doing(dt.date(2026, 12, 7)), trials=2_000, seed=4)
    task = forecast.to_json()["tasks"][0]
    assert task["p_success_stated"] == 0.6 and task["p_success_updated"] == 0.6
    assert task["past_estimate"] is True
    assert forecast.projects["p_success"][0] == pytest.approx(0.6, abs=0.05)
