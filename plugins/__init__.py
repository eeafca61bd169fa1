"""teamcast.plugins: hook specifications, the plugin manager, record types and the built-in plugins.

Plugin authors need `teamcast.hookimpl` and the record types re-exported here; the manager
(`teamcast.plugins.manager`) is for the engine and for tests.
"""

from teamcast.plugins.records import (
    Candidate,
    DurationModel,
    Finding,
    HealthCheck,
    LoadFailure,
    PluginInfo,
    PriorityContext,
    PriorityRule,
    ReportContext,
    ReportSection,
    SampleContext,
    SampleModifier,
    Search,
    SearchContext,
    SuccessModel,
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
