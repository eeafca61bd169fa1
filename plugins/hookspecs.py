"""The hooks a teamcast plugin can implement; each takes a `register` callback (or the CLI group).

Plugins mark their implementations with `teamcast.hookimpl` and are found through the
entry-point group `teamcast`. docs/plugins.md documents every hook listed here (a test checks it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click
import pluggy

from teamcast.plugins.records import DurationModel, PriorityRule, SampleModifier, SuccessModel

if TYPE_CHECKING:  # annotations only: these records are created when a command first uses them
    from teamcast.plugins.command_records import HealthCheck, ReportSection, Search

hookspec = pluggy.HookspecMarker("teamcast")


@hookspec
def register_duration_models(register: Callable[[DurationModel], None]) -> None:
    """Register duration models: how a task's effort is sampled from its estimate.

    Call `register(DurationModel(...))` once per model. Tasks pick a model with
    `model = "<name>"` in the plan file (or the plan's `default_model`). `sample` must draw
    the whole (n, k) block at once with NumPy (never a Python loop per trial) and return
    non-negative, finite float efforts in working days.

    Example::

        @hookimpl
        def register_duration_models(register):
            def sample(tasks, n, rng):
                low, high = tasks["est_low"].to_numpy(), tasks["est_high"].to_numpy()
                return rng.uniform(low, high, size=(n, tasks.height))

            def mean(tasks):
                return (tasks["est_low"].to_numpy() + tasks["est_high"].to_numpy()) / 2

            register(DurationModel("uniform", sample=sample, mean=mean))
    """


@hookspec
def register_success_models(register: Callable[[SuccessModel], None]) -> None:
    """Register success models: whether each task achieves its goal in a trial.

    Call `register(SuccessModel(...))`; `sample(tasks, n, rng)` returns an (n, k) bool array.
    The built-in `bernoulli` model succeeds with probability `p_success`.

    Example::

        @hookimpl
        def register_success_models(register):
            def sample(tasks, n, rng):
                return np.ones((n, tasks.height), dtype=bool)

            register(SuccessModel("always", sample=sample))
    """


@hookspec
def register_sample_modifiers(register: Callable[[SampleModifier], None]) -> None:
    """Register sample modifiers: functions that rewrite the (n, T) effort block of a chunk.

    `apply(ctx, effort, rng)` gets a `SampleContext` (plan, tasks, who does each task, first
    trial, trial count and the user's options for the modifier) and the sampled efforts, and
    returns the new (n, T) block (it may modify `effort` in place and return it). Use it for what a single task's estimate cannot
    express: research stalls, evidence-based velocity per person, shared shocks.

    Example::

        @hookimpl
        def register_sample_modifiers(register):
            def apply(ctx, effort, rng):
                research = (ctx.tasks["kind"] == "research").to_numpy()
                stalled = rng.random(effort.shape) < 0.1
                effort[:, research] *= np.where(stalled[:, research], 2.0, 1.0)
                return effort

            register(SampleModifier("research-stalls", apply=apply))
    """


@hookspec
def register_priority_rules(register: Callable[[PriorityRule], None]) -> None:
    """Register priority rules: the order in which ready tasks are started.

    `order(ctx)` gets a `PriorityContext` (expected durations, latest finish times, success
    probabilities, project values, computed once per run) and returns every task index,
    highest priority first. An optional `approach_order(ctx)` re-orders the approaches of
    sequential challenges.

    Example::

        @hookimpl
        def register_priority_rules(register):
            def order(ctx):
                return np.argsort(ctx.expected, kind="stable")  # shortest expected first

            register(PriorityRule("spt", order=order))
    """


@hookspec
def register_report_sections(register: Callable[[ReportSection], None]) -> None:
    """Register report sections: markdown added to `teamcast report`.

    `render(ctx)` gets a `ReportContext` (the plan and the simulation results) and returns
    markdown text.

    Example::

        @hookimpl
        def register_report_sections(register):
            def render(ctx):
                return f"The plan has {ctx.plan.tasks.height} tasks."

            register(ReportSection("size", title="Plan size", render=render))
    """


@hookspec
def register_checks(register: Callable[[HealthCheck], None]) -> None:
    """Register health checks for `teamcast check`.

    `run(plan)` returns a list of `Finding`s; `section` cites the source of the advice.

    Example::

        @hookimpl
        def register_checks(register):
            def run(plan):
                if plan.people.height < 2:
                    return [Finding("bus-factor", "people", "one person carries the whole plan")]
                return []

            register(HealthCheck("bus-factor", section="teamcast", run=run))
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the `teamcast` command line.

    `cli` is the top-level click group; add commands with `@cli.command()`.

    Example::

        @hookimpl
        def register_commands(cli):
            @cli.command()
            def hello():
                click.echo("hello from my plugin")
    """


@hookspec
def register_searches(register: Callable[[Search], None]) -> None:
    """Register searches for `teamcast optimise`: ways to propose priority orders.

    `run(ctx)` gets a `SearchContext`: per-task priorities, latest finish times and
    predecessors, an `rng`, and `evaluate(candidate)` (score, higher is better, on fixed
    sampled futures). It proposes `Candidate`s until `ctx.stopped()`; the optimiser keeps
    the best and reports it against the default order.

    Example::

        @hookimpl
        def register_searches(register):
            def run(ctx):
                while not ctx.stopped():
                    ctx.evaluate(Candidate(ctx.rng.permutation(ctx.n_tasks)))

            register(Search("shuffle", run=run))
    """
