"""Hiring advice from Lecture 13, §4: unicorn job postings, the hiring funnel, when open positions
are expected to be filled, and interview scorecards read as hypotheses to validate and bars to clear.

Thresholds (how many must-haves are too many, which score validates a hypothesis) and the keyword map
are teamcast's own; the funnel's default rates are the lecture's general-tech vendor benchmarks.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import cast

import polars as pl

from teamcast.engine.plan.calendar import Calendar
from teamcast.engine.plan.model import ROLE_FAMILY, ROLE_TITLE, Plan, Role, RoleFamily
from teamcast.errors import NotFoundError

LECTURE = "Lecture 13, §4"

# --- job postings --------------------------------------------------------------------------------

# teamcast's thresholds: more must-haves than this is a wish list; a posting whose must-haves
# touch the core skills of this many roles or more describes several jobs (a "unicorn").
MAX_MUST_HAVES = 6
UNICORN_ROLES = 3

# Keywords that mark a must-have as the core skill of a role (teamcast's map, built from the
# lecture's description of each role, Lecture 13, §1). Matched as whole words, case-insensitive.
# A keyword may belong to several roles (SQL); see _attribute for how such a must-have counts.
ROLE_KEYWORDS: dict[Role, tuple[str, ...]] = {
    Role.DEVOPS_ENGINEER: (
        "kubernetes",
        "k8s",
        "aws",
        "gcp",
        "azure",
        "terraform",
        "infrastructure",
        "deploys and monitors",
        "deploy and monitor",
        "monitoring",
        "ci/cd",
        "sre",
        "site reliability",
        "on-call",
        "devops",
    ),
    Role.DATA_SCIENTIST: (
        "sql",
        "dashboards",
        "dashboard",
        "a/b tests",
        "a/b testing",
        "ab tests",
        "excel",
        "pandas",
        "scikit-learn",
        "business analytics",
        "analytics",
    ),
    Role.DATA_ENGINEER: (
        "airflow",
        "kafka",
        "spark",
        "hadoop",
        "data pipelines",
        "data pipeline",
        "etl",
        "data warehouse",
        "distributed systems",
        "distributed system",
        "dbt",
        "data engineering",
        "sql",
    ),
    Role.ML_ENGINEER: (
        "pytorch",
        "tensorflow",
        "jax",
        "trains models",
        "train models",
        "training models",
        "docker",
        "implements models",
        "implement models",
        "from scratch",
        "framework",
        "frameworks",
        "model serving",
        "mlops",
        "production ml",
    ),
    Role.ML_RESEARCHER: (
        "publications",
        "publication",
        "papers",
        "phd",
        "invents models",
        "invent models",
        "novel models",
        "state of the art",
        "sota",
        "neurips",
        "icml",
        "iclr",
        "cvpr",
        "top venue",
        "research",
    ),
    Role.ML_PRODUCT_MANAGER: (
        "roadmap",
        "stakeholders",
        "stakeholder",
        "product requirements",
        "prioritisation",
        "prioritization",
        "design docs",
        "wireframes",
    ),
}


def _keyword_pattern(keyword: str) -> re.Pattern:
    return re.compile(rf"(?<![a-z0-9]){re.escape(keyword)}(?![a-z0-9])")


_PATTERNS: dict[Role, list[re.Pattern]] = {
    role: [_keyword_pattern(k) for k in keywords] for role, keywords in ROLE_KEYWORDS.items()
}


def roles_of(must_have: str) -> list[Role]:
    """The roles whose core skills a must-have names (hyphens read as spaces: "state-of-the-art")."""
    text = _normalised(must_have)
    return [role for role, patterns in _PATTERNS.items() if any(p.search(text) for p in patterns)]


def _normalised(text: str) -> str:
    return text.lower().replace("-", " ").replace("on call", "on-call")


def _attribute(must_have: str, posted_role: str) -> list[Role]:
    """The roles a must-have counts for. A role counts when a keyword of its own matched
    ("PyTorch and Kubernetes": two roles); a must-have that matched only a keyword several roles
    share ("SQL") counts once: for the posted role if it is one of them, else the first listed."""
    matched = roles_of(must_have)
    text = _normalised(must_have)
    own = [
        r
        for r in matched
        if any(
            p.search(text)
            for k, p in zip(ROLE_KEYWORDS[r], _PATTERNS[r], strict=True)
            if not any(k in ROLE_KEYWORDS[o] for o in matched if o != r)
        )
    ]
    if own or not matched:
        return own
    return [r for r in matched if r == posted_role] or matched[:1]


@dataclass(frozen=True)
class PostingReview:
    role: str
    must_have: list[str]
    roles: dict[Role, list[str]]  # role -> the must-haves that name its core skills
    unmatched: list[str]  # must-haves the keyword map does not place
    too_many: bool
    is_unicorn: bool
    described: list[Role]  # the role(s) the posting really describes: most must-haves first

    def messages(self) -> list[str]:
        lines = []
        if self.too_many:
            lines.append(
                f"{len(self.must_have)} must-haves (teamcast flags more than {MAX_MUST_HAVES}): be specific "
                f"about what this person will do ({LECTURE})."
            )
        if self.is_unicorn:
            spans = ", ".join(f"{ROLE_TITLE[r]} ({len(items)})" for r, items in self.roles.items())
            lines.append(
                f"Unicorn posting: the must-haves span the core skills of {len(self.roles)} roles: {spans}. "
                f"No one does everything from DevOps to inventing models ({LECTURE})."
            )
        elif len(self.roles) == 2:
            lines.append(f"The must-haves span two roles: {', '.join(ROLE_TITLE[r] for r in self.roles)}.")
        if self.described and self.role not in self.described:
            title = ROLE_TITLE[Role(self.role)] if self.role in set(Role) else self.role
            lines.append(
                f"Posted as {title}, but it mostly describes: {', '.join(ROLE_TITLE[r] for r in self.described)}."
            )
        return lines


def check_posting(must_have: list[str], role: str) -> PostingReview:
    """Read a job posting's must-haves: too many of them, or the core skills of several roles?"""
    must_have = list(must_have or [])
    roles: dict[Role, list[str]] = {}
    unmatched = []
    for item in must_have:
        matched = _attribute(item, role)
        if not matched:
            unmatched.append(item)
        for r in matched:
            roles.setdefault(r, []).append(item)
    top = max((len(v) for v in roles.values()), default=0)
    described = [r for r, items in roles.items() if len(items) == top]
    return PostingReview(
        role=role,
        must_have=must_have,
        roles=roles,
        unmatched=unmatched,
        too_many=len(must_have) > MAX_MUST_HAVES,
        is_unicorn=len(roles) >= UNICORN_ROLES,
        described=described,
    )


# --- the funnel ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelRates:
    """Stage conversion rates. Defaults: general tech hiring, vendor benchmarks, not ML-specific
    (as quoted in Lecture 13, §4)."""

    candidate_to_screen: float = 0.17
    screen_to_onsite: float = 0.32
    onsite_to_offer: float = 0.31
    offer_acceptance: float = 0.59
    source: str = "general tech hiring, vendor benchmarks (not ML-specific), as quoted in Lecture 13, §4"

    def __post_init__(self):
        for name in ("candidate_to_screen", "screen_to_onsite", "onsite_to_offer", "offer_acceptance"):
            rate = getattr(self, name)
            if not 0 < rate <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {rate}")


@dataclass(frozen=True)
class Funnel:
    hires: int
    stages: dict[str, float]  # stage -> expected count needed, from candidates down to hires
    rates: FunnelRates

    def lines(self) -> list[str]:
        counts = " -> ".join(f"{count:,.1f} {stage}" for stage, count in self.stages.items())
        return [f"{counts} ({self.rates.source})"]


def funnel(hires: int = 1, rates: FunnelRates | None = None) -> Funnel:
    """How many people each stage needs, on average, to end with `hires` accepted offers."""
    rates = rates or FunnelRates()
    offers = hires / rates.offer_acceptance
    onsites = offers / rates.onsite_to_offer
    screens = onsites / rates.screen_to_onsite
    candidates = screens / rates.candidate_to_screen
    stages = {"candidates": candidates, "screens": screens, "onsites": onsites, "offers": offers, "hires": float(hires)}
    return Funnel(hires, stages, rates)


# --- open positions ------------------------------------------------------------------------------


def pert_mean(low: float | None, likely: float | None, high: float | None) -> float | None:
    """(low + 4·likely + high) / 6; a single number when only `likely` is given; None when unknown."""
    if likely is None:
        return None
    if low is None or high is None:
        return likely
    return (low + 4 * likely + high) / 6


@dataclass(frozen=True)
class OpenPosition:
    id: str
    role: str
    team: str | None
    expected_day: float | None  # PERT mean of time_to_hire, working days from the plan's start
    expected_date: dt.date | None
    posting: PostingReview


def open_positions(plan: Plan) -> list[OpenPosition]:
    """Every open hire with its expected arrival and the review of its posting."""
    calendar = Calendar(plan.start, plan.holidays) if plan.plan.height and plan.start else None
    positions = []
    for row in plan.hires.iter_rows(named=True):
        day = pert_mean(row["tth_low"], row["tth_likely"], row["tth_high"])
        date = calendar.day_to_date(day) if day is not None and calendar else None
        positions.append(
            OpenPosition(row["id"], row["role"], row["team"], day, date, check_posting(row["must_have"], row["role"]))
        )
    return positions


# --- interview scorecards ------------------------------------------------------------------------

# The lecture's assessment types (Lecture 13, §4), with what each tests: ML knowledge, software
# engineering, or neither. Pair debugging on ML code tests both.
ASSESSMENTS: dict[str, tuple[str, frozenset[str]]] = {
    "background_culture_fit": ("background and culture fit", frozenset()),
    "whiteboard_coding": ("whiteboard coding", frozenset({"swe"})),
    "pair_coding": ("pair coding", frozenset({"swe"})),
    "pair_debugging": ("pair debugging", frozenset({"swe"})),
    "pair_debugging_ml": ("pair debugging on ML code", frozenset({"swe", "ml"})),
    "math_puzzles": ("math puzzles", frozenset()),
    "take_home_ml": ("take-home ML project", frozenset({"ml"})),
    "applied_ml": ("applied ML (how would you solve this)", frozenset({"ml"})),
    "previous_ml_projects": ("previous ML projects", frozenset({"ml"})),
    "ml_theory": ("ML theory", frozenset({"ml"})),
}
# Other spellings people use for the same assessments.
ASSESSMENT_ALIASES = {
    "take_home": "take_home_ml",
    "culture_fit": "background_culture_fit",
    "background_and_culture": "background_culture_fit",
    "previous_projects": "previous_ml_projects",
}

# teamcast's thresholds on the 1-5 scale.
VALIDATED_SCORE = 4.0
DEFAULT_MINIMUM = 3.0


@dataclass(frozen=True)
class AspectResult:
    aspect: str
    scores: list[float]
    threshold: float  # VALIDATED_SCORE for a strength, the bar's minimum for a bar
    status: str  # strengths: validated | not_validated | untested; bars: cleared | missed | untested

    @property
    def mean(self) -> float | None:
        return sum(self.scores) / len(self.scores) if self.scores else None


@dataclass(frozen=True)
class CandidateReview:
    id: str
    name: str | None
    role: str | None
    strengths: list[AspectResult]
    bars: list[AspectResult]
    by_assessment: dict[str, float]  # assessment type -> mean score
    decision: str  # clear | missed_bar | unvalidated | incomplete
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        validated = [s.aspect for s in self.strengths if s.status == "validated"]
        missed = [b.aspect for b in self.bars if b.status == "missed"]
        parts = [f"validated: {', '.join(validated) or 'none'}", f"bars missed: {', '.join(missed) or 'none'}"]
        return f"{self.decision} ({'; '.join(parts)})"


def review_candidate(plan: Plan, candidate_id: str) -> CandidateReview:
    """Read a candidate's scorecards as the lecture suggests: validate the hypotheses about their
    strengths, and test a minimum bar on their weaker aspects (Lecture 13, §4)."""
    rows = plan.candidates.filter(pl.col("id") == candidate_id)
    if rows.height == 0:
        raise NotFoundError(f"no candidate '{candidate_id}'")
    candidate = rows.row(0, named=True)
    cards = plan.scorecards.filter(pl.col("candidate") == candidate_id)
    strengths = [_strength(cards, aspect) for aspect in candidate["strengths"] or []]
    bars = [_bar(cards, aspect) for aspect in candidate["bars"] or []]
    by_assessment = {
        _assessment_id(a): s
        for a, s in cards.group_by("assessment", maintain_order=True).agg(pl.col("score").mean()).iter_rows()
    }
    warnings = _coverage_warnings(candidate["role"], list(by_assessment))
    return CandidateReview(
        candidate_id,
        candidate["name"],
        candidate["role"],
        strengths,
        bars,
        by_assessment,
        _decision(strengths, bars),
        warnings,
    )


def _scores(cards: pl.DataFrame, aspect: str) -> pl.DataFrame:
    return cards.filter((pl.col("aspect") == aspect) & pl.col("score").is_not_null())


def _strength(cards: pl.DataFrame, aspect: str) -> AspectResult:
    scores = _scores(cards, aspect)["score"].to_list()
    if not scores:
        status = "untested"
    else:
        status = "validated" if sum(scores) / len(scores) >= VALIDATED_SCORE else "not_validated"
    return AspectResult(aspect, scores, VALIDATED_SCORE, status)


def _bar(cards: pl.DataFrame, aspect: str) -> AspectResult:
    rows = _scores(cards, aspect)
    minimums = rows["minimum"].drop_nulls()
    minimum = float(cast(float, minimums.max())) if minimums.len() else DEFAULT_MINIMUM  # a numeric column
    scores = rows["score"].to_list()
    if not scores:
        status = "untested"
    else:
        # A bar is a floor: any assessment below it misses it.
        status = "missed" if min(scores) < minimum else "cleared"
    return AspectResult(aspect, scores, minimum, status)


def _decision(strengths: list[AspectResult], bars: list[AspectResult]) -> str:
    if any(b.status == "missed" for b in bars):
        return "missed_bar"
    if any(s.status == "not_validated" for s in strengths):
        return "unvalidated"
    if any(r.status == "untested" for r in strengths + bars):
        return "incomplete"
    return "clear"


def _assessment_id(name: str) -> str:
    return ASSESSMENT_ALIASES.get(name, name)


def _with_article(title: str) -> str:
    # "ML ..." is read "em-el", so it takes "an" like a vowel.
    return f"an {title}" if title[0].lower() in "aeiou" or title.startswith("ML") else f"a {title}"


def _coverage_warnings(role: str | None, assessments: list[str]) -> list[str]:
    warnings = [
        f"'{a}' is not one of the lecture's assessment types ({', '.join(ASSESSMENTS)})"
        for a in assessments
        if a not in ASSESSMENTS
    ]
    tested = set().union(*(ASSESSMENTS[a][1] for a in assessments if a in ASSESSMENTS))
    is_core_ml = role in set(Role) and ROLE_FAMILY[Role(role)] is RoleFamily.CORE_ML
    if is_core_ml and role is not None:
        missing = [area for area in ("ml", "swe") if area not in tested]
        names = {"ml": "ML knowledge", "swe": "software engineering"}
        if missing:
            warnings.append(
                f"{_with_article(ROLE_TITLE[Role(role)])} candidate should be tested on both ML knowledge and software "
                f"engineering; not tested: {', '.join(names[m] for m in missing)} ({LECTURE})"
            )
    return warnings
