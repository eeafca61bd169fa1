"""`teamcast optimise --hires`, `--strategy` and the serial scheme of `--deterministic`: each has an
effect on a plan where it matters, is reported in `changes`, and (for strategies) is stored by --save."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from teamcast.engine.commands.cli import main
from teamcast.engine.forecast.optimise import optimise
from teamcast.engine.forecast.optimise_report import render_result
from teamcast.engine.plan.planfile import parse_plan_text as parse_plan
from teamcast.errors import SimulationError, UsageError

ROOT = Path(__file__).resolve().parents[2]

# Two hires, one search at a time: whichever is filled first arrives at day 20, the other at 40.
# The valuable project needs the data engineer by its deadline (day 34); the plan lists the
# researcher first.
HIRES = """
[plan]
name = "who first"
start = 2027-01-04

[[hires]]
id = "h-res"
role = "ml_researcher"
time_to_hire = [18, 20, 22]

[[hires]]
id = "h-de"
role = "data_engineer"
time_to_hire = [18, 20, 22]

[[projects]]
id = "small"
deadline = 2027-02-19
value = 1

[[projects.tasks]]
id = "study"
estimate = [9, 10, 11]
role = "ml_researcher"

[[projects]]
id = "big"
deadline = 2027-02-19
value = 5

[[projects.tasks]]
id = "pipeline"
estimate = [9, 10, 11]
role = "data_engineer"
"""

# A sequential challenge whose first approach is slow: tried in parallel, the quick one wins by day 3.
STRATEGY = """
[plan]
name = "both at once"
start = 2027-01-04

[[people]]
id = "ana"
role = "ml_researcher"

[[people]]
id = "bo"
role = "ml_engineer"

[[projects]]
id = "model"
deadline = 2027-01-11
value = 3

[[projects.tasks]]
id = "slow"
estimate = [9, 10, 11]
role = "ml_researcher"

[[projects.tasks]]
id = "quick"
estimate = [2, 3, 4]
role = "ml_engineer"

[[projects.challenges]]
id = "ship"
strategy = "sequential"
approaches = ["slow", "quick"]
"""


def test_hire_order_matters_only_when_searched_and_is_reported():
    plan = parse_plan(HIRES)
    plain = optimise(plan, deterministic=True, passes=20)
    # As planned, both searches run from day 0: both projects on time, nothing to gain.
    assert plain.in_sample.baseline == 6 and not plain.improved and plain.hire_order is None
    result = optimise(plan, deterministic=True, passes=20, hires=True)
    assert result.scheme == "parallel"  # the hire order changes the future: the kernel schedules it
    assert (result.in_sample.baseline, result.in_sample.best) == (1, 5)
    assert result.improved and result.hire_order == ["h-de", "h-res"]
    assert result.changes["hires_reordered"] == [{"from": ["h-res", "h-de"], "to": ["h-de", "h-res"]}]
    # The figures rest on teamcast's pipeline reading, not on simulate's: the report says so.
    assert plain.hiring_slots is None and result.hiring_slots == 1 and result.to_json()["hiring_slots"] == 1
    assert "hires as a pipeline (teamcast's reading): 1 search(es) at a time" in render_result(result)
    assert "pipeline" not in render_result(plain)
    # Two searches at a time: the order no longer matters.
    two = optimise(plan, deterministic=True, passes=20, hires=True, hiring_slots=2)
    assert two.in_sample.baseline == 6 and not two.improved and two.changes["hires_reordered"] == []


def test_hires_flag_in_the_command_json_and_sampled(tmp_path):
    plan = parse_plan(HIRES)
    sampled = optimise(plan, passes=20, trials=400, hires=True)
    assert sampled.improved and sampled.hire_order == ["h-de", "h-res"]
    assert sampled.out_of_sample is not None and sampled.out_of_sample.difference > 0
    path = tmp_path / "hires.toml"
    path.write_text(HIRES)
    res = CliRunner().invoke(main, ["optimise", str(path), "--hires", "--passes", "20", "--trials", "300"])
    assert res.exit_code == 0, res.output
    assert "fill the hires in this order: h-de > h-res (was h-res > h-de)" in res.stdout
    res = CliRunner().invoke(main, ["optimise", str(path), "--deterministic", "--hires", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["hire_order"] == ["h-de", "h-res"]


def test_strategy_is_searched_reported_and_saved(tmp_path):
    from teamcast.engine.plan.io import load_plan
    from teamcast.engine.plan.workspace import Workspace

    plan = parse_plan(STRATEGY)
    plain = optimise(plan, deterministic=True, passes=20)
    assert not plain.improved and plain.strategies == {}
    result = optimise(plan, deterministic=True, passes=20, strategy=True)
    assert result.improved and result.strategies == {"ship": "parallel"}
    assert result.changes["strategies_changed"] == [{"challenge": "ship", "from": "sequential", "to": "parallel"}]
    assert (result.in_sample.baseline, result.in_sample.best) == (0, 3)

    db = tmp_path / "team.db"
    with Workspace.create(db) as ws:
        ws.import_plan(plan)
    res = CliRunner().invoke(
        main, ["optimise", str(db), "--deterministic", "--strategy", "--passes", "20", "--save", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "docs" / "schema" / "optimise.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(out)
    assert out["strategies"] == {"ship": "parallel"} and out["changes"]["strategies_changed"]
    saved = load_plan(db)
    assert saved.challenges.filter(saved.challenges["id"] == "ship")["strategy"].to_list() == ["parallel"]
    # The saved plan now forecasts what the optimiser found.
    again = optimise(saved, deterministic=True, passes=0)
    assert again.in_sample.baseline == 3


def test_scheme_option_and_why_the_serial_scheme_does_not_fit(tmp_path):
    plan = parse_plan(STRATEGY)
    path = tmp_path / "strategy.toml"
    path.write_text(STRATEGY)
    res = CliRunner().invoke(main, ["optimise", str(path), "--scheme", "serial"])
    assert res.exit_code == 2 and "needs --deterministic" in res.stderr and "Traceback" not in res.output
    with pytest.raises(UsageError, match="needs --deterministic"):
        optimise(plan, scheme="serial", passes=1, trials=10)
    with pytest.raises(UsageError, match="alternative approaches"):
        optimise(plan, deterministic=True, scheme="serial", passes=1)
    assert optimise(plan, deterministic=True, passes=1).scheme == "parallel"


def test_serial_scheme_reaches_an_optimum_the_parallel_dispatch_cannot():
    from teamcast.engine.plan.psplib import read_optimum_file, read_sm

    spec = importlib.util.spec_from_file_location("schedule_checker", ROOT / "tests" / "engine" / "schedule_checker.py")
    checker = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = checker  # type: ignore[union-attr]  # its dataclasses look themselves up there
    spec.loader.exec_module(checker)  # type: ignore[union-attr]
    j30 = checker.j30_dir() or Path("/work/shared/data/psplib/j30")
    if not (j30 / "j3039_1.sm").exists():
        pytest.skip("PSPLIB J30 not found (set TEAMCAST_PSPLIB_DIR)")
    plan = read_sm(j30 / "j3039_1.sm")
    optimum = read_optimum_file(j30 / "j30opt.sm")["j3039_1"]  # 55
    kwargs = {"objective": "makespan", "deterministic": True, "priority": "lft", "passes": 300}
    serial = optimise(plan, **kwargs)
    parallel = optimise(plan, scheme="parallel", **kwargs)
    assert serial.scheme == "serial" and parallel.scheme == "parallel"
    assert serial.in_sample.baseline == parallel.in_sample.baseline  # both: `teamcast schedule --priority lft`
    assert serial.in_sample.best == optimum < parallel.in_sample.best
    assert float(serial.schedule["finish"].max()) == optimum
    # Its optimum has someone wait; dispatched in parallel (as `simulate` would) the list loses that.
    assert serial.dispatched_best is not None and serial.dispatched_best > optimum
    assert parallel.dispatched_best is None


def test_a_hiring_pipeline_without_slots_is_a_usage_error(tmp_path):
    path = tmp_path / "strategy.toml"
    path.write_text(STRATEGY)
    res = CliRunner().invoke(main, ["optimise", str(path), "--hires", "--hiring-slots", "0"])
    assert res.exit_code == 2 and "--hiring-slots" in res.stderr and "Traceback" not in res.output
    with pytest.raises(SimulationError, match="hiring slots must be at least 1"):
        optimise(parse_plan(STRATEGY), hires=True, hiring_slots=0, passes=1, trials=10)
