"""The app as `teamcast serve` runs it for each browser session: `python -m teamcast.tui.serve WS [--edit]`.

textual-serve starts this command once per browser tab and relays the terminal over a websocket.
Without --edit the app is read-only: it shows everything and refuses every save.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    from teamcast.tui.app import TeamcastApp

    edit = "--edit" in argv
    paths = [a for a in argv if a != "--edit"]
    TeamcastApp(Path(paths[0]) if paths else None, read_only=not edit).run()


if __name__ == "__main__":
    main(sys.argv[1:])
