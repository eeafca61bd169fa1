"""Optional dependencies: a feature whose extra is not installed says which `pip install` to run."""

from __future__ import annotations

import importlib
from types import ModuleType

from teamcast.errors import TeamcastError


def require_extra(module: str, extra: str, purpose: str, otherwise: str = "") -> ModuleType:
    """`module`, imported; if it is not installed, a one-line error naming the extra that brings it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] != module.split(".")[0]:
            raise  # the module is there but something it needs is missing: not our extra's job
        raise TeamcastError(
            f"{purpose} needs {module}, which is not installed: pip install 'teamcast[{extra}]'"
            + (f" ({otherwise})" if otherwise else ""),
            title="missing dependency",
        ) from None
