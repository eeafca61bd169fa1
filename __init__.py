"""teamcast: probabilistic planning and forecasting for the people who lead ML teams."""

import pluggy

__version__ = "0.1.0"

#: The marker plugin authors put on their hook implementations.
hookimpl = pluggy.HookimplMarker("teamcast")

__all__ = ["__version__", "hookimpl"]
