"""The built-in priority rules: `value` (the default), `risk-first`, `lft`, `manual` and `sequential-odds`.

The lecture (Lecture 13, §3) names a task's likelihood of success and its importance as the two
things to weigh when ordering work; how to combine them is teamcast's rule: `value` takes the
product, highest first (most likely, most important work first), `risk-first` takes
(1 - likelihood) x importance, highest first (least likely, most important work first: de-risk
early, so a failure shows while there is still time to re-plan).

Each returns every task index, highest priority first. They read only expectations computed
once per run (expected durations, latest finish times), never a trial's samples: a team
cannot know how long work will take before doing it.
"""

from __future__ import annotations

import numpy as np

from teamcast import hookimpl
from teamcast.plugins.records import PriorityContext, PriorityRule

DEFAULT_RULE = "value"


def _index(ctx: PriorityContext) -> np.ndarray:
    return np.arange(ctx.tasks.height)


def lft_order(ctx: PriorityContext) -> np.ndarray:
    """Ascending latest finish time; ties in plan order."""
    return np.lexsort((_index(ctx), ctx.lft))


def value_order(ctx: PriorityContext) -> np.ndarray:
    """Descending likelihood × importance (teamcast's rule; the two dimensions are Lecture 13, §3's), then
    LFT, then plan order."""
    return np.lexsort((_index(ctx), ctx.lft, -(ctx.p_success * ctx.value)))


def risk_first_order(ctx: PriorityContext) -> np.ndarray:
    """Descending (1 - likelihood) × importance: the riskiest important work first (teamcast's rule),
    then LFT, then plan order. Certain tasks (p = 1) score 0 and follow by latest finish time."""
    return np.lexsort((_index(ctx), ctx.lft, -((1.0 - ctx.p_success) * ctx.value)))


def manual_order(ctx: PriorityContext) -> np.ndarray:
    """Plan order: the order the tasks are written in."""
    return _index(ctx)


def odds_approach_order(ctx: PriorityContext) -> dict[str, np.ndarray]:
    """Approaches of each sequential challenge by descending p / expected duration.

    Trying approaches in that order minimises the expected time to the first success (the
    classic result for sequential search with independent successes); ties keep the listed order.
    """
    with np.errstate(divide="ignore"):
        odds = np.where(ctx.expected > 0, ctx.p_success / np.where(ctx.expected > 0, ctx.expected, 1.0), np.inf)
    chal = ctx.challenges
    challenges = zip(chal["id"].to_list(), chal["strategy"].to_list(), ctx.approaches(), strict=True)
    return {
        challenge: approaches[np.argsort(-odds[approaches], kind="stable")]
        for challenge, strategy, approaches in challenges
        if strategy == "sequential"
    }


RULES = [
    PriorityRule(
        "value",
        order=value_order,
        description="likelihood × importance, highest first, then latest finish time (default; teamcast's rule)",
    ),
    PriorityRule(
        "risk-first",
        order=risk_first_order,
        description="(1 - likelihood) × importance, highest first: de-risk early (teamcast's rule)",
    ),
    PriorityRule("lft", order=lft_order, description="latest finish time first"),
    PriorityRule("manual", order=manual_order, description="the order tasks are written in the plan"),
    PriorityRule(
        "sequential-odds",
        order=value_order,
        approach_order=odds_approach_order,
        description="like value, and tries sequential approaches by success odds per day",
    ),
]


@hookimpl
def register_priority_rules(register):
    for rule in RULES:
        register(rule)
