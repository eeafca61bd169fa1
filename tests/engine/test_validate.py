"""Semantic validation: every case with its exact message, all problems at once, and `teamcast validate`."""

import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from teamcast.engine.commands.cli import main
from teamcast.engine.commands.validate import validate
from teamcast.engine.plan.planfile import check_plan_text, parse_plan_text
from teamcast.engine.plan.validate import validate_plan

PLANS = Path(__file__).parent / "plans"

BASE = """\
[plan]
name = "Acme"
start = 2027-01-04

[[teams]]
id = "core"

[[people]]
id = "ana"
role = "ml_engineer"
team = "core"

[[people]]
id = "bo"
role = "ml_engineer"

[[hires]]
id = "req-1"
role = "ml_researcher"
time_to_hire = [10, 20, 40]

[pools]
gpus = 8

[[projects]]
id = "fraud"
"""


def task(task_id: str, body: str = 'estimate = 3\nrole = "ml_engineer"') -> str:
    return f'\n[[projects.tasks]]\nid = "{task_id}"\n{body}\n'


def found(extra: str, severity: str = "error") -> list[str]:
    plan, problems = check_plan_text(BASE + extra)
    return [str(p) for p in problems if p.severity == severity]


def test_the_base_plan_and_the_fixture_are_valid():
    assert found(task("a")) == []
    assert found(task("a"), "warning") == []
    assert found("", "warning") == []


# --- required keys and ids -------------------------------------------------------------------


def test_missing_required_keys():
    text = BASE.replace('name = "Acme"\n', "").replace("start = 2027-01-04\n", "").replace('id = "fraud"', 'name = "F"')
    text += '\n[[projects.tasks]]\ntitle = "x"\n\n[[projects.challenges]]\nid = "c"\napproaches = []\n\n[[people]]\nname = "Cy"\n'
    assert [str(p) for p in check_plan_text(text)[1] if p.severity == "error"] == [
        "plan.name: required key missing",
        "plan.start: required key missing",
        "people[#3].id: required key missing",
        "people[#3].role: required key missing",
        "projects[#1].id: required key missing",
        "tasks[#1].id: required key missing",
        "tasks[#1].estimate: required key missing",
        "challenges[c].strategy: required key missing",
        "challenges[c].approaches: a challenge needs at least one approach",
    ]


def test_a_plan_without_its_plan_table():
    assert [str(p) for p in check_plan_text(BASE.replace("[plan]", "[org]"))[1]][-1] == (
        "plan: missing table [plan]; a plan needs at least name and start"
    )


def test_duplicate_ids():
    extra = (
        task("a")
        + task("a")
        + task("b")
        + '\n[[projects.challenges]]\nid = "a"\nstrategy = "parallel"\napproaches = ["b"]\n'
    )
    extra += '\n[[people]]\nid = "ana"\nrole = "ml_engineer"\n\n[[teams]]\nid = "core"\n'
    assert found(extra) == [
        "teams[core].id: id 'core' is already used by entry 1 of [[teams]]",
        "people[ana].id: id 'ana' is already used by entry 1 of [[people]]",
        "projects[fraud].tasks[a].id: id 'a' is already used by a task of project 'fraud'",
        "projects[fraud].challenges[a].id: id 'a' is already used by a task of project 'fraud'",
    ]


def test_people_hires_pools_and_roles_share_one_namespace():
    extra = '\n[[hires]]\nid = "ana"\nrole = "ml_engineer"\n\n[[people]]\nid = "data_engineer"\nrole = "ml_engineer"\n'
    text = (BASE + extra).replace("gpus = 8", "gpus = 8\nbo = 1\nml_researcher = 2")
    assert [str(p) for p in check_plan_text(text)[1]] == [
        "people[data_engineer].id: id 'data_engineer' is also a role; people, hires, pools and roles share one namespace",
        "hires[ana].id: id 'ana' is also a person; people, hires, pools and roles share one namespace",
        "pools.bo: 'bo' is also a person; people, hires, pools and roles share one namespace",
        "pools.ml_researcher: 'ml_researcher' is also a role; people, hires, pools and roles share one namespace",
    ]


# --- references ------------------------------------------------------------------------------


def test_dangling_references():
    extra = task("a", 'estimate = 3\nassignee = "anna"\nafter = ["b", "fraud-x"]') + task("b")
    extra += task("c", 'estimate = 3\nrole = "ml_researcher"') + task("d", 'estimate = 3\nrole = "data_scientist"')
    extra += task("e", "estimate = 3\nneeds = { gpu = 1 }")
    extra += '\n[[history]]\ntask = "old"\nactual_days = 3\nperson = "zed"\nteam = "cor"\n'
    extra += '\n[[candidates]]\nid = "lee"\nhire = "req-2"\n'
    text = (
        (BASE + extra)
        .replace('team = "core"', 'team = "kore"')
        .replace('[[people]]\nid = "bo"', '[[people]]\nid = "bo"\nreports_to = "ann"')
    )
    assert [str(p) for p in check_plan_text(text)[1]] == [
        "people[ana].team: unknown team 'kore'; did you mean 'core'?",
        "history[#1].team: unknown team 'cor'; did you mean 'core'?",
        "people[bo].reports_to: unknown person 'ann'; did you mean 'ana'?",
        "history[#1].person: unknown person or open hire 'zed'",
        "candidates[lee].hire: unknown open hire 'req-2'; did you mean 'req-1'?",
        "projects[fraud].tasks[a].after: unknown task or challenge 'fraud-x'",
        "projects[fraud].tasks[a].assignee: unknown person or open hire 'anna'; did you mean 'ana'?",
        "projects[fraud].tasks[d].role: no person or open hire has role 'data_scientist'",
        "projects[fraud].tasks[e].needs.gpu: 'gpu' is neither a role of a person or open hire nor a pool; did you mean 'gpus'?",
    ]


def test_a_role_with_only_open_hires_is_a_pool():
    assert found(task("c", 'estimate = 3\nrole = "ml_researcher"')) == []


def test_needs_that_name_a_person():
    assert found(task("a", "estimate = 3\nneeds = { ana = 1 }")) == [
        "projects[fraud].tasks[a].needs.ana: 'ana' is a person; name one person with assignee = 'ana'"
    ]


# --- cycles ---------------------------------------------------------------------------------


def test_a_dependency_cycle_is_named():
    extra = task("fraud-a", 'estimate = 3\nafter = ["fraud-b"]') + task("fraud-b", 'estimate = 3\nafter = ["fraud-a"]')
    extra += task("solo", 'estimate = 3\nafter = ["solo"]')
    assert found(extra) == [
        "projects[fraud].tasks[fraud-a].after: dependency cycle: fraud-a -> fraud-b -> fraud-a (each waits for the next)",
        "projects[fraud].tasks[solo].after: dependency cycle: solo -> solo (each waits for the next)",
    ]


def test_challenges_are_nodes_of_the_dependency_graph():
    extra = task("x", 'estimate = 3\nafter = ["ch"]') + task("y")
    extra += '\n[[projects.challenges]]\nid = "ch"\nstrategy = "parallel"\napproaches = ["x", "y"]\n'
    assert found(extra) == [
        "projects[fraud].tasks[x].after: dependency cycle: x -> ch -> x (each waits for the next)",
    ]


def test_a_sequential_approach_waits_for_the_one_before():
    extra = task("x", 'estimate = 3\nafter = ["y"]') + task("y")
    extra += '\n[[projects.challenges]]\nid = "ch"\nstrategy = "sequential"\napproaches = ["x", "y"]\n'
    assert found(extra) == ["projects[fraud].tasks[x].after: dependency cycle: x -> y -> x (each waits for the next)"]
    assert found(extra.replace("sequential", "parallel")) == []


def test_a_long_chain_is_no_problem():
    extra = task("t0") + "".join(
        task(f"t{i}", f'estimate = 1\nrole = "ml_engineer"\nafter = ["t{i - 1}"]') for i in range(1, 3000)
    )
    assert found(extra) == []


# --- numbers and estimates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("estimate", "message"),
    [
        ("[12, 8, 20]", "low 12 > likely 8"),
        ("[1, 9, 8]", "likely 9 > high 8"),
        ("[-1, 2, 3]", "low must not be negative, got -1"),
        ("[5, 5, 5]", "zero-width range [5, 5, 5]; write a single number: 5"),
        ("[1, nan, 3]", "likely is not a finite number: nan"),
        ("inf", "not a finite number: inf"),  # one number written: no point to name
        ("-2.5", "likely must not be negative, got -2.5"),
    ],
)
def test_bad_estimates(estimate, message):
    assert found(task("fraud-gnn", f'estimate = {estimate}\nrole = "ml_engineer"')) == [
        f"projects[fraud].tasks[fraud-gnn].estimate: {message}"
    ]


def test_zero_effort_is_a_valid_single_estimate():
    assert found(task("milestone", "estimate = 0\nneeds = {}")) == []


def test_history_and_time_to_hire_ranges():
    extra = '\n[[history]]\ntask = "old"\nactual_days = 3\nestimate = [4, 2, 9]\n'
    text = (BASE + extra).replace("time_to_hire = [10, 20, 40]", "time_to_hire = [30, 20, 40]")
    assert [str(p) for p in check_plan_text(text)[1]] == [
        "history[#1].estimate: low 4 > likely 2",
        "hires[req-1].time_to_hire: low 30 > likely 20",
    ]
    assert found("", "error") == []
    assert [str(p) for p in check_plan_text(BASE.replace("[10, 20, 40]", "-3"))[1]] == [
        "hires[req-1].time_to_hire: likely must not be negative, got -3"
    ]


@pytest.mark.parametrize(
    ("where", "old", "new", "message"),
    [
        ("people[ana].capacity", 'team = "core"', 'team = "core"\ncapacity = 0', "must be in (0, 1], got 0"),
        ("people[ana].capacity", 'team = "core"', 'team = "core"\ncapacity = 1.5', "must be in (0, 1], got 1.5"),
        ("people[ana].capacity", 'team = "core"', 'team = "core"\ncapacity = nan', "not a finite number: nan"),
        ("people[ana].skills.swe", 'team = "core"', 'team = "core"\nskills = { swe = 6 }', "must be in [0, 5], got 6"),
        (
            "hires[req-1].ramp_productivity",
            "[10, 20, 40]",
            "[10, 20, 40]\nramp_productivity = 2",
            "must be in (0, 1], got 2",
        ),
        ("hires[req-1].ramp_days", "[10, 20, 40]", "[10, 20, 40]\nramp_days = -5", "must be at least 0, got -5"),
        ("pools.gpus", "gpus = 8", "gpus = 0", "must be at least 1, got 0"),
        ("projects[fraud].value", 'id = "fraud"', 'id = "fraud"\nvalue = 0', "must be positive, got 0"),
    ],
)
def test_numbers_out_of_range(where, old, new, message):
    assert [str(p) for p in check_plan_text(BASE.replace(old, new))[1]] == [f"{where}: {message}"]


@pytest.mark.parametrize(("p", "message"), [("0", "got 0"), ("1.2", "got 1.2")])
def test_p_success_must_be_a_probability_above_zero(p, message):
    assert found(task("t", f'estimate = 3\nrole = "ml_engineer"\np_success = {p}')) == [
        f"projects[fraud].tasks[t].p_success: must be in (0, 1], {message}"
    ]


def test_needs_beyond_the_roster_and_the_pools():
    extra = task("big", "estimate = 3\nneeds = { ml_engineer = 3, gpus = 10 }") + task(
        "zero", "estimate = 3\nneeds = { gpus = 0 }"
    )
    extra += task("pair", 'estimate = 3\nassignee = "ana"\nneeds = { ml_engineer = 2 }')
    assert found(extra) == [
        "projects[fraud].tasks[zero].needs.gpus: must be at least 1, got 0",
        "projects[fraud].tasks[big].needs.ml_engineer: needs 3 ml_engineer, but the roster has only 2 (people and open hires)",
        "projects[fraud].tasks[big].needs.gpus: needs 10 gpus, but the pool has 8",
        "projects[fraud].tasks[pair].needs.ml_engineer: needs 2 ml_engineer, but the roster has only 1 besides the assignee (people and open hires)",
    ]


# --- challenges ------------------------------------------------------------------------------


def test_challenge_approaches():
    extra = task("a") + task("b") + task("c")
    extra += '\n[[projects.challenges]]\nid = "c1"\nstrategy = "parallel"\napproaches = ["a", "b", "b"]\n'
    extra += '\n[[projects.challenges]]\nid = "c2"\nstrategy = "paralel"\napproaches = ["a", "c1", "other", "nope"]\n'
    extra += '\n[[projects]]\nid = "churn"\n' + task("other")
    extra += '\n[[projects.challenges]]\nid = "c3"\nstrategy = "sequential"\n'
    assert found(extra) == [
        "projects[fraud].challenges[c1].approaches: 'b' is listed 2 times",
        "projects[fraud].challenges[c2].strategy: unknown strategy 'paralel'; expected parallel or sequential; did you mean 'parallel'?",
        "projects[fraud].challenges[c2].approaches: 'a' is already an approach of challenge 'c1'",
        "projects[fraud].challenges[c2].approaches: 'c1' is a challenge; approaches must be tasks",
        "projects[fraud].challenges[c2].approaches: 'other' is a task of project 'churn'; approaches must be tasks of project 'fraud'",
        "projects[fraud].challenges[c2].approaches: unknown task 'nope'",
        "projects[churn].challenges[c3].approaches: a challenge needs at least one approach",
    ]


# --- status ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('status = "done"\nstarted = 2026-12-01', ["finished: status 'done' needs a finished date"]),
        (
            'status = "failed"\nfinished = 2026-12-01',
            ["actual_days: status 'failed' needs actual_days or a started date"],
        ),
        (
            "started = 2026-12-01",
            ["started: status 'todo' but started is given; set status to 'doing', 'done' or 'failed'"],
        ),
        (
            'status = "todo"\nfinished = 2026-12-01',
            ["finished: status 'todo' but finished is given; set status to 'doing', 'done' or 'failed'"],
        ),
        ('status = "doing"', ["started: status 'doing' needs a started date"]),
        (
            'status = "doing"\nstarted = 2026-12-01\nfinished = 2026-12-05',
            ["finished: status 'doing' but a finished date is given; set status to 'done' or 'failed'"],
        ),
        (
            'status = "done"\nstarted = 2026-12-05\nfinished = 2026-12-01',
            ["finished: 2026-12-01 is before started 2026-12-05"],
        ),
        ('status = "finished"', ["status: unknown status 'finished'; expected one of todo, doing, done, failed"]),
        (
            'status = "don"',
            ["status: unknown status 'don'; expected one of todo, doing, done, failed; did you mean 'done'?"],
        ),
    ],
)
def test_contradicting_status(body, expected):
    assert found(task("t", f'estimate = 3\nrole = "ml_engineer"\n{body}')) == [
        f"projects[fraud].tasks[t].{e}" for e in expected
    ]


def test_done_work_with_its_actuals_is_valid():
    body = 'estimate = 3\nrole = "ml_engineer"\nstatus = "done"\nfinished = 2026-12-10\nactual_days = 4\nby = "ana"'
    assert found(task("t", body)) == []
    assert found(task("t", body.replace('"ana"', '"zed"'))) == [
        "projects[fraud].tasks[t].by: unknown person or open hire 'zed'"
    ]


def test_dates_after_the_start_are_warned_about():
    body = 'estimate = 3\nrole = "ml_engineer"\nstatus = "doing"\nstarted = 2027-02-01'
    assert found(task("t", body), "warning") == [
        "projects[fraud].tasks[t].started: 2027-02-01 is after the plan's start 2027-01-04 (the start is 'today')"
    ]
    assert [
        str(p) for p in check_plan_text(BASE.replace('id = "fraud"', 'id = "fraud"\ndeadline = 2026-12-01'))[1]
    ] == ["projects[fraud].deadline: 2026-12-01 is before the plan's start 2027-01-04"]


# --- who does the work -------------------------------------------------------------------------


def test_who_does_a_task():
    extra = task("both", 'estimate = 3\nrole = "ml_engineer"\nneeds = { gpus = 1 }')
    extra += task("named", 'estimate = 3\nrole = "ml_engineer"\nassignee = "ana"')
    extra += task("gpu-and-ana", 'estimate = 3\nassignee = "ana"\nneeds = { gpus = 2 }')
    assert found(extra) == [
        "projects[fraud].tasks[both]: give role or needs, not both (role = 'x' is short for needs = { x = 1 })",
        "projects[fraud].tasks[named]: give role or assignee, not both (the assignee is the person who does it)",
    ]


def test_a_task_that_holds_no_one_is_warned_about_unless_said_so():
    extra = task("alone", "estimate = 3") + task("said", "estimate = 3\nneeds = {}")
    extra += task("done", 'estimate = 3\nstatus = "done"\nfinished = 2026-12-01\nactual_days = 3')
    assert found(extra) == []
    assert found(extra, "warning") == [
        "projects[fraud].tasks[alone]: no role, needs or assignee: the task holds no one (write needs = {} to say so)"
    ]


def test_custom_roles_are_warned_about():
    text = BASE.replace('id = "bo"\nrole = "ml_engineer"', 'id = "bo"\nrole = "ml_enginer"')
    text = text.replace('role = "ml_researcher"', 'role = "labeler"')
    assert [str(p) for p in check_plan_text(text)[1] if p.severity == "warning"] == [
        "people[bo].role: custom role 'ml_enginer', not one of the six ML roles; did you mean 'ml_engineer'?",
        "hires[req-1].role: custom role 'labeler', not one of the six ML roles",
    ]
    assert [p.severity for p in check_plan_text(text)[1]] == ["warning", "warning"]


def test_work_in_progress_must_hold_its_people_at_day_zero():
    doing = 'status = "doing"\nstarted = 2026-12-01'
    extra = task("w1", f'estimate = 3\nassignee = "ana"\n{doing}')
    extra += task("w2", f'estimate = 3\nassignee = "ana"\n{doing}')
    extra += task("w3", f'estimate = 3\nrole = "ml_engineer"\n{doing}')
    extra += task("w4", f'estimate = 3\nrole = "ml_engineer"\n{doing}')
    extra += task("w5", f'estimate = 3\nassignee = "req-1"\n{doing}')
    extra += task("w6", f"estimate = 3\nneeds = {{ gpus = 6 }}\n{doing}") + task(
        "w7", f"estimate = 3\nneeds = {{ gpus = 6 }}\n{doing}"
    )
    assert found(extra) == [
        "projects[fraud].tasks[w2].assignee: in progress, but 'ana' is already on 'w1', also in progress",
        "projects[fraud].tasks[w4].role: in progress, but only 0 of the 1 ml_engineer it needs are free at the start "
        "(the others are on work in progress or are open hires)",
        "projects[fraud].tasks[w5].assignee: in progress, but 'req-1' is an open hire who has not arrived",
        "projects[fraud].tasks[w7].needs.gpus: in progress, but only 2 of the 6 gpus it needs are free at the start "
        "(the others are on work in progress or are open hires)",
    ]


# --- frames from elsewhere ---------------------------------------------------------------------


def test_links_only_a_workspace_can_break():
    plan = parse_plan_text(BASE + task("a"))
    broken = plan.replace(
        tasks=plan.tasks.with_columns(pl.lit("gone").alias("project")),
        org_answers=pl.DataFrame({"question": ["q", "q"], "answer": ["a", "b"]}),
    )
    assert [str(p) for p in validate_plan(broken)] == [
        "projects[gone].tasks[a].project: unknown project 'gone'",
        "org.answers.q: answered 2 times",
    ]


def test_every_problem_is_reported_at_once():
    text = BASE + task("a", "estimate = [3, 2, 1]") + task("b", 'estimate = 1\nrole = "ml_engineer"\nafter = ["zz"]')
    text = text.replace("gpus = 8", "gpus = 0").replace('team = "core"', 'team = "core"\ncolor = 1')
    assert len([p for p in check_plan_text(text)[1] if p.severity == "error"]) == 4


# --- the command -------------------------------------------------------------------------------


@pytest.fixture
def cli():
    if "validate" not in main.commands:
        main.add_command(validate)
    return lambda *args: CliRunner().invoke(main, list(args))


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(text)
    return path


def test_validate_prints_a_summary_for_a_good_plan(cli, tmp_path):
    path = write(tmp_path, BASE + task("a") + task("b"))
    result = cli("validate", str(path))
    assert result.exit_code == 0
    assert result.stdout == f"{path}: ok — 1 project, 2 tasks, 2 people\n"
    assert result.stderr == ""


def runnable_acme(tmp_path) -> Path:
    """acme.toml with its one estimate that the lognormal model cannot take (parameters) as three points."""
    path = tmp_path / "acme.toml"
    text = (PLANS / "acme.toml").read_text()
    path.write_text(text.replace("estimate = { mean = 20, sd = 6 }", "estimate = [12, 20, 35]"))
    return path


def test_validate_prints_warnings_and_still_succeeds(cli, tmp_path):
    path = runnable_acme(tmp_path)
    result = cli("validate", str(path))
    assert result.exit_code == 0
    assert result.stdout == f"{path}: ok — 2 projects, 7 tasks, 4 people (1 warning)\n"
    assert result.stderr.startswith(f"warning: {path}: people[dee].role: custom role")


def test_validate_refuses_what_the_model_refuses_as_simulate_does(cli):
    # acme.toml gives its lognormal task parameters: simulate refuses it, so validate must too.
    result = cli("validate", str(PLANS / "acme.toml"))
    assert result.exit_code == 1
    assert (
        f"error: {PLANS / 'acme.toml'}: tasks[fraud-gnn].estimate: task 'fraud-gnn': estimate is given as parameters"
        in (result.stderr)
    )


def test_validate_lists_every_error_and_exits_1(cli, tmp_path):
    path = write(tmp_path, BASE.replace("gpus = 8", "gpus = 0") + task("a", "estimate = [3, 2, 1]"))
    result = cli("validate", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {path}: pools.gpus: must be at least 1, got 0",
        f"error: {path}: projects[fraud].tasks[a].estimate: low 3 > likely 2",
        f"warning: {path}: projects[fraud].tasks[a]: no role, needs or assignee: the task holds no one (write needs = {{}} to say so)",
        f"{path}: 2 errors, 1 warning",
    ]


def test_validate_reports_syntax_errors(cli, tmp_path):
    path = write(tmp_path, "[plan\n")
    result = cli("validate", str(path))
    assert result.exit_code == 1
    assert (
        result.stderr.splitlines()[0]
        == f"error: {path}: line 1, column 6: TOML syntax: Expected ']' at the end of a table declaration"
    )


def test_validate_refuses_a_missing_file(cli, tmp_path):
    result = cli("validate", str(tmp_path / "nope.toml"))
    assert result.exit_code == 2


def test_the_teamcast_executable_validates(tmp_path):
    assert main.commands["validate"].callback is validate.callback
    exe = shutil.which("teamcast", path=str(Path(sys.executable).parent))
    path = runnable_acme(tmp_path)
    result = subprocess.run([exe, "validate", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("ok — 2 projects, 7 tasks, 4 people (1 warning)\n")


def test_a_pool_without_a_size_is_an_error_not_a_crash():
    # Found by the edit-equivalence property test: a workspace edit can store a pool row whose
    # size is null; the demand checks then compared an int with None.
    plan, problems = check_plan_text(BASE + task("a", "estimate = 3\nneeds = {gpus = 2}"))
    assert plan is not None and not problems
    sizeless = plan.replace(pools=plan.pools.with_columns(pl.lit(None, dtype=pl.Int64).alias("units")))
    errors = [str(p) for p in validate_plan(sizeless) if p.severity == "error"]
    assert any("pools" in e and "gpus" in e for e in errors), errors
