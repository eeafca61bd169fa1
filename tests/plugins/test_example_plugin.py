"""The example third-party plugin of examples/teamcast-plugin-example, installed with pip, end to end.

pip installs it with `--target` into a temporary folder put on sys.path: a real install
(built by its setuptools backend, with a dist-info and entry points) that leaves the shared
virtualenv untouched.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from teamcast.engine.commands.plugins import plugins
from teamcast.plugins.manager import checked_sample, get_registry

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "teamcast-plugin-example"


@pytest.fixture(scope="module")
def example_installed(tmp_path_factory):
    # pip builds in the source tree; a copy keeps build/ and *.egg-info out of the checkout.
    source = tmp_path_factory.mktemp("example-src") / EXAMPLE.name
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = tmp_path_factory.mktemp("example-site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path_factory.mktemp("pip-cwd"),
    )
    sys.path.insert(0, str(target))
    yield target
    sys.path.remove(str(target))
    sys.modules.pop("teamcast_plugin_example", None)
    get_registry(refresh=True)


def test_plugins_json_lists_the_example(example_installed):
    get_registry(refresh=True)
    result = CliRunner().invoke(plugins, ["--json"])
    assert result.exit_code == 0, result.output
    listed = {p["name"]: p for p in json.loads(result.output)["plugins"]}
    assert listed["gamma"] == {
        "name": "gamma",
        "dist": "teamcast-plugin-example",
        "version": "0.1.0",
        "module": "teamcast_plugin_example",
        "hooks": ["register_duration_models"],
        "provides": {"duration_model": ["gamma"]},
    }


def test_plugins_table_lists_the_example(example_installed):
    get_registry(refresh=True)
    result = CliRunner().invoke(plugins, [])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].split() == ["plugin", "distribution", "provides"]
    row = next(line for line in result.output.splitlines() if line.startswith("gamma "))
    assert row.split() == ["gamma", "teamcast-plugin-example", "0.1.0", "duration", "model:", "gamma"]


def test_the_example_gamma_model_matches_the_pert_mean(example_installed, tasks_frame, rng):
    model = get_registry(refresh=True).duration_model("gamma")
    tasks = tasks_frame([(2.0, 5.0, 10.0), (3.0, 3.0, 3.0)])
    effort = checked_sample(model, tasks, 100_000, rng)
    mean, sd = (2 + 20 + 10) / 6, 8 / 6
    assert abs(effort[:, 0].mean() - mean) <= 5 * sd / np.sqrt(100_000)
    assert (effort[:, 1] == 3.0).all()


def test_load_failures_are_listed_by_distribution(dists):
    dists.add(
        "tc-no-import",
        "0.1",
        {"tc_no_import_cli": "raise RuntimeError('half installed')\n"},
        {"no-import": "tc_no_import_cli"},
    )
    dists.registry()
    result = CliRunner().invoke(plugins, ["--json"])
    assert {
        "name": "no-import",
        "dist": "tc-no-import",
        "version": "0.1",
        "error": "cannot import tc_no_import_cli: RuntimeError: half installed",
    } in json.loads(result.output)["failures"]
    table = CliRunner().invoke(plugins, []).output
    assert (
        "  no-import (tc-no-import 0.1): cannot import tc_no_import_cli: RuntimeError: half installed"
        in table.splitlines()
    )
