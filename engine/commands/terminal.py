"""Text for people at a terminal: every line a command prints passes `for_terminal` here.

Names and ids come from plan files anyone can write; an escape sequence in one must print as
nothing, not retitle the window or clear the screen. Machine formats (JSON, CSV, Parquet) do
not come through here: JSON escapes control characters itself, and CSV goes through `csv_safe`.
"""

from __future__ import annotations

import click

from teamcast.engine.plan.text import for_terminal


def echo(message: str = "", *, nl: bool = True, err: bool = False) -> None:
    """click.echo for human text: escape sequences and control characters removed, line breaks kept."""
    click.echo(for_terminal(message, keep_newlines=True), nl=nl, err=err)
