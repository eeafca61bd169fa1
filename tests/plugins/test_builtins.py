"""The built-in plugins load through the `teamcast` entry-point group, like any third-party plugin."""

from __future__ import annotations

import pytest

import teamcast
from teamcast.errors import PluginError
from teamcast.plugins.manager import get_registry

BUILTIN_DURATION_MODELS = {"pert", "triangular", "lognormal", "fixed"}
BUILTIN_RULES = {"value", "lft", "manual", "sequential-odds"}

CLAIMS_PERT = """
    import numpy as np
    from teamcast import hookimpl
    from teamcast.plugins.records import DurationModel

    @hookimpl
    def register_duration_models(register):
        register(DurationModel("pert", sample=lambda t, n, r: np.ones((n, t.height)), mean=lambda t: np.ones(t.height)))
"""


def test_builtins_are_registered_by_the_teamcast_distribution():
    registry = get_registry(refresh=True)
    assert BUILTIN_DURATION_MODELS <= set(registry.duration_models)
    assert "bernoulli" in registry.success_models
    assert BUILTIN_RULES <= set(registry.priority_rules)
    owners = {registry.owner("duration_model", name).dist for name in BUILTIN_DURATION_MODELS}
    owners |= {registry.owner("priority_rule", name).dist for name in BUILTIN_RULES}
    owners.add(registry.owner("success_model", "bernoulli").dist)
    assert owners == {"teamcast"}
    assert not [f for f in registry.failures if f.dist == "teamcast"]


def test_builtins_always_load_under_an_allow_list(monkeypatch):
    monkeypatch.setenv("TEAMCAST_LOAD_PLUGINS", "")
    assert BUILTIN_DURATION_MODELS <= set(get_registry(refresh=True).duration_models)
    monkeypatch.undo()
    get_registry(refresh=True)


def test_a_plugin_claiming_pert_again_makes_pert_an_error_naming_both(dists):
    dists.add("tc-pert-clone", "0.3", {"tc_pert_clone": CLAIMS_PERT}, {"pert-clone": "tc_pert_clone"})
    registry = dists.registry()
    failure = next(f for f in registry.failures if f.entry_point == "pert-clone")
    assert failure.error.startswith(
        "register_duration_models: duration model 'pert' is already registered by teamcast "
    )
    with pytest.raises(PluginError) as err:
        registry.duration_model("pert")
    assert err.value.message == (
        f"duration model 'pert' is registered by both teamcast {teamcast.__version__} and tc-pert-clone 0.3; "
        "disable one, e.g. TEAMCAST_DISABLE_PLUGINS=pert-clone"
    )
