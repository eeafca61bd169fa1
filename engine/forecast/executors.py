"""Where independent calls run: in this process, a local process pool, or a Dask cluster.

Every executor runs the same function on the same inputs, and a sweep scenario's or a split
run's numbers depend only on its inputs, so every executor gives identical results. Results
come back in call order. A call whose worker is lost is retried; if it still cannot be run,
`map_tolerant` says so in its place (a `Lost`), never leaves a gap. The executors know nothing
of what they run: sweeps and split forecasts pass their own functions.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from teamcast.errors import TeamcastError, UsageError

if TYPE_CHECKING:
    from distributed import Client

Progress = Callable[[int, int], None] | None
RETRIES = 2
DASK_CONNECT_TIMEOUT_S = 5


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
