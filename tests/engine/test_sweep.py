"""Sweeps: the grid, common random numbers, bad scenarios, ranking, and identical results on every executor."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from teamcast.engine.forecast.sweep import grid, parse_vary, rank, sweep
from teamcast.engine.plan.demo import demo_plan
from teamcast.errors import TeamcastError, UsageError

TEAMCAST = Path(sys.executable).with_name("teamcast")


@pytest.fixture(scope="module")
def plan():
    return demo_plan()


def test_grid_is_the_cartesian_product_in_order():
    axes = [parse_vary("priority=value,lft"), parse_vary("hire.data_engineer=none,20,60")]
    scenarios = grid(axes)
    assert len(scenarios) == 6
    assert scenarios[1].label == "priority=value, hire.data_engineer=20"
    with pytest.raises(UsageError, match="KEY=V1,V2"):
        parse_vary("priority")


def test_a_no_op_variation_gives_identical_numbers(plan):
    # capacity.tomas=1.0 is tomas's capacity already; project.fraud=on keeps the project.
    table = sweep(plan, [parse_vary("project.fraud=on"), parse_vary("hire.req-data-engineer=on")], trials=1024, seed=3)
    base = sweep(plan, [], trials=1024, seed=3)
    metrics = ["project", "p50", "p80", "p95", "p_success", "p_on_time", "expected_value"]
    assert table.select(metrics).equals(base.select(metrics))


SMALL = """
[plan]
name = "small"
start = 2027-01-04
default_model = "fixed"

[[people]]
id = "ana"
role = "ml_researcher"

[[people]]
id = "bo"
role = "ml_researcher"

[[projects]]
id = "p"
name = "P"

[[projects.tasks]]
id = "a"
estimate = 5
p_success = 0.5
role = "ml_researcher"

[[projects.tasks]]
id = "b"
estimate = 5
p_success = 0.5
role = "ml_researcher"

[[projects.challenges]]
id = "goal"
strategy = "parallel"
approaches = ["a", "b"]
"""


def test_variations_change_what_they_should(plan):
    table = sweep(plan, [parse_vary("project.fraud=on,off")], trials=1024)
    dropped = table.filter(table["project.fraud"] == "off")
    assert "fraud" not in dropped["project"].to_list()
    from teamcast.engine.plan.planfile import parse_plan_text

    small = sweep(parse_plan_text(SMALL), [parse_vary("strategy.goal=parallel,sequential")], trials=2048)
    parallel, sequential = small.sort("strategy.goal")["p95"].to_list()
    assert (parallel, sequential) == (5.0, 10.0)  # the second approach only starts after the first failed


def test_an_invalid_scenario_is_reported_and_the_sweep_goes_on(plan):
    # Without data engineers, the work assigned to them by name has no one to do it.
    table = sweep(plan, [parse_vary("people.data_engineer=0,2")], trials=512)
    bad = table.filter(table["people.data_engineer"] == "0")
    assert bad.height == 1 and "unknown person or open hire" in bad["error"][0]
    good = table.filter(table["people.data_engineer"] == "2")
    assert good["error"].is_null().all() and good.height == plan.projects.height


def test_unknown_keys_are_usage_errors_before_anything_runs(plan):
    with pytest.raises(UsageError, match="unknown sweep key 'team.size'"):
        sweep(plan, [parse_vary("team.size=1,2")])
    with pytest.raises(UsageError, match="no project 'nope'"):
        sweep(plan, [parse_vary("project.nope=on")])


def test_rank_keeps_the_best_scenarios(plan):
    table = sweep(plan, [parse_vary("hire.data_engineer=none,5")], trials=1024)
    best = rank(table, "feature-store.p80", 1)
    assert best["hire.data_engineer"].unique().to_list() == ["5"]
    with pytest.raises(UsageError, match="METRIC"):
        rank(table, "feature-store.speed", 1)


def test_local_pool_and_dask_cluster_agree_exactly_with_one_process(plan):
    # 16 scenarios of four kinds of delta: more than a local pool's window of calls in flight.
    axes = [
        parse_vary("priority=value,lft"),
        parse_vary("hire.ml_engineer=none,10"),
        parse_vary("capacity.maya=0.6,1.0"),
        parse_vary("strategy.fraud-beat-rules=parallel,sequential"),
    ]
    serial = sweep(plan, axes, trials=1024, seed=9)
    pooled = sweep(plan, axes, trials=1024, seed=9, jobs=2)
    assert serial.equals(pooled)
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address  # inproc://..., Dask's own address form
        on_dask = sweep(plan, axes, trials=1024, seed=9, executor=address)
    assert serial.equals(on_dask)


def test_an_unreachable_dask_scheduler_is_a_clear_error_quickly(plan):
    started = time.monotonic()
    with pytest.raises(TeamcastError, match="could not reach the Dask scheduler at tcp://127.0.0.1:9"):
        sweep(plan, [parse_vary("priority=value")], executor="dask://127.0.0.1:9")
    assert time.monotonic() - started < 10


def test_the_cli_ranks_hiring_plans_and_writes_json(tmp_path):
    from teamcast.engine.plan.demo import demo_text

    plan_file = tmp_path / "demo.toml"
    plan_file.write_text(demo_text())
    out = subprocess.run(
        [
            str(TEAMCAST),
            "sweep",
            str(plan_file),
            "--vary",
            "hire.data_engineer=none,20",
            "--trials",
            "512",
            "--top",
            "1",
            "--by",
            "on_time_value",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["axes"] == [{"key": "hire.data_engineer", "values": ["none", "20"]}]
    assert {r["hire.data_engineer"] for r in doc["rows"]} == {"20"}
    bad = subprocess.run([str(TEAMCAST), "sweep", str(plan_file), "--vary", "nonsense"], capture_output=True, text=True)
    assert bad.returncode == 2 and "expected KEY=V1,V2" in bad.stderr and "Traceback" not in bad.stderr


CRASHING_PLUGIN = """
import os
from pathlib import Path

from teamcast import hookimpl
from teamcast.plugins.records import SampleModifier

MARKER = Path(os.environ["TEAMCAST_TEST_CRASH_MARKER"])


def apply(ctx, effort, rng):
    # Kills the worker process: always, or only the first time when the marker says so.
    if os.environ.get("TEAMCAST_TEST_CRASH_ALWAYS") or not MARKER.exists():
        MARKER.touch()
        os._exit(1)
    return effort


@hookimpl
def register_sample_modifiers(register):
    register(SampleModifier("crash", apply=apply))
"""


@pytest.fixture
def crashing_plugin(tmp_path, monkeypatch):
    """A real distribution (dist-info on sys.path) whose modifier kills the process running it."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "tc_crash.py").write_text(CRASHING_PLUGIN)
    info = root / "tc_crash-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tc-crash\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[teamcast]\ncrash = tc_crash\n")
    monkeypatch.syspath_prepend(str(root))  # spawned workers inherit sys.path
    monkeypatch.setenv("TEAMCAST_TEST_CRASH_MARKER", str(tmp_path / "crashed-once"))
    return tmp_path / "crashed-once"


def test_a_worker_lost_mid_sweep_is_retried(plan, crashing_plugin):
    table = sweep(plan, [parse_vary("modifier=none,crash")], trials=256, jobs=2)
    assert crashing_plugin.exists()  # a worker did die
    assert table["error"].is_null().all()
    assert sorted(table["modifier"].unique().to_list()) == ["crash", "none"]


def test_a_worker_lost_every_time_is_reported_not_missing(plan, crashing_plugin, monkeypatch):
    monkeypatch.setenv("TEAMCAST_TEST_CRASH_ALWAYS", "1")
    table = sweep(plan, [parse_vary("modifier=none,crash")], trials=256, jobs=2)
    lost = table.filter(table["modifier"] == "crash")
    assert lost.height == 1 and lost["error"][0].startswith("worker lost")
    assert table.filter(table["modifier"] == "none")["error"].is_null().all()


def test_a_bad_sweep_file_or_executor_is_a_one_line_error(tmp_path, plan):
    from teamcast.engine.forecast.sweep import read_sweep_file

    broken = tmp_path / "grid.toml"
    broken.write_text("[vary\npriority = ['value']\n")
    with pytest.raises(TeamcastError, match=r"grid.toml: .*line 1"):
        read_sweep_file(broken)
    empty = tmp_path / "empty.toml"
    empty.write_text("[vary]\npriority = []\n")
    with pytest.raises(TeamcastError, match=r"vary.priority: expected a non-empty list of values"):
        read_sweep_file(empty)
    good = tmp_path / "good.toml"
    good.write_text("[vary]\npriority = ['value', 'lft']\n")
    assert [(a.key, a.values) for a in read_sweep_file(good)] == [("priority", ("value", "lft"))]
    with pytest.raises(UsageError, match="--executor 'ftp://x': expected local or dask://HOST:PORT"):
        sweep(plan, [parse_vary("priority=value")], executor="ftp://x")
