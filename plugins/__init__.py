"""teamcast.plugins: hook specifications, the plugin manager, record types and the built-in plugins.

Plugin authors need `teamcast.hookimpl` and the record types re-exported here; the manager
(`teamcast.plugins.manager`) is for the engine and for tests. The records of `report`, `check`
and `optimise` are created on first use (teamcast.plugins.command_records), so that a
simulation does not pay for them at start-up.
"""

from typing import TYPE_CHECKING, Any

from teamcast.plugins.records import (
    LATER,
    DurationModel,
    LoadFailure,
    PluginInfo,
    PriorityContext,
    PriorityRule,
    SampleContext,
    SampleModifier,
    SuccessModel,
)

if TYPE_CHECKING:
    from teamcast.plugins.command_records import (
        Candidate,
        Finding,
        HealthCheck,
        ReportContext,
        ReportSection,
        Search,
        SearchContext,
    )

__all__ = [
    "Candidate",
    "DurationModel",
    "Finding",
    "HealthCheck",
    "LoadFailure",
    "PluginInfo",
    "PriorityContext",
    "PriorityRule",
    "ReportContext",
    "ReportSection",
    "SampleContext",
    "SampleModifier",
    "Search",
    "SearchContext",
    "SuccessModel",
]


def __getattr__(name: str) -> Any:
    # The records module creates them on first use; this module re-exports what it made.
    if name not in LATER:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from teamcast.plugins import records

    value = records.__getattr__(name)
    globals()[name] = value
    return value
