"""What Lecture 13, §4 says about hiring beyond postings and scorecards, as data the `hiring` command
and the TUI can show: the talent gap, advice per role family, sourcing channels, and what ML
practitioners want with how to attract them (a figure of the lecture: "Lecture 13, §4 (figure)").

Which channels and which advice teamcast shows for which role is teamcast's reading; the channels,
the advice and the checklist are the lecture's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from teamcast.engine.plan.model import ROLE_FAMILY, ROLE_TITLE, Role, RoleFamily

LECTURE = "Lecture 13, §4"
LECTURE_FIGURE = "Lecture 13, §4 (figure)"

TALENT_GAP = (
    "Estimates of how many people have built real ML systems range from 10,000 to 200,000-300,000, "
    f"against 3.6 M software developers in the US and 18.2 M worldwide ({LECTURE}): core ML roles are "
    "the hard hires."
)

# The lecture's sourcing channels, by id.
CHANNELS: dict[str, str] = {
    "job_sites": "job sites and recruiters",
    "campus": "campus recruiting",
    "arxiv": "arXiv and conference first authors",
    "implementations": "people with good public implementations of papers",
    "conferences": "conferences",
}

# teamcast's reading of which of the lecture's channels fit which role.
CHANNELS_BY_ROLE: dict[Role, tuple[str, ...]] = {
    Role.ML_RESEARCHER: ("arxiv", "conferences", "implementations", "job_sites"),
    Role.ML_ENGINEER: ("implementations", "job_sites", "campus", "conferences"),
    Role.DATA_SCIENTIST: ("job_sites", "campus"),
    Role.DATA_ENGINEER: ("job_sites", "campus"),
    Role.DEVOPS_ENGINEER: ("job_sites", "campus"),
    Role.ML_PRODUCT_MANAGER: ("job_sites",),
}

ADJACENT_ADVICE = (
    "an ML-adjacent role: demonstrated interest, conversational understanding and experience are enough; "
    f"do not screen it like a core ML role ({LECTURE})"
)
ROLE_ADVICE: dict[Role, tuple[str, ...]] = {
    Role.ML_ENGINEER: (
        f"hire for software engineering, interest in ML and desire to learn ({LECTURE})",
        f"consider junior talent: strong engineers who want to learn ML ({LECTURE})",
        f"be specific about what is a must-have ({LECTURE})",
    ),
    Role.ML_RESEARCHER: (
        f"judge publications by quality, not quantity: originality and execution ({LECTURE})",
        f"look for people who work on important problems rather than trendy ones ({LECTURE})",
        f"experience outside academia is a plus ({LECTURE})",
        f"stay open to people without PhDs and from physics, statistics and other fields ({LECTURE})",
    ),
}

# The lecture's figure: what ML practitioners want -> how to attract them.
ATTRACT: tuple[tuple[str, str], ...] = (
    ("to work on cutting-edge problems", "offer research projects and good tooling"),
    ("to learn", "reading groups and a learning budget"),
    ("excellent colleagues", "make strong people visible and help them publish"),
    ("interesting data", "sell the data they would work with"),
    ("meaningful work", "sell the mission and the impact the work has today"),
)

YEARS = re.compile(r"\b(\d+)\s*\+?\s*(years|yrs)\b", re.IGNORECASE)
SENIOR_YEARS = 5  # teamcast's: a must-have of this many years or more shuts out juniors


@dataclass(frozen=True)
class RoleAdvice:
    role: str
    family: str | None
    advice: list[str]
    channels: list[str]  # the lecture's channel texts, in teamcast's order for the role


def advice_for(role: str, must_have: list[str] | None = None) -> RoleAdvice:
    """The lecture's hiring advice and sourcing channels for a role, plus teamcast's notes on the
    posting's must-haves (years of experience that shut out juniors)."""
    if role not in set(Role):
        return RoleAdvice(role, None, [], [CHANNELS["job_sites"]])
    r = Role(role)
    family = ROLE_FAMILY[r]
    lines = list(ROLE_ADVICE.get(r, ()))
    if family is RoleFamily.ML_ADJACENT:
        lines.append(ADJACENT_ADVICE)
    if r is Role.ML_ENGINEER:
        senior = [m for m in must_have or [] if any(int(n) >= SENIOR_YEARS for n, _ in YEARS.findall(m))]
        if senior:
            lines.append(
                f"must-haves ask for {SENIOR_YEARS}+ years ({'; '.join(senior)}): that shuts out the junior talent "
                f"the lecture suggests considering (teamcast's reading of {LECTURE})"
            )
    return RoleAdvice(role, family.value, lines, [CHANNELS[c] for c in CHANNELS_BY_ROLE[r]])


def attract_checklist() -> list[str]:
    """The figure's checklist as lines: "want -> how"."""
    return [f"they want {want} -> {how}" for want, how in ATTRACT]


def role_title(role: str) -> str:
    return ROLE_TITLE[Role(role)] if role in set(Role) else role
