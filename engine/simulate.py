"""The Monte Carlo driver: sample with the estimator plugins, schedule with the kernel, aggregate.

Random streams belong to fixed blocks of BLOCK trials (block b draws from
SeedSequence(seed, spawn_key=(b,))), never to a chunk or a thread, so a forecast depends on
the plan, the seed and the trial count only. Memory is bounded by the chunk size: per-trial
arrays live for one chunk; what outlives it are running sums, the project finish times
(trials x projects) and the first kept_trials(...) trials of task timings (for task percentiles and
sensitivity).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from teamcast.engine.compile import Compiled, compile_plan, latest_finish_times
from teamcast.engine.errors import CancelledError, SimulationError
from teamcast.engine.model import Plan, frame
from teamcast.ext.kernel import (
    FIXED_DOING,
    FIXED_DONE,
    STATE_NOT_RUN,
    STATE_SUCCEEDED,
    KernelInput,
    run_chunk,
)

BLOCK = 1024  # trials per random stream
KEEP = 10_000  # trials kept whole for task percentiles and sensitivity ...
KEEP_CELLS = 10_000_000  # ... but never more than this many trials x tasks (~90 MB)


def kept_trials(trials: int, n_tasks: int) -> int:
    """How many of the first trials keep their task timings: 10,000, fewer for very large plans."""
    return min(trials, KEEP, max(BLOCK, KEEP_CELLS // max(n_tasks, 1)))
SENSITIVITY_TRIALS = 2_048
CHUNK_CELLS = 2_000_000  # trials x tasks per chunk: ~16 MB per float64 array
DEFAULT_PRIORITY = "value"
PERCENTILES = (50, 80, 95)

ProgressCallback = Callable[[int, int], None]


@dataclass
class Forecast:
    """The result of a run: one frame per level plus what produced it."""

    plan_name: str
    trials: int
    seed: int
    priority: str
    modifiers: tuple[str, ...]
    projects: pl.DataFrame
    tasks: pl.DataFrame
    people: pl.DataFrame
    project_finish: np.ndarray = field(repr=False)  # (trials, P) finish days, NaN where a project failed
    start: object = None  # the plan's start date
    reevaluated: pl.DataFrame | None = None  # work in progress: id, p_stated, p_updated, spent_days

    def to_json(self) -> dict:
        """The stable machine-readable form (DESIGN.md keys, extended)."""

        def pct(row: dict, prefix: str = "") -> dict:
            return {f"p{q}": _num(row[f"{prefix}p{q}"]) for q in PERCENTILES}

        projects = []
        for row in self.projects.to_dicts():
            projects.append(
                {
                    "id": row["id"],
                    "name": row["name"],
                    "p_success": _num(row["p_success"]),
                    "p_on_time": _num(row["p_on_time"]),
                    "finish_days": {**pct(row), "mean": _num(row["mean"])},
                    "finish_date": {f"p{q}": _iso(row[f"date_p{q}"]) for q in PERCENTILES},
                    "deadline": _iso(row["deadline"]),
                    "value": _num(row["value"]),
                    "expected_value": _num(row["expected_value"]),
                }
            )
        tasks = [
            {
                "id": row["id"],
                "project": row["project"],
                "p_run": _num(row["p_run"]),
                "p_success": _num(row["p_success"]),
                "finish_days": pct(row),
                "criticality": _num(row["criticality"]),
                "sensitivity": _num(row["sensitivity"]),
            }
            for row in self.tasks.to_dicts()
        ]
        people = [
            {"id": row["id"], "utilization": _num(row["utilization"]), "busy_days": _num(row["busy_days"])}
            for row in self.people.to_dicts()
        ]
        updated = {}
        if self.reevaluated is not None:
            updated = {r["id"]: r for r in self.reevaluated.to_dicts()}
        for task in tasks:
            if task["id"] in updated:
                task["p_success_stated"] = _num(updated[task["id"]]["p_stated"])
                task["p_success_updated"] = _num(updated[task["id"]]["p_updated"])
        return {
            "plan": self.plan_name,
            "trials": self.trials,
            "seed": self.seed,
            "priority": self.priority,
            "modifiers": list(self.modifiers),
            "start": _iso(self.start),
            "projects": projects,
            "tasks": tasks,
            "people": people,
        }


def _num(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else round(x, 6)


def _iso(d) -> str | None:
    return d.isoformat() if d is not None else None


# --- sampling ------------------------------------------------------------------------------


def model_groups(compiled: Compiled, registry) -> list[tuple]:
    """(duration model, task indices, frame of those tasks) per model the plan uses, by name."""
    models = compiled.tasks["model"].to_list()
    groups = []
    for name in sorted(set(models)):
        idx = np.array([i for i, m in enumerate(models) if m == name], dtype=np.int64)
        groups.append((registry.duration_model(name), idx, compiled.tasks[idx]))
    return groups


class Sampler:
    """Draws one block of trials: efforts, successes and hire arrivals, through the plugins."""

    def __init__(self, compiled: Compiled, registry, modifiers: Sequence[str]):
        self.c = compiled
        self.registry = registry
        self.groups = model_groups(compiled, registry)
        self.success_model = registry.success_model("bernoulli")
        self.modifiers = [(registry.sample_modifier(name), options) for name, options in map(parse_modifier, modifiers)]
        self.doing = np.flatnonzero(compiled.inp.task_fixed == FIXED_DOING)
        self._doing_plan: list[tuple] | None = None
        self.hires = _hire_frame(compiled)
        self.hire_model = registry.duration_model("pert")
        self.unit_hire = compiled.unit_hire
        self.n_tasks = len(compiled.task_ids)

    def block(self, seed: int, b: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        from teamcast.plugins.manager import checked_modify, checked_sample, checked_success
        from teamcast.plugins.records import SampleContext

        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(b,))))
        effort = np.empty((n, self.n_tasks), dtype=np.float64)
        for model, idx, sub in self.groups:
            effort[:, idx] = checked_sample(model, sub, n, rng)
        success = checked_success(self.success_model, self.c.tasks, n, rng)
        arrival = np.zeros((n, len(self.c.unit_ids)), dtype=np.float64)
        if self.hires.height:
            tth = checked_sample(self.hire_model, self.hires, n, rng)
            hired = self.unit_hire >= 0
            arrival[:, hired] = tth[:, self.unit_hire[hired]]
        if len(self.doing):
            effort[:, self.doing] = self._remaining(effort[:, self.doing], rng)
        for mod, options in self.modifiers:
            ctx = SampleContext(
                plan=self.c.plan, tasks=self.c.tasks, doer=self.c.task_doer, first_trial=b * BLOCK, n=n, options=options
            )
            effort = checked_modify(mod, ctx, effort, rng)
        return effort, success, arrival

    def _prepare_remaining(self) -> list[tuple]:
        """Per model, the work in progress it samples: (columns in `doing`, model, rows, F(spent))."""
        from teamcast.plugins.manager import checked_values

        prepared = []
        spent = self.c.elapsed[self.doing]
        for model, idx, sub in self.groups:
            cols = np.flatnonzero(np.isin(self.doing, idx))
            if not len(cols):
                continue
            rows = sub[np.searchsorted(idx, self.doing[cols])]
            f_spent = None
            if model.cdf is not None and model.quantile is not None:
                f_spent = checked_values(model, "cdf", rows, spent[cols][None, :])[0]
            prepared.append((cols, model, rows, f_spent))
        return prepared

    def _remaining(self, drawn: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Remaining effort of work in progress, given the effort already spent.

        With a model that has cdf and quantile: D ~ F conditioned on D > spent, remaining =
        D - spent. Past the end of the estimate (F(spent) = 1), and for models without them,
        teamcast's rule: the remaining effort is as uncertain as the task was at its start,
        D - low, drawn from the same distribution.
        """
        from teamcast.plugins.manager import checked_values

        if self._doing_plan is None:
            self._doing_plan = self._prepare_remaining()
        u = rng.random(drawn.shape)
        spent = self.c.elapsed[self.doing]
        low = np.nan_to_num(self.c.tasks["est_low"].to_numpy()[self.doing])
        out = np.maximum(drawn - low, 0.0)  # the fallback, overwritten where conditioning applies
        for cols, model, rows, f_spent in self._doing_plan:
            if f_spent is None:
                d = drawn[:, cols]
                out[:, cols] = np.where(d > spent[cols], d - spent[cols], out[:, cols])
                continue
            live = f_spent < 1.0 - 1e-12
            if not live.any():
                continue
            q = f_spent + (1.0 - f_spent) * u[:, cols]
            d = checked_values(model, "quantile", rows, q)
            out[:, cols] = np.where(live, np.maximum(d - spent[cols], 0.0), out[:, cols])
        return out


def parse_modifier(spec: str) -> tuple[str, dict[str, str]]:
    """`name` or `name:key=value,key=value` -> (name, options)."""
    name, _, rest = spec.partition(":")
    options: dict[str, str] = {}
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SimulationError(f"modifier {spec!r}: options are key=value pairs separated by commas")
        options[key.strip()] = value.strip()
    return name.strip(), options


# --- re-evaluating work in progress -------------------------------------------------------

def reevaluate(compiled: Compiled, registry) -> pl.DataFrame:
    """P(success) of each task in progress, updated by Bayes' rule for not having finished yet.

    A task that will succeed takes effort D ~ F (its estimate). Work that is going to fail
    gives no sign of it until it is given up, so still running is certain under failure
    (teamcast's assumption). Having spent `e` without finishing therefore has likelihood
    1 - F(e) under success and 1 under failure:
    p' = p (1 - F(e)) / (p (1 - F(e)) + 1 - p). Work well inside its estimate barely moves;
    work past its high estimate drops to 0 (if it is still expected to succeed, the estimate
    is what needs updating).
    """
    from teamcast.plugins.manager import checked_values

    rows = []
    tasks = compiled.tasks
    for t in np.flatnonzero(compiled.inp.task_fixed == FIXED_DOING):
        row = tasks[int(t) : int(t) + 1]
        p = float(row["p_success"][0])
        spent = float(compiled.elapsed[t])
        model = registry.duration_model(row["model"][0])
        updated = p
        if model.cdf is not None and p < 1.0:
            still_running = 1.0 - float(checked_values(model, "cdf", row, np.array([[spent]]))[0, 0])
            updated = p * still_running / (p * still_running + 1.0 - p)
        rows.append({"id": row["id"][0], "p_stated": p, "p_updated": updated, "spent_days": spent})
    schema = pl.Schema({"id": pl.String, "p_stated": pl.Float64, "p_updated": pl.Float64, "spent_days": pl.Float64})
    return pl.DataFrame(rows, schema=schema, orient="row")


def _apply_reevaluation(compiled: Compiled, updates: pl.DataFrame) -> Compiled:
    from dataclasses import replace

    if not updates.height:
        return compiled
    new_p = dict(updates.select("id", "p_updated").iter_rows())
    tasks = compiled.tasks.with_columns(
        p_success=pl.struct("id", "p_success").map_elements(
            lambda r: new_p.get(r["id"], r["p_success"]), return_dtype=pl.Float64
        )
    )
    return replace(compiled, tasks=tasks)


def _hire_frame(compiled: Compiled) -> pl.DataFrame:
    hires = compiled.plan.hires
    rows = [
        {
            "id": h["id"],
            "project": "",
            "est_form": "range",
            "est_low": h["tth_low"],
            "est_likely": h["tth_likely"],
            "est_high": h["tth_high"],
            "model": "pert",
            "p_success": 1.0,
        }
        for h in hires.to_dicts()
    ]
    return frame("tasks", rows)


# --- priority --------------------------------------------------------------------------------


def expected_durations(compiled: Compiled, registry) -> np.ndarray:
    """Expected working days per task (mean effort / capacity of a named person), from the models only."""
    from teamcast.plugins.manager import checked_values

    expected = np.zeros(len(compiled.task_ids))
    for model, idx, rows in model_groups(compiled, registry):
        expected[idx] = checked_values(model, "mean", rows)
    inp = compiled.inp
    named = inp.task_unit >= 0
    expected[named] /= inp.unit_capacity[inp.task_unit[named]]
    doing = inp.task_fixed == FIXED_DOING
    expected[doing] = np.maximum(expected[doing] - compiled.elapsed[doing], 0.0)
    expected[inp.task_fixed >= FIXED_DONE] = 0.0
    return expected


def prioritise(compiled: Compiled, registry, rule_name: str) -> KernelInput:
    """Apply a priority rule once per run; it sees expected durations, never a trial's samples."""
    from dataclasses import replace

    from teamcast.plugins.manager import checked_approach_order, checked_order
    from teamcast.plugins.records import PriorityContext

    rule = registry.priority_rule(rule_name)
    expected = expected_durations(compiled, registry)
    lft = latest_finish_times(compiled.inp, expected)
    p_success = compiled.tasks["p_success"].to_numpy()
    value = compiled.project_value[compiled.inp.task_project]
    ctx = PriorityContext(
        tasks=compiled.tasks, expected=expected, lft=lft, p_success=p_success, value=value,
        challenges=compiled.plan.challenges,
    )
    inp = replace(compiled.inp, prio_order=checked_order(rule, ctx))
    if rule.approach_order is not None:
        inp = _reorder_approaches(inp, checked_approach_order(rule, ctx), compiled)
    return inp


def _reorder_approaches(inp: KernelInput, orders: dict, compiled: Compiled) -> KernelInput:
    """Apply a rule's new order of trying the approaches of sequential challenges."""
    from dataclasses import replace

    chal_tasks = inp.chal_tasks.copy()
    pos = inp.task_approach_pos.copy()
    index = {tid: i for i, tid in enumerate(compiled.task_ids)}
    for c, cid in enumerate(compiled.challenge_ids):
        if cid not in orders:
            continue
        members = [index[t] if isinstance(t, str) else int(t) for t in orders[cid]]
        lo, hi = inp.chal_ptr[c], inp.chal_ptr[c + 1]
        if sorted(members) != sorted(chal_tasks[lo:hi].tolist()):
            raise SimulationError(f"priority rule reordered challenge {cid} with other tasks")
        chal_tasks[lo:hi] = members
        for k, t in enumerate(members):
            pos[t] = k
    return replace(inp, chal_tasks=chal_tasks, task_approach_pos=pos)


# --- the run -----------------------------------------------------------------------------------


def simulate(
    plan: Plan | Compiled,
    *,
    trials: int = 10_000,
    seed: int = 0,
    priority: str | None = None,
    modifiers: Sequence[str] = (),
    threads: int = 1,
    chunk_trials: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: Callable[[], bool] | None = None,
    registry=None,
    executor: str | None = None,
    jobs: int = 1,
    sensitivity: bool = True,
) -> Forecast:
    """Run `trials` Monte Carlo trials of a validated plan and summarise them.

    With `executor` ("local" with `jobs` processes, or "dask://HOST:PORT"), the blocks of
    trials are split into parts that run elsewhere; the parts' aggregates merge exactly, so
    the forecast is identical to a run in this process. `sensitivity=False` skips the
    duration-finish rank correlations (reported as NaN), which sweeps do not use.
    """
    from teamcast.plugins.manager import get_registry

    if trials < 1:
        raise SimulationError(f"trials must be at least 1, got {trials}")
    if seed < 0:
        raise SimulationError(f"seed must be a non-negative integer, got {seed}")
    registry = registry or get_registry()
    run = _Run(plan if isinstance(plan, Compiled) else compile_plan(plan), registry, trials, seed, priority, modifiers)
    n_blocks = -(-trials // BLOCK)
    if executor is None:
        agg = run.blocks(range(n_blocks), threads=threads, chunk_trials=chunk_trials, progress=progress, cancel=cancel)
    else:
        from teamcast.engine.executors import make_executor

        plan_frames = run.compiled.plan
        parts = _split(n_blocks, max(jobs, 1) * 2)
        with make_executor(executor, jobs) as ex:
            partials = ex.map_calls(
                _run_part,
                [(plan_frames, trials, seed, priority, tuple(modifiers), threads, part) for part in parts],
                None if progress is None else lambda done, total: progress(min(done * trials // total, trials), trials),
            )
        agg = _Aggregates.merge(run.compiled, trials, partials)
    forecast = agg.result(seed=seed, priority=run.priority, modifiers=tuple(modifiers), sensitivity=sensitivity)
    forecast.reevaluated = run.updates
    return forecast


def _split(n_blocks: int, parts: int) -> list[range]:
    size = max(1, -(-n_blocks // parts))
    return [range(b, min(b + size, n_blocks)) for b in range(0, n_blocks, size)]


def _run_part(plan, trials, seed, priority, modifiers, threads, blocks) -> _Aggregates:
    """One part of a split run, on a worker: the aggregates of `blocks`, without the plan."""
    from teamcast.plugins.manager import get_registry

    run = _Run(compile_plan(plan), get_registry(), trials, seed, priority, modifiers)
    agg = run.blocks(blocks, threads=threads)
    agg.c = None  # the caller has the plan; do not ship it back
    return agg


class _Run:
    """Everything fixed for a run: the compiled plan after re-evaluation, priorities, the sampler."""

    def __init__(self, compiled: Compiled, registry, trials: int, seed: int, priority, modifiers):
        self.priority = priority or DEFAULT_PRIORITY
        self.updates = reevaluate(compiled, registry)
        self.compiled = _apply_reevaluation(compiled, self.updates)
        self.inp = prioritise(self.compiled, registry, self.priority)
        self.sampler = Sampler(self.compiled, registry, modifiers)
        self.trials = trials
        self.seed = seed

    def blocks(self, blocks: range, *, threads: int = 1, chunk_trials: int | None = None, progress=None, cancel=None):
        """Aggregates over `blocks` (a range of block numbers), run chunk by chunk."""
        if chunk_trials is None:
            chunk_trials = CHUNK_CELLS // max(len(self.compiled.task_ids), 1)
        chunk_blocks = max(1, chunk_trials // BLOCK)
        trials = self.trials
        agg = _Aggregates(self.compiled, trials, blocks)
        for first_block in range(blocks.start, blocks.stop, chunk_blocks):
            if cancel is not None and cancel():
                raise CancelledError("the forecast was cancelled")
            chunk = range(first_block, min(first_block + chunk_blocks, blocks.stop))
            parts = [self.sampler.block(self.seed, b, min(BLOCK, trials - b * BLOCK)) for b in chunk]
            effort, success, arrival = (
                parts[0] if len(parts) == 1 else tuple(np.concatenate([p[i] for p in parts]) for i in range(3))
            )
            out = run_chunk(self.inp, effort, success, arrival, threads=threads)
            agg.add(first_block, out, arrival)
            if progress is not None:
                progress(min(chunk.stop * BLOCK, trials), trials)
        return agg


class _Aggregates:
    """What a run keeps of its trials, for a range of blocks, in trial order.

    Integer counts add exactly; float sums are kept per block and added in block order at the
    end, and per-trial arrays are stored at their trial's position, so the result does not
    depend on the chunk size, the thread count or how the blocks were split between workers.
    """

    def __init__(self, compiled: Compiled | None, trials: int, blocks: range | None = None):
        self.c = compiled
        self.trials = trials
        blocks = blocks if blocks is not None else range(-(-trials // BLOCK))
        self.first = blocks.start * BLOCK  # first trial of this part
        self.count = min(blocks.stop * BLOCK, trials) - self.first
        n_tasks, n_projects, n_units = len(compiled.task_ids), len(compiled.project_ids), len(compiled.unit_ids)
        self.keep = max(0, kept_trials(trials, n_tasks) - self.first)
        self.keep = min(self.keep, self.count)
        self.ran = np.zeros(n_tasks, dtype=np.int64)
        self.succeeded = np.zeros(n_tasks, dtype=np.int64)
        self.critical = np.zeros(n_tasks, dtype=np.int64)
        self.busy = np.zeros((len(blocks), n_units))  # per block
        self.available = np.zeros((len(blocks), n_units))
        self.proj_finish = np.full((self.count, n_projects), np.nan)
        self.proj_success = np.zeros((self.count, n_projects), dtype=bool)
        self.kept_finish = np.full((self.keep, n_tasks), np.nan, dtype=np.float32)
        self.kept_duration = np.full((self.keep, n_tasks), np.nan, dtype=np.float32)
        self.kept_success = np.zeros((self.keep, n_tasks), dtype=bool)

    def add(self, first_block: int, out, arrival: np.ndarray) -> None:
        n = out.state.shape[0]
        at = first_block * BLOCK - self.first  # row of this chunk's first trial in this part
        self.ran += (out.state != STATE_NOT_RUN).sum(axis=0)
        self.succeeded += (out.state == STATE_SUCCEEDED).sum(axis=0)
        self.critical += out.critical.sum(axis=0, dtype=np.int64)
        makespan = np.nanmax(np.where(np.isnan(out.finish), -np.inf, out.finish), axis=1, initial=0.0)
        makespan = np.maximum(makespan, 0.0)
        available = np.maximum(makespan[:, None] - arrival, 0.0)
        for k, row in enumerate(range(0, n, BLOCK)):
            b = at // BLOCK + k
            self.busy[b] = out.busy[row : row + BLOCK].sum(axis=0)
            self.available[b] = available[row : row + BLOCK].sum(axis=0)
        self.proj_finish[at : at + n] = np.where(out.proj_success.astype(bool), out.proj_finish, np.nan)
        self.proj_success[at : at + n] = out.proj_success.astype(bool)
        if at < self.keep:
            k = min(n, self.keep - at)
            self.kept_finish[at : at + k] = out.finish[:k]
            self.kept_duration[at : at + k] = out.finish[:k] - out.start[:k]
            self.kept_success[at : at + k] = out.state[:k] == STATE_SUCCEEDED

    @classmethod
    def merge(cls, compiled: Compiled, trials: int, parts: Sequence[_Aggregates]) -> _Aggregates:
        """One whole-run aggregate from parts covering consecutive block ranges."""
        parts = sorted(parts, key=lambda p: p.first)
        whole = cls(compiled, trials)
        for part in parts:
            whole.ran += part.ran
            whole.succeeded += part.succeeded
            whole.critical += part.critical
            b = part.first // BLOCK
            whole.busy[b : b + len(part.busy)] = part.busy
            whole.available[b : b + len(part.available)] = part.available
            whole.proj_finish[part.first : part.first + part.count] = part.proj_finish
            whole.proj_success[part.first : part.first + part.count] = part.proj_success
            if part.keep:
                whole.kept_finish[part.first : part.first + part.keep] = part.kept_finish
                whole.kept_duration[part.first : part.first + part.keep] = part.kept_duration
                whole.kept_success[part.first : part.first + part.keep] = part.kept_success
        return whole

    def result(self, *, seed: int, priority: str, modifiers: tuple[str, ...], sensitivity: bool = True) -> Forecast:
        c = self.c
        cal = c.calendar
        trials = self.trials
        plan = c.plan
        project_rows = plan.projects.to_dicts()

        # Projects.
        rows = []
        for p, pid in enumerate(c.project_ids):
            ok = self.proj_success[:, p]
            fin = self.proj_finish[ok, p]
            q = np.percentile(fin, PERCENTILES) if fin.size else [np.nan] * len(PERCENTILES)
            deadline = c.project_deadline[p]
            on_time = float(np.mean(ok & (self.proj_finish[:, p] <= deadline))) if not np.isnan(deadline) else np.nan
            p_success = float(ok.mean())
            rows.append(
                {
                    "id": pid,
                    "name": project_rows[p]["name"] or pid,
                    "p_success": p_success,
                    "p_on_time": on_time,
                    "p50": float(q[0]),
                    "p80": float(q[1]),
                    "p95": float(q[2]),
                    "mean": float(fin.mean()) if fin.size else np.nan,
                    "date_p50": _date(cal, q[0]),
                    "date_p80": _date(cal, q[1]),
                    "date_p95": _date(cal, q[2]),
                    "deadline": project_rows[p]["deadline"],
                    "value": float(c.project_value[p]),
                    "expected_value": float(c.project_value[p] * p_success),
                }
            )
        projects = _result_frame(rows, _PROJECT_RESULT_SCHEMA)

        # Tasks (percentiles and sensitivity from the first kept_trials(...) trials).
        finish = np.where(self.kept_success, self.kept_finish, np.float32(np.nan))
        task_q = column_percentiles(finish, PERCENTILES) if finish.size else None
        if sensitivity:
            sensitivity = _sensitivity(self.kept_duration, self.proj_finish[: self.keep], c.inp.task_project)
        else:
            sensitivity = np.full(len(c.task_ids), np.nan)
        inp = c.inp
        task_rows = []
        for t, tid in enumerate(c.task_ids):
            fixed = inp.task_fixed[t] >= FIXED_DONE
            task_rows.append(
                {
                    "id": tid,
                    "project": c.tasks["project"][t],
                    "p_run": self.ran[t] / trials,
                    "p_success": self.succeeded[t] / trials,
                    "p50": float(task_q[0][t]) if task_q is not None else np.nan,
                    "p80": float(task_q[1][t]) if task_q is not None else np.nan,
                    "p95": float(task_q[2][t]) if task_q is not None else np.nan,
                    "criticality": 0.0 if fixed else self.critical[t] / trials,
                    "sensitivity": 0.0 if fixed else float(sensitivity[t]),
                }
            )
        tasks = _result_frame(task_rows, _TASK_RESULT_SCHEMA)

        # People (and hires): busy time over the time they were there, per trial, pooled.
        busy, available_time = self.busy.sum(axis=0), self.available.sum(axis=0)
        unit_ids = c.unit_ids
        person_ids = set(plan.people["id"].to_list()) | set(plan.hires["id"].to_list())
        people_rows = []
        for u, uid in enumerate(unit_ids):
            if uid not in person_ids:
                continue
            available = available_time[u]
            people_rows.append(
                {
                    "id": uid,
                    "utilization": busy[u] / available if available > 0 else 0.0,
                    "busy_days": busy[u] / trials,
                }
            )
        people = _result_frame(people_rows, _PEOPLE_RESULT_SCHEMA)
        return Forecast(
            plan_name=plan.name,
            trials=trials,
            seed=seed,
            priority=priority,
            modifiers=modifiers,
            projects=projects,
            tasks=tasks,
            people=people,
            project_finish=self.proj_finish,
            start=plan.start,
        )


_PROJECT_RESULT_SCHEMA = pl.Schema(
    {
        "id": pl.String,
        "name": pl.String,
        "p_success": pl.Float64,
        "p_on_time": pl.Float64,
        "p50": pl.Float64,
        "p80": pl.Float64,
        "p95": pl.Float64,
        "mean": pl.Float64,
        "date_p50": pl.Date,
        "date_p80": pl.Date,
        "date_p95": pl.Date,
        "deadline": pl.Date,
        "value": pl.Float64,
        "expected_value": pl.Float64,
    }
)
_TASK_RESULT_SCHEMA = pl.Schema(
    {
        "id": pl.String,
        "project": pl.String,
        "p_run": pl.Float64,
        "p_success": pl.Float64,
        "p50": pl.Float64,
        "p80": pl.Float64,
        "p95": pl.Float64,
        "criticality": pl.Float64,
        "sensitivity": pl.Float64,
    }
)
_PEOPLE_RESULT_SCHEMA = pl.Schema({"id": pl.String, "utilization": pl.Float64, "busy_days": pl.Float64})


def _result_frame(rows: list[dict], schema: pl.Schema) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def _date(calendar, days: float):
    if days is None or np.isnan(days):
        return None
    return calendar.finish_date(float(days))


def column_percentiles(values: np.ndarray, percentiles: Sequence[float]) -> np.ndarray:
    """np.nanpercentile(values, percentiles, axis=0) (linear interpolation), vectorised over columns.

    One sort of the whole block (NaN sorts last) instead of a Python-level loop per column.
    """
    ordered = np.sort(values, axis=0)
    count = (~np.isnan(values)).sum(axis=0)
    out = np.full((len(percentiles), values.shape[1]), np.nan)
    cols = np.flatnonzero(count > 0)
    if not len(cols):
        return out
    for i, q in enumerate(percentiles):
        pos = (count[cols] - 1) * (q / 100.0)
        lo = np.floor(pos).astype(np.intp)
        hi = np.minimum(lo + 1, count[cols] - 1)
        frac = pos - lo
        a, b = ordered[lo, cols].astype(np.float64), ordered[hi, cols].astype(np.float64)
        out[i, cols] = a + (b - a) * frac
    return out


def _sensitivity(duration: np.ndarray, proj_finish: np.ndarray, task_project: np.ndarray) -> np.ndarray:
    """Spearman rank correlation of each task's duration with its project's finish.

    Over the first SENSITIVITY_TRIALS trials in which the project succeeded; a task that did
    not run in a trial counts as taking no time. Ties get average ranks, so a task of fixed
    length has no sensitivity.
    """
    from scipy.stats import rankdata

    n_tasks = duration.shape[1]
    result = np.zeros(n_tasks)
    duration = np.nan_to_num(duration[:SENSITIVITY_TRIALS].astype(np.float64), nan=0.0)
    proj_finish = proj_finish[:SENSITIVITY_TRIALS]
    for p in range(proj_finish.shape[1]):
        ok = ~np.isnan(proj_finish[:, p])
        cols = np.flatnonzero(task_project == p)
        if ok.sum() < 3 or not len(cols):
            continue
        x = rankdata(duration[np.ix_(ok, cols)], axis=0)
        y = rankdata(proj_finish[ok, p])
        x -= x.mean(axis=0)
        y -= y.mean()
        sx = np.sqrt((x * x).mean(axis=0))
        sy = np.sqrt((y * y).mean())
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (x * y[:, None]).mean(axis=0) / (sx * sy)
        result[cols] = np.where((sx > 0) & (sy > 0), r, 0.0)
    return result


# --- one schedule ------------------------------------------------------------------------------


def deterministic_schedule(plan: Plan | Compiled, *, priority: str = DEFAULT_PRIORITY, registry=None) -> pl.DataFrame:
    """One schedule with every duration at its point value, every task succeeding, hires at their likely day.

    Columns: task, project, start, finish (working days), start_date, finish_date, who (units held).
    """
    from teamcast.plugins.manager import checked_values, get_registry

    registry = registry or get_registry()
    compiled = plan if isinstance(plan, Compiled) else compile_plan(plan)
    inp = prioritise(compiled, registry, priority)
    effort = np.zeros((1, len(compiled.task_ids)))
    for model, idx, rows in model_groups(compiled, registry):
        effort[0, idx] = checked_values(model, "point", rows) if model.point is not None else rows["est_likely"].to_numpy()
    doing = inp.task_fixed == FIXED_DOING
    effort[0, doing] = np.maximum(effort[0, doing] - compiled.elapsed[doing], 0.0)
    success = np.ones_like(effort, dtype=np.uint8)
    arrival = np.zeros((1, len(compiled.unit_ids)))
    hired = compiled.unit_hire >= 0
    arrival[0, hired] = compiled.plan.hires["tth_likely"].to_numpy()[compiled.unit_hire[hired]]
    out = run_chunk(inp, effort, success, arrival, threads=1)
    who = assign_units(inp, out.start[0], out.finish[0], out.state[0], arrival[0])
    cal = compiled.calendar
    done_by = compiled.tasks["done_by"].to_list()
    rows = []
    for t, tid in enumerate(compiled.task_ids):
        if out.state[0, t] == STATE_NOT_RUN:
            continue
        start, finish = float(out.start[0, t]), float(out.finish[0, t])
        rows.append(
            {
                "task": tid,
                "project": compiled.tasks["project"][t],
                "start": start,
                "finish": finish,
                "start_date": cal.day_to_date(start),
                "finish_date": cal.finish_date(finish),
                # Done and failed work held no one in the simulation; say who did it.
                "who": [compiled.unit_ids[u] for u in who[t]] or ([by] if (by := done_by[t]) else []),
            }
        )
    schema = pl.Schema(
        {
            "task": pl.String,
            "project": pl.String,
            "start": pl.Float64,
            "finish": pl.Float64,
            "start_date": pl.Date,
            "finish_date": pl.Date,
            "who": pl.List(pl.String),
        }
    )
    return pl.DataFrame(rows, schema=schema, orient="row").sort(["start", "task"], maintain_order=True)


def assign_units(inp: KernelInput, start: np.ndarray, finish: np.ndarray, state: np.ndarray, arrival: np.ndarray) -> list[list[int]]:
    """Which units each task of one trial held, replaying the kernel's unit rule (docs/simulation.md, step 4).

    The kernel reports times only; the units follow from them because the rule is
    deterministic: at each start time, completions free their units first, then tasks take
    the lowest free units in the order the dispatch started them (work in progress first,
    then priority order).
    """
    n_tasks = inp.n_tasks
    rank = np.empty(n_tasks, dtype=np.int64)
    rank[inp.prio_order] = np.arange(n_tasks)
    started = [t for t in range(n_tasks) if not np.isnan(start[t]) and inp.task_fixed[t] < FIXED_DONE]
    started.sort(key=lambda t: (start[t], 0 if inp.task_fixed[t] == FIXED_DOING else 1, rank[t]))
    held_until = np.full(inp.n_units, -np.inf)
    held_from = np.full(inp.n_units, -np.inf)
    who: list[list[int]] = [[] for _ in range(n_tasks)]
    for t in started:
        s = start[t]
        taken: list[int] = []
        if inp.task_unit[t] >= 0:
            taken.append(int(inp.task_unit[t]))
        for d in range(inp.dem_ptr[t], inp.dem_ptr[t + 1]):
            pool, count = inp.dem_pool[d], inp.dem_count[d]
            members = inp.pool_units[inp.pool_ptr[pool] : inp.pool_ptr[pool + 1]]
            free = [int(u) for u in members if _free(u, s, held_until, held_from, arrival) and int(u) not in taken]
            taken.extend(free[:count])
        for u in taken:
            held_until[u] = finish[t]
            held_from[u] = s
        who[t] = taken
    return who


def _free(u, s, held_until, held_from, arrival) -> bool:
    # A unit taken at this very instant is busy even if its task takes no time.
    return arrival[u] <= s and (held_until[u] < s or (held_until[u] == s and held_from[u] < s))
