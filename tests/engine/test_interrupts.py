"""Ctrl-C during a command ends it as "interrupted" (exit 130), whatever the KeyboardInterrupt became
on the way: inside Polars (PyO3) it came out as a TypeError, then as an IndexError, and the
command printed a traceback and exited 1 (a flaky CI run of the sweep's Ctrl-C test)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from teamcast.engine.commands.cli import main
from teamcast.errors import PluginError, TeamcastError
from teamcast.interrupts import (
    ctrl_c_received,
    pythons_own_ctrl_c,
    record_ctrl_c,
    recording_ctrl_c,
)

DEMO = Path(__file__).resolve().parents[2] / "engine" / "plan" / "data" / "demo.toml"
SIMULATE = "teamcast.engine.forecast.simulate.simulate"


class Panic(BaseException):
    """Like pyo3_runtime.PanicException, which a KeyboardInterrupt inside Polars also became once."""


def ctrl_c_then(error: type[BaseException], *args: object):
    """A stand-in for simulate() inside which the user's Ctrl-C is swallowed by an extension and
    comes out as error(*args): the SIGINT goes through whatever handler is installed, as a real
    one does. (A fresh exception each time: one kept across tests would keep its frames alive.)"""

    def swallowed(*_args, **_kwargs):
        try:
            signal.raise_signal(signal.SIGINT)  # the handler runs before raise_signal returns
        except KeyboardInterrupt:
            pass  # what PyO3 did with it
        raise error(*args)

    return swallowed


@pytest.fixture(autouse=True)
def pythons_own_handler():
    # The recording handler replaces only Python's own; the tests start from it, as a command does.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    yield
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back after every command


@pytest.mark.parametrize(
    "error",
    [(IndexError, "index 21 is out of bounds for sequence of length 3"), (TypeError, "not a data type"), (Panic,)],
)
def test_a_sweep_says_where_its_scenarios_are_whatever_the_ctrl_c_became(tmp_path, monkeypatch, error):
    from teamcast.engine.forecast import simulate as simulate_module

    real, calls = simulate_module.simulate, []

    def simulate(*args, **kwargs):
        calls.append(1)
        return (ctrl_c_then(*error) if len(calls) == 4 else real)(*args, **kwargs)

    monkeypatch.setattr(SIMULATE, simulate)
    out = tmp_path / "s.csv"
    args = ["sweep", str(DEMO), "--vary", "capacity.tomas=0.3,0.4,0.5,0.6,0.7,0.8", "-n", "20", "--out", str(out)]
    args += ["--format", "csv"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 130, result.output
    assert f"interrupted: 3 scenario(s) written to {out}.partial" in result.output
    assert "Traceback" not in result.output and error[0].__name__ not in result.output
    assert not out.exists() and len(calls) == 4  # stopped at the Ctrl-C; nothing after it ran
    rows = (tmp_path / "s.csv.partial").read_text().splitlines()
    assert {line.split(",")[0] for line in rows[1:]} == {"0", "1", "2"}


def test_a_ctrl_c_that_became_a_scenarios_error_row_stops_the_sweep_without_writing_it(tmp_path, monkeypatch):
    # run_scenario turns a TeamcastError (a PluginError from a plugin whose Polars call swallowed
    # the KeyboardInterrupt) into the scenario's error row: the sweep must stop there, not go on
    # to write it and every later scenario and then exit 1 ("1 of 700 scenario(s) failed").
    from teamcast.engine.forecast import simulate as simulate_module

    real, calls = simulate_module.simulate, []

    def simulate(*args, **kwargs):
        calls.append(1)
        failed = ctrl_c_then(PluginError, "TypeError: not a Polars data type")
        return (failed if len(calls) == 3 else real)(*args, **kwargs)

    monkeypatch.setattr(SIMULATE, simulate)
    out = tmp_path / "s.csv"
    result = CliRunner().invoke(
        main, ["sweep", str(DEMO), "--vary", "capacity.tomas=0.3,0.4,0.5,0.6", "-n", "20", "--out", str(out)]
    )
    assert result.exit_code == 130, result.output
    assert f"interrupted: 2 scenario(s) written to {out}.partial" in result.output
    assert "TypeError" not in (tmp_path / "s.csv.partial").read_text() and len(calls) == 3


@pytest.mark.parametrize(
    "error", [(IndexError, "index 21 is out of bounds"), (PluginError, "x"), (MemoryError,), (Panic,)]
)
def test_any_command_reports_what_follows_a_ctrl_c_as_the_interrupt(monkeypatch, error):
    monkeypatch.setattr(SIMULATE, ctrl_c_then(*error))
    result = CliRunner().invoke(main, ["simulate", str(DEMO), "-n", "20"])
    assert result.exit_code == 130, result.output
    assert result.output.strip() == "interrupted"  # not the error, not a traceback


def test_a_plain_ctrl_c_is_interrupted_too(monkeypatch):
    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(SIMULATE, stopped)
    result = CliRunner().invoke(main, ["simulate", str(DEMO), "-n", "20"])
    assert result.exit_code == 130 and result.output.strip() == "interrupted", result.output


def test_without_ctrl_c_errors_are_reported_as_before(monkeypatch):
    def broken(*args, **kwargs):
        raise IndexError("a real bug")

    monkeypatch.setattr(SIMULATE, broken)
    result = CliRunner().invoke(main, ["simulate", str(DEMO), "-n", "20"])
    assert isinstance(result.exception, IndexError) and result.exit_code == 1  # a bug stays visible

    def bad_data(*args, **kwargs):
        raise TeamcastError("no such thing", title="simulation")

    monkeypatch.setattr(SIMULATE, bad_data)
    result = CliRunner().invoke(main, ["simulate", str(DEMO), "-n", "20"])
    assert result.exit_code == 1 and result.output.strip() == "simulation: no such thing"


def test_verbose_shows_what_the_ctrl_c_became(monkeypatch):
    monkeypatch.setattr(SIMULATE, ctrl_c_then(IndexError, "index 21 is out of bounds"))
    result = CliRunner().invoke(main, ["--verbose", "simulate", str(DEMO), "-n", "20"])
    assert result.exit_code == 130 and result.output.rstrip().endswith("interrupted"), result.output
    assert "IndexError: index 21 is out of bounds" in result.output


def test_ctrl_c_is_recorded_only_while_a_command_runs(monkeypatch):
    seen = []

    def simulate(*args, **kwargs):
        seen.append(signal.getsignal(signal.SIGINT))
        raise TeamcastError("stop here")

    monkeypatch.setattr(SIMULATE, simulate)
    CliRunner().invoke(main, ["simulate", str(DEMO), "-n", "20"])
    assert seen == [record_ctrl_c]
    # A library caller (no command) keeps Python's own handler and nothing is recorded.
    with pytest.raises(RuntimeError):
        ctrl_c_then(RuntimeError)()  # Python's own handler raised the Ctrl-C, and it was swallowed
    assert not ctrl_c_received()


def test_the_app_keeps_pythons_own_ctrl_c(monkeypatch, tmp_path):
    import teamcast.tui

    seen = []

    class App:
        def __init__(self, path):
            pass

        def run(self):
            seen.append((signal.getsignal(signal.SIGINT), ctrl_c_received()))

    monkeypatch.setattr(teamcast.tui, "TeamcastApp", App)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["tui"])
    assert result.exit_code == 0, result.output
    assert seen == [(signal.default_int_handler, False)]


def test_recording_nests_and_the_apps_block_pauses_it():
    with recording_ctrl_c() as outer:
        with recording_ctrl_c() as inner:
            assert signal.getsignal(signal.SIGINT) is record_ctrl_c  # installed once, by the outer
            with pythons_own_ctrl_c():
                with pytest.raises(KeyboardInterrupt):
                    signal.raise_signal(signal.SIGINT)
                assert not ctrl_c_received()
            with pytest.raises(KeyboardInterrupt):
                signal.raise_signal(signal.SIGINT)
            assert inner.received and not outer.received
        assert not ctrl_c_received()
        assert signal.getsignal(signal.SIGINT) is record_ctrl_c


def test_a_process_stopped_by_ctrl_c_exits_130_without_a_traceback():
    # The real exit status through click's standalone mode, in a process of its own.
    script = textwrap.dedent(
        f"""
        import signal
        from teamcast.engine.commands.cli import main
        from teamcast.engine.forecast import simulate

        def swallowed(*args, **kwargs):
            try:
                signal.raise_signal(signal.SIGINT)
            except KeyboardInterrupt:
                pass
            raise IndexError("index 21 is out of bounds")

        simulate.simulate = swallowed
        main(["simulate", {str(DEMO)!r}, "-n", "20"])
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip() == "interrupted"


def test_a_ctrl_c_inside_polars_is_raised_once_polars_has_returned():
    # Inside Polars a KeyboardInterrupt can become a Rust panic (which prints a backtrace) or another
    # error: a command holds the Ctrl-C while Polars' code runs and raises it right after.
    import time

    import polars as pl

    def pressed_on_the_second_row(x: int) -> int:
        if x == 2:
            signal.raise_signal(signal.SIGINT)  # the user's Ctrl-C, while Polars calls back into Python
        return 10 * x

    with recording_ctrl_c() as ctrl_c:
        values = pl.Series([1, 2, 3]).map_elements(pressed_on_the_second_row, return_dtype=pl.Int64)
        assert ctrl_c.received and values.to_list() == [10, 20, 30]  # Polars finished undisturbed
        with pytest.raises(KeyboardInterrupt):
            time.sleep(30)  # ...and the Ctrl-C comes right after, outside Polars
    # Without a command recording, Python's own handler raises inside Polars as before.
    with pytest.raises(KeyboardInterrupt):
        pl.Series([1, 2, 3]).map_elements(pressed_on_the_second_row, return_dtype=pl.Int64)


def test_a_held_ctrl_c_acted_on_before_it_comes_again_comes_only_once():
    # A sweep's next scenario can start (and stop at the recorded Ctrl-C) before the held signal
    # comes again; that signal must not raise a second KeyboardInterrupt while the sweep says
    # where its scenarios are (it did: the command then said only "interrupted").
    import time

    import polars as pl

    from teamcast.interrupts import RETRY_S, stop_if_ctrl_c

    def pressed(x: int) -> int:
        signal.raise_signal(signal.SIGINT)
        return x

    with recording_ctrl_c():
        pl.Series([1]).map_elements(pressed, return_dtype=pl.Int64)
        with pytest.raises(KeyboardInterrupt):
            stop_if_ctrl_c()
        try:
            time.sleep(10 * RETRY_S)
        except KeyboardInterrupt:
            pytest.fail("the held Ctrl-C came again after the command acted on it")
