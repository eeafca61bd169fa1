"""teamcast's command line: one click group, commands registered from teamcast.engine.commands."""

from __future__ import annotations

import importlib
import sys

import click

import teamcast
from teamcast.errors import TeamcastError

# Modules under teamcast.engine.commands, each exposing `commands: list[click.Command]`.
COMMAND_MODULES: list[str] = ["demo", "validate", "workspace", "simulate", "sweep", "retro", "plugins", "org", "tui"]
COMMAND_MODULES += ["optimise"]  # issue 16; its own line so that merges with other additions stay easy


class TeamcastGroup(click.Group):
    """A group that prints TeamcastError as one or two lines and exits with its code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except TeamcastError as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            for line in exc.lines():
                click.echo(line, err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=TeamcastGroup, invoke_without_command=True)
@click.version_option(teamcast.__version__, prog_name="teamcast")
@click.option("--verbose", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def main(ctx: click.Context, verbose: bool):
    """teamcast: probabilistic planning for the people who lead ML teams."""
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
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
    """Whether any distribution besides teamcast registers plugins (teamcast's own add no commands)."""
    import importlib.metadata

    return any(
        ep.dist is None or ep.dist.name.lower() != "teamcast"
        for ep in importlib.metadata.entry_points(group="teamcast")
    )


_register()
# Third-party plugins may add commands (hook register_commands); a broken one is reported by
# `teamcast plugins`, never a crash at start-up. Without any, start-up skips loading plugins.
if _third_party_plugins():
    from teamcast.plugins.manager import register_commands

    register_commands(main)

if __name__ == "__main__":
    sys.exit(main())
