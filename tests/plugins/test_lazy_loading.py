"""Plugins load a kind at a time: a command that needs estimators imports neither the health checks
nor the searches, and what it gets is what loading everything would give."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from teamcast.engine.forecast.plugin_check import BUILTIN_DURATION_MODELS, BUILTIN_SUCCESS_MODELS
from teamcast.plugins import discovery
from teamcast.plugins.manager import get_registry

DEMO = str(Path(__file__).resolve().parents[2] / "engine" / "plan" / "data" / "demo.toml")


def test_the_table_of_teamcasts_own_entry_points_says_what_each_registers():
    registry = get_registry(refresh=True)
    builtin = [f.entry_point.name for f in discovery.scan() if f.builtin]
    assert sorted(builtin) == sorted(discovery.BUILTIN_KINDS)
    for name in builtin:
        assert set(registry.provided(name)) == discovery.BUILTIN_KINDS[name], name


def test_validates_own_model_table_names_the_entry_points_that_register_them():
    registry = get_registry(refresh=True)
    for name, (entry_point, _) in BUILTIN_DURATION_MODELS.items():
        assert (registry.owner("duration_model", name).name, registry.owner("duration_model", name).dist) == (
            entry_point,
            "teamcast",
        )
    for name, entry_point in BUILTIN_SUCCESS_MODELS.items():
        assert registry.owner("success_model", name).name == entry_point


def test_the_load_order_is_the_scan_order_whichever_kind_is_asked_for_first():
    registry = get_registry(refresh=True)
    assert registry.checks and registry.duration_models  # health checks loaded before the models
    loaded = [p.name for p in registry.plugins]
    assert loaded == [f.entry_point.name for f in discovery.scan() if discovery.wanted(f)][: len(loaded)]
    assert set(loaded) >= set(discovery.BUILTIN_KINDS)


def test_asking_for_estimators_imports_no_health_check_and_no_search():
    code = (
        "import sys\n"
        "from teamcast.plugins.manager import get_registry\n"
        "registry = get_registry()\n"
        "registry.duration_model('pert'); registry.success_model('bernoulli'); registry.priority_rule('value')\n"
        "print(sorted(m for m in sys.modules if m.startswith('teamcast.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    loaded = done.stdout
    assert "teamcast.plugins.pert" in loaded and "teamcast.plugins.priority" in loaded
    for module in ("teamcast.engine.practice", "teamcast.plugins.searches", "teamcast.plugins.ebs"):
        assert module not in loaded


TWIN_PERT = """
import numpy as np
from teamcast import hookimpl
from teamcast.plugins.records import DurationModel

@hookimpl
def register_duration_models(register):
    register(DurationModel("pert", sample=lambda t, n, r: np.ones((n, t.height)), mean=lambda t: np.ones(t.height)))
"""


def test_validate_asks_an_installed_plugin_even_when_the_plan_names_only_teamcasts_models(dists):
    """A third-party plugin may claim a built-in name: validate must not answer for it from teamcast's rules."""
    dists.add("tc-twin", "1.0", {"tc_twin": TWIN_PERT}, {"twin": "tc_twin"})
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(dists.root), os.environ.get("PYTHONPATH", "")]))
    exe = Path(sys.executable).with_name("teamcast")
    done = subprocess.run([str(exe), "validate", DEMO], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 1
    assert "duration model 'pert' is registered by both teamcast" in done.stderr
    assert "tc-twin 1.0" in done.stderr


def test_the_scan_finds_what_importlib_metadata_finds(tmp_path, monkeypatch):
    # The scan parses only the entry_points.txt files that mention the group; it must find the same
    # entry points, in the same order, as importlib.metadata.entry_points(group=...) does, including
    # a second copy of a distribution later on sys.path (ignored by both: the first one wins).
    import importlib.metadata

    for folder, version in (("a", "1.0"), ("b", "2.0")):
        info = tmp_path / folder / f"shadowed_plugin-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: shadowed-plugin\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[teamcast]\nshadow{folder} = shadowed_plugin_{folder}\n")
    monkeypatch.syspath_prepend(str(tmp_path / "b"))
    monkeypatch.syspath_prepend(str(tmp_path / "a"))
    expected = list(importlib.metadata.entry_points(group=discovery.GROUP))
    found = discovery.group_entry_points()
    assert [(ep.name, ep.value) for ep in found] == [(ep.name, ep.value) for ep in expected]
    assert "shadowa" in [ep.name for ep in found] and "shadowb" not in [ep.name for ep in found]


def test_name_and_version_read_as_the_metadata_parser_reads_them(tmp_path):
    import importlib.metadata

    for dist in importlib.metadata.distributions():  # every installed one
        meta = dist.metadata
        assert discovery.name_and_version(dist) == (meta["Name"] or "", meta["Version"] or ""), dist
    odd = {
        "plain": "Metadata-Version: 2.1\nName: Odd.Plugin\nVersion:  1.0\nname: second\n\nbody: x\n",
        "folded": "Metadata-Version: 2.1\nName: odd\n  -plugin\nVersion: 2.0\n",
        "crlf": "Metadata-Version: 2.1\r\nName: odd-plugin\r\nVersion: 3.0\r\n",
        "no-version": "Name: odd-plugin\n",
        "empty": "",
    }
    for label, text in odd.items():
        folder = tmp_path / f"{label}.dist-info"
        folder.mkdir()
        (folder / "METADATA").write_text(text, newline="")
        dist = importlib.metadata.PathDistribution(folder)
        meta = dist.metadata
        assert discovery.name_and_version(dist) == (meta["Name"] or "", meta["Version"] or ""), label
