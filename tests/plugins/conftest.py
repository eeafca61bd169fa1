"""Shared helpers for the plugin tests: task frames, and real distributions built in tmp_path.

A "distribution" here is a package directory plus a `<name>-<version>.dist-info` folder
with METADATA and entry_points.txt, put on sys.path: importlib.metadata finds it exactly
as it finds a pip-installed package, without touching the shared virtualenv.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from teamcast.engine.plan.model import frame
from teamcast.plugins import manager


def tasks_frame(estimates: list[tuple[float, float, float]], p_success: list[float] | None = None) -> pl.DataFrame:
    """A TASKS_SCHEMA frame with defaults applied, as the driver hands it to models."""
    p = p_success or [1.0] * len(estimates)
    rows = [
        {
            "id": f"t{i}",
            "est_form": "range",
            "est_low": a,
            "est_likely": m,
            "est_high": b,
            "p_success": q,
            "model": "pert",
        }
        for i, ((a, m, b), q) in enumerate(zip(estimates, p, strict=True))
    ]
    return frame("tasks", rows)


class Dists:
    """Builds distributions under one sys.path root; removes them (and their modules) afterwards."""

    def __init__(self, root: Path):
        self.root = root
        self.modules: list[str] = []

    def add(self, dist: str, version: str, modules: dict[str, str], entry_points: dict[str, str]) -> None:
        for name, source in modules.items():
            (self.root / f"{name}.py").write_text(textwrap.dedent(source))
            self.modules.append(name)
        info = self.root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
        (info / "entry_points.txt").write_text(f"[teamcast]\n{lines}")

    def registry(self) -> manager.Registry:
        return manager.get_registry(refresh=True)


@pytest.fixture
def dists(tmp_path, monkeypatch):
    root = tmp_path / "site"
    root.mkdir()
    built = Dists(root)
    monkeypatch.syspath_prepend(str(root))
    yield built
    monkeypatch.undo()
    for name in built.modules:
        sys.modules.pop(name, None)
    manager.get_registry(refresh=True)


@pytest.fixture(name="tasks_frame")
def tasks_frame_fixture():
    return tasks_frame


@pytest.fixture
def rng():
    return np.random.default_rng(20270104)
