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
    "plan_to_toml": "teamcast.engine.plan.planwriter",
    "write_plan": "teamcast.engine.plan.io",
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
    "optimise": "teamcast.engine.forecast.optimise",
    "OptimiseResult": "teamcast.engine.forecast.optimise_report",
    "render_optimise": "teamcast.engine.forecast.optimise_report",
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
    # what the terminal app shows (teamcast.engine.views and the areas' constants)
    "ROLE_TITLE": "teamcast.engine.plan.model",
    "DEMO_SOURCE": "teamcast.engine.plan.demo",
    "section_of": "teamcast.engine.practice.checks",
    "GROWTH_SOURCE": "teamcast.engine.practice.growth",
    "growth": "teamcast.engine.practice.growth",
    "PROFILES": "teamcast.engine.practice.org",
    "QUESTIONS": "teamcast.engine.practice.org",
    "answers_of": "teamcast.engine.practice.org",
    "Bottleneck": "teamcast.engine.practice.roster",
    "skills_chart": "teamcast.engine.practice.roster",
    "with_extra_person": "teamcast.engine.practice.roster",
    "MIN_RESOLVED": "teamcast.engine.retro.calibration",
    "Retro": "teamcast.engine.retro.review",
    "pit_shape": "teamcast.engine.retro.review",
    "select_history": "teamcast.engine.retro.review",
    "GENERAL": "teamcast.engine.views",
    "RETRO_WINDOWS": "teamcast.engine.views",
    "apply_change": "teamcast.engine.views",
    "compare_forecasts": "teamcast.engine.views",
    "estimate_accuracy": "teamcast.engine.views",
    "field_problems": "teamcast.engine.views",
    "findings_by_section": "teamcast.engine.views",
    "forecast_changes": "teamcast.engine.views",
    "histogram": "teamcast.engine.views",
    "RecordedForecast": "teamcast.engine.views",
    "recorded_forecast": "teamcast.engine.views",
    "retro_since": "teamcast.engine.views",
    "with_answers": "teamcast.engine.views",
    # the timeline the app draws (teamcast.engine.timeline)
    "ZOOMS": "teamcast.engine.timeline",
    "Bar": "teamcast.engine.timeline",
    "Timeline": "teamcast.engine.timeline",
    "axis": "teamcast.engine.timeline",
    "beyond": "teamcast.engine.timeline",
    "column": "teamcast.engine.timeline",
    "grid": "teamcast.engine.timeline",
    "whisker_cells": "teamcast.engine.timeline",
    "build_timeline": "teamcast.engine.timeline",
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
_RENAMED = {"record_snapshot": "record", "GROWTH_SOURCE": "LECTURE", "render_optimise": "render_result"}

__all__ = [
    "Archetype",
    "Bar",
    "Bottleneck",
    "Calendar",
    "CancelledError",
    "ConflictError",
    "DEMO_PATH",
    "DEMO_SOURCE",
    "Forecast",
    "GENERAL",
    "GROWTH_SOURCE",
    "MIN_RESOLVED",
    "NotFoundError",
    "OptimiseResult",
    "PROFILES",
    "Plan",
    "PlanError",
    "PluginError",
    "Problem",
    "QUESTIONS",
    "RETRO_WINDOWS",
    "ROLE_TITLE",
    "RecordedForecast",
    "Retro",
    "Role",
    "SimulationError",
    "Strategy",
    "TaskStatus",
    "TeamcastError",
    "Timeline",
    "UsageError",
    "Workspace",
    "WorkspaceError",
    "ZOOMS",
    "answers_of",
    "apply_change",
    "assess",
    "axis",
    "beyond",
    "bottlenecks",
    "build_retro",
    "build_timeline",
    "check_gates",
    "check_posting",
    "column",
    "compare_forecasts",
    "compile_plan",
    "coverage",
    "demo_plan",
    "design_review",
    "deterministic_schedule",
    "estimate_accuracy",
    "field_problems",
    "findings_by_section",
    "forecast_changes",
    "frame",
    "grid",
    "growth",
    "growth_all",
    "histogram",
    "load_plan",
    "open_positions",
    "optimise",
    "parse_gate",
    "parse_plan_text",
    "parse_vary",
    "pit_shape",
    "plan_to_toml",
    "read_plan",
    "read_sm",
    "record_outcome",
    "record_snapshot",
    "recorded_forecast",
    "render_optimise",
    "retro_since",
    "review_candidate",
    "run_checks",
    "section_of",
    "select_history",
    "simulate",
    "skills_chart",
    "sweep",
    "validate_plan",
    "whisker_cells",
    "with_answers",
    "with_extra_person",
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
    from teamcast.engine.forecast.optimise import optimise
    from teamcast.engine.forecast.optimise_report import OptimiseResult
    from teamcast.engine.forecast.optimise_report import render_result as render_optimise
    from teamcast.engine.forecast.result import Forecast
    from teamcast.engine.forecast.schedule import deterministic_schedule
    from teamcast.engine.forecast.simulate import simulate
    from teamcast.engine.forecast.snapshots import record as record_snapshot
    from teamcast.engine.forecast.sweep import parse_vary, sweep
    from teamcast.engine.plan.calendar import Calendar
    from teamcast.engine.plan.demo import DEMO_PATH, DEMO_SOURCE, demo_plan
    from teamcast.engine.plan.io import load_plan, write_plan
    from teamcast.engine.plan.model import ROLE_TITLE, Archetype, Plan, Role, Strategy, TaskStatus, frame
    from teamcast.engine.plan.planfile import parse_plan_text, read_plan
    from teamcast.engine.plan.planwriter import plan_to_toml
    from teamcast.engine.plan.psplib import read_sm
    from teamcast.engine.plan.validate import validate_plan
    from teamcast.engine.plan.workspace import Workspace
    from teamcast.engine.practice.checks import run_checks, section_of
    from teamcast.engine.practice.growth import LECTURE as GROWTH_SOURCE
    from teamcast.engine.practice.growth import growth, growth_all
    from teamcast.engine.practice.hiring import check_posting, open_positions, review_candidate
    from teamcast.engine.practice.org import PROFILES, QUESTIONS, answers_of, assess, design_review
    from teamcast.engine.practice.roster import Bottleneck, bottlenecks, coverage, skills_chart, with_extra_person
    from teamcast.engine.retro.calibration import MIN_RESOLVED
    from teamcast.engine.retro.outcomes import record_outcome
    from teamcast.engine.retro.report import write_report
    from teamcast.engine.retro.review import Retro, build_retro, pit_shape, select_history
    from teamcast.engine.timeline import ZOOMS, Bar, Timeline, axis, beyond, build_timeline, column, grid, whisker_cells
    from teamcast.engine.views import (
        GENERAL,
        RETRO_WINDOWS,
        RecordedForecast,
        apply_change,
        compare_forecasts,
        estimate_accuracy,
        field_problems,
        findings_by_section,
        forecast_changes,
        histogram,
        recorded_forecast,
        retro_since,
        with_answers,
    )
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
