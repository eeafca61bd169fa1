"""Org: teams and reporting lines as a tree, the org profile, the archetype assessment from the
questionnaire (a answers it), the design review against the lecture's table, and the health checks."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from teamcast.engine import (
    PROFILES,
    QUESTIONS,
    ROLE_TITLE,
    Plan,
    answers_of,
    assess,
    design_review,
    findings_by_section,
    run_checks,
    section_of,
)
from teamcast.errors import PlanError
from teamcast.tui import charts
from teamcast.tui.screens.base import AreaScreen

STATUS_BADGE = {"match": "✓", "mismatch": "✗", "missing": "?", "note": "i"}


class OrgScreen(AreaScreen):
    """Who reports to whom, and what kind of ML organisation this is (lecture §2)."""

    BINDINGS = [Binding("a", "answer", "Answer the questionnaire", id="org.answer")]

    def body(self) -> ComposeResult:
        with Horizontal(id="org-body"):
            yield Tree("organisation", id="org-tree")
            with VerticalScroll(id="org-profile-box"):
                yield Static(id="org-profile")
                yield Static(id="org-assessment", classes="panel")
                yield Static(id="org-design", classes="panel")
                yield Static(id="org-checks", classes="panel")

    def show(self) -> None:
        plan = self.app.plan
        tree = self.query_one(Tree)
        tree.clear()
        tree.root.set_label(
            plan.org["name"][0] if plan.org.height and plan.org["name"][0] else plan.name or "organisation"
        )
        _fill_tree(tree, plan)
        tree.root.expand_all()
        self.query_one("#org-profile", Static).update("\n".join(profile_lines(plan)))
        try:
            assessment = assess(plan)
        except PlanError as exc:
            self.query_one("#org-assessment", Static).update("\n".join(_invalid_lines(exc)))
            self.query_one("#org-design", Static).update("")
        else:
            self.query_one("#org-assessment", Static).update("\n".join(assessment_lines(assessment)))
            self.query_one("#org-design", Static).update("\n".join(design_lines(plan, assessment.best)))
        self.query_one("#org-checks", Static).update("\n".join(check_lines(plan)))

    def action_answer(self) -> None:
        from teamcast.tui.screens.questionnaire import AnswersForm

        self.app.push_screen(AnswersForm(answers_of(self.app.plan)), self._answered)

    def _answered(self, answers: dict[str, str | None] | None) -> None:
        if answers is not None and self.app.save_answers(answers):
            self.notify(
                f"{sum(a is not None for a in answers.values())} of {len(QUESTIONS)} answered", title="answers saved"
            )


def _fill_tree(tree: Tree, plan: Plan) -> None:
    """Teams under what they report to (another team, or a free-text head such as `cto`), people under teams."""
    team_ids = set(plan.teams["id"].to_list())
    heads: dict[str, TreeNode] = {}
    team_nodes: dict[str, TreeNode] = {}
    teams = plan.teams.to_dicts()
    for team in teams:
        above = team["reports_to"]
        if above and above not in team_ids and above not in heads:
            heads[above] = tree.root.add(f"[b]{above}[/b]")
    pending = list(teams)
    while pending:  # parents before children; a loop of teams lands under the root
        progressed = False
        for team in list(pending):
            above = team["reports_to"]
            parent = team_nodes.get(above) or heads.get(above)
            if parent is None and above in team_ids and above in {t["id"] for t in pending}:
                continue
            label = f"{team['name'] or team['id']}" + (f"  (lead {team['lead']})" if team["lead"] else "")
            team_nodes[team["id"]] = (parent or tree.root).add(label)
            pending.remove(team)
            progressed = True
        if not progressed:
            for team in pending:
                team_nodes[team["id"]] = tree.root.add(team["name"] or team["id"])
            pending = []
    for person in plan.people.iter_rows(named=True):
        parent = team_nodes.get(person["team"], tree.root)
        role = ROLE_TITLE.get(person["role"], person["role"])
        parent.add_leaf(f"{person['name'] or person['id']} · {role}")


def profile_lines(plan: Plan) -> list[str]:
    lines = [f"[b]{escape(plan.name or 'no plan yet')}[/b]"]
    if plan.org.height:
        org = plan.org.row(0, named=True)
        lines += [
            f"Archetype (stated): {org['archetype'] or '–'}",
            f"SWE vs research: {org['swe_vs_research'] or '–'}",
            f"Data ownership: {org['data_ownership'] or '–'}",
            f"Model ownership: {org['model_ownership'] or '–'}",
        ]
    lines.append(f"{plan.teams.height} teams · {plan.people.height} people · {plan.hires.height} open hires")
    return lines


def assessment_lines(assessment) -> list[str]:
    """Best match, confidence and runner-up first, then the score bars and the engine's explanation."""
    lines = ["[b]Archetype assessment[/b] (Lecture 13, §2) · a: answer"]
    if assessment.best is None:
        return lines + [escape(line) for line in assessment.explanation()] + ["Press a to answer the questionnaire."]
    lines += [
        f"Closest: [b]{PROFILES[assessment.best].title}[/b] ({assessment.best}), "
        f"confidence {assessment.confidence:.0%} (teamcast's measure)",
        f"Runner-up: {PROFILES[assessment.runner_up].title} ({assessment.runner_up})",
        f"Answered {len(assessment.answered)} of {len(QUESTIONS)} · "
        f"{len(assessment.contradictions)} contradiction{'' if len(assessment.contradictions) == 1 else 's'}",
    ]
    lines += charts.score_bars({str(a): s for a, s in assessment.scores.items()})
    return lines + [escape(line) for line in assessment.explanation()[1:]]


def design_lines(plan: Plan, archetype) -> list[str]:
    if archetype is None:
        return []
    try:
        review = design_review(plan, archetype)
    except PlanError as exc:
        return _invalid_lines(exc)
    lines = [f"[b]Design choices[/b] against the lecture's table for {archetype}"]
    return lines + [f"{STATUS_BADGE[d.status]} {escape(d.message)}" for d in review]


def check_lines(plan: Plan) -> list[str]:
    """Findings counted and listed under the lecture section each check cites."""
    findings = run_checks(plan)
    grouped = findings_by_section(findings, section_of())
    lines = [f"[b]Health checks[/b]: {len(findings)} finding{'' if len(findings) == 1 else 's'}"]
    for section, found in grouped.items():
        lines.append(f"{'⚠' if found else '✓'} {len(found)}  {escape(section)}")
        lines += [f"    {escape(f.location)}: {escape(f.message)}" for f in found]
    return lines


def _invalid_lines(exc: PlanError) -> list[str]:
    return ["[b]The answers cannot be scored[/b]"] + [f"⚠ {escape(line)}" for line in exc.lines()]
