"""Loading plugins through entry points, surviving broken ones, and checking what they return.

Broken plugins are real distributions (a dist-info folder with entry_points.txt on sys.path,
built by the `dists` fixture of conftest.py), found by importlib.metadata like installed ones.
"""

from __future__ import annotations

import numpy as np
import pytest

from teamcast import hookimpl
from teamcast.errors import PluginError
from teamcast.plugins.manager import (
    checked_modify,
    checked_sample,
    checked_success,
    get_plugin_manager,
    get_registry,
)
from teamcast.plugins.records import DurationModel, SampleContext, SampleModifier, SuccessModel

BAD_MODELS = """
    import numpy as np
    from teamcast import hookimpl
    from teamcast.plugins.records import DurationModel

    def model(name, fn):
        return DurationModel(name, sample=fn, mean=lambda tasks: np.ones(tasks.height))

    def boom(tasks, n, rng):
        raise RuntimeError("kaboom\\nsecond line")

    @hookimpl
    def register_duration_models(register):
        register(model("wide", lambda tasks, n, rng: np.ones((n, tasks.height - 1))))
        register(model("nan", lambda tasks, n, rng: np.where(np.arange(tasks.height) == 1, np.nan, np.ones((n, tasks.height)))))
        register(model("negative", lambda tasks, n, rng: -np.ones((n, tasks.height))))
        register(model("inf", lambda tasks, n, rng: np.full((n, tasks.height), np.inf)))
        register(model("text", lambda tasks, n, rng: np.full((n, tasks.height), "x")))
        register(model("boom", boom))
        register(model("fine", lambda tasks, n, rng: np.ones((n, tasks.height), dtype=np.int32)))
"""

MISSPELLED = """
    from teamcast import hookimpl

    @hookimpl
    def register_duraton_models(register):
        pass
"""

TWIN = """
    import numpy as np
    from teamcast import hookimpl
    from teamcast.plugins.records import DurationModel

    @hookimpl
    def register_duration_models(register):
        register(DurationModel("{name}", sample=lambda t, n, r: np.ones((n, t.height)), mean=lambda t: np.ones(t.height)))
"""


@pytest.fixture
def broken(dists):
    dists.add("tc-bad-models", "1.2.3", {"tc_bad_models": BAD_MODELS}, {"bad-models": "tc_bad_models"})
    dists.add(
        "tc-no-import", "0.1", {"tc_no_import": "import tc_not_installed_anywhere\n"}, {"no-import": "tc_no_import"}
    )
    dists.add("tc-misspelled", "2.0", {"tc_misspelled": MISSPELLED}, {"misspelled": "tc_misspelled"})
    return dists


def failures_by_name(registry):
    return {f.entry_point: f for f in registry.failures}


def test_a_plugin_that_fails_to_import_is_a_load_failure_and_the_others_load(broken):
    registry = broken.registry()
    failure = failures_by_name(registry)["no-import"]
    assert (failure.dist, failure.version) == ("tc-no-import", "0.1")
    assert (
        failure.error == "cannot import tc_no_import: ModuleNotFoundError: No module named 'tc_not_installed_anywhere'"
    )
    assert "wide" in registry.duration_models


def test_a_misspelled_hook_is_a_load_failure_and_the_plugin_is_unregistered(broken):
    registry = broken.registry()
    failure = failures_by_name(registry)["misspelled"]
    assert (failure.dist, failure.version) == ("tc-misspelled", "2.0")
    assert failure.error.startswith("unknown hook 'register_duraton_models' (teamcast hooks: register_checks, ")
    assert "misspelled" not in {p.name for p in registry.plugins}
    assert get_plugin_manager().get_plugin("misspelled") is None


def test_plugin_info_names_distribution_version_module_and_hooks(broken):
    info = get_registry(refresh=True).owner("duration_model", "wide")
    assert (info.name, info.dist, info.version, info.module) == (
        "bad-models",
        "tc-bad-models",
        "1.2.3",
        "tc_bad_models",
    )
    assert info.hooks == ["register_duration_models"]


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("wide", "returned shape (10, 3), expected (10, 4)"),
        ("nan", "returned NaN for task 't1' (10 of 40 values)"),
        ("negative", "returned a negative effort for task 't0' (40 of 40 values)"),
        ("inf", "returned an infinite effort for task 't0' (40 of 40 values)"),
        ("text", "returned dtype <U1, expected numbers"),
        ("boom", "raised RuntimeError: kaboom"),
    ],
)
def test_bad_samples_fail_with_the_distribution_version_and_hook(broken, tasks_frame, rng, model, message):
    duration_model = broken.registry().duration_model(model)
    with pytest.raises(PluginError) as err:
        checked_sample(duration_model, tasks_frame([(1.0, 2.0, 3.0)] * 4), 10, rng)
    assert str(err.value) == f"plugin tc-bad-models 1.2.3, hook register_duration_models (model '{model}'): {message}"
    assert err.value.lines() == [f"plugin: {err.value.message}"]


def test_good_samples_come_back_as_contiguous_float64(broken, tasks_frame, rng):
    effort = checked_sample(broken.registry().duration_model("fine"), tasks_frame([(1.0, 2.0, 3.0)] * 2), 5, rng)
    assert effort.dtype == np.float64 and effort.flags.c_contiguous and effort.shape == (5, 2)


def test_two_plugins_claiming_one_name_make_the_name_an_error(dists, tasks_frame):
    dists.add("tc-first", "1.0", {"tc_first": TWIN.format(name="twin")}, {"first": "tc_first"})
    dists.add("tc-second", "2.0", {"tc_second": TWIN.format(name="twin")}, {"second": "tc_second"})
    registry = dists.registry()
    assert failures_by_name(registry)["second"].error == (
        "register_duration_models: duration model 'twin' is already registered by tc-first 1.0; "
        "the name is unusable until one is disabled"
    )
    with pytest.raises(PluginError) as err:
        registry.duration_model("twin")
    assert err.value.message == (
        "duration model 'twin' is registered by both tc-first 1.0 and tc-second 2.0; "
        "disable one, e.g. TEAMCAST_DISABLE_PLUGINS=second"
    )
    assert registry.provided("second") == {"duration_model": ["twin"]}


def test_disable_plugins_skips_named_entry_points_or_distributions(broken, monkeypatch):
    monkeypatch.setenv("TEAMCAST_DISABLE_PLUGINS", "no-import, tc_misspelled")
    registry = broken.registry()
    assert set(failures_by_name(registry)) == set()
    assert "wide" in registry.duration_models


def test_load_plugins_keeps_only_the_named_third_party_plugins_and_the_builtins(broken, monkeypatch):
    monkeypatch.setenv("TEAMCAST_LOAD_PLUGINS", "misspelled")
    registry = broken.registry()
    assert set(failures_by_name(registry)) == {"misspelled"}
    assert "wide" not in registry.duration_models
    assert {p.dist for p in registry.plugins if p.dist} <= {"teamcast"}


def test_an_unknown_name_lists_the_known_ones_and_points_at_failures(broken):
    with pytest.raises(PluginError) as err:
        broken.registry().duration_model("gama")
    assert err.value.message.startswith("unknown duration model 'gama' (known: ")
    assert "boom, fine, " in err.value.message
    assert err.value.message.endswith("; 2 plugin(s) failed to load, see `teamcast plugins`")


def test_a_plugin_registered_inline_appears_and_disappears():
    class Inline:
        @hookimpl
        def register_duration_models(self, register):
            register(
                DurationModel(
                    "inline-one", sample=lambda t, n, r: np.ones((n, t.height)), mean=lambda t: np.ones(t.height)
                )
            )

    pm = get_plugin_manager()
    pm.register(Inline(), name="inline-test")
    try:
        registry = get_registry(refresh=True)
        assert registry.owner("duration_model", "inline-one").name == "inline-test"
        assert registry.owner("duration_model", "inline-one").dist == ""
    finally:
        pm.unregister(name="inline-test")
    assert "inline-one" not in get_registry(refresh=True).duration_models


def test_checked_success_returns_uint8_and_rejects_other_values(tasks_frame, rng):
    tasks = tasks_frame([(1.0, 1.0, 1.0)] * 3)
    good = SuccessModel("half", sample=lambda t, n, r: np.arange(n * t.height).reshape(n, t.height) % 2 == 0)
    assert checked_success(good, tasks, 2, rng).tolist() == [[1, 0, 1], [0, 1, 0]]
    bad = SuccessModel("two", sample=lambda t, n, r: np.full((n, t.height), 2))
    with pytest.raises(PluginError) as err:
        checked_success(bad, tasks, 2, rng)
    assert (
        err.value.message
        == "hook register_success_models (success model 'two'): returned values other than 0/1 or True/False"
    )


def test_checked_modify_validates_the_new_block(tasks_frame, rng):
    tasks = tasks_frame([(1.0, 1.0, 1.0)] * 2)
    ctx = SampleContext(plan=None, tasks=tasks, doer=np.array(["ana", "bo"], dtype=object), first_trial=0, n=3)
    double = SampleModifier("double", apply=lambda c, effort, r: effort * 2)
    assert checked_modify(double, ctx, np.ones((3, 2)), rng).tolist() == [[2.0, 2.0]] * 3
    negate = SampleModifier("negate", apply=lambda c, effort, r: -effort)
    with pytest.raises(PluginError) as err:
        checked_modify(negate, ctx, np.ones((3, 2)), rng)
    assert err.value.message == (
        "hook register_sample_modifiers (sample modifier 'negate'): returned a negative effort for task 't0' (6 of 6 values)"
    )
