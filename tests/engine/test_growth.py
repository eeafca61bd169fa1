"""Growth tiers: what the plan can and cannot say about each way to stand out (teamcast's lens on the
lecture's advice to job seekers), read from inputs, never from whose work succeeded."""

import polars as pl
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
        "work towards tier 1: software engineering skills (teamcast's suggestion; tiers: Lecture 13, §4, advice "
        "to job seekers)"
    )
    assert result.tiers[4].evidence == (
        "no publications or competitions recorded; record them as finished work of kind competition, paper, publication"
    )


def test_skills_and_past_ml_work_are_evidence():
    person = {"id": "ana", "role": "ml_engineer", "skill_ml": 4, "skill_swe": 5, "skill_comm": 3}
    history = [
        {"task": "a", "kind": "research", "succeeded": True},
        {"task": "b", "kind": "modeling", "succeeded": False},
        {"task": "c", "kind": "infra", "succeeded": True},
    ]
    result = growth.growth(plan(person, history, [{"task": "a", "tried": "gbm"}]), "ana")
    assert statuses(result) == ["shown", "shown", "some", "some", "unknown"]
    assert result.tiers[0].evidence == "skills.swe = 5 of 5"
    assert result.tiers[1].evidence == "2 finished ML task(s), 1 logged experiment(s), 0 course(s) or conference(s)"
    assert result.tiers[2].evidence == "skills.ml = 4, skills.comm = 3; the plan records no writing"
    assert result.tiers[3].evidence == "2 finished ML task(s) and 1 logged experiment(s), whatever their outcome"
    assert result.highest_shown == 2
    assert result.next_step().startswith("work towards tier 3: broad ML knowledge")


def test_tiers_four_and_five_read_inputs_recorded_not_outcomes():
    person = {"id": "ana", "role": "ml_researcher", "skill_ml": 5, "skill_swe": 3, "skill_comm": 4}
    history = [{"task": f"r{i}", "kind": "research", "succeeded": False} for i in range(3)] + [
        {"task": "survey", "kind": "writing", "succeeded": False},
        {"task": "neurips", "kind": "publication", "succeeded": False},
    ]
    result = growth.growth(plan(person, history), "ana")
    assert statuses(result) == ["some", "shown", "shown", "shown", "shown"]
    assert result.tiers[3].evidence == "3 finished ML task(s) and 0 logged experiment(s), whatever their outcome"
    assert result.tiers[4].evidence == "1 publication(s) or competition entr(ies) recorded as finished work"


def test_whose_work_succeeded_changes_nothing():
    person = {"id": "ana", "role": "ml_engineer", "skill_ml": 4, "skill_swe": 4, "skill_comm": 3}
    history = [
        {"task": "a", "kind": "research", "succeeded": True},
        {"task": "b", "kind": "modeling", "succeeded": False},
        {"task": "c", "kind": "engineering", "succeeded": True},
        {"task": "d", "kind": "competition", "succeeded": False},
    ]
    before = growth.growth(plan(person, history, [{"task": "a"}] * 4), "ana")
    flipped = [{**h, "succeeded": not h["succeeded"]} for h in history]
    after = growth.growth(plan(person, flipped, [{"task": "a"}] * 4), "ana")
    assert before == after


def test_done_tasks_of_the_plan_count_as_finished_work():
    p = plan({"id": "ana", "role": "ml_researcher"}).replace(
        tasks=frame("tasks", [{"id": "paper", "kind": "publication", "status": "done", "done_by": "ana"}])
    )
    assert growth.growth(p, "ana").tiers[4].status == "shown"
    assert growth.finished_work(p, "ana").filter(pl.col("task") == "paper").height == 1


def test_an_ml_role_without_recorded_work_is_some_interest():
    result = growth.growth(plan({"id": "r", "role": "ml_researcher", "skill_swe": 1}), "r")
    assert statuses(result)[:2] == ["not shown", "some"]
    assert result.tiers[1].evidence == "works as ml_researcher; the plan records no courses or conferences"


def test_growth_all_and_unknown_person():
    p = plan({"id": "x", "role": "data_scientist"})
    assert [g.person for g in growth.growth_all(p)] == ["x"]
    with pytest.raises(NotFoundError, match="no person 'y'"):
        growth.growth(p, "y")
