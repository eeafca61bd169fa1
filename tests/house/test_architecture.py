"""The house rules, checked on the source: import direction, no circles, module size, no reaching
into another module's private names. A failure names the module and the rule it breaks."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from teamcast.engine.plan.graph import strongly_connected

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"engine": "teamcast.engine", "plugins": "teamcast.plugins", "tui": "teamcast.tui", "ext": "teamcast.ext"}
MAX_LINES = 600
ROOT_MODULES = ("teamcast", "teamcast.errors", "teamcast.interrupts")  # what every package may import


def modules() -> dict[str, Path]:
    found = {name: ROOT / f"{name.removeprefix('teamcast.')}.py" for name in ROOT_MODULES[1:]}
    found["teamcast"] = ROOT / "__init__.py"
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            name = ".".join((package, *parts))
            found[name.removesuffix(".__init__")] = path
    return found


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(path: Path, name: str) -> list[tuple[str, int, list[str]]]:
    """(module imported, line, names taken from it) for every runtime import, lazy ones included."""
    tree = ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"
    found: list[tuple[str, int, list[str]]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking_only(child):
                continue
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno, []) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                module = child.module or ""
                if child.level:
                    base = name.split(".")
                    base = base[: len(base) - child.level + (1 if is_package else 0)]
                    module = ".".join(base + ([module] if module else []))
                found.append((module, child.lineno, [alias.name for alias in child.names]))
            visit(child)

    visit(tree)
    return [(m, line, names) for m, line, names in found if m == "teamcast" or m.startswith("teamcast.")]


def resolve(target: str, names: list[str], known: dict[str, Path]) -> list[str]:
    """The teamcast modules an import loads: `from pkg import mod` counts as importing pkg.mod, not
    pkg itself (a parent package is initialised by any import of its sub-modules, so it is no edge)."""
    submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in known]
    out = submodules if submodules and len(submodules) == len(names) else [target, *submodules]
    return [m for m in out if m in known]


ALL = modules()
GRAPH = {
    name: sorted({m for target, _, names in imports(path, name) for m in resolve(target, names, ALL) if m != name})
    for name, path in ALL.items()
}


def allowed(source: str, target: str) -> bool:
    """tui -> engine -> {ext, plugins}; plugins -> root only; ext -> nothing of ours but itself."""
    if target in ROOT_MODULES:
        return True
    if source.startswith("teamcast.plugins"):
        return target.startswith("teamcast.plugins")
    if source.startswith("teamcast.ext"):
        return target.startswith("teamcast.ext")
    if source.startswith("teamcast.engine"):
        if target.startswith("teamcast.tui"):
            return source.startswith("teamcast.engine.commands")  # the command that opens the app
        return True
    if source.startswith("teamcast.tui"):
        return True
    return not target.startswith(("teamcast.engine", "teamcast.tui", "teamcast.plugins", "teamcast.ext"))


def test_imports_run_one_way():
    wrong = [
        f"{source} imports {target}"
        for source, targets in GRAPH.items()
        for target in targets
        if not allowed(source, target)
    ]
    assert wrong == []


def test_the_tui_uses_only_the_public_engine_api():
    wrong = [
        f"{source} imports {target}"
        for source, targets in GRAPH.items()
        if source.startswith("teamcast.tui")
        for target in targets
        if target.startswith("teamcast.engine") and target not in ("teamcast.engine", "teamcast.engine.views")
    ]
    assert wrong == []


def _cycles() -> list[list[str]]:
    """The import graph's circles: its strongly connected components of more than one module."""
    return [sorted(c) for c in strongly_connected(GRAPH) if len(c) > 1]


def test_no_import_circles():

    assert _cycles() == []


@pytest.mark.parametrize("name", sorted(n for n in ALL if not n.startswith("teamcast.ext")))
def test_no_module_is_over_600_lines(name):
    lines = len(ALL[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{ALL[name].relative_to(ROOT)} has {lines} lines"


def test_nothing_takes_another_modules_private_names():
    wrong = []
    for name, path in ALL.items():
        tree = ast.parse(path.read_text(), str(path))
        aliases: dict[str, str] = {}
        for target, line, names in imports(path, name):
            for n in names:
                # a compiled extension module (ext/_kernel.pyx) is private by convention, not a private name
                compiled = "." in target and (ROOT / target.split(".")[1] / f"{n}.pyx").exists()
                if n.startswith("_") and not n.startswith("__") and target != name and not compiled:
                    wrong.append(f"{name}:{line} imports {target}.{n}")
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("teamcast"):
                for alias in node.names:
                    if f"{node.module}.{alias.name}" in ALL:
                        aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in ALL and alias.asname:
                        aliases[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                wrong.append(f"{name}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    assert wrong == []
