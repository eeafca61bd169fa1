"""The retro's per-person tables neither rank nor colour people by whose work succeeded (Lecture 13,
§3: measure inputs, not results)."""

from __future__ import annotations

import datetime as dt
import re

from teamcast.engine.plan.model import Plan, frame
from teamcast.engine.retro.report import retro_data, retro_markdown
from teamcast.engine.retro.review import build_retro, render_retro

# Markup that would colour a cell: Rich/Textual tags or ANSI escapes.
COLOUR = re.compile(r"\[/?(green|red|yellow|bold|b|i|reverse|on \w+)\]|\x1b\[")


def plan() -> Plan:
    """zed's work all succeeded, amy's all failed: sorting by success would put zed first."""
    rows = []
    for person, ok in (("zed", True), ("amy", False), ("mia", True)):
        for i in range(3):
            rows.append(
                {
                    "task": f"{person}-{i}",
                    "person": person,
                    "team": "t",
                    "kind": "research",
                    "est_low": 2.0,
                    "est_likely": 4.0,
                    "est_high": 9.0,
                    "p_success": 0.6,
                    "actual_days": 5.0,
                    "succeeded": ok if person != "mia" or i else False,
                    "started": dt.date(2026, 10, 1 + i),
                    "finished": dt.date(2026, 10, 10 + i),
                }
            )
    experiments = [
        {"person": p, "task": f"{p}-0", "tried": "x", "outcome": "y", "effort_days": 1.0} for p in "zed amy".split()
    ]
    return Plan(
        plan=frame("plan", [{"name": "t", "start": dt.date(2027, 1, 4)}]),
        history=frame("history", rows),
        experiments=frame("experiments", experiments),
    )


def test_people_come_in_name_order_whatever_their_successes():
    retro = build_retro(plan())
    assert [g.id for g in retro.people] == ["amy", "mia", "zed"]
    assert [r["person"] for r in retro.experiments_by_person] == ["amy", "mia", "zed"]


def test_the_printed_retro_and_the_report_keep_name_order_and_no_colour():
    text = render_retro(build_retro(plan()))
    markdown = retro_markdown(retro_data(plan()))
    for rendered in (text, markdown):
        people = [m.group(1) for m in re.finditer(r"^\W*(amy|mia|zed)\b", rendered, re.MULTILINE)]
        assert people[:3] == ["amy", "mia", "zed"]
        assert not COLOUR.search(rendered)
