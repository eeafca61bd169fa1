"""Hiring advice from Lecture 13, §4: job postings that are specific (no "unicorns"), the hiring
funnel, when open positions are expected to be filled, and interview scorecards read as hypotheses
to validate and bars to clear.

What the lecture says is cited "Lecture 13, §4" (its assessment types come from a figure: "Lecture
13, §4 (figure)"). The thresholds (what makes a posting a unicorn or a wish list, which score
validates a hypothesis) and the keyword map are teamcast's own. The funnel's default rates are not
the lecture's: they are general tech-hiring benchmarks (Lever 2017 and others), not ML-specific.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import cast

import polars as pl

from teamcast.engine.plan.calendar import Calendar
from teamcast.engine.plan.model import ROLE_TITLE, Plan, Role
from teamcast.errors import NotFoundError

LECTURE = "Lecture 13, §4"
LECTURE_FIGURE = "Lecture 13, §4 (figure)"

# --- job postings --------------------------------------------------------------------------------

# teamcast's thresholds: more must-haves than this is a wish list; a posting whose must-haves
# touch the core skills of this many roles or more asks for far more than one job (a "unicorn").
# The lecture's own warning is narrower: no one person does everything "from full-fledged DevOps to
# algorithm development", so a posting whose must-haves reach both ends of that range is a unicorn
# too (INFRA_END and RESEARCH_END). Three specific must-haves across three roles (PyTorch,
# Kubernetes, Airflow for an ML engineer) are a normal posting.
MAX_MUST_HAVES = 6
UNICORN_ROLES = 4

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


# The two ends of the lecture's range: infrastructure/DevOps and research/invention.
INFRA_END = Role.DEVOPS_ENGINEER
RESEARCH_END = Role.ML_RESEARCHER

# A must-have that requires a doctorate (the lecture: stay open to people without PhDs).
PHD = re.compile(r"\bph\.?\s?d\b|\bdoctora(te|l)\b", re.IGNORECASE)
OPTIONAL = re.compile(r"\bor equivalent\b|\bpreferred\b|\bor (an? )?(ms|msc|master)", re.IGNORECASE)


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
    both_ends: bool = False  # must-haves reach infrastructure/DevOps and research/invention
    requires_phd: list[str] = field(default_factory=list)  # must-haves that require a doctorate

    def messages(self) -> list[str]:
        """Everything the review has to say: specificity first, then the PhD note."""
        return self.specificity_messages() + self.phd_messages()

    def specificity_messages(self) -> list[str]:
        lines = []
        if self.too_many:
            lines.append(
                f"{len(self.must_have)} must-haves (teamcast flags more than {MAX_MUST_HAVES}): be specific "
                f"about what is a must-have ({LECTURE})."
            )
        spans = ", ".join(f"{ROLE_TITLE[r]} ({len(items)})" for r, items in self.roles.items())
        if self.both_ends:
            infra = ", ".join(self.roles[INFRA_END])
            research = ", ".join(self.roles[RESEARCH_END])
            lines.append(
                f"Unicorn posting: the must-haves run from infrastructure/DevOps ({infra}) to research and "
                f"invention ({research}); no one person does everything from full-fledged DevOps to algorithm "
                f"development ({LECTURE}). Roles: {spans} (the unicorn rule is teamcast's)."
            )
        elif self.is_unicorn:
            lines.append(
                f"Unicorn posting: the must-haves span the core skills of {len(self.roles)} roles: {spans}; "
                f"teamcast flags {UNICORN_ROLES} or more as far more than one job. Be specific about what is a "
                f"must-have ({LECTURE})."
            )
        elif len(self.roles) >= 2:
            lines.append(
                f"The must-haves span {len(self.roles)} roles ({spans}); fine for one job (not a unicorn by "
                "teamcast's rule)."
            )
        if self.described and self.role not in self.described:
            title = ROLE_TITLE[Role(self.role)] if self.role in set(Role) else self.role
            lines.append(
                f"Posted as {title}, but it mostly describes: {', '.join(ROLE_TITLE[r] for r in self.described)}."
            )
        return lines

    def phd_messages(self) -> list[str]:
        lines = []
        if self.requires_phd:
            lines.append(
                f"Requires a PhD ({'; '.join(self.requires_phd)}): the lecture advises staying open to people "
                f"without PhDs and from physics, statistics and other fields ({LECTURE}); consider making it a "
                "nice-to-have."
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
    both_ends = INFRA_END in roles and RESEARCH_END in roles
    return PostingReview(
        role=role,
        must_have=must_have,
        roles=roles,
        unmatched=unmatched,
        too_many=len(must_have) > MAX_MUST_HAVES,
        is_unicorn=both_ends or len(roles) >= UNICORN_ROLES,
        described=described,
        both_ends=both_ends,
        requires_phd=[m for m in must_have if PHD.search(m) and not OPTIONAL.search(m)],
    )


# --- the funnel ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelRates:
    """Stage conversion rates. Defaults: general tech-hiring benchmarks (Lever 2017 and others), not
    ML-specific and not the lecture's."""

    candidate_to_screen: float = 0.17
    screen_to_onsite: float = 0.32
    onsite_to_offer: float = 0.31
    offer_acceptance: float = 0.59
    source: str = "general tech-hiring benchmarks (Lever 2017 and others), not ML-specific"

    def __post_init__(self):
        for name in ("candidate_to_screen", "screen_to_onsite", "onsite_to_offer", "offer_acceptance"):
            rate = getattr(self, name)
            if not 0 < rate <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {rate}")


# The same general tech-hiring benchmarks (not the lecture's): per-hire counts at small companies and
# the referral effect.
BENCHMARK_NOTE = (
    "At small companies about 86 candidates -> 15 screens -> 4.7 onsites -> 1.5 offers per hire, and "
    "referrals convert about 10x better than applicants (general tech-hiring benchmarks, Lever 2017 and "
    "others; not ML-specific, not from the lecture)."
)


@dataclass(frozen=True)
class Funnel:
    hires: int
    stages: dict[str, float]  # stage -> expected count needed, from candidates down to hires
    rates: FunnelRates

    def lines(self) -> list[str]:
        counts = " -> ".join(f"{count:,.1f} {stage}" for stage, count in self.stages.items())
        return [f"{counts} ({self.rates.source})", BENCHMARK_NOTE]


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

# The lecture's assessment types (Lecture 13, §4 (figure): a figure of the lecture, not its notes'
# text), with what each tests (teamcast's reading): ML knowledge, software engineering, or neither.
# Pair debugging on ML code tests both.
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
    "background": "background_culture_fit",
    "culture": "background_culture_fit",
    "culture_fit": "background_culture_fit",
    "background_and_culture": "background_culture_fit",
    "previous_projects": "previous_ml_projects",
    "whiteboard": "whiteboard_coding",
    "theory": "ml_theory",
}
AREAS = {"ml": "ML knowledge", "swe": "software engineering"}

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
    decision: str  # clear | missed_bar | unvalidated | incomplete | "incomplete: not tested on ..."
    warnings: list[str] = field(default_factory=list)
    untested_areas: list[str] = field(default_factory=list)  # of AREAS' names: ML knowledge, software engineering

    def summary(self) -> str:
        validated = [s.aspect for s in self.strengths if s.status == "validated"]
        missed = [b.aspect for b in self.bars if b.status == "missed"]
        parts = [f"validated: {', '.join(validated) or 'none'}", f"bars missed: {', '.join(missed) or 'none'}"]
        return f"{self.decision} ({'; '.join(parts)})"


def review_candidate(plan: Plan, candidate_id: str) -> CandidateReview:
    """Read a candidate's scorecards as the lecture suggests: validate the hypotheses about their
    strengths, test a minimum bar on their weaker aspects, and test both ML knowledge and software
    engineering whatever the role (Lecture 13, §4). A candidate not tested on one of the two is never
    "clear": the decision says "incomplete: not tested on ..."."""
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
    untested = untested_areas(list(by_assessment))
    warnings = _coverage_warnings(candidate["role"], list(by_assessment), untested)
    return CandidateReview(
        candidate_id,
        candidate["name"],
        candidate["role"],
        strengths,
        bars,
        by_assessment,
        _decision(strengths, bars, untested),
        warnings,
        untested,
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


def _decision(strengths: list[AspectResult], bars: list[AspectResult], untested: list[str]) -> str:
    if any(b.status == "missed" for b in bars):
        return "missed_bar"
    if any(s.status == "not_validated" for s in strengths):
        return "unvalidated"
    if untested:
        return f"incomplete: not tested on {' and '.join(untested)}"
    if any(r.status == "untested" for r in strengths + bars):
        return "incomplete"
    return "clear"


def _assessment_id(name: str) -> str:
    return ASSESSMENT_ALIASES.get(name, name)


def _with_article(title: str) -> str:
    # "ML ..." is read "em-el", so it takes "an" like a vowel.
    return f"an {title}" if title[0].lower() in "aeiou" or title.startswith("ML") else f"a {title}"


def untested_areas(assessments: list[str]) -> list[str]:
    """Which of ML knowledge and software engineering no assessment in the list tests."""
    tested = set().union(*(ASSESSMENTS[a][1] for a in assessments if a in ASSESSMENTS))
    return [name for area, name in AREAS.items() if area not in tested]


def _coverage_warnings(role: str | None, assessments: list[str], untested: list[str]) -> list[str]:
    warnings = [
        f"'{a}' is not one of the lecture's assessment types ({LECTURE_FIGURE}); use one of: {', '.join(ASSESSMENTS)}"
        for a in assessments
        if a not in ASSESSMENTS
    ]
    if untested:
        title = ROLE_TITLE[Role(role)] if role is not None and role in set(Role) else (role or "candidate")
        warnings.append(
            f"{_with_article(title)} candidate should be tested on both ML knowledge and software engineering, "
            f"whatever the role; not tested: {', '.join(untested)} ({LECTURE})"
        )
    return warnings
