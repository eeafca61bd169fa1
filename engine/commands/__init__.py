"""CLI commands, one module per area; each module exposes `commands`, a list of click commands.

`teamcast.engine.commands.cli` registers every module listed in COMMAND_MODULES. Modules import
their heavy dependencies inside the command functions so that `teamcast --help` stays fast.
"""
