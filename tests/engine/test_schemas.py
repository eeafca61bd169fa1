"""The JSON Schemas in docs/schema/ are valid, describe every key, and accept the real output of the commands."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a test extra: pip install -e '.[test]'")
from jsonschema import Draft202012Validator  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs" / "schema"
DEMO = ROOT / "engine" / "plan" / "data" / "demo.toml"
TEAMCAST = [sys.executable, "-m", "teamcast.engine.commands.cli"]


def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def errors(name: str, document: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(name).iter_errors(document)]


def teamcast_json(*args: str, returncode: int = 0) -> dict:
    done = subprocess.run([*TEAMCAST, *args, "--format", "json"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == returncode, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def forecast() -> dict:
    return teamcast_json("simulate", str(DEMO), "--trials", "500")


# --- the schemas themselves --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["simulate", "sweep", "retro"])
def test_schema_is_valid_draft_2020_12(name):
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is True  # consumers must ignore keys added later


def _properties(node, path="#"):
    """(path, schema) of every named property anywhere in a schema."""
    if isinstance(node, dict):
        for key, sub in node.get("properties", {}).items():
            yield f"{path}/{key}", sub
        for key, sub in node.items():
            yield from _properties(sub, f"{path}/{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from _properties(sub, f"{path}/{i}")


@pytest.mark.parametrize("name", ["simulate", "sweep", "retro"])
def test_every_key_has_a_type_and_a_meaning(name):
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    defs = schema["$defs"]
    undescribed = []
    for path, sub in _properties(schema):
        if any(part in path for part in ("/if/", "/then/", "/else/")):  # conditions on keys described above
            continue
        target = defs[sub["$ref"].rsplit("/", 1)[1]] if "$ref" in sub else sub
        if "description" not in sub and "description" not in target:
            undescribed.append(f"{path}: no description")
        if not {"type", "oneOf", "$ref"} & sub.keys():
            undescribed.append(f"{path}: no type")
    assert undescribed == []


@pytest.mark.parametrize("name", ["simulate", "sweep", "retro"])
def test_required_keys_are_described(name):
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    for node in [schema, *schema["$defs"].values()]:
        assert set(node.get("required", [])) <= set(node.get("properties", {}))


# --- simulate ----------------------------------------------------------------------------------


def test_simulate_output_matches_its_schema(forecast):
    assert errors("simulate", forecast) == []
    assert forecast["trials"] == 500 and forecast["projects"] and forecast["tasks"] and forecast["people"]


def test_simulate_nulls_where_the_schema_allows_them(forecast):
    """A project without a deadline, and one that never succeeded, have nulls where numbers were."""
    edited = copy.deepcopy(forecast)
    edited["projects"][0].update(deadline=None, p_on_time=None)
    edited["projects"][1].update(p_success=0.0, p_on_time=0.0, expected_value=0.0)
    edited["projects"][1]["finish_days"] = dict.fromkeys(["p50", "p80", "p95", "mean"])
    edited["projects"][1]["finish_date"] = dict.fromkeys(["p50", "p80", "p95"])
    edited["tasks"][0]["sensitivity"] = None
    assert errors("simulate", edited) == []


@pytest.mark.parametrize("key", ["plan", "trials", "seed", "projects", "tasks", "people"])
def test_simulate_without_a_required_key_fails(forecast, key):
    broken = copy.deepcopy(forecast)
    del broken[key]
    assert errors("simulate", broken) == [f": '{key}' is a required property"]


def test_simulate_nested_violations_are_caught(forecast):
    broken = copy.deepcopy(forecast)
    del broken["projects"][0]["p_on_time"]
    broken["tasks"][0]["criticality"] = 1.5
    broken["projects"][1]["finish_date"]["p80"] = "2027-02-30"
    assert errors("simulate", broken) == [
        "projects/0: 'p_on_time' is a required property",
        "projects/1/finish_date/p80: '2027-02-30' is not a 'date'",
        "tasks/0/criticality: 1.5 is greater than the maximum of 1",
    ]


def test_simulate_allows_new_top_level_keys(forecast):
    extended = {**forecast, "gates": []}
    assert errors("simulate", extended) == []


# --- sweep -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sweep_result() -> dict:
    return teamcast_json(
        "sweep",
        str(DEMO),
        "--vary",
        "priority=value,lft",
        "--vary",
        "people.ml_engineer=4,0",
        "--trials",
        "200",
        returncode=1,  # its failed scenarios are reported in their rows, and in the exit status
    )


def test_sweep_output_matches_its_schema(sweep_result):
    assert errors("sweep", sweep_result) == []
    assert {row["priority"] for row in sweep_result["rows"]} == {"value", "lft"}


def test_sweep_error_rows_match_its_schema(sweep_result):
    """No ML engineers leaves tasks without a doer: that scenario is one error row with no project."""
    error_rows = [row for row in sweep_result["rows"] if row["error"]]
    assert [row["label"] for row in error_rows] == [
        "priority=value, people.ml_engineer=0",
        "priority=lft, people.ml_engineer=0",
    ]
    assert all(row["project"] is None and row["p80"] is None for row in error_rows)


def test_sweep_without_a_required_key_fails(sweep_result):
    broken = copy.deepcopy(sweep_result)
    del broken["axes"]
    del broken["rows"][0]["p80"]
    assert errors("sweep", broken) == [": 'axes' is a required property", "rows/0: 'p80' is a required property"]


def test_sweep_row_that_ran_needs_a_project(sweep_result):
    broken = copy.deepcopy(sweep_result)
    ran = next(row for row in broken["rows"] if row["error"] is None)
    ran["project"] = None
    assert any("None is not of type 'string'" in e for e in errors("sweep", broken))


# --- retro -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def retro_result() -> dict:
    return teamcast_json("retro", str(DEMO))


def test_retro_output_matches_its_schema(retro_result):
    assert errors("retro", retro_result) == []
    assert retro_result["history_rows"] > 0 and retro_result["success"] is not None


def test_retro_without_a_required_key_fails(retro_result):
    broken = copy.deepcopy(retro_result)
    del broken["selection"]
    del broken["people"][0]["brier"]
    assert errors("retro", broken) == [
        ": 'selection' is a required property",
        "people/0: 'brier' is a required property",
    ]


def test_retro_success_scores_are_checked_inside(retro_result):
    broken = copy.deepcopy(retro_result)
    del broken["success"]["brier"]
    assert [e.message for e in validator("retro").iter_errors(broken)] != []


# --- docs/cli.md -------------------------------------------------------------------------------


def test_every_registered_command_is_in_the_cli_docs():
    from teamcast.engine.commands.cli import main

    docs = (ROOT / "docs" / "cli.md").read_text()
    assert [name for name in sorted(main.commands) if f"| `{name}" not in docs] == []
