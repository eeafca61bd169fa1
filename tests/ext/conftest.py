"""Lets the tests of this folder import the oracle and the strategies beside them by name."""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

# Another test folder with an `oracle.py` or `strategies.py` on sys.path would shadow ours.
for _name in ("oracle", "strategies"):
    _module = sys.modules.get(_name)
    if _module is not None and str(Path(_module.__file__).resolve().parent) != _HERE:
        raise ImportError(f"tests/ext needs its own `{_name}` module, found {_module.__file__}")
