"""Which plugins exist: one scan of the `teamcast` entry-point group per process, without importing any.

Kept apart from the manager (and free of NumPy and pluggy) so that the command line can ask
"is any third-party plugin installed?" at the cost of the scan alone. The scan is cached:
`scan(refresh=True)` reads the installed distributions again (after a pip install in a test).
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import threading
from typing import NamedTuple

GROUP = "teamcast"
BUILTIN_DIST = "teamcast"
DISABLE_ENV = "TEAMCAST_DISABLE_PLUGINS"
LOAD_ENV = "TEAMCAST_LOAD_PLUGINS"

# What each of teamcast's own entry points registers (kinds as in teamcast.plugins.manager.KINDS):
# a command that needs only estimators then imports neither the health checks (the whole practice
# package) nor the searches. An entry point missing here is loaded for every kind, which is slower
# but never wrong; tests/plugins/test_lazy_loading.py checks each entry against what it registers.
BUILTIN_KINDS: dict[str, frozenset[str]] = {
    "pert": frozenset({"duration_model"}),
    "triangular": frozenset({"duration_model"}),
    "lognormal": frozenset({"duration_model"}),
    "fixed": frozenset({"duration_model"}),
    "bernoulli": frozenset({"success_model"}),
    "priority": frozenset({"priority_rule"}),
    "health": frozenset({"check"}),
    "ebs": frozenset({"sample_modifier"}),
    "stall": frozenset({"sample_modifier"}),
    "searches": frozenset({"search_method"}),
}


class Found(NamedTuple):
    """One entry point of the group and the distribution that declares it."""

    entry_point: importlib.metadata.EntryPoint
    dist: str
    version: str

    @property
    def builtin(self) -> bool:
        return canonical(self.dist) == BUILTIN_DIST


_scan: list[Found] | None = None
_lock = threading.Lock()


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def _names(value: str) -> set[str]:
    return {canonical(v) for v in value.split(",") if v.strip()}


def group_entry_points() -> list[importlib.metadata.EntryPoint]:
    """importlib.metadata.entry_points(group=GROUP), without parsing every distribution's entry points.

    The same distributions in the same order, each name once (the first on sys.path, as
    entry_points() keeps it); only the entry_points.txt files that mention the group are parsed
    (entry_points() parses all of them, ~2 ms of start-up in an environment of 80 distributions).
    """
    found: list[importlib.metadata.EntryPoint] = []
    seen: set[str] = set()
    for dist in importlib.metadata.distributions():
        # The key entry_points() itself deduplicates on (read from the path, without the metadata).
        key = getattr(dist, "_normalized_name", None) or canonical(dist.metadata["Name"] or "").replace("-", "_")
        if key in seen:
            continue
        seen.add(key)
        text = dist.read_text("entry_points.txt")
        if text and GROUP in text:
            found.extend(dist.entry_points.select(group=GROUP))
    return found


def name_and_version(dist: importlib.metadata.Distribution) -> tuple[str, str]:
    """The distribution's Name and Version ("" when missing), as dist.metadata gives them.

    Read from the header lines of METADATA (or PKG-INFO) directly when they are plain
    `Key: value` lines; anything else (folded or odd lines, no such file) takes dist.metadata's
    full e-mail parse, which also imports the e-mail parser (~1.5 ms of start-up otherwise).
    """
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO")
    head = (text or "").partition("\n\n")[0]
    found: dict[str, str] = {}
    plain = bool(head) and "\r" not in head
    for line in head.split("\n") if plain else ():
        key, colon, value = line.partition(":")
        if not colon or line[:1] in (" ", "\t") or key.startswith("From "):
            plain = False  # a folded header, a body without headers, an mbox line: the parser decides
            break
        found.setdefault(key.lower(), value.lstrip(" \t"))
    if not plain:
        meta = dist.metadata
        return meta["Name"] or "", meta["Version"] or ""
    return found.get("name") or "", found.get("version") or ""


def scan(*, refresh: bool = False) -> list[Found]:
    """The group's entry points, built-ins first (they win name clashes), then by distribution and
    name; cached per process (`refresh` reads the installed distributions again)."""
    global _scan
    with _lock:
        if _scan is None or refresh:
            metadata: dict[int, tuple[str, str]] = {}  # one METADATA parse per distribution, not per entry point
            found = []
            for ep in group_entry_points():
                dist = ep.dist
                if dist is None:
                    found.append(Found(ep, "", ""))
                    continue
                if id(dist) not in metadata:
                    metadata[id(dist)] = name_and_version(dist)
                found.append(Found(ep, *metadata[id(dist)]))
            _scan = sorted(found, key=lambda f: (not f.builtin, canonical(f.dist), f.entry_point.name))
        return _scan


def wanted(found: Found) -> bool:
    """Applies TEAMCAST_DISABLE_PLUGINS and TEAMCAST_LOAD_PLUGINS (names of entry points or distributions)."""
    names = {canonical(found.entry_point.name), canonical(found.dist)}
    if names & _names(os.environ.get(DISABLE_ENV, "")):
        return False
    only = os.environ.get(LOAD_ENV)
    # Like llm and datasette: the allow-list restricts third-party plugins; built-ins always load.
    if only is None or found.builtin:
        return True
    return bool(names & _names(only))


def third_party() -> bool:
    """Whether any distribution besides teamcast declares plugins (teamcast's own add no commands)."""
    return any(not found.builtin for found in scan())


def may_provide(found: Found, kinds: frozenset[str] | None) -> bool:
    """Whether the entry point may register a record of one of `kinds` (None: of any kind).
    Only teamcast's own entry points are known without importing them."""
    if kinds is None or not found.builtin or found.entry_point.name not in BUILTIN_KINDS:
        return True
    return bool(BUILTIN_KINDS[found.entry_point.name] & kinds)
