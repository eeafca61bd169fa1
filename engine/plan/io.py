"""Load a plan from whatever the user points at: a plan file, a workspace, or a PSPLIB instance."""

from __future__ import annotations

import json
import math
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from teamcast.engine.plan.model import Plan
from teamcast.errors import TeamcastError, UsageError

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
        raise UsageError(f"{path}: no such file", title="not found")  # a missing file argument: exit 2
    if suffix == ".db":
        from teamcast.engine.plan.workspace import Workspace

        with Workspace.open(path) as ws:
            plan = ws.load()
        if plan.plan.height == 0:  # `teamcast init` made it; nothing was imported yet
            from teamcast.errors import PlanError, Problem

            raise PlanError(
                [
                    Problem(
                        "plan", f"the workspace is empty; import a plan first: teamcast import plan.toml --into {path}"
                    )
                ],
                source=str(path),
            )
        return plan
    if suffix == ".sm":
        from teamcast.engine.plan.psplib import read_sm

        return read_sm(path)
    from teamcast.engine.plan.planfile import read_plan

    return read_plan(path)


# The first 16 bytes of every SQLite database, so of every teamcast workspace.
SQLITE_HEADER = b"SQLite format 3\x00"


def is_database(path: str | os.PathLike) -> bool:
    """Whether `path` is an existing SQLite database file (a workspace, or someone else's data)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # never read a pipe or device: it may block
            return False
        with open(path, "rb") as f:
            return f.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def check_output(path: str | os.PathLike, *, inputs: Iterable[str | os.PathLike] = (), force: bool = False) -> Path:
    """`path` if an output may be written there; else a one-line error (UsageError for a refusal).

    Refuses a directory, a missing or unwritable directory, and (unless `force`) a path that is
    one of the command's `inputs` or an SQLite database: an output must never replace the data
    it was made from.
    """
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path} is a directory; give a file name to write")
    parent = path.parent
    if not parent.is_dir():
        raise TeamcastError(f"cannot write {path}: directory {parent} does not exist", title="output")
    if not force:
        for source in inputs:
            if _same_file(path, Path(source)):
                raise UsageError(
                    f"{path} is the input of this command; writing there would overwrite it "
                    "(choose another file, or add --force)"
                )
        if is_database(path):
            raise UsageError(
                f"{path} is a workspace (SQLite database); writing there would destroy it "
                "(choose another file, or add --force)"
            )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise TeamcastError(f"cannot write {path}: directory {parent} is not writable", title="output")
    return path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def write_output(
    path: str | os.PathLike, data: bytes, *, inputs: Iterable[str | os.PathLike] = (), force: bool = False
) -> None:
    """An output file written atomically after `check_output` allowed it: every --out and --to."""
    write_atomic(check_output(path, inputs=inputs, force=force), data)


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write a whole file or nothing: a temporary file beside it, then a rename.

    An OSError (full disk, read-only or missing directory, a directory in the way) becomes a
    one-line TeamcastError naming the path; the old file, if any, is left as it was.
    """
    try:
        _write_atomic(Path(path), data)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise TeamcastError(f"cannot write {path}: {reason}", title="output") from None


def _write_atomic(path: Path, data: bytes) -> None:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            # A device or pipe (/dev/stdout, a FIFO): write through it; renaming over it would
            # replace the device node with a regular file.
            with open(path, "wb") as f:
                f.write(data)
            return
        mode = info.st_mode & 0o777
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


def finite_json(value: object) -> object:
    """`value` with every NaN or infinite float replaced by None: JSON has no Infinity, and a
    reader in another language rejects the file if it appears."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(item) for item in value]
    return value


def json_text(value: object) -> str:
    """Indented, strictly standard JSON (no NaN or Infinity) with a final newline."""
    return json.dumps(finite_json(value), indent=2, allow_nan=False, default=str) + "\n"
