"""teamcast's built-in health checks, registered as an ordinary plugin (copy this to write your own).

The checks themselves live in teamcast.engine.checks, where plain tests reach them.
"""

from __future__ import annotations

from teamcast import hookimpl
from teamcast.engine.checks import BUILTIN_CHECKS


@hookimpl
def register_checks(register):
    for check in BUILTIN_CHECKS:
        register(check)
