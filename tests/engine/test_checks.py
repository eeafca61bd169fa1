"""The built-in health checks, the runner, the plugin module and the `check` command."""

import json
from types import SimpleNamespace

import polars as pl
import pytest
from click.testing import CliRunner

from teamcast.engine.plan.model import Plan, frame
from teamcast.engine.practice import checks

PEOPLE = [{"id": "ana", "role": "ml_engineer"}, {"id": "rui", "role": "ml_researcher"}]


def healthy() -> Plan:
    """A plan that follows every practice the built-in checks look for."""
    return Plan(
        people=frame("people", PEOPLE),
        projects=frame("projects", [{"id": "fraud", "name": "Fraud v2", "impact": "Cut chargebacks by ~15%"}]),
        tasks=frame(
            "tasks",
            [
                {
                    "id": "fraud-baseline",
                    "project": "fraud",
                    "title": "End-to-end baseline pipeline",
                    "kind": "engineering",
                    "role": "ml_engineer",
                },
                {
                    "id": "fraud-gbm",
                    "project": "fraud",
                    "kind": "research",
                    "p_success": 0.5,
                    "role": "ml_researcher",
                    "after": ["fraud-baseline"],
                },
                {
                    "id": "fraud-gnn",
                    "project": "fraud",
                    "kind": "research",
                    "p_success": 0.5,
                    "assignee": "rui",
                    "after": ["fraud-baseline"],
                },
            ],
        ),
        challenges=frame(
            "challenges",
            [
                {
                    "id": "fraud-beat",
                    "project": "fraud",
                    "strategy": "parallel",
                    "approaches": ["fraud-gbm", "fraud-gnn"],
                }
            ],
        ),
        hires=frame("hires", [{"id": "req", "role": "ml_engineer", "must_have": ["PyTorch", "Docker"]}]),
        candidates=frame(
            "candidates", [{"id": "kim", "role": "ml_engineer", "strengths": ["modelling"], "bars": ["coding"]}]
        ),
        scorecards=frame(
            "scorecards",
            [
                {"candidate": "kim", "assessment": "applied_ml", "aspect": "modelling", "score": 4.0},
                {"candidate": "kim", "assessment": "pair_coding", "aspect": "coding", "score": 3.0, "minimum": 3.0},
            ],
        ),
    )


def run(check, plan) -> list[tuple[str, str]]:
    return [(f.location, f.message) for f in check(plan)]


def test_a_healthy_plan_has_no_findings():
    assert checks.run_checks(healthy(), SimpleNamespace(checks={c.name: c for c in checks.BUILTIN_CHECKS})) == []


def test_project_without_a_baseline():
    plan = healthy().replace(tasks=healthy().tasks.filter(~healthy().tasks["id"].str.contains("baseline")))
    assert run(checks.early_baseline, plan) == [
        ("projects.fraud", "no end-to-end baseline task; build the whole pipeline early to show quick wins"),
    ]


def test_a_baseline_that_comes_late():
    tasks = frame(
        "tasks",
        [
            {"id": "a", "project": "fraud"},
            {"id": "b", "project": "fraud", "after": ["a"]},
            {"id": "e2e", "project": "fraud", "title": "e2e demo", "after": ["b"]},
        ],
    )
    assert run(checks.early_baseline, healthy().replace(tasks=tasks)) == [
        ("projects.fraud", "the baseline task 'e2e' waits on 2 layers of work; move it earlier"),
    ]


def test_research_on_a_single_approach():
    plan = healthy().replace(
        challenges=frame("challenges", [{"id": "fraud-beat", "project": "fraud", "approaches": ["fraud-gbm"]}])
    )
    assert run(checks.portfolio_of_approaches, plan) == [
        (
            "tasks.fraud-gnn",
            "research task with a single approach; add alternatives in a challenge so the plan "
            "does not depend on one idea",
        ),
        (
            "challenges.fraud-beat",
            "challenge with one approach; add an independent alternative (teamcast's arithmetic: two "
            "independent approaches at 50% give 75%)",
        ),
    ]


def test_research_without_a_likelihood():
    tasks = healthy().tasks.with_columns(p_success=None)
    locations = [loc for loc, _ in run(checks.research_likelihood, healthy().replace(tasks=tasks))]
    assert locations == ["tasks.fraud-gbm", "tasks.fraud-gnn"]


def test_researchers_without_an_engineer():
    tasks = healthy().tasks.filter(healthy().tasks["kind"] == "research")
    assert run(checks.researchers_with_engineers, healthy().replace(tasks=tasks)) == [
        (
            "projects.fraud",
            "researchers work on this project without an engineer; pair them so models reach production",
        ),
    ]


@pytest.mark.parametrize(
    ("impact", "flagged"),
    [
        ("F1 up 0.2", True),
        ("AUC 0.91 on the holdout", True),
        ("", True),
        (None, True),
        ("Lift conversions ~10%, still validating on more demographics", False),
        ("Recall +5 points, which cuts chargebacks by ~3%", False),
    ],
)
def test_impact_stated_as_a_model_metric(impact, flagged):
    plan = healthy().replace(projects=frame("projects", [{"id": "fraud", "impact": impact}]))
    assert bool(checks.product_impact(plan)) is flagged


def test_model_metric_message():
    plan = healthy().replace(projects=frame("projects", [{"id": "fraud", "impact": "F1 up 0.2"}]))
    assert run(checks.product_impact, plan) == [
        (
            "projects.fraud.impact",
            "impact 'F1 up 0.2' is a model metric; state the product impact and its risk for leadership",
        ),
    ]


def test_unicorn_posting():
    hires = frame(
        "hires",
        [
            {
                "id": "req",
                "role": "ml_engineer",
                "must_have": ["invents models", "builds data pipelines", "deploys and monitors"],
            }
        ],
    )
    unicorn, describes = checks.specific_postings(healthy().replace(hires=hires))
    assert unicorn.location == describes.location == "hires.req.must_have"
    assert unicorn.message.startswith(
        "Unicorn posting: the must-haves run from infrastructure/DevOps (deploys and monitors) to research and "
        "invention (invents models)"
    )
    assert "(the unicorn rule is teamcast's)" in unicorn.message
    assert describes.message == (
        "Posted as ML engineer, but it mostly describes: ML researcher, data engineer, DevOps engineer."
    )


def test_scorecards_without_a_minimum_bar():
    plan = healthy().replace(
        candidates=frame(
            "candidates",
            [
                {"id": "kim", "role": "ml_engineer", "strengths": ["modelling"], "bars": ["coding"]},
                {"id": "lee", "role": "data_engineer", "strengths": ["spark"]},
            ],
        ),
        scorecards=healthy().scorecards.with_columns(minimum=None),
    )
    assert run(checks.minimum_bars, plan) == [
        ("scorecards.kim.pair_coding", "bar 'coding' has no minimum; teamcast assumes 3 of 5"),
        (
            "candidates.lee.bars",
            "no minimum bar on the candidate's weaker aspects; name the aspects to test a floor on",
        ),
    ]


def test_core_ml_candidate_tested_on_ml_only():
    cards = healthy().scorecards.filter(healthy().scorecards["assessment"] == "applied_ml")
    (finding,) = checks.ml_and_swe_tested(healthy().replace(scorecards=cards))
    assert finding.location == "candidates.kim"
    assert "not tested: software engineering" in finding.message


def test_org_design_points_out_contradictions_mismatches_and_bad_answers():
    plan = healthy().replace(
        org_answers=frame(
            "org_answers",
            [
                {"question": "who_does_ml", "answer": "no_one"},
                {"question": "ml_reports_to", "answer": "senior_leadership"},
            ],
        ),
        org=frame("org", [{"swe_vs_research": "swe"}]),
    )
    findings = run(checks.org_design, plan)
    assert findings[0] == (
        "org.answers",
        "contradictory answers (who_does_ml vs ml_reports_to): no one does ML, yet an ML group has a reporting line",
    )
    bad = plan.replace(org_answers=frame("org_answers", [{"question": "data_control", "answer": "maybe"}]))
    (error,) = checks.org_design(bad)
    assert error.severity == "error" and error.location == "org.answers.data_control"


def test_a_broken_check_becomes_an_error_finding_and_the_others_still_run():
    def broken(plan):
        raise RuntimeError("boom")

    registry = SimpleNamespace(
        checks={
            "broken": checks.HealthCheck("broken", "elsewhere", broken),
            "product_impact": checks.HealthCheck("product_impact", checks.MANAGING, checks.product_impact),
        }
    )
    plan = healthy().replace(projects=frame("projects", [{"id": "fraud", "impact": "F1 up 0.2"}]))
    first, second = checks.run_checks(plan, registry)
    assert (first.check, first.severity, first.message) == ("broken", "error", "check failed: RuntimeError('boom')")
    assert second.check == "product_impact"


def test_a_check_that_calls_sys_exit_becomes_an_error_finding():
    def exits(plan):
        raise SystemExit(0)  # would end `teamcast check` with status 0 and hide every finding

    registry = SimpleNamespace(checks={"exits": checks.HealthCheck("exits", "elsewhere", exits)})
    (finding,) = checks.run_checks(healthy(), registry)
    assert (finding.check, finding.severity, finding.message) == ("exits", "error", "check failed: SystemExit(0)")


def test_every_builtin_check_names_a_lecture_section_and_the_plugin_registers_them_all():
    from teamcast.plugins.manager import get_registry

    registered = []
    checks.register_checks(registered.append)
    assert registered == checks.BUILTIN_CHECKS
    # and the entry point `health` loads them like any plugin's
    assert {c.name for c in registered} <= set(get_registry().checks)
    # every section cites the lecture, except the one that says its checks are not from it
    assert all(
        (c.section.startswith("Lecture 13, §") or c.section == checks.BEYOND) and c.description for c in registered
    )
    assert [c.name for c in registered if c.section == checks.BEYOND] == ["technical_debt"]
    assert len({c.name for c in registered}) == len(registered)


def test_check_command_groups_by_section_and_exits_0(monkeypatch):
    from teamcast.engine.commands import org as commands

    plan = healthy().replace(projects=frame("projects", [{"id": "fraud", "impact": "F1 up 0.2"}]))
    monkeypatch.setattr(commands, "load_plan", lambda path: plan)
    monkeypatch.setattr(checks, "_registered_checks", lambda: checks.BUILTIN_CHECKS)
    result = CliRunner().invoke(commands.check, ["p.toml"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Lecture 13, §3: managing ML teams",
        "  warning: projects.fraud.impact: impact 'F1 up 0.2' is a model metric; state the product impact and its "
        "risk for leadership [product_impact]",
    ]
    assert CliRunner().invoke(commands.check, ["p.toml", "--strict"]).exit_code == 1
    data = json.loads(CliRunner().invoke(commands.check, ["p.toml", "--format", "json"]).output)
    assert data["findings"][0]["section"] == "Lecture 13, §3: managing ML teams"
    assert data["findings"][0]["check"] == "product_impact"


def test_check_command_says_when_no_check_is_registered(monkeypatch):
    from teamcast.engine.commands import org as commands
    from teamcast.errors import TeamcastError

    monkeypatch.setattr(commands, "load_plan", lambda path: healthy())
    monkeypatch.setattr(checks, "_registered_checks", lambda: [])
    result = CliRunner().invoke(commands.check, ["p.toml"])
    assert isinstance(result.exception, TeamcastError)
    assert "no health checks are registered" in result.exception.message


PLAN_TOML = """
[plan]
name = "Tiny"
start = 2027-01-04

[[people]]
id = "rui"
role = "ml_researcher"

[[projects]]
id = "rank"
name = "Ranking"
impact = "NDCG up 3 points"

[[projects.tasks]]
id = "rank-idea"
title = "Try a new loss"
kind = "research"
estimate = [5, 10, 30]
role = "ml_researcher"
"""


def test_check_command_on_a_plan_file(tmp_path, monkeypatch):
    from teamcast.engine.commands import org as commands

    monkeypatch.setattr(checks, "_registered_checks", lambda: checks.BUILTIN_CHECKS)
    path = tmp_path / "plan.toml"
    path.write_text(PLAN_TOML)
    result = CliRunner().invoke(commands.check, [str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    found = {(f["check"], f["location"]) for f in json.loads(result.output)["findings"]}
    assert found == {
        ("early_baseline", "projects.rank"),
        ("portfolio_of_approaches", "tasks.rank-idea"),
        ("research_likelihood", "tasks.rank-idea"),
        ("researchers_with_engineers", "projects.rank"),
        ("product_impact", "projects.rank.impact"),
    }


def test_a_normal_posting_with_three_specific_must_haves_is_not_a_unicorn():
    hires = frame("hires", [{"id": "req", "role": "ml_engineer", "must_have": ["PyTorch", "Kubernetes", "Airflow"]}])
    assert checks.specific_postings(healthy().replace(hires=hires)) == []


def test_a_candidate_of_any_role_must_be_tested_on_ml_and_software_engineering():
    plan = healthy().replace(
        candidates=frame("candidates", [{"id": "dee", "role": "data_engineer", "strengths": ["spark"]}]),
        scorecards=frame(
            "scorecards", [{"candidate": "dee", "assessment": "pair_coding", "aspect": "spark", "score": 4.5}]
        ),
    )
    (finding,) = checks.ml_and_swe_tested(plan)
    assert finding.location == "candidates.dee"
    assert "not tested: ML knowledge" in finding.message


def test_a_posting_that_requires_a_phd():
    hires = frame(
        "hires",
        [
            {"id": "r1", "role": "ml_researcher", "must_have": ["PhD in machine learning", "PyTorch"]},
            {"id": "r2", "role": "ml_researcher", "must_have": ["PhD or equivalent experience", "PyTorch"]},
        ],
    )
    (finding,) = checks.open_to_non_phds(healthy().replace(hires=hires))
    assert finding.location == "hires.r1.must_have"
    assert "without PhDs" in finding.message and "(Lecture 13, §4)" in finding.message


def _long_plan(extra_kind: str | None = None) -> Plan:
    tasks = [
        {"id": f"t{i}", "project": "fraud", "title": f"feature {i}", "kind": "engineering", "est_likely": 10.0}
        for i in range(13)
    ]
    if extra_kind:
        tasks.append({"id": "cleanup", "project": "fraud", "title": "retire old jobs", "kind": extra_kind})
    return healthy().replace(tasks=frame("tasks", tasks))


def test_a_long_plan_without_maintenance_work_is_flagged_as_teamcasts_check():
    (finding,) = checks.technical_debt(_long_plan())
    assert finding.location == "tasks"
    assert "13 open tasks, about 130 days of effort" in finding.message
    assert "Sculley et al., 2014" in finding.message and "(teamcast's check)" in finding.message
    assert "Lecture 13" not in finding.message
    assert checks.technical_debt(_long_plan("maintenance")) == []
    assert checks.technical_debt(healthy()) == []  # a short plan


def _with_log(status: str, outcomes: list[str]) -> Plan:
    plan = healthy()
    tasks = plan.tasks.with_columns(status=pl.when(pl.col("id") == "fraud-gbm").then(pl.lit(status)))
    challenges = plan.challenges.with_columns(title=pl.lit("Beat the rules by 5 points"))
    experiments = frame(
        "experiments",
        [{"person": "rui", "task": "fraud-gbm", "tried": f"idea {i}", "outcome": o} for i, o in enumerate(outcomes)],
    )
    return plan.replace(tasks=tasks, challenges=challenges, experiments=experiments)


def test_the_experiments_log_calls_for_re_evaluating_a_stalling_approach():
    stalled = _with_log("doing", ["+4 pts", "+1 pt", "no change", "+0.5 pt"])
    (finding,) = checks.reevaluate_approaches(stalled)
    assert finding.location == "tasks.fraud-gbm"
    assert finding.message.startswith("best reported gain +4 pts of the 5 its challenge asks for")
    assert "stalling" in finding.message and "(teamcast's reading of the log)" in finding.message
    assert checks.reevaluate_approaches(_with_log("doing", ["+1 pt", "no change", "+2 pts", "+3 pts"])) == []
    (reached,) = checks.reevaluate_approaches(_with_log("doing", ["+2 pts", "+5.5 pts"]))
    assert "goal looks reached" in reached.message


def test_experiments_logged_on_work_that_has_not_started_are_pointed_out():
    (finding,) = checks.reevaluate_approaches(_with_log("todo", ["+1 pt"]))
    assert "has not started" in finding.message
