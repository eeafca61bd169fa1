"""The compiled serial scheme (teamcast.ext.serial) against a pure-Python serial SGS on small random
instances: the same starts, feasible schedules, forward-backward improvement never longer, units
never double-booked, and a schedule's start order reproducing it."""

from __future__ import annotations

import numpy as np
import pytest

from teamcast.ext.serial import MODE_LIST, MODE_PINNED, MODE_SKIP, SerialProblem, by_start


def random_problem(rng: np.random.Generator, *, pinned: bool = False) -> SerialProblem:
    n = int(rng.integers(2, 13))
    k = int(rng.integers(1, 4))
    pool_units, arrival = [], []
    for _ in range(k):
        size = int(rng.integers(1, 4))
        pool_units.append(list(range(len(arrival), len(arrival) + size)))
        # Most units there from the start; some arrive later (hires), some at the same day.
        arrival += [0.0 if rng.random() < 0.7 else float(rng.choice([2.0, 3.5, 5.0])) for _ in range(size)]
    integer = rng.random() < 0.5
    duration = rng.integers(0, 6, n).astype(float) if integer else np.round(rng.random(n) * 5, 2)
    preds = [sorted({int(p) for p in rng.integers(0, j, int(rng.integers(0, 3)))}) if j else [] for j in range(n)]
    demands = []
    for _ in range(n):
        d = [(int(q), int(rng.integers(1, len(pool_units[q]) + 1))) for q in range(k) if rng.random() < 0.6]
        demands.append(d)
    mode = np.full(n, MODE_LIST)
    mode[rng.random(n) < 0.15] = MODE_SKIP
    if pinned:
        # Work in progress: a task with no predecessors that fits at day 0 in its pool.
        j = int(np.flatnonzero([not p for p in preds])[0])
        mode[j] = MODE_PINNED
        demands[j] = [(q, 1) for q, _ in demands[j] if arrival[pool_units[q][0]] == 0.0]
    return SerialProblem(duration, preds, demands, pool_units, np.array(arrival), mode)


def oracle(problem: SerialProblem, order) -> np.ndarray:
    """Serial SGS written plainly: candidate start times are the earliest start, placed finishes and arrivals."""
    n = problem.n_tasks
    d = problem.duration
    arrivals = [problem.unit_arrival[u] for u in problem.pool_units]
    start = np.full(n, np.nan)
    placed: list[int] = []

    def cap(q: int, t: float) -> int:
        return int(np.sum(arrivals[q] <= t))

    def usage(q: int, t: float) -> int:
        return sum(c for i in placed for pq, c in problem.demands[i] if pq == q and start[i] <= t < start[i] + d[i])

    def fits(j: int, t: float) -> bool:
        if d[j] <= 0:
            return True  # zero-length work holds nothing
        points = {t} | {start[i] for i in placed if t < start[i] < t + d[j]}
        points |= {a for q in range(len(arrivals)) for a in arrivals[q] if t < a < t + d[j]}
        return all(usage(q, p) + c <= cap(q, p) for p in points for q, c in problem.demands[j])

    for j in range(n):
        if problem.mode[j] == MODE_PINNED:
            start[j] = problem.pin_start[j]
            placed.append(j)
    done = {j for j in range(n) if problem.mode[j] != MODE_LIST}
    while len(done) < n:
        j = next(int(t) for t in order if t not in done and all(p in done for p in problem.preds[t]))
        es = max([start[p] + d[p] for p in problem.preds[j] if problem.mode[p] != MODE_SKIP], default=0.0)
        times = {es} | {start[i] + d[i] for i in placed} | {a for q in arrivals for a in q}
        start[j] = next(t for t in sorted(times) if t >= es and fits(j, t))
        placed.append(j)
        done.add(j)
    return start


def feasible(problem: SerialProblem, start: np.ndarray) -> bool:
    d = problem.duration
    for j in range(problem.n_tasks):
        if problem.mode[j] == MODE_SKIP:
            if not np.isnan(start[j]):
                return False
            continue
        if any(start[j] < start[p] + d[p] for p in problem.preds[j] if problem.mode[p] != MODE_SKIP):
            return False
    for q, units in enumerate(problem.pool_units):
        arr = problem.unit_arrival[units]
        for t in {s for s in start if not np.isnan(s)}:
            used = sum(
                c
                for j in range(problem.n_tasks)
                for pq, c in problem.demands[j]
                if pq == q and start[j] <= t < start[j] + d[j]
            )
            if used > np.sum(arr <= t):
                return False
    return True


@pytest.mark.parametrize("pinned", [False, True])
def test_serial_scheme_matches_the_python_oracle_and_is_feasible(pinned):
    rng = np.random.default_rng(7 + pinned)
    for _ in range(150):
        problem = random_problem(rng, pinned=pinned)
        order = rng.permutation(problem.n_tasks)  # not precedence-feasible: the scheme repairs it
        start, makespan = problem.forward(order)
        expected = oracle(problem, order)
        np.testing.assert_array_equal(start, expected)
        assert feasible(problem, start)
        placed = ~np.isnan(start)
        assert makespan == (float(np.max(start[placed] + problem.duration[placed])) if placed.any() else 0.0)
        held = problem.units(start)
        for j in range(problem.n_tasks):
            wanted = sorted(q for q, c in problem.demands[j] for _ in range(c)) if problem.duration[j] > 0 else []
            got = sorted(q for u in held[j] for q, us in enumerate(problem.pool_units) if u in us)
            assert got == wanted or not placed[j]
        for u in range(len(problem.unit_arrival)):
            spans = sorted((start[j], start[j] + problem.duration[j]) for j in range(problem.n_tasks) if u in held[j])
            assert all(s >= problem.unit_arrival[u] for s, _ in spans)
            assert all(a[1] <= b[0] for a, b in zip(spans[:-1], spans[1:], strict=True))  # never two tasks at once


def test_start_order_reproduces_the_schedule_and_justification_never_lengthens_it():
    rng = np.random.default_rng(11)
    shorter = 0
    for _ in range(200):
        problem = random_problem(rng)
        order = rng.permutation(problem.n_tasks)
        start, makespan = problem.forward(order)
        again, _ = problem.forward(by_start(start, order))
        np.testing.assert_array_equal(again, start)
        justified = problem.justify(order)
        assert sorted(justified.tolist()) == list(range(problem.n_tasks))
        better, improved = problem.forward(justified)
        assert feasible(problem, better)
        assert improved <= makespan
        shorter += improved < makespan
    assert shorter > 0  # justification does shorten some schedules


def test_a_task_larger_than_its_pool_is_an_error():
    problem = SerialProblem(np.array([1.0]), [[]], [[(0, 3)]], [[0, 1]], np.zeros(2), np.array([MODE_LIST]))
    with pytest.raises(ValueError, match="more units"):
        problem.forward([0])
