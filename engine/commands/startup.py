"""A command's start-up (its imports and its input) without the cyclic garbage collector's rescans.

Importing NumPy, Polars and teamcast's modules and reading a plan make some 100,000 objects
that live as long as the command. While they are made, the cyclic collector runs every 700
allocations and rescans the older ones again and again, and later collections keep scanning
them: about a tenth of a short command's CPU time, for objects none of which is garbage.

A command decorated with `quick_start` runs with the collector paused until it calls
`started()`, its start-up done: the objects made so far are then frozen (gc.freeze: kept out
of later collections, still freed by reference counting) and the collector runs as usual for
the command's real work. When the command returns or raises, they are unfrozen, so a process
that runs many commands (tests, a server) collects them as before. Nothing a command computes
or prints depends on this.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_state = {"paused": False, "frozen": False}  # one command at a time per process (click runs one)


def quick_start(command: F) -> F:
    """Runs `command` with the collector paused until it calls `started()` (if the collector was on)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        if not gc.isenabled() or _state["paused"] or _state["frozen"]:  # off by choice, or nested: leave it
            return command(*args, **kwargs)
        gc.disable()
        _state["paused"] = True
        try:
            return command(*args, **kwargs)
        finally:
            if _state["paused"]:  # returned or raised before its start-up was done
                _state["paused"] = False
                gc.enable()
            if _state["frozen"]:
                _state["frozen"] = False
                gc.unfreeze()

    return run  # type: ignore[return-value]


def started() -> None:
    """The command's start-up is done: freeze what it made and turn the collector back on."""
    if _state["paused"]:
        _state["paused"] = False
        _state["frozen"] = True
        gc.freeze()
        gc.enable()
