"""The Org, Roster and Retro screens under Pilot: answering the questionnaire, the bottleneck worker,
growth per person, and the retro's windows and drill-downs."""

from __future__ import annotations

import datetime as dt

from textual.widgets import DataTable, Select

from teamcast.engine.plan.workspace import Workspace
from teamcast.engine.practice.org import answers_of, assess
from teamcast.engine.practice.roster import bottlenecks
from teamcast.engine.retro.review import select_history
from teamcast.tui.screens.dialogs import HelpScreen
from teamcast.tui.screens.questionnaire import AnswersForm


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def test_answering_the_questionnaire_updates_the_assessment_and_the_workspace(app, demo_db, settle):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        org = app.screen
        before = text(org, "#org-assessment")
        assert "Answered 9 of 9" in before
        assert "confidence 68%" in before
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, AnswersForm)
        assert form.query_one("#q-who_does_ml", Select).value == "product_teams"  # the current answers
        form.query_one("#q-who_does_ml", Select).value = "everywhere"
        form.query_one("#q-leadership", Select).value = Select.NULL
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen is org
        with Workspace.open(demo_db) as ws:
            saved = ws.load()
        answers = answers_of(saved)
        assert answers["who_does_ml"] == "everywhere"
        assert "leadership" not in answers
        after = text(org, "#org-assessment")
        assert "Answered 8 of 9" in after
        assert f"confidence {assess(saved).confidence:.0%}" in after
        assert "Partial assessment: 1 of 9 questions unanswered (leadership)." in after
        assert after != before


async def test_answers_are_not_saved_over_another_sessions_change(app, demo_db, settle):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("o", "a")
        app.screen.query_one("#q-compute", Select).value = "laptops"
        with Workspace.open(demo_db) as other:
            other.update_row("people", "priya", {"capacity": 0.4}, other.row_version("people", "priya"))
        await pilot.press("f2")
        await settle(pilot)
        conflicts = [n for n in app._notifications if n.title == "conflict"]
        assert [n.message for n in conflicts] == [
            "another session changed the workspace; your answers were not saved. Showing its latest state."
        ]
    with Workspace.open(demo_db) as ws:
        plan = ws.load()
    assert answers_of(plan)["compute"] == "dedicated_budget"
    assert plan.people.filter(plan.people["id"] == "priya")["capacity"][0] == 0.4


async def test_org_shows_the_design_review_and_checks_by_lecture_section(app, settle):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        design = text(app.screen, "#org-design")
        assert design.startswith("Design choices against the lecture's table for embedded")
        assert "✗ data ownership: recorded 'governance'" in design
        checks = text(app.screen, "#org-checks").splitlines()
        assert "✗ researcher Wei Chen has software-engineering skill 2 of 5" in design
        assert checks[0] == "Health checks: 9 findings"
        assert "⚠ 3  Lecture 13, §2: ML organisations" in checks
        assert "⚠ 2  Lecture 13, §3: managing ML teams" in checks
        assert "⚠ 4  Lecture 13, §4: hiring" in checks
        assert "✓ 0  teamcast's own checks (not from the lecture)" in checks


async def test_the_bottleneck_worker_ranks_the_extra_person_by_role(app, settle):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        roster = app.screen
        assert text(roster, "#bottlenecks").startswith("Press b to rank the roles")
        await pilot.press("b")
        await settle(pilot)
        expected = [b for b in bottlenecks(app.plan, trials=1024, seed=0) if round(b.delta_days) < 0]
        lines = text(roster, "#bottlenecks").splitlines()
        assert lines[:3] == [f"{n}. {b.sentence()}" for n, b in enumerate(expected[:3], start=1)]
        assert lines[0].startswith("1. an extra data engineer moves")


async def test_roster_shows_growth_of_the_selected_person_coverage_and_postings(app, settle):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        roster = app.screen
        assert text(roster, "#growth").startswith("Growth: Priya Natarajan")
        people = roster.query_one("#people", DataTable)
        people.focus()
        await pilot.press("down")
        assert text(roster, "#growth").startswith("Growth: Jonas Becker")
        hires = roster.query_one("#hires", DataTable)
        researcher = hires.get_row("req-researcher")
        assert (researcher[3], researcher[5]) == ("2027-04-08", "unicorn: 4 roles")
        assert hires.get_row("req-data-engineer")[5:] == ["specific", "data engineer"]
        assert "⚠ req-researcher: Unicorn posting" in text(roster, "#postings")
        assert roster.query_one("#coverage", DataTable).row_count == 6


async def test_retro_window_and_drill_down_change_the_figures(app, settle):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        retro = app.screen
        assert "81 finished tasks · window: all" in text(retro, "#retro-title")
        assert "Brier score 0.116 (0 is perfect; always saying 50% scores 0.250)" in text(retro, "#retro-success")
        assert retro.query_one("#history", DataTable).row_count == 81

        await pilot.press("s")
        await settle(pilot)
        quarter = select_history(app.plan, since=dt.date(2026, 10, 4)).height
        assert f"{quarter} finished tasks · window: last quarter (finished since 2026-10-04)" in text(
            retro, "#retro-title"
        )
        assert retro.query_one("#history", DataTable).row_count == quarter
        await pilot.press("s", "s")  # last month, then all again
        await settle(pilot)
        assert "window: all" in text(retro, "#retro-title")

        groups = retro.query_one("#groups", DataTable)
        groups.focus()
        groups.move_cursor(row=groups.get_row_index("team:risk"))
        await pilot.press("enter")
        await settle(pilot)
        assert "team risk; 20 finished tasks" in text(retro, "#retro-title")
        assert "Not enough data" not in text(retro, "#retro-success")  # 20 resolved: just enough
        assert retro.query_one("#history", DataTable).row_count == 20

        groups.move_cursor(row=groups.get_row_index("person:sofia"))
        await pilot.press("enter")
        await settle(pilot)
        assert "team risk, person sofia; 5 finished tasks" in text(retro, "#retro-title")
        assert "⚠ Not enough data: 5 resolved forecasts, 20 needed for a verdict" in text(retro, "#retro-success")
        await pilot.press("escape")
        await settle(pilot)
        assert "team risk; 20 finished tasks" in text(retro, "#retro-title")
        await pilot.press("escape")
        await settle(pilot)
        assert "all finished work; 81 finished tasks" in text(retro, "#retro-title")


async def test_help_lists_the_new_keys(app, settle):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for mode, keys in (("o", ["a "]), ("r", ["b ", "c "]), ("t", ["s ", "enter ", "escape,backspace "])):
            await pilot.press(mode, "f1")
            assert isinstance(app.screen, HelpScreen)
            lines = text(app.screen, "#help-keys").splitlines()
            for key in keys:
                assert any(line.startswith(f"  {key}") for line in lines), (mode, key, lines)
            await pilot.press("escape")
