"""`--fail-if` gates: parsing (operators, subjects, exact messages) and evaluation on a forecast's JSON."""

from __future__ import annotations

import pytest

from teamcast.engine.forecast.gates import Gate, GatesFailed, check_gates, evaluate_gates, parse_gate
from teamcast.errors import UsageError

SHAPE = "expected SUBJECT.METRIC OP NUMBER with OP one of < <= > >= == !=, e.g. fraud.p_on_time<0.5"


def project(pid: str, p_success: float, p_on_time: float | None, p80: float | None, value: float) -> dict:
    return {
        "id": pid,
        "name": pid.title(),
        "p_success": p_success,
        "p_on_time": p_on_time,
        "finish_days": {
            "p50": None if p80 is None else p80 - 10,
            "p80": p80,
            "p95": None if p80 is None else p80 + 10,
            "mean": None if p80 is None else p80 - 8,
        },
        "finish_date": {"p50": None, "p80": None, "p95": None},
        "deadline": None,
        "value": value,
        "expected_value": value * p_success,
    }


@pytest.fixture
def result() -> dict:
    return {
        "plan": "Hand made",
        "trials": 1000,
        "seed": 0,
        "projects": [
            project("fraud", 0.8, 0.42, 70.0, 10.0),
            project("churn", 0.6, 0.55, 40.0, 5.0),
            project("moonshot", 0.0, 0.0, None, 1.0),
        ],
        "tasks": [
            {
                "id": "fraud-gnn",
                "project": "fraud",
                "p_run": 0.9,
                "p_success": 0.5,
                "finish_days": {"p50": 20.0, "p80": 25.0, "p95": 30.0},
                "criticality": 0.95,
                "sensitivity": 0.4,
            },
            {
                "id": "churn-eval",
                "project": "churn",
                "p_run": 1.0,
                "p_success": 1.0,
                "finish_days": {"p50": 10.0, "p80": 12.0, "p95": 15.0},
                "criticality": 0.3,
                "sensitivity": 0.1,
            },
        ],
        "people": [
            {"id": "ana", "utilization": 0.91, "busy_days": 50.0},
            {"id": "bo", "utilization": 0.4, "busy_days": 20.0},
        ],
    }


def failed(expr: str, result: dict) -> list[str]:
    return evaluate_gates([parse_gate(expr)], result)


# --- parsing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["<", "<=", ">", ">=", "==", "!="])
def test_every_operator_parses(op):
    gate = parse_gate(f"fraud.p80{op}60")
    assert gate == Gate("project", "fraud", "p80", op, 60.0, f"fraud.p80{op}60")


def test_whitespace_around_parts_is_ignored():
    gate = parse_gate("  fraud.p_on_time   <=  0.5 ")
    assert (gate.level, gate.id, gate.metric, gate.op, gate.threshold) == ("project", "fraud", "p_on_time", "<=", 0.5)
    assert gate.text == "fraud.p_on_time   <=  0.5"


@pytest.mark.parametrize(
    ("expr", "level", "item", "metric"),
    [
        ("*.p_success>=0.7", "project", "*", "p_success"),
        ("portfolio.expected_value<10", "portfolio", None, "expected_value"),
        ("task.fraud-gnn.criticality>0.9", "task", "fraud-gnn", "criticality"),
        ("task.*.p_run<1", "task", "*", "p_run"),
        ("person.ana.utilization>0.9", "person", "ana", "utilization"),
        ("v1.2.p50>3", "project", "v1.2", "p50"),  # ids may contain dots: the metric is the last part
        ("task.p50>3", "project", "task", "p50"),  # a project called "task"
    ],
)
def test_subjects(expr, level, item, metric):
    gate = parse_gate(expr)
    assert (gate.level, gate.id, gate.metric) == (level, item, metric)


def test_negative_and_exponent_thresholds():
    assert parse_gate("fraud.mean > -1.5").threshold == -1.5
    assert parse_gate("fraud.p95<1e2").threshold == 100.0


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("", f"--fail-if '': {SHAPE}"),
        ("fraud.p80", f"--fail-if 'fraud.p80': {SHAPE}"),
        ("fraud.p80 >", f"--fail-if 'fraud.p80 >': {SHAPE}"),
        ("fraud.p80 = 60", f"--fail-if 'fraud.p80 = 60': {SHAPE}"),
        ("fraud.p80 => 60", f"--fail-if 'fraud.p80 => 60': {SHAPE}"),
        ("0 < fraud.p80 < 60", f"--fail-if '0 < fraud.p80 < 60': {SHAPE}"),
        ("p80 > 60", f"--fail-if 'p80 > 60': {SHAPE}"),
        (".p80 > 60", f"--fail-if '.p80 > 60': {SHAPE}"),
        ("fraud. > 60", f"--fail-if 'fraud. > 60': {SHAPE}"),
        ("fraud.p80 > sixty", "--fail-if 'fraud.p80 > sixty': 'sixty' is not a number"),
        ("fraud.p80 > inf", "--fail-if 'fraud.p80 > inf': the threshold must be a finite number, got 'inf'"),
        ("fraud.p80 > nan", "--fail-if 'fraud.p80 > nan': the threshold must be a finite number, got 'nan'"),
        (
            "fraud.p90 > 60",
            "--fail-if 'fraud.p90 > 60': unknown metric 'p90' for a project; "
            "expected one of p_success, p_on_time, p50, p80, p95, mean, expected_value",
        ),
        (
            "portfolio.p50 > 60",
            "--fail-if 'portfolio.p50 > 60': unknown metric 'p50' for the portfolio (a sum over projects); "
            "expected expected_value",
        ),
        (
            "task.fraud-gnn.mean > 3",
            "--fail-if 'task.fraud-gnn.mean > 3': unknown metric 'mean' for a task; "
            "expected one of p_run, p_success, p50, p80, p95, criticality, sensitivity",
        ),
        ("task..p50 > 3", "--fail-if 'task..p50 > 3': expected task.ID.METRIC, e.g. task.*.p_run"),
        (
            "person..utilization > 3",
            "--fail-if 'person..utilization > 3': expected person.ID.METRIC, e.g. person.*.utilization",
        ),
    ],
)
def test_bad_expressions_are_usage_errors_with_one_line(expr, message):
    with pytest.raises(UsageError) as raised:
        parse_gate(expr)
    assert raised.value.message == message
    assert raised.value.exit_code == 2
    assert "\n" not in raised.value.lines()[0]


# --- evaluation ----------------------------------------------------------------------------------


def test_a_gate_that_holds_fails_with_a_sentence(result):
    assert failed("fraud.p_on_time<0.5", result) == ["fraud.p_on_time = 0.42 < 0.5"]


def test_a_gate_that_does_not_hold_passes(result):
    assert failed("churn.p_on_time<0.5", result) == []


@pytest.mark.parametrize(
    ("expr", "fails"),
    [
        ("fraud.p80 < 70", False),
        ("fraud.p80 <= 70", True),
        ("fraud.p80 > 70", False),
        ("fraud.p80 >= 70", True),
        ("fraud.p80 == 70", True),
        ("fraud.p80 != 70", False),
    ],
)
def test_operators_at_the_boundary(result, expr, fails):
    assert bool(failed(expr, result)) is fails


def test_finish_metrics_read_finish_days(result):
    assert failed("fraud.p50 > 55", result) == ["fraud.p50 = 60 > 55"]
    assert failed("fraud.p95 > 75", result) == ["fraud.p95 = 80 > 75"]
    assert failed("fraud.mean > 61.5", result) == ["fraud.mean = 62 > 61.5"]
    assert failed("fraud.expected_value < 9", result) == ["fraud.expected_value = 8 < 9"]


def test_star_checks_every_project(result):
    assert failed("*.p_success>=0.7", result) == ["fraud.p_success = 0.8 >= 0.7"]
    assert failed("*.p_success<0.7", result) == ["churn.p_success = 0.6 < 0.7", "moonshot.p_success = 0 < 0.7"]


def test_portfolio_sums_expected_value_over_projects(result):
    # 10 x 0.8 + 5 x 0.6 + 1 x 0 = 11
    assert failed("portfolio.expected_value<12", result) == ["portfolio.expected_value = 11 < 12"]
    assert failed("portfolio.expected_value<10", result) == []


def test_tasks_and_people(result):
    assert failed("task.fraud-gnn.criticality>0.9", result) == ["task.fraud-gnn.criticality = 0.95 > 0.9"]
    assert failed("task.*.p80>20", result) == ["task.fraud-gnn.p80 = 25 > 20"]
    assert failed("person.*.utilization>0.9", result) == ["person.ana.utilization = 0.91 > 0.9"]


def test_an_undefined_metric_fails_its_gate(result):
    assert failed("moonshot.p80 > 1000", result) == [
        "moonshot.p80 is undefined (no trial succeeded), so the gate fails"
    ]


def test_several_gates_report_every_failure_in_order(result):
    gates = [parse_gate("fraud.p_on_time<0.5"), parse_gate("churn.p80>100"), parse_gate("churn.p80>30")]
    assert evaluate_gates(gates, result) == ["fraud.p_on_time = 0.42 < 0.5", "churn.p80 = 40 > 30"]


def test_unknown_project_names_the_known_ids(result):
    with pytest.raises(UsageError) as raised:
        failed("frod.p80>60", result)
    assert raised.value.message == "--fail-if 'frod.p80>60': no project 'frod'; known projects: fraud, churn, moonshot"


def test_unknown_task_and_person(result):
    with pytest.raises(
        UsageError, match=r"^--fail-if 'task\.nope\.p80>1': no task 'nope'; known tasks: fraud-gnn, churn-eval$"
    ):
        failed("task.nope.p80>1", result)
    with pytest.raises(
        UsageError, match=r"^--fail-if 'person\.cy\.utilization>1': no person 'cy'; known people: ana, bo$"
    ):
        failed("person.cy.utilization>1", result)


def test_a_long_list_of_known_ids_is_shortened(result):
    result["tasks"] = [{"id": f"t{i}"} for i in range(15)]
    with pytest.raises(UsageError) as raised:
        failed("task.nope.p80>1", result)
    assert raised.value.message.endswith("known tasks: t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11 ... and 3 more")


def test_check_gates_raises_with_exit_code_3(result):
    check_gates([parse_gate("churn.p_on_time<0.5")], result)  # passes: nothing raised
    with pytest.raises(GatesFailed) as raised:
        check_gates([parse_gate("fraud.p_on_time<0.5"), parse_gate("fraud.p80>60")], result)
    assert raised.value.exit_code == 3
    assert raised.value.lines() == ["fail-if: fraud.p_on_time = 0.42 < 0.5", "fail-if: fraud.p80 = 70 > 60"]
