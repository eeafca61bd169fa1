"""The small typed records plugins hand to teamcast through their `register(...)` callbacks.

Hooks never return loose dicts: a plugin builds one of these frozen dataclasses, and the
plugin manager stamps it with the `PluginInfo` of the plugin that registered it, so that
an error in its output can name the distribution, version and hook.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # names in annotations only: `teamcast validate` imports these records without NumPy
    import numpy as np
    import polars as pl

    from teamcast.engine import Plan


@dataclass(frozen=True)
class PluginInfo:
    """One loaded plugin: its name (the entry-point name), distribution, version, module and hooks."""

    name: str
    dist: str
    version: str
    module: str
    hooks: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """How errors name the plugin: 'distribution version', or the name for inline plugins."""
        if not self.dist:
            return self.name
        return f"{self.dist} {self.version}" if self.version else self.dist


@dataclass(frozen=True)
class LoadFailure:
    """A plugin that could not be loaded or used, reported by `teamcast plugins` instead of crashing."""

    entry_point: str
    dist: str
    version: str
    error: str


@dataclass(frozen=True)
class DurationModel:
    """How a task's effort is sampled from its estimate.

    `sample(tasks, n, rng)` returns an (n, k) array of efforts in working days for the k rows
    of `tasks`; `mean(tasks)` the (k,) expected effort. `point` is the value used by the
    deterministic schedule (default: est_likely). `cdf(tasks, x)` and `quantile(tasks, u)` take
    and return (n, k) arrays; the driver uses `quantile` on uniforms drawn above F(spent) to
    sample the remaining effort of work in progress, so models without it fall back to the
    driver's resampling.

    `self_checked` says that `sample` itself guarantees a C-contiguous float64 block of finite,
    non-negative values (raising ValueError otherwise), so the plugin manager may skip its own
    scan of every value. The manager honours it for teamcast's own models only: any other
    plugin's output is checked whatever its record says.
    """

    name: str
    sample: Callable[[pl.DataFrame, int, np.random.Generator], np.ndarray]
    mean: Callable[[pl.DataFrame], np.ndarray]
    point: Callable[[pl.DataFrame], np.ndarray] | None = None
    cdf: Callable[[pl.DataFrame, np.ndarray], np.ndarray] | None = None
    quantile: Callable[[pl.DataFrame, np.ndarray], np.ndarray] | None = None
    description: str = ""
    plugin: PluginInfo | None = field(default=None, compare=False)
    self_checked: bool = False


@dataclass(frozen=True)
class SuccessModel:
    """Whether each task achieves its goal: `sample(tasks, n, rng)` returns an (n, k) bool array."""

    name: str
    sample: Callable[[pl.DataFrame, int, np.random.Generator], np.ndarray]
    description: str = ""
    plugin: PluginInfo | None = field(default=None, compare=False)


@dataclass(frozen=True)
class SampleContext:
    """What a sample modifier may read: the plan, its tasks frame (defaults applied), who does
    each task (person or role id, (T,) object array), which trials the block holds, and the
    options the user gave the modifier (`--modifier ebs:window_days=90` gives
    {"window_days": "90"}; strings, the modifier parses them)."""

    plan: Plan
    tasks: pl.DataFrame
    doer: np.ndarray
    first_trial: int
    n: int
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SampleModifier:
    """Rewrites a sampled (n, T) effort block: `apply(ctx, effort, rng)` returns the new block.

    Modifiers run in registration order after every duration model has sampled its tasks; they
    model what a per-task estimate cannot (research stalls, evidence-based velocity, ...).
    """

    name: str
    apply: Callable[[SampleContext, np.ndarray, np.random.Generator], np.ndarray]
    description: str = ""
    plugin: PluginInfo | None = field(default=None, compare=False)
    # The option names it reads (`p_*`: any name with that prefix). None: not declared, any
    # option is passed through; declared, an unknown option is a usage error (a typo would
    # otherwise be ignored while the run says the modifier was applied).
    options: tuple[str, ...] | None = None


@dataclass(frozen=True)
class PriorityContext:
    """What a priority rule may read, all computed once per run from expectations, never samples.

    `expected`, `lft` (latest finish time), `p_success` and `value` (the importance of the
    task's project) are (T,) float arrays in task order; `challenges` has the CHALLENGES_SCHEMA
    columns.
    """

    tasks: pl.DataFrame
    expected: np.ndarray
    lft: np.ndarray
    p_success: np.ndarray
    value: np.ndarray
    challenges: pl.DataFrame

    def approaches(self) -> list[np.ndarray]:
        """Task indices of each challenge's approaches, in the listed order, one array per challenge."""
        import numpy as np

        index = {task_id: i for i, task_id in enumerate(self.tasks["id"].to_list())}
        return [
            np.array([index[a] for a in (approaches or [])], dtype=np.int64)
            for approaches in self.challenges["approaches"].to_list()
        ]


@dataclass(frozen=True)
class PriorityRule:
    """The order in which ready work is started when people free up.

    `order(ctx)` returns every task index, highest priority first (a permutation of range(T)).
    A rule may also change the order in which the approaches of sequential challenges are
    tried: `approach_order(ctx)` returns {challenge id: its approach task indices in the new
    order} for the challenges it reorders; the others keep their listed order.
    """

    name: str
    order: Callable[[PriorityContext], np.ndarray]
    description: str = ""
    approach_order: Callable[[PriorityContext], dict[str, np.ndarray]] | None = None
    plugin: PluginInfo | None = field(default=None, compare=False)


# The records of `report`, `check` and `optimise` are created on first use (see
# teamcast.plugins.command_records); type checkers see them here as ordinary (re-exported) imports.
LATER = frozenset({"Candidate", "Finding", "HealthCheck", "ReportContext", "ReportSection", "Search", "SearchContext"})

if TYPE_CHECKING:  # re-exported for type checkers (mypy's implicit re-export)
    from teamcast.plugins.command_records import (  # noqa: F401
        Candidate,
        Finding,
        HealthCheck,
        ReportContext,
        ReportSection,
        Search,
        SearchContext,
    )


def __getattr__(name: str) -> Any:
    if name in LATER:
        from teamcast.plugins import command_records

        value = getattr(command_records, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
