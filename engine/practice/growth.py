"""Evidence for development conversations: for each person, the five ways to stand out of Lecture 13,
§4 ("Getting hired"), in increasing order of impressiveness, with what the plan shows for each.

The plan knows skills, roles, past work and the experiments log; it knows nothing of courses,
conferences, writing, competitions or publications. Each tier therefore says what its evidence is,
or that the plan cannot tell. The rules that turn plan data into a status are teamcast's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from teamcast.engine.plan.model import ROLE_FAMILY, Plan, Role, RoleFamily
from teamcast.errors import NotFoundError

LECTURE = "Lecture 13, §4"

TIERS: tuple[str, ...] = (
    "software engineering skills",
    "visible interest in ML (courses, conferences)",
    "broad ML knowledge (writing that synthesises an area)",
    "ML projects done (side projects, paper re-implementations)",
    "creative ML (competition wins, publications)",
)

# Task kinds that count as ML work (teamcast's reading of the free `kind` tag).
ML_KINDS = frozenset({"research", "ml", "modeling", "modelling", "training", "experiment", "model"})
STRONG_SKILL = 4  # teamcast's: a 0-5 skill at or above this counts as shown
SOME_SKILL = 2


@dataclass(frozen=True)
class TierEvidence:
    tier: int  # 1-5
    title: str
    status: str  # "shown" | "some" | "not shown" | "unknown"
    evidence: str


@dataclass(frozen=True)
class Growth:
    person: str
    name: str | None
    tiers: list[TierEvidence]

    @property
    def highest_shown(self) -> int:
        """The highest tier with evidence "shown", 0 if none."""
        return max((t.tier for t in self.tiers if t.status == "shown"), default=0)

    def next_step(self) -> str:
        """teamcast's suggestion for the conversation: the first tier above the highest shown."""
        if self.highest_shown == len(TIERS):
            return "every tier shown; talk about depth and mentoring others (teamcast's suggestion)"
        tier = self.highest_shown + 1
        return f"work towards tier {tier}: {TIERS[tier - 1]} (teamcast's suggestion, tiers from {LECTURE})"


def growth(plan: Plan, person_id: str) -> Growth:
    rows = plan.people.filter(pl.col("id") == person_id)
    if rows.height == 0:
        raise NotFoundError(f"no person '{person_id}'")
    person = rows.row(0, named=True)
    history = plan.history.filter(pl.col("person") == person_id)
    ml_history = history.filter(pl.col("kind").str.to_lowercase().is_in(list(ML_KINDS)))
    experiments = plan.experiments.filter(pl.col("person") == person_id).height
    tiers = [
        _skill_tier(1, person["skill_swe"], "skills.swe"),
        _interest(person, ml_history.height, experiments),
        _knowledge(person),
        _projects(ml_history, experiments),
        _creative(ml_history),
    ]
    return Growth(person_id, person["name"], tiers)


def growth_all(plan: Plan) -> list[Growth]:
    return [growth(plan, pid) for pid in plan.people["id"].to_list()]


def _skill_tier(tier: int, skill: int | None, key: str) -> TierEvidence:
    if skill is None:
        return TierEvidence(tier, TIERS[tier - 1], "unknown", f"{key} not recorded")
    status = "shown" if skill >= STRONG_SKILL else "some" if skill >= SOME_SKILL else "not shown"
    return TierEvidence(tier, TIERS[tier - 1], status, f"{key} = {skill} of 5")


def _interest(person: dict, ml_tasks: int, experiments: int) -> TierEvidence:
    role = person["role"]
    in_ml_role = role in set(Role) and ROLE_FAMILY[Role(role)] is not RoleFamily.ML_ADJACENT
    if ml_tasks or experiments:
        return TierEvidence(
            2, TIERS[1], "shown", f"has done ML work: {ml_tasks} past ML task(s), {experiments} logged experiment(s)"
        )
    if in_ml_role:
        return TierEvidence(2, TIERS[1], "some", f"works as {role}; the plan records no courses or conferences")
    return TierEvidence(2, TIERS[1], "unknown", "the plan records no courses, conferences or ML work")


def _knowledge(person: dict) -> TierEvidence:
    ml, comm = person["skill_ml"], person["skill_comm"]
    if ml is None or comm is None:
        return TierEvidence(
            3, TIERS[2], "unknown", "skills.ml or skills.comm not recorded; the plan records no writing"
        )
    evidence = f"skills.ml = {ml}, skills.comm = {comm}; the plan records no writing"
    status = "some" if ml >= STRONG_SKILL - 1 and comm >= STRONG_SKILL - 1 else "unknown"
    return TierEvidence(3, TIERS[2], status, evidence)


def _projects(ml_history: pl.DataFrame, experiments: int) -> TierEvidence:
    succeeded = int(ml_history["succeeded"].fill_null(False).sum())
    if succeeded:
        return TierEvidence(
            4, TIERS[3], "shown", f"{succeeded} finished ML task(s) that succeeded in the plan's history"
        )
    if ml_history.height or experiments:
        return TierEvidence(
            4,
            TIERS[3],
            "some",
            f"{ml_history.height} ML task(s) in history, none succeeded; {experiments} experiment(s)",
        )
    return TierEvidence(4, TIERS[3], "unknown", "no ML work in the plan's history; side projects are not recorded")


def _creative(ml_history: pl.DataFrame) -> TierEvidence:
    research = ml_history.filter(
        (pl.col("kind").str.to_lowercase() == "research") & pl.col("succeeded").fill_null(False)
    )
    if research.height:
        return TierEvidence(
            5,
            TIERS[4],
            "some",
            f"{research.height} research task(s) succeeded; competitions and publications are not recorded",
        )
    return TierEvidence(5, TIERS[4], "unknown", "competitions and publications are not recorded in the plan")
