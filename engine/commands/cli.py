"""teamcast's command line: one click group, commands registered from teamcast.engine.commands."""

from __future__ import annotations

import atexit
import gc
import importlib
import sys
from typing import Any

import click

import teamcast
from teamcast.engine.commands.terminal import echo
from teamcast.errors import TeamcastError

# The interpreter's last garbage collections, at exit, scan every object NumPy, Polars and teamcast
# made (about 0.05 s of every command, more than the whole run of a small plan) only to free memory
# the process is about to hand back. Frozen objects are skipped; atexit handlers, the flushing of
# stdout/stderr and reference-counted clean-up still run (engine/commands/startup.py).
atexit.register(gc.freeze)

# Modules under teamcast.engine.commands, each exposing `commands: list[click.Command]`.
COMMAND_MODULES: list[str] = ["demo", "validate", "workspace", "simulate", "sweep", "retro", "plugins", "org", "tui"]
COMMAND_MODULES += ["chart", "serve"]  # charts as files; the app in a browser
COMMAND_MODULES += ["optimise"]  # issue 16; its own line so that merges with other additions stay easy

# The module of each built-in command, so that a command imports its own module and no other
# (about 10 ms of every start-up). A command missing here still works, found by importing every
# module in COMMAND_MODULES; tests/engine/test_import_budget.py checks the table against them.
COMMAND_TABLE: dict[str, str] = {
    "demo": "demo",
    "validate": "validate",
    "init": "workspace",
    "import": "workspace",
    "export": "workspace",
    "simulate": "simulate",
    "schedule": "simulate",
    "sweep": "sweep",
    "retro": "retro",
    "report": "retro",
    "task": "retro",
    "plugins": "plugins",
    "org": "org",
    "check": "org",
    "hiring": "org",
    "roster": "org",
    "tui": "tui",
    "chart": "chart",
    "serve": "serve",
    "optimise": "optimise",
    "optimize": "optimise",
}


class TeamcastGroup(click.Group):
    """A group that prints TeamcastError as one or two lines and exits with its code.

    A command imports its own module only (COMMAND_TABLE), and plugin commands load only when a
    name is not built in (or for the command list in --help): `teamcast --version`, `validate` and
    every other built-in never import plugin code, so a slow or broken plugin cannot hang them.
    """

    plugins_loaded = False
    builtins_loaded = False
    _adding = False  # while a command module registers its commands

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._imported: set[str] = set()  # command modules already imported
        super().__init__(*args, **kwargs)

    # click keeps the commands in `self.commands`; here the dict fills as commands are asked for,
    # and reading it whole (tests, plugins, --help) first imports every command module.
    @property  # type: ignore[override]
    def commands(self) -> dict[str, click.Command]:
        if not self.builtins_loaded and not self._adding:
            self.load_builtin_commands()
        return self._commands

    @commands.setter
    def commands(self, value: dict[str, click.Command]) -> None:
        self._commands = value

    def load_builtin_commands(self, modules: list[str] | None = None) -> None:
        """Imports the command modules `modules` (default: all of COMMAND_MODULES) and adds their commands."""
        self._adding = True
        try:
            for name in COMMAND_MODULES if modules is None else modules:
                if name not in self._imported:
                    self._imported.add(name)
                    for command in importlib.import_module(f"teamcast.engine.commands.{name}").commands:
                        self.add_command(command)
        finally:
            self._adding = False
        self.builtins_loaded = self.builtins_loaded or modules is None

    def load_plugin_commands(self) -> None:
        if self.plugins_loaded:
            return
        self.load_builtin_commands()  # built-ins first: plugins cannot replace them
        self.plugins_loaded = True
        # A broken plugin is reported by `teamcast plugins`, never a crash; one that tries to
        # replace a built-in command is reported here too, and the built-in is kept.
        if _third_party_plugins():
            from teamcast.plugins.manager import register_commands

            for failure in register_commands(self):
                if "built-in command" in failure.error:
                    echo(f"warning: plugin {failure.entry_point} ({failure.dist}): {failure.error}", err=True)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self._commands and cmd_name in COMMAND_TABLE:
            self.load_builtin_commands([COMMAND_TABLE[cmd_name]])
        if cmd_name not in self._commands:
            self.load_builtin_commands()
        if cmd_name not in self._commands:
            self.load_plugin_commands()
        return self._commands.get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.load_plugin_commands()
        return super().list_commands(ctx)

    def invoke(self, ctx):
        from teamcast.interrupts import INTERRUPTED_EXIT, ctrl_c_taken, recording_ctrl_c

        with recording_ctrl_c():
            try:
                return super().invoke(ctx)
            except (SystemExit, click.exceptions.Exit):
                raise  # a command's own exit status (a sweep's 130, after saying what it kept)
            except BaseException as exc:
                verbose = bool(ctx.obj and ctx.obj.get("verbose"))
                if ctrl_c_taken() or isinstance(exc, KeyboardInterrupt):
                    # After Ctrl-C, whatever the KeyboardInterrupt became is the interrupt: inside
                    # Polars it can come out as a TypeError, then as an IndexError.
                    if verbose:
                        import traceback

                        traceback.print_exception(exc)
                    echo("\ninterrupted", err=True)
                    ctx.exit(INTERRUPTED_EXIT)
                if verbose or not isinstance(exc, (TeamcastError, MemoryError)):
                    raise
                if isinstance(exc, MemoryError):
                    echo("out of memory: the run needs more than this machine has; try fewer --trials", err=True)
                    ctx.exit(1)
                for line in exc.lines():
                    echo(line, err=True)
                ctx.exit(exc.exit_code)


@click.group(cls=TeamcastGroup, invoke_without_command=True)
@click.version_option(teamcast.__version__, prog_name="teamcast")
@click.option("--verbose", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def main(ctx: click.Context, verbose: bool):
    """teamcast: probabilistic planning for the people who lead ML teams."""
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    if not verbose and not sys.warnoptions:
        # Library warnings (Polars, NumPy) are for developers: a person cannot act on them, and a
        # script reading stderr takes them for errors. --verbose (or python -W) shows them.
        import warnings

        warnings.simplefilter("ignore")
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            from teamcast.tui import run_app

            run_app(None)  # ./teamcast.db, or an offer to open the demo or start a workspace
        else:
            click.echo(ctx.get_help())


def _third_party_plugins() -> bool:
    """Whether any distribution besides teamcast declares plugins (teamcast's own add no commands)."""
    from teamcast.plugins.discovery import third_party

    return third_party()  # the scan the plugin manager uses too: one per process


if __name__ == "__main__":
    sys.exit(main())
