"""The archetype questionnaire, its scoring, and the design review against the lecture's table."""

import json

import pytest
from click.testing import CliRunner

from teamcast.engine.plan.model import Archetype, Plan, frame
from teamcast.engine.practice import org
from teamcast.errors import PlanError

# Hand-made organisations, one per archetype, answered as such an organisation would.
ORGS = {
    Archetype.NASCENT: {  # a logistics SMB with one analyst who tried a model once
        "who_does_ml": "individuals",
        "ml_reports_to": "no_ml_function",
        "path_to_production": "manual",
        "model_maintenance": "nobody",
        "data_control": "ad_hoc",
        "compute": "laptops",
        "hiring": "struggling",
        "feedback_speed": "not_shipped",
        "leadership": "little",
    },
    Archetype.RND: {  # an oil & gas research lab
        "who_does_ml": "research_lab",
        "ml_reports_to": "research_department",
        "path_to_production": "rarely",
        "model_maintenance": "nobody",
        "data_control": "no_control",
        "compute": "research_cluster",
        "hiring": "researchers",
        "feedback_speed": "no_loop",
        "leadership": "long_term_bets",
    },
    Archetype.EMBEDDED: {  # a software company with ML engineers in product teams
        "who_does_ml": "product_teams",
        "ml_reports_to": "engineering_lead",
        "path_to_production": "team_ships",
        "model_maintenance": "builders",
        "data_control": "via_data_engineers",
        "compute": "product_infrastructure",
        "hiring": "grow_engineers",
        "feedback_speed": "weeks",
        "leadership": "per_product",
    },
    Archetype.DIVISION: {  # a bank's central ML division
        "who_does_ml": "central_team",
        "ml_reports_to": "senior_leadership",
        "path_to_production": "handoff",
        "model_maintenance": "ml_team_after_handoff",
        "data_control": "governance",
        "compute": "dedicated_budget",
        "hiring": "talent_density",
        "feedback_speed": "months",
        "leadership": "dedicated_org",
    },
    Archetype.ML_FIRST: {  # an ML-focused big-tech company
        "who_does_ml": "everywhere",
        "ml_reports_to": "ceo_and_teams",
        "path_to_production": "platform",
        "model_maintenance": "users",
        "data_control": "owns_infrastructure",
        "compute": "on_demand",
        "hiring": "top_of_market",
        "feedback_speed": "days",
        "leadership": "ceo_core",
    },
}


def plan_with(answers: dict[str, str], **org_row) -> Plan:
    rows = [{"question": q, "answer": a} for q, a in answers.items()]
    return Plan(org_answers=frame("org_answers", rows), org=frame("org", [org_row]) if org_row else frame("org", []))


@pytest.mark.parametrize("archetype", list(Archetype))
def test_each_hand_made_organisation_gets_its_archetype(archetype):
    assessment = org.assess(plan_with(ORGS[archetype]))
    assert assessment.best is archetype
    assert not assessment.partial and not assessment.contradictions and not assessment.tied
    assert assessment.confidence > 0.6
    assert assessment.scores[archetype] > assessment.scores[assessment.runner_up]


def test_every_option_gives_points_and_has_a_unique_id():
    for question in org.QUESTIONS:
        assert len(set(question.option_ids)) == len(question.option_ids)
        assert all(sum(o.points.values()) > 0 for o in question.options)
    assert len(org.QUESTION_BY_ID) == len(org.QUESTIONS)


def test_confidence_is_the_best_archetypes_share_of_the_points():
    assessment = org.assess(plan_with({"who_does_ml": "product_teams", "data_control": "via_data_engineers"}))
    # product_teams: embedded 3 + ml_first 1; via_data_engineers: embedded 3
    assert assessment.scores[Archetype.EMBEDDED] == 6
    assert assessment.confidence == pytest.approx(6 / 7)
    assert assessment.runner_up is Archetype.ML_FIRST


def test_unanswered_questions_give_a_partial_assessment_that_names_them():
    answers = {q: a for q, a in ORGS[Archetype.DIVISION].items() if q in ("who_does_ml", "ml_reports_to", "leadership")}
    assessment = org.assess(plan_with(answers))
    assert assessment.best is Archetype.DIVISION
    assert assessment.partial
    assert assessment.missing == [
        "path_to_production",
        "model_maintenance",
        "data_control",
        "compute",
        "hiring",
        "feedback_speed",
    ]
    assert (
        "Partial assessment: 6 of 9 questions unanswered (path_to_production, model_maintenance, data_control, "
        "compute, hiring, feedback_speed)." in assessment.explanation()
    )


def test_no_answers_at_all_is_an_assessment_without_a_result():
    assessment = org.assess(Plan())
    assert assessment.best is None and assessment.confidence == 0
    assert assessment.missing == [q.id for q in org.QUESTIONS]
    assert assessment.explanation() == [
        "No questionnaire answers yet: answer the questions under [org.answers] to get an assessment."
    ]


def test_unknown_answer_is_a_problem_at_its_location():
    with pytest.raises(PlanError) as info:
        org.assess(plan_with({"data_control": "maybe"}))
    (problem,) = info.value.problems
    assert str(problem) == (
        "org.answers.data_control: unknown answer 'maybe'; expected one of no_control, ad_hoc, "
        "via_data_engineers, governance, owns_infrastructure"
    )


def test_unknown_question_is_a_problem_at_its_location():
    (problem,) = org.validate_answers(plan_with({"vibes": "good"}))
    assert problem.location == "org.answers.vibes"
    assert problem.message.startswith("unknown question 'vibes'; expected one of who_does_ml, ml_reports_to,")


def test_contradictory_answers_are_pointed_out():
    assessment = org.assess(plan_with({"who_does_ml": "no_one", "ml_reports_to": "senior_leadership"}))
    (contradiction,) = assessment.contradictions
    assert contradiction.questions == ("who_does_ml", "ml_reports_to")
    assert (
        "Contradictory answers: no one does ML, yet an ML group has a reporting line (who_does_ml vs ml_reports_to)."
        in assessment.explanation()
    )


def test_a_belief_that_differs_from_the_answers_is_said():
    assessment = org.assess(plan_with(ORGS[Archetype.EMBEDDED], archetype="ml_first"))
    assert assessment.believed is Archetype.ML_FIRST
    assert "The plan says the organisation is ml_first; the answers point to embedded." in assessment.explanation()


def test_explanation_quotes_the_lectures_profile():
    lines = org.assess(plan_with(ORGS[Archetype.RND])).explanation()
    assert lines[1] == "Typical organisations: larger companies in oil & gas, manufacturing, telecom (Lecture 13, §2)."


# --- design choices ------------------------------------------------------------------------------


def test_the_lectures_table_maps_to_its_ordinal_encoding():
    expected = {
        "swe_vs_research": {"rnd": 0, "embedded": 3, "division": 2, "ml_first": 2},
        "data_ownership": {"rnd": 0, "embedded": 1, "division": 2, "ml_first": 3},
        "model_ownership": {"rnd": 0, "embedded": 3, "division": 2, "ml_first": 1},
    }
    assert {c.column: {str(a): v for a, v in c.expected.items()} for c in org.DESIGN_CHOICES} == expected


def test_design_review_flags_a_mismatch_with_the_lectures_reasoning():
    plan = plan_with({}, swe_vs_research="research", data_ownership="pipelines", model_ownership="team_owns")
    swe, data, model = org.design_review(plan, "embedded")
    assert (swe.status, data.status, model.status) == ("mismatch", "match", "match")
    assert swe.expected == "swe" and swe.source == "Lecture 13, §2"
    assert swe.message == (
        "software engineering vs research emphasis: recorded 'research' (research over software engineering) is "
        "3 step(s) less than the lecture's embedded organisation: SWE over research; researchers need strong "
        "engineering since everyone ships their models (Lecture 13, §2)"
    )


def test_design_review_says_what_is_not_recorded():
    findings = org.design_review(Plan(), "division")
    assert [f.status for f in findings] == ["missing"] * 3
    assert findings[1].message.startswith("data ownership not recorded; the lecture's division organisation: voice")


def test_nascent_review_says_the_lecture_gives_no_table_and_labels_advice_as_teamcasts():
    note, *advice = org.design_review(plan_with({}, swe_vs_research="swe"), Archetype.NASCENT)
    assert note.status == "note"
    assert "gives no team-structure advice for nascent organisations" in note.message
    assert [a.source for a in advice] == ["teamcast"] * 3
    assert all(a.message.endswith("(teamcast's advice)") for a in advice)
    assert advice[0].status == "match"


def test_unknown_design_value_is_a_problem():
    with pytest.raises(PlanError) as info:
        org.design_review(plan_with({}, data_ownership="some"), "rnd")
    assert str(info.value.problems[0]) == (
        "org.data_ownership: unknown value 'some'; expected one of none, pipelines, governance, infrastructure"
    )


# --- CLI -----------------------------------------------------------------------------------------


@pytest.fixture
def load(monkeypatch):
    """Replace the plan loader so CLI tests do not depend on the plan-file reader."""
    from teamcast.engine.commands import org as commands

    def use(plan):
        monkeypatch.setattr(commands, "load_plan", lambda path: plan)

    return use


def test_org_command_prints_assessment_and_design_review(load):
    from teamcast.engine.commands.org import org as org_command

    load(plan_with(ORGS[Archetype.DIVISION], swe_vs_research="swe"))
    result = CliRunner().invoke(org_command, ["plan.toml"])
    assert result.exit_code == 0, result.output
    assert "Closest archetype: Independent ML division (division)" in result.output
    assert "mismatch" in result.output and "swe_vs_research" in result.output


def test_org_command_json(load):
    from teamcast.engine.commands.org import org as org_command

    load(plan_with({"who_does_ml": "no_one"}))
    result = CliRunner().invoke(org_command, ["plan.toml", "--format", "json"])
    data = json.loads(result.output)
    assert data["assessment"]["best"] == "nascent"
    assert data["assessment"]["missing"][0] == "ml_reports_to"
    assert data["design_review"][0]["status"] == "note"


def test_org_command_on_a_plan_file(tmp_path):
    from teamcast.engine.commands.org import org as org_command

    path = tmp_path / "plan.toml"
    path.write_text(
        '[plan]\nname = "x"\nstart = 2027-01-04\n\n'
        '[org]\nname = "Acme"\nswe_vs_research = "research"\n\n'
        '[org.answers]\nwho_does_ml = "research_lab"\ndata_control = "no_control"\n'
    )
    result = CliRunner().invoke(org_command, [str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["assessment"]["best"] == "rnd"
    assert [d["status"] for d in data["design_review"]] == ["match", "missing", "missing"]


def test_org_command_reports_an_unknown_answer_with_its_location(tmp_path):
    from teamcast.engine.commands.org import org as org_command

    path = tmp_path / "plan.toml"
    path.write_text('[plan]\nname = "x"\nstart = 2027-01-04\n\n[org.answers]\ndata_control = "maybe"\n')
    result = CliRunner().invoke(org_command, [str(path)])
    assert isinstance(result.exception, PlanError)
    assert str(result.exception.problems[0]).startswith("org.answers.data_control: unknown answer 'maybe'")


def test_the_docs_list_every_question_answer_and_design_value():
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "org-and-hiring.md").read_text()
    for question in org.QUESTIONS:
        assert f"`{question.id}`" in text
        assert all(f"`{o.id}`" in text for o in question.options), question.id
    for choice in org.DESIGN_CHOICES:
        assert all(f"`{value}` {n}" in text for value, n in choice.values.items()), choice.column
