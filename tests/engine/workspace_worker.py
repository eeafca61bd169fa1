"""Sample plans for the workspace tests, and the child process those tests start and kill.

Run as a script: `python workspace_worker.py ACTION WORKSPACE [ARGS...]`, where ACTION is
- `increment POOL N`: add 1 to pools[POOL].units N times, each a read-modify-write retried on conflict;
- `forecasts N`: append N one-row forecast snapshots;
- `import-large ROWS`: import large_plan(ROWS), printing "transaction" as its write transaction begins
  (the parent kills it at some moment after that);
- `import-pause ROWS`: the same, but stop inside the import transaction after printing "inside".
A child waits for the file `WORKSPACE.go` to exist before it starts, so two children start together.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import polars as pl

from teamcast.engine.plan.model import Plan, frame
from teamcast.engine.plan.workspace import Workspace
from teamcast.errors import ConflictError


def full_plan() -> Plan:
    """A small, valid plan with at least one row in every table, nulls and nested values included."""
    d = dt.date
    return Plan(
        plan=frame(
            "plan",
            [{"name": "Acme ML", "start": d(2027, 1, 4), "holidays": [d(2027, 5, 31)], "default_model": "pert"}],
        ),
        org=frame("org", [{"name": "Acme", "archetype": "embedded", "data_ownership": "ml team"}]),
        org_answers=frame("org_answers", [{"question": "q1", "answer": "yes"}, {"question": "q2", "answer": "no"}]),
        teams=frame("teams", [{"id": "core-ml", "name": "Core ML", "reports_to": "cto", "lead": "ana"}]),
        people=frame(
            "people",
            [
                {
                    "id": "ana",
                    "name": "Ana Ruiz",
                    "role": "ml_engineer",
                    "team": "core-ml",
                    "capacity": 1.0,
                    "skill_ml": 4,
                    "skill_swe": 4,
                    "skill_comm": 2,
                    "joined": d(2025, 3, 1),
                },
                {"id": "bo", "name": "Bo Chen", "role": "ml_researcher", "team": "core-ml", "capacity": 0.5},
            ],
        ),
        hires=frame(
            "hires",
            [
                {
                    "id": "req-researcher",
                    "role": "ml_researcher",
                    "team": "core-ml",
                    "tth_low": 30.0,
                    "tth_likely": 45.0,
                    "tth_high": 90.0,
                    "ramp_days": 60.0,
                    "ramp_productivity": 0.5,
                    "must_have": ["ranking research", "PyTorch"],
                    "nice_to_have": [],
                }
            ],
        ),
        pools=frame("pools", [{"id": "gpus", "units": 8}]),
        projects=frame(
            "projects",
            [
                {
                    "id": "fraud",
                    "name": "Fraud model v2",
                    "team": "core-ml",
                    "deadline": d(2027, 4, 30),
                    "value": 8.0,
                    "impact": "Cut chargebacks by ~15%",
                }
            ],
        ),
        tasks=frame(
            "tasks",
            [
                {
                    "id": "fraud-baseline",
                    "project": "fraud",
                    "title": "Baseline",
                    "kind": "engineering",
                    "est_form": "range",
                    "est_low": 3.0,
                    "est_likely": 5.0,
                    "est_high": 10.0,
                    "role": "ml_engineer",
                    "after": [],
                    "status": "done",
                    "started": d(2026, 12, 1),
                    "finished": d(2026, 12, 9),
                    "actual_days": 6.0,
                    "done_by": "ana",
                },
                {
                    "id": "fraud-gbm",
                    "project": "fraud",
                    "title": "GBM",
                    "est_form": "single",
                    "est_likely": 4.0,
                    "p_success": 0.6,
                    "needs": [{"pool": "ml_engineer", "units": 1}, {"pool": "gpus", "units": 2}],
                    "after": ["fraud-baseline"],
                },
                {
                    "id": "fraud-gnn",
                    "project": "fraud",
                    "title": "GNN",
                    "est_form": "params",
                    "est_params": '{"mu": 2.0, "sigma": 0.5}',
                    "model": "lognormal",
                    "p_success": 0.3,
                    "assignee": "bo",
                    "after": ["fraud-baseline"],
                },
            ],
        ),
        challenges=frame(
            "challenges",
            [
                {
                    "id": "fraud-beat-baseline",
                    "project": "fraud",
                    "title": "Beat it",
                    "strategy": "parallel",
                    "approaches": ["fraud-gbm", "fraud-gnn"],
                }
            ],
        ),
        history=frame(
            "history",
            [
                {
                    "task": "churn-features",
                    "person": "ana",
                    "est_low": 4.0,
                    "est_likely": 6.0,
                    "est_high": 12.0,
                    "p_success": 0.7,
                    "actual_days": 9.0,
                    "succeeded": True,
                    "finished": d(2026, 10, 2),
                }
            ],
        ),
        forecasts=frame(
            "forecasts",
            [
                {
                    "snapshot": 1,
                    "created": dt.datetime(2027, 1, 5, 9, 30, tzinfo=dt.UTC),
                    "who": "ana",
                    "plan_version": 1,
                    "seed": 7,
                    "trials": 1000,
                    "level": "project",
                    "id": "fraud",
                    "p50": 40.0,
                    "p80": 50.5,
                    "p95": 61.0,
                    "mean": 42.0,
                    "p_success": 0.8,
                    "p_on_time": 0.5,
                }
            ],
        ),
        experiments=frame(
            "experiments",
            [
                {
                    "date": d(2027, 1, 20),
                    "person": "bo",
                    "task": "fraud-gnn",
                    "tried": "GraphSAGE",
                    "outcome": "no lift",
                    "effort_days": 3.5,
                }
            ],
        ),
        candidates=frame(
            "candidates",
            [
                {
                    "id": "cand-1",
                    "name": "Kim",
                    "role": "ml_researcher",
                    "hire": "req-researcher",
                    "strengths": ["ranking"],
                    "bars": ["communication"],
                }
            ],
        ),
        scorecards=frame(
            "scorecards",
            [
                {
                    "candidate": "cand-1",
                    "assessment": "pair_coding",
                    "aspect": "communication",
                    "score": 3.0,
                    "minimum": 3.0,
                }
            ],
        ),
    )


def large_plan(rows: int, tag: str) -> Plan:
    """A plan whose every task title carries `tag`, so a reader can tell two imports apart."""
    tasks = [
        {
            "id": f"t{i}",
            "project": "big",
            "title": f"{tag} {i}",
            "est_form": "range",
            "est_low": 1.0,
            "est_likely": 2.0,
            "est_high": 3.0,
            "role": "ml_engineer",
            "after": [f"t{i - 1}"] if i else [],
        }
        for i in range(rows)
    ]
    return Plan(
        plan=frame("plan", [{"name": tag, "start": dt.date(2027, 1, 4)}]),
        people=frame("people", [{"id": "ana", "role": "ml_engineer"}]),
        projects=frame("projects", [{"id": "big", "name": tag}]),
        tasks=frame("tasks", tasks),
    )


def _increment(workspace: Workspace, pool: str, times: int) -> None:
    for _ in range(times):
        while True:
            # The version first: data read after it is at least that new, so a stale read conflicts.
            # (Read the other way round, another process's write between the two reads was lost.)
            version = workspace.row_version("pools", pool)
            pools = workspace.load().pools
            units = pools.filter(pl.col("id") == pool)["units"][0]
            try:
                workspace.update_row("pools", pool, {"units": units + 1}, version)
                break
            except ConflictError:
                continue


def _append_forecasts(workspace: Workspace, times: int) -> None:
    for i in range(times):
        workspace.append_forecasts(pl.DataFrame({"level": ["project"], "id": [f"run-{i}"], "p50": [float(i)]}))


def _import_announcing(workspace: Workspace, rows: int) -> None:
    """Import, saying when the write transaction has begun (its first statement bumps the plan version)."""
    original = workspace._bump_plan_version

    def announce_then_bump():
        print("transaction", flush=True)
        return original()

    workspace._bump_plan_version = announce_then_bump
    workspace.import_plan(large_plan(rows, "new"))


def _import_pausing(workspace: Workspace, rows: int) -> None:
    """Import, but sit inside the transaction (after the first table is replaced) until killed."""
    original = workspace._insert

    def insert_then_wait(table, *args, **kwargs):
        original(table, *args, **kwargs)
        if table == "tasks":
            print("inside", flush=True)
            time.sleep(600)

    workspace._insert = insert_then_wait
    workspace.import_plan(large_plan(rows, "new"))


def main(action: str, path: str, *args: str) -> None:
    go = Path(f"{path}.go")
    while not go.exists():
        time.sleep(0.005)
    with Workspace.open(path) as workspace:
        if action == "increment":
            _increment(workspace, args[0], int(args[1]))
        elif action == "forecasts":
            _append_forecasts(workspace, int(args[0]))
        elif action == "import-large":
            _import_announcing(workspace, int(args[0]))
        elif action == "import-pause":
            _import_pausing(workspace, int(args[0]))
        else:
            raise SystemExit(f"unknown action {action}")


if __name__ == "__main__":
    main(*sys.argv[1:])
