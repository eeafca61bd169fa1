"""What the plan's estimator plugins refuse, found before a run: `teamcast validate` asks the models
to draw one trial, so that a plan it accepts is one `simulate` accepts too.

Unknown model names (a task's `model` or `success_model`, a hire's `arrival_model`) and estimates
a model cannot take (parameters given to pert, a log-normal with a low of 0, ...) come back as
problems located at the task or hire, never as a plugin failure at run time.
"""

from __future__ import annotations

import numpy as np

from teamcast.engine.forecast.compile import compile_plan
from teamcast.engine.forecast.sampling import Sampler, named_groups
from teamcast.engine.plan.model import Plan
from teamcast.errors import PlanError, PluginError, Problem


def plugin_problems(plan: Plan, registry=None) -> list[Problem]:
    """Problems of a plan that validates, as its plugins see them (empty when they take it)."""
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
