"""What `teamcast optimise` reports: baseline against best with a paired confidence interval,
in sample and out of sample, the best order and the smallest description of what changed."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from teamcast.engine.forecast.optimise_race import TIE_TRIALS
from teamcast.ext.kernel import FIXED_TODO, KernelInput

if TYPE_CHECKING:
    from teamcast.engine.forecast.compile import Compiled
    from teamcast.engine.forecast.optimise import Objective, Optimiser

Z95 = 1.959963984540054
BOOTSTRAP = 1000
NO_BETTER = "no order found that beats the default beyond noise"


@dataclass(frozen=True)
class Comparison:
    """Baseline and best on one set of sampled futures; `difference` is best - baseline in the
    objective's units, with a 95 % interval from the paired per-trial values."""

    trials: int
    baseline: float
    best: float
    difference: float
    ci: tuple[float, float]
    beyond_noise: bool  # the interval lies wholly on the better side of 0

    def to_json(self) -> dict[str, Any]:
        return {
            "trials": self.trials,
            "baseline": self.baseline,
            "best": self.best,
            "difference": self.difference,
            "ci": list(self.ci),
            "beyond_noise": self.beyond_noise,
        }


def compare(opt: Optimiser, baseline, best, samples, rng: np.random.Generator) -> Comparison:
    """Score baseline and best on `samples` (None: the optimiser's own block) and compare them paired."""
    vb = opt.values(baseline, samples)
    vx = opt.values(best, samples)
    b, x = opt.summary(vb), opt.summary(vx)
    diff = x - b
    n = len(vb)
    if n < 2:
        ci = (diff, diff)  # one deterministic future: no noise
    elif opt.objective.stat == "median":
        idx = rng.integers(n, size=(BOOTSTRAP, n))
        boot = np.median(vx[idx], axis=1) - np.median(vb[idx], axis=1)
        ci = (float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975)))
    else:
        half = Z95 * float(np.std(vx - vb, ddof=1)) / np.sqrt(n)
        ci = (diff - half, diff + half)
    beyond = ci[0] > 0 if opt.objective.maximise else ci[1] < 0
    return Comparison(n, b, x, diff, (float(ci[0]), float(ci[1])), bool(beyond))


@dataclass(frozen=True)
class OptimiseResult:
    """The optimiser's answer; `order` is every task id, highest priority first."""

    objective: Objective
    deterministic: bool
    trials: int
    seed: int
    priority: str
    searches: tuple[str, ...]
    in_sample: Comparison
    out_of_sample: Comparison | None
    order: list[str]
    order_index: list[int]
    approaches: dict[str, list[str]]
    changes: dict[str, list[dict[str, Any]]]
    evaluations: int
    full_evaluations: int
    seconds: float
    stopped_by: str
    scheme: str = "parallel"  # how a candidate's order becomes a schedule: the kernel's dispatch or serial
    scheme_note: str = ""  # with --deterministic, why the serial scheme was not used
    dispatched_best: float | None = None  # serial scheme: the best order dispatched in parallel, as simulate does
    schedules: int = 0  # schedules generated (serial: forward and backward passes; parallel: full kernel runs)
    hire_order: list[str] | None = None  # hire ids, first filled first, when the fill order was searched
    hiring_slots: int | None = None  # with the hire order searched: searches run at a time
    strategies: dict[str, str] = field(default_factory=dict)  # challenge id -> strategy, where changed
    schedule: Any = None  # the serial scheme's best schedule (a polars table in `teamcast schedule`'s columns)
    proposals: int = 0  # candidates decided, repeats included
    race: bool = False  # candidates raced the incumbent on growing slices of the futures
    dropped: int = 0  # left the race early: could not plausibly beat the best
    tied: int = 0  # left the race early: identical to the best on the leading futures
    repeats: int = 0  # answered from the cache: the same order or one identical in effect
    candidate_trials: int = 0  # futures simulated for candidates, all told

    @property
    def improved(self) -> bool:
        """Better than the default order beyond noise: in sample and, when sampled, on fresh seeds."""
        fresh = self.out_of_sample is None or self.out_of_sample.beyond_noise
        return self.in_sample.beyond_noise and fresh

    @property
    def verdict(self) -> str:
        if self.improved:
            return "the best order beats the default beyond noise" + (
                "" if self.deterministic else " (95 % interval of the paired difference, in and out of sample)"
            )
        return NO_BETTER

    def to_json(self) -> dict[str, Any]:
        """The JSON document of docs/schema/optimise.schema.json."""
        return {
            "objective": self.objective.name,
            "objective_description": self.objective.description,
            "unit": self.objective.unit,
            "maximise": self.objective.maximise,
            "deterministic": self.deterministic,
            "trials": self.trials,
            "seed": self.seed,
            "priority": self.priority,
            "searches": list(self.searches),
            "baseline": self.in_sample.baseline,
            "best": self.in_sample.best,
            "difference": self.in_sample.difference,
            "ci": list(self.in_sample.ci),
            "improved": self.improved,
            "verdict": self.verdict,
            "out_of_sample": None if self.out_of_sample is None else self.out_of_sample.to_json(),
            "order": self.order,
            "approaches": self.approaches,
            "changes": self.changes,
            "evaluations": self.evaluations,
            "full_evaluations": self.full_evaluations,
            "seconds": self.seconds,
            "stopped_by": self.stopped_by,
            "scheme": self.scheme,
            "scheme_note": self.scheme_note,
            "dispatched_best": self.dispatched_best,
            "hire_order": self.hire_order,
            "hiring_slots": self.hiring_slots,
            "strategies": self.strategies,
            "schedules": self.schedules,
            "race": self.race,
            "proposals": self.proposals,
            "decided_early": {"worse": self.dropped, "tie": self.tied},
            "repeats": self.repeats,
            "candidate_trials": self.candidate_trials,
        }


def _kept(sequence: list[int]) -> set[int]:
    """Positions of one longest increasing subsequence (patience sorting)."""
    tails: list[int] = []  # smallest tail value of an increasing run of each length
    tail_at: list[int] = []  # its position in `sequence`
    back = [-1] * len(sequence)
    for i, v in enumerate(sequence):
        k = bisect.bisect_left(tails, v)
        if k == len(tails):
            tails.append(v)
            tail_at.append(i)
        else:
            tails[k] = v
            tail_at[k] = i
        back[i] = tail_at[k - 1] if k > 0 else -1
    kept: set[int] = set()
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        kept.add(i)
        i = back[i]
    return kept


def changes(compiled: Compiled, base: KernelInput, best) -> dict[str, list[dict[str, Any]]]:
    """The fewest tasks whose move turns the default order into the best one (the rest keep their
    relative order), among tasks still to do; and the challenges whose approach order changed."""
    todo = base.task_fixed == FIXED_TODO
    before = [int(t) for t in base.prio_order if todo[t]]
    after = [int(t) for t in best.order if todo[t]]
    rank_before = {t: r for r, t in enumerate(before)}
    kept = _kept([rank_before[t] for t in after])
    moved = [
        {"task": compiled.task_ids[t], "from": rank_before[t] + 1, "to": r + 1}
        for r, t in enumerate(after)
        if r not in kept
    ]
    reordered = []
    for c, members in sorted(best.approaches.items()):
        listed = [int(t) for t in base.chal_tasks[base.chal_ptr[c] : base.chal_ptr[c + 1]]]
        if list(members) != listed:
            reordered.append(
                {
                    "challenge": compiled.challenge_ids[c],
                    "from": [compiled.task_ids[t] for t in listed],
                    "to": [compiled.task_ids[t] for t in members],
                }
            )
    return {"tasks_moved": moved, "approaches_reordered": reordered}


def _num(x: float, unit: str) -> str:
    return f"{100 * x:.1f}%" if unit == "probability" else f"{x:.3f}"


def render_result(result: OptimiseResult) -> str:
    """The result as text for an 80-column terminal."""
    o = result.objective
    mode = "deterministic (point estimates, all succeed)" if result.deterministic else f"{result.trials:,} trials"
    if result.deterministic:
        mode += (
            ", serial scheme"
            if result.scheme == "serial"
            else f", the kernel's dispatch ({result.scheme_note or 'asked for'})"
        )
    lines = [
        f"objective: {o.name} ({'higher' if o.maximise else 'lower'} is better): {o.description}",
        f"{mode}, seed {result.seed}; searches {', '.join(result.searches)}; "
        f"{result.seconds:.1f}s, stopped by {result.stopped_by}",
        f"{result.proposals:,} candidates decided: {result.full_evaluations:,} scored on every trial, "
        f"{result.repeats:,} repeats in effect",
    ]
    if result.race:
        lines.append(
            f"  raced: {result.dropped:,} dropped early as worse, {result.tied:,} tied with the best on {TIE_TRIALS} futures"
        )
    if result.hiring_slots is not None:
        lines += [
            f"hires as a pipeline (teamcast's reading): {result.hiring_slots} search(es) at a time, the",
            "next starting when one is filled; `simulate` starts every search on day 0, so",
            "both figures below differ from its forecast",
        ]
    # The interval is left-aligned, not padded: the table then fits the app's 80-column dialog.
    lines += ["", f"{'':<27} {'default order':>13} {'best order':>10} difference (95% CI)"]
    rows = [(f"in sample ({result.in_sample.trials:,} searched)", result.in_sample)]
    if result.out_of_sample is not None:
        rows.append((f"out of sample ({result.out_of_sample.trials:,} fresh)", result.out_of_sample))
    for label, c in rows:
        ci = f"{_num(c.difference, o.unit)} [{_num(c.ci[0], o.unit)}, {_num(c.ci[1], o.unit)}]"
        lines.append(f"{label:<27} {_num(c.baseline, o.unit):>13} {_num(c.best, o.unit):>10} {ci}")
    lines += ["", f"verdict: {result.verdict}"]
    if result.dispatched_best is not None and result.dispatched_best != result.in_sample.best:
        lines += [
            f"dispatched as `simulate` does (in parallel, nobody waits) the best order gives "
            f"{_num(result.dispatched_best, o.unit)}:",
            "the serial schedule (--format csv) has people wait for higher-priority work",
        ]
    if result.improved:
        moved = result.changes["tasks_moved"]
        if moved:
            lines += ["", f"tasks moved ({len(moved)}; rank among tasks to do, default -> best):"]
            lines += [f"  {m['task'][:40]:<40} {m['from']:>4} -> {m['to']:<4}" for m in moved[:20]]
            if len(moved) > 20:
                lines.append(f"  ... and {len(moved) - 20} more (--format json lists them all)")
        for ch in result.changes["approaches_reordered"]:
            lines.append(f"approaches of {ch['challenge']}: {' > '.join(ch['to'])} (was {' > '.join(ch['from'])})")
        for ch in result.changes.get("strategies_changed", []):
            lines.append(f"strategy of {ch['challenge']}: {ch['to']} (was {ch['from']})")
        for ch in result.changes.get("hires_reordered", []):
            lines.append(f"fill the hires in this order: {' > '.join(ch['to'])} (was {' > '.join(ch['from'])})")
    return "\n".join(lines) + "\n"
