"""Demand per role, coverage, the skills chart and bottleneck ranking (with a fake simulation)."""

import json
from types import SimpleNamespace

import polars as pl
import pytest
from click.testing import CliRunner

from teamcast.engine.plan.model import Plan, frame
from teamcast.engine.practice import roster

PEOPLE = [
    {
        "id": "ana",
        "name": "Ana",
        "role": "ml_engineer",
        "capacity": 1.0,
        "skill_ml": 4,
        "skill_swe": 4,
        "skill_comm": 2,
    },
    {"id": "bo", "name": "Bo", "role": "ml_engineer", "capacity": 0.5},
    {"id": "cy", "name": "Cy", "role": "data_engineer"},
]
PROJECTS = [{"id": "fraud", "name": "Fraud v2"}, {"id": "churn", "name": "Churn"}]
TASKS = [
    {"id": "t1", "project": "fraud", "est_low": 2.0, "est_likely": 5.0, "est_high": 14.0, "role": "ml_engineer"},
    {"id": "t2", "project": "fraud", "est_likely": 6.0, "role": "data_engineer", "status": "doing"},
    {"id": "t3", "project": "fraud", "est_likely": 100.0, "role": "ml_engineer", "status": "done"},
    {
        "id": "t4",
        "project": "churn",
        "est_likely": 4.0,
        "needs": [{"pool": "ml_engineer", "units": 2}, {"pool": "gpus", "units": 4}],
    },
    {"id": "t5", "project": "churn", "est_likely": 3.0, "assignee": "cy"},
    {"id": "t6", "project": "churn", "est_likely": 9.0, "role": "ml_researcher"},
]


def plan(**frames) -> Plan:
    base = {"people": frame("people", PEOPLE), "projects": frame("projects", PROJECTS), "tasks": frame("tasks", TASKS)}
    return Plan(**(base | frames))


def test_demand_counts_open_work_by_role_with_pert_means_and_units():
    demand = roster.task_demands(plan())
    assert demand.rows() == [
        ("t1", "ml_engineer", 6.0),  # (2 + 20 + 14) / 6
        ("t2", "data_engineer", 6.0),
        ("t4", "ml_engineer", 8.0),  # two units, gpus left out
        ("t5", "data_engineer", 3.0),  # the assignee's role
        ("t6", "ml_researcher", 9.0),
    ]


def test_coverage_clears_each_roles_queue_at_its_capacity():
    cover = {r["role"]: r for r in roster.coverage(plan()).iter_rows(named=True)}
    assert cover["ml_engineer"]["demand_days"] == 14.0
    assert cover["ml_engineer"]["capacity_per_day"] == 1.5
    assert cover["ml_engineer"]["clear_day"] == pytest.approx(14 / 1.5)
    assert cover["data_engineer"]["clear_day"] == pytest.approx(9.0)
    assert cover["ml_researcher"]["people"] == 0 and not cover["ml_researcher"]["covered"]


def test_a_hire_covers_a_role_after_arrival_and_ramp_up():
    hires = frame(
        "hires",
        [{"id": "req", "role": "ml_researcher", "tth_likely": 10.0, "ramp_days": 4.0, "ramp_productivity": 0.5}],
    )
    cover = roster.coverage(plan(hires=hires)).filter(pl.col("role") == "ml_researcher").row(0, named=True)
    # arrives day 10, 4 days at half speed (2 days of work), then 7 more days at full speed
    assert cover["hires"] == 1 and cover["clear_day"] == pytest.approx(21.0)


def test_skills_chart_puts_people_beside_the_lectures_role_points():
    chart = roster.skills_chart(plan())
    roles = chart.filter(pl.col("kind") == "role")
    assert roles.height == 6
    pm = roles.filter(pl.col("id") == "ml_product_manager").row(0, named=True)
    assert (pm["ml"], pm["swe"], pm["comm"]) == (0.31, 0.10, 1.0)
    ana = chart.filter(pl.col("id") == "ana").row(0, named=True)
    assert (ana["ml"], ana["swe"], ana["comm"]) == (0.8, 0.8, 0.4)
    assert chart.filter(pl.col("id") == "bo")["ml"].to_list() == [None]


def fake_simulate(p80_by_role):
    """A simulate that knows, by construction, what an extra person of each role buys per project."""
    calls = []

    def simulate(plan, *, trials, seed):
        calls.append((trials, seed))
        extra = plan.people.filter(pl.col("id").str.starts_with("extra-"))["role"].to_list()
        p80 = p80_by_role[extra[0] if extra else None]
        return SimpleNamespace(projects=pl.DataFrame({"id": list(p80), "p80": list(p80.values())}))

    simulate.calls = calls
    return simulate


def test_bottlenecks_rank_the_roles_by_how_much_they_move_p80():
    simulate = fake_simulate(
        {
            None: {"fraud": 60.0, "churn": 40.0},
            "ml_engineer": {"fraud": 58.0, "churn": 39.0},
            "data_engineer": {"fraud": 51.0, "churn": 40.0},
        }
    )
    found = roster.bottlenecks(plan(), trials=500, seed=7, simulate=simulate)
    assert [b.sentence() for b in found] == [
        "an extra data engineer moves Fraud v2 P80 by −9 days",
        "an extra ML engineer moves Fraud v2 P80 by −2 days",
        "an extra ML engineer moves Churn P80 by −1 day",
        "an extra data engineer moves Churn P80 by 0 days",
    ]
    assert simulate.calls == [(500, 7)] * 3  # same seed every time: common random numbers


def test_projects_without_a_p80_are_left_out():
    simulate = fake_simulate(
        {
            None: {"fraud": float("nan"), "churn": 40.0},
            "ml_engineer": {"fraud": 50.0, "churn": 38.0},
            "data_engineer": {"fraud": 50.0, "churn": 41.0},
        }
    )
    found = roster.bottlenecks(plan(), simulate=simulate)
    assert {b.project for b in found} == {"churn"}
    assert found[-1].sentence() == "an extra data engineer moves Churn P80 by +1 day"


def test_the_extra_person_gets_a_fresh_id():
    people = frame("people", PEOPLE + [{"id": "extra-ml_engineer", "role": "ml_engineer"}])
    added = roster.with_extra_person(plan(people=people), "ml_engineer").people
    assert added["id"].to_list()[-1] == "extra-ml_engineer-2"
    assert added.row(-1, named=True)["capacity"] == 1.0


def test_roster_command(monkeypatch):
    from teamcast.engine.commands import org as commands

    monkeypatch.setattr(commands, "load_plan", lambda path: plan())
    result = CliRunner().invoke(commands.roster, ["p.toml"])
    assert result.exit_code == 0, result.output
    assert "ml_researcher        0 people, 0 hires, 9.0 days of work, NOT COVERED: no one of this role" in result.output
    data = json.loads(CliRunner().invoke(commands.roster, ["p.toml", "--format", "json"]).output)
    assert data["bottlenecks"] is None
    assert data["growth"][0]["person"] == "ana"


BOTTLENECK_TOML = """
[plan]
name = "data engineering is the bottleneck, by construction"
start = 2027-01-04

[[people]]
id = "dee"
role = "data_engineer"

[[people]]
id = "max"
role = "ml_engineer"

[[projects]]
id = "fraud"
name = "Fraud v2"

[[projects.tasks]]
id = "ingest-a"
estimate = 10
role = "data_engineer"

[[projects.tasks]]
id = "ingest-b"
estimate = 10
role = "data_engineer"

[[projects.tasks]]
id = "model"
estimate = 5
role = "ml_engineer"
"""


def test_bottlenecks_with_the_real_simulation(tmp_path):
    """Two 10-day data tasks for one data engineer: a second one halves P80; an ML engineer changes nothing."""
    from teamcast.plugins.manager import get_registry

    assert get_registry().priority_rules, "the built-in plugins are not registered (entry points not installed)"
    from teamcast.engine.plan.planfile import read_plan

    path = tmp_path / "plan.toml"
    path.write_text(BOTTLENECK_TOML)
    found = roster.bottlenecks(read_plan(path), trials=200, seed=1)
    assert [b.sentence() for b in found] == [
        "an extra data engineer moves Fraud v2 P80 by −10 days",
        "an extra ML engineer moves Fraud v2 P80 by 0 days",
    ]
