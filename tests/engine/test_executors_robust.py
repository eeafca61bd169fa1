"""Distributed runs are honest (issue 14, principle 6): a bad or silent scheduler is one clear error,
lost work is never a success, and a local pool does not start more processes than cores."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from teamcast.engine.commands.cli import main
from teamcast.engine.forecast.executors import LocalExecutor, Lost

PLAN = (Path(__file__).parent / "plans" / "tiny.toml").read_text()


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    path = tmp_path / "p.toml"
    path.write_text(PLAN)
    return path


@pytest.mark.parametrize("address", ["dask://nonsense", "dask://host:99999", "dask://:8786", "tcp://a b:1"])
def test_a_malformed_dask_address_is_a_usage_error(plan, address):
    result = CliRunner().invoke(main, ["sweep", str(plan), "--vary", "priority=value", "--executor", address])
    assert result.exit_code == 2
    assert "expected dask://HOST:PORT" in result.output


@pytest.fixture
def not_a_scheduler():
    """A TCP port that accepts connections and answers like an HTTP server, never like Dask."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.sendall(b"HTTP/1.0 200 OK\r\n\r\nhello")  # and keep the connection open, silent

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    server.close()


def test_a_port_that_is_not_a_dask_scheduler_is_a_clear_error_not_a_hang(plan, not_a_scheduler):
    pytest.importorskip("distributed")
    proc = subprocess.run(
        [sys.executable, "-m", "teamcast.engine.commands.cli", "sweep", str(plan), "--vary", "priority=value"]
        + ["-n", "20", "--executor", f"dask://127.0.0.1:{not_a_scheduler}"],
        capture_output=True,
        text=True,
        timeout=120,  # the bug was a hang; the fix answers within the 5 s connect timeout plus a grace
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"executor: could not reach the Dask scheduler at tcp://127.0.0.1:{not_a_scheduler}")
    assert "Traceback" not in proc.stderr


def test_a_sweep_that_lost_scenarios_exits_non_zero_after_writing_them(plan, monkeypatch, tmp_path):
    class Flaky(LocalExecutor):
        def imap_tolerant(self, fn, shared, calls, total, progress=None):
            for i, (args, result) in enumerate(super().imap_tolerant(fn, shared, calls, total, progress)):
                yield args, Lost("KilledWorker: gone") if i == 0 else result

    monkeypatch.setattr("teamcast.engine.forecast.sweep.make_executor", lambda spec, jobs=1: Flaky(1))
    out = tmp_path / "s.csv"
    result = CliRunner().invoke(
        main, ["sweep", str(plan), "--vary", "priority=value,lft", "-n", "20", "--format", "csv", "--out", str(out)]
    )
    assert result.exit_code == 1
    assert "1 scenario(s) were lost with their workers" in result.output
    assert "worker lost: KilledWorker: gone" in out.read_text()


def test_jobs_are_capped_at_the_cores_unless_forced(plan, monkeypatch):
    from teamcast.engine.commands import simulate as simulate_command

    seen = []
    monkeypatch.setattr(simulate_command, "cores", lambda: 1)
    monkeypatch.setattr(
        "teamcast.engine.forecast.sweep.make_executor", lambda spec, jobs=1: seen.append(jobs) or LocalExecutor(1)
    )
    capped = CliRunner().invoke(main, ["sweep", str(plan), "--vary", "priority=value", "-n", "20", "--jobs", "1000"])
    assert capped.exit_code == 0
    assert "--jobs 1000 capped at 1" in capped.output and seen == [1]
    forced = CliRunner().invoke(
        main, ["sweep", str(plan), "--vary", "priority=value", "-n", "20", "--jobs", "3", "--force"]
    )
    assert forced.exit_code == 0 and seen == [1, 3]


def test_absurd_trial_counts_are_usage_errors(plan):
    result = CliRunner().invoke(main, ["simulate", str(plan), "-n", "2147483648"])
    assert result.exit_code == 2 and "10000000" in result.output


def test_a_large_sweep_says_what_to_expect(plan, monkeypatch):
    from teamcast.engine.commands import sweep as sweep_command

    monkeypatch.setattr(sweep_command, "LARGE_SWEEP", 1)
    result = CliRunner().invoke(main, ["sweep", str(plan), "--vary", "priority=value,lft", "-n", "20"])
    assert result.exit_code == 0
    assert "note: 2 scenarios x 20 trials; rows are written as scenarios finish" in result.output
