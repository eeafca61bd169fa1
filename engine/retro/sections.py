"""Report sections from plugins (hook `register_report_sections`): rendered once per report and
appended, under their titles, to the Markdown and HTML reports."""

from __future__ import annotations

from typing import Any

from teamcast.engine.plan.model import Plan


def plugin_sections(plan: Plan, results: Any) -> list[dict]:
    """Each registered section's title, plugin and markdown, in name order.

    `results` is what the report was built from: the Forecast for the leadership report, the
    Retro for the retro report."""
    from teamcast.plugins.manager import checked_section, get_registry
    from teamcast.plugins.records import ReportContext

    registry = get_registry()
    ctx = ReportContext(plan=plan, results=results)
    out = []
    for name, section in sorted(registry.records("report_section").items()):
        out.append(
            {
                "name": name,
                "title": section.title,
                "plugin": section.plugin.name if section.plugin else None,
                "markdown": checked_section(section, ctx),
            }
        )
    return out


def sections_markdown(data: dict) -> str:
    """The sections of a report's data as Markdown ('' when there are none)."""
    parts = []
    for s in data.get("sections") or []:
        source = f" (from the {s['plugin']} plugin)" if s["plugin"] else ""
        parts.append(f"## {s['title']}\n\n_Section added by a plugin{source}._\n\n{s['markdown'].strip()}\n")
    return ("\n" + "\n".join(parts)) if parts else ""
