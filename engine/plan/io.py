"""Load a plan from whatever the user points at: a plan file, a workspace, or a PSPLIB instance."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from teamcast.engine.plan.model import Plan
from teamcast.errors import TeamcastError, UsageError, WorkspaceError

PLAN_SUFFIXES = (".toml", ".db", ".sm")


def load_plan(path: str | os.PathLike) -> Plan:
    """The plan in `path` (.toml plan file, .db workspace or PSPLIB .sm), validated."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in PLAN_SUFFIXES:
        raise UsageError(
            f"{path}: unsupported file type {suffix or '(none)'}; expected a .toml plan, a .db workspace or a PSPLIB .sm file"
        )
    if not path.exists():
        raise TeamcastError(f"{path}: no such file", title="not found")
    if suffix == ".db":
        from teamcast.engine.plan.workspace import Workspace

        with Workspace.open(path) as ws:
            return require_plan(ws.load(), path)
    if suffix == ".sm":
        from teamcast.engine.plan.psplib import read_sm

        return read_sm(path)
    from teamcast.engine.plan.planfile import read_plan

    return read_plan(path)


def require_plan(plan: Plan, workspace: str | os.PathLike) -> Plan:
    """`plan`, or the one-line error every command gives on a workspace that holds no plan yet."""
    if plan.plan.height == 0:
        raise WorkspaceError(f"{workspace}: this workspace holds no plan yet: teamcast import PLAN --into {workspace}")
    return plan


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write a whole file or nothing: a temporary file beside it, then a rename."""
    path = Path(path)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_plan(plan: Plan, path: str | os.PathLike) -> None:
    """Write the plan's canonical TOML to `path` atomically: readers see the old file or the new one."""
    from teamcast.engine.plan.planwriter import plan_to_toml

    write_atomic(path, plan_to_toml(plan).encode("utf-8"))
