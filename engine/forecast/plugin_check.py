"""What the plan's estimator plugins refuse, found before a run: `teamcast validate` asks the models
that a plan names, so that a plan it accepts is one `simulate` accepts too.

Unknown model names (a task's `model` or `success_model`, a hire's `arrival_model`) and estimates
a model cannot take (parameters given to pert, a log-normal with a low of 0, ...) come back as
problems located at the task or hire, never as a plugin failure at run time.

Two ways to ask, with the same answers (tests/engine/test_validate_plugins.py holds them equal):
- a plan that names only teamcast's own models, in a process where no other plugin can be
  registered, is checked against their rules here, in Polars: no plugin is imported, and neither
  is NumPy, which is most of what validate would otherwise cost;
- any other plan loads the plugins and has each model draw one trial of its tasks.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import polars as pl

from teamcast.engine.forecast.frames import hire_frame, normalise_tasks
from teamcast.engine.plan.model import Plan
from teamcast.errors import PlanError, PluginError, Problem
from teamcast.plugins import discovery

if TYPE_CHECKING:
    from teamcast.plugins.manager import Registry


def plugin_problems(plan: Plan, registry: Registry | None = None) -> list[Problem]:
    """Problems of a plan that validates, as its plugins see them (empty when they take it)."""
    tasks = normalise_tasks(plan)
    hires = hire_frame(plan)
    if registry is None and builtins_only(tasks, hires):
        return builtin_problems(tasks, hires)
    return sampled_problems(plan, registry)


def sampled_problems(plan: Plan, registry: Registry | None = None) -> list[Problem]:
    """The plugins' answers, asked by sampling one trial of each model's tasks."""
    import numpy as np

    from teamcast.engine.forecast.compile import compile_plan
    from teamcast.engine.forecast.sampling import Sampler, named_groups
    from teamcast.plugins.manager import checked_sample, get_registry

    registry = registry or get_registry()
    compiled = compile_plan(plan)
    try:
        groups = named_groups(compiled.tasks, "model", registry.duration_model, "tasks")
        sampler = Sampler(compiled, registry, ())
    except PlanError as exc:  # an unknown model name, located where it is named
        return exc.problems
    rng = np.random.default_rng(0)
    problems: list[Problem] = []
    for model, _, rows in groups:
        try:
            checked_sample(model, rows, 1, rng)
        except PluginError:
            # Which tasks: one row at a time, only when the group as a whole was refused.
            for k in range(rows.height):
                try:
                    checked_sample(model, rows[k : k + 1], 1, rng)
                except PluginError as exc:
                    problems.append(Problem(f"tasks[{rows['id'][k]}].estimate", _reason(exc)))
    if problems:
        return problems
    try:
        sampler.block(0, 0, 1)  # success models and hire arrivals too
    except PluginError as exc:
        problems.append(Problem("plan", _reason(exc)))
    return problems


def _reason(exc: PluginError) -> str:
    """The model's own words; a third-party plugin is named, teamcast's built-ins need no blame line."""
    message = str(exc)
    if exc.plugin and not exc.plugin.startswith("teamcast "):
        return message
    return message.split(": ", 1)[1] if ": " in message and (exc.plugin or exc.hook) else message


# --- teamcast's own models, without loading them --------------------------------------------------

# Each row's refusal (None: taken), as the model's sample(...) words it through the manager's checks.
Rule = Callable[[dict], str | None]


def _three_points(row: dict) -> str | None:
    """teamcast.plugins.estimates.three_points: 0 <= low <= likely <= high, low and high finite."""
    low, likely, high = (math.nan if row[c] is None else float(row[c]) for c in ("est_low", "est_likely", "est_high"))
    if math.isfinite(low) and math.isfinite(high) and 0 <= low <= likely <= high:
        return None
    if row.get("est_params") is not None:
        return (
            f"task '{row['id']}': estimate is given as parameters {row['est_params']}; "
            "this model needs [low, likely, high] or a single number"
        )
    return f"task '{row['id']}': estimate [{low:g}, {likely:g}, {high:g}] needs 0 <= low <= likely <= high"


def _lognormal(row: dict) -> str | None:
    """teamcast.plugins.lognormal.parameters: three points, and a low above 0 unless it is a point."""
    refused = _three_points(row)
    if refused is None and row["est_low"] <= 0 and row["est_high"] > row["est_low"]:
        return f"task '{row['id']}': the lognormal model needs est_low > 0 (its P10), got {float(row['est_low']):g}"
    return refused


def _fixed(row: dict) -> str | None:
    """teamcast.plugins.fixed: the effort is est_likely, which the manager's checks then judge."""
    return _fixed_group([row])


def _fixed_group(rows: list[dict]) -> str | None:
    """What the manager's checks say of a block of `fixed` efforts (one trial of `rows`)."""
    likely = [math.nan if r["est_likely"] is None else float(r["est_likely"]) for r in rows]
    for what, bad in (
        ("NaN", [math.isnan(v) for v in likely]),
        ("a negative effort", [v < 0 for v in likely]),
        ("an infinite effort", [math.isinf(v) for v in likely]),
    ):
        if any(bad):
            return f"returned {what} for task '{rows[bad.index(True)]['id']}' ({sum(bad)} of {len(rows)} values)"
    return None


# Model name -> (the entry point of teamcast's that registers it, its rule). A success model that
# never refuses a validated plan has no rule (bernoulli draws against p_success, checked by validate).
BUILTIN_DURATION_MODELS: dict[str, tuple[str, Rule]] = {
    "pert": ("pert", _three_points),
    "triangular": ("triangular", _three_points),
    "lognormal": ("lognormal", _lognormal),
    "fixed": ("fixed", _fixed),
}
BUILTIN_SUCCESS_MODELS: dict[str, str] = {"bernoulli": "bernoulli"}


def builtins_only(tasks: pl.DataFrame, hires: pl.DataFrame) -> bool:
    """Whether every model the plan names is teamcast's own, and no other plugin can answer for it:
    none is installed (or all are disabled), and this process has not started the plugin manager,
    where a plugin may have been registered inline (the app, tests: NumPy is loaded there anyway)."""
    if "teamcast.plugins.manager" in sys.modules:
        return False
    found = [f for f in discovery.scan() if discovery.wanted(f)]
    if any(not f.builtin for f in found):
        return False
    present = {f.entry_point.name for f in found}
    duration = set(tasks["model"].unique().to_list()) | set(hires["model"].unique().to_list())
    success = set(tasks["success_model"].unique().to_list())
    return all(
        name in BUILTIN_DURATION_MODELS and BUILTIN_DURATION_MODELS[name][0] in present for name in duration
    ) and all(name in BUILTIN_SUCCESS_MODELS and BUILTIN_SUCCESS_MODELS[name] in present for name in success)


def builtin_problems(tasks: pl.DataFrame, hires: pl.DataFrame) -> list[Problem]:
    """sampled_problems(...) for a plan that names only teamcast's own models: the same problems
    in the same order (tasks by model name, then task order; then the first refused hire)."""
    problems = [
        Problem(f"tasks[{row['id']}].estimate", refused)
        for name, rows in _by_model(tasks)
        for row in rows
        if (refused := BUILTIN_DURATION_MODELS[name][1](row)) is not None
    ]
    if problems:
        return problems
    for name, rows in _by_model(hires):
        # A run samples each model's hires as one block and stops at its first refusal.
        rule = BUILTIN_DURATION_MODELS[name][1]
        refused = _fixed_group(rows) if rule is _fixed else next(filter(None, map(rule, rows)), None)
        if refused is not None:
            return [Problem("plan", refused)]
    return []


def _by_model(rows: pl.DataFrame) -> list[tuple[str, list[dict]]]:
    columns = [c for c in ("id", "model", "est_low", "est_likely", "est_high", "est_params") if c in rows.columns]
    dicts = rows.select(columns).to_dicts()
    return [(name, [r for r in dicts if r["model"] == name]) for name in sorted({r["model"] for r in dicts})]
