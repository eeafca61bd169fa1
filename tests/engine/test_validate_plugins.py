"""`teamcast validate` asks the estimator plugins too: a plan it accepts is one `simulate` runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PLAN = """
[plan]
name = "x"
start = 2027-01-04

[[people]]
id = "ana"
role = "ml_engineer"

[[projects]]
id = "p"

[[projects.tasks]]
id = "a"
estimate = [{low}, 2, 5]
model = "{model_a}"
role = "ml_engineer"

[[projects.tasks]]
id = "b"
estimate = [1, 2, 5]
model = "{model_b}"
role = "ml_engineer"
"""


def teamcast(*args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("teamcast")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120)


def write(tmp_path, **values) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(PLAN.format(**({"low": 1, "model_a": "pert", "model_b": "pert"} | values)))
    return path


def test_an_unknown_model_name_is_named_where_it_is(tmp_path):
    path = write(tmp_path, model_b="nosuch")
    result = teamcast("validate", str(path))
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        f"error: {path}: tasks[b].model: unknown duration model 'nosuch' (known: fixed, lognormal, pert, triangular)"
    )
    assert "Traceback" not in result.stderr


def test_an_estimate_the_model_refuses_is_found_by_validate_not_first_by_simulate(tmp_path):
    path = write(tmp_path, low=0, model_a="lognormal", model_b="lognormal")
    result = teamcast("validate", str(path))
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        f"error: {path}: tasks[a].estimate: task 'a': the lognormal model needs est_low > 0 (its P10), got 0"
    )
    assert len(result.stderr.splitlines()) == 2  # task b is fine: only a is named


def test_a_plan_the_plugins_take_still_validates(tmp_path):
    result = teamcast("validate", str(write(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("ok — 1 project, 2 tasks, 1 person\n")
