"""The workspace store: round trips, versions and conflicts, migrations, bad files, init/import/export."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import importlib.util
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

import teamcast.engine.plan.edits as edits_module
import teamcast.engine.plan.workspace as workspace_module
from teamcast.engine.plan.model import SCHEMAS, Plan, empty_frame, frame
from teamcast.engine.plan.workspace import Workspace
from teamcast.errors import ConflictError, NotFoundError, PlanError, Problem, WorkspaceError

_spec = importlib.util.spec_from_file_location("workspace_worker", Path(__file__).with_name("workspace_worker.py"))
worker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(worker)


def without_forecasts(plan: Plan) -> Plan:
    return plan.replace(forecasts=empty_frame("forecasts"))


@pytest.fixture
def db(tmp_path) -> Path:
    """A workspace holding full_plan() (its forecasts as snapshot 1)."""
    path = tmp_path / "team.db"
    plan = worker.full_plan()
    with Workspace.create(path) as ws:
        ws.import_plan(without_forecasts(plan))
        ws.append_forecasts(plan.forecasts.drop("snapshot"))
    return path


def file_state(path: Path) -> dict[str, str | None]:
    """sha256 of the database and its WAL, after folding the WAL into the database."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    state = {}
    for file in (path, Path(f"{path}-wal")):
        state[file.name] = hashlib.sha256(file.read_bytes()).hexdigest() if file.exists() else None
    return state


# --- round trips ---------------------------------------------------------------------------


def test_a_plan_with_every_table_filled_loads_back_equal(db):
    plan = worker.full_plan()
    assert all(df.height for df in plan.tables().values())
    with Workspace.open(db) as ws:
        assert ws.load().equals(plan)


def test_rows_come_back_in_the_order_they_were_imported(tmp_path):
    plan = worker.full_plan()
    reversed_plan = plan.replace(tasks=plan.tasks.reverse(), people=plan.people.reverse())
    with Workspace.create(tmp_path / "w.db") as ws:
        ws.import_plan(without_forecasts(reversed_plan))
        loaded = ws.load()
    assert loaded.tasks["id"].to_list() == ["fraud-gnn", "fraud-gbm", "fraud-baseline"]
    assert loaded.people["id"].to_list() == ["bo", "ana"]


def test_null_and_empty_lists_stay_apart(db):
    with Workspace.open(db) as ws:
        tasks = ws.load().tasks
    assert tasks["after"].to_list()[0] == []
    assert tasks["needs"].to_list()[0] is None


def test_export_to_toml_and_import_again_gives_the_same_plan(db, tmp_path):
    from teamcast.engine.plan.planfile import parse_plan_text
    from teamcast.engine.plan.planwriter import plan_to_toml

    with Workspace.open(db) as ws:
        loaded = ws.load()
    again = parse_plan_text(plan_to_toml(loaded))
    with Workspace.create(tmp_path / "again.db") as ws:
        ws.import_plan(again)
        assert without_forecasts(ws.load()).equals(without_forecasts(loaded))


def test_a_new_import_replaces_the_plan_but_keeps_the_forecasts(db):
    small = worker.large_plan(3, "small")
    with Workspace.open(db) as ws:
        ws.import_plan(small)
        loaded = ws.load()
    assert without_forecasts(loaded).equals(small)
    assert loaded.forecasts.equals(worker.full_plan().forecasts)


# --- versions ------------------------------------------------------------------------------


def test_plan_version_counts_changes_to_the_plan_not_forecast_snapshots(tmp_path):
    with Workspace.create(tmp_path / "w.db") as ws:
        assert ws.plan_version() == 0
        ws.import_plan(without_forecasts(worker.full_plan()))
        assert ws.plan_version() == 1
        ws.update_row("pools", "gpus", {"units": 9}, ws.row_version("pools", "gpus"))
        assert ws.plan_version() == 2
        ws.append_forecasts(pl.DataFrame({"level": ["project"], "id": ["fraud"]}))
        assert ws.plan_version() == 2


def test_update_row_changes_the_row_and_returns_its_new_version(db):
    with Workspace.open(db) as ws:
        version = ws.row_version("tasks", "fraud-gnn")
        new_version = ws.update_row("tasks", "fraud-gnn", {"p_success": 0.4, "after": []}, version)
        assert new_version > version
        assert ws.row_version("tasks", "fraud-gnn") == new_version
        gnn = ws.load().tasks.filter(pl.col("id") == "fraud-gnn").row(0, named=True)
    assert (gnn["p_success"], gnn["after"], gnn["title"]) == (0.4, [], "GNN")


def test_a_stale_update_from_a_second_session_is_refused(db):
    with Workspace.open(db) as first, Workspace.open(db) as second:
        version = first.row_version("tasks", "fraud-gnn")
        assert second.row_version("tasks", "fraud-gnn") == version
        newer = first.update_row("tasks", "fraud-gnn", {"title": "GNN (first)"}, version)
        with pytest.raises(ConflictError) as caught:
            second.update_row("tasks", "fraud-gnn", {"title": "GNN (second)"}, version)
        assert caught.value.lines() == [
            f"conflict: tasks[fraud-gnn] was changed by another session (version {newer}, you had {version}); "
            "reload and try again"
        ]
        assert second.load().tasks["title"].to_list()[2] == "GNN (first)"


def test_a_row_version_is_never_reused_after_a_reimport(db):
    """A session that read a row before someone re-imported the plan must not overwrite the import."""
    with Workspace.open(db) as ws:
        seen = ws.row_version("pools", "gpus")
        ws.import_plan(without_forecasts(worker.full_plan()))
        with pytest.raises(ConflictError):
            ws.update_row("pools", "gpus", {"units": 1}, seen)


def test_update_of_an_unknown_row(db):
    with Workspace.open(db) as ws, pytest.raises(NotFoundError) as caught:
        ws.update_row("tasks", "nope", {"title": "x"}, 1)
    assert caught.value.lines() == ["not found: tasks[nope] does not exist"]


def test_update_with_a_value_of_the_wrong_type_writes_nothing(db):
    with Workspace.open(db) as ws:
        version = ws.row_version("people", "ana")
        before = ws.plan_version()
        with pytest.raises(PlanError) as caught:
            ws.update_row("people", "ana", {"capacity": "full"}, version)
        assert caught.value.lines() == ["error: people[ana].capacity: expected Float64, got 'full'"]
        assert ws.plan_version() == before


def test_update_of_an_unknown_field(db):
    with Workspace.open(db) as ws, pytest.raises(WorkspaceError, match="people has no field 'salary'"):
        ws.update_row("people", "ana", {"salary": 1}, ws.row_version("people", "ana"))


def test_an_update_the_validator_refuses_is_not_written(db, monkeypatch):
    def refuse_low_capacity(plan, whole=None):
        low = plan.people.filter(pl.col("capacity") < 0.2)["id"].to_list()
        return [Problem(f"people[{pid}].capacity", "too low to plan with") for pid in low]

    monkeypatch.setattr(edits_module, "validate_plan", refuse_low_capacity)
    with Workspace.open(db) as ws:
        version = ws.row_version("people", "ana")
        with pytest.raises(PlanError) as caught:
            ws.update_row("people", "ana", {"capacity": 0.1}, version)
        assert caught.value.lines() == ["error: people[ana].capacity: too low to plan with"]
        assert ws.row_version("people", "ana") == version
        assert ws.load().people["capacity"][0] == 1.0


def test_singleton_rows_are_addressed_by_their_table_and_start_at_version_zero(tmp_path):
    with Workspace.create(tmp_path / "w.db") as ws:
        assert ws.row_version("org", "org") == 0
        version = ws.update_row("org", "org", {"archetype": "rnd"}, 0)
        ws.update_row("org", "org", {"name": "Acme"}, version)
        assert ws.load().org.to_dicts() == [
            {
                "name": "Acme",
                "archetype": "rnd",
                "swe_vs_research": None,
                "data_ownership": None,
                "model_ownership": None,
            }
        ]


def test_only_editable_tables_take_row_edits(db):
    with Workspace.open(db) as ws, pytest.raises(WorkspaceError, match="history rows cannot be edited"):
        ws.row_version("history", "churn-features")


def test_insert_row_appends_and_refuses_a_taken_id(db):
    with Workspace.open(db) as ws:
        version = ws.insert_row("pools", {"id": "tpus", "units": 4})
        assert ws.row_version("pools", "tpus") == version
        assert ws.load().pools.to_dicts() == [{"id": "gpus", "units": 8}, {"id": "tpus", "units": 4}]
        with pytest.raises(ConflictError, match=r"pools\[tpus\] already exists"):
            ws.insert_row("pools", {"id": "tpus", "units": 2})


def test_deleting_a_project_deletes_its_tasks_and_challenges(db):
    with Workspace.open(db) as ws:
        ws.insert_row("projects", {"id": "churn", "name": "Churn"})
        ws.insert_row(
            "tasks",
            {"id": "churn-a", "project": "churn", "est_form": "single", "est_likely": 2.0, "role": "ml_engineer"},
        )
        ws.insert_row(
            "challenges", {"id": "churn-c", "project": "churn", "strategy": "sequential", "approaches": ["churn-a"]}
        )
        ws.delete_row("projects", "churn", ws.row_version("projects", "churn"))
        plan = ws.load()
    assert without_forecasts(plan).equals(without_forecasts(worker.full_plan()))


def test_a_delete_that_breaks_a_reference_is_refused(db):
    with Workspace.open(db) as ws:
        version = ws.row_version("projects", "fraud")
        with pytest.raises(PlanError) as caught:
            ws.delete_row("projects", "fraud", version)
        assert "error: experiments[#1].task: unknown task 'fraud-gnn'" in caught.value.lines()
        assert ws.load().tasks.height == 3


def test_a_stale_delete_is_refused(db):
    with Workspace.open(db) as ws:
        version = ws.row_version("teams", "core-ml")
        ws.update_row("teams", "core-ml", {"name": "Core"}, version)
        with pytest.raises(ConflictError):
            ws.delete_row("teams", "core-ml", version)
        assert ws.load().teams.height == 1


def test_append_forecasts_numbers_snapshots_and_fills_defaults(db):
    with Workspace.open(db) as ws:
        rows = pl.DataFrame({"level": ["project", "task"], "id": ["fraud", "fraud-gnn"], "p50": [40.0, 12.0]})
        assert ws.append_forecasts(rows) == 2
        forecasts = ws.load().forecasts.filter(pl.col("snapshot") == 2)
        assert forecasts["id"].to_list() == ["fraud", "fraud-gnn"]
        assert forecasts["plan_version"].to_list() == [ws.plan_version()] * 2
        assert forecasts["created"].null_count() == 0
        with pytest.raises(WorkspaceError, match="forecasts have no column"):
            ws.append_forecasts(pl.DataFrame({"colour": ["red"]}))


# --- bad input -----------------------------------------------------------------------------


def test_an_invalid_import_leaves_the_file_byte_for_byte_as_it_was(db):
    plan = worker.full_plan()
    duplicated = plan.replace(people=pl.concat([plan.people, plan.people.head(1)]), forecasts=empty_frame("forecasts"))
    before = file_state(db)
    with Workspace.open(db) as ws, pytest.raises(PlanError) as caught:
        ws.import_plan(duplicated, source="plan.toml")
    assert caught.value.lines() == ["error: plan.toml: people[ana]: id used more than once"]
    assert file_state(db) == before


def test_an_import_with_a_task_of_an_unknown_project_is_refused(tmp_path):
    plan = worker.large_plan(2, "x")
    orphan = plan.replace(tasks=plan.tasks.with_columns(pl.lit("ghost").alias("project")))
    with Workspace.create(tmp_path / "w.db") as ws, pytest.raises(PlanError) as caught:
        ws.import_plan(orphan)
    assert caught.value.lines() == [
        "error: tasks[t0]: project 'ghost' does not exist",
        "error: tasks[t1]: project 'ghost' does not exist",
    ]


def test_create_refuses_an_existing_file(db):
    with pytest.raises(WorkspaceError) as caught:
        Workspace.create(db)
    assert caught.value.lines() == [f"workspace: {db} already exists; open it, or choose another name"]


def test_open_a_missing_path(tmp_path):
    missing = tmp_path / "nope.db"
    with pytest.raises(WorkspaceError) as caught:
        Workspace.open(missing)
    assert caught.value.lines() == [f"workspace: {missing} does not exist; create it with `teamcast init {missing}`"]
    assert not missing.exists()


def test_open_a_garbage_file(tmp_path):
    garbage = tmp_path / "notes.db"
    garbage.write_bytes(os.urandom(4096))
    with pytest.raises(WorkspaceError) as caught:
        Workspace.open(garbage)
    assert caught.value.lines() == [f"workspace: {garbage} is not a teamcast workspace (not an SQLite database)"]


def test_open_a_text_file(tmp_path):
    text = tmp_path / "plan.toml"
    text.write_text('[plan]\nname = "x"\n')
    with pytest.raises(WorkspaceError, match="not an SQLite database"):
        Workspace.open(text)


def test_open_an_sqlite_file_of_another_program(tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE songs (title TEXT)")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    with pytest.raises(WorkspaceError) as caught:
        Workspace.open(other)
    assert caught.value.lines() == [f"workspace: {other} is an SQLite database but not a teamcast workspace"]
    assert other.read_bytes() == before


def test_open_a_directory(tmp_path):
    with pytest.raises(WorkspaceError, match="is not a file"):
        Workspace.open(tmp_path)


def test_a_file_from_a_newer_teamcast_is_refused(db):
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {workspace_module.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(WorkspaceError) as caught:
        Workspace.open(db)
    newer = workspace_module.SCHEMA_VERSION + 1
    assert caught.value.lines() == [
        f"workspace: {db} was written by a newer teamcast (schema {newer}; this one reads up to "
        f"{workspace_module.SCHEMA_VERSION}); upgrade teamcast to open it"
    ]


# --- schema and migrations -----------------------------------------------------------------


def test_the_stored_columns_match_the_data_model(db):
    """A change to engine/plan/model.py needs a migration; this fails until there is one."""
    conn = sqlite3.connect(db)
    for table, schema in SCHEMAS.items():
        stored = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        bookkeeping = ["pos", "row_version"] if table in workspace_module.EDITABLE_TABLES else ["pos"]
        assert stored == bookkeeping + list(schema), table
    conn.close()


def test_the_connection_uses_wal_a_busy_timeout_and_foreign_keys(db):
    with Workspace.open(db) as ws:
        pragma = {
            name: ws._conn.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "busy_timeout", "foreign_keys")
        }
    assert pragma == {"journal_mode": "wal", "busy_timeout": 5000, "foreign_keys": 1}


def test_opening_an_older_file_applies_the_new_migrations(db, monkeypatch):
    extra = ("ALTER TABLE teams ADD COLUMN budget REAL", "UPDATE teams SET budget = 1.5")
    version = len(workspace_module.MIGRATIONS) + 1
    monkeypatch.setattr(workspace_module, "MIGRATIONS", [*workspace_module.MIGRATIONS, extra])
    monkeypatch.setattr(workspace_module, "SCHEMA_VERSION", version)
    Workspace.open(db).close()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == version
    assert conn.execute("SELECT id, budget FROM teams").fetchall() == [("core-ml", 1.5)]
    conn.close()


def test_a_version_1_workspace_gains_the_elapsed_days_column(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    with monkeypatch.context() as old:
        old.setattr(workspace_module, "MIGRATIONS", workspace_module.MIGRATIONS[:1])
        old.setattr(workspace_module, "SCHEMA_VERSION", 1)
        conn = sqlite3.connect(path)
        for statement in workspace_module.MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        conn.commit()
        conn.close()
    with Workspace.open(path) as ws:
        assert ws.load().history.columns[-1] == "elapsed_days"
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(workspace_module.MIGRATIONS)
    conn.close()


def test_a_failing_migration_leaves_the_file_as_it_was(db, monkeypatch):
    broken = ("ALTER TABLE teams ADD COLUMN budget REAL", "INSERT INTO no_such_table VALUES (1)")
    monkeypatch.setattr(workspace_module, "MIGRATIONS", [*workspace_module.MIGRATIONS, broken])
    monkeypatch.setattr(workspace_module, "SCHEMA_VERSION", len(workspace_module.MIGRATIONS) + 1)
    before = file_state(db)
    with pytest.raises(WorkspaceError, match="no such table: no_such_table"):
        Workspace.open(db)
    assert file_state(db) == before


# --- the commands --------------------------------------------------------------------------


def cli():
    """teamcast's click group with this module's commands, whether or not the lead registered them yet."""
    from teamcast.engine.commands import workspace as workspace_commands
    from teamcast.engine.commands.cli import main

    for command in workspace_commands.commands:
        if command.name not in main.commands:
            main.add_command(command)
    return main


def test_init_creates_an_empty_workspace(tmp_path):
    path = tmp_path / "team.db"
    result = CliRunner().invoke(cli(), ["init", str(path)])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", f"created workspace {path}\n")
    with Workspace.open(path) as ws:
        assert ws.load().equals(Plan())


def test_init_refuses_an_existing_path(db):
    result = CliRunner().invoke(cli(), ["init", str(db)])
    assert result.exit_code == 1
    assert result.stderr == f"workspace: {db} already exists; open it, or choose another name\n"


def test_import_refuses_an_unsupported_file_type(tmp_path):
    tracker = tmp_path / "tickets.xlsx"
    tracker.write_text("x")
    result = CliRunner().invoke(cli(), ["import", str(tracker), "--into", str(tmp_path / "w.db")])
    assert result.exit_code == 2
    assert result.stderr == f"usage: unsupported file type '.xlsx' for {tracker}; teamcast imports .sm, .toml\n"
    assert not (tmp_path / "w.db").exists()


def test_import_uses_a_registered_importer(tmp_path, monkeypatch):
    from teamcast.engine.commands import workspace as workspace_commands

    monkeypatch.setattr(workspace_commands, "IMPORTERS", dict(workspace_commands.IMPORTERS))
    workspace_commands.register_importer(".XLSX", lambda path: worker.large_plan(2, path.stem))
    source = tmp_path / "jira-export.xlsx"
    source.write_text("key,summary")
    target = tmp_path / "w.db"
    result = CliRunner().invoke(cli(), ["import", str(source), "--into", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"created workspace {target}",
        f"imported 'jira-export' into {target} (teams 0, people 1, hires 0, pools 0, projects 1, tasks 2, "
        "challenges 0, history 0; plan version 1)",
    ]
    with Workspace.open(target) as ws:
        assert ws.load().plan["name"].to_list() == ["jira-export"]


def test_import_of_a_psplib_instance(tmp_path):
    from teamcast.engine.plan.psplib import read_sm

    source = Path(__file__).resolve().parents[3] / "shared" / "data" / "psplib" / "j30" / "j3010_1.sm"
    if not source.exists():
        pytest.skip("the PSPLIB instances are not on this machine")
    target = tmp_path / "w.db"
    result = CliRunner().invoke(cli(), ["import", str(source), "--into", str(target)])
    assert result.exit_code == 0, result.output
    with Workspace.open(target) as ws:
        assert without_forecasts(ws.load()).equals(read_sm(source))


def test_import_of_an_invalid_plan_changes_nothing(db, tmp_path, monkeypatch):
    from teamcast.engine.commands import workspace as workspace_commands

    plan = worker.full_plan()
    duplicated = plan.replace(teams=pl.concat([plan.teams, plan.teams]))
    monkeypatch.setattr(workspace_commands, "IMPORTERS", {".toml": lambda path: duplicated})
    source = tmp_path / "plan.toml"
    source.write_text("")
    before = file_state(db)
    result = CliRunner().invoke(cli(), ["import", str(source), "--into", str(db)])
    assert (result.exit_code, result.stderr) == (1, f"error: {source}: teams[core-ml]: id used more than once\n")
    assert file_state(db) == before


def test_import_and_export_round_trip_a_plan_file(tmp_path):
    from teamcast.engine.plan.io import write_plan
    from teamcast.engine.plan.planfile import read_plan

    source = tmp_path / "plan.toml"
    write_plan(without_forecasts(worker.full_plan()), source)
    target = tmp_path / "w.db"
    runner = CliRunner()
    assert runner.invoke(cli(), ["import", str(source), "--into", str(target)]).exit_code == 0
    exported = tmp_path / "out.toml"
    result = runner.invoke(cli(), ["export", str(target), "--to", str(exported)])
    assert result.exit_code == 0, result.output
    assert read_plan(exported).equals(read_plan(source))
    to_stdout = runner.invoke(cli(), ["export", str(target), "--to", "-"])
    assert to_stdout.stdout == exported.read_text()


def test_export_of_a_missing_workspace(tmp_path):
    missing = tmp_path / "nope.db"
    result = CliRunner().invoke(cli(), ["export", str(missing), "--to", "-"])
    assert result.exit_code == 2  # a file argument that does not exist (docs/cli.md)
    assert result.stderr == f"workspace: {missing} does not exist; create it with `teamcast init {missing}`\n"


def test_the_installed_teamcast_command_creates_and_refuses(tmp_path):
    teamcast = Path(sys.executable).with_name("teamcast")
    path = tmp_path / "team.db"
    first = subprocess.run([teamcast, "init", str(path)], capture_output=True, text=True, timeout=60)
    second = subprocess.run([teamcast, "init", str(path)], capture_output=True, text=True, timeout=60)
    assert (first.returncode, first.stderr) == (0, f"created workspace {path}\n")
    assert (second.returncode, second.stdout) == (1, "")
    assert second.stderr == f"workspace: {path} already exists; open it, or choose another name\n"


def test_dates_survive_as_dates(db):
    with Workspace.open(db) as ws:
        plan = ws.load()
    assert plan.start == dt.date(2027, 1, 4)
    assert plan.holidays == [dt.date(2027, 5, 31)]
    assert frame("plan", plan.plan.to_dicts()).equals(plan.plan)


def test_replacing_the_answers_is_one_versioned_change(tmp_path):
    from teamcast.errors import ConflictError

    path = tmp_path / "w.db"
    with Workspace.create(path) as ws:
        ws.import_plan(worker.full_plan())
        version = ws.plan_version()
        new = ws.replace_answers([{"question": "ml_done_by", "answer": "product_teams"}], version)
        assert new == version + 1
        assert ws.load().org_answers.to_dicts() == [{"question": "ml_done_by", "answer": "product_teams"}]
        with pytest.raises(ConflictError, match=r"org.answers: the workspace was changed by another session \(version"):
            ws.replace_answers([], version)
        assert ws.load().org_answers.height == 1
