"""Which of the five organisation archetypes (Lecture 13, §2) a plan's organisation resembles, and
how its three team-structure design choices compare with the lecture's table for that archetype.

The questionnaire, its scoring table, the confidence figure and the ordinal encoding of the design
choices are teamcast's own; the archetypes, their upsides and downsides and the table of design
choices are the lecture's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from teamcast.engine.plan.model import Archetype, Plan

# The design review has its own module; its names stay importable from here (re-exports).
from teamcast.engine.practice.design import (  # noqa: F401
    DESIGN_CHOICES,
    NASCENT_ADVICE,
    DesignChoice,
    DesignFinding,
    design_review,
    ordinal,
    validate_design,
)
from teamcast.errors import PlanError, Problem

LECTURE = "Lecture 13, §2"
TEAMCAST = "teamcast"

A = Archetype


@dataclass(frozen=True)
class Option:
    """One answer to a question and the points it gives each archetype (teamcast's scoring table)."""

    id: str
    text: str
    points: dict[Archetype, int]


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    options: tuple[Option, ...]

    def option(self, answer_id: str) -> Option | None:
        return next((o for o in self.options if o.id == answer_id), None)

    @property
    def option_ids(self) -> list[str]:
        return [o.id for o in self.options]


# Points are teamcast's: 3 for the archetype an answer describes, 1 for one it is compatible with.
QUESTIONS: tuple[Question, ...] = (
    Question(
        "who_does_ml",
        "Who does machine-learning work today?",
        (
            Option("no_one", "No one yet, or one person on the side", {A.NASCENT: 3}),
            Option("individuals", "A few individuals, ad hoc, wherever a need comes up", {A.NASCENT: 2, A.EMBEDDED: 1}),
            Option("research_lab", "A research group or R&D lab", {A.RND: 3}),
            Option("product_teams", "ML people inside product and engineering teams", {A.EMBEDDED: 3, A.ML_FIRST: 1}),
            Option("central_team", "A central ML team that serves the business lines", {A.DIVISION: 3}),
            Option("everywhere", "ML experts across the business, plus a central group", {A.ML_FIRST: 3}),
        ),
    ),
    Question(
        "ml_reports_to",
        "Where does ML report?",
        (
            Option("no_ml_function", "Nowhere: there is no ML function", {A.NASCENT: 3}),
            Option("research_department", "A research or R&D department", {A.RND: 3}),
            Option("engineering_lead", "The engineering lead of each product team", {A.EMBEDDED: 3}),
            Option(
                "senior_leadership",
                "A central ML division reporting to senior leadership or the CEO",
                {A.DIVISION: 3, A.ML_FIRST: 1},
            ),
            Option(
                "ceo_and_teams", "Both: a central division under the CEO and ML leads in every team", {A.ML_FIRST: 3}
            ),
        ),
    ),
    Question(
        "path_to_production",
        "How do models reach production?",
        (
            Option("rarely", "They rarely do; the results are prototypes and reports", {A.RND: 3, A.NASCENT: 1}),
            Option("manual", "Manual one-off deployments by whoever built the model", {A.NASCENT: 3}),
            Option(
                "team_ships", "The team that built a model ships it in its own product", {A.EMBEDDED: 3, A.ML_FIRST: 1}
            ),
            Option("handoff", "Models are handed to business-line teams who must adopt them", {A.DIVISION: 3}),
            Option("platform", "A company platform makes deployment routine everywhere", {A.ML_FIRST: 3}),
        ),
    ),
    Question(
        "model_maintenance",
        "Who maintains models once they are in production?",
        (
            Option("nobody", "Nobody in particular, or nothing is in production", {A.NASCENT: 2, A.RND: 2}),
            Option("builders", "The ML engineers who built and deployed them", {A.EMBEDDED: 3}),
            Option("ml_team_after_handoff", "The central ML team, even after handing them to users", {A.DIVISION: 3}),
            Option("users", "The teams that use them operate and maintain them", {A.ML_FIRST: 3}),
        ),
    ),
    Question(
        "data_control",
        "How much control does ML have over data?",
        (
            Option(
                "no_control",
                "Little: quality data is hard to get and there are no data engineers",
                {A.RND: 3, A.NASCENT: 1},
            ),
            Option("ad_hoc", "Exports and spreadsheets, when someone asks", {A.NASCENT: 3}),
            Option(
                "via_data_engineers",
                "We don't own data production; we build pipelines with data engineers",
                {A.EMBEDDED: 3},
            ),
            Option("governance", "A voice in data governance and a strong data-engineering function", {A.DIVISION: 3}),
            Option("owns_infrastructure", "ML owns company-wide data infrastructure", {A.ML_FIRST: 3}),
        ),
    ),
    Question(
        "compute",
        "How does ML get compute?",
        (
            Option("laptops", "Laptops and whatever is at hand", {A.NASCENT: 3}),
            Option(
                "product_infrastructure", "It shares the product's infrastructure and waits its turn", {A.EMBEDDED: 3}
            ),
            Option("research_cluster", "A research cluster on a modest budget", {A.RND: 3}),
            Option(
                "dedicated_budget", "A dedicated ML budget that the ML leaders control", {A.DIVISION: 3, A.ML_FIRST: 1}
            ),
            Option("on_demand", "Abundant, on demand, from a company platform", {A.ML_FIRST: 3}),
        ),
    ),
    Question(
        "hiring",
        "How is hiring ML talent going?",
        (
            Option("struggling", "Hard to hire and hard to keep people", {A.NASCENT: 3, A.EMBEDDED: 1}),
            Option("researchers", "We can hire experienced researchers", {A.RND: 3}),
            Option(
                "grow_engineers", "We hire software engineers and grow them; top ML talent is hard", {A.EMBEDDED: 3}
            ),
            Option("talent_density", "A dense ML team attracts strong people", {A.DIVISION: 3}),
            Option("top_of_market", "Strong candidates seek us out", {A.ML_FIRST: 3}),
        ),
    ),
    Question(
        "feedback_speed",
        "How long from an ML idea to feedback from the product?",
        (
            Option("not_shipped", "We have not shipped anything with ML yet", {A.NASCENT: 3}),
            Option("no_loop", "There is no loop; ideas seldom reach a product", {A.RND: 3}),
            Option("months", "Months: hand-offs, and users must buy in and learn", {A.DIVISION: 3}),
            Option("weeks", "Weeks: the same team builds and ships", {A.EMBEDDED: 3, A.ML_FIRST: 1}),
            Option("days", "Days: experiments ship routinely", {A.ML_FIRST: 3}),
        ),
    ),
    Question(
        "leadership",
        "How does leadership invest in ML?",
        (
            Option("little", "Little interest or budget", {A.NASCENT: 3}),
            Option("long_term_bets", "Small, long-horizon bets that are hard to grow", {A.RND: 3}),
            Option("per_product", "Feature by feature, inside product budgets", {A.EMBEDDED: 3}),
            Option("dedicated_org", "A dedicated ML organisation led by a senior leader", {A.DIVISION: 3}),
            Option("ceo_core", "The CEO treats ML as core to the strategy", {A.ML_FIRST: 3}),
        ),
    ),
)

QUESTION_BY_ID: dict[str, Question] = {q.id: q for q in QUESTIONS}

# Pairs of answers that cannot both be true; each is pointed out with the reason.
CONTRADICTIONS: tuple[tuple[str, frozenset[str], str, frozenset[str], str], ...] = (
    (
        "who_does_ml",
        frozenset({"no_one"}),
        "ml_reports_to",
        frozenset({"senior_leadership", "ceo_and_teams", "research_department"}),
        "no one does ML, yet an ML group has a reporting line",
    ),
    (
        "who_does_ml",
        frozenset({"no_one"}),
        "path_to_production",
        frozenset({"team_ships", "handoff", "platform"}),
        "no one does ML, yet models reach production regularly",
    ),
    (
        "ml_reports_to",
        frozenset({"no_ml_function"}),
        "who_does_ml",
        frozenset({"research_lab", "central_team", "everywhere"}),
        "there is no ML function, yet an ML group exists",
    ),
    (
        "path_to_production",
        frozenset({"rarely"}),
        "model_maintenance",
        frozenset({"builders", "ml_team_after_handoff", "users"}),
        "models rarely reach production, yet someone maintains models in production",
    ),
    (
        "model_maintenance",
        frozenset({"nobody"}),
        "path_to_production",
        frozenset({"team_ships", "handoff", "platform"}),
        "models reach production regularly, yet nobody maintains them",
    ),
    (
        "feedback_speed",
        frozenset({"not_shipped"}),
        "path_to_production",
        frozenset({"team_ships", "handoff", "platform"}),
        "nothing with ML has shipped, yet models reach production regularly",
    ),
)


@dataclass(frozen=True)
class ArchetypeProfile:
    """The lecture's description of an archetype (Lecture 13, §2)."""

    title: str
    typical: str
    upside: str
    downside: str


PROFILES: dict[Archetype, ArchetypeProfile] = {
    A.NASCENT: ArchetypeProfile(
        "Nascent / ad-hoc ML",
        "small and medium businesses; less tech-forward large companies (education, logistics)",
        "low-hanging fruit for ML",
        "little support for ML work; hard to hire and keep talent",
    ),
    A.RND: ArchetypeProfile(
        "Research & development ML",
        "larger companies in oil & gas, manufacturing, telecom",
        "can hire experienced researchers; long-term wins",
        "quality data is hard to get; work rarely turns into business value, so investment stays small",
    ),
    A.EMBEDDED: ArchetypeProfile(
        "Product-embedded ML",
        "software or financial-services companies; ML people report to the team's engineering lead",
        "improvements are likely to become business value; a tight loop from idea to product",
        "hard to hire and develop top talent; data and compute access lags; ML work cycles clash with "
        "engineering management; long-term projects are hard to justify",
    ),
    A.DIVISION: ArchetypeProfile(
        "Independent ML division",
        "often large financial-services companies; reports to senior leadership; ML PMs with researchers "
        "and engineers; may publish",
        "talent density; leaders can marshal data and compute; investment in tooling, practice and culture",
        "hand-offs to business lines are hard (users must buy in and learn); slow feedback",
    ),
    A.ML_FIRST: ArchetypeProfile(
        "ML-first",
        "big tech and ML-focused startups; the CEO invests; experts across the business on quick wins, "
        "a central division on long-term work",
        "the best data access; the strongest recruiting; the easiest deployment",
        "culturally hard to embed ML thinking everywhere",
    ),
}


@dataclass(frozen=True)
class Contradiction:
    questions: tuple[str, str]
    message: str


@dataclass(frozen=True)
class Assessment:
    """Every archetype's score, the best match and how sure teamcast is of it."""

    scores: dict[Archetype, int]
    best: Archetype | None  # None when no question is answered
    runner_up: Archetype | None
    confidence: float  # the best archetype's share of all points given (teamcast's measure); 0 when unanswered
    answered: list[str]
    missing: list[str]  # ids of unanswered questions
    contradictions: list[Contradiction]
    believed: Archetype | None  # what [org] archetype says the organisation is, if anything

    @property
    def partial(self) -> bool:
        return bool(self.missing)

    @property
    def tied(self) -> bool:
        return (
            self.runner_up is not None
            and self.best is not None
            and self.scores[self.runner_up] == self.scores[self.best]
        )

    def explanation(self) -> list[str]:
        """Sentences for a person: the result, its lecture profile, and what weakens it."""
        if self.best is None:
            return ["No questionnaire answers yet: answer the questions under [org.answers] to get an assessment."]
        profile = PROFILES[self.best]
        assert self.runner_up is not None  # assess sets it whenever it sets best
        lines = [
            f"Closest archetype: {profile.title} ({self.best}), {self.confidence:.0%} of the points "
            f"(teamcast's measure); runner-up {PROFILES[self.runner_up].title} ({self.runner_up}).",
            f"Typical organisations: {profile.typical} ({LECTURE}).",
            f"Upside: {profile.upside}. Downside: {profile.downside} ({LECTURE}).",
        ]
        if self.tied:
            lines.append(f"{self.best} and {self.runner_up} are tied; the answers do not separate them.")
        if self.missing:
            lines.append(
                f"Partial assessment: {len(self.missing)} of {len(QUESTIONS)} questions unanswered "
                f"({', '.join(self.missing)})."
            )
        lines.extend(f"Contradictory answers: {c.message} ({' vs '.join(c.questions)})." for c in self.contradictions)
        if self.believed is not None and self.believed != self.best:
            lines.append(f"The plan says the organisation is {self.believed}; the answers point to {self.best}.")
        return lines


def answers_of(plan: Plan) -> dict[str, str]:
    return dict(zip(plan.org_answers["question"].to_list(), plan.org_answers["answer"].to_list(), strict=True))


def validate_answers(plan: Plan) -> list[Problem]:
    """Unknown question or answer ids in [org.answers], each with its location."""
    problems = []
    for question_id, answer_id in answers_of(plan).items():
        location = f"org.answers.{question_id}"
        question = QUESTION_BY_ID.get(question_id)
        if question is None:
            expected = ", ".join(QUESTION_BY_ID)
            problems.append(Problem(location, f"unknown question '{question_id}'; expected one of {expected}"))
        elif question.option(answer_id) is None:
            expected = ", ".join(question.option_ids)
            problems.append(Problem(location, f"unknown answer '{answer_id}'; expected one of {expected}"))
    archetype = _believed_raw(plan)
    if archetype is not None and archetype not in set(Archetype):
        problems.append(
            Problem("org.archetype", f"unknown archetype '{archetype}'; expected one of {', '.join(Archetype)}")
        )
    return problems


def contradictions(answers: dict[str, str]) -> list[Contradiction]:
    found = []
    for q1, a1, q2, a2, message in CONTRADICTIONS:
        if answers.get(q1) in a1 and answers.get(q2) in a2:
            found.append(Contradiction((q1, q2), message))
    return found


def assess(plan: Plan) -> Assessment:
    """Score the questionnaire; raises PlanError for unknown question or answer ids."""
    problems = validate_answers(plan)
    if problems:
        raise PlanError(problems)
    answers = answers_of(plan)
    scores = {archetype: 0 for archetype in Archetype}
    for question in QUESTIONS:
        if question.id in answers:
            option = question.option(answers[question.id])
            assert option is not None  # validate_answers found no unknown answer
            for archetype, points in option.points.items():
                scores[archetype] += points
    answered = [q.id for q in QUESTIONS if q.id in answers]
    missing = [q.id for q in QUESTIONS if q.id not in answers]
    believed = _believed_raw(plan)
    common: dict[str, Any] = dict(
        scores=scores,
        answered=answered,
        missing=missing,
        contradictions=contradictions(answers),
        believed=Archetype(believed) if believed else None,
    )
    total = sum(scores.values())
    if total == 0:
        return Assessment(best=None, runner_up=None, confidence=0.0, **common)
    # Ties keep the lecture's order of archetypes, so the result never depends on dict order.
    ranked = sorted(Archetype, key=lambda a: -scores[a])
    return Assessment(best=ranked[0], runner_up=ranked[1], confidence=scores[ranked[0]] / total, **common)


def _believed_raw(plan: Plan) -> str | None:
    return plan.org["archetype"][0] if plan.org.height else None


def questionnaire_frame() -> pl.DataFrame:
    """The questionnaire as rows (question, question text, answer, answer text), for the TUI and docs."""
    rows = [
        {"question": q.id, "question_text": q.text, "answer": o.id, "answer_text": o.text}
        for q in QUESTIONS
        for o in q.options
    ]
    return pl.DataFrame(rows)
