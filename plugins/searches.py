"""The built-in searches of `teamcast optimise`: regret-biased random sampling, then a local search.

`rbrs` is the textbook multi-pass method for resource-constrained scheduling (Drexl 1991;
Kolisch 1996): each pass builds a priority list task by task, choosing among the tasks whose
predecessors are already listed with probability proportional to (regret + 1)^alpha, where a
task's regret is how much better its priority is than the worst eligible one. The passes
alternate between the priorities the context offers (the default rule's first, then latest
finish times), so they scatter around the default order. `local` then tries moves of the best
order (adjacent swaps, insertions of one task earlier or later, swaps of two approaches of a
searched challenge) and keeps a move that scores at least as well.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace
from itertools import accumulate

import numpy as np

from teamcast import hookimpl
from teamcast.plugins.records import Candidate, Search, SearchContext

ALPHA = 1.0  # Kolisch's choice for regret-biased sampling
POPULATION = 40  # Hartmann's population size for 1,000 schedules
MUTATION = 0.05  # per position: swap with the next


def sample_order(priority: np.ndarray, preds: list[list[int]], rng: np.random.Generator, alpha: float) -> np.ndarray:
    """One regret-biased list: eligible tasks (all predecessors listed) drawn by (regret + 1)^alpha."""
    n = len(priority)
    waiting = [len(p) for p in preds]
    succs: list[list[int]] = [[] for _ in range(n)]
    for t, plist in enumerate(preds):
        for p in plist:
            succs[p].append(t)
    eligible = [t for t in range(n) if waiting[t] == 0]
    prio = priority.tolist()
    order: list[int] = []
    draws = rng.random(n)
    for k in range(n):
        if not eligible:  # a cycle cannot happen in a validated plan; list the rest as they come
            eligible = [t for t in range(n) if t not in set(order)]
        values = [prio[t] for t in eligible]
        shift = 1.0 - min(values)
        if alpha == 1.0:
            weights = [v + shift for v in values]
        else:
            weights = [(v + shift) ** alpha for v in values]
        # Running sums, added left to right as the draw has always been made.
        cumulative = list(accumulate(weights))
        chosen = min(bisect_right(cumulative, draws[k] * cumulative[-1]), len(eligible) - 1)
        t = eligible.pop(chosen)
        order.append(t)
        for s in succs[t]:
            waiting[s] -= 1
            if waiting[s] == 0:
                eligible.append(s)
    return np.array(order, dtype=np.int32)


def rbrs(ctx: SearchContext) -> None:
    """Multi-pass regret-biased random sampling around the context's priorities."""
    best = ctx.best()
    k = 0
    while not ctx.stopped():
        priority = ctx.priorities[k % len(ctx.priorities)]
        order = sample_order(priority, ctx.preds, ctx.rng, ALPHA)
        if ctx.justify is not None:
            order = ctx.justify(order)
        approaches = dict(best.approaches)
        if ctx.challenges and ctx.rng.random() < 0.5:
            c = list(ctx.challenges)[int(ctx.rng.integers(len(ctx.challenges)))]
            approaches[c] = tuple(int(a) for a in ctx.rng.permutation(np.array(ctx.challenges[c])))
        hires, strategies = best.hires, dict(best.strategies)
        if ctx.hires and ctx.rng.random() < 0.5:
            hires = tuple(int(h) for h in ctx.rng.permutation(np.array(ctx.hires)))
        if ctx.strategies and ctx.rng.random() < 0.5:
            c = ctx.strategies[int(ctx.rng.integers(len(ctx.strategies)))]
            strategies[c] = int(ctx.rng.integers(2))
        ctx.evaluate(Candidate(order, approaches, hires, strategies))
        k += 1


def neighbour(
    current: Candidate,
    challenges: dict[int, tuple[int, ...]],
    rng: np.random.Generator,
    hires: tuple[int, ...] = (),
    strategies: tuple[int, ...] = (),
) -> Candidate:
    """One random move: a swap of two hires or a strategy flip (when searched), an approach swap
    (when challenges are searched), an adjacent swap, or an insertion."""
    n = len(current.order)
    if hires and rng.random() < 0.15:
        filled = list(current.hires or hires)
        i, j = rng.choice(len(filled), 2, replace=False)
        filled[i], filled[j] = filled[j], filled[i]
        return replace(current, hires=tuple(filled))
    if strategies and rng.random() < 0.15:
        c = strategies[int(rng.integers(len(strategies)))]
        # Flip a strategy already set; one still as planned gets either (the plan's is not known here).
        new = 1 - current.strategies[c] if c in current.strategies else int(rng.integers(2))
        return replace(current, strategies={**current.strategies, c: new})
    searchable = [c for c, members in challenges.items() if len(members) > 1]
    if searchable and rng.random() < 0.2:
        c = searchable[int(rng.integers(len(searchable)))]
        members = list(current.approaches.get(c, challenges[c]))
        i, j = rng.choice(len(members), 2, replace=False)
        members[i], members[j] = members[j], members[i]
        return replace(current, approaches={**current.approaches, c: tuple(members)})
    order = current.order.copy()
    if n < 2:
        return replace(current, order=order)
    if rng.random() < 0.3:
        i = int(rng.integers(n - 1))
        order[i], order[i + 1] = order[i + 1], order[i]
    else:
        i = int(rng.integers(n))
        # Short moves matter most in a priority list; now and then a long one.
        span = max(1, min(n - 1, int(rng.geometric(0.15))))
        j = int(np.clip(i + (span if rng.random() < 0.5 else -span), 0, n - 1))
        task = order[i]
        order = np.insert(np.delete(order, i), j, task)
    return replace(current, order=order)


def local(ctx: SearchContext) -> None:
    """Hill climbing from the best order so far; moves that score as well are kept (plateaus are common)."""
    current = ctx.best()
    score = ctx.best_score()
    while not ctx.stopped():
        candidate = neighbour(current, ctx.challenges, ctx.rng, ctx.hires, ctx.strategies)
        if ctx.justify is not None:
            candidate = replace(candidate, order=ctx.justify(candidate.order))
        s = ctx.evaluate(candidate)
        if s >= score:
            current, score = candidate, s


def crossover(mother: np.ndarray, father: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Hartmann's two-point crossover of activity lists: the mother's head, then the father's
    relative order for the middle, then the mother's for the rest."""
    n = len(mother)
    q1, q2 = sorted(int(q) for q in rng.integers(0, n + 1, 2))
    taken = np.zeros(n, dtype=bool)
    child = list(mother[:q1])
    taken[mother[:q1]] = True
    for source, count in ((father, q2 - q1), (mother, n - q2)):
        for t in source:
            if count == 0:
                break
            if not taken[t]:
                child.append(int(t))
                taken[t] = True
                count -= 1
    return np.array(child, dtype=np.int32)


def genetic(ctx: SearchContext) -> None:
    """Hartmann's (1998) genetic algorithm on priority lists: a population seeded by regret-biased
    sampling and the best so far, two-point crossover, adjacent-swap mutation, the fittest survive."""
    size = max(2, min(POPULATION, ctx.budget // 4))
    best = ctx.best()
    population = [(ctx.best_score(), best.order)]
    k = 0
    while len(population) < size and not ctx.stopped():
        order = sample_order(ctx.priorities[k % len(ctx.priorities)], ctx.preds, ctx.rng, ALPHA)
        population.append((ctx.evaluate(replace(best, order=order)), order))
        k += 1
    while not ctx.stopped():
        ctx.rng.shuffle(population)
        children = []
        for i in range(0, len(population) - 1, 2):
            mother, father = population[i][1], population[i + 1][1]
            for a, b in ((mother, father), (father, mother)):
                if ctx.stopped():
                    break
                child = crossover(a, b, ctx.rng)
                for j in np.flatnonzero(ctx.rng.random(len(child) - 1) < MUTATION):
                    child[j], child[j + 1] = child[j + 1], child[j]
                if ctx.justify is not None:
                    child = ctx.justify(child)
                children.append((ctx.evaluate(replace(ctx.best(), order=child)), child))
        population = sorted(population + children, key=lambda sc: -sc[0])[:size]


SEARCHES = [
    Search("rbrs", run=rbrs, description="multi-pass regret-biased random sampling around the default priorities"),
    Search("ga", run=genetic, description="genetic algorithm on priority lists (Hartmann 1998)"),
    Search("local", run=local, description="swaps and insertions of the best order so far, kept when as good"),
]


@hookimpl
def register_searches(register):
    for search in SEARCHES:
        register(search)
