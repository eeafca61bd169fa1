"""Whether the user pressed Ctrl-C during the command now running, whatever became of the KeyboardInterrupt.

Python's own SIGINT handler raises KeyboardInterrupt wherever the main thread is. Inside Polars
(Rust, through PyO3) that exception comes out as another one (a TypeError, then an IndexError), or
as a Rust panic that prints a backtrace. A command runs under `recording_ctrl_c()`, whose handler
notes the Ctrl-C before raising KeyboardInterrupt as Python's does; while the main thread is in
Polars' Python code (which Rust called, or which is about to call Rust) it holds the interrupt and
asks for the signal again a moment later, so that it is raised outside. Whatever still comes out
of a recorded Ctrl-C is reported by the command line as the interrupt it is.

Outside a command (the app, a library caller) nothing is installed and nothing is recorded.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# The exit status of a command stopped by Ctrl-C: 128 + SIGINT, what a shell reports for it.
INTERRUPTED_EXIT = 130

# Modules whose Python code runs under Rust frames that turn an exception into a panic or another
# error: a Ctrl-C there is raised again once the main thread is out of them.
HELD_IN = ("polars",)
RETRY_S = 0.02  # how soon a held Ctrl-C is signalled again


class CtrlC:
    """What one command has seen of Ctrl-C: `received` turns true at the first one."""

    def __init__(self) -> None:
        self.received = False
        self.held = False  # a Ctrl-C not raised yet: it is signalled again in RETRY_S
        self.resent = False  # that signal is on its way
        self.taken = False  # the command is acting on the Ctrl-C (ctrl_c_taken): no second one for it


_active: CtrlC | None = None  # the command now recording, if any


def ctrl_c_received() -> bool:
    """Whether Ctrl-C arrived during the command now recording (always False outside one)."""
    return _active is not None and _active.received


def ctrl_c_now(signum: int, frame: Any) -> bool:
    """What a SIGINT handler asks first: records the Ctrl-C for the command now recording, and
    says whether to raise KeyboardInterrupt now (always, outside a recording command).

    Not while `frame` is in Polars' Python code: there the Ctrl-C is held and signalled again in
    RETRY_S, until it arrives where raising it is safe.
    """
    state = _active
    if state is None:
        return True
    sent_again, state.resent = state.resent, False
    if sent_again and state.taken:
        return False  # a held Ctrl-C that came back after the command acted on it: one is enough
    state.received = True
    if not _in_held_code(frame):
        state.held = False
        return True
    if not state.held:
        state.held = True
        again = threading.Timer(RETRY_S, _signal_again, (state, signum))
        again.daemon = True
        again.start()
    return False


def _in_held_code(frame: Any) -> bool:
    while frame is not None:
        module = frame.f_globals.get("__name__") or ""
        if module.split(".")[0] in HELD_IN:
            return True
        frame = frame.f_back
    return False


def _signal_again(state: CtrlC, signum: int) -> None:
    """The held Ctrl-C again, to the main thread (where Python handles signals), while its command runs."""
    if _active is not state or not state.held or state.taken:
        return
    state.held, state.resent = False, True
    main = threading.main_thread().ident
    if hasattr(signal, "pthread_kill") and main is not None:
        signal.pthread_kill(main, signum)
    else:
        signal.raise_signal(signum)


def record_ctrl_c(signum: int, frame: Any) -> None:
    """The SIGINT handler of a recording command: records the Ctrl-C, then raises KeyboardInterrupt
    as Python's own handler (signal.default_int_handler) does, unless ctrl_c_now() holds it."""
    if ctrl_c_now(signum, frame):
        signal.default_int_handler(signum, frame)


def raises_keyboard_interrupt(handler: Any) -> bool:
    """Whether `handler` (a SIGINT handler) is Python's own or the recording one: both turn Ctrl-C
    into a KeyboardInterrupt where the main thread is, and code may swap either for its own."""
    return handler is signal.default_int_handler or handler is record_ctrl_c


def ctrl_c_taken() -> bool:
    """ctrl_c_received(), for code about to act on it (stop, say so): a Ctrl-C still held does not
    come again as a second KeyboardInterrupt in the middle of that."""
    state = _active
    if state is None or not state.received:
        return False
    state.taken, state.held = True, False
    return True


def stop_if_ctrl_c() -> None:
    """Raises KeyboardInterrupt if Ctrl-C arrived during the command now recording: for a loop
    that must not go on when an extension swallowed the interrupt, turned it into an error it
    reported and carried on from, or when it is still held."""
    if ctrl_c_taken():
        raise KeyboardInterrupt


@contextmanager
def recording_ctrl_c() -> Iterator[CtrlC]:
    """Records Ctrl-C while the block runs; the previous handler is back after it.

    Only Python's own handler is replaced, and only in the main thread (where signals are
    handled): a caller's handler stays, though one that asks ctrl_c_now() (the plugin guest's)
    still records. Nested blocks record for the innermost only.
    """
    global _active
    state, outer = CtrlC(), _active
    install = (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )
    previous = None
    _active = state
    try:
        if install:
            previous = signal.signal(signal.SIGINT, record_ctrl_c)
        yield state
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        _active = outer


@contextmanager
def pythons_own_ctrl_c() -> Iterator[None]:
    """Python's own Ctrl-C handling while the block runs, as if no command were recording: for
    the app, which handles its own keys and signals. The recording resumes after the block."""
    global _active
    outer = _active
    swap = threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is record_ctrl_c
    previous = None
    _active = None
    try:
        if swap:
            previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        _active = outer
