"""Org: teams and reporting lines as a tree, the org profile and, where ready, the archetype assessment."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static, Tree

from teamcast.engine.model import ROLE_TITLE, Plan
from teamcast.tui.screens.base import AreaScreen


class OrgScreen(AreaScreen):
    """Who reports to whom, and what kind of ML organisation this is (lecture §2)."""

    def body(self) -> ComposeResult:
        with Horizontal(id="org-body"):
            yield Tree("organisation", id="org-tree")
            with VerticalScroll(id="org-profile-box"):
                yield Static(id="org-profile")

    def show(self) -> None:
        plan = self.app.plan
        tree = self.query_one(Tree)
        tree.clear()
        tree.root.set_label(plan.org["name"][0] if plan.org.height and plan.org["name"][0] else plan.name or "organisation")
        _fill_tree(tree, plan)
        tree.root.expand_all()
        self.query_one("#org-profile", Static).update("\n".join(profile_lines(plan)))


def _fill_tree(tree: Tree, plan: Plan) -> None:
    """Teams under what they report to (another team, or a free-text head such as `cto`), people under teams."""
    team_ids = set(plan.teams["id"].to_list())
    heads: dict[str, object] = {}
    team_nodes: dict[str, object] = {}
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
        role = ROLE_TITLE.get(person["role"], person["role"])  # type: ignore[call-overload]
        parent.add_leaf(f"{person['name'] or person['id']} · {role}")


def profile_lines(plan: Plan) -> list[str]:
    lines = [f"[b]{plan.name or 'no plan yet'}[/b]"]
    if plan.org.height:
        org = plan.org.row(0, named=True)
        lines += [
            f"Archetype (stated): {org['archetype'] or '–'}",
            f"SWE vs research: {org['swe_vs_research'] or '–'}",
            f"Data ownership: {org['data_ownership'] or '–'}",
            f"Model ownership: {org['model_ownership'] or '–'}",
        ]
    lines.append(f"{plan.teams.height} teams · {plan.people.height} people · {plan.hires.height} open hires")
    lines += ["", "[b]Archetype assessment[/b] (lecture §2)"] + _assessment(plan)
    lines += ["", "[b]Health checks[/b]"] + _checks(plan)
    return lines


def _assessment(plan: Plan) -> list[str]:
    try:
        from teamcast.engine.org import assess

        return assess(plan).explanation()
    except Exception as exc:  # optional module of another area: show why it is missing, keep the screen
        return [f"not available ({type(exc).__name__})"]


def _checks(plan: Plan) -> list[str]:
    try:
        from teamcast.engine.checks import run_checks

        findings = run_checks(plan)
    except Exception as exc:  # as above: the checks are optional here
        return [f"not available ({type(exc).__name__})"]
    if not findings:
        return ["✓ nothing to flag"]
    return [f"⚠ {f.check}: {f.message}" for f in findings]
