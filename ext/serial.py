"""Typed wrapper around the serial schedule generation scheme (ext/_serial.pyx).

A `SerialProblem` is one deterministic future of a plan reduced to what a serial scheme needs:
task durations, task-level precedences, per-task demands on pools of interchangeable units, and
each pool's free units over time (step-wise, as units arrive). `forward(order)` is the serial
scheme on an activity list; `justify(order)` is forward-backward improvement (double
justification, Valls, Ballestín and Quintanilla 2005): the forward schedule's tasks are
right-justified in decreasing order of finish, and the list returned is the order of those
right-justified starts, on which `forward` gives a schedule no longer than the first.
`units(start)` names the units each task holds (lowest free index first, like the kernel).
Zero-length work (a milestone) holds no unit here and starts as soon as its predecessors finish.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MODE_LIST = 0  # placed by the scheme, in list order
MODE_PINNED = 1  # work in progress: placed first, at its pinned start
MODE_SKIP = 2  # done work: not placed, finished at 0 for its successors


def _csr(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    idx = np.array([v for x in lists for v in x], dtype=np.int32)
    return ptr, idx


def _profile(pool_arrivals: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Segment start times (from 0) and the free units of each pool from each start on."""
    times = np.unique(np.concatenate([[0.0], *[np.maximum(a, 0.0) for a in pool_arrivals]]))
    free = np.array([[int(np.sum(a <= t)) for a in pool_arrivals] for t in times], dtype=np.int32)
    return times, free.reshape(len(times), len(pool_arrivals))


@dataclass
class SerialProblem:
    """One future of a plan for the serial scheme; see the module docstring.

    `preds[j]` are task indices; `demands[j]` is [(pool, units)]; `pool_units[k]` lists the unit
    indices of pool k and `unit_arrival[u]` when unit u becomes available (0: from the start).
    """

    duration: np.ndarray
    preds: list[list[int]]
    demands: list[list[tuple[int, int]]]
    pool_units: list[list[int]]
    unit_arrival: np.ndarray
    mode: np.ndarray
    pin_start: np.ndarray = field(default_factory=lambda: np.zeros(0))
    schedules: int = 0  # serial passes run so far (forward and backward): what the literature counts

    def __post_init__(self) -> None:
        n = len(self.duration)
        self.duration = np.ascontiguousarray(self.duration, dtype=np.float64)
        self.mode = np.ascontiguousarray(self.mode, dtype=np.uint8)
        if len(self.pin_start) != n:
            self.pin_start = np.zeros(n)
        self.pin_start = np.ascontiguousarray(self.pin_start, dtype=np.float64)
        self._pred = _csr(self.preds)
        succs: list[list[int]] = [[] for _ in range(n)]
        for j, plist in enumerate(self.preds):
            for p in plist:
                succs[p].append(j)
        self._succ = _csr(succs)
        self._dem_ptr, _ = _csr([[0] * len(d) for d in self.demands])
        self._dem_pool = np.array([k for d in self.demands for k, _ in d], dtype=np.int32)
        self._dem_count = np.array([c for d in self.demands for _, c in d], dtype=np.int32)
        self._arrivals = [np.asarray(self.unit_arrival, dtype=np.float64)[u] for u in self.pool_units]
        self._times, self._free = _profile(self._arrivals)
        self.can_justify = not bool(np.any(self.mode == MODE_PINNED))
        self._last: tuple[bytes, np.ndarray, float] | None = None

    @property
    def n_tasks(self) -> int:
        return len(self.duration)

    def _run(self, order, pred, succ, times, free) -> tuple[np.ndarray, np.ndarray, float]:
        from teamcast.ext import _serial

        order = np.ascontiguousarray(order, dtype=np.int32)
        if order.shape != (self.n_tasks,) or not np.array_equal(np.sort(order), np.arange(self.n_tasks)):
            raise ValueError("an activity list must hold every task index once")
        start = np.empty(self.n_tasks)
        placed = np.full(self.n_tasks, -1, dtype=np.int32)
        makespan = _serial.schedule(
            order,
            self.duration,
            pred[0],
            pred[1],
            succ[0],
            succ[1],
            self._dem_ptr,
            self._dem_pool,
            self._dem_count,
            times,
            free,
            self.mode,
            self.pin_start,
            start,
            placed,
        )
        self.schedules += 1
        return start, placed[placed >= 0], float(makespan)

    def forward(self, order) -> tuple[np.ndarray, float]:
        """The serial scheme on `order`: each task's start (NaN: done work) and the makespan."""
        key = np.asarray(order, dtype=np.int32).tobytes()
        if self._last is not None and self._last[0] == key:  # justify's check, then the evaluation
            return self._last[1].copy(), self._last[2]
        start, _, makespan = self._run(order, self._pred, self._succ, self._times, self._free)
        self._last = (key, start.copy(), makespan)
        return start, makespan

    def justify(self, order) -> np.ndarray:
        """Forward-backward improvement of `order`: a list whose forward schedule is no longer.

        The forward schedule's tasks are placed again in reversed time (successors as
        predecessors, decreasing finish first), which right-justifies them against the
        makespan; the returned list orders tasks by those right-justified starts.
        """
        start, makespan = self.forward(order)
        if not self.can_justify or makespan <= 0:
            return by_start(start, order)
        finish = start + self.duration
        placed = self.mode != MODE_SKIP
        back = np.flatnonzero(placed)[np.argsort(-finish[placed], kind="stable")]
        back = np.concatenate([back, np.flatnonzero(~placed)]).astype(np.int32)
        times, free = self._reversed_profile(makespan)
        rstart, _, _ = self._run(back, self._succ, self._pred, times, free)
        mapped = makespan - rstart - self.duration  # the right-justified start in forward time
        justified = by_start(mapped, back)
        # In exact arithmetic the forward pass on `justified` is never longer (each task starts no
        # later than right-justified); floating-point mirroring can break ties, so check.
        if self.forward(justified)[1] <= makespan:
            return justified
        return by_start(start, order)

    def _reversed_profile(self, horizon: float) -> tuple[np.ndarray, np.ndarray]:
        """Free units over reversed time t' = horizon - t: the forward segments mirrored (a forward
        segment [a, b) becomes (horizon - b, horizon - a]), then every unit from the horizon on, so
        that a rounding error in the mirror never leaves a task with nowhere to go."""
        keep = self._times < horizon
        times, free = self._times[keep], self._free[keep]
        rtimes = np.concatenate([[0.0], horizon - times[:0:-1], [horizon]])
        rfree = np.concatenate([free[::-1], self._free[-1:]])
        return np.ascontiguousarray(rtimes), np.ascontiguousarray(rfree, dtype=np.int32)

    def units(self, start: np.ndarray) -> list[list[int]]:
        """The units each placed task holds: in start order, the lowest-index free units of each pool."""
        busy_until = np.zeros(len(self.unit_arrival))
        held: list[list[int]] = [[] for _ in range(self.n_tasks)]
        placed = np.flatnonzero(~np.isnan(start))
        # Zero-length work holds no unit (the scheme places it without any).
        placed = placed[self.duration[placed] > 0]
        for j in placed[np.argsort(start[placed], kind="stable")]:
            t, end = start[j], start[j] + self.duration[j]
            for k, count in self.demands[j]:
                free = [u for u in self.pool_units[k] if self.unit_arrival[u] <= t and busy_until[u] <= t]
                if len(free) < count:
                    raise ValueError(f"task {j}: the serial schedule overbooks pool {k} at {t}")
                for u in free[:count]:
                    busy_until[u] = end
                    held[j].append(u)
        return held


def by_start(start: np.ndarray, order) -> np.ndarray:
    """The tasks by start time (ties: their place in `order`; unplaced tasks last)."""
    order = np.asarray(order)
    key = np.where(np.isnan(start[order]), np.inf, start[order])
    return order[np.argsort(key, kind="stable")].astype(np.int32)


__all__ = ["MODE_LIST", "MODE_PINNED", "MODE_SKIP", "SerialProblem", "by_start"]
