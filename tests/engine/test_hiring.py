"""Job-posting review, the funnel, expected arrivals and interview scorecards."""

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from teamcast.engine.plan.model import Plan, Role, frame
from teamcast.engine.practice import hiring
from teamcast.errors import NotFoundError

# The lecture's own unicorn posting (Lecture 13, §4).
UNICORN = [
    "keeps up with state of the art",
    "implements models from scratch",
    "invents models",
    "builds infrastructure",
    "builds data pipelines",
    "deploys and monitors",
    "requires a PhD",
    "years of framework and engineering experience",
    "top-venue publications",
    "distributed-systems experience",
]


def test_the_lectures_unicorn_is_flagged_across_at_least_three_roles():
    review = hiring.check_posting(UNICORN, "ml_engineer")
    assert review.is_unicorn and review.too_many
    assert len(review.roles) >= 3
    assert set(review.roles) == {Role.ML_RESEARCHER, Role.ML_ENGINEER, Role.DEVOPS_ENGINEER, Role.DATA_ENGINEER}
    assert review.unmatched == []
    assert review.described == [Role.ML_RESEARCHER]
    assert review.messages() == [
        "10 must-haves (teamcast flags more than 6): be specific about what this person will do (Lecture 13, §4).",
        "Unicorn posting: the must-haves span the core skills of 4 roles: ML researcher (4), ML engineer (2), "
        "DevOps engineer (2), data engineer (2). No one does everything from DevOps to inventing models "
        "(Lecture 13, §4).",
        "Posted as ML engineer, but it mostly describes: ML researcher.",
    ]


def test_a_specific_posting_passes():
    review = hiring.check_posting(["PyTorch", "trains models on real data", "Docker"], "ml_engineer")
    assert not review.is_unicorn and not review.too_many
    assert review.described == [Role.ML_ENGINEER]
    assert review.messages() == []


def test_a_posting_across_two_roles_is_noted_but_not_a_unicorn():
    review = hiring.check_posting(["Airflow", "Kafka", "Kubernetes"], "data_engineer")
    assert not review.is_unicorn
    assert review.messages() == ["The must-haves span two roles: data engineer, DevOps engineer."]


@pytest.mark.parametrize(
    ("phrase", "role"),
    [
        ("A/B tests", Role.DATA_SCIENTIST),
        ("owns the roadmap", Role.ML_PRODUCT_MANAGER),
        ("state-of-the-art NLP", Role.ML_RESEARCHER),
        ("AWS", Role.DEVOPS_ENGINEER),
    ],
)
def test_keywords_place_must_haves(phrase, role):
    assert hiring.roles_of(phrase) == [role]


def test_keywords_match_whole_words_only():
    assert hiring.roles_of("mapreduce sparkling") == []


def test_funnel_with_the_lectures_default_rates():
    result = hiring.funnel(2)
    assert result.stages["offers"] == pytest.approx(2 / 0.59)
    assert result.stages["onsites"] == pytest.approx(2 / 0.59 / 0.31)
    assert result.stages["candidates"] == pytest.approx(2 / 0.59 / 0.31 / 0.32 / 0.17)
    assert "vendor benchmarks (not ML-specific)" in result.rates.source


def test_funnel_with_custom_rates_and_rejects_impossible_ones():
    rates = hiring.FunnelRates(candidate_to_screen=0.5, screen_to_onsite=0.5, onsite_to_offer=0.5, offer_acceptance=1.0)
    assert hiring.funnel(1, rates).stages["candidates"] == pytest.approx(8)
    with pytest.raises(ValueError, match="offer_acceptance must be in"):
        hiring.FunnelRates(offer_acceptance=0)


def test_open_positions_arrive_at_the_pert_mean_of_time_to_hire():
    plan = Plan(
        plan=frame("plan", [{"name": "x", "start": dt.date(2027, 1, 4)}]),
        hires=frame(
            "hires",
            [
                {
                    "id": "req",
                    "role": "ml_researcher",
                    "tth_low": 30.0,
                    "tth_likely": 45.0,
                    "tth_high": 90.0,
                    "must_have": UNICORN,
                }
            ],
        ),
    )
    (position,) = hiring.open_positions(plan)
    assert position.expected_day == pytest.approx(50)
    assert position.expected_date == dt.date(2027, 3, 15)  # 50 working days after Monday 4 January
    assert position.posting.is_unicorn


# --- scorecards ----------------------------------------------------------------------------------


def candidate_plan(role="ml_engineer", strengths=("modelling",), bars=("coding",), cards=()):
    return Plan(
        candidates=frame(
            "candidates", [{"id": "kim", "name": "Kim", "role": role, "strengths": list(strengths), "bars": list(bars)}]
        ),
        scorecards=frame("scorecards", [{"candidate": "kim", **c} for c in cards]),
    )


def test_a_candidate_who_validates_strengths_and_clears_bars():
    review = hiring.review_candidate(
        candidate_plan(
            cards=[
                {"assessment": "applied_ml", "aspect": "modelling", "score": 4.0},
                {"assessment": "ml_theory", "aspect": "modelling", "score": 5.0},
                {"assessment": "pair_coding", "aspect": "coding", "score": 3.0, "minimum": 3.0},
            ]
        ),
        "kim",
    )
    assert review.decision == "clear"
    assert review.strengths[0].status == "validated" and review.strengths[0].mean == 4.5
    assert review.bars[0].status == "cleared"
    assert review.by_assessment == {"applied_ml": 4.0, "ml_theory": 5.0, "pair_coding": 3.0}
    assert review.warnings == []
    assert review.summary() == "clear (validated: modelling; bars missed: none)"


def test_a_missed_bar_uses_the_default_minimum_when_none_is_given():
    review = hiring.review_candidate(
        candidate_plan(
            cards=[
                {"assessment": "applied_ml", "aspect": "modelling", "score": 5.0},
                {"assessment": "pair_coding", "aspect": "coding", "score": 2.0},
            ]
        ),
        "kim",
    )
    assert review.bars[0].threshold == hiring.DEFAULT_MINIMUM
    assert review.decision == "missed_bar"
    assert review.summary() == "missed_bar (validated: modelling; bars missed: coding)"


def test_unvalidated_and_untested_hypotheses():
    plan = candidate_plan(
        strengths=("modelling", "writing"),
        cards=[
            {"assessment": "applied_ml", "aspect": "modelling", "score": 3.0},
            {"assessment": "pair_coding", "aspect": "coding", "score": 4.0},
        ],
    )
    review = hiring.review_candidate(plan, "kim")
    assert [s.status for s in review.strengths] == ["not_validated", "untested"]
    assert review.decision == "unvalidated"


def test_core_ml_candidate_not_tested_on_software_engineering_is_warned():
    review = hiring.review_candidate(
        candidate_plan(
            role="ml_researcher",
            cards=[
                {"assessment": "ml_theory", "aspect": "modelling", "score": 5.0},
                {"assessment": "take_home", "aspect": "coding", "score": 4.0},
            ],
        ),
        "kim",
    )
    assert review.warnings == [
        "an ML researcher candidate should be tested on both ML knowledge and software engineering; "
        "not tested: software engineering (Lecture 13, §4)"
    ]


def test_pair_debugging_ml_code_tests_both_and_adjacent_roles_are_not_warned():
    both = hiring.review_candidate(
        candidate_plan(cards=[{"assessment": "pair_debugging_ml", "aspect": "coding", "score": 4.0}]), "kim"
    )
    assert both.warnings == []
    adjacent = hiring.review_candidate(
        candidate_plan(role="data_engineer", cards=[{"assessment": "pair_coding", "aspect": "coding", "score": 4.0}]),
        "kim",
    )
    assert adjacent.warnings == []


def test_an_assessment_outside_the_lectures_vocabulary_is_noted():
    review = hiring.review_candidate(
        candidate_plan(role="data_engineer", cards=[{"assessment": "vibes", "aspect": "coding", "score": 4.0}]), "kim"
    )
    assert review.warnings[0].startswith("'vibes' is not one of the lecture's assessment types")


def test_unknown_candidate():
    with pytest.raises(NotFoundError, match="no candidate 'lee'"):
        hiring.review_candidate(candidate_plan(), "lee")


def test_hiring_command_json(monkeypatch):
    from teamcast.engine.commands import org as commands

    plan = candidate_plan(cards=[{"assessment": "pair_coding", "aspect": "coding", "score": 2.0}]).replace(
        plan=frame("plan", [{"name": "x", "start": dt.date(2027, 1, 4)}]),
        hires=frame("hires", [{"id": "req", "role": "ml_engineer", "tth_likely": 20.0, "must_have": UNICORN}]),
    )
    monkeypatch.setattr(commands, "load_plan", lambda path: plan)
    result = CliRunner().invoke(commands.hiring, ["p.toml", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["positions"][0]["unicorn"] is True
    assert data["positions"][0]["expected_date"] == "2027-02-01"
    assert data["candidates"][0]["decision"] == "missed_bar"
    text = CliRunner().invoke(commands.hiring, ["p.toml"]).output
    assert "req (ml_engineer): expected day 20 (2027-02-01)" in text
    assert "Funnel per hire: 100.5 candidates -> 17.1 screens" in text


@pytest.mark.parametrize(
    ("must_have", "role", "expected"),
    [
        (["SQL", "Kafka", "Airflow"], "data_engineer", [Role.DATA_ENGINEER]),  # SQL is the posted role's too
        (["SQL", "PyTorch"], "ml_engineer", [Role.DATA_SCIENTIST, Role.ML_ENGINEER]),  # shared: counts once
        (["SQL and dashboards"], "ml_engineer", [Role.DATA_SCIENTIST]),  # dashboards is the data scientist's own
        (["PyTorch and Kubernetes"], "ml_engineer", [Role.ML_ENGINEER, Role.DEVOPS_ENGINEER]),
    ],
)
def test_a_skill_several_roles_share_counts_once(must_have, role, expected):
    assert set(hiring.check_posting(must_have, role).roles) == set(expected)


def test_other_spellings_of_the_lectures_assessments_are_understood():
    review = hiring.review_candidate(
        candidate_plan(
            role="ml_researcher",
            cards=[
                {"assessment": "previous_projects", "aspect": "modelling", "score": 5.0},
                {"assessment": "pair_coding", "aspect": "coding", "score": 4.0},
                {"assessment": "background_and_culture", "aspect": "fit", "score": 4.0},
            ],
        ),
        "kim",
    )
    assert list(review.by_assessment) == ["previous_ml_projects", "pair_coding", "background_culture_fit"]
    assert review.warnings == []
