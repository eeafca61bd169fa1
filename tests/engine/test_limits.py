"""Every number has a sane range (issue 14, principle 4): validation names the bound, and whatever it
accepts, simulate, schedule, report and retro run without a crash (a property test near the bounds)."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teamcast.engine.commands.cli import main
from teamcast.engine.plan.limits import MAX_DATE, MAX_DAYS, MAX_HORIZON_DAYS, MAX_UNITS, MIN_CAPACITY
from teamcast.engine.plan.planfile import check_plan_text

BASE = """\
[plan]
name = "Edge"
start = {start}

[pools]
gpus = {gpus}

[[people]]
id = "ana"
role = "ml_engineer"
capacity = {capacity}

[[hires]]
id = "h1"
role = "ml_engineer"
time_to_hire = {tth}

[[projects]]
id = "p"
deadline = {deadline}

[[projects.tasks]]
id = "t0"
estimate = [{low}, {likely}, {high}]
needs = {{ ml_engineer = 1, gpus = {need} }}
status = "done"
started = {start}
finished = {start}
actual_days = {actual}
{more}
"""


def plan_text(**values) -> str:
    defaults = dict(
        start="2027-01-04",
        gpus=4,
        capacity=1,
        tth=30,
        deadline="2027-06-30",
        low=1,
        likely=2,
        high=4,
        need=1,
        actual=2,
        more="",
    )
    return BASE.format(**(defaults | values))


def errors(text: str) -> list[str]:
    return [str(p) for p in check_plan_text(text)[1] if p.severity == "error"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"deadline": "9999-12-31"}, "projects[p].deadline: 9999-12-31 is outside the calendar"),
        ({"likely": 3e7, "high": 3e7 + 1}, "projects[p].tasks[t0].estimate: must be at most 10,000 working days"),
        ({"tth": 1e6}, "hires[h1].time_to_hire: must be at most 10,000 working days"),
        ({"capacity": 1e-300}, "people[ana].capacity: must be at least 0.01"),
        ({"high": 1e300}, "must be at most 10,000 working days, got 1e+300"),
        ({"actual": 1e308}, "projects[p].tasks[t0].actual_days: must be at most 10,000 working days"),
        ({"gpus": 1_000_000}, "pools.gpus: must be at most 1,000 units, got 1,000,000"),
    ],
)
def test_out_of_range_values_are_errors_that_name_the_bound(values, expected):
    assert any(expected in e for e in errors(plan_text(**values))), errors(plan_text(**values))


def test_a_long_plan_must_fit_the_calendar():
    chain = "\n".join(f'[[projects.tasks]]\nid = "c{i}"\nestimate = 9000\nrole = "ml_engineer"\n' for i in range(12))
    found = errors(plan_text(capacity=0.01, more=chain))
    assert any("teamcast plans up to 1,000,000" in e for e in found), found


def test_p_success_as_a_percentage_gets_a_fraction_hint():
    text = plan_text(more='[[projects.tasks]]\nid = "x"\nestimate = 1\nrole = "ml_engineer"\np_success = 50\n')
    assert any("write a probability as a fraction (0.5 for 50%)" in e for e in errors(text))


@pytest.mark.parametrize("bad", ["   ", "a\x1b]0;pwned\x07", "tab\there", "bidi\u202e"])
def test_ids_must_be_printable_and_not_blank(bad):
    text = plan_text(more=f'[[projects.tasks]]\nid = {json.dumps(bad)}\nestimate = 1\nrole = "ml_engineer"\n')
    found = errors(text)
    assert any("must not be blank" in e or "ids must be printable" in e for e in found), found


def _days(high: float) -> st.SearchStrategy:
    return st.floats(0, high, allow_nan=False)


@st.composite
def edge_plans(draw) -> str:
    """Valid plans with values drawn up to (and at) the bounds, the total work within the horizon."""
    near = st.sampled_from
    start = draw(st.dates(dt.date(1990, 1, 1), dt.date(2190, 12, 31)))
    capacity = draw(near([MIN_CAPACITY, 1.0]) | st.floats(MIN_CAPACITY, 1.0))
    tth = draw(near([0.0, MAX_DAYS]) | _days(MAX_DAYS))
    # each of the two tasks may take half of what is left of the horizon at this capacity
    most = min(MAX_DAYS, (MAX_HORIZON_DAYS - tth) * capacity / 2)
    high = draw(near([most, most / 2, min(1.0, most)]) | _days(most))
    low = draw(st.floats(0, high * 0.99))
    likely = draw(st.floats(low, high)) if high > low else low
    gpus = draw(near([1, MAX_UNITS]) | st.integers(1, MAX_UNITS))
    return plan_text(
        start=start.isoformat(),
        gpus=gpus,
        capacity=repr(capacity),
        tth=repr(tth),
        deadline=draw(near([MAX_DATE, start]) | st.dates(start, MAX_DATE)).isoformat(),
        low=repr(low),
        likely=repr(likely),
        high=repr(high) if high > low else repr(low + min(1.0, most / 2)),
        need=draw(st.integers(1, gpus)),
        actual=repr(draw(near([0.0, MAX_DAYS]) | _days(MAX_DAYS))),
        more=(
            '[[projects.tasks]]\nid = "t1"\n'
            f"estimate = {draw(near([most, 0.0]) | _days(most))!r}\n"
            'after = ["t0"]\nassignee = "h1"\n'
        ),
    )


def _finite_json(value) -> None:
    json.dumps(value, allow_nan=False)  # raises on Infinity or NaN


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edge_plans())
def test_whatever_validation_accepts_every_command_runs(tmp_path_factory, text):
    from teamcast.engine.forecast.schedule import deterministic_schedule
    from teamcast.engine.forecast.simulate import simulate
    from teamcast.engine.plan.planfile import parse_plan_text
    from teamcast.engine.retro.report import render, report_data

    plan, problems = check_plan_text(text)
    assert plan is not None and not [p for p in problems if p.severity == "error"], problems
    plan = parse_plan_text(text)
    forecast = simulate(plan, trials=16, seed=0)
    _finite_json(forecast.to_json())
    deterministic_schedule(plan)
    for kind in ("leadership", "retro"):
        render(report_data(plan, kind, trials=16), ".md")
    path = tmp_path_factory.mktemp("edge") / "p.toml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["retro", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    _finite_json(json.loads(result.output))
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in [forecast.trials])
