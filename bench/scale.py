"""The scale benchmark of the batch-runs issue: a generated organisation of 40 teams, 400 people,
4,000 tasks and 100 challenges; one large run, and a 200-scenario sweep on 1 and 2 workers.

    .venv/bin/python bench/scale.py                  # everything (several minutes on 2 cores)
    .venv/bin/python bench/scale.py --trials 20000 --sweep-trials 500 --jobs 1,2
    .venv/bin/python bench/scale.py --executor dask://HOST:PORT

Prints time, peak memory and where the time goes (sampling, kernel, aggregation). Nothing here
asserts anything about time.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import resource
import time

import numpy as np

from teamcast.engine.plan.model import Plan, frame

ROLES = ["ml_engineer", "data_engineer", "ml_researcher", "devops_engineer", "data_scientist", "ml_product_manager"]
ROLE_SHARE = [0.3, 0.2, 0.15, 0.15, 0.1, 0.1]
KIND_OF = {
    "ml_engineer": "engineering",
    "data_engineer": "data",
    "ml_researcher": "research",
    "devops_engineer": "infra",
    "data_scientist": "analytics",
    "ml_product_manager": "product",
}


def organisation(
    teams: int = 40, people_per_team: int = 10, tasks: int = 4000, challenges: int = 100, seed: int = 2027
) -> Plan:
    """A deterministic generated organisation: teams of mixed roles, two projects per team,
    chains and fan-ins of tasks inside each project, a few cross-project dependencies, and
    research challenges of three approaches."""
    rng = np.random.default_rng(seed)
    team_rows = [{"id": f"t{k:02d}", "name": f"Team {k}", "reports_to": "cto"} for k in range(teams)]
    people = []
    for k in range(teams):
        roles = rng.choice(ROLES, size=people_per_team, p=ROLE_SHARE)
        for j, role in enumerate(roles):
            people.append(
                {
                    "id": f"p{k:02d}{j}",
                    "name": f"Person {k}.{j}",
                    "role": str(role),
                    "team": f"t{k:02d}",
                    "capacity": float(rng.choice([1.0, 1.0, 1.0, 0.8, 0.5])),
                }
            )
    present = sorted({p["role"] for p in people})
    hires = [
        {
            "id": f"h{k}",
            "role": present[k % len(present)],
            "team": f"t{k:02d}",
            "tth_low": 20.0,
            "tth_likely": 40.0,
            "tth_high": 90.0,
            "ramp_days": 40.0,
            "ramp_productivity": 0.5,
        }
        for k in range(8)
    ]
    n_projects = teams * 2
    per_project = tasks // n_projects
    chal_per_project = np.bincount(rng.integers(0, n_projects, size=challenges), minlength=n_projects)
    projects, task_rows, chal_rows = [], [], []
    start = dt.date(2027, 1, 4)
    for p in range(n_projects):
        pid = f"proj{p:03d}"
        projects.append(
            {
                "id": pid,
                "name": f"Project {p}",
                "team": f"t{p // 2:02d}",
                "value": float(rng.integers(1, 10)),
                "deadline": start + dt.timedelta(days=int(rng.integers(120, 300))),
            }
        )
        ids = [f"{pid}-{i:02d}" for i in range(per_project)]
        approaches: set[int] = set()
        for c in range(chal_per_project[p]):
            members = sorted(
                int(i) for i in rng.choice(np.arange(2, per_project - 2), size=3, replace=False) if i not in approaches
            )
            if len(members) < 2:
                continue
            approaches.update(int(i) for i in members)
            chal_rows.append(
                {
                    "id": f"{pid}-c{c}",
                    "project": pid,
                    "title": f"goal {c}",
                    "strategy": "parallel" if c % 3 else "sequential",
                    "approaches": [ids[i] for i in members],
                }
            )
        for i, tid in enumerate(ids):
            role = present[int(rng.integers(0, len(present)))]
            likely = float(rng.integers(2, 11))
            after = sorted({ids[int(j)] for j in rng.integers(max(0, i - 6), i, size=min(i, 2))}) if i else []
            after = [a for a in after if ids.index(a) not in approaches]  # approaches are waited on via their challenge
            if p and i == 0 and rng.random() < 0.3:
                after = [f"proj{int(rng.integers(0, p)):03d}-{per_project - 1:02d}"]
            research = i in approaches
            task_rows.append(
                {
                    "id": tid,
                    "project": pid,
                    "title": tid,
                    "kind": "research" if research else KIND_OF[role],
                    "est_form": "range",
                    "est_low": likely * 0.6,
                    "est_likely": likely,
                    "est_high": likely * (3.0 if research else 1.8),
                    "p_success": float(rng.uniform(0.3, 0.7)) if research else 1.0,
                    "role": "ml_researcher" if research and "ml_researcher" in present else role,
                    "after": after or None,
                }
            )
    return Plan(
        plan=frame("plan", [{"name": "scale", "start": start}]),
        teams=frame("teams", team_rows),
        people=frame("people", people),
        hires=frame("hires", hires),
        pools=frame("pools", [{"id": "gpus", "units": 16}]),
        projects=frame("projects", projects),
        tasks=frame("tasks", task_rows),
        challenges=frame("challenges", chal_rows),
    )


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=100_000)
    parser.add_argument("--sweep-trials", type=int, default=1_000)
    parser.add_argument("--scenarios", type=int, default=200)
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--executor", default=None, help="also run the sweep on this Dask scheduler")
    parser.add_argument("--profile", action="store_true", help="print where the time of the large run goes")
    args = parser.parse_args()

    from teamcast.engine.forecast.simulate import simulate
    from teamcast.engine.forecast.sweep import parse_vary, sweep
    from teamcast.engine.plan.validate import validate_plan

    t0 = time.perf_counter()
    plan = organisation()
    errors = [p for p in validate_plan(plan) if p.severity == "error"]
    assert not errors, errors[:5]
    print(
        f"organisation: {plan.teams.height} teams, {plan.people.height} people, {plan.hires.height} hires, "
        f"{plan.tasks.height} tasks, {plan.challenges.height} challenges  (built and validated in {time.perf_counter() - t0:.1f} s)"
    )

    simulate(plan, trials=1024, seed=1, threads=args.threads)  # warm-up: plugin tables, imports
    t0 = time.perf_counter()
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
    simulate(plan, trials=args.trials, seed=1, threads=args.threads)
    elapsed = time.perf_counter() - t0
    if args.profile:
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(12)
        print(out.getvalue())
    cells = args.trials * plan.tasks.height
    print(
        f"single run: {args.trials:,} trials in {elapsed:.1f} s = {cells / elapsed / 1e6:.2f} M task-trials/s "
        f"(threads={args.threads}); peak RSS {peak_mb():.0f} MB"
    )

    people = [str(n) for n in range(60, 110, 10)]  # 5 values
    axes = [
        parse_vary(f"people.ml_engineer={','.join(people)}"),
        parse_vary("hire.data_engineer=none,20,40,60,90"),
        parse_vary("priority=value,lft"),
        parse_vary("strategy.proj000-c0=parallel,sequential"),
        parse_vary("capacity.p000=1.0,0.5"),
    ]
    n = 1
    for axis in axes:
        n *= len(axis.values)
    print(f"sweep: {n} scenarios x {args.sweep_trials:,} trials")
    first = None
    for jobs in [int(j) for j in args.jobs.split(",")]:
        t0 = time.perf_counter()
        table = sweep(plan, axes, trials=args.sweep_trials, seed=1, jobs=jobs)
        elapsed = time.perf_counter() - t0
        same = (
            "" if first is None else ("  identical to 1 worker" if table.equals(first) else "  DIFFERS from 1 worker")
        )
        first = table if first is None else first
        print(f"  local, {jobs} worker(s): {elapsed:.1f} s ({elapsed / n:.2f} s per scenario){same}")
    if args.executor:
        t0 = time.perf_counter()
        table = sweep(plan, axes, trials=args.sweep_trials, seed=1, executor=args.executor)
        print(
            f"  {args.executor}: {time.perf_counter() - t0:.1f} s  {'identical' if table.equals(first) else 'DIFFERS'}"
        )
    print(f"peak RSS {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
