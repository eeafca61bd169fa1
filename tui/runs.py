"""Forecasts run in the app's thread workers, and how they hand their news to the UI without waiting for it.

A worker posts its progress and its provisional forecast as messages (`post_message` is thread-safe
and returns at once) rather than through `App.call_from_thread`, which blocks the worker until the
UI loop has run the callback: while the screen redraws after a save, that wait stalled the forecast
the person is waiting for. Messages from one worker arrive in the order posted, and before the
worker's own state change; the app drops those of a worker cancelled since (a newer run took over),
so nothing of an older plan version reaches the screen.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App
    from textual.worker import Worker

    from teamcast.engine import Forecast, Plan

# A quick first run where nothing recorded can be shown at once (a new workspace, after a save):
# labelled provisional with its trial count, and replaced by the full run in the same worker.
PROVISIONAL_TRIALS = 1_000
# Cancellation is checked between chunks: about a frame of work each. A chunk is this many
# trial-task cells (whole blocks of 1,024 trials, at least one): fewer, larger chunks on a small
# plan (each chunk has a fixed cost in the kernel call and the aggregation), one block on a wide one.
CHUNK_CELLS = 256_000
BLOCK_TRIALS = 1024  # teamcast.engine.forecast.sampling.BLOCK, without importing NumPy on the UI path
MAX_CHUNK_BLOCKS = 4
PROGRESS_EVERY_S = 0.1  # at most ten progress redraws a second, whatever the chunk rate
# Two kernel threads where there are cores for them: results do not depend on the thread
# count, and on a shared SSH host two is a modest share.
THREADS = min(2, os.cpu_count() or 1)


@dataclass(frozen=True)
class Progress:
    """Where the running forecast stands; `total == 0` when none runs."""

    done: int = 0
    total: int = 0
    label: str = ""


class RunProgress(Message):
    """A forecast worker's progress (`Progress()` when it stopped)."""

    def __init__(self, progress: Progress, worker: Worker) -> None:
        super().__init__()
        self.progress = progress
        self.worker = worker


class ProvisionalReady(Message):
    """A forecast worker's provisional small run, to show until its full run lands."""

    def __init__(self, forecast: Forecast, worker: Worker) -> None:
        super().__init__()
        self.forecast = forecast
        self.worker = worker


def chunk_trials(n_tasks: int) -> int:
    """Trials per chunk for a plan of `n_tasks` tasks (whole blocks; see CHUNK_CELLS)."""
    blocks = CHUNK_CELLS // max(n_tasks, 1) // BLOCK_TRIALS
    return BLOCK_TRIALS * min(max(blocks, 1), MAX_CHUNK_BLOCKS)


class ProgressLine:
    """A worker's progress line: posted at most every PROGRESS_EVERY_S, and only once a run has gone on that
    long. A quicker run (a save's forecast on a small plan) never shows the bar: showing and hiding it
    costs two relayouts and a few redraws while the person waits for the figures, not for a bar."""

    def __init__(self, app: App, worker: Worker) -> None:
        self.app = app
        self.worker = worker
        self.up = False  # the bar is shown

    def start(self, trials: int, label: str) -> Callable[[int, int], None]:
        """The progress callback of a run of `trials`, from now."""
        last = time.monotonic()

        def progress(done: int, total: int) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= PROGRESS_EVERY_S and done < total:
                last = now
                self.post(Progress(done, total, label))

        return progress

    def post(self, progress: Progress) -> None:
        self.app.post_message(RunProgress(progress, self.worker))
        self.up = progress.total > 0

    def clear(self) -> None:
        if self.up:
            self.post(Progress())


def run_simulation(
    app: App,
    worker: Worker,
    plan: Plan,
    trials: int,
    seed: int,
    label: str,
    *,
    line: ProgressLine | None = None,
    last: bool = True,
) -> tuple[Forecast, float]:
    """`teamcast.engine.simulate` in a worker, its progress posted to `app` (see ProgressLine), cancellable
    between chunks. With `last=False` a progress line that is up stays up for a run that follows at once
    on the same `line` (the full run after a provisional one): hiding and showing it costs two relayouts."""
    from teamcast import engine

    # In the worker thread: NumPy, the kernel and plugins load here, before the clock starts (the
    # app decides from a run's time whether a provisional run is worth it; imports happen once).
    simulate = engine.simulate
    line = line or ProgressLine(app, worker)
    started = time.perf_counter()
    stopped = True
    try:
        forecast = simulate(
            plan,
            trials=trials,
            seed=seed,
            chunk_trials=chunk_trials(plan.tasks.height),
            threads=THREADS,
            progress=line.start(trials, label),
            cancel=lambda: worker.is_cancelled,
        )
        stopped = last
    finally:
        if stopped:
            line.clear()
    return forecast, time.perf_counter() - started
