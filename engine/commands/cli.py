"""teamcast's command line: one click group, commands registered from teamcast.engine.commands."""

from __future__ import annotations

import importlib
import sys

import click

import teamcast
from teamcast.engine.commands.terminal import echo
from teamcast.errors import TeamcastError

# Modules under teamcast.engine.commands, each exposing `commands: list[click.Command]`.
COMMAND_MODULES: list[str] = ["demo", "validate", "workspace", "simulate", "sweep", "retro", "plugins", "org", "tui"]
COMMAND_MODULES += ["chart", "serve"]  # charts as files; the app in a browser
COMMAND_MODULES += ["optimise"]  # issue 16; its own line so that merges with other additions stay easy


class TeamcastGroup(click.Group):
    """A group that prints TeamcastError as one or two lines and exits with its code.

    Plugin commands load only when a name is not built in (or for the command list in --help):
    `teamcast --version`, `validate` and every other built-in never import plugin code, so a slow
    or broken plugin cannot hang them.
    """

    plugins_loaded = False

    def load_plugin_commands(self) -> None:
        if self.plugins_loaded:
            return
        self.plugins_loaded = True
        # A broken plugin is reported by `teamcast plugins`, never a crash; one that tries to
        # replace a built-in command is reported here too, and the built-in is kept.
        if _third_party_plugins():
            from teamcast.plugins.manager import register_commands

            for failure in register_commands(self):
                if "built-in command" in failure.error:
                    echo(f"warning: plugin {failure.entry_point} ({failure.dist}): {failure.error}", err=True)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and not self.plugins_loaded:
            self.load_plugin_commands()
            command = super().get_command(ctx, cmd_name)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.load_plugin_commands()
        return super().list_commands(ctx)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except TeamcastError as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            for line in exc.lines():
                echo(line, err=True)
            ctx.exit(exc.exit_code)
        except MemoryError:
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            echo("out of memory: the run needs more than this machine has; try fewer --trials", err=True)
            ctx.exit(1)


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


def _register() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"teamcast.engine.commands.{name}")
        for command in module.commands:
            main.add_command(command)


def _third_party_plugins() -> bool:
    """Whether any distribution besides teamcast declares plugins (teamcast's own add no commands)."""
    from teamcast.plugins.discovery import third_party

    return third_party()  # the scan the plugin manager uses too: one per process


_register()  # built-ins first: plugins (loaded on demand by TeamcastGroup) cannot replace them

if __name__ == "__main__":
    sys.exit(main())
