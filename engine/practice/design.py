"""The lecture's team-structure design choices (Lecture 13, §2: its summary table for rnd, embedded,
division and ml_first) and the review of an organisation's recorded choices against them.

The ordinal encoding of the choices, the advice for nascent organisations (the lecture gives none)
and the skill threshold for researchers in an embedded organisation are teamcast's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from teamcast.engine.plan.model import Archetype, Plan, Role
from teamcast.errors import PlanError, Problem

LECTURE = "Lecture 13, §2"
TEAMCAST = "teamcast"

A = Archetype


@dataclass(frozen=True)
class DesignChoice:
    """One of the lecture's three team-structure choices, with teamcast's 0-3 ordinal values."""

    column: str  # the ORG column that records it
    title: str
    values: dict[str, int]  # allowed value -> ordinal (0 = least, 3 = most)
    value_text: dict[str, str]
    lecture: dict[Archetype, str]  # the lecture's row for each archetype it covers
    expected: dict[Archetype, int]  # teamcast's ordinal reading of that row (LECTURE.md §2)


DESIGN_CHOICES: tuple[DesignChoice, ...] = (
    DesignChoice(
        "swe_vs_research",
        "software engineering vs research emphasis",
        {"research": 0, "research_leaning": 1, "mixed": 2, "swe": 3},
        {
            "research": "research over software engineering",
            "research_leaning": "leaning to research, with some engineering",
            "mixed": "software engineering and research mixed in each team",
            "swe": "software engineering over research",
        },
        {
            A.RND: "research over SWE; researchers and engineers often don't collaborate",
            A.EMBEDDED: "SWE over research; researchers need strong engineering since everyone ships their models",
            A.DIVISION: "each team mixes SWE and research strongly, working closely together",
            A.ML_FIRST: "teams vary in research orientation; research teams collaborate closely with engineering",
        },
        {A.RND: 0, A.EMBEDDED: 3, A.DIVISION: 2, A.ML_FIRST: 2},
    ),
    DesignChoice(
        "data_ownership",
        "data ownership",
        {"none": 0, "pipelines": 1, "governance": 2, "infrastructure": 3},
        {
            "none": "no control over data",
            "pipelines": "works with data engineers on pipelines, does not own data production",
            "governance": "a voice in data governance and a data-engineering function",
            "infrastructure": "owns company-wide data infrastructure",
        },
        {
            A.RND: "no control over data; typically no data engineers",
            A.EMBEDDED: "does not own data production; works with data engineers on pipelines",
            A.DIVISION: "voice in data governance; strong data-engineering function",
            A.ML_FIRST: "often owns company-wide data infrastructure",
        },
        {A.RND: 0, A.EMBEDDED: 1, A.DIVISION: 2, A.ML_FIRST: 3},
    ),
    DesignChoice(
        "model_ownership",
        "model ownership",
        {"none": 0, "users_operate": 1, "maintained_after_handoff": 2, "team_owns": 3},
        {
            "none": "models rarely reach production",
            "users_operate": "models are handed to users, who operate and maintain them",
            "maintained_after_handoff": "models are handed to users and the ML team still maintains them",
            "team_owns": "ML engineers own the models they deploy",
        },
        {
            A.RND: "models rarely reach production",
            A.EMBEDDED: "ML engineers own the models they deploy",
            A.DIVISION: "hands models to users, still maintains them",
            A.ML_FIRST: "hands models to users, who operate and maintain them",
        },
        {A.RND: 0, A.EMBEDDED: 3, A.DIVISION: 2, A.ML_FIRST: 1},
    ),
)

# teamcast's own suggestion for nascent organisations; the lecture gives none (see design_review).
NASCENT_ADVICE: dict[str, tuple[str, str]] = {
    "swe_vs_research": (
        "swe",
        "with little support for ML, favour engineers who can ship an end-to-end pipeline over research",
    ),
    "data_ownership": (
        "pipelines",
        "secure a working pipeline with whoever owns the data before asking for more control",
    ),
    "model_ownership": (
        "team_owns",
        "whoever deploys a model should own it, since no one else will maintain it",
    ),
}


@dataclass(frozen=True)
class DesignFinding:
    choice: str | None  # ORG column, or None for a note about the whole review
    recorded: str | None
    expected: str | None
    status: str  # "match" | "mismatch" | "missing" | "note"
    message: str
    source: str  # LECTURE or TEAMCAST: whose advice this is
    location: str | None = None  # where in the plan, when not the [org] key of `choice` (a person)

    @property
    def where(self) -> str:
        return self.location or f"org.{self.choice}"


def validate_design(plan: Plan) -> list[Problem]:
    """Design-choice values that are not among the allowed ones, with their location."""
    problems = []
    for choice in DESIGN_CHOICES:
        value = _recorded(plan, choice)
        if value is not None and value not in choice.values:
            problems.append(
                Problem(f"org.{choice.column}", f"unknown value '{value}'; expected one of {', '.join(choice.values)}")
            )
    return problems


def design_review(plan: Plan, archetype: Archetype | str) -> list[DesignFinding]:
    """Compare the recorded design choices with the lecture's table for `archetype`."""
    problems = validate_design(plan)
    if problems:
        raise PlanError(problems)
    archetype = Archetype(archetype)
    if archetype is A.NASCENT:
        return _nascent_review(plan)
    review = [_review_choice(choice, _recorded(plan, choice), archetype) for choice in DESIGN_CHOICES]
    if archetype is A.EMBEDDED:
        review.extend(embedded_researchers(plan))
    return review


# teamcast's threshold: a researcher whose 0-5 software-engineering skill is below this is noticed
# in an embedded organisation, where everyone ships their own models.
EMBEDDED_MIN_SWE = 3


def embedded_researchers(plan: Plan) -> list[DesignFinding]:
    """ML researchers whose recorded software-engineering skill is below EMBEDDED_MIN_SWE (teamcast's
    threshold), read against the lecture's row for embedded organisations: researchers need strong
    engineering there, since everyone ships their models."""
    low = plan.people.filter((pl.col("role") == Role.ML_RESEARCHER.value) & (pl.col("skill_swe") < EMBEDDED_MIN_SWE))
    return [
        DesignFinding(
            "swe_vs_research",
            f"skills.swe = {p['skill_swe']}",
            f"skills.swe >= {EMBEDDED_MIN_SWE}",
            "mismatch",
            f"researcher {p['name'] or p['id']} has software-engineering skill {p['skill_swe']} of 5 (teamcast "
            f"notices below {EMBEDDED_MIN_SWE}); in the lecture's embedded organisation researchers need strong "
            f"engineering since everyone ships their models ({LECTURE}): pair them with an ML engineer or "
            "plan engineering growth",
            LECTURE,
            location=f"people.{p['id']}.skills.swe",
        )
        for p in low.iter_rows(named=True)
    ]


def _review_choice(choice: DesignChoice, recorded: str | None, archetype: Archetype) -> DesignFinding:
    wanted = choice.expected[archetype]
    expected_value = next(v for v, o in choice.values.items() if o == wanted)
    advice = f"the lecture's {archetype} organisation: {choice.lecture[archetype]} ({LECTURE})"
    if recorded is None:
        return DesignFinding(
            choice.column, None, expected_value, "missing", f"{choice.title} not recorded; {advice}", LECTURE
        )
    gap = choice.values[recorded] - wanted
    if gap == 0:
        return DesignFinding(
            choice.column, recorded, expected_value, "match", f"{choice.title} matches {advice}", LECTURE
        )
    direction = "more" if gap > 0 else "less"
    message = (
        f"{choice.title}: recorded '{recorded}' ({choice.value_text[recorded]}) is {abs(gap)} step(s) {direction} "
        f"than {advice}"
    )
    return DesignFinding(choice.column, recorded, expected_value, "mismatch", message, LECTURE)


def _nascent_review(plan: Plan) -> list[DesignFinding]:
    findings = [
        DesignFinding(
            None,
            None,
            None,
            "note",
            f"{LECTURE} gives no team-structure advice for nascent organisations; what follows is teamcast's own "
            "suggestion, not the lecture's.",
            LECTURE,
        )
    ]
    for choice in DESIGN_CHOICES:
        suggested, why = NASCENT_ADVICE[choice.column]
        recorded = _recorded(plan, choice)
        status = "missing" if recorded is None else "match" if recorded == suggested else "mismatch"
        findings.append(
            DesignFinding(
                choice.column,
                recorded,
                suggested,
                status,
                f"{choice.title}: teamcast suggests '{suggested}' ({choice.value_text[suggested]}): {why} "
                f"(teamcast's advice)",
                TEAMCAST,
            )
        )
    return findings


def _recorded(plan: Plan, choice: DesignChoice) -> str | None:
    return plan.org[choice.column][0] if plan.org.height else None


def ordinal(choice_column: str, value: str) -> int:
    """teamcast's 0-3 ordinal of a design-choice value (LECTURE.md §2 encoding)."""
    return next(c for c in DESIGN_CHOICES if c.column == choice_column).values[value]
