"""Compile a validated plan into the contiguous arrays the kernel runs on (docs/simulation.md).

This is the Python boundary of the simulation: defaults are applied, ids become indices,
and everything is cast once; the kernel then assumes valid input.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import numpy as np
import polars as pl

from teamcast.engine.forecast.frames import normalise_tasks
from teamcast.engine.plan.calendar import Calendar
from teamcast.engine.plan.model import Plan, TaskStatus
from teamcast.ext.kernel import (
    FIXED_DOING,
    FIXED_DONE,
    FIXED_FAILED,
    FIXED_TODO,
    STRATEGY_PARALLEL,
    STRATEGY_SEQUENTIAL,
    KernelInput,
)

_FIXED = {
    TaskStatus.TODO: FIXED_TODO,
    TaskStatus.DOING: FIXED_DOING,
    TaskStatus.DONE: FIXED_DONE,
    TaskStatus.FAILED: FIXED_FAILED,
}


@dataclass(frozen=True)
class Compiled:
    """A plan ready to simulate: kernel arrays plus what the driver needs to sample and report."""

    plan: Plan
    calendar: Calendar
    tasks: pl.DataFrame  # TASKS_SCHEMA with defaults applied, in task-index order
    task_ids: list[str]
    project_ids: list[str]
    challenge_ids: list[str]
    pool_ids: list[str]
    unit_ids: list[str]  # person id, hire id, or "<pool>#<k>" for anonymous units
    unit_hire: np.ndarray  # int32 (U,): row of the hire in plan.hires, or -1
    task_doer: np.ndarray  # object (T,): the person (or role) who does each task, for evidence-based models
    elapsed: np.ndarray  # float64 (T,): effort already spent on tasks in progress
    project_value: np.ndarray  # float64 (P,)
    project_deadline: np.ndarray  # float64 (P,): working-day index of the deadline's end, NaN if none
    inp: KernelInput  # prio_order is the plan order until a priority rule is applied


def _csr(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    idx = np.fromiter((v for x in lists for v in x), dtype=np.int32, count=int(ptr[-1]))
    return ptr, idx


def _role_pools(plan: Plan) -> list[str]:
    roles: list[str] = []
    for role in [*plan.people["role"].to_list(), *plan.hires["role"].to_list()]:
        if role is not None and role not in roles:
            roles.append(role)
    return roles


def unit_table(plan: Plan) -> tuple[list[str], list[tuple[str, int, float, float, float, int]]]:
    """The pools (role pools in order of first appearance among people then hires, then the
    anonymous pools) and one (id, pool, capacity, ramp days, ramp productivity, hire row) per
    unit, in unit order: what the kernel's unit arrays are made of. Public so that a sweep can
    rebuild only this part when a scenario changes people or hires."""
    role_pools = _role_pools(plan)
    pool_ids = [*role_pools, *plan.pools["id"].to_list()]
    pool_index = {pid: k for k, pid in enumerate(pool_ids)}
    units: list[tuple[str, int, float, float, float, int]] = []
    people = plan.people.to_dicts()
    hires = plan.hires.to_dicts()
    for role in role_pools:
        k = pool_index[role]
        units += [(p["id"], k, _or(p["capacity"], 1.0), 0.0, 1.0, -1) for p in people if p["role"] == role]
        units += [
            (h["id"], k, _or(h["capacity"], 1.0), _or(h["ramp_days"], 0.0), _or(h["ramp_productivity"], 1.0), row)
            for row, h in enumerate(hires)
            if h["role"] == role
        ]
    for pool in plan.pools.to_dicts():
        units += [(f"{pool['id']}#{n + 1}", pool_index[pool["id"]], 1.0, 0.0, 1.0, -1) for n in range(pool["units"])]
    return pool_ids, units


def spent_effort(calendar: Calendar, started: dt.date | None, actual_days: float | None, capacity: float) -> float:
    """Effort already spent on a task in progress: what was recorded first, else working days
    since the start x the doer's capacity."""
    if actual_days is not None:
        return actual_days
    return max(-_day(calendar, started, default=0.0), 0.0) * capacity


def compile_plan(plan: Plan) -> Compiled:
    """Turn a validated plan into kernel arrays (plan order is the initial priority order)."""
    calendar = Calendar(plan.start, plan.holidays)
    tasks = normalise_tasks(plan)
    task_ids = tasks["id"].to_list()
    project_ids = plan.projects["id"].to_list()
    challenge_ids = plan.challenges["id"].to_list()
    n_tasks = len(task_ids)
    task_index = {tid: i for i, tid in enumerate(task_ids)}
    node_index = dict(task_index)
    node_index.update({cid: n_tasks + c for c, cid in enumerate(challenge_ids)})
    project_index = {pid: p for p, pid in enumerate(project_ids)}

    pool_ids, units = unit_table(plan)
    role_pools = pool_ids[: len(pool_ids) - plan.pools.height]
    pool_index = {pid: k for k, pid in enumerate(pool_ids)}
    unit_ids = [u[0] for u in units]
    unit_pool = [u[1] for u in units]
    unit_capacity = [u[2] for u in units]
    unit_ramp_days = [u[3] for u in units]
    unit_ramp_prod = [u[4] for u in units]
    unit_hire = [u[5] for u in units]
    unit_index = {uid: u for u, uid in enumerate(unit_ids)}
    pool_members: list[list[int]] = [[] for _ in pool_ids]
    for u, k in enumerate(unit_pool):
        pool_members[k].append(u)

    # Challenges.
    task_challenge = np.full(n_tasks, -1, dtype=np.int32)
    task_approach_pos = np.full(n_tasks, -1, dtype=np.int32)
    chal_lists: list[list[int]] = []
    chal_strategy = []
    chal_project = []
    for c, ch in enumerate(plan.challenges.to_dicts()):
        members = [task_index[a] for a in ch["approaches"] or []]
        for pos, t in enumerate(members):
            task_challenge[t] = c
            task_approach_pos[t] = pos
        chal_lists.append(members)
        chal_strategy.append(STRATEGY_SEQUENTIAL if ch["strategy"] == "sequential" else STRATEGY_PARALLEL)
        chal_project.append(project_index[ch["project"]])

    # Tasks: precedence, demands, fixed state.
    rows = tasks.to_dicts()
    preds = [[node_index[a] for a in row["after"]] for row in rows]
    succs: list[list[int]] = [[] for _ in range(n_tasks + len(challenge_ids))]
    for t, plist in enumerate(preds):
        for p in plist:
            succs[p].append(t)
    demands: list[list[tuple[int, int]]] = []
    task_unit = np.full(n_tasks, -1, dtype=np.int32)
    task_fixed = np.zeros(n_tasks, dtype=np.uint8)
    fixed_start = np.full(n_tasks, np.nan)
    fixed_finish = np.full(n_tasks, np.nan)
    elapsed = np.zeros(n_tasks)
    doer = np.empty(n_tasks, dtype=object)
    for t, row in enumerate(rows):
        dem: list[tuple[int, int]] = []
        if row["assignee"] is not None:
            task_unit[t] = unit_index[row["assignee"]]
            doer[t] = row["assignee"]
        elif row["role"] is not None:
            dem.append((pool_index[row["role"]], 1))
            doer[t] = row["role"]
        for need in row["needs"] or []:
            dem.append((pool_index[need["pool"]], int(need["units"])))
            if doer[t] is None and need["pool"] in role_pools:
                doer[t] = need["pool"]
        demands.append(dem)
        status = TaskStatus(row["status"])
        task_fixed[t] = _FIXED[status]
        if status in (TaskStatus.DONE, TaskStatus.FAILED):
            fixed_start[t] = _day(calendar, row["started"], default=0.0)
            fixed_finish[t] = _day(calendar, row["finished"], default=0.0)
        elif status is TaskStatus.DOING:
            if row["done_by"] is not None and task_unit[t] < 0 and row["done_by"] in unit_index:
                # Work in progress stays with the person already doing it.
                task_unit[t] = unit_index[row["done_by"]]
                demands[t] = [(k, n - 1) if k == unit_pool[task_unit[t]] else (k, n) for k, n in dem]
                demands[t] = [(k, n) for k, n in demands[t] if n > 0]
                doer[t] = row["done_by"]
            capacity = unit_capacity[task_unit[t]] if task_unit[t] >= 0 else 1.0
            elapsed[t] = spent_effort(calendar, row["started"], row["actual_days"], capacity)
    dem_ptr, _ = _csr([[0] * len(d) for d in demands])
    dem_pool = np.array([k for d in demands for k, _ in d], dtype=np.int32)
    dem_count = np.array([n for d in demands for _, n in d], dtype=np.int32)
    pred_ptr, pred_idx = _csr(preds)
    succ_ptr, succ_idx = _csr(succs)
    chal_ptr, chal_tasks = _csr(chal_lists)
    pool_ptr, pool_units = _csr(pool_members)

    project_rows = plan.projects.to_dicts()
    value = np.array([p["value"] if p["value"] is not None else 1.0 for p in project_rows], dtype=np.float64)
    deadline = np.array(
        [calendar.end_of_day(p["deadline"]) if p["deadline"] is not None else np.nan for p in project_rows],
        dtype=np.float64,
    )

    inp = KernelInput(
        n_projects=len(project_ids),
        pred_ptr=pred_ptr,
        pred_idx=pred_idx,
        succ_ptr=succ_ptr,
        succ_idx=succ_idx,
        task_project=np.array([project_index[r["project"]] for r in rows], dtype=np.int32),
        task_challenge=task_challenge,
        task_approach_pos=task_approach_pos,
        chal_ptr=chal_ptr,
        chal_tasks=chal_tasks,
        chal_strategy=np.array(chal_strategy, dtype=np.uint8),
        chal_project=np.array(chal_project, dtype=np.int32),
        dem_ptr=dem_ptr,
        dem_pool=dem_pool,
        dem_count=dem_count,
        task_unit=task_unit,
        pool_ptr=pool_ptr,
        pool_units=pool_units,
        unit_pool=np.array(unit_pool, dtype=np.int32),
        unit_capacity=np.array(unit_capacity, dtype=np.float64),
        unit_ramp_days=np.array(unit_ramp_days, dtype=np.float64),
        unit_ramp_prod=np.array(unit_ramp_prod, dtype=np.float64),
        task_fixed=task_fixed,
        fixed_start=fixed_start,
        fixed_finish=fixed_finish,
        prio_order=np.arange(n_tasks, dtype=np.int32),
    )
    return Compiled(
        plan=plan,
        calendar=calendar,
        tasks=tasks,
        task_ids=task_ids,
        project_ids=project_ids,
        challenge_ids=challenge_ids,
        pool_ids=pool_ids,
        unit_ids=unit_ids,
        unit_hire=np.array(unit_hire, dtype=np.int32),
        task_doer=doer,
        elapsed=elapsed,
        project_value=value,
        project_deadline=deadline,
        inp=inp,
    )


def _or(value, default: float) -> float:
    return value if value is not None else default


def _day(calendar: Calendar, date: dt.date | None, *, default: float) -> float:
    return float(calendar.date_to_day(date)) if date is not None else default


def latest_finish_times(inp: KernelInput, expected: np.ndarray) -> np.ndarray:
    """Latest finish time of each task from a deterministic backward pass (no resources).

    A challenge node finishes with its approaches (all of them for `parallel`, the first for
    `sequential`, which is what a plan where everything succeeds would do). The horizon is the
    earliest finish of the whole plan, so the tasks of the longest chain get LFT == EFT.
    """
    # A sweep asks again for scenarios that change neither the network nor the expected
    # durations (people, hires, priority rule): the answer depends on these arrays only.
    key = tuple(
        a.tobytes() for a in (inp.pred_ptr, inp.pred_idx, inp.succ_ptr, inp.succ_idx, inp.chal_ptr, inp.chal_tasks)
    ) + (inp.chal_strategy.tobytes(), inp.task_fixed.tobytes(), np.ascontiguousarray(expected, np.float64).tobytes())
    with _LFT_LOCK:  # the app runs forecasts in worker threads
        cached = _LFT_CACHE.get(key)
    if cached is not None:
        return cached.copy()
    lft = _latest_finish_times(inp, expected)
    with _LFT_LOCK:
        if len(_LFT_CACHE) >= 4:
            _LFT_CACHE.pop(next(iter(_LFT_CACHE)))
        _LFT_CACHE[key] = lft.copy()
    return lft


_LFT_CACHE: dict[tuple[bytes, ...], np.ndarray] = {}
_LFT_LOCK = threading.Lock()


def _latest_finish_times(inp: KernelInput, expected: np.ndarray) -> np.ndarray:
    n_tasks = inp.n_tasks
    n_nodes = n_tasks + inp.n_challenges
    # Python lists and floats throughout: per-node NumPy slices and scalars cost more than the
    # passes themselves (a sweep prioritises every scenario). max and - give the same doubles.
    duration = np.where(inp.task_fixed >= FIXED_DONE, 0.0, expected).tolist() + [0.0] * inp.n_challenges
    chal_ptr, chal_tasks, chal_strategy = inp.chal_ptr.tolist(), inp.chal_tasks.tolist(), inp.chal_strategy.tolist()
    succ_ptr, succ_idx = inp.succ_ptr.tolist(), inp.succ_idx.tolist()
    pred_ptr, pred_idx = inp.pred_ptr.tolist(), inp.pred_idx.tolist()
    # Node successors, with challenges fed by their approaches.
    node_succ: list[list[int]] = [succ_idx[succ_ptr[v] : succ_ptr[v + 1]] for v in range(n_nodes)]
    node_pred: list[list[int]] = [pred_idx[pred_ptr[t] : pred_ptr[t + 1]] for t in range(n_tasks)]
    node_pred += [[] for _ in range(inp.n_challenges)]
    for c in range(inp.n_challenges):
        members = chal_tasks[chal_ptr[c] : chal_ptr[c + 1]]
        for t in members[: 1 if chal_strategy[c] == STRATEGY_SEQUENTIAL else None]:
            node_succ[t].append(n_tasks + c)
            node_pred[n_tasks + c].append(t)
    order = _topological(node_pred, node_succ)
    eft = [0.0] * n_nodes
    for v in order:
        start = max([eft[p] for p in node_pred[v]], default=0.0)
        eft[v] = start + duration[v]
    horizon = max(eft) if n_nodes else 0.0
    lft = [horizon] * n_nodes
    for v in reversed(order):
        for s in node_succ[v]:
            lft[v] = min(lft[v], lft[s] - duration[s])
    return np.array(lft[:n_tasks], dtype=np.float64)


def _topological(preds: list[list[int]], succs: list[list[int]]) -> list[int]:
    indegree = [len(p) for p in preds]
    ready = [v for v, d in enumerate(indegree) if d == 0]
    order: list[int] = []
    while ready:
        v = ready.pop()
        order.append(v)
        for s in succs[v]:
            indegree[s] -= 1
            if indegree[s] == 0:
                ready.append(s)
    return order
