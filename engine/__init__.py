"""teamcast's engine: the public API for the terminal app, notebooks, scripts and plugins.

Import what you need from here; the sub-packages (plan, forecast, practice, retro, commands)
are the engine's own layout and may change. Names load on first use, so `import
teamcast.engine` stays cheap for the command line.

    >>> from teamcast.engine import load_plan, simulate
    >>> forecast = simulate(load_plan("plan.toml"), trials=10_000, seed=1)
    >>> forecast.projects.select("id", "p_success", "p_on_time", "date_p80")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # the plan and its storage
    "Plan": "teamcast.engine.plan.model",
    "Role": "teamcast.engine.plan.model",
    "TaskStatus": "teamcast.engine.plan.model",
    "Archetype": "teamcast.engine.plan.model",
    "Strategy": "teamcast.engine.plan.model",
    "frame": "teamcast.engine.plan.model",
    "load_plan": "teamcast.engine.plan.io",
    "read_plan": "teamcast.engine.plan.planfile",
    "parse_plan_text": "teamcast.engine.plan.planfile",
    "plan_to_toml": "teamcast.engine.plan.planfile",
    "write_plan": "teamcast.engine.plan.planfile",
    "validate_plan": "teamcast.engine.plan.validate",
    "Workspace": "teamcast.engine.plan.workspace",
    "Calendar": "teamcast.engine.plan.calendar",
    "demo_plan": "teamcast.engine.plan.demo",
    "DEMO_PATH": "teamcast.engine.plan.demo",
    "read_sm": "teamcast.engine.plan.psplib",
    # the forecast
    "simulate": "teamcast.engine.forecast.simulate",
    "Forecast": "teamcast.engine.forecast.result",
    "deterministic_schedule": "teamcast.engine.forecast.schedule",
    "compile_plan": "teamcast.engine.forecast.compile",
    "sweep": "teamcast.engine.forecast.sweep",
    "parse_vary": "teamcast.engine.forecast.sweep",
    "parse_gate": "teamcast.engine.forecast.gates",
    "check_gates": "teamcast.engine.forecast.gates",
    "record_snapshot": "teamcast.engine.forecast.snapshots",
    # the lecture's practices
    "assess": "teamcast.engine.practice.org",
    "design_review": "teamcast.engine.practice.org",
    "bottlenecks": "teamcast.engine.practice.roster",
    "coverage": "teamcast.engine.practice.roster",
    "check_posting": "teamcast.engine.practice.hiring",
    "review_candidate": "teamcast.engine.practice.hiring",
    "open_positions": "teamcast.engine.practice.hiring",
    "growth_all": "teamcast.engine.practice.growth",
    "run_checks": "teamcast.engine.practice.checks",
    # looking back
    "record_outcome": "teamcast.engine.retro.outcomes",
    "build_retro": "teamcast.engine.retro.review",
    "write_report": "teamcast.engine.retro.report",
    # the error family (defined in the root package so plugins need nothing from the engine)
    "TeamcastError": "teamcast.errors",
    "Problem": "teamcast.errors",
    "PlanError": "teamcast.errors",
    "UsageError": "teamcast.errors",
    "WorkspaceError": "teamcast.errors",
    "ConflictError": "teamcast.errors",
    "NotFoundError": "teamcast.errors",
    "PluginError": "teamcast.errors",
    "SimulationError": "teamcast.errors",
    "CancelledError": "teamcast.errors",
}
_RENAMED = {"record_snapshot": "record"}

__all__ = [
    "Archetype",
    "Calendar",
    "CancelledError",
    "ConflictError",
    "DEMO_PATH",
    "Forecast",
    "NotFoundError",
    "Plan",
    "PlanError",
    "PluginError",
    "Problem",
    "Role",
    "SimulationError",
    "Strategy",
    "TaskStatus",
    "TeamcastError",
    "UsageError",
    "Workspace",
    "WorkspaceError",
    "assess",
    "bottlenecks",
    "build_retro",
    "check_gates",
    "check_posting",
    "compile_plan",
    "coverage",
    "demo_plan",
    "design_review",
    "deterministic_schedule",
    "frame",
    "growth_all",
    "load_plan",
    "open_positions",
    "parse_gate",
    "parse_plan_text",
    "parse_vary",
    "plan_to_toml",
    "read_plan",
    "read_sm",
    "record_outcome",
    "record_snapshot",
    "review_candidate",
    "run_checks",
    "simulate",
    "sweep",
    "validate_plan",
    "write_plan",
    "write_report",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'teamcast.engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from teamcast.engine.forecast.compile import compile_plan
    from teamcast.engine.forecast.gates import check_gates, parse_gate
    from teamcast.engine.forecast.result import Forecast
    from teamcast.engine.forecast.schedule import deterministic_schedule
    from teamcast.engine.forecast.simulate import simulate
    from teamcast.engine.forecast.snapshots import record as record_snapshot
    from teamcast.engine.forecast.sweep import parse_vary, sweep
    from teamcast.engine.plan.calendar import Calendar
    from teamcast.engine.plan.demo import DEMO_PATH, demo_plan
    from teamcast.engine.plan.io import load_plan
    from teamcast.engine.plan.model import Archetype, Plan, Role, Strategy, TaskStatus, frame
    from teamcast.engine.plan.planfile import parse_plan_text, plan_to_toml, read_plan, write_plan
    from teamcast.engine.plan.psplib import read_sm
    from teamcast.engine.plan.validate import validate_plan
    from teamcast.engine.plan.workspace import Workspace
    from teamcast.engine.practice.checks import run_checks
    from teamcast.engine.practice.growth import growth_all
    from teamcast.engine.practice.hiring import check_posting, open_positions, review_candidate
    from teamcast.engine.practice.org import assess, design_review
    from teamcast.engine.practice.roster import bottlenecks, coverage
    from teamcast.engine.retro.outcomes import record_outcome
    from teamcast.engine.retro.report import write_report
    from teamcast.engine.retro.review import build_retro
    from teamcast.errors import (
        CancelledError,
        ConflictError,
        NotFoundError,
        PlanError,
        PluginError,
        Problem,
        SimulationError,
        TeamcastError,
        UsageError,
        WorkspaceError,
    )
