"""Plugins are guests (issue 14, principle 5): they cannot replace built-in commands, cannot turn a
failure into success with sys.exit, and are not even imported by commands that do not need them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner

from teamcast import hookimpl
from teamcast.engine.commands import cli as cli_module
from teamcast.engine.commands.cli import main
from teamcast.plugins.manager import get_plugin_manager, get_registry
from teamcast.plugins.records import DurationModel

PLAN = """\
[plan]
name = "Gate"
start = 2027-01-04

[[people]]
id = "ana"
role = "ml_engineer"

[[projects]]
id = "p"
deadline = 2027-01-05

[[projects.tasks]]
id = "t"
estimate = 30
model = "quitter"
role = "ml_engineer"
"""


@pytest.fixture
def guest():
    """Register one inline plugin for a test, and forget it (and what it added) afterwards."""
    pm = get_plugin_manager()
    registered = []
    before = dict(main.commands)

    def register(plugin: object) -> None:
        pm.register(plugin, name="guest-test")
        registered.append(plugin)
        get_registry(refresh=True)

    yield register
    if registered:
        pm.unregister(name="guest-test")
        get_registry(refresh=True)
    main.commands.clear()
    main.commands.update(before)
    main.plugins_loaded = False


def test_a_plugin_cannot_replace_a_built_in_command(guest, tmp_path, monkeypatch):
    class Hijacker:
        @hookimpl
        def register_commands(self, cli):
            @cli.command("validate")
            @click.argument("file")
            def fake(file):
                click.echo(f"{file}: ok")

            @cli.command("hello")
            def hello():
                click.echo("hello from a guest")

    guest(Hijacker())
    monkeypatch.setattr(cli_module, "_third_party_plugins", lambda: True)
    bad = tmp_path / "bad.toml"
    bad.write_text("[plan]\nname = 'x'\n")  # no start: invalid
    result = CliRunner().invoke(main, ["hello"])  # an unknown name loads the plugin commands
    assert result.exit_code == 0 and "hello from a guest" in result.output
    assert "'validate' is a built-in command; the plugin's version is ignored" in result.output
    checked = CliRunner().invoke(main, ["validate", str(bad)])
    assert checked.exit_code == 1 and "required key missing" in checked.output


def test_sys_exit_in_a_plugin_hook_cannot_pass_a_failing_gate(guest, tmp_path):
    def quit_sampling(tasks, n, rng):
        sys.exit(0)

    class Quitter:
        @hookimpl
        def register_duration_models(self, register):
            register(DurationModel("quitter", sample=quit_sampling, mean=lambda t: np.full(t.height, 30.0)))

    guest(Quitter())
    plan = tmp_path / "p.toml"
    plan.write_text(PLAN)
    result = CliRunner().invoke(main, ["simulate", str(plan), "-n", "20", "--fail-if", "p.p_on_time<0.5"])
    assert result.exit_code == 1, result.output
    assert "plugin guest-test" in result.output and "raised SystemExit: 0" in result.output


@pytest.fixture
def slow_plugin(tmp_path: Path) -> tuple[dict, Path]:
    """A third-party plugin distribution on sys.path whose import leaves a mark (and would be slow)."""
    marker = tmp_path / "imported"
    site = tmp_path / "site"
    (site / "slowplug-1.0.dist-info").mkdir(parents=True)
    (site / "slowplug-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: slowplug\nVersion: 1.0\n")
    (site / "slowplug-1.0.dist-info" / "entry_points.txt").write_text("[teamcast]\nslowplug = slowplug\n")
    (site / "slowplug.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), *sys.path]))
    return env, marker


@pytest.mark.parametrize("args", [["--version"], ["export", "--help"]])
def test_commands_that_need_no_plugin_never_import_one(slow_plugin, tmp_path, args):
    env, marker = slow_plugin
    plan = tmp_path / "p.toml"
    plan.write_text(PLAN.replace('model = "quitter"\n', ""))
    proc = subprocess.run(
        [sys.executable, "-m", "teamcast.engine.commands.cli", *[a.format(plan=plan) for a in args]],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()


def test_the_plugin_list_does_import_it(slow_plugin):
    env, marker = slow_plugin
    proc = subprocess.run(
        [sys.executable, "-m", "teamcast.engine.commands.cli", "plugins"], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert marker.exists()  # the fixture's plugin is real: only the commands above skip it


def test_a_plugin_that_hangs_at_import_is_given_up_on_after_the_timeout(tmp_path):
    """validate needs the plugins (to check the plan's models): one that never finishes importing
    is reported as not loaded after TEAMCAST_PLUGIN_TIMEOUT, and the plan, which does not use it,
    still validates."""
    site = tmp_path / "site"
    (site / "hangplug-1.0.dist-info").mkdir(parents=True)
    (site / "hangplug-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: hangplug\nVersion: 1.0\n")
    (site / "hangplug-1.0.dist-info" / "entry_points.txt").write_text("[teamcast]\nhangplug = hangplug\n")
    (site / "hangplug.py").write_text("import time\ntime.sleep(600)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), *sys.path]), TEAMCAST_PLUGIN_TIMEOUT="1")
    plan = tmp_path / "p.toml"
    plan.write_text(PLAN.replace('model = "quitter"\n', ""))
    proc = subprocess.run(
        [sys.executable, "-m", "teamcast.engine.commands.cli", "validate", str(plan)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith("ok — 1 project, 1 task, 1 person\n")


def test_a_model_that_never_returns_fails_the_run_after_the_timeout(guest, tmp_path, monkeypatch):
    import time

    def stuck(tasks, n, rng):
        time.sleep(30)

    class Stuck:
        @hookimpl
        def register_duration_models(self, register):
            register(DurationModel("quitter", sample=stuck, mean=lambda t: np.full(t.height, 30.0)))

    guest(Stuck())
    monkeypatch.setenv("TEAMCAST_PLUGIN_TIMEOUT", "0.5")
    plan = tmp_path / "p.toml"
    plan.write_text(PLAN)
    started = time.monotonic()
    result = CliRunner().invoke(main, ["simulate", str(plan), "-n", "20"])
    assert result.exit_code == 1, result.output
    assert "plugin guest-test" in result.output and "no answer within 0.5 s (TEAMCAST_PLUGIN_TIMEOUT)" in result.output
    assert time.monotonic() - started < 20  # it did not wait for the sleep


def test_a_bad_timeout_setting_is_a_usage_error(guest, tmp_path, monkeypatch):
    monkeypatch.setenv("TEAMCAST_PLUGIN_TIMEOUT", "soon")
    plan = tmp_path / "p.toml"
    plan.write_text(PLAN.replace('model = "quitter"\n', ""))
    result = CliRunner().invoke(main, ["simulate", str(plan), "-n", "20"])
    assert result.exit_code == 2, result.output
    assert "TEAMCAST_PLUGIN_TIMEOUT='soon': expected a number of seconds (0 for no limit)" in result.output


def test_ctrl_c_inside_plugin_code_stops_the_run_instead_of_blaming_the_plugin(guest, tmp_path):
    # Sampling is where a run spends its time, so a user's Ctrl-C usually lands in plugin code;
    # it must stop the command like Ctrl-C anywhere else. A plugin that raises KeyboardInterrupt
    # itself is still a broken guest.
    import os
    import signal
    import time

    def interrupted(tasks, n, rng):
        os.kill(os.getpid(), signal.SIGINT)  # the user's Ctrl-C, delivered while the plugin runs
        time.sleep(5)

    def raises(tasks, n, rng):
        raise KeyboardInterrupt

    class Models:
        @hookimpl
        def register_duration_models(self, register):
            mean = lambda t: np.full(t.height, 3.0)  # noqa: E731
            register(DurationModel("quitter", sample=interrupted, mean=mean))
            register(DurationModel("raiser", sample=raises, mean=mean))

    guest(Models())
    plan = tmp_path / "p.toml"
    plan.write_text(PLAN)
    stopped = CliRunner().invoke(main, ["simulate", str(plan), "-n", "20"])
    assert stopped.exit_code == 130 and "interrupted" in stopped.output, stopped.output
    assert "plugin guest-test" not in stopped.output, stopped.output
    plan.write_text(PLAN.replace('model = "quitter"', 'model = "raiser"'))
    broken = CliRunner().invoke(main, ["simulate", str(plan), "-n", "20"])
    assert broken.exit_code == 1 and "plugin guest-test" in broken.output and "KeyboardInterrupt" in broken.output


def test_ctrl_c_handled_by_pythons_handler_around_a_plugin_call_is_the_users(monkeypatch):
    # Installing the Ctrl-C handler runs the handler in place for a signal still pending: a Ctrl-C
    # that arrived just before the plugin call surfaces there as a plain KeyboardInterrupt. It is
    # the user's stop (UserInterrupt), not the plugin's failure; one the plugin raises stays its own.
    import signal as signal_module

    from teamcast.plugins import guests

    real_signal = signal_module.signal

    def pending_ctrl_c(signum, handler):
        if signum == signal_module.SIGINT and handler is not signal_module.default_int_handler:
            raise KeyboardInterrupt  # what Python's own handler raises for the pending signal
        return real_signal(signum, handler)

    monkeypatch.setattr(guests.signal, "signal", pending_ctrl_c)
    with pytest.raises(guests.UserInterrupt):
        guests.guest(None, lambda: None)
    monkeypatch.setattr(guests.signal, "signal", real_signal)

    def plugin_raises():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as raised:
        guests.guest(None, plugin_raises)
    assert not isinstance(raised.value, guests.UserInterrupt)
    assert signal_module.getsignal(signal_module.SIGINT) is signal_module.default_int_handler


def test_under_a_command_recording_ctrl_c_the_plugins_window_is_the_users_too():
    # The command line records Ctrl-C with its own handler (teamcast.interrupts); guests treats it as
    # Python's own: a Ctrl-C during the call is a UserInterrupt, and the command still sees it.
    import signal as signal_module

    from teamcast.interrupts import ctrl_c_received, record_ctrl_c, recording_ctrl_c
    from teamcast.plugins import guests

    def user_presses_ctrl_c():
        signal_module.raise_signal(signal_module.SIGINT)

    def plugin_raises():
        raise KeyboardInterrupt

    with recording_ctrl_c():
        with pytest.raises(KeyboardInterrupt) as raised:
            guests.guest(None, plugin_raises)
        assert not isinstance(raised.value, guests.UserInterrupt) and not ctrl_c_received()
        with pytest.raises(guests.UserInterrupt):
            guests.guest(None, user_presses_ctrl_c)
        assert ctrl_c_received()
        assert signal_module.getsignal(signal_module.SIGINT) is record_ctrl_c


def test_a_ctrl_c_that_a_plugins_extension_turned_into_another_error_is_the_users():
    # Inside Polars (PyO3) a KeyboardInterrupt can come out as a TypeError: when the command recorded
    # a Ctrl-C during the call, what the plugin raised is the user's stop, not the plugin's failure.
    import signal as signal_module

    from teamcast.interrupts import recording_ctrl_c
    from teamcast.plugins import guests

    def swallowed():
        try:
            signal_module.raise_signal(signal_module.SIGINT)
        except KeyboardInterrupt:
            pass
        raise TypeError("'<unprintable str object>' is not a Polars data type")

    def broken():
        raise TypeError("the plugin's own bug")

    with recording_ctrl_c():
        with pytest.raises(TypeError):
            guests.guest(None, broken)  # no Ctrl-C: the plugin's error, reported as such
        with pytest.raises(guests.UserInterrupt):
            guests.guest(None, swallowed)
    with pytest.raises(TypeError):
        guests.guest(None, swallowed)  # no command recording (a library caller): as before


def test_a_command_recording_inside_a_plugin_call_still_records():
    # Either order: a recording started while guests' handler is in place leaves that handler,
    # which records for it.
    import signal as signal_module

    from teamcast.interrupts import recording_ctrl_c
    from teamcast.plugins import guests

    def plugin():
        with recording_ctrl_c() as ctrl_c:
            try:
                signal_module.raise_signal(signal_module.SIGINT)
            finally:
                seen.append(ctrl_c.received)

    seen: list[bool] = []
    with pytest.raises(guests.UserInterrupt):
        guests.guest(None, plugin)
    assert seen == [True]
    assert signal_module.getsignal(signal_module.SIGINT) is signal_module.default_int_handler
