"""Plugin code is a guest: what it may raise, and how long one call into it may take.

The manager calls every import, hook and model through `guest`, so that a plugin that raises
SystemExit cannot end a command as if it succeeded, and one that never returns fails the command
instead of hanging it.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from typing import Any

from teamcast.errors import UsageError
from teamcast.interrupts import ctrl_c_now, ctrl_c_received, raises_keyboard_interrupt

# What plugin code may raise that must not end the process as if it succeeded or was asked to
# stop: sys.exit(0) inside a hook would make a failing `simulate --fail-if` gate exit 0.
GUEST_ERRORS: tuple[type[BaseException], ...] = (Exception, SystemExit, KeyboardInterrupt)


# How long one call into plugin code (an import, a sample, a priority rule...) may take before the
# command fails instead of hanging: teamcast's default, set with TEAMCAST_PLUGIN_TIMEOUT (seconds;
# 0 turns it off). A whole run of a 20,000-task plan samples a block in well under a second.
DEFAULT_TIMEOUT_S = 120.0


def plugin_timeout() -> float | None:
    """Seconds one call into plugin code may take (None: no limit)."""
    raw = os.environ.get("TEAMCAST_PLUGIN_TIMEOUT", "").strip()
    try:
        seconds = float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        raise UsageError(f"TEAMCAST_PLUGIN_TIMEOUT={raw!r}: expected a number of seconds (0 for no limit)") from None
    return seconds if seconds > 0 else None


class Slow(BaseException):  # not an Exception: a plugin's own `except Exception` cannot swallow it
    """A call into plugin code that did not return within plugin_timeout()."""


class UserInterrupt(KeyboardInterrupt):
    """Ctrl-C (SIGINT) that arrived while plugin code ran: the user's stop, not the plugin's failure.

    A plugin that raises KeyboardInterrupt itself is a guest error like any other; a SIGINT that
    lands inside a plugin call (likely: sampling is where a run spends its time) must stop the
    command as Ctrl-C does everywhere else, not be reported as a broken plugin.
    """


def _user_interrupt(signum: int, frame: object) -> None:
    # Under a command recording Ctrl-C (teamcast.interrupts), as its own handler does: recorded,
    # and held while inside Polars, where an exception would become a panic or another error.
    if ctrl_c_now(signum, frame):
        raise UserInterrupt()


def guest(seconds: float | None, fn: Callable[..., Any], *args: Any) -> Any:
    """fn(*args) under a time limit (`seconds`, from plugin_timeout()): a plugin that never returns
    fails the command with Slow instead of hanging it; Ctrl-C meanwhile raises UserInterrupt.

    The limit is an interval timer (SIGALRM), which costs a few system calls per call: it applies
    in the main thread of a POSIX process, which is where commands run. In the app's worker threads
    there is no limit; the user cancels a run there with a key.
    """
    if threading.current_thread() is not threading.main_thread():
        return fn(*args)
    # Only Python's own Ctrl-C handler is replaced, or the command line's, which raises the same
    # KeyboardInterrupt and records the Ctrl-C: a caller's other handler (the app's) is left alone.
    mark = raises_keyboard_interrupt(signal.getsignal(signal.SIGINT))
    recorded_before = ctrl_c_received()
    previous_int = None
    try:
        # Installing the handler first runs the handler in place for a Ctrl-C still pending.
        previous_int = signal.signal(signal.SIGINT, _user_interrupt) if mark else None
        return _timed(seconds, fn, args)
    except BaseException as exc:
        if mark and not isinstance(exc, UserInterrupt) and _the_users(exc, recorded_before):
            raise UserInterrupt() from None
        raise
    finally:
        if previous_int is not None:
            signal.signal(signal.SIGINT, previous_int)


def _the_users(exc: BaseException, recorded_before: bool) -> bool:
    """Whether `exc`, out of a plugin call, is the user's Ctrl-C rather than the plugin's failure."""
    if ctrl_c_received() and not recorded_before:
        # Ctrl-C arrived during the call, as the command recorded: whatever came out of it is the
        # stop (inside an extension such as Polars a KeyboardInterrupt can become a TypeError).
        return True
    # While the plugin runs, Ctrl-C raises UserInterrupt; a plain KeyboardInterrupt from around
    # that window (Python's own handler, just before or after it) is the user's Ctrl-C too. Only
    # one the plugin code raised itself is the plugin's.
    return isinstance(exc, KeyboardInterrupt) and not getattr(exc, "raised_by_plugin", False)


def _timed(seconds: float | None, fn: Callable[..., Any], args: tuple) -> Any:
    """fn(*args), failing with Slow after `seconds`; a KeyboardInterrupt it raises is marked as its own."""
    if seconds is None or not hasattr(signal, "setitimer"):
        return _marked(fn, args)

    def expired(signum: int, frame: object) -> None:
        raise Slow(f"no answer within {seconds:g} s (TEAMCAST_PLUGIN_TIMEOUT)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return _marked(fn, args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _marked(fn: Callable[..., Any], args: tuple) -> Any:
    try:
        return fn(*args)
    except KeyboardInterrupt as exc:
        if not isinstance(exc, UserInterrupt):
            exc.raised_by_plugin = True  # type: ignore[attr-defined]
        raise


LOAD_ERRORS: tuple[type[BaseException], ...] = (*GUEST_ERRORS, Slow)


def one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
