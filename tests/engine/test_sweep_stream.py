"""Sweeps stream: rows are written as scenarios finish, in scenario order; a stopped sweep keeps
what it finished (in OUT.partial, never a half-written OUT); memory does not grow with the grid."""

import collections
import itertools
import operator
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from teamcast.engine.commands.cli import main
from teamcast.engine.forecast.executors import WINDOW_PER_JOB, LocalExecutor
from teamcast.engine.forecast.sweep import iter_sweep, parse_vary, sweep
from teamcast.engine.plan.demo import demo_plan
from teamcast.engine.plan.planfile import parse_plan_text

DEMO = Path(__file__).resolve().parents[2] / "engine" / "plan" / "data" / "demo.toml"
TINY = """
[plan]
name = "tiny"
start = 2027-01-04
default_model = "fixed"

[[people]]
id = "ana"
role = "ml_engineer"

[[projects]]
id = "p"

[[projects.tasks]]
id = "a"
estimate = 3
role = "ml_engineer"
"""
# 1,000 capacities x 1,000,000 priority-rule repeats: far too many scenarios to hold or finish.
HUGE = [f"capacity.ana={','.join(f'{0.5 + k / 2000:.4f}' for k in range(1000))}", "modifier=" + ",".join(["none"] * 10)]


def test_a_grid_too_large_to_hold_yields_its_first_scenarios_at_once():
    plan = parse_plan_text(TINY)
    axes = [parse_vary(HUGE[0]), parse_vary(HUGE[1]), parse_vary("priority=" + ",".join(["value"] * 100_000))]
    first = list(itertools.islice(iter_sweep(plan, axes, trials=1), 3))  # 10^9 scenarios
    assert [rows[0]["scenario"] for rows in first] == [0, 1, 2]


def test_a_local_pool_takes_only_a_window_of_calls_ahead_and_keeps_their_order():
    taken = []

    def calls():
        for k in itertools.count():
            taken.append(k)
            yield (k,)

    with LocalExecutor(2) as ex:
        results = ex.imap_tolerant(operator.add, 100, calls(), total=10**9)
        got = [next(results) for _ in range(12)]
        assert [r for _, r in got] == [100 + k for k in range(12)]  # in call order
        assert len(taken) <= 12 + WINDOW_PER_JOB * 2  # never the whole (endless) stream
        results.close()


def test_nothing_is_kept_per_scenario_once_its_rows_are_handed_on():
    """Memory does not grow with the grid: after 40 scenarios, no earlier scenario's rows or
    forecast is still alive anywhere in the process (counted among all live objects; a sweep
    that wrote at the end held every row until then). Bounded interpreter caches aside, that
    is what keeps memory flat."""
    import gc

    from teamcast.engine.forecast.result import Forecast

    def alive() -> tuple[int, int]:
        gc.collect()
        objects = gc.get_objects()
        # A scenario's rows: a list of row dicts (dicts of plain values are not tracked by gc; lists are).
        rows = sum(1 for o in objects if isinstance(o, list) and o and isinstance(o[0], dict) and "scenario" in o[0])
        return rows, sum(1 for o in objects if isinstance(o, Forecast))

    plan = parse_plan_text(TINY)
    axes = [parse_vary(f"capacity.ana={','.join(f'{0.5 + k / 1000:.3f}' for k in range(100))}")]
    rows = iter_sweep(plan, axes, trials=4)
    collections.deque(itertools.islice(rows, 40), maxlen=0)  # consume, holding nothing
    assert alive() in ((0, 0), (1, 0))  # at most the last, which the paused generator still names
    held = list(itertools.islice(rows, 10))
    assert alive() == (10, 0)  # the count sees rows that are held
    rows.close()
    del held


def _run(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "teamcast.engine.commands.cli", "sweep", str(DEMO), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def _wait_for_lines(path: Path, lines: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= lines:
            return
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        time.sleep(0.1)
    raise AssertionError(f"{path} did not reach {lines} lines")


def test_a_killed_sweep_keeps_the_scenarios_it_finished(tmp_path):
    out = tmp_path / "s.csv"
    partial = tmp_path / "s.csv.partial"
    values = ",".join(f"{0.3 + k / 1000:.3f}" for k in range(700))
    args = ["--vary", f"capacity.tomas={values}", "--vary", "priority=value,lft", "-n", "20"]
    proc = _run(*args, "--format", "csv", "--out", str(out))
    try:
        _wait_for_lines(partial, 1 + 4 * 4, proc)  # header and four scenarios of four projects
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not out.exists()  # never a half-written output under the name asked for
    data = partial.read_bytes()
    assert data.endswith(b"\n")  # whole rows only: each scenario is written and flushed at once
    lines = data.decode().splitlines()
    scenarios = [int(line.split(",")[0]) for line in lines[1:]]
    assert scenarios == sorted(scenarios) and set(scenarios) == set(range(max(scenarios) + 1))
    assert len(scenarios) % 4 == 0  # every finished scenario with all four projects
    # The rows kept are the rows a complete sweep of those scenarios gives.
    done = max(scenarios) + 1
    keep = ",".join(values.split(",")[: -(-done // 2)])
    full = CliRunner().invoke(
        main,
        ["sweep", str(DEMO), "--vary", f"capacity.tomas={keep}", "--vary", "priority=value,lft", "-n", "20"]
        + ["--format", "csv"],
    )
    assert full.output.splitlines()[: len(lines)] == lines


def test_stdout_gets_rows_while_the_sweep_runs():
    values = ",".join(f"{0.3 + k / 1000:.3f}" for k in range(700))
    proc = _run("--vary", f"capacity.tomas={values}", "-n", "20", "--format", "csv")
    try:
        assert proc.stdout is not None
        header = proc.stdout.readline()
        rows = [proc.stdout.readline() for _ in range(8)]
        assert proc.poll() is None  # still running: these rows were streamed, not written at the end
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert header.startswith(b"scenario,label,capacity.tomas,project")
    assert [int(r.split(b",")[0]) for r in rows] == [0, 0, 0, 0, 1, 1, 1, 1]


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_streamed_output_is_the_whole_document(tmp_path, fmt):
    """--out gets exactly what stdout gets; no partial file is left when the sweep completes."""
    out = tmp_path / f"s.{fmt}"
    args = ["sweep", str(DEMO), "--vary", "people.ml_engineer=4,5", "--vary", "priority=value,lft", "-n", "50"]
    to_stdout = CliRunner().invoke(main, [*args, "--format", fmt])
    to_file = CliRunner().invoke(main, [*args, "--format", fmt, "--out", str(out)])
    assert to_stdout.exit_code == to_file.exit_code == 0
    assert out.read_text() == to_stdout.output
    assert not (tmp_path / f"s.{fmt}.partial").exists()
    if fmt == "json":
        import json

        doc = json.loads(out.read_text())
        table = sweep(demo_plan(), [parse_vary("people.ml_engineer=4,5"), parse_vary("priority=value,lft")], trials=50)
        assert [r["p80"] for r in doc["rows"]] == table["p80"].to_list()


def test_ranking_keeps_the_best_as_scenarios_come(monkeypatch):
    """--top/--by prunes to the best K as rows come; the result equals ranking everything."""
    from teamcast.engine.forecast import sweep as sweep_module

    plan = demo_plan()
    axes = [parse_vary("capacity.tomas=0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0"), parse_vary("priority=value,lft")]
    whole = sweep_module.rank(sweep(plan, axes, trials=100), "on_time_value", 3)
    monkeypatch.setattr(sweep_module, "RANK_PRUNE", 1)  # prune to the best 3 every 6 scenarios
    rank, calls = sweep_module.rank, []
    monkeypatch.setattr(sweep_module, "rank", lambda *a: calls.append(1) or rank(*a))
    rows = iter_sweep(plan, axes, trials=100)
    assert sweep_module.rank_as_they_come(rows, [a.key for a in axes], "on_time_value", 3).equals(whole)
    assert len(calls) == 3  # pruned twice on the way, ranked once at the end


def test_ctrl_c_says_where_the_finished_scenarios_are(tmp_path):
    out = tmp_path / "s.csv"
    values = ",".join(f"{0.3 + k / 1000:.3f}" for k in range(700))
    proc = _run("--vary", f"capacity.tomas={values}", "-n", "20", "--format", "csv", "--out", str(out))
    try:
        _wait_for_lines(tmp_path / "s.csv.partial", 1 + 2 * 4, proc)
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()[-2000:]  # what the command said, when it did not stop as Ctrl-C
    assert f"scenario(s) written to {out}.partial" in err.decode()
    assert "Traceback" not in err.decode() and not out.exists()


def test_a_sweep_that_fails_before_its_first_row_leaves_no_file(tmp_path, monkeypatch):
    from teamcast.errors import TeamcastError

    def unreachable(spec, jobs=1):
        raise TeamcastError("could not reach the Dask scheduler", title="executor")

    monkeypatch.setattr("teamcast.engine.forecast.sweep.make_executor", unreachable)
    out = tmp_path / "s.csv"
    result = CliRunner().invoke(main, ["sweep", str(DEMO), "--vary", "priority=value", "--out", str(out)])
    assert result.exit_code == 1 and "could not reach" in result.output
    assert list(tmp_path.iterdir()) == []
