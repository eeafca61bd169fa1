"""Evidence for development conversations: for each person, the five ways to stand out that Lecture 13,
§4 gives job seekers ("Getting hired"), in increasing order of impressiveness, with what the plan
shows for each.

The lecture offers the tiers as advice to job seekers; reading them as a growth lens for one's own
people is teamcast's reuse. Following §3 (measure inputs, not results), every tier reads inputs:
skills, work finished, experiments run, writing and publications recorded, never whose work
succeeded. The plan knows nothing of courses or conferences unless they are recorded as finished
work of such a kind; each tier says what its evidence is, or that the plan cannot tell. The rules
that turn plan data into a status are teamcast's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from teamcast.engine.plan.model import ROLE_FAMILY, Plan, Role, RoleFamily, TaskStatus
from teamcast.errors import NotFoundError

LECTURE = "Lecture 13, §4"
LENS = "teamcast's suggestion; tiers: Lecture 13, §4, advice to job seekers"

TIERS: tuple[str, ...] = (
    "software engineering skills",
    "visible interest in ML (courses, conferences)",
    "broad ML knowledge (writing that synthesises an area)",
    "ML projects done (side projects, paper re-implementations)",
    "creative ML (competition wins, publications)",
)

# Task kinds (the free `kind` tag) that count as evidence for a tier: teamcast's reading.
ML_KINDS = frozenset({"research", "ml", "modeling", "modelling", "training", "experiment", "model"})
INTEREST_KINDS = frozenset({"course", "conference", "reading-group", "reading_group"})
WRITING_KINDS = frozenset({"writing", "survey", "blog", "tutorial", "talk", "literature-review"})
CREATIVE_KINDS = frozenset({"publication", "paper", "competition"})
STRONG_SKILL = 4  # teamcast's: a 0-5 skill at or above this counts as shown
SOME_SKILL = 2
PROJECTS_SHOWN = 3  # teamcast's: finished ML tasks for tier 4 "shown" (whatever their outcome)
EXPERIMENTS_SHOWN = 10  # ... or this many logged experiments


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
        return f"work towards tier {tier}: {TIERS[tier - 1]} ({LENS})"


def finished_work(plan: Plan, person_id: str) -> pl.DataFrame:
    """Finished work of a person, whatever its outcome: history rows and done tasks (task, kind in lower case)."""
    history = plan.history.filter(pl.col("person") == person_id).select("task", "kind")
    done = plan.tasks.filter((pl.col("done_by") == person_id) & (pl.col("status") == TaskStatus.DONE.value)).select(
        pl.col("id").alias("task"), "kind"
    )
    return pl.concat([history, done]).with_columns(pl.col("kind").fill_null("").str.to_lowercase())


def growth(plan: Plan, person_id: str) -> Growth:
    rows = plan.people.filter(pl.col("id") == person_id)
    if rows.height == 0:
        raise NotFoundError(f"no person '{person_id}'")
    person = rows.row(0, named=True)
    work = finished_work(plan, person_id)
    kinds = work["kind"].to_list()
    # An ML engineer's engineering work is ML work too (teamcast's reading).
    core_ml = person["role"] in set(Role) and ROLE_FAMILY[Role(person["role"])] is RoleFamily.CORE_ML
    ml_work = sum(k in ML_KINDS or (core_ml and k == "engineering") for k in kinds)
    experiments = plan.experiments.filter(pl.col("person") == person_id).height
    tiers = [
        _skill_tier(1, person["skill_swe"], "skills.swe"),
        _interest(person, ml_work, experiments, sum(k in INTEREST_KINDS for k in kinds)),
        _knowledge(person, sum(k in WRITING_KINDS for k in kinds)),
        _projects(ml_work, experiments),
        _creative(sum(k in CREATIVE_KINDS for k in kinds)),
    ]
    return Growth(person_id, person["name"], tiers)


def growth_all(plan: Plan) -> list[Growth]:
    return [growth(plan, pid) for pid in plan.people["id"].to_list()]


def _skill_tier(tier: int, skill: int | None, key: str) -> TierEvidence:
    if skill is None:
        return TierEvidence(tier, TIERS[tier - 1], "unknown", f"{key} not recorded")
    status = "shown" if skill >= STRONG_SKILL else "some" if skill >= SOME_SKILL else "not shown"
    return TierEvidence(tier, TIERS[tier - 1], status, f"{key} = {skill} of 5")


def _interest(person: dict, ml_work: int, experiments: int, courses: int) -> TierEvidence:
    role = person["role"]
    in_ml_role = role in set(Role) and ROLE_FAMILY[Role(role)] is not RoleFamily.ML_ADJACENT
    if ml_work or experiments or courses:
        return TierEvidence(
            2,
            TIERS[1],
            "shown",
            f"{ml_work} finished ML task(s), {experiments} logged experiment(s), {courses} course(s) or conference(s)",
        )
    if in_ml_role:
        return TierEvidence(2, TIERS[1], "some", f"works as {role}; the plan records no courses or conferences")
    return TierEvidence(2, TIERS[1], "unknown", "the plan records no courses, conferences or ML work")


def _knowledge(person: dict, writing: int) -> TierEvidence:
    if writing:
        return TierEvidence(
            3, TIERS[2], "shown", f"{writing} piece(s) of writing finished (kinds {_kinds(WRITING_KINDS)})"
        )
    ml, comm = person["skill_ml"], person["skill_comm"]
    if ml is None or comm is None:
        return TierEvidence(
            3, TIERS[2], "unknown", "skills.ml or skills.comm not recorded; the plan records no writing"
        )
    evidence = f"skills.ml = {ml}, skills.comm = {comm}; the plan records no writing"
    status = "some" if ml >= STRONG_SKILL - 1 and comm >= STRONG_SKILL - 1 else "unknown"
    return TierEvidence(3, TIERS[2], status, evidence)


def _projects(ml_work: int, experiments: int) -> TierEvidence:
    """Volume of ML work done, whatever came of it (§3: inputs, not results)."""
    evidence = f"{ml_work} finished ML task(s) and {experiments} logged experiment(s), whatever their outcome"
    if ml_work >= PROJECTS_SHOWN or experiments >= EXPERIMENTS_SHOWN:
        return TierEvidence(4, TIERS[3], "shown", evidence)
    if ml_work or experiments:
        return TierEvidence(4, TIERS[3], "some", evidence)
    return TierEvidence(4, TIERS[3], "unknown", "no ML work in the plan's history; side projects are not recorded")


def _creative(recorded: int) -> TierEvidence:
    if recorded:
        return TierEvidence(
            5, TIERS[4], "shown", f"{recorded} publication(s) or competition entr(ies) recorded as finished work"
        )
    return TierEvidence(
        5,
        TIERS[4],
        "unknown",
        f"no publications or competitions recorded; record them as finished work of kind {_kinds(CREATIVE_KINDS)}",
    )


def _kinds(kinds: frozenset[str]) -> str:
    return ", ".join(sorted(kinds))
