"""The engine is headless: importing it (and its CLI) must not pull in Textual."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["teamcast.engine", "teamcast.engine.commands.cli", "teamcast.engine.views"])
def test_engine_does_not_import_textual(module):
    code = f"import sys, {module}; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
