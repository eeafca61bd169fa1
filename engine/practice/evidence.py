"""Evidence from the experiments log for re-evaluating the order of research work as it progresses or
stalls (Lecture 13, §3: re-evaluate quickly as tasks progress or stall).

The lecture names the practice; how the log is read is teamcast's: an approach's log entries are
scanned for reported gains ("+4 pts", "+2 points over baseline"), the best reported gain is set
against the goal in its challenge's title ("by 5 points"), and an approach whose last few entries
report nothing above its best is read as stalling. Gains are not added up (a log line may restate
the total), so the best single report is the conservative reading. A pure function of the plan:
the forecast is not touched.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import polars as pl

from teamcast.engine.plan.model import Plan, TaskStatus

# teamcast's rules.
STALL_WINDOW = 3  # the last this many entries report nothing above the best before them: stalling
GAIN = re.compile(r"(?<![\w.])([+-−]?\d+(?:\.\d+)?)\s*(?:pts?|points?)\b", re.IGNORECASE)
GOAL = re.compile(r"\bby\s+(\d+(?:\.\d+)?)\s*(?:pts?|points?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ApproachEvidence:
    task: str
    challenge: str | None
    status: str  # the task's status: todo | doing | done
    experiments: int
    last: dt.date | None  # date of the last entry
    best_gain: float | None  # the best gain any entry reports, in the goal's unit; None when none does
    goal: float | None  # the gain the challenge's title asks for; None when it states none
    stalling: bool  # the last STALL_WINDOW entries reported nothing above the best before them
    verdict: str  # "reached" | "stalling" | "progressing" | "no evidence" | "logged before it started"

    def sentence(self) -> str:
        """One line for a person; every rule in it is teamcast's."""
        if self.verdict == "logged before it started":
            return f"{self.experiments} experiment(s) logged on a task that has not started; record its start"
        if self.verdict == "no evidence":
            return "in progress with no experiment that reports a gain; the log cannot tell how it is going"
        best = f"best reported gain {_signed(self.best_gain)} pts"
        goal = f" of the {self.goal:g} its challenge asks for" if self.goal is not None else ""
        if self.verdict == "reached":
            return f"{best}{goal}: the goal looks reached in experiments; validate it and re-order what follows"
        if self.verdict == "stalling":
            return (
                f"{best}{goal}; the last {STALL_WINDOW} experiments reported nothing above it: stalling, "
                "re-evaluate its likelihood and the order of the work"
            )
        return f"{best}{goal}; still improving"


def _signed(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+g}"


def reported_gains(outcome: str | None) -> list[float]:
    """Signed gains an outcome reports in points ("+3 pts", "loses 1 pt" counts as -1)."""
    text = outcome or ""
    gains = []
    for m in GAIN.finditer(text):
        value = float(m.group(1).replace("−", "-"))
        before = text[: m.start()].lower()
        if re.search(r"\b(loses|lost|drops?|down|worse)\s*$", before):
            value = -abs(value)
        gains.append(value)
    return gains


def goal_of(title: str | None) -> float | None:
    m = GOAL.search(title or "")
    return float(m.group(1)) if m else None


def approach_evidence(plan: Plan) -> list[ApproachEvidence]:
    """For every task with experiments logged, and every research approach in progress: what its log
    says, in plan order."""
    challenge_of: dict[str, tuple[str, str | None]] = {}
    for c in plan.challenges.iter_rows(named=True):
        for a in c["approaches"] or []:
            challenge_of[a] = (c["id"], c["title"])
    logged = set(plan.experiments["task"].drop_nulls().to_list())
    found = []
    for t in plan.tasks.iter_rows(named=True):
        status = t["status"] or TaskStatus.TODO.value
        in_progress_approach = t["id"] in challenge_of and status == TaskStatus.DOING.value
        if t["id"] not in logged and not in_progress_approach:
            continue
        log = plan.experiments.filter(pl.col("task") == t["id"]).sort("date", maintain_order=True, nulls_last=True)
        challenge, title = challenge_of.get(t["id"], (None, None))
        found.append(_read(t["id"], challenge, goal_of(title), status, log))
    return found


def _read(task: str, challenge: str | None, goal: float | None, status: str, log: pl.DataFrame) -> ApproachEvidence:
    per_entry = [max(reported_gains(o), default=None) for o in log["outcome"].to_list()]
    known = [g for g in per_entry if g is not None]
    best = max(known) if known else None
    earlier = [g for g in per_entry[:-STALL_WINDOW] if g is not None]
    recent = [g for g in per_entry[-STALL_WINDOW:] if g is not None]
    stalling = len(per_entry) > STALL_WINDOW and bool(earlier) and max(recent, default=float("-inf")) <= max(earlier)
    if status == TaskStatus.TODO.value and log.height:
        verdict = "logged before it started"
    elif best is None:
        verdict = "no evidence"
    elif goal is not None and best >= goal:
        verdict = "reached"
    elif stalling:
        verdict = "stalling"
    else:
        verdict = "progressing"
    dates: list[dt.date] = log["date"].drop_nulls().to_list()
    last = max(dates) if dates else None
    return ApproachEvidence(task, challenge, status, log.height, last, best, goal, stalling, verdict)
