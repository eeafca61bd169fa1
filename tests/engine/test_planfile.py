"""Plan files: TOML -> frames -> TOML, syntax and type problems, the canonical writer, atomic writes."""

import datetime as dt
import json
import os
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teamcast.engine.plan import io, planfile
from teamcast.engine.plan.io import write_plan
from teamcast.engine.plan.planfile import check_plan_text, parse_plan_text, read_plan
from teamcast.engine.plan.planwriter import plan_to_toml
from teamcast.errors import PlanError, Problem, TeamcastError

PLANS = Path(__file__).parent / "plans"
DEMO = Path(__file__).parents[2] / "engine" / "plan" / "data" / "demo.toml"

MINIMAL = """\
[plan]
name = "Tiny"
start = 2027-01-04

[[people]]
id = "ana"
role = "ml_engineer"

[[projects]]
id = "p"

[[projects.tasks]]
id = "t"
estimate = 3
role = "ml_engineer"
"""


def problems_of(text: str) -> list[str]:
    return [str(p) for p in check_plan_text(text)[1]]


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [PLANS / "acme.toml", DEMO], ids=lambda p: p.name)
def test_import_export_import_gives_equal_frames(path):
    plan = read_plan(path)
    again = parse_plan_text(plan_to_toml(plan))
    assert again.equals(plan)


@pytest.mark.parametrize("text", [MINIMAL, (PLANS / "acme.toml").read_text(), DEMO.read_text()])
def test_export_import_export_is_byte_identical(text):
    exported = plan_to_toml(parse_plan_text(text))
    assert plan_to_toml(parse_plan_text(exported)) == exported


def test_every_table_is_read():
    plan = read_plan(PLANS / "acme.toml")
    heights = {name: frame.height for name, frame in plan.tables().items()}
    assert heights == {
        "plan": 1, "org": 1, "org_answers": 2, "teams": 2, "people": 4, "hires": 2, "pools": 2,
        "projects": 2, "tasks": 7, "challenges": 1, "history": 2, "forecasts": 0, "experiments": 1,
        "candidates": 1, "scorecards": 2,
    }  # fmt: skip
    assert plan.tasks["project"].to_list() == ["fraud"] * 5 + ["infra"] * 2
    assert plan.scorecards["candidate"].to_list() == ["cand-lee", "cand-lee"]
    assert plan.org_answers["question"].to_list() == ["Is ML central to the product?", "Who owns the data pipelines?"]
    assert plan.pools.rows() == [("gpus", 8), ("annotators", 3)]


def test_canonical_text_of_a_small_plan():
    text = MINIMAL.replace('id = "t"\n', 'id = "t"\nafter = []\np_success = 1\nestimate = 3.0\n').replace(
        "estimate = 3\n", ""
    )
    assert plan_to_toml(parse_plan_text(text)) == (
        '[plan]\nname = "Tiny"\nstart = 2027-01-04\n\n'
        '[[people]]\nid = "ana"\nrole = "ml_engineer"\n\n'
        '[[projects]]\nid = "p"\n\n'
        '[[projects.tasks]]\nid = "t"\nestimate = 3\np_success = 1.0\nrole = "ml_engineer"\nafter = []\n'
    )


# --- how values map onto columns ---------------------------------------------------------------


def task_row(estimate: str) -> dict:
    plan = parse_plan_text(MINIMAL.replace("estimate = 3", f"estimate = {estimate}"))
    return plan.tasks.select("est_form", "est_low", "est_likely", "est_high", "est_params").row(0, named=True)


def test_estimate_forms():
    assert task_row("[3, 5, 10]") == {
        "est_form": "range",
        "est_low": 3.0,
        "est_likely": 5.0,
        "est_high": 10.0,
        "est_params": None,
    }
    assert task_row("4.5") == {
        "est_form": "single",
        "est_low": None,
        "est_likely": 4.5,
        "est_high": None,
        "est_params": None,
    }
    row = task_row("{ sd = 2, mean = 5.0 }")
    assert row["est_form"] == "params" and row["est_likely"] is None
    assert row["est_params"] == '{"mean": 5.0, "sd": 2}'
    assert json.loads(row["est_params"]) == {"mean": 5.0, "sd": 2}


def with_task(body: str) -> str:
    """MINIMAL with its task's keys after `id` replaced by `body`."""
    return MINIMAL.replace('estimate = 3\nrole = "ml_engineer"\n', body + "\n")


def test_needs_keep_their_order_and_an_empty_table_is_not_absent():
    plan = parse_plan_text(with_task("estimate = 3\nneeds = { gpus = 2, ml_engineer = 1 }") + "[pools]\ngpus = 4\n")
    assert plan.tasks["needs"].to_list() == [[{"pool": "gpus", "units": 2}, {"pool": "ml_engineer", "units": 1}]]
    assert "needs = { gpus = 2, ml_engineer = 1 }" in plan_to_toml(plan)
    empty = parse_plan_text(with_task("estimate = 3\nneeds = {}"))
    assert empty.tasks["needs"].to_list() == [[]]
    assert "needs = {}" in plan_to_toml(empty)


def test_after_written_empty_stays_empty_and_absent_stays_null():
    plan = parse_plan_text(MINIMAL + "after = []\n")
    assert plan.tasks["after"].to_list() == [[]]
    assert parse_plan_text(MINIMAL).tasks["after"].to_list() == [None]


def test_a_single_time_to_hire_is_low_likely_and_high():
    plan = parse_plan_text(MINIMAL + '\n[[hires]]\nid = "req"\nrole = "ml_engineer"\ntime_to_hire = 30\n')
    assert plan.hires.select("tth_low", "tth_likely", "tth_high").row(0) == (30.0, 30.0, 30.0)
    assert "time_to_hire = 30\n" in plan_to_toml(plan)


def test_fractions_are_written_as_floats_and_whole_days_as_integers():
    plan = parse_plan_text(MINIMAL.replace('role = "ml_engineer"\n\n', 'role = "ml_engineer"\ncapacity = 1\n\n', 1))
    text = plan_to_toml(plan)
    assert "capacity = 1.0\n" in text
    assert "estimate = 3\n" in text


def test_skills_map_to_columns_and_back():
    plan = parse_plan_text(
        MINIMAL.replace('role = "ml_engineer"\n\n', 'role = "ml_engineer"\nskills = { comm = 2, ml = 4 }\n\n', 1)
    )
    assert plan.people.select("skill_ml", "skill_swe", "skill_comm").row(0) == (4, None, 2)
    assert "skills = { ml = 4, comm = 2 }\n" in plan_to_toml(plan)


def test_forecasts_are_not_part_of_a_plan_file():
    plan = read_plan(PLANS / "acme.toml")
    assert "forecast" not in plan_to_toml(plan).replace("forecast_p", "")


# --- problems the reader finds -------------------------------------------------------------------


def test_a_syntax_error_names_line_and_column():
    assert problems_of('[plan]\nname = "x"\nstart = 2027-01-04 x\n') == [
        "line 3, column 20: TOML syntax: Expected newline or end of document after a statement"
    ]
    assert problems_of("[plan]\nname =") == ["end of file: TOML syntax: Invalid value"]
    assert check_plan_text("[plan\n")[0] is None


def test_unknown_keys_at_every_level_suggest_the_closest():
    text = MINIMAL.replace("[[people]]", "[[peple]]").replace("estimate = 3", "estimat = 3")
    text = text.replace('name = "Tiny"', 'nme = "Tiny"')
    text += '[pool]\ngpus = 1\n[[people]]\nid = "bo"\nrole = "ml_engineer"\nskills = { mll = 3 }\nfoo = 1\n'
    assert problems_of(text) == [
        "peple: unknown key; did you mean 'people'?",
        "pool: unknown key; did you mean 'pools'?",
        "plan.nme: unknown key; did you mean 'name'?",
        "people[bo].skills.mll: unknown key; did you mean 'ml'?",
        "people[bo].foo: unknown key; expected one of: id, name, role, team, capacity, skills, reports_to, joined",
        "projects[p].tasks[t].estimat: unknown key; did you mean 'estimate'?",
        "plan.name: required key missing",
        "projects[p].tasks[t].estimate: required key missing",
    ]


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ('capacity = "full"', "people[bo].capacity: expected a number, got string 'full'"),
        ("capacity = true", "people[bo].capacity: expected a number, got boolean true"),
        ("name = 5", "people[bo].name: expected a string, got integer 5"),
        (
            'joined = "2027-13-01"',
            "people[bo].joined: expected a date (YYYY-MM-DD), got string '2027-13-01' (month must be in 1..12)",
        ),
        (
            'joined = "2027-01-04"',
            "people[bo].joined: expected a date (YYYY-MM-DD), got string '2027-01-04'; write it without quotes: 2027-01-04",
        ),
        (
            "joined = 2027-01-04T09:00:00",
            "people[bo].joined: expected a date (YYYY-MM-DD), got date-time 2027-01-04T09:00:00",
        ),
        ("skills = { ml = 4.5 }", "people[bo].skills.ml: expected a whole number, got float 4.5"),
        ("skills = 3", "people[bo].skills: expected a table like { ml = 3, swe = 4, comm = 2 }, got integer 3"),
    ],
)
def test_wrong_types(snippet, expected):
    assert problems_of(MINIMAL + f'\n[[people]]\nid = "bo"\nrole = "ml_engineer"\n{snippet}\n') == [expected]


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("estimate = [1, 2]", "expected [low, likely, high] or a single number, got an array"),
        ('estimate = "3 days"', "expected [low, likely, high] or a single number, got string '3 days'"),
        ('estimate = [1, "2", 3]', None),
        (
            "estimate = { mean = 2027-01-04 }",
            "model parameters must be finite numbers, strings, booleans or arrays of them",
        ),
    ],
)
def test_wrong_estimate_types(snippet, expected):
    problems = problems_of(MINIMAL.replace("estimate = 3", snippet))
    if expected is None:
        assert problems == ["projects[p].tasks[t].estimate[1]: expected a number, got string '2'"]
    else:
        assert problems == [f"projects[p].tasks[t].estimate: {expected}"]


def test_a_table_where_an_array_of_tables_belongs():
    assert (
        problems_of(MINIMAL.replace("[[people]]", "[people]"))[0]
        == "people: expected an array of tables [[people]], got a table"
    )
    assert "pools: expected a table [pools], got an array" in problems_of(MINIMAL + "[[pools]]\ngpus = 1\n")


def test_bad_entries_of_lists_and_needs_name_their_position():
    assert problems_of(with_task('estimate = 3\nneeds = { ml_engineer = "one" }\nafter = ["x", 3]')) == [
        "projects[p].tasks[t].needs.ml_engineer: expected a whole number, got string 'one'",
        "projects[p].tasks[t].after[1]: expected a string, got integer 3",
    ]


def test_an_item_without_an_id_is_named_by_position():
    assert problems_of(MINIMAL + '\n[[people]]\nrole = "ml_engineer"\ncapacity = "x"\n') == [
        "people[#2].capacity: expected a number, got string 'x'",
        "people[#2].id: required key missing",
    ]


def test_parse_raises_with_every_problem_and_the_source():
    with pytest.raises(PlanError) as caught:
        parse_plan_text(MINIMAL.replace("estimate = 3", "estimate = [5, 4, 3]\ncolour = 1"), source="plan.toml")
    assert caught.value.lines() == [
        "error: plan.toml: projects[p].tasks[t].colour: unknown key; expected one of: id, title, kind, estimate, "
        "model, p_success, role, needs, assignee, after, status, started, finished, actual_days, by, success_model",
        "error: plan.toml: projects[p].tasks[t].estimate: low 5 > likely 4",
    ]


def test_warnings_alone_do_not_raise():
    plan, warnings = planfile.parse_plan_text_with_warnings(MINIMAL.replace('"ml_engineer"', '"prompt_engineer"'))
    assert plan.people.height == 1
    assert [p.severity for p in warnings] == ["warning"]


def test_read_plan_names_the_file(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text("[plan]\nname = 1\nstart = 2027-01-04\n")
    with pytest.raises(PlanError) as caught:
        read_plan(path)
    assert caught.value.lines() == [f"error: {path}: plan.name: expected a string, got integer 1"]
    with pytest.raises(PlanError) as caught:
        read_plan(tmp_path / "missing.toml")
    assert caught.value.problems == [Problem("", "cannot read the plan file: No such file or directory")]


# --- writing files -------------------------------------------------------------------------------


def test_write_plan_writes_the_canonical_text(tmp_path):
    plan = read_plan(PLANS / "acme.toml")
    path = tmp_path / "out.toml"
    write_plan(plan, path)
    assert path.read_text() == plan_to_toml(plan)
    assert read_plan(path).equals(plan)
    assert os.listdir(tmp_path) == ["out.toml"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "plan.toml"
    path.write_text("old")

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(io.os, "replace", fail)
    with pytest.raises(TeamcastError, match="cannot write .*plan.toml: disk full"):  # one line, no traceback
        write_plan(parse_plan_text(MINIMAL), path)
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["plan.toml"]


# --- generated plans -----------------------------------------------------------------------------

_text = st.text(max_size=6)
_number = st.one_of(st.integers(-(10**6), 10**12), st.floats(allow_nan=False, allow_infinity=False))
_whole = st.integers(-(2**63), 2**63 - 1)
_date = st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31))
_three = st.lists(_number, min_size=3, max_size=3)
_param = st.one_of(_text, st.booleans(), st.integers(-(10**6), 10**6), st.floats(allow_nan=False, allow_infinity=False))

VALUES = {
    planfile.Text: _text,
    planfile.Date: _date,
    planfile.Flag: st.booleans(),
    planfile.Number: _number,
    planfile.Fraction: _number,
    planfile.TextList: st.lists(_text, max_size=3),
    planfile.DateList: st.lists(_date, max_size=3),
    planfile.TaskEstimate: st.one_of(_number, _three, st.dictionaries(_text, _param, max_size=3)),
    planfile.PointEstimate: st.one_of(_number, _three),
    planfile.TimeToHire: st.one_of(_number, _three),
    planfile.Skills: st.dictionaries(st.sampled_from(["ml", "swe", "comm"]), _whole),
    planfile.Needs: st.dictionaries(_text, _whole, max_size=3),
}


def items(table: planfile.Table, ids=None):
    """One TOML table of `table` with a random subset of its keys (and the given id)."""
    fields = {f.key: VALUES[type(f)] for f in table.fields if f.key != "id" or ids is None}
    item = st.fixed_dictionaries({}, optional=fields)
    return item if ids is None else st.tuples(item, ids).map(lambda pair: pair[0] | {"id": pair[1]})


@st.composite
def documents(draw):
    doc = {}
    if draw(st.booleans()):
        doc["plan"] = draw(items(planfile.PLAN))
    if draw(st.booleans()):
        doc["org"] = draw(items(planfile.ORG)) | {"answers": draw(st.dictionaries(_text, _text, max_size=3))}
    for key, table in planfile.ARRAYS.items():
        doc[key] = draw(st.lists(items(table), max_size=3))
    doc["pools"] = draw(st.dictionaries(_text, _whole, max_size=3))
    # The writer nests tasks and scores under their parent's id, so parents get unique ids.
    projects = draw(st.lists(_text, unique=True, max_size=3))
    doc["projects"] = [
        draw(items(planfile.PROJECTS))
        | {"id": pid, "tasks": draw(st.lists(items(planfile.TASKS), max_size=3)),
           "challenges": draw(st.lists(items(planfile.CHALLENGES), max_size=2))}
        for pid in projects
    ]  # fmt: skip
    for key in ("history", "experiments"):
        doc[key] = draw(st.lists(items(planfile.LATER_ARRAYS[key]), max_size=2))
    candidates = draw(st.lists(_text, unique=True, max_size=2))
    doc["candidates"] = [
        draw(items(planfile.CANDIDATES)) | {"id": cid, "scores": draw(st.lists(items(planfile.SCORES), max_size=2))}
        for cid in candidates
    ]
    return doc


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(documents())
def test_generated_plans_round_trip(doc):
    plan, problems = check_plan_text(tomli_w.dumps(doc))
    assert plan is not None
    exported = plan_to_toml(plan)
    again, _ = check_plan_text(exported)
    assert again.equals(plan)
    assert plan_to_toml(again) == exported


def test_the_documented_example_is_a_valid_plan():
    doc = (Path(__file__).parents[2] / "docs" / "plan-format.md").read_text()
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    plan, problems = check_plan_text(example)
    assert problems == []
    assert plan.tasks["id"].to_list() == ["fraud-baseline", "fraud-gnn", "fraud-gbm"]
