"""Sweep scenarios as deltas of one plan that was validated and compiled once.

A sweep used to validate, compile and prioritise the whole plan for every scenario (about
0.25-0.55 s on a 4,000-task plan, before any trial ran). Most scenarios change a small part of
the plan: people and hires (the kernel's units), a challenge's strategy, the duration model,
the priority rule or the sample modifiers. `SweepBase` validates and compiles the plan once;
`SweepBase.prepare` turns each scenario into the compiled plan that `compile_plan` would give
for the scenario's plan, by rebuilding only the parts it changes, and checks only what the
change can break.

Every shortcut is conservative: where a cheap check cannot show that the varied plan is as
valid as the base plan (a dropped person still named somewhere, fewer people of a role than a
task needs, a capacity lower than any in the plan, a sequential strategy that might close a
cycle), the scenario takes the full path (validate_plan, then compile_plan) and so reports
exactly the problems it reported before. `project.ID=off` always takes the full path: it
renumbers every task. tests/engine/test_sweep_delta.py holds the compiled arrays and the
numbers equal to the full path's, scenario by scenario.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from teamcast.engine.forecast.compile import Compiled, compile_plan, normalise_tasks, spent_effort, unit_table
from teamcast.engine.plan.model import Plan, TaskStatus
from teamcast.errors import PlanError
from teamcast.ext.kernel import FIXED_DOING, STRATEGY_PARALLEL, STRATEGY_SEQUENTIAL

# Keys whose change is a delta of the compiled arrays; any other key takes the full path.
UNIT_KEYS = {"people", "hire", "capacity", "arrival"}
DELTA_KEYS = UNIT_KEYS | {"strategy", "model", "priority", "modifier"}

_BASES: dict[str, SweepBase] = {}  # per process: a worker prepares each sweep's base once


def shared_base(base: SweepBase) -> SweepBase:
    """The prepared base of this sweep in this process (a worker receives only plan and token)."""
    prepared = _BASES.get(base.token)
    if prepared is None:
        if len(_BASES) > 4:  # a long-lived Dask worker serves many sweeps: keep the latest few
            _BASES.pop(next(iter(_BASES)))
        prepared = _BASES[base.token] = base if base.ready else SweepBase(base.plan, token=base.token)
    return prepared


@dataclass(eq=False)
class SweepBase:
    """The plan of a sweep, validated and compiled once, with what a scenario's checks need."""

    plan: Plan
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    ready: bool = False
    valid: bool = False
    compiled: Compiled | None = None

    def __post_init__(self) -> None:
        from teamcast.engine.plan.validate import validate_plan

        self.valid = not any(p.severity == "error" for p in validate_plan(self.plan))
        if self.valid:
            self._prepare()
        self.ready = True

    def __getstate__(self) -> dict:
        # Workers get the plan and the token and prepare the rest once per process (shared_base).
        return {"plan": self.plan, "token": self.token}

    def __setstate__(self, state: dict) -> None:
        self.plan, self.token = state["plan"], state["token"]
        self.ready, self.valid, self.compiled = False, False, None

    def _prepare(self) -> None:
        plan = self.plan
        self.compiled = c = compile_plan(plan)
        tasks = plan.tasks
        self.workers = set(plan.people["id"].to_list()) | set(plan.hires["id"].to_list())
        # Workers the tasks name: a scenario that drops one of them takes the full path.
        self.named = set(tasks["assignee"].drop_nulls().to_list()) | set(tasks["done_by"].drop_nulls().to_list())
        person_role = dict(zip(plan.people["id"].to_list(), plan.people["role"].to_list(), strict=True))
        # The fewest people and open hires each role must keep: the validator's role and needs checks.
        need: Counter[str] = Counter()
        for role, needs, assignee in zip(
            tasks["role"].to_list(), tasks["needs"].to_list(), tasks["assignee"].to_list(), strict=True
        ):
            if role is not None:
                need[role] = max(need[role], 1)
            for item in needs or []:
                pool, units = item["pool"], item["units"]
                need[pool] = max(need[pool], units + (person_role.get(assignee) == pool))
        self.role_need = {r: n for r, n in need.items() if r not in set(plan.pools["id"].to_list())}
        self.slowest, self.hiring = _capacity_and_hiring(plan)
        self.people_hash = dict(zip(plan.people["id"].to_list(), plan.people.hash_rows().to_list(), strict=True))
        doing = tasks.filter(pl.col("status") == TaskStatus.DOING.value)
        self.doing_tasks = doing.with_columns(after=pl.lit(None, dtype=tasks.schema["after"]))
        self.doing = np.flatnonzero(c.inp.task_fixed == FIXED_DOING)
        self.doing_spent = normalise_tasks(plan)[self.doing.tolist()].select("started", "actual_days").rows()
        inp = c.inp
        self.preds = [inp.pred_idx[inp.pred_ptr[t] : inp.pred_ptr[t + 1]].tolist() for t in range(inp.n_tasks)]
        self.approaches = [
            inp.chal_tasks[inp.chal_ptr[k] : inp.chal_ptr[k + 1]].tolist() for k in range(inp.n_challenges)
        ]

    # --- one scenario --------------------------------------------------------------------------

    def prepare(self, varied: Plan, keys: Sequence[str]) -> Compiled:
        """The compiled plan of a scenario (`varied`, changed by the settings `keys`).

        Raises PlanError with the validator's problems when the varied plan is invalid.
        """
        heads = {key.partition(".")[0] for key in keys}
        if not self.valid or not heads <= DELTA_KEYS or self.compiled is None:
            return _full(varied)
        c = self.compiled
        if heads & UNIT_KEYS and not self._units_still_valid(varied):
            return _full(varied)
        if "strategy" in heads and self._may_close_a_cycle(varied):
            return _full(varied)
        compiled = replace(c, plan=varied)
        if heads & UNIT_KEYS:
            units = self._units(varied, compiled)
            if units is None:
                return _full(varied)
            compiled = units
        if "strategy" in heads:
            strategy = [
                STRATEGY_SEQUENTIAL if s == "sequential" else STRATEGY_PARALLEL for s in varied.challenges["strategy"]
            ]
            compiled = replace(compiled, inp=replace(compiled.inp, chal_strategy=np.array(strategy, dtype=np.uint8)))
        if "model" in heads:
            compiled = replace(compiled, tasks=normalise_tasks(varied))
        return compiled

    def _units_still_valid(self, varied: Plan) -> bool:
        """Whether a change of people or hires leaves the plan valid; False when in doubt.

        The base plan is valid, and such a change touches people, hires, teams' leads and the
        history's people. What it can break is checked here: the changed tables themselves
        and the work in progress (validate_plan on a plan of those tables only), workers still
        named by tasks and records, enough people per role, and the plan's horizon.
        """
        from teamcast.engine.plan.limits import horizon_problems
        from teamcast.engine.plan.validate import validate_plan

        workers = set(varied.people["id"].to_list()) | set(varied.hires["id"].to_list())
        gone = self.workers - workers
        if gone:
            recorded = (
                self.named
                | set(varied.history["person"].drop_nulls().to_list())
                | set(varied.experiments["person"].drop_nulls().to_list())
                | set(varied.candidates["hire"].drop_nulls().to_list())
            )
            if gone & recorded:
                return False
        units = Counter(varied.people["role"].drop_nulls().to_list() + varied.hires["role"].drop_nulls().to_list())
        if any(units[role] < n for role, n in self.role_need.items()):
            return False
        slowest, hiring = _capacity_and_hiring(varied)
        if (slowest < self.slowest or hiring > self.hiring) and horizon_problems(varied):
            return False  # the horizon grew past the calendar
        people, teams = varied.people, varied.teams
        if not self.doing_tasks.height:
            # Without work in progress to place at day 0, only new or changed people can hold a
            # new problem: validate those rows, and check here what they share with the rest.
            changed = self._changed_people(varied)
            if changed is None:
                return False
            people = changed.with_columns(reports_to=pl.lit(None, dtype=pl.String))
            teams = teams.with_columns(lead=pl.lit(None, dtype=pl.String))
        # The tables such a change touches, and what their rows refer to (teams; the projects
        # of work in progress). Candidates are covered by the check on dropped hires above.
        mini = Plan(
            plan=varied.plan,
            teams=teams,
            people=people,
            hires=varied.hires,
            pools=varied.pools,
            projects=varied.projects if self.doing_tasks.height else varied.projects.clear(),
            tasks=self.doing_tasks,
        )
        return not any(p.severity == "error" for p in validate_plan(mini))

    def _changed_people(self, varied: Plan) -> pl.DataFrame | None:
        """The people rows that are new or differ from the base plan's; None when an id is used
        twice or by a hire, pool or role, or a lead or manager is not among the people (what
        validate_plan would otherwise find by comparing these rows with the rest)."""
        from teamcast.engine.plan.validate import ROLES

        ids = varied.people["id"].to_list()
        roles = set(varied.people["role"].drop_nulls().to_list()) | set(varied.hires["role"].drop_nulls().to_list())
        others = set(varied.hires["id"].to_list()) | set(varied.pools["id"].to_list()) | set(ROLES) | roles
        named = set(varied.teams["lead"].drop_nulls().to_list()) | set(
            varied.people["reports_to"].drop_nulls().to_list()
        )
        if len(set(ids)) != len(ids) or set(ids) & others or not named <= set(ids):
            return None
        hashes = varied.people.hash_rows().to_list()
        changed = [k for k, (pid, h) in enumerate(zip(ids, hashes, strict=True)) if self.people_hash.get(pid) != h]
        return varied.people[changed]

    def _may_close_a_cycle(self, varied: Plan) -> bool:
        """Whether a challenge made sequential could close a dependency cycle (its approaches
        then wait for each other); True sends the scenario to the full validation."""
        assert self.compiled is not None
        c = self.compiled
        n_tasks = len(c.task_ids)
        sequential = [s == "sequential" for s in varied.challenges["strategy"].to_list()]
        new = [k for k, s in enumerate(sequential) if s and c.inp.chal_strategy[k] != STRATEGY_SEQUENTIAL]
        if not new:
            return False
        before: dict[int, int] = {}  # approach -> the approach it waits for (sequential challenges)
        for k, seq in enumerate(sequential):
            if seq:
                members = self.approaches[k]
                before |= dict(zip(members[1:], members[:-1], strict=False))
        for k in new:
            members = self.approaches[k]
            for later, earlier in zip(members[1:], members[:-1], strict=False):
                # The new edge `later waits for earlier` closes a cycle iff earlier already waits for later.
                seen, stack = {earlier}, [earlier]
                while stack:
                    v = stack.pop()
                    deps = (
                        self.approaches[v - n_tasks]
                        if v >= n_tasks
                        else self.preds[v] + ([before[v]] if v in before else [])
                    )
                    for d in deps:
                        if d == later:
                            return True
                        if d not in seen:
                            seen.add(d)
                            stack.append(d)
        return False

    def _units(self, varied: Plan, compiled: Compiled) -> Compiled | None:
        """The compiled plan with the units of `varied`: what compile_plan builds from people and
        hires, with tasks' units and demands renumbered. None when a task's unit or pool is gone."""
        c = compiled
        inp = c.inp
        pool_ids, units = unit_table(varied)
        pool_index = {pid: k for k, pid in enumerate(pool_ids)}
        unit_index = {u[0]: k for k, u in enumerate(units)}
        pool_map = np.array([pool_index.get(pid, -1) for pid in c.pool_ids], dtype=np.int32)
        unit_map = np.array([unit_index.get(uid, -1) for uid in c.unit_ids], dtype=np.int32)
        dem_pool = pool_map[inp.dem_pool] if len(inp.dem_pool) else inp.dem_pool.copy()
        named = inp.task_unit >= 0
        task_unit = inp.task_unit.copy()
        task_unit[named] = unit_map[inp.task_unit[named]]
        if (dem_pool < 0).any() or (task_unit[named] < 0).any():
            return None
        unit_pool = np.array([u[1] for u in units], dtype=np.int32)
        unit_capacity = np.array([u[2] for u in units], dtype=np.float64)
        order = np.argsort(unit_pool, kind="stable").astype(np.int32)  # members of each pool, in unit order
        pool_ptr = np.zeros(len(pool_ids) + 1, dtype=np.int64)
        pool_ptr[1:] = np.cumsum(np.bincount(unit_pool, minlength=len(pool_ids)))
        elapsed = c.elapsed.copy()
        for t, (started, actual) in zip(self.doing.tolist(), self.doing_spent, strict=True):
            capacity = float(unit_capacity[task_unit[t]]) if task_unit[t] >= 0 else 1.0
            elapsed[t] = spent_effort(c.calendar, started, actual, capacity)
        new_inp = replace(
            inp,
            dem_pool=dem_pool.astype(np.int32),
            task_unit=task_unit,
            pool_ptr=pool_ptr,
            pool_units=order,
            unit_pool=unit_pool,
            unit_capacity=unit_capacity,
            unit_ramp_days=np.array([u[3] for u in units], dtype=np.float64),
            unit_ramp_prod=np.array([u[4] for u in units], dtype=np.float64),
        )
        return replace(
            c,
            pool_ids=pool_ids,
            unit_ids=[u[0] for u in units],
            unit_hire=np.array([u[5] for u in units], dtype=np.int32),
            elapsed=elapsed,
            inp=new_inp,
        )


def _full(varied: Plan) -> Compiled:
    """The full path: validate the whole varied plan, then compile it."""
    from teamcast.engine.plan.validate import validate_plan

    errors = [p for p in validate_plan(varied) if p.severity == "error"]
    if errors:
        raise PlanError(errors)
    return compile_plan(varied)


def _capacity_and_hiring(plan: Plan) -> tuple[float, float]:
    """The lowest capacity (at most 1) and the longest time to hire: what bounds the plan's horizon."""
    capacities = [c for c in [*plan.people["capacity"], *plan.hires["capacity"]] if c is not None and c == c and c > 0]
    hiring = [v for v in plan.hires["tth_high"] if v is not None and v == v]
    return min([1.0, *capacities]), max([0.0, *hiring])
