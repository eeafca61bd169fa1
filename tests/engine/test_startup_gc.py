"""The collector during a command's start-up (teamcast.engine.commands.startup) and at exit (cli.py).

Never timed: these check the collector's state, and that a command's output does not depend on it.
"""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from teamcast.engine.commands.cli import main
from teamcast.engine.commands.startup import quick_start, started

DEMO = str(Path(__file__).resolve().parents[2] / "engine" / "plan" / "data" / "demo.toml")


def test_paused_until_started_then_on_and_unfrozen_after():
    seen = []

    @quick_start
    def command() -> str:
        seen.append(gc.isenabled())
        started()
        seen.append((gc.isenabled(), gc.get_freeze_count() > 0))
        return "done"

    assert gc.isenabled()
    assert command() == "done"
    assert seen == [False, (True, True)]
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_command_that_fails_during_start_up_leaves_the_collector_on():
    @quick_start
    def command() -> None:
        raise ValueError("bad plan")

    with pytest.raises(ValueError):
        command()
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_collector_turned_off_by_the_caller_stays_off():
    @quick_start
    def command() -> bool:
        started()
        return gc.isenabled()

    gc.disable()
    try:
        assert command() is False
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.enable()


def test_simulate_prints_the_same_and_leaves_the_collector_as_it_was():
    runner = CliRunner()
    first = runner.invoke(main, ["simulate", DEMO, "--trials", "300", "--seed", "3", "--format", "json"])
    assert first.exit_code == 0, first.output
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()  # the same run with the collector off throughout: nothing it computes depends on it
    try:
        second = runner.invoke(main, ["simulate", DEMO, "--trials", "300", "--seed", "3", "--format", "json"])
    finally:
        gc.enable()
    assert second.exit_code == 0 and second.output == first.output


def test_at_exit_the_command_line_skips_the_last_collections():
    # An object in a reference cycle is freed only by the collector: with the command line
    # imported, the exit collections skip it (its __del__ never prints); without, they free it.
    script = """
import sys
if sys.argv[1] == "cli":
    import teamcast.engine.commands.cli
class Cycle:
    def __del__(self):
        print("collected", flush=True)
a = Cycle(); a.me = a; del a
"""
    for mode, expected in (("cli", ""), ("plain", "collected\n")):
        done = subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout == expected, mode
