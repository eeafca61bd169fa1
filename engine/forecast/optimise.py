"""The plan optimiser: search priority orders (and approach orders) for the best objective.

Every candidate is scored on the same fixed block of sampled futures (common random
numbers): the plan is compiled and sampled once, and each candidate only swaps the kernel's
`prio_order` (and, when asked, a challenge's `chal_tasks`). Differences between two
candidates are therefore paired, and the report gives a confidence interval of the
difference, in sample and on fresh seeds (out of sample), so that an improvement within
the Monte Carlo noise is never called one. The searches themselves are plugins
(`register_searches`; built-ins in teamcast.plugins.searches). With `--deterministic` a
candidate is scheduled by the serial scheme when the plan fits it (optimise_serial), and a
candidate may also change hire order and strategies (optimise_space). Candidates race the
incumbent on growing slices of the futures and orders identical in effect share one score
(optimise_race).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from teamcast.engine.forecast.compile import Compiled, compile_plan, latest_finish_times
from teamcast.engine.forecast.optimise_race import DROP, TIE, EffectKey, race_verdict, stages
from teamcast.engine.forecast.optimise_report import Comparison, OptimiseResult, changes, compare
from teamcast.engine.forecast.optimise_serial import serial_table
from teamcast.engine.forecast.optimise_space import SearchSpace
from teamcast.engine.forecast.priorities import DEFAULT_PRIORITY, expected_durations, prioritise
from teamcast.engine.forecast.progress import apply_reevaluation, reevaluate
from teamcast.engine.forecast.sampling import BLOCK, Sampler
from teamcast.engine.forecast.schedule import point_sample
from teamcast.engine.plan.model import Plan
from teamcast.errors import SimulationError, UsageError
from teamcast.ext.kernel import (
    KernelInput,
    KernelOutput,
    ProjectOutput,
    check_input,
    run_chunk,
    run_projects,
)
from teamcast.ext.serial import by_start

DEFAULT_SEARCHES = ("rbrs", "local")
OUT_OF_SAMPLE_BLOCK = 1 << 20  # fresh random streams: block numbers no in-sample run reaches

ProgressCallback = Callable[[int, int, float], None]


@dataclass(frozen=True)
class Objective:
    """What the optimiser maximises (or, for makespan, minimises), per trial then summarised."""

    name: str
    description: str
    stat: str  # "mean" or "median" of the per-trial values
    maximise: bool
    unit: str


OBJECTIVES = {
    o.name: o
    for o in (
        Objective(
            "on_time_value",
            "sum over projects of value x P(project done and successful by its deadline; no deadline: successful)",
            "mean",
            True,
            "value",
        ),
        Objective("expected_value", "sum over projects of value x P(project successful)", "mean", True, "value"),
        Objective(
            "p_all_on_time",
            "P(every project done and successful by its deadline; no deadline: successful)",
            "mean",
            True,
            "probability",
        ),
        Objective(
            "makespan",
            "P50 of the working day the last task finishes (elapsed, successful or not)",
            "median",
            False,
            "working days",
        ),
    )
}


def per_trial(
    objective: Objective, out: KernelOutput | ProjectOutput, value: np.ndarray, deadline: np.ndarray
) -> np.ndarray:
    """The objective's value in each trial (before the mean or median over trials)."""
    finish = np.nan_to_num(out.proj_finish, nan=0.0)  # NaN: no task of the project ran
    if objective.name == "makespan":
        return finish.max(axis=1) if finish.shape[1] else np.zeros(finish.shape[0])
    ok = out.proj_success.astype(bool)
    if objective.name == "expected_value":
        return (ok * value).sum(axis=1)
    with np.errstate(invalid="ignore"):
        on_time = ok & (np.isnan(deadline) | (finish <= deadline))
    if objective.name == "p_all_on_time":
        return on_time.all(axis=1).astype(np.float64)
    return (on_time * value).sum(axis=1)


class Optimiser:
    """A compiled plan, one fixed block of sampled futures, and the best candidate found on it."""

    def __init__(
        self,
        plan: Plan | Compiled,
        *,
        objective: str = "on_time_value",
        trials: int = 1000,
        seed: int = 0,
        deterministic: bool = False,
        priority: str | None = None,
        approaches: bool = False,
        registry=None,
        race: bool = True,
        scheme: str | None = None,
        hires: bool = False,
        strategy: bool = False,
        hiring_slots: int = 1,
    ):
        from teamcast.plugins.manager import get_registry

        if objective not in OBJECTIVES:
            raise UsageError(f"unknown objective '{objective}' (known: {', '.join(OBJECTIVES)})")
        if trials < 1:
            raise SimulationError(f"trials must be at least 1, got {trials}")
        self.registry = registry or get_registry()
        self.objective = OBJECTIVES[objective]
        self.deterministic = deterministic
        self.seed = seed
        self.priority = priority or DEFAULT_PRIORITY
        compiled = plan if isinstance(plan, Compiled) else compile_plan(plan)
        # Like `simulate`: work in progress re-evaluated first, so the baseline is its forecast.
        self.compiled = apply_reevaluation(compiled, reevaluate(compiled, self.registry))
        self.base = prioritise(self.compiled, self.registry, self.priority)
        check_input(self.base)  # once: candidates change only orders, checked as they come
        self.value = self.compiled.project_value
        self.deadline = self.compiled.project_deadline
        self.space = SearchSpace.build(
            self.compiled, self.base, approaches=approaches, strategy=strategy, hires=hires, slots=hiring_slots
        )
        self.serial = None
        self.serial_unfit = ""  # why the serial scheme was not used, when it was not
        if deterministic:
            self.samples = point_sample(self.compiled, self.registry)
            self.sampler = None
            self.serial = self._serial_scheme(scheme)
            if self.serial is not None:
                # The default rule's schedule listed by start time: the serial scheme reproduces
                # it exactly (it is non-delay), so the baseline stays `teamcast schedule`'s.
                start = run_chunk(self.base, *self.samples).start[0]
                self.base = replace(self.base, prio_order=by_start(start, self.base.prio_order))
        elif scheme == "serial":
            raise UsageError("--scheme serial needs --deterministic (one future of point estimates)")
        else:
            self.sampler = Sampler(self.compiled, self.registry, ())
            self.samples = self._draw(0, trials)
        self.trials = self.samples[0].shape[0]
        # Racing and keys by effect are for the kernel's dispatch; a serial schedule is one cheap run.
        self.race = race and self.serial is None and self.trials > 1
        self.effect_key = EffectKey(self.base) if self.serial is None else None
        self.searchable = self.space.approaches
        self._cache: dict[bytes, tuple[float, bool]] = {}  # key -> (score, scored on every trial)
        self.proposals = 0  # candidates decided, repeats included: what a search's budget counts
        self.evaluations = 0  # distinct candidates decided (raced or in full)
        self.full_evaluations = 0  # candidates scored on every trial
        self.dropped = 0  # left the race early: cannot plausibly beat the incumbent
        self.tied = 0  # left the race early: identical to the incumbent on the leading futures
        self.repeats = 0  # answered from the cache: the same order, or one identical in effect
        self.candidate_trials = 0  # futures simulated for candidates, all told
        self._best: tuple | None = None  # (score, per-trial values on every trial, candidate)

    # --- sampling and scoring ------------------------------------------------------------
    def _draw(self, first_block: int, trials: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        assert self.sampler is not None
        sizes = [min(BLOCK, trials - b * BLOCK) for b in range(-(-trials // BLOCK))]
        return self.sampler.blocks(self.seed, first_block, sizes)

    def _serial_scheme(self, scheme: str | None):
        """The serial scheme for this deterministic future: by default when the plan fits it."""
        from teamcast.engine.forecast.optimise_serial import SerialScheme, serial_problem

        if scheme not in (None, "serial", "parallel"):
            raise UsageError(f"unknown scheme '{scheme}' (known: serial, parallel)")
        if scheme == "parallel":
            return None
        if self.space.hires or self.space.strategies:
            why = "the hire order or a challenge's strategy is searched"
            if scheme == "serial":
                raise UsageError(f"--scheme serial does not fit this search: {why}")
            self.serial_unfit = why
            return None
        problem = serial_problem(self.base, self.samples[0][0], self.samples[2][0])
        if isinstance(problem, str):
            if scheme == "serial":
                raise UsageError(f"--scheme serial does not fit this plan: {problem}")
            self.serial_unfit = problem
            return None
        return SerialScheme(self.base, problem)

    def kernel_input(self, candidate) -> KernelInput:
        """The base kernel input with the candidate's priority order, approach orders and strategies."""
        # A shallow copy with the order set: `replace` would convert and freeze every array
        # again, a tenth of a fast candidate's time; the order is the one field that changes.
        inp = copy.copy(self.base)
        object.__setattr__(inp, "prio_order", np.ascontiguousarray(candidate.order, dtype=np.int32))
        return self.space.kernel_input(inp, candidate)

    def values(self, candidate, samples=None) -> np.ndarray:
        """Per-trial objective values of a candidate on `samples` (default: the fixed block)."""
        if self.serial is not None and samples is None:  # one future (deterministic)
            return per_trial(self.objective, self.serial.output(candidate.order), self.value, self.deadline)
        effort, success, arrival = self.samples if samples is None else samples
        arrival = self.space.arrivals(arrival, candidate.hires)
        # Objectives read only the projects' finish and success: the kernel's cheaper call. The
        # base input was checked once; a candidate changes only orders and strategies, which
        # `evaluate` and `kernel_input` check.
        out = run_projects(self.kernel_input(candidate), effort, success, arrival, check=False)
        return per_trial(self.objective, out, self.value, self.deadline)

    def summary(self, values: np.ndarray) -> float:
        """The objective (mean or median over trials) in its own units."""
        return float(np.median(values) if self.objective.stat == "median" else np.mean(values))

    def score(self, values: np.ndarray) -> float:
        """Higher is better, whatever the objective's direction."""
        s = self.summary(values)
        return s if self.objective.maximise else -s

    def evaluate(self, candidate) -> float:
        """Score a candidate on the fixed futures and keep it if it is the best so far.

        With racing, a candidate that cannot plausibly beat the best, or equals it on the
        leading futures, is decided there (optimise_race) and its score is an estimate below
        or at the best's; only a candidate scored on every future can become the best.
        """
        return self.decide(candidate)[0]

    def decide(self, candidate, *, ties: bool = True) -> tuple[float, np.ndarray | None]:
        """The candidate's score and, when it was run on every future now, its per-trial values.

        `ties=False` runs a candidate equal to the best on the leading futures to the end
        (a tie must be exact for `simplify` to keep it).
        """
        order = np.ascontiguousarray(candidate.order, dtype=np.int32)
        if order.shape != (self.base.n_tasks,) or not np.array_equal(np.sort(order), np.arange(self.base.n_tasks)):
            raise SimulationError("a search proposed an order that is not a permutation of the task indices")
        candidate = type(candidate)(
            order,
            {int(c): tuple(int(t) for t in m) for c, m in candidate.approaches.items()},
            tuple(int(h) for h in candidate.hires),
            {int(c): int(v) for c, v in candidate.strategies.items()},
        )
        key = (b"o" + order.tobytes() if self.effect_key is None else self.effect_key(order)) + repr(
            (sorted(candidate.approaches.items()), candidate.hires, sorted(candidate.strategies.items()))
        ).encode()
        self.proposals += 1
        hit = self._cache.get(key)
        if hit is not None and (hit[1] or ties):
            self.repeats += 1
            return hit[0], None
        if hit is None:
            self.evaluations += 1
        if self.race and self._best is not None:
            values = self._race(candidate, ties)
        else:
            values = self.values(candidate)
            self.candidate_trials += self.trials
        if isinstance(values, float):  # decided early
            self._cache[key] = (values, False)
            return values, None
        self.full_evaluations += 1
        score = self.score(values)
        if self._best is None or score > self._best[0]:
            self._best = (score, values, candidate)
        self._cache[key] = (score, True)
        return score, values

    def _race(self, candidate, ties: bool) -> np.ndarray | float:
        """Run the candidate stage by stage against the incumbent: its values on every future,
        or its estimated score when it leaves the race early."""
        assert self._best is not None
        best_score, best_values = self._best[0], self._best[1]
        sign = 1.0 if self.objective.maximise else -1.0
        median = None if self.objective.stat == "mean" else sign * self.summary(best_values)
        inp = self.kernel_input(candidate)
        effort, success, arrival = self.samples
        arrival = self.space.arrivals(arrival, candidate.hires)
        parts: list[np.ndarray] = []
        done = 0
        for m in stages(self.trials):
            out = run_projects(inp, effort[done:m], success[done:m], arrival[done:m], check=False)
            parts.append(per_trial(self.objective, out, self.value, self.deadline))
            self.candidate_trials += m - done
            done = m
            if m == self.trials:
                break
            mine = sign * np.concatenate(parts)
            verdict = race_verdict(mine, sign * best_values[:m], self.trials, median=median)
            if verdict == DROP:
                self.dropped += 1
                below = float(np.nextafter(best_score, -np.inf))
                if median is not None:
                    return below
                return min(below, best_score + float(np.mean(mine - sign * best_values[:m])))
            if verdict == TIE and ties:
                self.tied += 1
                return best_score
        return np.concatenate(parts)

    # --- the search ----------------------------------------------------------------------
    def default_candidate(self):
        from teamcast.plugins.records import Candidate as PluginCandidate

        return PluginCandidate(self.base.prio_order.copy(), {})

    def run(
        self,
        *,
        passes: int = 200,
        searches: Sequence[str] = DEFAULT_SEARCHES,
        time_limit: float | None = None,
        cancel: Callable[[], bool] | None = None,
        progress: ProgressCallback | None = None,
        out_of_sample_trials: int | None = None,
    ) -> OptimiseResult:
        """Run each search with a budget of `passes` candidates; Ctrl-C or `cancel` keeps the best so far."""
        from teamcast.plugins.manager import checked_search
        from teamcast.plugins.records import SearchContext

        if passes < 0:
            raise UsageError(f"--passes must be at least 0, got {passes}")
        methods = [self.registry.search(name) for name in searches]
        started = time.monotonic()
        baseline = self.default_candidate()
        self.evaluate(baseline)
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(OUT_OF_SAMPLE_BLOCK - 1,)))
        expected = expected_durations(self.compiled, self.registry)
        lft = latest_finish_times(self.base, expected)
        rank = np.empty(self.base.n_tasks)
        rank[self.base.prio_order] = np.arange(self.base.n_tasks)[::-1]
        stop = {"why": "budget"}
        total = passes * len(methods)
        last_shown = [0.0]

        def limit_reached() -> bool:
            if cancel is not None and cancel():
                stop["why"] = "cancelled"
            elif time_limit is not None and time.monotonic() - started > time_limit:
                stop["why"] = "time limit"
            else:
                return False
            return True

        def show() -> None:
            now = time.monotonic()
            if progress is not None and now - last_shown[0] > 0.25:
                last_shown[0] = now
                assert self._best is not None
                best = self._best[0] if self.objective.maximise else -self._best[0]
                progress(min(self.proposals - 1, total), total, best)

        try:
            for k, method in enumerate(methods):
                budget_end = self.proposals + passes

                def stopped(end: int = budget_end) -> bool:
                    show()
                    return self.proposals >= end or limit_reached()

                ctx = SearchContext(
                    n_tasks=self.base.n_tasks,
                    budget=passes,
                    priorities=[rank, -lft],
                    lft=lft,
                    preds=self._task_preds(),
                    challenges=dict(self.searchable),
                    rng=np.random.default_rng(
                        np.random.SeedSequence(self.seed, spawn_key=(OUT_OF_SAMPLE_BLOCK - 2, k))
                    ),
                    evaluate=self.evaluate,
                    stopped=stopped,
                    best=lambda: self._best[2],  # type: ignore[index]
                    best_score=lambda: self._best[0],  # type: ignore[index]
                    deterministic=self.deterministic,
                    justify=None if self.serial is None else self.serial.justify,
                    hires=self.space.hires,
                    strategies=self.space.strategies,
                )
                checked_search(method, ctx)
                if stop["why"] != "budget":
                    break
            if stop["why"] == "budget":
                self.simplify(limit_reached)
        except KeyboardInterrupt:
            stop["why"] = "cancelled"
        seconds = time.monotonic() - started
        assert self._best is not None
        best = self._best[2]
        in_sample = compare(self, baseline, best, None, rng)
        out_of_sample = None
        if not self.deterministic:
            n = out_of_sample_trials or max(4 * self.trials, 4000)
            out_of_sample = compare(self, baseline, best, self._draw(OUT_OF_SAMPLE_BLOCK, n), rng)
        return OptimiseResult(
            objective=self.objective,
            deterministic=self.deterministic,
            trials=self.trials,
            seed=self.seed,
            priority=self.priority,
            searches=tuple(searches),
            in_sample=in_sample,
            out_of_sample=out_of_sample,
            order=[self.compiled.task_ids[t] for t in best.order],
            order_index=[int(t) for t in best.order],
            approaches={
                self.compiled.challenge_ids[c]: [self.compiled.task_ids[t] for t in members]
                for c, members in best.approaches.items()
                if tuple(members) != self.searchable.get(c)
            },
            changes=changes(self.compiled, self.base, best) | self.space.changes(best),
            hire_order=self.space.hire_order(best),
            hiring_slots=self.space.slots if self.space.hires else None,
            strategies=self.space.strategy_names(best),
            evaluations=self.evaluations,
            full_evaluations=self.full_evaluations,
            proposals=self.proposals,
            race=self.race,
            dropped=self.dropped,
            tied=self.tied,
            repeats=self.repeats,
            candidate_trials=self.candidate_trials,
            seconds=seconds,
            stopped_by=stop["why"],
            schedule=None if self.serial is None else serial_table(self.compiled, self.serial, best.order),
            scheme="parallel" if self.serial is None else "serial",
            scheme_note=self.serial_unfit,
            dispatched_best=None if self.serial is None else self.dispatched(best),
            schedules=self.full_evaluations if self.serial is None else self.serial.schedules,
        )

    def dispatched(self, candidate) -> float:
        """The objective of the candidate's order dispatched by the kernel, as `simulate` would
        (in parallel: nobody waits), on the same future; differs from the serial figure where
        the serial schedule has someone wait for higher-priority work."""
        effort, success, arrival = self.samples
        out = run_chunk(self.kernel_input(candidate), effort, success, self.space.arrivals(arrival, candidate.hires))
        return self.summary(per_trial(self.objective, out, self.value, self.deadline))

    def simplify(self, stop: Callable[[], bool]) -> None:
        """Undo what made no difference: moved tasks, then a changed hire order and strategies."""
        self._restore_tasks(stop)
        assert self._best is not None
        keys: list[int | None] = [None] if self._best[2].hires else []
        keys += list(self._best[2].strategies)
        for k in keys:  # None: the plan's hire order; k: challenge k's strategy as in the plan
            if stop():
                return
            best_score, _, best = self._best
            if k is None:
                candidate = replace(best, hires=())
            else:
                candidate = replace(best, strategies={c: v for c, v in best.strategies.items() if c != k})
            self._keep_if_as_good(candidate, best_score, best)

    def _keep_if_as_good(self, candidate, best_score: float, best) -> None:
        """Make `candidate` the best if, scored on every future, it does as well as `best` (still the best)."""
        score, values = self.decide(candidate, ties=False)
        assert self._best is not None
        if score >= best_score and self._best[2] is best:
            if values is None:  # a repeat of a candidate scored in full: its values were not kept
                values = self.values(candidate)
            self._best = (score, values, candidate)

    def _restore_tasks(self, stop: Callable[[], bool]) -> None:
        """Put moved tasks back where the default order had them when that scores as well.

        A search moves many tasks whose place never mattered; each one put back (on the same
        futures, no worse) is one change fewer to explain. One pass, one candidate per task.
        """
        assert self._best is not None
        default_rank = np.empty(self.base.n_tasks, dtype=np.int64)
        default_rank[self.base.prio_order] = np.arange(self.base.n_tasks)
        for entry in changes(self.compiled, self.base, self._best[2])["tasks_moved"]:
            if stop():
                return
            best_score, _, best = self._best
            t = self.compiled.task_ids.index(entry["task"])
            rest = best.order[best.order != t]
            later = np.flatnonzero(default_rank[rest] > default_rank[t])
            at = int(later[0]) if len(later) else len(rest)
            candidate = replace(best, order=np.insert(rest, at, t).astype(np.int32))
            self._keep_if_as_good(candidate, best_score, best)

    def _task_preds(self) -> list[list[int]]:
        """Each task's task predecessors; a challenge predecessor stands for its approaches."""
        inp = self.base
        n = inp.n_tasks
        preds: list[list[int]] = []
        for t in range(n):
            found: list[int] = []
            for p in inp.pred_idx[inp.pred_ptr[t] : inp.pred_ptr[t + 1]]:
                if p < n:
                    found.append(int(p))
                else:
                    c = int(p) - n
                    found += [int(a) for a in inp.chal_tasks[inp.chal_ptr[c] : inp.chal_ptr[c + 1]]]
            preds.append(sorted(set(found)))
        return preds


def optimise(
    plan: Plan | Compiled,
    *,
    objective: str = "on_time_value",
    passes: int = 200,
    trials: int = 1000,
    seed: int = 0,
    deterministic: bool = False,
    priority: str | None = None,
    approaches: bool = False,
    hires: bool = False,
    strategy: bool = False,
    hiring_slots: int = 1,
    searches: Sequence[str] = DEFAULT_SEARCHES,
    time_limit: float | None = None,
    cancel: Callable[[], bool] | None = None,
    progress: ProgressCallback | None = None,
    registry=None,
    scheme: str | None = None,
    race: bool = True,
) -> OptimiseResult:
    """Search priority orders of a validated plan for the best `objective` (see `Optimiser`)."""
    return Optimiser(
        plan,
        objective=objective,
        trials=trials,
        seed=seed,
        deterministic=deterministic,
        priority=priority,
        approaches=approaches,
        registry=registry,
        scheme=scheme,
        hires=hires,
        strategy=strategy,
        hiring_slots=hiring_slots,
        race=race,
    ).run(passes=passes, searches=searches, time_limit=time_limit, cancel=cancel, progress=progress)


__all__ = [
    "DEFAULT_SEARCHES",
    "OBJECTIVES",
    "Comparison",
    "Objective",
    "OptimiseResult",
    "Optimiser",
    "optimise",
    "per_trial",
]
