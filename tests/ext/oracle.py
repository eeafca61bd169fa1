"""Pure-Python reference implementation of docs/simulation.md: the oracle the Cython kernel must match.

It is written to be obviously right rather than fast: one `_Trial` object per trial walks the
document's steps in order, with the document's wording in the method names. It is also the
"pure-Python dispatch" baseline of the kernel benchmark, so it avoids needless quadratic work.

Readings of the document where it leaves room (each one a choice the kernel must share):

* The event loop starts at t = 0 (after the fixed tasks and the work in progress), so the
  first dispatch pass is at day 0. After a pass, the next event time is the earliest finish
  of a running task or arrival later than t; a task of zero effort started in a pass finishes
  at t, so the loop runs again at the same t (completions, then one more pass).
* A sequential approach at position k > 0 looks only at the approach at k - 1 (failed or
  skipped), as written. When a sequential challenge succeeds, its waiting approaches at later
  positions are skipped and running ones are left to finish; only a parallel challenge
  abandons running approaches.
* The cause of a start looks at the explicit predecessors in `pred` order first and at the
  previous sequential approach after them. Fixed tasks count as completed at day 0 for causes.
* `busy[u]` accumulates `finish - start` when a task releases the unit (so in time order).
* A project with no task has `proj_success = 1` (nothing failed) and `proj_finish = NaN`.
"""

from __future__ import annotations

import math

import numpy as np

from teamcast.ext.kernel import (
    FIXED_DOING,
    FIXED_DONE,
    FIXED_FAILED,
    STATE_ABANDONED,
    STATE_FAILED,
    STATE_NOT_RUN,
    STATE_SUCCEEDED,
    STRATEGY_PARALLEL,
    STRATEGY_SEQUENTIAL,
    KernelInput,
    KernelOutput,
)

# Task states inside a trial (the document's list); only the last three end a task's life
# without it running.
WAITING = "waiting"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
ABANDONED = "abandoned"
SKIPPED = "skipped"

# Challenge states.
OPEN = "open"
WON = "won"
LOST = "lost"

_OUTPUT_STATE = {SUCCEEDED: STATE_SUCCEEDED, FAILED: STATE_FAILED, ABANDONED: STATE_ABANDONED}


class _Plan:
    """The trial-independent arrays of a KernelInput as Python lists, read once per chunk."""

    def __init__(self, inp: KernelInput):
        self.n_tasks = inp.n_tasks
        self.n_challenges = inp.n_challenges
        self.n_projects = inp.n_projects
        self.n_units = inp.n_units
        self.preds = _csr(inp.pred_ptr, inp.pred_idx)
        self.succs = _csr(inp.succ_ptr, inp.succ_idx)
        self.task_project = inp.task_project.tolist()
        self.task_challenge = inp.task_challenge.tolist()
        self.task_approach_pos = inp.task_approach_pos.tolist()
        self.approaches = _csr(inp.chal_ptr, inp.chal_tasks)
        self.chal_strategy = inp.chal_strategy.tolist()
        self.chal_project = inp.chal_project.tolist()
        pools = _csr(inp.dem_ptr, inp.dem_pool)
        counts = _csr(inp.dem_ptr, inp.dem_count)
        self.demands = [list(zip(p, c, strict=False)) for p, c in zip(pools, counts, strict=False)]
        self.task_unit = inp.task_unit.tolist()
        # "the lowest unit index" first, whatever order pool_units lists them in.
        self.pool_units = [sorted(units) for units in _csr(inp.pool_ptr, inp.pool_units)]
        self.capacity = inp.unit_capacity.tolist()
        self.ramp_days = inp.unit_ramp_days.tolist()
        self.ramp_prod = inp.unit_ramp_prod.tolist()
        self.task_fixed = inp.task_fixed.tolist()
        self.fixed_start = inp.fixed_start.tolist()
        self.fixed_finish = inp.fixed_finish.tolist()
        self.prio_order = inp.prio_order.tolist()
        self.project_tasks = [[] for _ in range(self.n_projects)]
        for task, project in enumerate(self.task_project):
            self.project_tasks[project].append(task)

    def previous_approach(self, task: int) -> int:
        """The approach listed just before `task` in its sequential challenge, or -1."""
        c = self.task_challenge[task]
        pos = self.task_approach_pos[task]
        if c < 0 or pos <= 0 or self.chal_strategy[c] != STRATEGY_SEQUENTIAL:
            return -1
        return self.approaches[c][pos - 1]


def _csr(ptr: np.ndarray, idx: np.ndarray) -> list[list[int]]:
    ptr, idx = ptr.tolist(), idx.tolist()
    return [idx[ptr[k] : ptr[k + 1]] for k in range(len(ptr) - 1)]


class _Trial:
    """One trial of the parallel schedule generation scheme, step by step."""

    def __init__(self, plan: _Plan, effort: list[float], success: list[int], arrival: list[float]):
        self.plan = plan
        self.effort = effort
        self.success = success
        self.arrival = arrival
        n, u = plan.n_tasks, plan.n_units
        self.state = [WAITING] * n
        self.start = [math.nan] * n
        self.finish = [math.nan] * n
        self.cause = [-1] * n
        self.taken: list[list[int]] = [[] for _ in range(n)]
        self.running: set[int] = set()
        self.holder = [-1] * u
        self.last_release_time = [math.nan] * u
        self.last_releaser = [-1] * u
        self.busy = [0.0] * u
        self.chal_state = [OPEN] * plan.n_challenges
        self.chal_winner = [-1] * plan.n_challenges

    # -- the three steps of "Dispatch, one trial" -------------------------------------------

    def run(self) -> None:
        self.fix_finished_tasks()
        self.start_work_in_progress()
        t = 0.0
        while t is not None:
            for task in sorted(i for i in self.running if self.finish[i] == t):
                self.complete(task, t)
            # Arrivals need no bookkeeping: a unit counts as free once arrival <= t.
            self.dispatch_pass(t)
            t = self.next_event_time(t)

    def fix_finished_tasks(self) -> None:
        plan = self.plan
        fixed = [i for i in range(plan.n_tasks) if plan.task_fixed[i] in (FIXED_DONE, FIXED_FAILED)]
        for i in fixed:
            self.state[i] = SUCCEEDED if plan.task_fixed[i] == FIXED_DONE else FAILED
            self.start[i] = plan.fixed_start[i]
            self.finish[i] = plan.fixed_finish[i]
        # All fixed states are set before any rule runs, so no fixed task is ever skipped.
        for i in fixed:
            self.resolve_completion(i, 0.0)

    def start_work_in_progress(self) -> None:
        for i in range(self.plan.n_tasks):
            if self.plan.task_fixed[i] != FIXED_DOING or self.state[i] != WAITING:
                continue
            units = self.free_units_for(i, 0.0)
            if units is None:
                raise ValueError(f"task {i} is in progress but cannot get its units at day 0")
            self.begin(i, 0.0, units)

    def next_event_time(self, t: float) -> float | None:
        times = [self.finish[i] for i in self.running]
        times += [a for a in self.arrival if a > t]
        return min(times) if times else None

    # -- completions and the resolution rules ----------------------------------------------

    def complete(self, task: int, t: float) -> None:
        self.running.discard(task)
        self.release_units(task, t)
        self.state[task] = SUCCEEDED if self.success[task] else FAILED
        self.resolve_completion(task, t)

    def resolve_completion(self, task: int, t: float) -> None:
        c = self.plan.task_challenge[task]
        if c >= 0 and self.chal_state[c] == OPEN:
            if self.state[task] == SUCCEEDED:
                self.win_challenge(c, task, t)
            elif self.challenge_lost(c):
                self.skip(self.plan.succs[self.plan.n_tasks + c])
        if self.state[task] == FAILED:
            self.skip(self.plan.succs[task])

    def win_challenge(self, c: int, winner: int, t: float) -> None:
        plan = self.plan
        self.chal_state[c] = WON
        self.chal_winner[c] = winner
        if plan.chal_strategy[c] == STRATEGY_PARALLEL:
            for a in plan.approaches[c]:
                if self.state[a] == RUNNING and self.finish[a] > t:
                    self.abandon(a, t)
            self.skip([a for a in plan.approaches[c] if self.state[a] == WAITING])
        else:
            later = plan.approaches[c][plan.task_approach_pos[winner] + 1 :]
            self.skip([a for a in later if self.state[a] == WAITING])

    def abandon(self, task: int, t: float) -> None:
        self.running.discard(task)
        self.state[task] = ABANDONED
        self.finish[task] = t
        self.release_units(task, t)
        self.skip(self.plan.succs[task])

    def challenge_lost(self, c: int) -> bool:
        """Marks challenge `c` failed when every approach failed or was skipped."""
        if self.chal_state[c] != OPEN:
            return False
        if all(self.state[a] in (FAILED, SKIPPED) for a in self.plan.approaches[c]):
            self.chal_state[c] = LOST
            return True
        return False

    def skip(self, tasks: list[int]) -> None:
        """Skips the waiting ones among `tasks` and, transitively, everything that needed them."""
        plan = self.plan
        stack = list(tasks)
        while stack:
            task = stack.pop()
            if self.state[task] != WAITING:
                continue
            self.state[task] = SKIPPED
            stack.extend(plan.succs[task])
            c = plan.task_challenge[task]
            if c >= 0 and self.challenge_lost(c):
                stack.extend(plan.succs[plan.n_tasks + c])

    # -- dispatch ----------------------------------------------------------------------------

    def dispatch_pass(self, t: float) -> None:
        for task in self.plan.prio_order:
            if not self.is_ready(task):
                continue
            units = self.free_units_for(task, t)
            if units is not None:
                self.begin(task, t, units)

    def is_ready(self, task: int) -> bool:
        plan = self.plan
        if self.state[task] != WAITING:
            return False
        for p in plan.preds[task]:
            if p < plan.n_tasks:
                if self.state[p] != SUCCEEDED:
                    return False
            elif self.chal_state[p - plan.n_tasks] != WON:
                return False
        c = plan.task_challenge[task]
        if c < 0:
            return True
        previous = plan.previous_approach(task)
        if previous >= 0 and self.state[previous] not in (FAILED, SKIPPED):
            return False
        return self.chal_state[c] != WON

    def free_units_for(self, task: int, t: float) -> list[int] | None:
        """Step 4, "Taking units": the units `task` would take at `t`, or None if any is missing."""
        plan = self.plan
        taken = []
        named = plan.task_unit[task]
        if named >= 0:
            if not self.is_free(named, t):
                return None
            taken.append(named)
        for pool, count in plan.demands[task]:
            got = [u for u in plan.pool_units[pool] if u not in taken and self.is_free(u, t)][:count]
            if len(got) < count:
                return None
            taken.extend(got)
        return taken

    def is_free(self, unit: int, t: float) -> bool:
        return self.arrival[unit] <= t and self.holder[unit] < 0

    def begin(self, task: int, t: float, units: list[int]) -> None:
        if t > 0:
            self.cause[task] = self.cause_of_start(task, t, units)
        self.state[task] = RUNNING
        self.running.add(task)
        self.start[task] = t
        self.finish[task] = self.finish_time(t, self.effort[task], units)
        self.taken[task] = units
        for u in units:
            self.holder[u] = task

    def release_units(self, task: int, t: float) -> None:
        for u in self.taken[task]:
            self.holder[u] = -1
            self.busy[u] += t - self.start[task]
            self.last_release_time[u] = t
            self.last_releaser[u] = task

    def finish_time(self, t: float, effort: float, units: list[int]) -> float:
        """Step 5, "Duration", with the document's floating-point operations in its order."""
        if effort <= 0:
            return t
        if not units:
            return t + effort
        plan = self.plan
        ramp_end = {u: self.arrival[u] + plan.ramp_days[u] for u in units}
        ends = sorted({end for end in ramp_end.values() if end > t})
        cur, remaining = t, effort
        for b in ends + [math.inf]:
            rate = min(plan.capacity[u] * (plan.ramp_prod[u] if cur < ramp_end[u] else 1.0) for u in units)
            if b == math.inf or remaining <= rate * (b - cur):
                return cur + remaining / rate
            remaining -= rate * (b - cur)
            cur = b
        raise AssertionError("unreachable: the last ramp end is infinite")

    # -- binding chain -----------------------------------------------------------------------

    def completion_time(self, task: int) -> float:
        # Fixed tasks "count as completed at time 0 for their successors".
        if self.plan.task_fixed[task] in (FIXED_DONE, FIXED_FAILED):
            return 0.0
        return self.finish[task]

    def cause_of_start(self, task: int, t: float, units: list[int]) -> int:
        plan = self.plan
        for p in plan.preds[task]:
            cause = p if p < plan.n_tasks else self.chal_winner[p - plan.n_tasks]
            if self.completion_time(cause) == t:
                return cause
        previous = plan.previous_approach(task)
        if previous >= 0 and self.completion_time(previous) == t:
            return previous
        for u in sorted(units):
            if self.last_release_time[u] == t:
                return self.last_releaser[u]
        return -1

    def critical(self) -> list[int]:
        plan = self.plan
        critical = [0] * plan.n_tasks
        for project, tasks in enumerate(plan.project_tasks):
            ran = [i for i in tasks if self.state[i] in _OUTPUT_STATE]
            if not ran:
                continue
            task = min(ran, key=lambda i: (-self.finish[i], i))
            while task >= 0:
                if plan.task_project[task] == project:
                    critical[task] = 1
                task = self.cause[task]
        return critical

    # -- outputs -----------------------------------------------------------------------------

    def outputs(self) -> dict[str, np.ndarray]:
        plan = self.plan
        proj_finish, proj_success = [], []
        for project, tasks in enumerate(plan.project_tasks):
            finishes = [self.finish[i] for i in tasks if self.state[i] in _OUTPUT_STATE]
            proj_finish.append(max(finishes) if finishes else math.nan)
            tasks_ok = all(self.state[i] == SUCCEEDED for i in tasks if plan.task_challenge[i] < 0)
            challenges_ok = all(
                self.chal_state[c] == WON for c in range(plan.n_challenges) if plan.chal_project[c] == project
            )
            proj_success.append(int(tasks_ok and challenges_ok))
        return {
            "start": np.array(self.start, dtype=np.float64),
            "finish": np.array(self.finish, dtype=np.float64),
            "state": np.array([_OUTPUT_STATE.get(s, STATE_NOT_RUN) for s in self.state], dtype=np.uint8),
            "critical": np.array(self.critical(), dtype=np.uint8),
            "proj_finish": np.array(proj_finish, dtype=np.float64),
            "proj_success": np.array(proj_success, dtype=np.uint8),
            "busy": np.array(self.busy, dtype=np.float64),
        }


def simulate_trial(
    inp: KernelInput, effort_row, success_row, arrival_row, *, _plan: _Plan | None = None
) -> dict[str, np.ndarray]:
    """One trial: start, finish, state, critical, proj_finish, proj_success, busy as 1-D arrays."""
    trial = _Trial(
        _plan or _Plan(inp),
        np.asarray(effort_row, dtype=np.float64).tolist(),
        np.asarray(success_row, dtype=np.uint8).tolist(),
        np.asarray(arrival_row, dtype=np.float64).tolist(),
    )
    trial.run()
    return trial.outputs()


def run_chunk(inp: KernelInput, effort, success, arrival) -> KernelOutput:
    """The oracle's answer for a chunk of trials, shaped like the kernel's."""
    plan = _Plan(inp)
    trials = [simulate_trial(inp, e, s, a, _plan=plan) for e, s, a in zip(effort, success, arrival, strict=False)]
    shapes = {
        "start": (inp.n_tasks, np.float64),
        "finish": (inp.n_tasks, np.float64),
        "state": (inp.n_tasks, np.uint8),
        "critical": (inp.n_tasks, np.uint8),
        "proj_finish": (inp.n_projects, np.float64),
        "proj_success": (inp.n_projects, np.uint8),
        "busy": (inp.n_units, np.float64),
    }
    return KernelOutput(
        **{
            name: np.array([trial[name] for trial in trials], dtype=dtype).reshape(len(trials), width)
            for name, (width, dtype) in shapes.items()
        }
    )
