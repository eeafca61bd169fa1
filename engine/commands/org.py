"""CLI commands for the organisation and the roster: `org`, `check`, `hiring` and `roster`.

Each reads a plan (.toml or .db), prints plain text (default) or JSON (`--format json`, keys
documented in docs/org-and-hiring.md); errors are TeamcastError subclasses for the group to print.
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict

import click

from teamcast.engine.commands.terminal import echo
from teamcast.errors import TeamcastError

FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Plain text for people, JSON for scripts.",
)
PLAN_FILE = click.argument("plan_file", type=click.Path(dir_okay=False))


def load_plan(path: str):
    """The plan in a plan file or workspace (a module-level name so tests can replace it)."""
    from teamcast.engine.plan.io import load_plan as load

    return load(path)


def _echo_json(data) -> None:
    echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


# --- org -----------------------------------------------------------------------------------------


@click.command()
@PLAN_FILE
@FORMAT
def org(plan_file: str, fmt: str):
    """The organisation's archetype (Lecture 13, §2) from [org.answers], and its design choices.

    \b
    Examples:
      teamcast org team.db
      teamcast org plan.toml --format json
    """
    from teamcast.engine.practice.org import assess, design_review

    plan = load_plan(plan_file)
    assessment = assess(plan)
    review = design_review(plan, assessment.best) if assessment.best is not None else []
    if fmt == "json":
        _echo_json(
            {
                "assessment": {
                    "best": assessment.best,
                    "runner_up": assessment.runner_up,
                    "confidence": round(assessment.confidence, 4),
                    "scores": {str(a): s for a, s in assessment.scores.items()},
                    "answered": assessment.answered,
                    "missing": assessment.missing,
                    "contradictions": [
                        {"questions": list(c.questions), "message": c.message} for c in assessment.contradictions
                    ],
                    "believed": assessment.believed,
                    "explanation": assessment.explanation(),
                },
                "design_review": [dataclasses.asdict(d) for d in review],
            }
        )
        return
    for line in assessment.explanation():
        echo(line)
    if assessment.best is not None:
        echo("")
        echo(
            "Scores (teamcast's scoring table): "
            + ", ".join(f"{a} {s}" for a, s in sorted(assessment.scores.items(), key=lambda item: -item[1]))
        )
        echo("")
        echo("Design choices:")
        for d in review:
            label = d.location or d.choice or "note"
            echo(f"  {d.status:<9} {label:<16} {d.message}")


# --- check ---------------------------------------------------------------------------------------


@click.command()
@PLAN_FILE
@FORMAT
@click.option("--strict", is_flag=True, help="Exit 1 when there is any finding (for CI).")
def check(plan_file: str, fmt: str, strict: bool):
    """The lecture's practices as health checks; findings grouped by lecture section.

    Exits 0 even with findings (they are advice, not errors) unless --strict is given.

    \b
    Examples:
      teamcast check team.db
      teamcast check plan.toml --strict --format json   # in CI
    """
    from teamcast.engine.practice.checks import run_checks, section_of

    plan = load_plan(plan_file)
    sections = section_of()
    if not sections:
        raise TeamcastError(
            "no health checks are registered; is the built-in plugin 'health' disabled (TEAMCAST_DISABLE_PLUGINS)?",
            title="check",
        )
    findings = run_checks(plan)
    grouped = defaultdict(list)
    for f in findings:
        grouped[sections.get(f.check, "other")].append(f)
    if fmt == "json":
        _echo_json(
            {
                "plan": plan.name,
                "findings": [{"section": sections.get(f.check, "other"), **dataclasses.asdict(f)} for f in findings],
            }
        )
    elif not findings:
        echo("No findings: the plan follows every practice teamcast checks.")
    else:
        for section, items in grouped.items():
            echo(section)
            for f in items:
                where = f"{f.location}: " if f.location else ""
                echo(f"  {f.severity}: {where}{f.message} [{f.check}]")
    if strict and findings:
        raise click.exceptions.Exit(1)


# --- hiring --------------------------------------------------------------------------------------


@click.command()
@PLAN_FILE
@FORMAT
def hiring(plan_file: str, fmt: str):
    """Open positions (posting review, expected arrival, the lecture's advice and sourcing channels for
    the role), the funnel, how to attract practitioners, and candidates' scorecards.

    Lecture 13, §4 is cited where the advice is the lecture's; thresholds are teamcast's, and the
    funnel's rates are general tech-hiring benchmarks, not the lecture's.

    \b
    Examples:
      teamcast hiring team.db
      teamcast hiring plan.toml --format json
    """
    from teamcast.engine.practice.hiring import funnel, open_positions, review_candidate
    from teamcast.engine.practice.hiring_advice import LECTURE_FIGURE, TALENT_GAP, advice_for, attract_checklist

    plan = load_plan(plan_file)
    positions = open_positions(plan)
    per_hire = funnel(1)
    reviews = [review_candidate(plan, cid) for cid in plan.candidates["id"].to_list()]
    advice = {p.id: advice_for(p.role, p.posting.must_have) for p in positions}
    if fmt == "json":
        _echo_json(
            {
                "talent_gap": TALENT_GAP,
                "positions": [
                    {
                        "id": p.id,
                        "role": p.role,
                        "team": p.team,
                        "expected_day": p.expected_day,
                        "expected_date": p.expected_date,
                        "unicorn": p.posting.is_unicorn,
                        "too_many_must_haves": p.posting.too_many,
                        "requires_phd": p.posting.requires_phd,
                        "roles_in_posting": {str(r): items for r, items in p.posting.roles.items()},
                        "posting_review": p.posting.messages(),
                        "advice": advice[p.id].advice,
                        "sourcing_channels": advice[p.id].channels,
                    }
                    for p in positions
                ],
                "funnel_per_hire": {"stages": per_hire.stages, "source": per_hire.rates.source},
                "attract": {"source": LECTURE_FIGURE, "checklist": attract_checklist()},
                "candidates": [
                    {
                        "id": r.id,
                        "role": r.role,
                        "decision": r.decision,
                        "untested_areas": r.untested_areas,
                        "strengths": [dataclasses.asdict(s) for s in r.strengths],
                        "bars": [dataclasses.asdict(b) for b in r.bars],
                        "by_assessment": r.by_assessment,
                        "warnings": r.warnings,
                    }
                    for r in reviews
                ],
            }
        )
        return
    echo(f"Context: {TALENT_GAP}")
    echo("")
    if not positions:
        echo("No open positions.")
    for p in positions:
        arrival = (
            f"expected day {p.expected_day:.0f} ({p.expected_date})"
            if p.expected_day is not None
            else "no time to hire"
        )
        echo(f"{p.id} ({p.role}): {arrival}")
        for message in p.posting.messages() or ["posting is specific"]:
            echo(f"  {message}")
        for line in advice[p.id].advice:
            echo(f"  advice: {line}")
        echo(f"  sourcing (the lecture's channels, teamcast's pick for the role): {', '.join(advice[p.id].channels)}")
    echo("")
    echo("Funnel per hire: " + per_hire.lines()[0])
    echo("  " + per_hire.lines()[1])
    echo("")
    echo(f"What ML practitioners want, and how to attract them ({LECTURE_FIGURE}):")
    for line in attract_checklist():
        echo(f"  [ ] {line}")
    for r in reviews:
        echo("")
        echo(f"Candidate {r.id} ({r.role}): {r.summary()}")
        for s in r.strengths:
            echo(f"  strength {s.aspect}: {s.status}")
        for b in r.bars:
            echo(f"  bar {b.aspect} (minimum {b.threshold:g}): {b.status}")
        for w in r.warnings:
            echo(f"  warning: {w}")


# --- roster --------------------------------------------------------------------------------------


@click.command()
@PLAN_FILE
@FORMAT
@click.option(
    "--bottlenecks", "with_bottlenecks", is_flag=True, help="Also re-simulate with one more person per role (slow)."
)
@click.option("--trials", type=click.IntRange(1, 10_000_000), default=2_000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def roster(plan_file: str, fmt: str, with_bottlenecks: bool, trials: int, seed: int):
    """People, coverage of demand by role, growth tiers (teamcast's lens on the lecture's advice to job
    seekers; inputs only), and (optionally) bottleneck roles.

    \b
    Examples:
      teamcast roster team.db
      teamcast roster team.db --bottlenecks --trials 2000
    """
    from teamcast.engine.practice.growth import growth_all
    from teamcast.engine.practice.roster import bottlenecks, coverage

    plan = load_plan(plan_file)
    cover = coverage(plan)
    growths = growth_all(plan)
    found = bottlenecks(plan, trials=trials, seed=seed) if with_bottlenecks else None
    if fmt == "json":
        _echo_json(
            {
                "people": plan.people.select("id", "name", "role", "team", "capacity").to_dicts(),
                "coverage": cover.to_dicts(),
                "growth": [
                    {
                        "person": g.person,
                        "highest_shown": g.highest_shown,
                        "next_step": g.next_step(),
                        "tiers": [dataclasses.asdict(t) for t in g.tiers],
                    }
                    for g in growths
                ],
                "bottlenecks": None
                if found is None
                else [
                    {
                        "role": b.role,
                        "project": b.project,
                        "p80_before": b.p80_before,
                        "p80_after": b.p80_after,
                        "delta_days": b.delta_days,
                        "sentence": b.sentence(),
                    }
                    for b in found
                ],
            }
        )
        return
    echo("People:")
    for p in plan.people.iter_rows(named=True):
        echo(f"  {p['id']:<12} {p['role'] or '':<20} {p['team'] or '':<12} capacity {p['capacity'] or 1.0:g}")
    echo("")
    echo("Coverage by role (open effort; teamcast's naive reading, see docs):")
    for c in cover.iter_rows(named=True):
        clear = f"cleared by day {c['clear_day']:.0f}" if c["covered"] else "NOT COVERED: no one of this role"
        echo(
            f"  {c['role']:<20} {c['people']} people, {c['hires']} hires, {c['demand_days']:.1f} days of work, {clear}"
        )
    echo("")
    echo(
        "Growth (teamcast's lens on the ways to stand out that Lecture 13, §4 gives job seekers; evidence is "
        "inputs recorded in the plan, never whose work succeeded):"
    )
    for g in growths:
        echo(f"  {g.person}: highest tier shown {g.highest_shown}; {g.next_step()}")
        for t in g.tiers:
            echo(f"    {t.tier} {t.status:<9} {t.evidence}")
    if found is not None:
        echo("")
        echo(f"Bottlenecks ({trials} trials, seed {seed}, same random numbers with and without):")
        moving = [b for b in found if round(b.delta_days) != 0]
        for b in moving:
            echo(f"  {b.sentence()}")
        if len(moving) < len(found):
            echo(f"  {'no' if not moving else 'no other'} extra person moves a project's P80 by a day or more")


commands = [org, check, hiring, roster]
