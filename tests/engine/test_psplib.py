"""PSPLIB `.sm` import: every J30 instance, hand-checked values, the optimum file, malformed files."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import pytest

from teamcast.engine.plan.psplib import parse_sm, read_optimum_file, read_sm
from teamcast.errors import PlanError


def _load_checker():
    path = Path(__file__).with_name("schedule_checker.py")
    spec = importlib.util.spec_from_file_location("schedule_checker", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


checker = _load_checker()
J30 = checker.j30_dir()
needs_j30 = pytest.mark.skipif(J30 is None, reason="PSPLIB J30 data not found (set TEAMCAST_PSPLIB_DIR)")

# A small valid file in the PSPLIB layout: 4 jobs (2 real), 2 resources.
SMALL = """\
************************************************************************
projects                      :  1
jobs (incl. supersource/sink ):  4
horizon                       :  5
RESOURCES
  - renewable                 :  2   R
  - nonrenewable              :  0   N
  - doubly constrained        :  0   D
************************************************************************
PRECEDENCE RELATIONS:
jobnr.    #modes  #successors   successors
   1        1          2           2   3
   2        1          1           4
   3        1          1           4
   4        1          0
************************************************************************
REQUESTS/DURATIONS:
jobnr. mode duration  R 1  R 2
------------------------------------------------------------------------
  1      1     0       0    0
  2      1     3       2    0
  3      1     2       1    1
  4      1     0       0    0
************************************************************************
RESOURCEAVAILABILITIES:
  R 1  R 2
    2    1
************************************************************************
"""


def _problem_lines(text: str) -> list[str]:
    with pytest.raises(PlanError) as caught:
        parse_sm(text, source="bad.sm")
    return caught.value.lines()


def test_small_file_maps_jobs_to_tasks_and_resources_to_pools():
    plan = parse_sm(SMALL, source="tiny.sm")
    assert plan.name == "tiny"
    assert plan.start == dt.date(2027, 1, 4)
    assert plan.default_model == "fixed"
    assert plan.pools.to_dicts() == [{"id": "r1", "units": 2}, {"id": "r2", "units": 1}]
    assert plan.projects["id"].to_list() == ["tiny"]
    tasks = plan.tasks.select("id", "project", "est_form", "est_likely", "model", "needs", "after").to_dicts()
    assert tasks == [
        {
            "id": "j1",
            "project": "tiny",
            "est_form": "single",
            "est_likely": 0.0,
            "model": "fixed",
            "needs": None,
            "after": None,
        },
        {
            "id": "j2",
            "project": "tiny",
            "est_form": "single",
            "est_likely": 3.0,
            "model": "fixed",
            "needs": [{"pool": "r1", "units": 2}],
            "after": ["j1"],
        },
        {
            "id": "j3",
            "project": "tiny",
            "est_form": "single",
            "est_likely": 2.0,
            "model": "fixed",
            "needs": [{"pool": "r1", "units": 1}, {"pool": "r2", "units": 1}],
            "after": ["j1"],
        },
        {
            "id": "j4",
            "project": "tiny",
            "est_form": "single",
            "est_likely": 0.0,
            "model": "fixed",
            "needs": None,
            "after": ["j2", "j3"],
        },
    ]


def test_text_without_a_file_name_gets_a_neutral_plan_name():
    assert parse_sm(SMALL).name == "psplib"


def _edit(old: str, new: str) -> str:
    assert old in SMALL
    return SMALL.replace(old, new)


JOB2_REQUEST = "  2      1     3       2    0"
JOB2_PRECEDENCE = "   2        1          1           4"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            SMALL[: SMALL.index("  3      1     2")],
            "end of file: expected duration and demands of job 3",
            id="truncated",
        ),
        pytest.param(
            _edit("  3      1     2       1    1\n  4      1     0       0    0\n", ""),
            "line 22: section ended early: expected duration and demands of job 3",
            id="short-section",
        ),
        pytest.param(
            SMALL[: SMALL.index("RESOURCEAVAILABILITIES")],
            "end of file: missing section RESOURCEAVAILABILITIES",
            id="no-availabilities",
        ),
        pytest.param(
            _edit(JOB2_REQUEST, "  2      1     3       2   x0"),
            "line 21: expected an integer, got 'x0'",
            id="non-numeric",
        ),
        pytest.param(
            _edit(JOB2_REQUEST, "  2      1     3       2"),
            "line 21: expected 2 resource demands, got 1",
            id="demand-count",
        ),
        pytest.param(
            _edit(JOB2_PRECEDENCE, "   2        1          1           9"),
            "line 13: successor 9 of job 2 is out of range 1..4",
            id="successor-range",
        ),
        pytest.param(
            _edit(JOB2_PRECEDENCE, "   2        1          2           4"),
            "line 13: job 2 declares 2 successors but lists 1",
            id="successor-count",
        ),
        pytest.param(
            _edit("   3        1          1           4", "   5        1          1           4"),
            "line 14: expected job 3, got 5",
            id="job-order",
        ),
        pytest.param(
            _edit("  3      1     2       1    1", "  3      1     2       3    1"),
            "line 22: job 3 needs 3 units of R1, capacity is 2",
            id="over-capacity",
        ),
        pytest.param(
            _edit("    2    1\n", "    2\n"),
            "line 27: expected 2 resource availabilities, got 1",
            id="availability-count",
        ),
        pytest.param(
            _edit("nonrenewable              :  0", "nonrenewable              :  2"),
            "line 7: nonrenewable resources are not supported (single-mode RCPSP only)",
            id="nonrenewable",
        ),
        pytest.param(
            _edit("supersource/sink ):  4", "supersource/sink ):  many"),
            "line 3: expected an integer, got 'many'",
            id="bad-job-count",
        ),
        pytest.param("", "end of file: missing section jobs (incl. supersource/sink", id="empty"),
    ],
)
def test_malformed_files_name_the_line_and_the_problem(text, expected):
    assert _problem_lines(text) == [f"error: bad.sm: {expected}"]


def test_file_cut_inside_the_precedence_section_says_end_of_file():
    cut = SMALL[: SMALL.index("   3        1          1")]
    assert _problem_lines(cut) == ["error: bad.sm: end of file: expected precedence relations of job 3"]


@needs_j30
def test_j301_1_matches_the_file_by_hand():
    plan = read_sm(J30 / "j301_1.sm")
    assert plan.name == "j301_1"
    assert plan.pools["units"].to_list() == [12, 13, 4, 12]
    tasks = {t["id"]: t for t in plan.tasks.to_dicts()}
    assert (tasks["j2"]["est_likely"], tasks["j2"]["after"]) == (8.0, ["j1"])
    assert tasks["j2"]["needs"] == [{"pool": "r1", "units": 4}]
    assert (tasks["j20"]["est_likely"], tasks["j20"]["needs"]) == (7.0, [{"pool": "r2", "units": 10}])
    assert tasks["j20"]["after"] == ["j5", "j11", "j18"]
    assert tasks["j30"]["after"] == ["j6", "j24", "j25"]
    assert (tasks["j32"]["est_likely"], tasks["j32"]["needs"]) == (0.0, None)
    assert tasks["j32"]["after"] == ["j29", "j30", "j31"]
    assert tasks["j1"]["after"] is None


@needs_j30
def test_j3048_10_matches_the_file_by_hand():
    plan = read_sm(J30 / "j3048_10.sm")
    assert plan.pools["units"].to_list() == [43, 40, 44, 35]
    six = plan.tasks.filter(id="j6").to_dicts()[0]
    assert six["est_likely"] == 8.0
    assert six["needs"] == [{"pool": f"r{k}", "units": u} for k, u in zip((1, 2, 3, 4), (4, 7, 3, 4), strict=False)]
    assert six["after"] == ["j5"]


@needs_j30
def test_every_j30_instance_parses_and_agrees_with_the_independent_reader():
    files = sorted(J30.glob("j30*_*.sm"))
    assert len(files) == 480
    for path in files:
        plan = read_sm(path)
        raw = checker.read_instance(path)
        assert plan.tasks.height == 32 and plan.pools.height == 4, path.name
        assert plan.pools["units"].to_list() == raw.capacities, path.name
        for task in plan.tasks.to_dicts():
            job = int(task["id"][1:])
            assert task["est_likely"] == raw.durations[job], path.name
            demands = {need["pool"]: need["units"] for need in task["needs"] or []}
            assert [demands.get(f"r{k}", 0) for k in (1, 2, 3, 4)] == raw.demands[job], path.name
            preds = sorted(j for j, succ in raw.successors.items() if job in succ)
            assert task["after"] == ([f"j{p}" for p in preds] or None), path.name


@needs_j30
def test_optimum_file_has_every_instance_and_the_documented_mean():
    optimum = read_optimum_file(J30 / "j30opt.sm")
    assert len(optimum) == 480
    assert set(optimum) == {path.stem for path in J30.glob("j30*_*.sm")}
    assert (optimum["j301_1"], optimum["j3010_3"], optimum["j3048_10"]) == (43, 62, 54)
    assert round(sum(optimum.values()) / len(optimum), 3) == 58.992
