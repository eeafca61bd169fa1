"""CI gates: `--fail-if EXPR` thresholds on a forecast's JSON, for pipelines that should fail on bad odds.

A gate reads `SUBJECT.METRIC OP NUMBER` and fails the run (exit 3) when it holds, e.g.
`fraud.p_on_time<0.5` fails when fraud is less than 50 % likely to land by its deadline.
Subjects: a project id, `*` (every project), `portfolio` (sums over projects),
`task.ID` and `person.ID` (`task.*`, `person.*` for all of them).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from teamcast.errors import TeamcastError, UsageError

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}

# Metric -> path inside one row of the forecast JSON (Forecast.to_json()).
FINISH = {"p50": ("finish_days", "p50"), "p80": ("finish_days", "p80"), "p95": ("finish_days", "p95")}
METRICS: dict[str, dict[str, tuple[str, ...]]] = {
    "project": {
        "p_success": ("p_success",),
        "p_on_time": ("p_on_time",),
        **FINISH,
        "mean": ("finish_days", "mean"),
        "expected_value": ("expected_value",),
    },
    "task": {
        "p_run": ("p_run",),
        "p_success": ("p_success",),
        **FINISH,
        "criticality": ("criticality",),
        "sensitivity": ("sensitivity",),
    },
    "person": {"utilization": ("utilization",), "busy_days": ("busy_days",)},
    "portfolio": {"expected_value": ("expected_value",)},
}
SECTIONS = {"project": "projects", "task": "tasks", "person": "people"}
ALL = "*"
PORTFOLIO = "portfolio"
KNOWN_SHOWN = 12  # ids listed in an unknown-id message before "... and N more"

# The operator alternatives are ordered longest first so `<=` never parses as `<` then `=...`.
_EXPR = re.compile(r"^\s*(?P<lhs>[^<>=!]+?)\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<rhs>[^<>=!]+?)\s*$")
_SHAPE = "expected SUBJECT.METRIC OP NUMBER with OP one of < <= > >= == !=, e.g. fraud.p_on_time<0.5"


@dataclass(frozen=True)
class Gate:
    """One parsed `--fail-if` expression."""

    level: str  # project, task, person or portfolio
    id: str | None  # the project/task/person id, "*" for all of the level, None for the portfolio
    metric: str
    op: str
    threshold: float
    text: str  # the expression as the user wrote it, for messages

    def holds(self, value: float) -> bool:
        return OPERATORS[self.op](value, self.threshold)


class GatesFailed(TeamcastError):
    """One or more `--fail-if` expressions held: the CLI prints each and exits 3."""

    title = "fail-if"
    exit_code = 3

    def __init__(self, failures: list[str]):
        self.failures = list(failures)
        super().__init__(f"{len(self.failures)} gate(s) failed: " + "; ".join(self.failures))

    def lines(self) -> list[str]:
        return [f"{self.title}: {failure}" for failure in self.failures]


def parse_gate(expr: str) -> Gate:
    """`fraud.p80 > 60`, `*.p_success>=0.7`, `portfolio.expected_value<10`, `task.ID.criticality>0.9`."""
    match = _EXPR.match(expr)
    if not match:
        raise _usage(expr, _SHAPE)
    lhs, op, rhs = match["lhs"], match["op"], match["rhs"]
    subject, dot, metric = lhs.rpartition(".")
    if not dot or not subject or not metric:
        raise _usage(expr, _SHAPE)
    level, item = _subject(expr, subject)
    known = METRICS[level]
    if metric not in known:
        what = "the portfolio (a sum over projects)" if level == PORTFOLIO else f"a {level}"
        expected = f"one of {', '.join(known)}" if len(known) > 1 else next(iter(known))
        raise _usage(expr, f"unknown metric {metric!r} for {what}; expected {expected}")
    return Gate(level, item, metric, op, _threshold(expr, rhs), expr.strip())


def evaluate_gates(gates: Iterable[Gate], result_json: dict) -> list[str]:
    """The gates that FAILED (their expression holds), one sentence each: `fraud.p_on_time = 0.42 < 0.5`.

    A metric the forecast leaves undefined (a finish percentile of work that never succeeded)
    fails its gate: a pipeline must not pass on a number that does not exist.
    """
    failures = []
    for gate in gates:
        for name, value in _values(gate, result_json):
            if value is None:
                failures.append(f"{name}.{gate.metric} is undefined (no trial succeeded), so the gate fails")
            elif gate.holds(value):
                failures.append(f"{name}.{gate.metric} = {_number(value)} {gate.op} {_number(gate.threshold)}")
    return failures


def check_gates(gates: Iterable[Gate], result_json: dict) -> None:
    """Raise GatesFailed (exit 3) when any gate holds."""
    failures = evaluate_gates(gates, result_json)
    if failures:
        raise GatesFailed(failures)


def _subject(expr: str, subject: str) -> tuple[str, str | None]:
    if subject == PORTFOLIO:
        return PORTFOLIO, None
    level, dot, item = subject.partition(".")
    if dot and level in ("task", "person"):
        if not item:
            raise _usage(expr, f"expected {level}.ID.METRIC, e.g. {level}.{ALL}.{next(iter(METRICS[level]))}")
        return level, item
    return "project", subject


def _threshold(expr: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _usage(expr, f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise _usage(expr, f"the threshold must be a finite number, got {text!r}")
    return value


def _values(gate: Gate, result: dict) -> list[tuple[str, float | None]]:
    """(name shown in messages, value) for each row the gate covers."""
    path = METRICS[gate.level][gate.metric]
    if gate.level == PORTFOLIO:
        values = [_lookup(row, path) for row in result.get("projects", [])]
        defined = [v for v in values if v is not None]
        return [(PORTFOLIO, math.fsum(defined))]
    rows = result.get(SECTIONS[gate.level], [])
    if gate.id == ALL:
        return [(_name(gate.level, row["id"]), _lookup(row, path)) for row in rows]
    for row in rows:
        if row["id"] == gate.id:
            return [(_name(gate.level, row["id"]), _lookup(row, path))]
    raise _usage(gate.text, f"no {gate.level} {gate.id!r}; known {SECTIONS[gate.level]}: {_known(rows)}")


def _lookup(row: dict, path: tuple[str, ...]) -> float | None:
    value: Any = row
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return None if value is None else float(value)


def _name(level: str, item: str) -> str:
    return item if level == "project" else f"{level}.{item}"


def _known(rows: list[dict]) -> str:
    ids = [row["id"] for row in rows]
    if not ids:
        return "none"
    shown = ", ".join(ids[:KNOWN_SHOWN])
    return shown if len(ids) <= KNOWN_SHOWN else f"{shown} ... and {len(ids) - KNOWN_SHOWN} more"


def _number(x: float) -> str:
    return f"{x:.6g}"


def _usage(expr: str, message: str) -> UsageError:
    return UsageError(f"--fail-if {expr.strip()!r}: {message}")
