"""The records of the commands that report, check and optimise: report sections, health checks, searches.

Part of teamcast.plugins.records, which hands these out by name when first asked (as does the
teamcast.plugins package): creating a frozen dataclass compiles its methods (~0.5 ms each), so
`simulate` and `validate`, which never use these seven, do not pay for them at start-up.
Plugin authors import them from teamcast.plugins as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # names in annotations only
    import numpy as np

    from teamcast.engine import Plan
    from teamcast.plugins.records import PluginInfo


@dataclass(frozen=True)
class ReportContext:
    """What a report section may read: the plan and whatever the simulation driver returned."""

    plan: Plan
    results: Any


@dataclass(frozen=True)
class ReportSection:
    """A section of the leadership or retro report: `render(ctx)` returns markdown text."""

    name: str
    title: str
    render: Callable[[ReportContext], str]
    description: str = ""
    plugin: PluginInfo | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Finding:
    """One thing a health check found, at a location a user can find."""

    check: str
    location: str
    message: str
    severity: Literal["error", "warning", "info"] = "warning"


@dataclass(frozen=True)
class HealthCheck:
    """A check of `teamcast check`; `section` cites where its advice comes from, e.g. 'Lecture 13, §3'."""

    name: str
    section: str
    run: Callable[[Plan], list[Finding]]
    description: str = ""
    plugin: PluginInfo | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Candidate:
    """One thing the optimiser can try: a priority order (every task index, highest first) and,
    optionally, a new order of trying the approaches of some sequential challenges
    ({challenge index: its approach task indices in the new order}), the order in which open
    hires are filled (hire row indices, first filled first; empty: plan order) and a strategy
    for some challenges ({challenge index: 0 parallel, 1 sequential}; absent: the plan's)."""

    order: np.ndarray
    approaches: dict[int, tuple[int, ...]] = field(default_factory=dict)
    hires: tuple[int, ...] = ()
    strategies: dict[int, int] = field(default_factory=dict)


@dataclass
class SearchContext:
    """What a search may read and call; built by `teamcast optimise` for each search in turn.

    `evaluate(candidate)` returns the candidate's score (higher is better; for `makespan`, the
    negated days) on the optimiser's fixed block of sampled futures, and keeps the best. With
    racing (the default), a candidate decided early on a slice of the futures gets an estimate
    instead, below or at the best's score; only a candidate scored on every future becomes the best.
    `stopped()` turns true when this search's budget (`budget` evaluations), the time limit
    or a cancel is reached; a search checks it before each evaluation and returns. `best()`
    is the best candidate so far and `best_score()` its score. `priorities` are per-task
    priority values (higher = earlier), the default rule's first; `lft` is each task's
    latest finish time (working days) and `preds` each task's task predecessors (a challenge
    predecessor stands for its approaches). `challenges` lists, per challenge index whose
    approach order may be searched, its approach task indices in the current order
    (empty unless asked for). `justify(order)`, when not None (the serial scheme of a
    deterministic run), returns an order whose schedule is no longer (forward-backward
    improvement); a search may pass its orders through it before evaluating them.
    `hires` is the plan order of the open hires when their fill order is searched (else empty)
    and `strategies` the challenge indices whose parallel/sequential strategy may be changed.
    """

    n_tasks: int
    budget: int
    priorities: list[np.ndarray]
    lft: np.ndarray
    preds: list[list[int]]
    challenges: dict[int, tuple[int, ...]]
    rng: np.random.Generator
    evaluate: Callable[[Candidate], float]
    stopped: Callable[[], bool]
    best: Callable[[], Candidate]
    best_score: Callable[[], float]
    deterministic: bool = False
    justify: Callable[[np.ndarray], np.ndarray] | None = None
    hires: tuple[int, ...] = ()
    strategies: tuple[int, ...] = ()


@dataclass(frozen=True)
class Search:
    """A search of `teamcast optimise`: `run(ctx)` proposes candidates through
    `ctx.evaluate` until `ctx.stopped()`; the optimiser keeps the best."""

    name: str
    run: Callable[[SearchContext], None]
    description: str = ""
    plugin: PluginInfo | None = field(default=None, compare=False)
