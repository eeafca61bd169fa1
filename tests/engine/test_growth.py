"""Growth tiers: what the plan can and cannot say about each way to stand out."""

import pytest

from teamcast.engine.plan.model import Plan, frame
from teamcast.engine.practice import growth
from teamcast.errors import NotFoundError


def plan(person: dict, history=(), experiments=()) -> Plan:
    return Plan(
        people=frame("people", [person]),
        history=frame("history", [{"person": person["id"], **h} for h in history]),
        experiments=frame("experiments", [{"person": person["id"], **e} for e in experiments]),
    )


def statuses(result: growth.Growth) -> list[str]:
    return [t.status for t in result.tiers]


def test_a_person_the_plan_knows_nothing_about_is_unknown_everywhere():
    result = growth.growth(plan({"id": "dee", "role": "devops_engineer"}), "dee")
    assert statuses(result) == ["unknown"] * 5
    assert result.highest_shown == 0
    assert result.next_step() == (
        "work towards tier 1: software engineering skills (teamcast's suggestion, tiers from Lecture 13, §4)"
    )
    assert result.tiers[4].evidence == "competitions and publications are not recorded in the plan"


def test_skills_and_past_ml_work_are_evidence():
    person = {"id": "ana", "role": "ml_engineer", "skill_ml": 4, "skill_swe": 5, "skill_comm": 3}
    history = [
        {"task": "a", "kind": "research", "succeeded": True},
        {"task": "b", "kind": "modeling", "succeeded": False},
        {"task": "c", "kind": "infra", "succeeded": True},
    ]
    result = growth.growth(plan(person, history, [{"task": "a", "tried": "gbm"}]), "ana")
    assert statuses(result) == ["shown", "shown", "some", "shown", "some"]
    assert result.tiers[0].evidence == "skills.swe = 5 of 5"
    assert result.tiers[1].evidence == "has done ML work: 2 past ML task(s), 1 logged experiment(s)"
    assert result.tiers[2].evidence == "skills.ml = 4, skills.comm = 3; the plan records no writing"
    assert result.tiers[3].evidence == "1 finished ML task(s) that succeeded in the plan's history"
    assert result.highest_shown == 4
    assert result.next_step().startswith("work towards tier 5: creative ML")


def test_an_ml_role_without_recorded_work_is_some_interest():
    result = growth.growth(plan({"id": "r", "role": "ml_researcher", "skill_swe": 1}), "r")
    assert statuses(result)[:2] == ["not shown", "some"]
    assert result.tiers[1].evidence == "works as ml_researcher; the plan records no courses or conferences"


def test_growth_all_and_unknown_person():
    p = plan({"id": "x", "role": "data_scientist"})
    assert [g.person for g in growth.growth_all(p)] == ["x"]
    with pytest.raises(NotFoundError, match="no person 'y'"):
        growth.growth(p, "y")
