"""The lecture's practices as health checks on a plan, and the runner that applies every registered
check (these built-ins, registered through the entry point `health` like any plugin, and third-party ones).

Each check names the lecture section its practice comes from; the rules that decide when a plan
falls short of a practice are teamcast's own and are documented in docs/org-and-hiring.md. A check
whose practice is not in the lecture (technical debt) says so in its section.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import polars as pl

from teamcast import hookimpl
from teamcast.engine.plan.model import Plan, Role
from teamcast.engine.practice.evidence import approach_evidence
from teamcast.engine.practice.hiring import DEFAULT_MINIMUM, check_posting, pert_mean, review_candidate
from teamcast.engine.practice.org import assess, design_review
from teamcast.errors import PlanError
from teamcast.plugins.records import Finding, HealthCheck

ORGANISATION = "Lecture 13, §2: ML organisations"
MANAGING = "Lecture 13, §3: managing ML teams"
HIRING = "Lecture 13, §4: hiring"
BEYOND = "teamcast's own checks (not from the lecture)"

# teamcast's "long plan": this much open effort (PERT means, person-days) or more.
LONG_PLAN_DAYS = 120.0
MAINTENANCE_WORDS = re.compile(
    r"maintenance|clean[- ]?up|refactor|tech(nical)?[- ]debt|deprecat|retire|pay ?down|remove dead|upkeep",
    re.IGNORECASE,
)

BASELINE_WORDS = re.compile(r"baseline|end[- ]to[- ]end|\be2e\b|walking skeleton", re.IGNORECASE)
MAX_BASELINE_DEPTH = 1  # teamcast's "early": waits on at most one layer of other work

MODEL_METRIC = re.compile(
    r"\b(f1|auc|roc|accuracy|precision|recall|map|bleu|rouge|perplexity|wer|iou|rmse|mae|mse|log ?loss|ndcg|mrr|top-?[15])\b",
    re.IGNORECASE,
)
PRODUCT_WORDS = re.compile(
    r"\b(conversions?|revenue|sales|churn|retention|users?|customers?|costs?|chargebacks?|fraud losses|"
    r"tickets?|minutes|hours|time to|engagement|clicks?|orders?|savings?|profit|margin|downtime|complaints?|"
    r"signups?|bookings?|support|manual)\b",
    re.IGNORECASE,
)
ENGINEER_ROLES = frozenset({Role.ML_ENGINEER, Role.DATA_ENGINEER, Role.DEVOPS_ENGINEER})


def _is_research(kind: str | None) -> bool:
    return (kind or "").lower() == "research"


def _finding(check: str, location: str, message: str) -> Finding:
    return Finding(check=check, location=location, message=message)


# --- §2: ML organisations -----------------------------------------------------------------------


def org_design(plan: Plan) -> list[Finding]:
    """Questionnaire answers that are invalid or contradict each other, and design choices that differ
    from the lecture's table for the archetype the answers point to."""
    try:
        assessment = assess(plan)
    except PlanError as exc:
        return [Finding("org_design", p.location, p.message, severity="error") for p in exc.problems]
    findings = [
        _finding("org_design", "org.answers", f"contradictory answers ({' vs '.join(c.questions)}): {c.message}")
        for c in assessment.contradictions
    ]
    if assessment.best is None:
        return findings
    try:
        review = design_review(plan, assessment.best)
    except PlanError as exc:
        return findings + [Finding("org_design", p.location, p.message, severity="error") for p in exc.problems]
    findings.extend(_finding("org_design", d.where, d.message) for d in review if d.status == "mismatch")
    return findings


# --- §3: managing ML teams -----------------------------------------------------------------------


def early_baseline(plan: Plan) -> list[Finding]:
    """A project without an early end-to-end baseline: no task whose id, title or kind says baseline /
    end-to-end / e2e / walking skeleton, or only one that waits on more than one layer of work."""
    depth = _depths(plan.tasks)
    findings = []
    for project in plan.projects["id"].to_list():
        tasks = plan.tasks.filter(pl.col("project") == project)
        if tasks.height == 0:
            continue
        baselines = [
            t["id"]
            for t in tasks.iter_rows(named=True)
            if any(BASELINE_WORDS.search(t[k] or "") for k in ("id", "title", "kind"))
        ]
        location = f"projects.{project}"
        if not baselines:
            findings.append(
                _finding(
                    "early_baseline",
                    location,
                    "no end-to-end baseline task; build the whole pipeline early to show quick wins",
                )
            )
        elif min(depth[b] for b in baselines) > MAX_BASELINE_DEPTH:
            first = min(baselines, key=depth.__getitem__)
            findings.append(
                _finding(
                    "early_baseline",
                    location,
                    f"the baseline task '{first}' waits on {depth[first]} layers of work; move it earlier",
                )
            )
    return findings


def _depths(tasks: pl.DataFrame) -> dict[str, int]:
    """Longest chain of `after` predecessors of each task (challenges count as one step).

    Iterative (an explicit stack), so a chain of thousands of tasks cannot hit Python's recursion limit.
    """
    after = {t: list(a or []) for t, a in zip(tasks["id"].to_list(), tasks["after"].to_list(), strict=True)}
    memo: dict[str, int] = {}
    for root in after:
        if root in memo:
            continue
        best = {root: 0}
        on_path = {root}
        stack = [(root, iter(after.get(root, [])))]
        while stack:
            node, preds = stack[-1]
            for pred in preds:
                if pred in memo:
                    best[node] = max(best[node], memo[pred] + 1)
                elif pred in on_path:  # a cycle is the validator's business; count the step, do not loop
                    best[node] = max(best[node], 1)
                else:
                    best[pred] = 0
                    on_path.add(pred)
                    stack.append((pred, iter(after.get(pred, []))))
                    break
            else:
                stack.pop()
                on_path.discard(node)
                memo[node] = best.pop(node)
                if stack:
                    parent = stack[-1][0]
                    best[parent] = max(best[parent], memo[node] + 1)
    return {t: memo[t] for t in after}


def portfolio_of_approaches(plan: Plan) -> list[Finding]:
    """A research goal resting on a single approach: a research task that is no approach of a
    challenge, or a challenge with only one approach."""
    approach_of = {a for approaches in plan.challenges["approaches"].to_list() for a in approaches or []}
    findings = []
    for t in plan.tasks.iter_rows(named=True):
        if _is_research(t["kind"]) and t["id"] not in approach_of:
            findings.append(
                _finding(
                    "portfolio_of_approaches",
                    f"tasks.{t['id']}",
                    "research task with a single approach; add alternatives in a challenge so the plan "
                    "does not depend on one idea",
                )
            )
    for c in plan.challenges.iter_rows(named=True):
        if len(c["approaches"] or []) < 2:
            findings.append(
                _finding(
                    "portfolio_of_approaches",
                    f"challenges.{c['id']}",
                    "challenge with one approach; add an independent alternative (teamcast's arithmetic: two "
                    "independent approaches at 50% give 75%)",
                )
            )
    return findings


def research_likelihood(plan: Plan) -> list[Finding]:
    """Research tasks with no p_success (which the simulation would treat as certain)."""
    return [
        _finding(
            "research_likelihood",
            f"tasks.{t['id']}",
            "research task without p_success is simulated as certain to succeed; give it a likelihood",
        )
        for t in plan.tasks.iter_rows(named=True)
        if _is_research(t["kind"]) and t["p_success"] is None
    ]


def researchers_with_engineers(plan: Plan) -> list[Finding]:
    """A project whose researchers have no engineer working on the same project."""
    role_of_person = dict(zip(plan.people["id"].to_list(), plan.people["role"].to_list(), strict=True))
    findings = []
    for project in plan.projects["id"].to_list():
        roles = set()
        for t in plan.tasks.filter(pl.col("project") == project).iter_rows(named=True):
            roles |= _task_roles(t, role_of_person)
        if Role.ML_RESEARCHER in roles and not roles & ENGINEER_ROLES:
            findings.append(
                _finding(
                    "researchers_with_engineers",
                    f"projects.{project}",
                    "researchers work on this project without an engineer; pair them so models reach production",
                )
            )
    return findings


def _task_roles(task: dict, role_of_person: dict[str, str]) -> set[str]:
    roles = {task["role"]} if task["role"] else set()
    roles |= {need["pool"] for need in task["needs"] or []}
    if task["assignee"] in role_of_person:
        roles.add(role_of_person[task["assignee"]])
    return roles


def product_impact(plan: Plan) -> list[Finding]:
    """A project whose impact is missing or stated only as a model metric (F1, AUC, accuracy, ...)."""
    findings = []
    for p in plan.projects.iter_rows(named=True):
        impact = (p["impact"] or "").strip()
        location = f"projects.{p['id']}.impact"
        if not impact:
            findings.append(
                _finding(
                    "product_impact",
                    location,
                    "no impact stated; say what the product gains, with its risk",
                )
            )
        elif MODEL_METRIC.search(impact) and not PRODUCT_WORDS.search(impact):
            findings.append(
                _finding(
                    "product_impact",
                    location,
                    f"impact '{impact}' is a model metric; state the product impact and its risk for leadership",
                )
            )
    return findings


# --- §4: hiring ----------------------------------------------------------------------------------


def specific_postings(plan: Plan) -> list[Finding]:
    """Open positions whose must-haves make a unicorn posting or a wish list."""
    findings: list[Finding] = []
    for h in plan.hires.iter_rows(named=True):
        review = check_posting(h["must_have"], h["role"])
        if review.is_unicorn or review.too_many:
            findings.extend(
                _finding("specific_postings", f"hires.{h['id']}.must_have", message)
                for message in review.specificity_messages()
            )
    return findings


def minimum_bars(plan: Plan) -> list[Finding]:
    """Candidates tested against no minimum bar, and bar scorecards that state no minimum."""
    findings = []
    for c in plan.candidates.iter_rows(named=True):
        bars = c["bars"] or []
        if not bars:
            findings.append(
                _finding(
                    "minimum_bars",
                    f"candidates.{c['id']}.bars",
                    "no minimum bar on the candidate's weaker aspects; name the aspects to test a floor on",
                )
            )
            continue
        cards = plan.scorecards.filter((pl.col("candidate") == c["id"]) & pl.col("aspect").is_in(bars))
        for row in cards.filter(pl.col("minimum").is_null()).iter_rows(named=True):
            findings.append(
                _finding(
                    "minimum_bars",
                    f"scorecards.{c['id']}.{row['assessment']}",
                    f"bar '{row['aspect']}' has no minimum; teamcast assumes {DEFAULT_MINIMUM:g} of 5",
                )
            )
    return findings


def open_to_non_phds(plan: Plan) -> list[Finding]:
    """Open positions whose must-haves require a PhD (the lecture: stay open to people without one)."""
    findings = []
    for h in plan.hires.iter_rows(named=True):
        for message in check_posting(h["must_have"], h["role"]).phd_messages():
            findings.append(_finding("open_to_non_phds", f"hires.{h['id']}.must_have", message))
    return findings


def ml_and_swe_tested(plan: Plan) -> list[Finding]:
    """Candidates of any role, with scorecards, not tested on both ML knowledge and software engineering."""
    findings = []
    for c in plan.candidates.iter_rows(named=True):
        if plan.scorecards.filter(pl.col("candidate") == c["id"]).height == 0:
            continue
        review = review_candidate(plan, c["id"])
        if review.untested_areas:
            findings.append(_finding("ml_and_swe_tested", f"candidates.{c['id']}", review.warnings[-1]))
    return findings


# --- §3 again: re-evaluate as work progresses or stalls -------------------------------------------


def reevaluate_approaches(plan: Plan) -> list[Finding]:
    """Work whose experiments log calls for re-evaluating its likelihood and the order (teamcast's reading
    of the log, see teamcast.engine.practice.evidence): stalling, goal reached in experiments, in
    progress with no gain reported, or experiments logged before the task started."""
    return [
        _finding("reevaluate_approaches", f"tasks.{e.task}", f"{e.sentence()} (teamcast's reading of the log)")
        for e in approach_evidence(plan)
        if e.verdict in {"stalling", "reached", "logged before it started"}
        or (e.verdict == "no evidence" and e.experiments > 0)
    ]


# --- beyond the lecture --------------------------------------------------------------------------


def technical_debt(plan: Plan) -> list[Finding]:
    """A long plan (LONG_PLAN_DAYS of open effort or more) with no open task whose id, title or kind says
    maintenance, clean-up, refactoring, technical debt, deprecation or retirement."""
    open_tasks = plan.tasks.filter(pl.col("status").fill_null("todo").is_in(["todo", "doing"]))
    effort = sum(
        pert_mean(t["est_low"], t["est_likely"], t["est_high"]) or 0.0 for t in open_tasks.iter_rows(named=True)
    )
    if effort < LONG_PLAN_DAYS:
        return []
    if any(
        MAINTENANCE_WORDS.search(t[k] or "") for t in open_tasks.iter_rows(named=True) for k in ("id", "title", "kind")
    ):
        return []
    return [
        _finding(
            "technical_debt",
            "tasks",
            f"{open_tasks.height} open tasks, about {effort:.0f} days of effort, and none for maintenance or "
            'clean-up: ML systems pile up technical debt, "the high-interest credit card" (Sculley et al., 2014); '
            "plan some paydown (teamcast's check)",
        )
    ]


BUILTIN_CHECKS: list[HealthCheck] = [
    HealthCheck("org_design", ORGANISATION, org_design, "team structure consistent with the organisation's archetype"),
    HealthCheck("early_baseline", MANAGING, early_baseline, "an end-to-end pipeline early, for quick wins"),
    HealthCheck("portfolio_of_approaches", MANAGING, portfolio_of_approaches, "several approaches to a research goal"),
    HealthCheck("research_likelihood", MANAGING, research_likelihood, "every research task carries a likelihood"),
    HealthCheck(
        "researchers_with_engineers", MANAGING, researchers_with_engineers, "researchers and engineers together"
    ),
    HealthCheck("product_impact", MANAGING, product_impact, "speak in product impact, not model metrics"),
    HealthCheck("reevaluate_approaches", MANAGING, reevaluate_approaches, "re-evaluate as work progresses or stalls"),
    HealthCheck("specific_postings", HIRING, specific_postings, "be specific: no unicorn job postings"),
    HealthCheck("minimum_bars", HIRING, minimum_bars, "test a minimum bar on a candidate's weaker aspects"),
    HealthCheck("ml_and_swe_tested", HIRING, ml_and_swe_tested, "test both ML knowledge and software engineering"),
    HealthCheck("open_to_non_phds", HIRING, open_to_non_phds, "stay open to researchers without PhDs"),
    HealthCheck("technical_debt", BEYOND, technical_debt, "plan maintenance in a long plan (teamcast's check)"),
]


@hookimpl
def register_checks(register):
    """The built-in checks, registered by the entry point `health` exactly as a third-party plugin's are."""
    for check in BUILTIN_CHECKS:
        register(check)


def _registered_checks() -> Iterable[HealthCheck]:
    from teamcast.plugins.manager import get_registry

    return get_registry().checks.values()


def run_checks(plan: Plan, registry=None) -> list[Finding]:
    """Every registered check's findings, in registration order.

    `registry` is anything with a `checks` mapping of name -> HealthCheck (default: the plugin
    manager's). A check that raises does not stop the others: it becomes one finding of severity
    "error" that names the check.
    """
    checks = registry.checks.values() if registry is not None else _registered_checks()
    findings: list[Finding] = []
    for check in checks:
        try:
            findings.extend(check.run(plan))
        # A broken third-party check must not hide the others' findings, nor end the command
        # as if it had succeeded (sys.exit in a check); Ctrl-C still stops the command.
        except (Exception, SystemExit) as exc:
            findings.append(Finding(check=check.name, location="", message=f"check failed: {exc!r}", severity="error"))
    return findings


def section_of(registry=None) -> dict[str, str]:
    """Check name -> lecture section, for grouping findings."""
    checks = registry.checks.values() if registry is not None else _registered_checks()
    return {c.name: c.section for c in checks}
