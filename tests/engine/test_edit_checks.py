"""Edits checked on a slice of the plan (engine/plan/edits.py) are accepted or refused exactly as the
whole-plan check would, write what it would, and keep the write lock short enough that several
processes recording outcomes on a big workspace at once all succeed."""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teamcast.engine.plan import edits
from teamcast.engine.plan.io import load_plan
from teamcast.engine.plan.model import SCHEMAS, Plan, empty_frame, frame
from teamcast.engine.plan.storage import EDITABLE_TABLES, SINGLETON_TABLES
from teamcast.engine.plan.workspace import Workspace
from teamcast.engine.retro.outcomes import record_outcome
from teamcast.errors import PlanError, TeamcastError

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("workspace_worker", HERE / "workspace_worker.py")
worker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(worker)

PLANS: dict[str, Callable[[], Plan]] = {
    "demo": lambda: load_plan(HERE.parents[1] / "engine" / "plan" / "data" / "demo.toml"),
    "acme": lambda: load_plan(HERE / "plans" / "acme.toml"),
    "full": worker.full_plan,
}


def without_forecasts(plan: Plan) -> Plan:
    return plan.replace(forecasts=empty_frame("forecasts"))


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, Path]:
    """One freshly imported workspace per plan, copied for each example."""
    folder = tmp_path_factory.mktemp("templates")
    paths = {}
    for name, make in PLANS.items():
        paths[name] = folder / f"{name}.db"
        with Workspace.create(paths[name]) as ws:
            ws.import_plan(without_forecasts(make()))
    return paths


def meta(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT key, value FROM meta").fetchall())
    finally:
        conn.close()


# --- values an edit may set: the plan's own, and ones that break a rule -----------------------


def _values(plan: Plan, table: str, column: str, row: dict) -> list:
    dtype = SCHEMAS[table][column]
    start = plan.start
    task_ids = plan.tasks["id"].to_list()
    names = sorted(
        {
            *plan.people["id"],
            *plan.hires["id"],
            *plan.people["role"].drop_nulls(),
            *plan.pools["id"],
            *plan.teams["id"],
            *plan.projects["id"],
            *task_ids[:3],
        }
    )
    own = [v for v in getattr(plan, table)[column].to_list() if v is not None][:6]
    if column == "status":
        return ["todo", "doing", "done", "failed", "waiting", None]
    if column == "est_form":
        return ["range", "single", "params", "guess", None]
    if column == "est_params":
        return ['{"mu": 1.0, "sigma": 0.5}', '{"mu": NaN, "sigma": 0.5}', "[1]", None]
    if column == "strategy":
        return ["parallel", "sequential", "both", None]
    if column == "needs":
        pools = [*plan.pools["id"], *plan.people["role"].drop_nulls().unique().sort()[:2], "ghost"]
        return [None, [], *([{"pool": p, "units": k}] for p in pools for k in (0, 1, 3, 2000))]
    if column in ("after", "approaches"):
        # Tasks that wait for this row close a cycle when it waits for them.
        waiting = [t["id"] for t in plan.tasks.iter_rows(named=True) if row.get("id") in (t["after"] or [])]
        return [None, [], task_ids[:2], task_ids[-3:], waiting[:1], waiting, ["ghost"], task_ids[:1] * 2, *own]
    if dtype == pl.String:
        return [None, "", " ", "ghost", *names, *own]
    if dtype == pl.Float64:
        # NaN too: SQLite would store it as null, so every float field must refuse it.
        return [None, 0.0, 0.005, 0.5, 1.0, 3.0, 12.0, 50.0, -1.0, 20_000.0, math.inf, -math.inf, math.nan, *own]
    if dtype == pl.Int64:
        return [None, -1, 0, 1, 2, 3, 5, 2000, *own]
    if dtype == pl.Date:
        return [None, start, start - dt.timedelta(days=40), start + dt.timedelta(days=9), dt.date(1850, 1, 1), *own]
    if dtype == pl.List(pl.Date):
        return [None, [], [start], [dt.date(2300, 1, 1)]]
    if dtype == pl.List(pl.String):
        return [None, [], ["PyTorch"], *own]
    if dtype == pl.Boolean:
        return [None, True, False]
    raise AssertionError(f"no values for {table}.{column}")


@st.composite
def row_edits(draw, plan: Plan, table: str | None = None) -> tuple[str, dict, dict]:
    """(table, stored row, changes) for update_row; tasks most often, ids now and then."""
    tables = [t for t in EDITABLE_TABLES if getattr(plan, t).height]
    table = table or draw(st.sampled_from(["tasks"] * 6 + ["people", "hires"] * 2 + tables))
    row = draw(st.sampled_from(getattr(plan, table).to_dicts()))
    columns = [c for c in SCHEMAS[table] if not (c == "id" and table in SINGLETON_TABLES)]
    chosen = draw(st.lists(st.sampled_from(columns), min_size=1, max_size=3, unique=True))
    changes = {c: draw(st.sampled_from(_values(plan, table, c, row))) for c in chosen}
    return table, row, changes


@st.composite
def history_rows(draw, plan: Plan) -> list[dict]:
    task = draw(st.sampled_from(plan.tasks.to_dicts()))
    rows = []
    for _ in range(draw(st.integers(1, 2))):
        row = {"task": task["id"], "project": task["project"], "succeeded": draw(st.booleans())}
        for column in ("person", "team", "actual_days", "est_low", "est_likely", "est_high", "finished"):
            row[column] = draw(st.sampled_from(_values(plan, "history", column, row)))
        rows.append(row)
    return rows


def _problems(error: PlanError) -> set[tuple[str, str, str]]:
    return {(p.location, p.message, p.severity) for p in error.problems}


def _expected(before: Plan, after: Plan) -> set | None:
    """What the whole-plan check says: None to accept, else the problems it refuses with."""
    try:
        edits.check_change(before, after)
    except PlanError as error:
        return _problems(error)
    return None


def _outcome(apply: Callable[[], object]) -> set | None:
    try:
        apply()
    except PlanError as error:
        return _problems(error)
    return None


def _same_as_the_whole_check(path: Path, before: Plan, after: Plan, apply: Callable[[], object]) -> None:
    """The edit is refused with exactly the whole check's problems, or accepted and stores `after`."""
    version = meta(path)["plan_version"]
    expected = _expected(before, after)
    assert _outcome(apply) == expected
    with Workspace.open(path) as ws:
        stored = without_forecasts(ws.load())
    if expected is None:
        assert stored.equals(without_forecasts(after))
        state = meta(path)
        assert state["checked"] == state["plan_version"] == version + 1  # still free of errors: trusted
    else:
        assert meta(path)["plan_version"] == version
        assert stored.equals(without_forecasts(before))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_an_edit_is_accepted_or_refused_as_the_whole_plan_check_says(templates, data):
    name = data.draw(st.sampled_from(["demo", "demo", "acme", "full"]), label="plan")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(shutil.copy(templates[name], Path(folder) / "w.db"))
        with Workspace.open(path) as ws:
            for _ in range(data.draw(st.integers(1, 4), label="edits")):
                before = ws.load()
                kind = data.draw(st.sampled_from(["row"] * 5 + ["task", "history", "order", "answers"]), label="kind")
                if kind == "row":
                    table, row, changes = data.draw(row_edits(before), label="edit")
                    key = table if table in SINGLETON_TABLES else row["id"]
                    version = ws.row_version(table, key)
                    after = edits.with_row(before, table, row, row | changes)

                    def apply() -> object:
                        return ws.update_row(table, key, changes, version)  # noqa: B023

                elif kind == "task":  # a task's row and a history row in one transaction, as outcomes do
                    _, row, changes = data.draw(row_edits(before, "tasks"), label="edit")
                    extra = data.draw(history_rows(before), label="history")[:1]
                    after = edits.with_history(edits.with_row(before, "tasks", row, row | changes), extra)

                    def apply() -> object:
                        return ws.change_task(row["id"], lambda plan, task: (task | changes, extra[0]))  # noqa: B023

                elif kind == "history":
                    rows = data.draw(history_rows(before), label="history")
                    after = edits.with_history(before, rows)

                    def apply() -> object:
                        return ws.append_history(lambda plan: rows)  # noqa: B023

                elif kind == "answers":
                    question = st.sampled_from(["q1", "q2", "team_size", None])
                    answer = st.sampled_from(["yes", "no", "", None])
                    answers = data.draw(
                        st.lists(st.fixed_dictionaries({"question": question, "answer": answer}), max_size=3),
                        label="answers",
                    )
                    after = before.replace(org_answers=frame("org_answers", answers))

                    def apply() -> object:
                        return ws.replace_answers(answers, ws.plan_version())  # noqa: B023

                else:
                    order = data.draw(st.permutations(before.tasks["id"].to_list()), label="order")
                    rank = {task: n for n, task in enumerate(order)}
                    after = before.replace(tasks=before.tasks.sort(pl.col("id").replace_strict(rank)))

                    def apply() -> object:
                        return ws.reorder_tasks(order, ws.plan_version())  # noqa: B023

                _same_as_the_whole_check(path, before, after, apply)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    task=st.sampled_from(["fraud-gbm", "fraud-gnn", "fraud-seq", "fs-backfill", "srv-canary", "ins-dashboard-v1"]),
    outcome=st.sampled_from(["start", "done", "fail"]),
    by=st.sampled_from([None, "jonas", "priya", "nobody"]),
    on=st.sampled_from([dt.date(2026, 11, 2), dt.date(2027, 1, 4), dt.date(2027, 2, 1)]),
)
def test_recorded_outcomes_never_store_what_validation_refuses(templates, task, outcome, by, on):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(shutil.copy(templates["demo"], Path(folder) / "w.db"))
        with Workspace.open(path) as ws:
            before = ws.load()
            try:
                record_outcome(ws, task, outcome, on=on, by=by)
            except TeamcastError:
                assert without_forecasts(ws.load()).equals(without_forecasts(before))
                return
            stored = ws.load()
        assert not [p for p in edits.plan_problems(stored) if p.severity == "error"]


# --- what an edit reads ------------------------------------------------------------------------


def big_plan(tasks: int) -> Plan:
    """A generated plan: a chain per project of 50 tasks, 40 people in four roles, no history."""
    roles = ["ml_engineer", "data_engineer", "ml_researcher", "devops_engineer"]
    people = [{"id": f"p{k}", "role": roles[k % 4], "capacity": 1.0} for k in range(40)]
    rows = [
        {
            "id": f"t{i}",
            "project": f"proj{i // 50}",
            "title": f"task {i}",
            "est_form": "range",
            "est_low": 2.0,
            "est_likely": 3.0,
            "est_high": 6.0,
            "role": roles[i % 4],
            "after": [f"t{i - 1}"] if i % 50 else None,
        }
        for i in range(tasks)
    ]
    return Plan(
        plan=frame("plan", [{"name": "big", "start": dt.date(2027, 1, 4)}]),
        people=frame("people", people),
        pools=frame("pools", [{"id": "gpus", "units": 4}]),
        projects=frame("projects", [{"id": f"proj{k}"} for k in range((tasks + 49) // 50)]),
        tasks=frame("tasks", rows),
    )


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.db"
    with Workspace.create(path) as ws:
        ws.import_plan(big_plan(2000))
    return path


def test_common_edits_of_a_plan_free_of_errors_never_read_the_whole_plan(big, tmp_path):
    path = Path(shutil.copy(big, tmp_path / "w.db"))
    with mock.patch.object(edits.Snapshot, "plan", side_effect=AssertionError("read the whole plan")):
        with Workspace.open(path) as ws:
            ws.update_row("tasks", "t10", {"title": "renamed", "est_high": 9.0}, ws.row_version("tasks", "t10"))
            ws.update_row("tasks", "t11", {"after": ["t3"]}, ws.row_version("tasks", "t11"))
            ws.update_row("people", "p3", {"capacity": 0.5}, ws.row_version("people", "p3"))
            record_outcome(ws, "t20", "start", on=dt.date(2027, 1, 5))
            record_outcome(ws, "t20", "done", on=dt.date(2027, 1, 8))
            ws.reorder_tasks([f"t{i}" for i in reversed(range(2000))], ws.plan_version())


def test_a_new_dependency_that_closes_a_cycle_is_refused_with_the_cycle(big, tmp_path):
    path = Path(shutil.copy(big, tmp_path / "w.db"))
    with Workspace.open(path) as ws:
        with pytest.raises(PlanError) as caught:
            ws.update_row("tasks", "t3", {"after": ["t6"]}, ws.row_version("tasks", "t3"))
    assert caught.value.lines() == [
        "error: projects[proj0].tasks[t3].after: dependency cycle: t3 -> t6 -> t5 -> t4 -> t3 (each waits for the next)"
    ]


def test_a_slice_finds_an_error_far_from_the_edited_row(big, tmp_path):
    """Estimates raised on one task push the whole plan past the calendar: the other 1,999 tasks'
    work counts (validate.Whole), though the slice does not hold them."""
    path = Path(shutil.copy(big, tmp_path / "w.db"))
    with Workspace.open(path) as ws:
        version = ws.row_version("tasks", "t7")
        ws.update_row("people", "p0", {"capacity": 0.02}, ws.row_version("people", "p0"))
        with pytest.raises(PlanError) as caught:
            ws.update_row("tasks", "t7", {"est_low": 9_000.0, "est_likely": 9_500.0, "est_high": 9_900.0}, version)
    assert caught.value.lines() == [
        "error: projects: all the work one task after another at the lowest capacity (0.02) takes 1,094,700 "
        "working days; teamcast plans up to 1,000,000 (about 3,800 years)"
    ]


def test_a_plan_not_proved_free_of_errors_is_checked_whole_and_then_trusted(big, tmp_path, monkeypatch):
    path = Path(shutil.copy(big, tmp_path / "w.db"))
    whole_reads = []
    original = edits.Snapshot.plan
    monkeypatch.setattr(edits.Snapshot, "plan", lambda self: whole_reads.append(1) or original(self))
    monkeypatch.setattr(edits, "rules_stamp", lambda: 12345)  # as after an upgrade of the checks
    with Workspace.open(path) as ws:
        ws.update_row("tasks", "t1", {"title": "a"}, ws.row_version("tasks", "t1"))
        assert len(whole_reads) == 1
        ws.update_row("tasks", "t1", {"title": "b"}, ws.row_version("tasks", "t1"))
        assert len(whole_reads) == 1
    assert meta(path)["checked_rules"] == 12345
    conn = sqlite3.connect(path)  # an older teamcast edits the plan without knowing the mark
    conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'plan_version'")
    conn.commit()
    conn.close()
    with Workspace.open(path) as ws:
        ws.update_row("tasks", "t1", {"title": "c"}, ws.row_version("tasks", "t1"))
    assert len(whole_reads) == 2


def test_reordering_tasks_in_progress_cannot_leave_one_without_its_person(tmp_path):
    """At day 0, tasks in progress take their people in plan order: b holds its assignee ana and a
    takes bo; with a first, a would take ana and leave b without her."""
    started = {"status": "doing", "started": dt.date(2027, 1, 4)}
    plan = big_plan(4).replace(
        people=frame("people", [{"id": "ana", "role": "ml_engineer"}, {"id": "bo", "role": "ml_engineer"}]),
        tasks=frame(
            "tasks",
            [
                {"id": "b", "project": "proj0", "est_form": "single", "est_likely": 2.0, "assignee": "ana"} | started,
                {"id": "a", "project": "proj0", "est_form": "single", "est_likely": 2.0, "role": "ml_engineer"},
            ],
        ),
    )
    with Workspace.create(tmp_path / "w.db") as ws:
        ws.import_plan(plan)
        ws.update_row("tasks", "a", started, ws.row_version("tasks", "a"))
        version = ws.plan_version()
        with pytest.raises(PlanError) as caught:
            ws.reorder_tasks(["a", "b"], version)
        assert caught.value.lines() == [
            "error: projects[proj0].tasks[b].assignee: in progress, but 'ana' is already on 'a', also in progress"
        ]
        assert ws.load().tasks["id"].to_list() == ["b", "a"]
        assert ws.plan_version() == version


# --- the write lock ---------------------------------------------------------------------------


def test_another_session_can_write_while_an_edit_is_validated(big, tmp_path, monkeypatch):
    path = Path(shutil.copy(big, tmp_path / "w.db"))
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    validated = []
    original = edits.validate_plan

    def validate_and_take_the_lock(plan, whole=None):
        other.execute("BEGIN IMMEDIATE")  # 'database is locked' if the edit held the write lock
        other.execute("ROLLBACK")
        validated.append(plan.tasks.height)
        return original(plan, whole)

    monkeypatch.setattr(edits, "validate_plan", validate_and_take_the_lock)
    with Workspace.open(path) as ws:
        ws.update_row("tasks", "t1", {"title": "checked on a slice"}, ws.row_version("tasks", "t1"))
        ws.update_row("tasks", "t2", {"project": "proj1"}, ws.row_version("tasks", "t2"))  # checked whole
    other.close()
    assert validated == [1, 2000]


def test_an_edit_that_another_session_overtook_is_checked_again_on_the_new_plan(tmp_path, monkeypatch):
    """Two sessions start tasks that need the team's one ML engineer: the second to write is
    checked again on the plan the first left, and refused; nothing is lost or double-booked."""
    plan = big_plan(2).replace(people=frame("people", [{"id": "ana", "role": "ml_engineer"}]))
    plan = plan.replace(
        tasks=plan.tasks.with_columns(role=pl.lit("ml_engineer"), after=pl.lit(None, pl.List(pl.String)))
    )
    path = tmp_path / "w.db"
    with Workspace.create(path) as ws:
        ws.import_plan(plan)
    first, second = Workspace.open(path), Workspace.open(path)
    calls = []
    original = edits.validate_plan

    def validate_while_the_other_writes(plan, whole=None):
        calls.append(plan.tasks["id"].to_list())
        if len(calls) == 1:
            record_outcome(second, "t1", "start", on=dt.date(2027, 1, 4))
        return original(plan, whole)

    monkeypatch.setattr(edits, "validate_plan", validate_while_the_other_writes)
    with pytest.raises(PlanError) as caught:
        record_outcome(first, "t0", "start", on=dt.date(2027, 1, 4))
    assert calls == [["t0"], ["t1"], ["t0", "t1"], ["t0", "t1"]]  # the last: again with every task known
    assert caught.value.lines()[-1] == (  # t0 comes first in plan order, so it would take ana from t1
        "error: refused: task start t0: projects[proj0].tasks[t1].role: in progress, but only 0 of the 1 ml_engineer it needs "
        "are free at the start (the others are on work in progress or are open hires)"
    )
    tasks = first.load().tasks
    assert tasks["status"].to_list() == [None, "doing"]
    first.close()
    second.close()


# --- several processes at once ---------------------------------------------------------------

CHILD = """
import sys, time, datetime as dt
from pathlib import Path
from teamcast.engine.retro.outcomes import record_outcome
path, ready, tasks = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
ready.touch()
while not Path(path + ".go").exists():  # every process starts its first write at the same moment
    time.sleep(0.005)
for task in tasks:
    record_outcome(path, task, "start", on=dt.date(2027, 1, 4))
    record_outcome(path, task, "done", on=dt.date(2027, 1, 8), by="p0")
"""


def test_processes_recording_outcomes_on_a_big_workspace_at_once_all_succeed(tmp_path):
    """Six processes start and finish three tasks each on a 20,000-task workspace, all at once. With
    the whole plan validated inside the write lock (seconds each), the third in line waited past
    the 5 s busy timeout and failed with 'busy'."""
    path = tmp_path / "big.db"
    with Workspace.create(path) as ws:
        ws.import_plan(big_plan(20_000))
    groups = [[f"t{50 * (3 * k + j) + 7}" for j in range(3)] for k in range(6)]
    ready = [tmp_path / f"ready-{k}" for k in range(len(groups))]
    children = [
        subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(flag), *group], stderr=subprocess.PIPE, text=True)
        for flag, group in zip(ready, groups, strict=True)
    ]
    while not all(flag.exists() for flag in ready) and all(child.poll() is None for child in children):
        time.sleep(0.01)
    Path(f"{path}.go").touch()
    errors = [child.communicate(timeout=300)[1] for child in children]
    assert [child.returncode for child in children] == [0] * len(groups), errors
    with Workspace.open(path) as ws:
        plan = ws.load()
        assert ws.plan_version() == 1 + 2 * 18
    finished = {task for group in groups for task in group}
    done = plan.tasks.filter(pl.col("status") == "done")
    assert set(done["id"]) == finished  # no update lost
    assert sorted(plan.history["task"]) == sorted(finished)
    assert meta(path)["checked"] == meta(path)["plan_version"]
