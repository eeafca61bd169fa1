"""Import PSPLIB single-mode RCPSP instances (`.sm` files) as teamcast plans.

Each renewable resource `Rk` becomes an anonymous pool `r<k>`, each job `n` a task `j<n>` with a
fixed duration, so the deterministic schedule of the plan is the classic RCPSP schedule and the
published optimal makespans are a yardstick for the dispatch.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from teamcast.engine.plan.model import Plan, frame
from teamcast.errors import PlanError, Problem

# Any fixed Monday: PSPLIB has no calendar, and a fixed day keeps imports reproducible.
PSPLIB_START = dt.date(2027, 1, 4)
PSPLIB_MODEL = "fixed"
DESCRIPTION = "PSPLIB single-mode RCPSP instance"

_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_SEPARATOR = re.compile(r"^\*+$")


@dataclass(frozen=True)
class _Job:
    number: int
    duration: int
    demands: tuple[int, ...]
    successors: tuple[int, ...]


class _Lines:
    """A cursor over the file's lines that reports problems at 1-based line numbers."""

    def __init__(self, text: str, source: str):
        self.lines = text.splitlines()
        self.source = source
        self.pos = 0

    def fail(self, message: str, line_no: int | None = None) -> PlanError:
        location = "end of file" if line_no is None else f"line {line_no}"
        return PlanError([Problem(location, message)], source=self.source)

    def seek(self, marker: str) -> int:
        """Move past the first line at or after the cursor that starts with `marker`; its line number."""
        for index in range(self.pos, len(self.lines)):
            if self.lines[index].strip().startswith(marker):
                self.pos = index + 1
                return index + 1
        raise self.fail(f"missing section {marker.rstrip(':')}")

    def next_row(self, what: str) -> tuple[int, list[int]]:
        """The next line as integers, with its line number; blank lines are skipped."""
        while self.pos < len(self.lines):
            line = self.lines[self.pos]
            self.pos += 1
            if not line.strip():
                continue
            if _SEPARATOR.match(line.strip()):
                raise self.fail(f"section ended early: expected {what}", self.pos)
            return self.pos, [self._integer(token, self.pos) for token in line.split()]
        raise self.fail(f"expected {what}")

    def skip(self) -> None:
        self.pos += 1

    def header_value(self, label: str) -> tuple[int, int]:
        """The first integer after the colon of the header line that starts with `label`."""
        line_no = self.seek(label)
        _, _, rest = self.lines[line_no - 1].partition(":")
        tokens = rest.split()
        if not tokens:
            raise self.fail(f"expected a number after {label.strip()!r}", line_no)
        return line_no, self._integer(tokens[0], line_no)

    def _integer(self, token: str, line_no: int) -> int:
        try:
            return int(token)
        except ValueError:
            raise self.fail(f"expected an integer, got {token!r}", line_no) from None


def parse_sm(text: str, source: str = "<sm>") -> Plan:
    """A plan from the text of a PSPLIB single-mode `.sm` file; PlanError (at a line) if malformed."""
    cursor = _Lines(text, source)
    n_jobs, n_resources = _read_header(cursor)
    successors = _read_precedence(cursor, n_jobs)
    requests = _read_requests(cursor, n_jobs, n_resources)
    capacities = _read_availabilities(cursor, n_resources)
    _check_demands_fit(cursor, requests, capacities)
    jobs = [_Job(number, duration, demands, successors[number]) for number, (duration, demands, _) in requests.items()]
    return _to_plan(_plan_name(source), jobs, capacities)


def read_sm(path: str | Path) -> Plan:
    path = Path(path)
    return parse_sm(path.read_text(), source=path.name)


def read_optimum_file(path: str | Path) -> dict[str, int]:
    """Optimal makespans by instance name ("j301_1" -> 43) from a PSPLIB `j30opt.sm`-style report."""
    path = Path(path)
    # The set's prefix ("j30") is the file name up to "opt"/"hrs"/"lb": instances are <prefix><P>_<I>.
    prefix = re.match(r"[a-z]+\d+", path.stem)
    if prefix is None:
        raise PlanError([Problem("", "cannot tell the instance set from the file name")], source=path.name)
    optimum: dict[str, int] = {}
    for line in path.read_text().splitlines():
        tokens = line.split()
        # Data lines are the ones whose first three tokens are integers; the rest is report prose.
        if len(tokens) >= 3 and all(token.isdigit() for token in tokens[:3]):
            parameter, instance, makespan = (int(token) for token in tokens[:3])
            optimum[f"{prefix.group()}{parameter}_{instance}"] = makespan
    return optimum


def _read_header(cursor: _Lines) -> tuple[int, int]:
    line_no, n_jobs = cursor.header_value("jobs (incl. supersource/sink")
    if n_jobs < 2:
        raise cursor.fail(f"expected at least 2 jobs (the dummy source and sink), got {n_jobs}", line_no)
    _, n_renewable = cursor.header_value("- renewable")
    for kind in ("- nonrenewable", "- doubly constrained"):
        line_no, count = cursor.header_value(kind)
        if count:
            raise cursor.fail(f"{kind[2:]} resources are not supported (single-mode RCPSP only)", line_no)
    return n_jobs, n_renewable


def _read_precedence(cursor: _Lines, n_jobs: int) -> dict[int, tuple[int, ...]]:
    cursor.seek("PRECEDENCE RELATIONS:")
    cursor.skip()  # column header
    successors: dict[int, tuple[int, ...]] = {}
    for number in range(1, n_jobs + 1):
        line_no, row = cursor.next_row(f"precedence relations of job {number}")
        _expect_job(cursor, row, number, line_no)
        if len(row) < 3:
            raise cursor.fail("expected job number, number of modes and number of successors", line_no)
        if row[1] != 1:
            raise cursor.fail(f"job {number} has {row[1]} modes; only single-mode files are supported", line_no)
        listed = tuple(row[3:])
        if len(listed) != row[2]:
            raise cursor.fail(f"job {number} declares {row[2]} successors but lists {len(listed)}", line_no)
        for successor in listed:
            if not 1 <= successor <= n_jobs or successor == number:
                raise cursor.fail(f"successor {successor} of job {number} is out of range 1..{n_jobs}", line_no)
        successors[number] = listed
    return successors


def _read_requests(cursor: _Lines, n_jobs: int, n_resources: int) -> dict[int, tuple[int, tuple[int, ...], int]]:
    """Per job: duration, demands and the line they were read from."""
    cursor.seek("REQUESTS/DURATIONS:")
    cursor.skip()  # column header
    cursor.skip()  # dashed rule
    requests: dict[int, tuple[int, tuple[int, ...], int]] = {}
    for number in range(1, n_jobs + 1):
        line_no, row = cursor.next_row(f"duration and demands of job {number}")
        _expect_job(cursor, row, number, line_no)
        if len(row) - 3 != n_resources:
            raise cursor.fail(f"expected {n_resources} resource demands, got {max(len(row) - 3, 0)}", line_no)
        if row[2] < 0 or min(row[3:], default=0) < 0:
            raise cursor.fail(f"job {number} has a negative duration or demand", line_no)
        requests[number] = (row[2], tuple(row[3:]), line_no)
    return requests


def _read_availabilities(cursor: _Lines, n_resources: int) -> tuple[int, ...]:
    cursor.seek("RESOURCEAVAILABILITIES:")
    cursor.skip()  # "R 1  R 2 ..." header
    line_no, row = cursor.next_row("the resource availabilities")
    if len(row) != n_resources:
        raise cursor.fail(f"expected {n_resources} resource availabilities, got {len(row)}", line_no)
    return tuple(row)


def _expect_job(cursor: _Lines, row: list[int], number: int, line_no: int) -> None:
    if row[0] != number:
        raise cursor.fail(f"expected job {number}, got {row[0]}", line_no)


def _check_demands_fit(
    cursor: _Lines, requests: dict[int, tuple[int, tuple[int, ...], int]], capacities: tuple[int, ...]
) -> None:
    # A job demanding more than a resource's capacity could never start; say so at import.
    for number, (_, demands, line_no) in requests.items():
        for k, (units, capacity) in enumerate(zip(demands, capacities, strict=True), start=1):
            if units > capacity:
                raise cursor.fail(f"job {number} needs {units} units of R{k}, capacity is {capacity}", line_no)


def _plan_name(source: str) -> str:
    stem = Path(source).stem
    return stem if _SLUG.fullmatch(stem) else "psplib"


def _to_plan(name: str, jobs: list[_Job], capacities: tuple[int, ...]) -> Plan:
    predecessors: dict[int, list[int]] = {job.number: [] for job in jobs}
    for job in jobs:
        for successor in job.successors:
            predecessors[successor].append(job.number)
    tasks = [
        {
            "id": f"j{job.number}",
            "project": name,
            "est_form": "single",
            "est_likely": float(job.duration),
            "model": PSPLIB_MODEL,
            "needs": [{"pool": f"r{k}", "units": units} for k, units in enumerate(job.demands, start=1) if units]
            or None,
            "after": [f"j{p}" for p in sorted(predecessors[job.number])] or None,
        }
        for job in jobs
    ]
    return Plan(
        plan=frame(
            "plan",
            [{"name": name, "start": PSPLIB_START, "default_model": PSPLIB_MODEL, "description": DESCRIPTION}],
        ),
        pools=frame("pools", [{"id": f"r{k}", "units": c} for k, c in enumerate(capacities, start=1)]),
        projects=frame("projects", [{"id": name, "name": name}]),
        tasks=frame("tasks", tasks),
    )
