"""One error family for everything a user can cause: each carries a title and prints in a line or two."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


class TeamcastError(Exception):
    """Base of every error a user can cause; the CLI prints it without a traceback."""

    title = "error"
    exit_code = 1

    def __init__(self, message: str, *, title: str | None = None):
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def lines(self) -> list[str]:
        """What the CLI prints, one string per line."""
        return [f"{self.title}: {self.message}"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a plan, at a location a user can find."""

    location: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class PlanError(TeamcastError):
    """A plan with one or more problems; carries them all."""

    title = "invalid plan"

    def __init__(self, problems: list[Problem], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        errors = [p for p in self.problems if p.severity == "error"]
        where = f" in {source}" if source else ""
        super().__init__(f"{len(errors)} problem(s){where}")

    def lines(self) -> list[str]:
        prefix = f"{self.source}: " if self.source else ""
        return [f"{p.severity}: {prefix}{p}" for p in self.problems]


class UsageError(TeamcastError):
    """The command was called wrongly (exit 2)."""

    title = "usage"
    exit_code = 2


class WorkspaceError(TeamcastError):
    """A workspace file that cannot be opened, read or written."""

    title = "workspace"


class ConflictError(WorkspaceError):
    """Another session changed the row since this one read it."""

    title = "conflict"


class NotFoundError(TeamcastError):
    """An id that does not exist in the plan or workspace."""

    title = "not found"


class PluginError(TeamcastError):
    """A plugin failed to load, raised, or returned bad samples; names the plugin and the hook."""

    title = "plugin"

    def __init__(self, message: str, *, plugin: str | None = None, hook: str | None = None):
        self.plugin = plugin
        self.hook = hook
        parts = []
        if plugin:
            parts.append(f"plugin {plugin}")
        if hook:
            parts.append(f"hook {hook}")
        where = f"{', '.join(parts)}: " if parts else ""
        super().__init__(f"{where}{message}")


class SimulationError(TeamcastError):
    """The plan cannot be simulated as asked (bad option, cancelled run, ...)."""

    title = "simulation"


class CancelledError(SimulationError):
    """A run was cancelled by its caller."""

    title = "cancelled"
