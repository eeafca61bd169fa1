"""Semantic checks of a plan's frames: every problem at once, each at a location a user can find.

Works on frames, not on TOML, so a plan from a workspace is checked exactly like a plan file.
Locations name items by id (`projects[fraud].tasks[fraud-gnn].estimate`), or by position when
the id is missing (`people[#3].id`). docs/plan-format.md lists every check.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import polars as pl

from teamcast.engine.plan import model
from teamcast.engine.plan.graph import cycle_through, dependency_graph, strongly_connected
from teamcast.engine.plan.limits import limit_problems, params_problems
from teamcast.engine.plan.model import EstimateForm, Plan, Role, Strategy, TaskStatus
from teamcast.errors import Problem

ROLES = [r.value for r in Role]
NAMESPACE = "people, hires, pools and roles share one namespace"


def item_location(item_id: str | None, index: int) -> str:
    """How an item of an array of tables is named in a location: its id, or `#n` (1-based) without one."""
    return item_id if item_id is not None else f"#{index + 1}"


def _fmt(x: float) -> str:
    return str(int(x)) if math.isfinite(x) and float(x).is_integer() else str(x)


def _suggest(word: str, candidates: Iterable[str]) -> str:
    import difflib  # only a plan with a misspelt reference needs it (lazy: start-up)

    close = difflib.get_close_matches(word, sorted(set(candidates)), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _nested_locations(frame: pl.DataFrame, parent_column: str, parent: str, child: str) -> list[str]:
    """`projects[fraud].tasks[t]` for each row, numbering rows without id within their parent."""
    seen: Counter = Counter()
    ids = frame["id"].to_list() if "id" in frame.columns else [None] * frame.height
    locations = []
    for parent_id, item_id in zip(frame[parent_column].to_list(), ids, strict=True):
        prefix = f"{parent}[{parent_id}]." if parent_id is not None else ""
        locations.append(f"{prefix}{child}[{item_location(item_id, seen[parent_id])}]")
        seen[parent_id] += 1
    return locations


def locations(plan: Plan, history_before: int = 0) -> dict[str, list[str]]:
    """Where each row of each frame is, as messages name it; history rows are numbered from
    `history_before` + 1 (a slice of a plan holds only the history rows an edit appends)."""

    def by_id(name: str) -> list[str]:
        return [f"{name}[{item_location(i, n)}]" for n, i in enumerate(getattr(plan, name)["id"].to_list())]

    def by_position(name: str, first: int = 0) -> list[str]:
        return [f"{name}[#{first + n + 1}]" for n in range(getattr(plan, name).height)]

    return {
        "plan": ["plan"] * plan.plan.height,
        "org": ["org"] * plan.org.height,
        "teams": by_id("teams"),
        "people": by_id("people"),
        "hires": by_id("hires"),
        "pools": [f"pools.{i}" for i in plan.pools["id"].to_list()],
        "projects": by_id("projects"),
        "tasks": _nested_locations(plan.tasks, "project", "projects", "tasks"),
        "challenges": _nested_locations(plan.challenges, "project", "projects", "challenges"),
        "history": by_position("history", history_before),
        "experiments": by_position("experiments"),
        "candidates": by_id("candidates"),
        "scorecards": _nested_locations(plan.scorecards, "candidate", "candidates", "scores"),
    }


# Keys every item must have (frame -> TOML key -> column).
REQUIRED: dict[str, dict[str, str]] = {
    "plan": {"name": "name", "start": "start"},
    "teams": {"id": "id"},
    "people": {"id": "id", "role": "role"},
    "hires": {"id": "id", "role": "role"},
    "projects": {"id": "id"},
    "tasks": {"id": "id", "estimate": "est_form"},
    "challenges": {"id": "id", "strategy": "strategy"},
    "history": {"task": "task", "actual_days": "actual_days"},
    "experiments": {"date": "date", "tried": "tried"},
    "candidates": {"id": "id"},
    "scorecards": {"aspect": "aspect", "score": "score"},
}

# Numeric bounds: frame -> (TOML key, column, low, high, low inclusive); None = unbounded.
BOUNDS: dict[str, list[tuple[str, str, float | None, float | None, bool]]] = {
    "people": [
        ("capacity", "capacity", 0, 1, False),
        *[(f"skills.{a}", f"skill_{a}", 0, 5, True) for a in model.SKILL_AXES],
    ],
    "hires": [
        ("capacity", "capacity", 0, 1, False),
        ("ramp_productivity", "ramp_productivity", 0, 1, False),
        ("ramp_days", "ramp_days", 0, None, True),
    ],
    "pools": [("", "units", 1, None, True)],
    "projects": [("value", "value", 0, None, False)],
    "tasks": [("p_success", "p_success", 0, 1, False), ("actual_days", "actual_days", 0, None, True)],
    "history": [
        ("p_success", "p_success", 0, 1, False),
        ("actual_days", "actual_days", 0, None, True),
        ("forecast_p50", "forecast_p50", 0, None, True),
        ("forecast_p80", "forecast_p80", 0, None, True),
        ("elapsed_days", "elapsed_days", 0, None, True),
    ],
    "experiments": [("effort_days", "effort_days", 0, None, True)],
    "scorecards": [("score", "score", 1, 5, True), ("minimum", "minimum", 1, 5, True)],
}


def _bound_message(value: float, low: float | None, high: float | None, low_inclusive: bool) -> str | None:
    if not math.isfinite(value):
        return None  # limits.finite_problems reports it
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    if not too_low and (high is None or value <= high):
        return None
    assert low is not None  # every entry of BOUNDS has a low end
    if high is None:
        return (
            f"must be at least {_fmt(low)}, got {_fmt(value)}"
            if low_inclusive
            else f"must be positive, got {_fmt(value)}"
        )
    interval = f"[{_fmt(low)}, {_fmt(high)}]" if low_inclusive else f"({_fmt(low)}, {_fmt(high)}]"
    return f"must be in {interval}, got {_fmt(value)}"


def _points_problems(low: float | None, likely: float | None, high: float | None) -> list[str]:
    """What is wrong with a range [low, likely, high] or a single number (likely alone)."""
    points = {"low": low, "likely": likely, "high": high}
    given = {name: v for name, v in points.items() if v is not None}
    if not all(math.isfinite(v) for v in given.values()):
        return []  # limits.finite_problems reports it
    for name, v in given.items():
        if v < 0:
            return [f"{name} must not be negative, got {_fmt(v)}"]
    if low is None and high is None:
        return [] if likely is not None else ["required key missing"]
    if len(given) < 3:
        return [f"incomplete range: {', '.join(n for n in points if n not in given)} missing"]
    assert low is not None and likely is not None and high is not None  # all three given
    if low > likely:
        return [f"low {_fmt(low)} > likely {_fmt(likely)}"]
    if likely > high:
        return [f"likely {_fmt(likely)} > high {_fmt(high)}"]
    if low == high:
        return [f"zero-width range [{_fmt(low)}, {_fmt(likely)}, {_fmt(high)}]; write a single number: {_fmt(likely)}"]
    return []


@dataclass(frozen=True)
class Whole:
    """What the checks of a slice of a plan need to know about the whole plan.

    A slice holds every table in full except tasks (only some rows, in plan order), history
    (only the rows an edit appends) and experiments (none): engine/plan/edits.py checks an
    edit on one. The per-row checks then see the same context as on the whole plan.
    """

    # The project of each task of the whole plan that the slice's rows name (of every task, for
    # the same "did you mean" hints as on the whole plan).
    task_projects: dict[str, str]
    history_before: int = 0  # history rows of the whole plan before the slice's
    effort_elsewhere: float = 0.0  # the largest estimate point of each task not in the slice, summed


class _Validator:
    def __init__(self, plan: Plan, whole: Whole | None = None):
        self.plan = plan
        self.problems: list[Problem] = []
        self._rows: dict[str, list[dict]] = {}
        self.loc = locations(plan, whole.history_before if whole else 0)
        # From the row dicts every check walks anyway: a Polars select or drop_nulls on these small
        # frames costs more (~0.1 ms each, a dozen per validation) than the Python over the rows.
        self.people = set(self.values("people", "id"))
        self.hires = set(self.values("hires", "id"))
        self.teams = set(self.values("teams", "id"))
        # A pool without a size is reported by the row checks; the demand checks skip it.
        self.pool_names = set(self.values("pools", "id"))
        self.pools = {p: u for p, u in plan.pools.iter_rows() if p is not None and u is not None}
        self.task_project = whole.task_projects if whole else self.pairs("tasks", "id", "project")
        self.challenge_project = self.pairs("challenges", "id", "project")
        self.person_role = self.pairs("people", "id", "role")
        roles = self.values("people", "role") + self.values("hires", "role")
        self.role_units = Counter(roles)  # people and open hires per role
        self.role_people = Counter(self.values("people", "role"))  # present at day 0

    def table_rows(self, name: str) -> list[dict]:
        """The rows of frame `name` as dicts, built once: a dozen checks walk the same tables,
        and building a row dict costs more than any check does with it (checks only read them)."""
        rows = self._rows.get(name)
        if rows is None:
            rows = self._rows[name] = getattr(self.plan, name).rows(named=True)
        return rows

    def values(self, name: str, column: str) -> list:
        """The non-null values of `column` of frame `name`, in row order."""
        return [row[column] for row in self.table_rows(name) if row[column] is not None]

    def pairs(self, name: str, key: str, value: str) -> dict:
        """{key: value} over the rows of frame `name` whose key is not null (a later row wins)."""
        return {row[key]: row[value] for row in self.table_rows(name) if row[key] is not None}

    def error(self, location: str, message: str) -> None:
        self.problems.append(Problem(location, message))

    def warn(self, location: str, message: str) -> None:
        self.problems.append(Problem(location, message, "warning"))

    def rows(self, name: str) -> Iterator[tuple[str, dict]]:
        return zip(self.loc[name], self.table_rows(name), strict=True)

    def run(self) -> list[Problem]:
        self.check_plan_table()
        self.check_required()
        self.check_ids()
        self.check_bounds()
        self.check_references()
        self.check_roles()
        self.check_estimates()
        self.check_tasks()
        self.check_challenges()
        self.check_cycles()
        self.check_work_in_progress()
        self.check_frame_links()
        return self.problems

    # --- presence, ids, numbers ----------------------------------------------------------------

    def check_plan_table(self) -> None:
        if self.plan.plan.height == 0:
            self.error("plan", "missing table [plan]; a plan needs at least name and start")
        for loc, row in self.rows("projects"):
            if row["deadline"] is not None and self.plan.plan.height and self.plan.start is not None:
                if row["deadline"] < self.plan.start:
                    self.warn(f"{loc}.deadline", f"{row['deadline']} is before the plan's start {self.plan.start}")

    def check_required(self) -> None:
        for name, keys in REQUIRED.items():
            for loc, row in self.rows(name):
                for key, column in keys.items():
                    if row[column] is None:
                        self.error(f"{loc}.{key}", "required key missing")
                    elif key == "id" and row[column] == "":
                        self.error(f"{loc}.id", "must not be empty")
        for loc, row in self.rows("pools"):  # `[pools] gpus = 8`: the size is the value, no key
            if row["id"] is not None and row["units"] is None:
                self.error(loc, "a pool needs a number of units")

    def check_ids(self) -> None:
        for name in ("teams", "people", "hires", "projects", "candidates"):
            self._unique_within(name)
        seen: dict[str, str] = {}
        for kind, name in (("task", "tasks"), ("challenge", "challenges")):
            for loc, row in self.rows(name):
                item_id = row["id"]
                if item_id in seen:
                    self.error(f"{loc}.id", f"id {item_id!r} is already used by {seen[item_id]}")
                elif item_id is not None:
                    seen[item_id] = f"a {kind} of project {row['project']!r}"
        self._shared_namespace()

    def _unique_within(self, name: str) -> None:
        first: dict[str, int] = {}
        for n, (loc, row) in enumerate(self.rows(name)):
            if row["id"] in first:
                self.error(
                    f"{loc}.id", f"id {row['id']!r} is already used by entry {first[row['id']] + 1} of [[{name}]]"
                )
            elif row["id"] is not None:
                first[row["id"]] = n

    def _shared_namespace(self) -> None:
        owner: dict[str, str] = {role: "a role" for role in [*ROLES, *self.role_units]}
        for name, what in (("people", "a person"), ("hires", "an open hire")):
            for loc, row in self.rows(name):
                if row["id"] in owner:
                    self.error(f"{loc}.id", f"id {row['id']!r} is also {owner[row['id']]}; {NAMESPACE}")
            owner |= {i: what for i in self.values(name, "id")}
        for loc, row in self.rows("pools"):
            if row["id"] in owner:
                self.error(loc, f"{row['id']!r} is also {owner[row['id']]}; {NAMESPACE}")

    def check_bounds(self) -> None:
        for name, bounds in BOUNDS.items():
            for loc, row in self.rows(name):
                for key, column, low, high, low_inclusive in bounds:
                    value = row[column]
                    message = None if value is None else _bound_message(value, low, high, low_inclusive)
                    if message and column == "p_success" and 2 <= value <= 100:  # 50 meant 50%
                        message += f"; write a probability as a fraction ({_fmt(value / 100)} for {_fmt(value)}%)"
                    if message:
                        self.error(f"{loc}.{key}" if key else loc, message)
        for loc, row in self.rows("history"):
            p50, p80 = row["forecast_p50"], row["forecast_p80"]
            if p50 is not None and p80 is not None and math.isfinite(p50 - p80) and p50 > p80:
                self.error(f"{loc}.forecast_p80", f"forecast_p50 {_fmt(p50)} > forecast_p80 {_fmt(p80)}")
        for loc, row in self.rows("tasks"):
            for need in row["needs"] or []:
                if need["units"] < 1:
                    self.error(f"{loc}.needs.{need['pool']}", f"must be at least 1, got {need['units']}")

    # --- references ----------------------------------------------------------------------------

    def _reference(self, location: str, value: str | None, known: set[str], what: str) -> bool:
        if value is None or value in known:
            return True
        self.error(location, f"unknown {what} {value!r}{_suggest(value, known)}")
        return False

    def check_references(self) -> None:
        workers = self.people | self.hires
        for name in ("people", "hires", "projects", "history"):
            for loc, row in self.rows(name):
                self._reference(f"{loc}.team", row["team"], self.teams, "team")
        for loc, row in self.rows("teams"):
            self._reference(f"{loc}.lead", row["lead"], self.people, "person")
        for loc, row in self.rows("people"):
            self._reference(f"{loc}.reports_to", row["reports_to"], self.people, "person")
        for loc, row in self.rows("history"):
            self._reference(f"{loc}.person", row["person"], workers, "person or open hire")
        known_work = set(self.task_project) | set(self.challenge_project) | set(self.values("history", "task"))
        for loc, row in self.rows("experiments"):
            self._reference(f"{loc}.person", row["person"], workers, "person or open hire")
            self._reference(f"{loc}.task", row["task"], known_work, "task")
        for loc, row in self.rows("candidates"):
            self._reference(f"{loc}.hire", row["hire"], self.hires, "open hire")

    def check_roles(self) -> None:
        for name in ("people", "hires", "candidates"):
            for loc, row in self.rows(name):
                role = row["role"]
                if role is not None and role not in ROLES:
                    self.warn(
                        f"{loc}.role", f"custom role {role!r}, not one of the six ML roles{_suggest(role, ROLES)}"
                    )

    # --- estimates ------------------------------------------------------------------------------

    def check_estimates(self) -> None:
        for loc, row in self.rows("tasks"):
            self._task_estimate(f"{loc}.estimate", row)
        for loc, row in self.rows("history"):
            if any(row[c] is not None for c in ("est_low", "est_likely", "est_high")):
                for message in _points_problems(row["est_low"], row["est_likely"], row["est_high"]):
                    self.error(f"{loc}.estimate", message)
        for loc, row in self.rows("hires"):
            points = (row["tth_low"], row["tth_likely"], row["tth_high"])
            if any(p is not None for p in points) and not (points[0] == points[1] == points[2]):
                for message in _points_problems(*points):
                    self.error(f"{loc}.time_to_hire", message)
            elif points[0] is not None:  # one number: low = likely = high
                for message in _points_problems(None, points[1], None):
                    self.error(f"{loc}.time_to_hire", message)

    def _task_estimate(self, location: str, row: dict) -> None:
        form, low, likely, high = row["est_form"], row["est_low"], row["est_likely"], row["est_high"]
        if form == EstimateForm.RANGE:
            messages = _points_problems(low, likely, high) if None not in (low, likely, high) else ["incomplete range"]
        elif form == EstimateForm.SINGLE:
            messages = _points_problems(None, likely, None)
        elif form == EstimateForm.PARAMS:
            messages = params_problems(row["est_params"])
        else:
            messages = [] if form is None else [f"unknown estimate form {form!r}"]
        for message in messages:
            self.error(location, message)

    # --- tasks -----------------------------------------------------------------------------------

    def check_tasks(self) -> None:
        nodes = set(self.task_project) | set(self.challenge_project)
        workers = self.people | self.hires
        for loc, row in self.rows("tasks"):
            for dep in row["after"] or []:
                self._reference(f"{loc}.after", dep, nodes, "task or challenge")
            self._reference(f"{loc}.assignee", row["assignee"], workers, "person or open hire")
            self._reference(f"{loc}.by", row["done_by"], workers, "person or open hire")
            self._check_status(loc, row)
            self._check_who(loc, row)

    def _check_status(self, loc: str, row: dict) -> None:
        status = row["status"] or TaskStatus.TODO.value
        if status not in {s.value for s in TaskStatus}:
            statuses = [s.value for s in TaskStatus]
            self.error(
                f"{loc}.status",
                f"unknown status {status!r}; expected one of {', '.join(statuses)}{_suggest(status, statuses)}",
            )
            return
        started, finished = row["started"], row["finished"]
        if status == TaskStatus.TODO:
            for key, column in (("started", "started"), ("finished", "finished"), ("actual_days", "actual_days")):
                if row[column] is not None:
                    self.error(
                        f"{loc}.{key}", f"status 'todo' but {key} is given; set status to 'doing', 'done' or 'failed'"
                    )
        elif status == TaskStatus.DOING:
            if started is None:
                self.error(f"{loc}.started", "status 'doing' needs a started date")
            if finished is not None:
                self.error(
                    f"{loc}.finished", "status 'doing' but a finished date is given; set status to 'done' or 'failed'"
                )
        else:
            if finished is None:
                self.error(f"{loc}.finished", f"status {status!r} needs a finished date")
            if started is None and row["actual_days"] is None:
                self.error(f"{loc}.actual_days", f"status {status!r} needs actual_days or a started date")
        if started is not None and finished is not None and finished < started:
            self.error(f"{loc}.finished", f"{finished} is before started {started}")
        self._check_future(loc, "started", started)
        self._check_future(loc, "finished", finished)

    def _check_future(self, loc: str, key: str, date: dt.date | None) -> None:
        if date is not None and self.plan.plan.height and self.plan.start is not None and date > self.plan.start:
            self.warn(f"{loc}.{key}", f"{date} is after the plan's start {self.plan.start} (the start is 'today')")

    def _check_who(self, loc: str, row: dict) -> None:
        role, needs, assignee = row["role"], row["needs"], row["assignee"]
        if role is not None and needs is not None:
            self.error(loc, "give role or needs, not both (role = 'x' is short for needs = { x = 1 })")
        if role is not None and assignee is not None:
            self.error(loc, "give role or assignee, not both (the assignee is the person who does it)")
        if (
            role is None
            and needs is None
            and assignee is None
            and row["status"] not in (TaskStatus.DONE, TaskStatus.FAILED)
        ):
            self.warn(loc, "no role, needs or assignee: the task holds no one (write needs = {} to say so)")
        if role is not None and role not in self.role_units:
            self.error(f"{loc}.role", f"no person or open hire has role {role!r}{_suggest(role, self.role_units)}")
        for need in needs or []:
            self._check_need(loc, need["pool"], need["units"], assignee)

    def _check_need(self, loc: str, pool: str, units: int, assignee: str | None) -> None:
        location = f"{loc}.needs.{pool}"
        if pool in self.pool_names:
            if pool in self.pools and units > self.pools[pool]:
                self.error(location, f"needs {units} {pool}, but the pool has {self.pools[pool]}")
        elif pool in self.role_units:
            # The assignee is held besides the needs, so a same-role assignee is one unit fewer to take.
            available = self.role_units[pool] - (self.person_role.get(assignee) == pool)
            if units > available:
                besides = " besides the assignee" if available < self.role_units[pool] else ""
                self.error(
                    location,
                    f"needs {units} {pool}, but the roster has only {available}{besides} (people and open hires)",
                )
        elif pool in self.people | self.hires:
            self.error(location, f"{pool!r} is a person; name one person with assignee = {pool!r}")
        else:
            hint = _suggest(pool, [*self.pools, *self.role_units])
            self.error(location, f"{pool!r} is neither a role of a person or open hire nor a pool{hint}")

    # --- challenges and the dependency graph -----------------------------------------------------

    def check_challenges(self) -> None:
        owner: dict[str, str] = {}
        tasks = set(self.task_project)
        for loc, row in self.rows("challenges"):
            location = f"{loc}.approaches"
            if row["strategy"] is not None and row["strategy"] not in {s.value for s in Strategy}:
                hint = _suggest(row["strategy"], [s.value for s in Strategy])
                self.error(
                    f"{loc}.strategy", f"unknown strategy {row['strategy']!r}; expected parallel or sequential{hint}"
                )
            if not row["approaches"]:
                self.error(location, "a challenge needs at least one approach")
            for approach, count in Counter(row["approaches"] or []).items():
                if count > 1:
                    self.error(location, f"{approach!r} is listed {count} times")
                if approach in self.challenge_project:
                    self.error(location, f"{approach!r} is a challenge; approaches must be tasks")
                elif not self._reference(location, approach, tasks, "task"):
                    continue
                elif self.task_project[approach] != row["project"]:
                    other, own = self.task_project[approach], row["project"]
                    self.error(
                        location,
                        f"{approach!r} is a task of project {other!r}; approaches must be tasks of project {own!r}",
                    )
                elif approach in owner:
                    self.error(location, f"{approach!r} is already an approach of challenge {owner[approach]!r}")
                else:
                    owner[approach] = row["id"]

    def _graph(self) -> dict[str, list[str]]:
        return dependency_graph(
            ((row["id"], row["after"]) for row in self.table_rows("tasks")),
            ((row["id"], row["strategy"], row["approaches"]) for row in self.table_rows("challenges")),
        )

    def check_cycles(self) -> None:
        graph = self._graph()
        node_loc = dict(zip(self.plan.tasks["id"], (f"{loc}.after" for loc in self.loc["tasks"]), strict=True))
        node_loc |= dict(
            zip(self.plan.challenges["id"], (f"{loc}.approaches" for loc in self.loc["challenges"]), strict=True)
        )
        for component in strongly_connected(graph):
            first = component[0]
            if len(component) > 1 or first in graph[first]:
                cycle = cycle_through(first, graph, set(component))
                self.error(node_loc[first], f"dependency cycle: {' -> '.join(cycle)} (each waits for the next)")

    # --- work in progress ------------------------------------------------------------------------

    def check_work_in_progress(self) -> None:
        """Tasks in progress all hold their people at day 0, so those must exist and be free together.

        Mirrors the kernel's time-0 dispatch: tasks in progress, in task order, take their
        assignee, then for each demand the free people of that role in plan order. Open hires
        have not arrived at day 0.
        """
        members: dict[str, list[str]] = defaultdict(list)
        for person, role in self.person_role.items():
            members[role].append(person)
        held: dict[str, str] = {}  # person -> the task in progress holding them
        free_pools = dict(self.pools)
        for loc, row in self.rows("tasks"):
            if row["status"] != TaskStatus.DOING:
                continue
            assignee = row["assignee"]
            if assignee in self.hires:
                self.error(f"{loc}.assignee", f"in progress, but {assignee!r} is an open hire who has not arrived")
            elif assignee in held:
                self.error(
                    f"{loc}.assignee",
                    f"in progress, but {assignee!r} is already on {held[assignee]!r}, also in progress",
                )
            elif assignee in self.people:
                held[assignee] = row["id"]
            demands = [(row["role"], 1, "role")] if row["role"] is not None else []
            demands += [(n["pool"], n["units"], f"needs.{n['pool']}") for n in row["needs"] or []]
            for pool, units, key in demands:
                if pool in self.pools and units <= self.pools[pool]:
                    free = free_pools[pool]
                    free_pools[pool] -= min(units, free)
                elif pool in self.role_units and units <= self.role_units[pool]:
                    people = [p for p in members[pool] if p not in held]
                    free = len(people)
                    held |= {p: row["id"] for p in people[:units]}
                else:  # unknown, or beyond the whole roster or pool: _check_need reports it
                    continue
                if units > free:
                    self.error(
                        f"{loc}.{key}",
                        f"in progress, but only {free} of the {units} {pool} it needs are free at the start"
                        " (the others are on work in progress or are open hires)",
                    )

    def check_frame_links(self) -> None:
        """Links a plan file cannot break but a workspace can; the writer would lose these rows."""
        projects = set(self.values("projects", "id"))
        for name in ("tasks", "challenges"):
            for loc, row in self.rows(name):
                if row["project"] not in projects and row["project"] is not None:
                    self.error(f"{loc}.project", f"unknown project {row['project']!r}")
        candidates = set(self.values("candidates", "id"))
        for loc, row in self.rows("scorecards"):
            if row["candidate"] not in candidates and row["candidate"] is not None:
                self.error(f"{loc}.candidate", f"unknown candidate {row['candidate']!r}")
        for question, count in Counter(self.plan.org_answers["question"].to_list()).items():
            if count > 1:
                self.error(f"org.answers.{question}", f"answered {count} times")


def validate_plan(plan: Plan, whole: Whole | None = None) -> list[Problem]:
    """Every semantic problem of a plan, errors and warnings, in a stable order.

    Checks presence of required keys, unique ids, numeric ranges, references between tables,
    estimates, task status and who does the work, challenges, dependency cycles, and that work
    in progress can hold its people at day 0 (the full list is in docs/plan-format.md).

    With `whole`, `plan` is a slice of a bigger plan (see Whole): its rows are checked against
    the whole plan's ids and work. A check that compares rows of tasks, history or experiments
    with each other sees only the slice's: engine/plan/edits.py says which edits it trusts a
    slice with, and its tests compare the two on random edits.
    """
    validator = _Validator(plan, whole)
    problems = validator.run()
    return problems + limit_problems(
        plan, validator.loc, whole.effort_elsewhere if whole else 0.0, table_rows=validator.table_rows
    )
