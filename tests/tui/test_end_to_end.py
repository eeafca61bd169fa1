"""The real `teamcast` executable in a pseudo-terminal (tmux, 80×24): all four screens, then a task edit saved."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import polars as pl
import pytest

from teamcast.engine.plan.workspace import Workspace

TEAMCAST = Path(sys.executable).with_name("teamcast")
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    def __init__(self, command: list[str], env: dict[str, str]):
        self.name = f"teamcast-e2e-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        line = f"env {exports} {' '.join(command)}"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "80", "-y", "24", line], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True).stdout

    def keys(self, *keys: str) -> None:
        """One key at a time, as a person types: a burst can arrive as one escape sequence."""
        for key in keys:
            subprocess.run(["tmux", "send-keys", "-t", self.name, key], check=True)
            time.sleep(0.1)

    def wait_for(self, text: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not on screen:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def _command(workspace: Path) -> list[str]:
    return [str(TEAMCAST), "tui", str(workspace)]


def test_four_screens_and_an_edit(demo_db):
    env = {"TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none"}
    tmux = Tmux(_command(demo_db), env)
    try:
        tmux.wait_for("forecast: 10,000 trials", timeout=15)
        tmux.keys("o")
        tmux.wait_for("Archetype (stated)")
        tmux.keys("r")
        tmux.wait_for("Growth: Priya Natarajan")
        tmux.keys("t")
        tmux.wait_for("Brier score 0.116")
        tmux.keys("p")
        tmux.wait_for("Fraud model v2")
        tmux.keys("Enter")
        tmux.wait_for("Completion dates")
        tmux.keys("Down", "Down", "e")  # the challenge, then its first approach: fraud-gbm
        tmux.wait_for("Task fraud-gbm")
        time.sleep(0.5)  # the form focuses its first field once mounted
        tmux.keys("Tab", "BSpace", "1", "5")  # likely 14 -> 15
        tmux.keys("F2")
        tmux.wait_for("what changed")
        tmux.keys("q")
    finally:
        tmux.close()
    with Workspace.open(demo_db) as ws:
        assert ws.load().tasks.filter(pl.col("id") == "fraud-gbm")["est_likely"][0] == 15.0
