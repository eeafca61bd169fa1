"""Generator of the demo plan's [[history]] and [[experiments]] tables (kept for reference, not run by tests).

The output was generated once and pasted into engine/plan/data/demo.toml:

    .venv/bin/python tests/engine/make_demo_history.py >> engine/plan/data/demo.toml

It is deterministic (fixed seed). The biases are deliberate, so that retros and evidence-based
estimates have something real to find: actual / likely effort is log-normal with a median of
about 1.2 (teams are optimistic), research has a heavier right tail and occasional stalls, and
researchers state success chances well above what they achieve. Estimates are people's own
three-point ranges, so their low and high are not fixed multiples of the likely value: each is drawn
from its own generator (SPREAD_SEED), which leaves every other draw as it was. Experiments are only
logged on work that has started: the graph net's early experiments belong to a finished spike.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

SEED = 2027
SPREAD_SEED = 2028  # the estimates' low/high spread only
HISTORY_START = dt.date(2026, 7, 1)
HISTORY_END = dt.date(2026, 12, 31)
# US holidays of the history period; the plan's own holidays start in 2027.
HOLIDAYS = {
    dt.date(2026, 7, 3),
    dt.date(2026, 9, 7),
    dt.date(2026, 11, 26),
    dt.date(2026, 11, 27),
    dt.date(2026, 12, 24),
    dt.date(2026, 12, 25),
}

# id, role, team, capacity, joined, cutoff (the day their first task of the current plan began).
ROSTER = [
    ("priya", "ml_product_manager", "insights", 0.5, dt.date(2024, 3, 4), dt.date(2026, 11, 2)),
    ("maya", "ml_engineer", "risk", 0.6, dt.date(2023, 5, 15), dt.date(2026, 11, 2)),
    ("jonas", "ml_engineer", "risk", 1.0, dt.date(2024, 9, 2), dt.date(2026, 11, 23)),
    ("amara", "ml_engineer", "platform", 1.0, dt.date(2025, 2, 3), dt.date(2026, 11, 16)),
    ("yuki", "ml_engineer", "insights", 1.0, dt.date(2026, 9, 14), HISTORY_END),
    ("wei", "ml_researcher", "risk", 1.0, dt.date(2024, 1, 8), dt.date(2026, 12, 7)),
    ("sofia", "ml_researcher", "risk", 1.0, dt.date(2025, 6, 2), dt.date(2026, 12, 14)),
    ("tomas", "data_engineer", "platform", 0.6, dt.date(2023, 8, 21), dt.date(2026, 11, 16)),
    ("lena", "data_engineer", "platform", 1.0, dt.date(2025, 1, 13), dt.date(2026, 11, 9)),
    ("raj", "devops_engineer", "platform", 1.0, dt.date(2024, 4, 1), dt.date(2026, 12, 14)),
    ("kofi", "devops_engineer", "platform", 1.0, dt.date(2025, 10, 6), dt.date(2026, 12, 21)),
    ("elena", "data_scientist", "insights", 1.0, dt.date(2024, 6, 17), dt.date(2026, 11, 30)),
    ("sam", "data_scientist", "insights", 1.0, dt.date(2025, 9, 1), dt.date(2026, 12, 15)),
]

# Past work per role: (task slug, past project, kind, likely effort in days).
TEMPLATES = {
    "ml_product_manager": [
        ("churn-prd", "churn-v1", "product", 4),
        ("pricing-launch-plan", "pricing-v3", "product", 3),
        ("merchant-interviews-h2", "merchant-dashboards", "product", 5),
        ("rules-tuning-review", "rules-engine", "product", 2),
        ("h2-roadmap", "merchant-dashboards", "product", 3),
        ("churn-launch-comms", "churn-v1", "product", 2),
    ],
    "ml_engineer": [
        ("churn-training-pipeline", "churn-v1", "engineering", 8),
        ("churn-batch-scoring", "churn-v1", "engineering", 5),
        ("pricing-retrain-job", "pricing-v3", "engineering", 6),
        ("pricing-ab-integration", "pricing-v3", "engineering", 7),
        ("rules-backtest-tool", "rules-engine", "engineering", 6),
        ("model-registry-poc", "ml-infra-2026", "infra", 5),
        ("churn-calibration", "churn-v1", "engineering", 4),
        ("pricing-latency-fix", "pricing-v3", "engineering", 3),
        ("feature-parity-tests", "ml-infra-2026", "engineering", 5),
        ("rules-shadow-scoring", "rules-engine", "engineering", 7),
        ("churn-explanations", "churn-v1", "engineering", 5),
        ("pricing-elasticity-features", "pricing-v3", "data", 6),
    ],
    "ml_researcher": [
        ("churn-survival-model", "churn-v1", "research", 10),
        ("pricing-bandit-study", "pricing-v3", "research", 12),
        ("fraud-anomaly-autoencoder", "rules-engine", "research", 10),
        ("merchant-embeddings", "churn-v1", "research", 8),
        ("label-noise-study", "rules-engine", "research", 6),
        ("pricing-causal-uplift", "pricing-v3", "research", 10),
        ("fraud-graph-spike", "rules-engine", "research", 5),
        ("churn-sequence-model", "churn-v1", "research", 9),
    ],
    "data_engineer": [
        ("warehouse-schema-v2", "warehouse-migration", "data", 8),
        ("cdc-ingest-payments", "warehouse-migration", "data", 10),
        ("airflow-dag-cleanup", "warehouse-migration", "data", 4),
        ("churn-feature-tables", "churn-v1", "data", 6),
        ("pricing-event-pipeline", "pricing-v3", "data", 7),
        ("data-retention-jobs", "warehouse-migration", "data", 5),
        ("dbt-test-coverage", "warehouse-migration", "data", 5),
    ],
    "devops_engineer": [
        ("k8s-upgrade-1-30", "ml-infra-2026", "infra", 6),
        ("terraform-modules", "ml-infra-2026", "infra", 8),
        ("ci-runners-gpu", "ml-infra-2026", "infra", 5),
        ("observability-stack", "ml-infra-2026", "infra", 9),
        ("secrets-rotation", "ml-infra-2026", "infra", 3),
        ("pricing-autoscaling", "pricing-v3", "infra", 4),
        ("cost-dashboards", "ml-infra-2026", "infra", 3),
        ("dr-runbook", "ml-infra-2026", "infra", 4),
    ],
    "data_scientist": [
        ("churn-cohort-analysis", "churn-v1", "analytics", 5),
        ("pricing-ab-readout", "pricing-v3", "analytics", 4),
        ("merchant-kpi-dashboard", "merchant-dashboards", "analytics", 7),
        ("approval-rate-deep-dive", "merchant-dashboards", "analytics", 5),
        ("churn-ab-readout", "churn-v1", "analytics", 3),
        ("seasonality-report", "merchant-dashboards", "analytics", 4),
        ("pricing-elasticity-analysis", "pricing-v3", "analytics", 6),
    ],
}

# A spike finished before the plan: the feasibility study of the graph net (approach B), which the
# first experiments of the log belong to.
SPIKE = {
    "task": "gnn-spike",
    "project": "rules-engine",
    "kind": "research",
    "person": "wei",
    "team": "risk",
    "low": 2.0,
    "likely": 3.0,
    "high": 8.0,
    "p_success": 0.7,
    "actual_days": 3.5,
    "succeeded": True,
    "started": dt.date(2026, 11, 16),
    "finished": dt.date(2026, 11, 19),
}

# The research challenge's experiments log: (task, person, what was tried, what came out, effort days).
EXPERIMENTS = [
    (
        "gnn-spike",
        "wei",
        "GraphSAGE on a 1% sample of the card-merchant graph",
        "trains; recall flat vs baseline at this size",
        1.0,
    ),
    (
        "gnn-spike",
        "wei",
        "Same model with device nodes added",
        "recall +3 pts on the sample; needs the full graph to tell",
        1.5,
    ),
    ("fraud-gbm", "wei", "LightGBM on the baseline's features", "matches the baseline within noise", 1.0),
    ("fraud-gbm", "wei", "Add 1h/24h/7d card velocity features", "cost-weighted recall +4 pts", 2.0),
    ("fraud-gbm", "wei", "Merchant risk target encoding", "leaked the label through late chargebacks; reverted", 1.5),
    ("fraud-gbm", "wei", "Time-based target encoding with a 60-day lag", "+1 pt, stable across months", 1.0),
    (
        "fraud-gbm",
        "wei",
        "Monotonic constraints on amount features",
        "no metric change; Risk Ops find it easier to explain",
        0.5,
    ),
    ("fraud-gbm", "wei", "Hyperparameter sweep, 200 trials", "+0.5 pt; diminishing returns", 1.0),
    (
        "fraud-gbm",
        "wei",
        "Per-segment thresholds for high-risk merchants",
        "false declines -8% at the same recall",
        1.5,
    ),
    ("fraud-seq", "sofia", "GRU over the last 50 transactions per card", "below baseline; overfits rare cards", 2.0),
    (
        "fraud-seq",
        "sofia",
        "Transformer encoder, 4 layers, 128 dims",
        "on par with baseline; 2 GPUs for 9 h per run",
        2.5,
    ),
    ("fraud-seq", "sofia", "Add time-delta embeddings between transactions", "+2 pts over baseline", 1.5),
    (
        "fraud-seq",
        "sofia",
        "Contrastive pre-training on 6 months of unlabeled sequences",
        "run diverged twice; lowered the learning rate",
        2.0,
    ),
    (
        "fraud-seq",
        "sofia",
        "Pre-training with warm-up and gradient clipping",
        "converges; fine-tuned model +3 pts",
        1.5,
    ),
    ("fraud-seq", "sofia", "Distil into a 2-layer model for latency", "loses 1 pt; p99 latency 12 ms on CPU", 1.0),
    ("fraud-seq", "sofia", "Evaluate on the November holiday spike", "gain shrinks to +1 pt under the spike", 0.5),
    (
        "fraud-gbm",
        "wei",
        "Blend GBM scores with the rules engine's flags",
        "+0.5 pt; keeps the rules Risk Ops trust",
        1.0,
    ),
    ("fraud-seq", "sofia", "Longer context, 200 transactions", "no gain; 3x training cost; dropped", 1.5),
    ("gnn-spike", "wei", "Estimate memory for the full graph", "needs 2 GPUs and the nightly graph build", 0.5),
    (
        "fraud-gbm",
        "wei",
        "Error analysis of the remaining misses",
        "mostly new cards with no history: a case for the sequence model",
        1.0,
    ),
]


def is_workday(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in HOLIDAYS


def add_workdays(day: dt.date, n: int) -> dt.date:
    """The working day n working days after `day` (n >= 0; day itself counts as the 0th if a workday)."""
    while not is_workday(day):
        day += dt.timedelta(days=1)
    while n > 0:
        day += dt.timedelta(days=1)
        if is_workday(day):
            n -= 1
    return day


def half(x: float) -> float:
    return max(0.5, round(x * 2) / 2)


def number(x: float) -> str:
    return str(int(x)) if x == int(x) else str(x)


def one_task(rng: np.random.Generator, likely: float, kind: str, spread: np.random.Generator) -> dict:
    research = kind == "research"
    likely = half(likely * rng.uniform(0.8, 1.25))
    low = min(likely - 0.5, half(likely * spread.uniform(0.45, 0.85)))
    high = max(likely + 1.0, half(likely * (spread.uniform(2.0, 4.0) if research else spread.uniform(1.3, 2.6))))
    if research:
        stated = float(rng.choice([0.6, 0.7, 0.8]))
        succeeded = bool(rng.random() < stated * 0.6)  # researchers overstate their odds
        ratio = math.exp(rng.normal(math.log(1.25), 0.55))
        if rng.random() < 0.15:
            ratio *= rng.uniform(1.5, 3.0)  # a stall
        if not succeeded:
            ratio *= rng.uniform(0.6, 1.0)  # failed work is often stopped early
    else:
        stated = float(rng.choice([0.9, 0.95, 1.0]))
        succeeded = bool(rng.random() < stated - 0.04)
        ratio = math.exp(rng.normal(math.log(1.2), 0.3))
    return {
        "low": low,
        "likely": likely,
        "high": high,
        "p_success": stated,
        "actual_days": half(likely * ratio),
        "succeeded": succeeded,
    }


def history(rng: np.random.Generator, spread: np.random.Generator) -> list[dict]:
    rows = [SPIKE]
    used: set[str] = set()
    for person, role, team, capacity, joined, cutoff in ROSTER:
        day = add_workdays(max(HISTORY_START, joined) + dt.timedelta(days=int(rng.integers(0, 8))), 0)
        templates = TEMPLATES[role]
        for index in rng.permutation(len(templates)):
            slug, project, kind, likely = templates[index]
            task = make_unique(slug, used)
            row = one_task(rng, likely, kind, spread)
            span = math.ceil(row["actual_days"] / capacity)
            finished = add_workdays(day, span - 1)
            if finished >= cutoff:
                break
            used.add(task)
            rows.append(
                {
                    "task": task,
                    "project": project,
                    "kind": kind,
                    "person": person,
                    "team": team,
                    "started": day,
                    "finished": finished,
                    **row,
                }
            )
            # Untracked work (support, reviews, on-call) sits between planned tasks.
            day = add_workdays(finished, 1 + int(rng.integers(2, 9)))
    return sorted(rows, key=lambda r: (r["finished"], r["person"]))


def make_unique(slug: str, used: set[str]) -> str:
    task, n = slug, 2
    while task in used:
        task, n = f"{slug}-{n}", n + 1
    return task


def experiments(rng: np.random.Generator) -> list[dict]:
    # Each log begins when its work began (the graph net so far only had its spike, finished before the plan).
    next_day = {
        "gnn-spike": dt.date(2026, 11, 16),
        "fraud-gbm": dt.date(2026, 12, 7),
        "fraud-seq": dt.date(2026, 12, 14),
    }
    rows = []
    for task, person, tried, outcome, effort in EXPERIMENTS:
        day = next_day[task]
        rows.append(
            {"date": day, "person": person, "task": task, "tried": tried, "outcome": outcome, "effort_days": effort}
        )
        next_day[task] = add_workdays(day, 1 + int(rng.integers(0, 2)))
    return sorted(rows, key=lambda r: (r["date"], r["person"]))


def toml_history(row: dict) -> str:
    estimate = ", ".join(number(row[k]) for k in ("low", "likely", "high"))
    return "\n".join(
        [
            "[[history]]",
            f'task = "{row["task"]}"',
            f'project = "{row["project"]}"',
            f'kind = "{row["kind"]}"',
            f'person = "{row["person"]}"',
            f'team = "{row["team"]}"',
            f"estimate = [{estimate}]",
            f"p_success = {row['p_success']}",
            f"actual_days = {number(row['actual_days'])}",
            f"succeeded = {str(row['succeeded']).lower()}",
            f"started = {row['started'].isoformat()}",
            f"finished = {row['finished'].isoformat()}",
        ]
    )


def toml_experiment(row: dict) -> str:
    return "\n".join(
        [
            "[[experiments]]",
            f"date = {row['date'].isoformat()}",
            f'person = "{row["person"]}"',
            f'task = "{row["task"]}"',
            f'tried = "{row["tried"]}"',
            f'outcome = "{row["outcome"]}"',
            f"effort_days = {number(row['effort_days'])}",
        ]
    )


def main() -> None:
    rng = np.random.default_rng(SEED)
    past = history(rng, np.random.default_rng(SPREAD_SEED))
    log = experiments(rng)
    print(f"\n# ---- generated by tests/engine/make_demo_history.py (seed {SEED}): {len(past)} finished tasks\n")
    print("\n\n".join(toml_history(r) for r in past))
    print(f"\n# ---- the research challenge's experiments log: {len(log)} entries\n")
    print("\n\n".join(toml_experiment(r) for r in log))


if __name__ == "__main__":
    main()
