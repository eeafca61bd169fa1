"""The import budget of CLI start-up: which heavy libraries a command loads (names, never times).

Each command runs in a fresh interpreter, which then reports the top-level packages in
sys.modules. A command that starts importing scipy, matplotlib, Textual, Dask or pyarrow
without needing them fails here, before anyone notices the slower start.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DEMO = str(Path(__file__).resolve().parents[2] / "engine" / "plan" / "data" / "demo.toml")
HEAVY = {"scipy", "matplotlib", "textual", "dask", "distributed", "pyarrow", "pandas", "cloudpickle"}

RUN_AND_LIST = """
import json, sys
sys.argv = ["teamcast", *json.loads(sys.argv[1])]
from teamcast.engine.commands.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
sys.stdout.flush()
print("\\nMODULES " + json.dumps([code, sorted(sys.modules)]))
"""


def imported(*args: str) -> set[str]:
    """Modules loaded by `teamcast ARGS` (which must succeed), and their top-level packages."""
    done = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST, json.dumps(list(args))], capture_output=True, text=True, timeout=120
    )
    line = next(x for x in reversed(done.stdout.splitlines()) if x.startswith("MODULES "))
    code, modules = json.loads(line.removeprefix("MODULES "))
    assert code in (0, None), done.stderr
    return set(modules) | {name.split(".")[0] for name in modules}


def test_version_loads_neither_numpy_nor_polars():
    loaded = imported("--version")
    assert not loaded & (HEAVY | {"numpy", "polars"})


def test_validate_loads_no_heavy_library_and_no_numpy():
    loaded = imported("validate", DEMO)
    assert "polars" in loaded  # it did read the plan
    assert "teamcast.engine.forecast.plugin_check" in loaded  # and asked about its models
    assert not loaded & HEAVY
    # A plan of teamcast's own models is checked against their rules without loading them (~100 ms).
    assert "numpy" not in loaded
    assert not {m for m in loaded if m.startswith(("teamcast.plugins.", "teamcast.engine.practice"))} - {
        "teamcast.plugins.discovery",
        "teamcast.plugins.records",
    }


@pytest.mark.parametrize("trials", ["1", "3000"])
def test_simulate_loads_no_heavy_library(trials):
    # The demo has work in progress, so this also covers the PERT CDF of the in-progress update
    # and the rank correlations of sensitivity.
    loaded = imported("simulate", DEMO, "--trials", trials, "--format", "json")
    assert "teamcast.engine.forecast.simulate" in loaded and "numpy" in loaded
    assert not loaded & HEAVY
    assert "numpy.ma" not in loaded  # np.percentile and Polars frames from NumPy arrays load it (~40 ms)
    # Neither the records of report/check/optimise (created on first use) nor difflib (suggestions for
    # misspelt keys) nor the TOML writer (a simulation never writes a plan) nor the e-mail parser
    # (plugin discovery reads Name and Version from the METADATA header lines).
    assert not loaded & {"teamcast.plugins.command_records", "difflib", "tomli_w", "email.parser"}


def test_simulate_without_gates_loads_no_gate_code():
    # --fail-if gates (and the JSON form they read) are built only when asked for.
    assert "teamcast.engine.forecast.gates" not in imported("simulate", DEMO, "--trials", "1")
    assert "teamcast.engine.forecast.gates" in imported(
        "simulate", DEMO, "--trials", "1", "--fail-if", "fraud.p_success<0"
    )


def test_the_command_table_names_the_module_of_every_built_in_command():
    import importlib

    from teamcast.engine.commands.cli import COMMAND_MODULES, COMMAND_TABLE

    found = {
        command.name: module
        for module in COMMAND_MODULES
        for command in importlib.import_module(f"teamcast.engine.commands.{module}").commands
    }
    assert COMMAND_TABLE == found


def test_a_command_imports_its_own_command_module_only():
    loaded = imported("validate", DEMO)
    modules = {m for m in loaded if m.startswith("teamcast.engine.commands.")}
    assert modules == {
        "teamcast.engine.commands.cli",
        "teamcast.engine.commands.terminal",
        "teamcast.engine.commands.validate",
    }


# Third-party packages each command may import (top-level names; the standard library is free).
# A command that starts importing another one fails here: add it only knowing what it costs.
PACKAGE_BUDGET = {
    "--version": {"click", "pluggy"},
    "validate": {"click", "pluggy", "polars", "tomli", "typing_extensions"},
    "simulate": {"click", "pluggy", "polars", "tomli", "typing_extensions", "numpy"},
}


def third_party(loaded: set[str]) -> set[str]:
    tops = {m.split(".")[0] for m in loaded}
    # Private top-level modules of compiled wheels (mypyc's, Cython's) come with their package.
    return {m for m in tops - set(sys.stdlib_module_names) if not m.startswith("_") and "__mypyc" not in m} - {
        "teamcast",
        "cython_runtime",
    }


@pytest.mark.parametrize(
    "args",
    [("--version",), ("validate", DEMO), ("simulate", DEMO, "--trials", "3000", "--format", "json")],
    ids=["version", "validate", "simulate"],
)
def test_a_command_imports_no_package_beyond_its_budget(args):
    assert third_party(imported(*args)) - PACKAGE_BUDGET[args[0]] == set()


def test_simulate_imports_none_of_the_practice_retro_app_or_other_commands():
    loaded = imported("simulate", DEMO, "--trials", "1", "--format", "json")
    unwanted = ("teamcast.engine.practice", "teamcast.engine.retro", "teamcast.tui", "teamcast.plugins.searches")
    assert not {m for m in loaded if m.startswith(unwanted)}
    commands = {m for m in loaded if m.startswith("teamcast.engine.commands.")}
    assert commands == {f"teamcast.engine.commands.{m}" for m in ("cli", "terminal", "simulate", "startup")}
