"""Recording outcomes (`teamcast task start|done|fail`) and importing tracker CSV exports into the history."""

import datetime as dt
import hashlib
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from teamcast.engine.commands.cli import main
from teamcast.engine.commands.retro import commands
from teamcast.engine.plan.demo import demo_plan
from teamcast.engine.plan.workspace import Workspace
from teamcast.engine.retro.outcomes import OutcomeError, effort_quantiles, record_outcome
from teamcast.engine.retro.tracker import import_tracker_csv, parse_mapping
from teamcast.errors import NotFoundError, PlanError

for command in commands:  # until engine/commands/cli.py lists the module
    if command.name not in main.commands:
        main.add_command(command)


@pytest.fixture
def ws(tmp_path):
    path = tmp_path / "team.db"
    with Workspace.create(path) as store:
        store.import_plan(demo_plan())
    return path


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_done_moves_the_task_into_history_with_its_forecast(ws):
    before = Workspace.open(ws).load()
    done = record_outcome(ws, "fraud-eval-harness", "done", on=dt.date(2026, 12, 18))
    # Started Monday 2026-12-07, done at the end of Friday 2026-12-18: ten working days.
    assert done.actual_days == 10.0
    with Workspace.open(ws) as store:
        plan = store.load()
    task = plan.tasks.filter(plan.tasks["id"] == "fraud-eval-harness").row(0, named=True)
    assert (task["status"], task["finished"], task["actual_days"], task["done_by"]) == (
        "done",
        dt.date(2026, 12, 18),
        10.0,
        "jonas",
    )
    assert plan.history.height == before.history.height + 1
    row = plan.history.row(-1, named=True)
    assert row["task"] == "fraud-eval-harness" and row["person"] == "jonas" and row["team"] == "risk"
    assert row["succeeded"] is True and row["p_success"] == 1.0
    assert (row["est_low"], row["est_likely"], row["est_high"]) == (4.0, 6.0, 12.0)
    # forecast_p50/p80 are effort quantiles of the estimate (Beta-PERT on [4, 6, 12]).
    assert (row["forecast_p50"], row["forecast_p80"]) == pytest.approx(effort_quantiles(plan, task), rel=1e-9)
    assert 6.0 < row["forecast_p50"] < row["forecast_p80"] < 12.0


def test_fail_records_failure_and_start_sets_doing(ws):
    record_outcome(ws, "fraud-graph-build", "start", on=dt.date(2026, 12, 28), by="tomas")
    record_outcome(ws, "fraud-graph-build", "fail", on=dt.date(2026, 12, 30), actual=2.5)
    with Workspace.open(ws) as store:
        plan = store.load()
    task = plan.tasks.filter(plan.tasks["id"] == "fraud-graph-build").row(0, named=True)
    assert (task["status"], task["started"], task["done_by"]) == ("failed", dt.date(2026, 12, 28), "tomas")
    row = plan.history.row(-1, named=True)
    assert (row["task"], row["succeeded"], row["actual_days"], row["person"]) == (
        "fraud-graph-build",
        False,
        2.5,
        "tomas",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["task", "done", "nope"], "not found: task 'nope' does not exist in"),
        (
            ["task", "done", "fraud-eval-harness", "--on", "2026-13-01"],
            "outcome: --on '2026-13-01' is not a date; write it as YYYY-MM-DD",
        ),
        (["task", "done", "fraud-spec"], "outcome: task 'fraud-spec' is already done"),
        (
            ["task", "done", "fraud-graph-build"],
            "outcome: task 'fraud-graph-build' was never started: give --actual DAYS (working days of effort)",
        ),
        (
            ["task", "start", "fraud-eval-harness"],
            "outcome: task 'fraud-eval-harness' is already doing; only a todo task can start",
        ),
        (["task", "done", "fraud-eval-harness", "--by", "ghost"], "not found: person 'ghost' does not exist in"),
    ],
)
def test_bad_input_is_one_line_exit_1_and_leaves_the_workspace_unchanged(ws, args, message):
    digest = sha(ws)
    result = invoke(*args, "--in", ws)
    assert result.exit_code == 1
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert sha(ws) == digest


def test_task_done_cli_prints_what_it_recorded(ws):
    result = invoke("task", "done", "fraud-eval-harness", "--in", ws, "--on", "2026-12-18", "--by", "jonas")
    assert result.exit_code == 0, result.output
    assert result.stderr == "fraud-eval-harness: done on 2026-12-18 after 10 days of effort\n"


def test_task_cli_in_a_real_subprocess(ws, tmp_path):
    script = tmp_path / "teamcast_cli.py"
    script.write_text(
        textwrap.dedent("""
        import sys
        from teamcast.engine.commands.cli import main
        from teamcast.engine.commands.retro import commands
        for command in commands:
            if command.name not in main.commands:
                main.add_command(command)
        sys.exit(main())
    """)
    )
    run = subprocess.run(
        [sys.executable, str(script), "task", "fail", "fraud-gbm", "--in", str(ws), "--on", "2026-12-22"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == "fraud-gbm: failed on 2026-12-22 after 12 days of effort\n"
    bad = subprocess.run(
        [sys.executable, str(script), "task", "done", "nope", "--in", str(ws)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert bad.returncode == 1 and bad.stdout == "" and bad.stderr.count("\n") == 1


# --- tracker CSV import --------------------------------------------------------------------

JIRA = """Issue key,Summary,Issue Type,Assignee,Project key,Created,Resolved,Resolution,Original Estimate,Time Spent
FRD-1,Baseline,Task,Ana Ruiz,FRD,2026-10-01 09:00,2026-10-09 17:00,Done,144000,172800
FRD-2,GNN spike,Research,wei,FRD,05/Oct/26 9:00 AM,16/Oct/26 4:30 PM,Won't Do,288000,230400
FRD-3,Open work,Task,wei,FRD,2026-10-10,,,28800,
"""


def test_jira_export_lands_in_the_history(ws, tmp_path):
    export = tmp_path / "export.csv"
    export.write_text(JIRA)
    # Ana Ruiz is nobody in the plan: the row is refused by its line, and nothing is stored.
    with Workspace.open(ws) as store:
        before = store.load().history.height
    with pytest.raises(PlanError) as refused:
        import_tracker_csv(ws, export, "jira", {})
    text = "\n".join(refused.value.lines())
    assert "export.csv:2" in text and "'Ana Ruiz' is not a person of the plan" in text
    with Workspace.open(ws) as store:
        assert store.load().history.height == before
    export.write_text(JIRA.replace("Ana Ruiz", ""))
    summary = import_tracker_csv(ws, export, "jira", {})
    assert (summary.imported, summary.open_rows, summary.duplicates) == (2, 1, 0)
    with Workspace.open(ws) as store:
        history = store.load().history
    first, second = history.tail(2).to_dicts()
    assert (first["task"], first["person"], first["succeeded"], first["finished"]) == (
        "frd-1",
        None,
        True,
        dt.date(2026, 10, 9),
    )
    # A single-number estimate stays one number (no zero-width range); seconds at 8 h a day.
    assert (first["est_low"], first["est_likely"], first["est_high"], first["actual_days"]) == (None, 5.0, None, 6.0)
    assert CliRunner().invoke(main, ["validate", str(ws)]).exit_code == 0
    assert (second["task"], second["person"], second["team"], second["succeeded"]) == ("frd-2", "wei", "risk", False)
    assert second["started"] == dt.date(2026, 10, 5) and second["finished"] == dt.date(2026, 10, 16)
    # Importing the same file again adds nothing.
    again = import_tracker_csv(ws, export, "jira", {})
    assert (again.imported, again.duplicates) == (0, 2)


def test_github_export_with_a_mapping_override(ws, tmp_path):
    export = tmp_path / "issues.csv"
    export.write_text(
        "Number,Repository,Assignees,Created At,Done On,State Reason,Estimate,Actual\n"
        "12,acme/fraud,sofia,2026-11-02T10:00:00Z,2026-11-10T12:00:00Z,completed,3,4.5\n"
    )
    summary = import_tracker_csv(ws, export, "github", parse_mapping(["finished=Done On"]))
    assert summary.imported == 1
    with Workspace.open(ws) as store:
        row = store.load().history.row(-1, named=True)
    assert (row["task"], row["project"], row["person"], row["actual_days"], row["est_likely"]) == (
        "gh-12",
        "acme/fraud",
        "sofia",
        4.5,
        3.0,
    )


def test_csv_with_missing_columns_is_refused_untouched(ws, tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("Issue key,Assignee\nFRD-1,wei\n")
    digest = sha(ws)
    with pytest.raises(OutcomeError) as info:
        import_tracker_csv(ws, export, "jira", {})
    assert info.value.lines() == [
        f"outcome: {export}: missing column(s) 'Resolved' (finished), 'Resolution' (outcome); "
        "map them with --map FIELD=COLUMN"
    ]
    assert sha(ws) == digest


def test_csv_with_a_bad_row_names_the_line(ws, tmp_path):
    export = tmp_path / "export.csv"
    export.write_text(JIRA.replace("2026-10-09 17:00", "yesterday"))
    digest = sha(ws)
    with pytest.raises(PlanError) as info:
        import_tracker_csv(ws, export, "jira", {})
    assert info.value.lines() == [f"error: {export}:2: Resolved (finished): 'yesterday' is not a date"]
    assert sha(ws) == digest


def test_parse_mapping_rejects_unknown_fields():
    assert parse_mapping(["finished = Closed"]) == {"finished": "Closed"}
    with pytest.raises(Exception, match="unknown field 'when'"):
        parse_mapping(["when=Closed"])
    with pytest.raises(Exception, match="write FIELD=COLUMN"):
        parse_mapping(["finished"])


def test_unknown_task_raises_not_found(ws):
    with pytest.raises(NotFoundError):
        record_outcome(ws, "nope", "done", actual=1.0)


# --- effort is effort (issue 12) -------------------------------------------------------------


def test_done_by_a_part_time_person_records_effort_and_keeps_elapsed_apart(ws):
    # maya works 0.6 of her time on planned work: ten working days of her time are six days of effort.
    record_outcome(ws, "fraud-graph-build", "start", on=dt.date(2026, 12, 7), by="maya")
    done = record_outcome(ws, "fraud-graph-build", "done", on=dt.date(2026, 12, 18))
    assert done.actual_days == pytest.approx(6.0)
    with Workspace.open(ws) as store:
        row = store.load().history.row(-1, named=True)
    assert (row["person"], row["actual_days"], row["elapsed_days"]) == ("maya", pytest.approx(6.0), 10.0)
    # --actual is taken as the effort, as given.
    result = invoke("task", "done", "fraud-eval-harness", "--in", ws, "--on", "2026-12-18", "--actual", "3")
    assert result.exit_code == 0, result.output
    with Workspace.open(ws) as store:
        row = store.load().history.row(-1, named=True)
    assert (row["actual_days"], row["elapsed_days"]) == (3.0, 10.0)


def test_a_single_number_estimate_round_trips_into_the_history(tmp_path):
    import polars as pl

    plan = demo_plan()
    single = pl.col("id") == "fraud-graph-build"
    tasks = plan.tasks.with_columns(
        est_form=pl.when(single).then(pl.lit("single")).otherwise(pl.col("est_form")),
        est_low=pl.when(single).then(None).otherwise(pl.col("est_low")),
        est_likely=pl.when(single).then(4.0).otherwise(pl.col("est_likely")),
        est_high=pl.when(single).then(None).otherwise(pl.col("est_high")),
    )
    path = tmp_path / "single.db"
    with Workspace.create(path) as store:
        store.import_plan(plan.replace(tasks=tasks))
    result = invoke("task", "done", "fraud-graph-build", "--in", path, "--on", "2026-12-18", "--actual", "4")
    assert result.exit_code == 0, result.output
    with Workspace.open(path) as store:
        row = store.load().history.row(-1, named=True)
    assert (row["est_low"], row["est_likely"], row["est_high"]) == (None, 4.0, None)
    assert invoke("validate", path).exit_code == 0
    # The workspace written as a plan file and read back keeps the history row as it was.
    out = tmp_path / "back.toml"
    assert invoke("export", path, "--to", out).exit_code == 0
    assert "estimate = 4" in out.read_text() and "elapsed_days" not in out.read_text()
