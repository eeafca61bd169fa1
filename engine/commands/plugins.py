"""`teamcast plugins`: what each installed plugin provides, and which plugins failed to load."""

from __future__ import annotations

import json

import click

from teamcast.engine.commands.terminal import echo


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (stable keys, for scripts).")
def plugins(as_json: bool) -> None:
    """List installed plugins, what they register, and load failures.

    \b
    Examples:
      teamcast plugins
      teamcast plugins --json | jq '.failures'
      TEAMCAST_DISABLE_PLUGINS=my-plugin teamcast plugins
    """
    from teamcast.plugins.manager import get_registry, plugins_summary

    registry = get_registry()
    listed = plugins_summary(registry)
    failures = [
        {"name": f.entry_point, "dist": f.dist, "version": f.version, "error": f.error} for f in registry.failures
    ]
    if as_json:
        click.echo(json.dumps({"plugins": listed, "failures": failures}, indent=2))
        return
    for line in _table(listed, failures):
        echo(line)


def _table(listed: list[dict], failures: list[dict]) -> list[str]:
    rows = [("plugin", "distribution", "provides")]
    for p in listed:
        provides = "; ".join(f"{kind.replace('_', ' ')}: {', '.join(names)}" for kind, names in p["provides"].items())
        dist = f"{p['dist']} {p['version']}".strip() or "(inline)"
        rows.append((p["name"], dist, provides or ", ".join(p["hooks"]) or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    lines = [f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]}".rstrip() for r in rows]
    if failures:
        lines += ["", f"{len(failures)} failure(s):"]
        lines += [f"  {f['name']} ({f['dist']} {f['version']}): {f['error']}" for f in failures]
    return lines


commands = [plugins]
