"""Where independent calls run: in this process, a local process pool, or a Dask cluster.

Every executor runs the same function on the same inputs, and a sweep scenario's or a split
run's numbers depend only on its inputs, so every executor gives identical results. Results
come back in call order. A call whose worker is lost is retried; if it still cannot be run,
`map_tolerant` says so in its place (a `Lost`), never leaves a gap. The executors know nothing
of what they run: sweeps and split forecasts pass their own functions.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import multiprocessing
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from teamcast.errors import TeamcastError, UsageError

if TYPE_CHECKING:
    from distributed import Client

Progress = Callable[[int, int], None] | None
RETRIES = 2
DASK_CONNECT_TIMEOUT_S = 5
WINDOW_PER_JOB = 4  # calls taken ahead per local worker by imap_tolerant
DASK_BATCH = 256  # calls sent to a Dask cluster at a time by imap_tolerant


@dataclass(frozen=True)
class Lost:
    """What stands in a call's place when its worker was lost on every try."""

    why: str


class LocalExecutor:
    """`--executor local`: this process for one job, else a pool of `jobs` spawned processes."""

    def __init__(self, jobs: int = 1):
        if jobs < 1:
            raise UsageError(f"--jobs must be at least 1, got {jobs}")
        self.jobs = jobs

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map_tolerant(self, fn: Callable, shared: object, calls: Sequence[tuple], progress: Progress = None) -> list:
        """fn(shared, *args) for each args tuple, in order; a `Lost` where the worker died on every try."""
        results, lost = self._map(fn, [(shared, *args) for args in calls], progress)
        for i in lost:
            results[i] = Lost(f"gave up after {RETRIES + 1} attempts")
        return [results[i] for i in range(len(calls))]

    def imap_tolerant(
        self, fn: Callable, shared: object, calls: Iterable[tuple], total: int, progress: Progress = None
    ) -> Iterator[tuple[tuple, object]]:
        """(args, fn(shared, *args)) for each args tuple, in order, as soon as each is done.

        At most WINDOW_PER_JOB x jobs calls are taken from `calls` ahead of the last one
        yielded, so memory stays flat however many calls there are. A call whose worker died
        is sent again to a fresh pool; after RETRIES + 1 tries it yields a `Lost`.
        """
        if self.jobs == 1:
            for i, args in enumerate(calls):
                result = fn(shared, *args)
                if progress:
                    progress(i + 1, total)
                yield args, result
            return
        source = iter(calls)
        window = WINDOW_PER_JOB * self.jobs
        taken: dict[int, tuple] = {}  # index -> args, taken and not yet yielded
        done: dict[int, object] = {}  # index -> result, waiting for the calls before it
        tries: dict[int, int] = {}
        running: dict[cf.Future, int] = {}
        next_in = next_out = finished = 0
        exhausted = False
        context = multiprocessing.get_context("spawn")  # polars and threads do not survive fork
        pool = cf.ProcessPoolExecutor(max_workers=self.jobs, mp_context=context)
        try:
            while True:
                room = window - (next_in - next_out)
                if not exhausted and room > 0:
                    fresh = list(itertools.islice(source, room))
                    exhausted = len(fresh) < room
                    for call in fresh:
                        taken[next_in], tries[next_in] = call, 1
                        running[pool.submit(fn, shared, *call)] = next_in
                        next_in += 1
                while next_out in done:
                    yield taken.pop(next_out), done.pop(next_out)
                    del tries[next_out]
                    next_out += 1
                if exhausted and next_out == next_in:
                    return
                if not running:
                    continue
                ready, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                broken = False
                for future in ready:
                    try:
                        done[running[future]] = future.result()
                    except cf.process.BrokenProcessPool:
                        broken = True
                        continue
                    del running[future]
                    finished += 1
                    if progress:
                        progress(finished, total)
                if broken:  # every call on the broken pool failed with it: try them again on a new one
                    cf.wait(running)
                    retry = []
                    for future, i in running.items():
                        if future.exception() is None:
                            done[i] = future.result()
                            finished += 1
                        elif tries[i] > RETRIES:
                            done[i] = Lost(f"gave up after {RETRIES + 1} attempts")
                            finished += 1
                        else:
                            retry.append(i)
                    pool.shutdown(wait=True)
                    pool = cf.ProcessPoolExecutor(max_workers=self.jobs, mp_context=context)
                    running = {}
                    for i in sorted(retry):
                        tries[i] += 1
                        running[pool.submit(fn, shared, *taken[i])] = i
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def map_calls(self, fn: Callable, calls: Sequence[tuple], progress: Progress = None) -> list:
        """fn(*args) for each args tuple, results in order; a call whose worker dies is retried."""
        results, lost = self._map(fn, calls, progress)
        if lost:
            raise TeamcastError(
                f"{len(lost)} part(s) of the run were lost with their workers {RETRIES + 1} times", title="executor"
            )
        return [results[i] for i in range(len(calls))]

    def _map(self, fn: Callable, calls: Sequence[tuple], progress: Progress) -> tuple[dict[int, object], list[int]]:
        """Results by call index, and the calls whose worker died RETRIES + 1 times."""
        results: dict[int, object] = {}
        if self.jobs == 1:
            for i, args in enumerate(calls):
                results[i] = fn(*args)
                if progress:
                    progress(i + 1, len(calls))
            return results, []
        pending = list(range(len(calls)))
        for _ in range(RETRIES + 1):
            if not pending:
                break
            lost = []
            context = multiprocessing.get_context("spawn")  # polars and threads do not survive fork
            with cf.ProcessPoolExecutor(max_workers=min(self.jobs, len(pending)), mp_context=context) as pool:
                futures = {pool.submit(fn, *calls[i]): i for i in pending}
                for future in cf.as_completed(futures):
                    try:
                        results[futures[future]] = future.result()
                    except cf.process.BrokenProcessPool:
                        lost.append(futures[future])
                        continue
                    if progress:
                        progress(len(results), len(calls))
            pending = sorted(lost)
        return results, pending


class DaskExecutor:
    """`--executor dask://HOST:PORT`: an existing Dask distributed scheduler (needs teamcast[dask])."""

    def __init__(self, address: str):
        self.address = address
        self.client: Client | None = None

    def __enter__(self):
        try:
            from distributed import Client
        except ImportError:
            raise TeamcastError(
                "the Dask executor needs dask[distributed]: pip install 'teamcast[dask]'", title="executor"
            ) from None
        self.client = _connect_within(Client, self.address, DASK_CONNECT_TIMEOUT_S)
        return self

    def __exit__(self, *exc):
        if self.client is not None:
            self.client.close()
        return False

    def map_tolerant(self, fn: Callable, shared: object, calls: Sequence[tuple], progress: Progress = None) -> list:
        """fn(shared, *args) for each args tuple on the cluster; a `Lost` where every round failed.

        Each round scatters `shared` afresh and submits the calls still missing: a worker killed
        mid-run takes its copy of the plan and its tasks with it ("already forgotten"), so the
        next round resends both instead of reporting those calls lost.
        """
        from distributed import as_completed

        assert self.client is not None, "entered first (with DaskExecutor(...))"
        results: dict[int, object] = {}
        why: dict[int, str] = {}
        pending = list(range(len(calls)))
        for attempt in range(RETRIES + 1):
            if not pending:
                break
            shared_future = self.client.scatter(shared, broadcast=True, hash=False)
            futures = [
                self.client.submit(
                    fn, shared_future, *calls[i], retries=RETRIES, pure=False, key=f"teamcast-{id(self)}-{attempt}-{i}"
                )
                for i in pending
            ]
            index = {f.key: i for f, i in zip(futures, pending, strict=True)}
            failed = []
            for future in as_completed(futures):
                try:
                    results[index[future.key]] = future.result()
                except Exception as exc:  # a worker died more than RETRIES times, or the task was lost
                    failed.append(index[future.key])
                    why[index[future.key]] = f"{type(exc).__name__}: {exc}"[:200]
                    continue
                if progress:
                    progress(len(results), len(calls))
            pending = sorted(failed)
        for i in pending:
            results[i] = Lost(f"{why[i]} ({RETRIES + 1} rounds)")
        return [results[i] for i in range(len(calls))]

    def imap_tolerant(
        self, fn: Callable, shared: object, calls: Iterable[tuple], total: int, progress: Progress = None
    ) -> Iterator[tuple[tuple, object]]:
        """(args, fn(shared, *args)) for each args tuple, in order, a batch of DASK_BATCH at a time
        (each batch as `map_tolerant`, retries included), so memory stays flat."""
        source = iter(calls)
        finished = 0
        while batch := list(itertools.islice(source, DASK_BATCH)):

            def batch_progress(done: int, _: int, offset: int = finished) -> None:
                if progress:
                    progress(offset + done, total)

            yield from zip(batch, self.map_tolerant(fn, shared, batch, batch_progress), strict=True)
            finished += len(batch)

    def map_calls(self, fn: Callable, calls: Sequence[tuple], progress: Progress = None) -> list:
        """fn(*args) for each args tuple on the cluster, retried by Dask when a worker is lost."""
        assert self.client is not None, "entered first (with DaskExecutor(...))"
        futures = [self.client.submit(fn, *args, retries=RETRIES, pure=False) for args in calls]
        try:
            return self.client.gather(futures)
        except Exception as exc:
            raise TeamcastError(
                f"a part of the run failed on the cluster: {type(exc).__name__}: {exc}"[:300], title="executor"
            ) from None


def _connect_within(client_class: Callable, address: str, timeout_s: float):
    """A Dask client connected to `address`, or one line saying why not, within `timeout_s` overall.

    Dask's own timeout covers opening the connection, not the handshake after it: a port that
    answers with something else (an HTTP server) would hang. The connection is made on a daemon
    thread so that waiting for it has a deadline and a stuck attempt cannot hold the process.
    """
    outcome: dict[str, object] = {}

    def connect() -> None:
        try:
            outcome["client"] = client_class(address, timeout=timeout_s)
        except BaseException as exc:  # reported below, in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=connect, name="teamcast-dask-connect", daemon=True)
    thread.start()
    thread.join(timeout_s + 2)
    if "client" in outcome:
        return outcome["client"]
    error = outcome.get("error")
    reason = (
        "no answer" if error is None else f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    )
    raise TeamcastError(
        f"could not reach the Dask scheduler at {address} within {timeout_s:g} s ({reason[:200]})",
        title="executor",
    )


_DASK_ADDRESS = re.compile(r"^(?:tcp|tls)://(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(?P<port>\d{1,5})$")


def make_executor(spec: str, jobs: int = 1):
    """`local` or `dask://HOST:PORT` (also a Dask scheduler address as Dask prints it: tcp://, tls://, inproc://)."""
    if spec == "local":
        return LocalExecutor(jobs)
    address = "tcp://" + spec[len("dask://") :] if spec.startswith("dask://") else spec
    if spec.startswith(("dask://", "tcp://", "tls://")):
        match = _DASK_ADDRESS.match(address)
        if match is None or not 0 < int(match["port"]) < 65536:
            raise UsageError(f"--executor {spec!r}: expected dask://HOST:PORT, e.g. dask://scheduler:8786")
        return DaskExecutor(address)
    if spec.startswith("inproc://"):  # a LocalCluster(processes=False) in this process (API use)
        return DaskExecutor(spec)
    raise UsageError(f"--executor {spec!r}: expected local or dask://HOST:PORT")
