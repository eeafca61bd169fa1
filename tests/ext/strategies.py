"""Builders and hypothesis strategies for kernel inputs: hand-written plans and random valid small ones.

`make_input` turns a readable description (tasks, pools of units, challenges) into the arrays of
docs/simulation.md; `kernel_cases()` draws random valid plans with sampled trials, biased
towards ties (simultaneous completions and arrivals), which is where implementations disagree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

from teamcast.ext.kernel import (
    FIXED_DOING,
    FIXED_DONE,
    FIXED_FAILED,
    FIXED_TODO,
    STRATEGY_PARALLEL,
    STRATEGY_SEQUENTIAL,
    KernelInput,
)

Node = int | str  # a task index, or "c<k>" for challenge k


@dataclass(frozen=True)
class Task:
    project: int = 0
    after: Sequence[Node] = ()
    needs: Sequence[tuple[int, int]] = ()  # (pool, units)
    unit: int = -1  # named unit (assignee)
    fixed: int = FIXED_TODO
    fixed_start: float = math.nan
    fixed_finish: float = math.nan


@dataclass(frozen=True)
class Unit:
    capacity: float = 1.0
    ramp_days: float = 0.0
    ramp_prod: float = 1.0


@dataclass(frozen=True)
class Challenge:
    approaches: Sequence[int]
    strategy: int = STRATEGY_PARALLEL
    project: int | None = None  # default: the project of the first approach


def make_input(
    tasks: Sequence[Task],
    pools: Sequence[Sequence[Unit]] = (),
    challenges: Sequence[Challenge] = (),
    *,
    n_projects: int | None = None,
    prio_order: Sequence[int] | None = None,
) -> KernelInput:
    """The KernelInput of a plan described task by task; units are numbered pool after pool."""
    n_tasks = len(tasks)

    def node(ref: Node) -> int:
        return n_tasks + int(ref[1:]) if isinstance(ref, str) else ref

    preds = [[node(ref) for ref in task.after] for task in tasks]
    succs: list[list[int]] = [[] for _ in range(n_tasks + len(challenges))]
    for i, task_preds in enumerate(preds):
        for p in task_preds:
            succs[p].append(i)

    task_challenge = [-1] * n_tasks
    task_approach_pos = [-1] * n_tasks
    for c, challenge in enumerate(challenges):
        for pos, a in enumerate(challenge.approaches):
            task_challenge[a] = c
            task_approach_pos[a] = pos

    units = [unit for pool in pools for unit in pool]
    unit_pool = [k for k, pool in enumerate(pools) for _ in pool]
    task_project = [task.project for task in tasks]
    return KernelInput(
        n_projects=n_projects if n_projects is not None else max(task_project, default=-1) + 1,
        pred_ptr=_ptr(preds),
        pred_idx=_flat(preds),
        succ_ptr=_ptr(succs),
        succ_idx=_flat(succs),
        task_project=task_project,
        task_challenge=task_challenge,
        task_approach_pos=task_approach_pos,
        chal_ptr=_ptr([c.approaches for c in challenges]),
        chal_tasks=_flat([c.approaches for c in challenges]),
        chal_strategy=[c.strategy for c in challenges],
        chal_project=[c.project if c.project is not None else tasks[c.approaches[0]].project for c in challenges],
        dem_ptr=_ptr([task.needs for task in tasks]),
        dem_pool=[pool for task in tasks for pool, _ in task.needs],
        dem_count=[count for task in tasks for _, count in task.needs],
        task_unit=[task.unit for task in tasks],
        pool_ptr=_ptr(pools),
        pool_units=list(range(len(units))),
        unit_pool=unit_pool,
        unit_capacity=[u.capacity for u in units],
        unit_ramp_days=[u.ramp_days for u in units],
        unit_ramp_prod=[u.ramp_prod for u in units],
        task_fixed=[task.fixed for task in tasks],
        fixed_start=[task.fixed_start for task in tasks],
        fixed_finish=[task.fixed_finish for task in tasks],
        prio_order=list(prio_order) if prio_order is not None else list(range(n_tasks)),
    )


def _ptr(rows: Sequence[Sequence]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum([len(r) for r in rows], dtype=np.int64)])


def _flat(rows: Sequence[Sequence[int]]) -> np.ndarray:
    return np.array([x for r in rows for x in r], dtype=np.int32)


# -- random cases ----------------------------------------------------------------------------

# Small sets with repeats and zero, so that completions and arrivals coincide often.
EFFORTS = (0.0, 0.5, 1.0, 1.0, 1.5, 2.0, 2.0, 3.0, 0.7)
CAPACITIES = (0.5, 0.75, 1.0)
HIRE_ARRIVALS = (0.5, 1.0, 2.0, 3.0)
RAMP_DAYS = (0.5, 1.0, 2.5)
RAMP_PRODS = (0.25, 0.5, 0.75)
FIXED_FINISHES = (-2.0, -1.0, -0.5, 0.0)
FIXED_LENGTHS = (0.0, 1.0, 3.0)
# Weighted by repetition: mostly work still to do.
STATUSES = ("todo",) * 6 + ("done", "done", "failed", "doing", "doing")


@dataclass(frozen=True)
class Case:
    """A KernelInput and one chunk of sampled trials; its repr is a readable table."""

    inp: KernelInput
    effort: np.ndarray
    success: np.ndarray
    arrival: np.ndarray
    hires: tuple[int, ...] = field(default=())

    def __repr__(self) -> str:
        return describe(self)


@dataclass
class _Pools:
    units: list[list[Unit]]
    hires: set[int]  # unit indices

    def pool_of(self, unit: int) -> int:
        for k, pool in enumerate(self.units):
            unit -= len(pool)
            if unit < 0:
                return k
        raise IndexError(unit)

    @property
    def n_units(self) -> int:
        return sum(len(p) for p in self.units)


@st.composite
def _pools(draw) -> _Pools:
    """1-3 pools of 1-3 units; pool 0 is a role pool (people, then hires), others may be anonymous."""
    units: list[list[Unit]] = []
    hires: set[int] = set()
    for k in range(draw(st.integers(1, 3))):
        size = draw(st.integers(1, 3))
        first = sum(len(p) for p in units)
        if k > 0 and draw(st.booleans()):
            units.append([Unit()] * size)
            continue
        n_hires = draw(st.integers(0, size))
        pool = [Unit(capacity=draw(st.sampled_from(CAPACITIES))) for _ in range(size - n_hires)]
        for _ in range(n_hires):
            hires.add(first + len(pool))
            pool.append(
                Unit(
                    capacity=draw(st.sampled_from(CAPACITIES)),
                    ramp_days=draw(st.sampled_from(RAMP_DAYS)),
                    ramp_prod=draw(st.sampled_from(RAMP_PRODS)),
                )
            )
        units.append(pool)
    return _Pools(units, hires)


@st.composite
def _challenges(draw, task_project: list[int], position: list[int]) -> list[Challenge]:
    """0-2 challenges of 2-3 approaches from one project each, no task in two challenges."""
    used: set[int] = set()
    challenges = []
    for _ in range(draw(st.sampled_from((0, 1, 1, 2, 2)))):
        free = {}
        for i, p in enumerate(task_project):
            if i not in used:
                free.setdefault(p, []).append(i)
        projects = [p for p, tasks in free.items() if len(tasks) >= 2]
        if not projects:
            break
        project = draw(st.sampled_from(projects))
        approaches = draw(st.lists(st.sampled_from(free[project]), min_size=2, max_size=3, unique=True))
        strategy = draw(st.sampled_from((STRATEGY_PARALLEL, STRATEGY_SEQUENTIAL)))
        if strategy == STRATEGY_SEQUENTIAL:
            # Listed in dependency order, so "the previous approach failed" never waits on a later one.
            approaches.sort(key=lambda a: position[a])
        used.update(approaches)
        challenges.append(Challenge(tuple(approaches), strategy, project))
    return challenges


@st.composite
def _resources(draw, pools: _Pools) -> tuple[int, tuple[tuple[int, int], ...]]:
    """A named unit (or -1) and (pool, count) demands that together never exceed a pool."""
    unit = draw(st.integers(0, pools.n_units - 1)) if draw(st.integers(0, 2)) == 0 else -1
    needs = []
    chosen = draw(st.lists(st.integers(0, len(pools.units) - 1), max_size=2, unique=True))
    for k in chosen:
        room = len(pools.units[k]) - (1 if unit >= 0 and pools.pool_of(unit) == k else 0)
        if room > 0:
            needs.append((k, draw(st.integers(1, room))))
    return unit, tuple(needs)


@st.composite
def kernel_cases(draw, max_tasks: int = 12, max_trials: int = 3, units: bool = True, challenges: bool = True) -> Case:
    """A random valid plan of 1-`max_tasks` tasks over 1-3 projects and 1-`max_trials` trials.

    With `units=False` no task holds a unit (work in progress included) and with
    `challenges=False` there are none: the plans the kernel schedules in one forward pass.
    """
    n_tasks = draw(st.integers(1, max_tasks))
    n_projects = draw(st.integers(1, 3))
    task_project = sorted(draw(st.lists(st.integers(0, n_projects - 1), min_size=n_tasks, max_size=n_tasks)))
    topo = draw(st.permutations(range(n_tasks)))
    position = [0] * n_tasks
    for k, task in enumerate(topo):
        position[task] = k
    challenges = draw(_challenges(task_project, position)) if challenges else []
    challenge_of = {a: c for c, ch in enumerate(challenges) for a in ch.approaches}
    # A challenge node sits just after its last approach in the topological order.
    chal_position = [max(position[a] for a in ch.approaches) + 0.5 for ch in challenges]
    pools = draw(_pools())

    after: list[list[Node]] = [[] for _ in range(n_tasks)]
    for task in topo:
        own = challenge_of.get(task)
        candidates: list[Node] = [
            p for p in range(n_tasks) if position[p] < position[task] and (own is None or challenge_of.get(p) != own)
        ]
        candidates += [f"c{c}" for c in range(len(challenges)) if chal_position[c] < position[task] and c != own]
        if candidates:
            # Approaches get fewer predecessors, so that they often run side by side.
            most = 1 if own is not None else 3
            after[task] = draw(st.lists(st.sampled_from(candidates), max_size=most, unique=True))

    resources = [draw(_resources(pools)) if units else (-1, ()) for _ in range(n_tasks)]
    statuses = _draw_statuses(draw, topo, after, challenges, challenge_of, pools)

    tasks = []
    for i in range(n_tasks):
        unit, needs = resources[i]
        status = statuses[i]
        fixed_start = fixed_finish = math.nan
        if status in ("done", "failed"):
            fixed_finish = draw(st.sampled_from(FIXED_FINISHES))
            fixed_start = fixed_finish - draw(st.sampled_from(FIXED_LENGTHS))
        elif isinstance(status, int):  # doing, on its own unit
            unit, needs = (status if units else -1), ()
            status = "doing"
        tasks.append(
            Task(
                project=task_project[i],
                after=tuple(after[i]),
                needs=needs,
                unit=unit,
                fixed={
                    "todo": FIXED_TODO,
                    "doing": FIXED_DOING,
                    "done": FIXED_DONE,
                    "failed": FIXED_FAILED,
                }[status],
                fixed_start=fixed_start,
                fixed_finish=fixed_finish,
            )
        )
    inp = make_input(
        tasks,
        pools.units,
        challenges,
        n_projects=n_projects,
        prio_order=draw(st.permutations(range(n_tasks))),
    )

    n_trials = draw(st.integers(1, max_trials))
    effort = draw(st.lists(st.sampled_from(EFFORTS), min_size=n_trials * n_tasks, max_size=n_trials * n_tasks))
    # P(success) = 0.7.
    success = draw(st.lists(st.integers(0, 9), min_size=n_trials * n_tasks, max_size=n_trials * n_tasks))
    arrival = [
        [draw(st.sampled_from(HIRE_ARRIVALS)) if u in pools.hires else 0.0 for u in range(pools.n_units)]
        for _ in range(n_trials)
    ]
    return Case(
        inp,
        _read_only(np.array(effort, dtype=np.float64).reshape(n_trials, n_tasks)),
        _read_only((np.array(success).reshape(n_trials, n_tasks) < 7).astype(np.uint8)),
        _read_only(np.array(arrival, dtype=np.float64).reshape(n_trials, pools.n_units)),
        tuple(sorted(pools.hires)),
    )


def _draw_statuses(draw, topo, after, challenges, challenge_of, pools: _Pools) -> list:
    """Status per task: "todo", "done", "failed", or the unit index a "doing" task holds.

    Fixed and in-progress tasks only follow done tasks (never a challenge), so work in
    progress can start at day 0 and no fixed task follows a failure. Inside a challenge:
    a sequential one has failed approaches first, then at most one done or doing; a parallel
    one never mixes a done approach (the challenge is already won) with one in progress.
    """
    statuses: list = ["todo"] * len(topo)
    free_people = [u for u in range(pools.n_units) if u not in pools.hires]
    for task in topo:
        preds_done = all(isinstance(p, int) and statuses[p] == "done" for p in after[task])
        if not preds_done:
            continue
        status = draw(st.sampled_from(STATUSES))
        c = challenge_of.get(task)
        if c is not None:
            others = [statuses[a] for a in challenges[c].approaches if a != task]
            if challenges[c].strategy == STRATEGY_SEQUENTIAL:
                pos = challenges[c].approaches.index(task)
                earlier = [statuses[a] for a in challenges[c].approaches[:pos]]
                if any(s != "failed" for s in earlier):
                    status = "todo"
            elif status == "done" and any(isinstance(s, int) for s in others):
                status = "todo"
            elif status == "doing" and "done" in others:
                status = "todo"
        if status == "doing":
            if not free_people:
                continue
            status = draw(st.sampled_from(free_people))
            free_people.remove(status)
        statuses[task] = status
    return statuses


def _read_only(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


# -- readable failures -----------------------------------------------------------------------

_FIXED_NAMES = {FIXED_TODO: "todo", FIXED_DOING: "doing", FIXED_DONE: "done", FIXED_FAILED: "failed"}


def _rows(ptr: np.ndarray, idx: np.ndarray, k: int) -> list[int]:
    return idx[ptr[k] : ptr[k + 1]].tolist()


def describe(case: Case) -> str:
    """The case as a table a person can read (and rebuild with make_input)."""
    inp = case.inp
    n = inp.n_tasks

    def node_name(p: int) -> str:
        return f"t{p}" if p < n else f"c{p - n}"

    lines = [
        f"Case: {n} tasks, {inp.n_projects} projects, {inp.n_challenges} challenges, "
        f"{inp.n_pools} pools, {inp.n_units} units, {case.effort.shape[0]} trials",
        f"priority order: {' '.join(f't{i}' for i in inp.prio_order.tolist())}",
        "tasks:",
    ]
    for i in range(n):
        after = ", ".join(node_name(p) for p in _rows(inp.pred_ptr, inp.pred_idx, i))
        needs = ", ".join(
            f"k{k}x{c}"
            for k, c in zip(_rows(inp.dem_ptr, inp.dem_pool, i), _rows(inp.dem_ptr, inp.dem_count, i), strict=False)
        )
        unit = inp.task_unit[i]
        text = (
            f"  t{i:<2} p{inp.task_project[i]} {_FIXED_NAMES[int(inp.task_fixed[i])]:<6}"
            f" after=[{after}] unit={f'u{unit}' if unit >= 0 else '-'} needs=[{needs}]"
        )
        if inp.task_challenge[i] >= 0:
            text += f" approach c{inp.task_challenge[i]}#{inp.task_approach_pos[i]}"
        if inp.task_fixed[i] in (FIXED_DONE, FIXED_FAILED):
            text += f" fixed {inp.fixed_start[i]:g}..{inp.fixed_finish[i]:g}"
        lines.append(text)
    if inp.n_challenges:
        lines.append("challenges:")
        for c in range(inp.n_challenges):
            strategy = "parallel" if inp.chal_strategy[c] == STRATEGY_PARALLEL else "sequential"
            approaches = ", ".join(f"t{a}" for a in _rows(inp.chal_ptr, inp.chal_tasks, c))
            lines.append(f"  c{c} p{inp.chal_project[c]} {strategy} [{approaches}]")
    lines.append("units:")
    for u in range(inp.n_units):
        kind = "hire" if u in case.hires else "unit"
        lines.append(
            f"  u{u} k{inp.unit_pool[u]} {kind} capacity={inp.unit_capacity[u]:g}"
            f" ramp={inp.unit_ramp_days[u]:g}d@{inp.unit_ramp_prod[u]:g}"
        )
    for trial in range(case.effort.shape[0]):
        lines.append(
            f"trial {trial}: effort={case.effort[trial].tolist()}"
            f" success={case.success[trial].tolist()} arrival={case.arrival[trial].tolist()}"
        )
    return "\n".join(lines)
