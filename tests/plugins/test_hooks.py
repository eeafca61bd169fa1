"""One test per hook, each through a plugin registered inline, and a meta-test that every hook
in hookspecs.py is tested here and documented in docs/plugins.md with its signature."""

from __future__ import annotations

import inspect
import re
from contextlib import contextmanager
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner

from teamcast import hookimpl
from teamcast.engine.plan.model import Plan
from teamcast.plugins import hookspecs
from teamcast.plugins.manager import (
    checked_modify,
    checked_order,
    checked_success,
    get_plugin_manager,
    get_registry,
    register_commands,
)
from teamcast.plugins.records import (
    DurationModel,
    Finding,
    HealthCheck,
    PriorityContext,
    PriorityRule,
    ReportContext,
    ReportSection,
    SampleContext,
    SampleModifier,
    SuccessModel,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
HOOKS = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, "teamcast_spec"))


@contextmanager
def inline(plugin: object):
    pm = get_plugin_manager()
    pm.register(plugin, name="inline-hook-test")
    try:
        yield get_registry(refresh=True)
    finally:
        pm.unregister(name="inline-hook-test")
        get_registry(refresh=True)


def test_every_hook_has_a_test_here():
    assert HOOKS, "no hookspecs found"
    missing = [hook for hook in HOOKS if f"test_hook_{hook}" not in globals()]
    assert missing == []


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_with_its_signature(hook):
    params = ", ".join(inspect.signature(getattr(hookspecs, hook)).parameters)
    assert re.search(rf"^### `{hook}\({params}\)`$", DOCS.read_text(encoding="utf-8"), re.MULTILINE), (
        f"{hook}({params}) not in docs/plugins.md"
    )


def test_every_hookspec_has_a_docstring_with_an_example():
    for hook in HOOKS:
        assert "Example::" in (getattr(hookspecs, hook).__doc__ or ""), hook


def test_hook_register_duration_models(tasks_frame, rng):
    class Plugin:
        @hookimpl
        def register_duration_models(self, register):
            register(
                DurationModel(
                    "double", sample=lambda t, n, r: np.full((n, t.height), 2.0), mean=lambda t: np.full(t.height, 2.0)
                )
            )

    with inline(Plugin()) as registry:
        model = registry.duration_model("double")
        assert model.sample(tasks_frame([(1.0, 1.0, 1.0)]), 3, rng).tolist() == [[2.0]] * 3
        assert model.plugin.name == "inline-hook-test"


def test_hook_register_success_models(tasks_frame, rng):
    class Plugin:
        @hookimpl
        def register_success_models(self, register):
            register(SuccessModel("never", sample=lambda t, n, r: np.zeros((n, t.height), dtype=bool)))

    with inline(Plugin()) as registry:
        assert checked_success(registry.success_model("never"), tasks_frame([(1.0, 1.0, 1.0)]), 2, rng).tolist() == [
            [0],
            [0],
        ]


def test_hook_register_sample_modifiers(tasks_frame, rng):
    class Plugin:
        @hookimpl
        def register_sample_modifiers(self, register):
            register(SampleModifier("plus-one", apply=lambda ctx, effort, r: effort + 1))

    tasks = tasks_frame([(1.0, 1.0, 1.0)])
    ctx = SampleContext(plan=Plan(), tasks=tasks, doer=np.array(["ana"], dtype=object), first_trial=0, n=2)
    with inline(Plugin()) as registry:
        assert checked_modify(registry.sample_modifier("plus-one"), ctx, np.ones((2, 1)), rng).tolist() == [
            [2.0],
            [2.0],
        ]


def test_hook_register_priority_rules(tasks_frame):
    class Plugin:
        @hookimpl
        def register_priority_rules(self, register):
            register(PriorityRule("reverse", order=lambda ctx: np.arange(ctx.tasks.height)[::-1]))

    tasks = tasks_frame([(1.0, 1.0, 1.0)] * 3)
    ones = np.ones(3)
    ctx = PriorityContext(tasks, ones, ones, ones, ones, Plan().challenges)
    with inline(Plugin()) as registry:
        assert checked_order(registry.priority_rule("reverse"), ctx).tolist() == [2, 1, 0]


def test_hook_register_report_sections():
    class Plugin:
        @hookimpl
        def register_report_sections(self, register):
            register(ReportSection("size", title="Plan size", render=lambda ctx: f"{ctx.plan.tasks.height} tasks"))

    with inline(Plugin()) as registry:
        section = registry.report_sections["size"]
        assert (section.title, section.render(ReportContext(plan=Plan(), results=None))) == ("Plan size", "0 tasks")


def test_hook_register_checks():
    class Plugin:
        @hookimpl
        def register_checks(self, register):
            def run(plan):
                return [Finding("solo", "people", "nobody to review the work")] if plan.people.height < 2 else []

            register(HealthCheck("solo", section="teamcast", run=run))

    with inline(Plugin()) as registry:
        assert registry.checks["solo"].run(Plan()) == [
            Finding("solo", "people", "nobody to review the work", "warning")
        ]
        assert registry.owner("check", "solo").name == "inline-hook-test"


def test_hook_register_commands():
    class Plugin:
        @hookimpl
        def register_commands(self, cli):
            @cli.command()
            def hello():
                click.echo("hello from a plugin")

    class Broken:
        @hookimpl
        def register_commands(self, cli):
            raise RuntimeError("no commands today")

    @click.group()
    def cli():
        pass

    pm = get_plugin_manager()
    pm.register(Plugin(), name="inline-commands")
    pm.register(Broken(), name="inline-broken-commands")
    try:
        failures = register_commands(cli)
    finally:
        pm.unregister(name="inline-commands")
        pm.unregister(name="inline-broken-commands")
    assert CliRunner().invoke(cli, ["hello"]).output == "hello from a plugin\n"
    assert [(f.entry_point, f.error) for f in failures] == [
        ("inline-broken-commands", "register_commands: RuntimeError: no commands today")
    ]


def test_a_hook_that_raises_or_registers_the_wrong_record_is_a_load_failure():
    class Plugin:
        @hookimpl
        def register_duration_models(self, register):
            register(SuccessModel("oops", sample=lambda t, n, r: None))

        @hookimpl
        def register_priority_rules(self, register):
            raise KeyError("est_low")

    with inline(Plugin()) as registry:
        errors = sorted(f.error for f in registry.failures if f.entry_point == "inline-hook-test")
        assert errors == [
            "register_duration_models: TypeError: register() got SuccessModel, expected DurationModel",
            "register_priority_rules: KeyError: 'est_low'",
        ]
        assert "oops" not in registry.duration_models


def test_hook_register_searches():
    from teamcast.engine.forecast.optimise import optimise
    from teamcast.engine.plan.demo import demo_plan
    from teamcast.plugins.records import Candidate, Search

    class Plugin:
        @hookimpl
        def register_searches(self, register):
            def run(ctx):
                while not ctx.stopped():
                    ctx.evaluate(Candidate(ctx.rng.permutation(ctx.n_tasks)))

            register(Search("shuffle", run=run))

    with inline(Plugin()) as registry:
        assert registry.search("shuffle").plugin.name == "inline-hook-test"
        result = optimise(demo_plan(), passes=4, trials=100, searches=["shuffle"], registry=registry)
        assert result.searches == ("shuffle",) and result.evaluations >= 5  # the default order, then 4 shuffles
