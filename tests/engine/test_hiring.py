"""Job-posting review, the funnel, expected arrivals and interview scorecards."""

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from teamcast.engine.plan.model import Plan, Role, frame
from teamcast.engine.practice import hiring
from teamcast.errors import NotFoundError

# The "unicorn" posting the 2022 version of the lecture shows (FSDL 2022, Lecture 8).
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


def test_the_2022_unicorn_is_flagged_as_running_from_devops_to_research():
    review = hiring.check_posting(UNICORN, "ml_engineer")
    assert review.is_unicorn and review.too_many
    assert len(review.roles) >= 3
    assert set(review.roles) == {Role.ML_RESEARCHER, Role.ML_ENGINEER, Role.DEVOPS_ENGINEER, Role.DATA_ENGINEER}
    assert review.unmatched == []
    assert review.described == [Role.ML_RESEARCHER]
    assert review.both_ends
    assert review.messages() == [
        "10 must-haves (teamcast flags more than 6): be specific about what is a must-have (Lecture 13, §4).",
        "Unicorn posting: the must-haves run from infrastructure/DevOps (builds infrastructure, deploys and "
        "monitors) to research and invention (keeps up with state of the art, invents models, requires a PhD, "
        "top-venue publications); no one person does everything from full-fledged DevOps to algorithm "
        "development (Lecture 13, §4). Roles: ML researcher (4), ML engineer (2), DevOps engineer (2), data "
        "engineer (2) (the unicorn rule is teamcast's).",
        "Posted as ML engineer, but it mostly describes: ML researcher.",
        "Requires a PhD (requires a PhD): the lecture advises staying open to people without PhDs and from "
        "physics, statistics and other fields (Lecture 13, §4); consider making it a nice-to-have.",
    ]


def test_a_specific_posting_passes():
    review = hiring.check_posting(["PyTorch", "trains models on real data", "Docker"], "ml_engineer")
    assert not review.is_unicorn and not review.too_many
    assert review.described == [Role.ML_ENGINEER]
    assert review.messages() == []


def test_a_posting_across_two_roles_is_noted_but_not_a_unicorn():
    review = hiring.check_posting(["Airflow", "Kafka", "Kubernetes"], "data_engineer")
    assert not review.is_unicorn
    assert review.messages() == [
        "The must-haves span 2 roles (data engineer (2), DevOps engineer (1)); fine for one job (not a unicorn by "
        "teamcast's rule)."
    ]


def test_three_specific_must_haves_across_three_roles_are_not_a_unicorn():
    # The lecture warns against asking one person for everything from DevOps to algorithm development;
    # an ML engineer who knows PyTorch, Kubernetes and Airflow is a normal hire.
    review = hiring.check_posting(["PyTorch", "Kubernetes", "Airflow"], "ml_engineer")
    assert len(review.roles) == 3
    assert not review.is_unicorn and not review.too_many and not review.both_ends


def test_far_more_than_one_role_is_a_unicorn_even_without_research():
    review = hiring.check_posting(["PyTorch", "Kubernetes", "Airflow", "dashboards"], "ml_engineer")
    assert review.is_unicorn and not review.both_ends
    assert "teamcast flags 4 or more" in review.messages()[0]


def test_devops_and_research_together_make_a_unicorn_even_when_short():
    review = hiring.check_posting(["Kubernetes", "publications at top venues"], "ml_engineer")
    assert review.is_unicorn and review.both_ends


@pytest.mark.parametrize(
    ("must_have", "requires"),
    [
        (["PhD in statistics"], True),
        (["Ph.D. in CS"], True),
        (["PhD or equivalent industry experience"], False),
        (["PhD preferred"], False),
        (["PyTorch"], False),
    ],
)
def test_a_posting_that_requires_a_phd_is_flagged(must_have, requires):
    review = hiring.check_posting(must_have, "ml_researcher")
    assert bool(review.requires_phd) is requires
    assert any("without PhDs" in m for m in review.messages()) is requires


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


def test_funnel_defaults_are_general_tech_hiring_benchmarks_not_the_lectures():
    result = hiring.funnel(2)
    assert result.stages["offers"] == pytest.approx(2 / 0.59)
    assert result.stages["onsites"] == pytest.approx(2 / 0.59 / 0.31)
    assert result.stages["candidates"] == pytest.approx(2 / 0.59 / 0.31 / 0.32 / 0.17)
    assert result.rates.source == "general tech-hiring benchmarks (Lever 2017 and others), not ML-specific"
    assert "Lecture" not in result.rates.source and "not from the lecture" in hiring.BENCHMARK_NOTE


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


def test_a_candidate_not_tested_on_software_engineering_is_warned_and_never_clear():
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
        "an ML researcher candidate should be tested on both ML knowledge and software engineering, whatever the "
        "role; not tested: software engineering (Lecture 13, §4)"
    ]
    # every strength validated and no bar asked for: it would be "clear" if it were not for the gap
    assert review.decision == "incomplete: not tested on software engineering"
    assert review.untested_areas == ["software engineering"]


def test_pair_debugging_ml_code_tests_both_and_adjacent_roles_are_warned_too():
    both = hiring.review_candidate(
        candidate_plan(cards=[{"assessment": "pair_debugging_ml", "aspect": "coding", "score": 4.0}]), "kim"
    )
    assert both.warnings == []
    # the lecture: test both for all industry professionals, not only core-ML roles
    adjacent = hiring.review_candidate(
        candidate_plan(role="data_engineer", cards=[{"assessment": "pair_coding", "aspect": "coding", "score": 4.0}]),
        "kim",
    )
    assert adjacent.warnings == [
        "a data engineer candidate should be tested on both ML knowledge and software engineering, whatever the "
        "role; not tested: ML knowledge (Lecture 13, §4)"
    ]
    assert adjacent.decision.startswith("incomplete: not tested on ML knowledge")


def test_an_assessment_outside_the_lectures_vocabulary_is_noted():
    review = hiring.review_candidate(
        candidate_plan(role="data_engineer", cards=[{"assessment": "vibes", "aspect": "coding", "score": 4.0}]), "kim"
    )
    assert review.warnings[0].startswith(
        "'vibes' is not one of the lecture's assessment types (Lecture 13, §4 (figure)); use one of: "
        "background_culture_fit, "
    )


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
    assert text.startswith("Context: Estimates of how many people have built real ML systems range from 10,000 to ")
    assert "3.6 M software developers in the US and 18.2 M worldwide (Lecture 13, §4)" in text
    assert "  advice: hire for software engineering, interest in ML and desire to learn (Lecture 13, §4)" in text
    assert "sourcing (the lecture's channels, teamcast's pick for the role): people with good public " in text
    assert "What ML practitioners want, and how to attract them (Lecture 13, §4 (figure)):" in text
    assert "  [ ] they want to learn -> reading groups and a learning budget" in text
    assert data["attract"]["source"] == "Lecture 13, §4 (figure)" and len(data["attract"]["checklist"]) == 5
    assert data["positions"][0]["sourcing_channels"][0] == "people with good public implementations of papers"
    assert data["positions"][0]["requires_phd"] == ["requires a PhD"]


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
                {"assessment": "background", "aspect": "fit", "score": 4.0},
            ],
        ),
        "kim",
    )
    assert list(review.by_assessment) == ["previous_ml_projects", "pair_coding", "background_culture_fit"]
    assert review.warnings == []


def test_advice_per_role_family():
    from teamcast.engine.practice.hiring_advice import advice_for

    adjacent = advice_for("devops_engineer")
    assert adjacent.family == "ml_adjacent"
    assert any("demonstrated interest, conversational understanding and experience" in a for a in adjacent.advice)
    researcher = advice_for("ml_researcher")
    assert any("quality, not quantity" in a for a in researcher.advice)
    assert any("without PhDs" in a for a in researcher.advice)
    assert researcher.channels[0] == "arXiv and conference first authors"
    junior = advice_for("ml_engineer", ["PyTorch", "7+ years of production ML"])
    assert any("shuts out the junior talent" in a for a in junior.advice)
    assert not any("shuts out" in a for a in advice_for("ml_engineer", ["PyTorch", "2 years of Python"]).advice)


def test_hiring_command_in_a_subprocess_on_the_demo():
    import subprocess
    import sys
    from pathlib import Path

    from teamcast.engine.plan.demo import DEMO_PATH

    teamcast = Path(sys.executable).parent / "teamcast"
    run = subprocess.run([str(teamcast), "hiring", str(DEMO_PATH)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Requires a PhD (PhD in machine learning)" in out
    assert "Candidate cand-marcus (ml_researcher): incomplete: not tested on software engineering" in out
    assert "not from the lecture" in out
