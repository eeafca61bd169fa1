"""An independent RCPSP feasibility checker for PSPLIB `.sm` instances, written from the problem's definition.

It reads the raw file with its own few lines of parsing (never teamcast's importer) so that a bug in
the importer, the compile step or the dispatch cannot hide itself by agreeing with itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

EPS = 1e-9


@dataclass(frozen=True)
class Instance:
    """The raw RCPSP: jobs 1..n, each with a duration, a demand per resource and successor jobs."""

    name: str
    durations: dict[int, int]
    demands: dict[int, list[int]]
    successors: dict[int, list[int]]
    capacities: list[int]


def read_instance(path: str | Path) -> Instance:
    path = Path(path)
    blocks = _blocks(path.read_text())
    durations, demands, successors = {}, {}, {}
    for row in _number_rows(blocks["PRECEDENCE RELATIONS:"]):
        successors[row[0]] = row[3:]
    for row in _number_rows(blocks["REQUESTS/DURATIONS:"]):
        durations[row[0]] = row[2]
        demands[row[0]] = row[3:]
    (capacities,) = _number_rows(blocks["RESOURCEAVAILABILITIES:"])
    return Instance(path.stem, durations, demands, successors, capacities)


def check_schedule(
    instance: Instance, starts: dict[str, float], durations: dict[str, float] | None = None
) -> list[str]:
    """Every violation of the schedule `starts` (task id "j<n>" -> start); an empty list when feasible.

    `durations` (same ids) are the durations the schedule used; they must equal the instance's.
    """
    violations: list[str] = []
    jobs = sorted(instance.durations)
    missing = [f"j{j}" for j in jobs if f"j{j}" not in starts]
    if missing:
        return [f"no start for {', '.join(missing)}"]
    start = {j: float(starts[f"j{j}"]) for j in jobs}
    finish = {j: start[j] + instance.durations[j] for j in jobs}
    for j in jobs:
        if start[j] < -EPS:
            violations.append(f"j{j} starts before time 0 (at {start[j]})")
        if durations is not None and abs(durations[f"j{j}"] - instance.durations[j]) > EPS:
            violations.append(f"j{j} lasts {durations[f'j{j}']}, the instance says {instance.durations[j]}")
        for s in instance.successors[j]:
            if start[s] < finish[j] - EPS:
                violations.append(f"j{s} starts at {start[s]} before its predecessor j{j} finishes at {finish[j]}")
    violations.extend(_capacity_violations(instance, start, finish))
    return violations


def makespan(instance: Instance, starts: dict[str, float]) -> float:
    return max(float(starts[f"j{j}"]) + d for j, d in instance.durations.items())


def _capacity_violations(instance: Instance, start: dict[int, float], finish: dict[int, float]) -> list[str]:
    # Usage only rises when a job starts, so checking the instant of every start checks every period.
    violations = []
    for t in sorted(set(start.values())):
        running = [j for j in start if start[j] <= t + EPS and finish[j] > t + EPS]
        for k, capacity in enumerate(instance.capacities):
            used = sum(instance.demands[j][k] for j in running)
            if used > capacity:
                violations.append(f"R{k + 1} used {used} > capacity {capacity} at t={t} by {sorted(running)}")
    return violations


def _blocks(text: str) -> dict[str, list[str]]:
    """The file's star-separated blocks, keyed by their first line."""
    blocks: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith("***"):
            if current:
                blocks[current[0].strip()] = current[1:]
            current = []
        else:
            current.append(line)
    return blocks


def _number_rows(lines: list[str]) -> list[list[int]]:
    return [[int(x) for x in line.split()] for line in lines if line.split() and line.split()[0].isdigit()]


def j30_dir() -> Path | None:
    """Where the PSPLIB J30 copies live: $TEAMCAST_PSPLIB_DIR, else shared/data/psplib beside or inside the repo."""
    root = Path(__file__).resolve().parents[2]
    candidates = [root / "shared" / "data" / "psplib", root.parent / "shared" / "data" / "psplib"]
    if os.environ.get("TEAMCAST_PSPLIB_DIR"):
        candidates.insert(0, Path(os.environ["TEAMCAST_PSPLIB_DIR"]))
    for base in candidates:
        if (base / "j30" / "j30opt.sm").is_file():
            return base / "j30"
    return None


def check_units(instance: Instance, starts: dict[str, float], who: dict[str, list[str]]) -> list[str]:
    """Violations of unit-level assignment: each job holds as many units as its total demand, and no
    unit is held by two jobs at once."""
    violations = []
    held: dict[str, list[tuple[float, float, int]]] = {}
    for j, duration in instance.durations.items():
        units = who[f"j{j}"]
        if len(units) != sum(instance.demands[j]) or len(set(units)) != len(units):
            violations.append(f"j{j} holds {sorted(units)}, it needs {sum(instance.demands[j])} distinct units")
        if duration:
            for unit in units:
                held.setdefault(unit, []).append((float(starts[f"j{j}"]), float(starts[f"j{j}"]) + duration, j))
    for unit, intervals in held.items():
        intervals.sort()
        for (_, end, a), (begin, _, b) in zip(intervals, intervals[1:], strict=False):
            if begin < end - EPS:
                violations.append(f"unit {unit} is held by j{a} and j{b} at once (t={begin})")
    return violations
