"""`teamcast validate` asks the estimator plugins too: a plan it accepts is one `simulate` runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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


# --- the check without plugins gives the answers of the check that samples them ----------------

ESTIMATES = ["[1, 2, 5]", "[0, 2, 5]", "3", "0", "{ mean = 5, sd = 2 }", "[0, 0, 4]", "[0.5, 9, 9]"]
MODELS = ["pert", "triangular", "lognormal", "fixed"]
HIRES = ["", "time_to_hire = [10, 20, 40]", "time_to_hire = 15", "time_to_hire = [0, 5, 9]"]


def plan_text(tasks: list[tuple[str, str, str]], hire: str, hire_model: str) -> str:
    """A plan of `tasks` (id, estimate, model; ids ending in w are in progress, each with its own doer)."""
    lines = ['[plan]\nname = "x"\nstart = 2027-01-04\n']
    lines += [f'[[people]]\nid = "{who}"\nrole = "ml_engineer"\n' for who in ("ana", *(t for t, _, _ in tasks))]
    lines.append(f'[[hires]]\nid = "h"\nrole = "ml_engineer"\n{hire}\narrival_model = "{hire_model}"\n')
    lines.append('[[projects]]\nid = "p"\n')
    for task_id, estimate, model in tasks:
        who = 'role = "ml_engineer"\n'
        if task_id.endswith("w"):
            who = f'assignee = "{task_id}"\nstatus = "doing"\nstarted = 2026-12-21\n'
        lines.append(f'[[projects.tasks]]\nid = "{task_id}"\nestimate = {estimate}\nmodel = "{model}"\n{who}')
    return "\n".join(lines)


def cases() -> list[str]:
    import random

    pick = random.Random(15)
    out = []
    for k in range(60):
        tasks = [
            (f"t{j}{'w' if pick.random() < 0.2 else ''}", pick.choice(ESTIMATES), pick.choice(MODELS))
            for j in range(pick.randint(1, 5))
        ]
        out.append(plan_text(tasks, HIRES[k % len(HIRES)], MODELS[(k // len(HIRES)) % len(MODELS)]))
    return out


# A log-normal with a low of 0 takes log(0) before it refuses: NumPy warns, the refusal is the test.
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("text", cases(), ids=[f"plan{k}" for k in range(len(cases()))])
def test_teamcasts_own_models_are_checked_without_loading_them_with_the_same_answers(text):
    from teamcast.engine.forecast.frames import hire_frame, normalise_tasks
    from teamcast.engine.forecast.plugin_check import builtin_problems, sampled_problems
    from teamcast.engine.plan.planfile import check_plan_text

    plan, problems = check_plan_text(text)
    assert plan is not None and not [p for p in problems if p.severity == "error"], problems
    expected = sampled_problems(plan)
    assert builtin_problems(normalise_tasks(plan), hire_frame(plan)) == expected


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_the_cases_cover_every_kind_of_refusal():
    from teamcast.engine.forecast.plugin_check import sampled_problems
    from teamcast.engine.plan.planfile import check_plan_text

    said = [(p.location, p.message) for text in cases() for p in sampled_problems(check_plan_text(text)[0])]
    for location, words in (
        ("tasks[", "estimate is given as parameters"),  # parameters for a three-point model
        ("tasks[", "the lognormal model needs est_low > 0"),
        ("tasks[", "returned NaN for task"),  # fixed, which takes est_likely, given parameters
        ("plan", "the lognormal model needs est_low > 0"),  # a hire's time to hire
    ):
        assert any(at.startswith(location) and words in message for at, message in said), (location, words)
