"""teamcast's commands in the command palette (ctrl+p): every mode, forecast again, what-ifs, open a
project, export and reports.

`COMMANDS` is the one list; another part of the app adds its own entries with `register` (the
optimiser's "optimise the plan" is meant to land here) without touching this provider.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from teamcast.tui.app import TeamcastApp


@dataclass(frozen=True)
class PaletteCommand:
    """One palette entry: what it says, what it does (given the app), and a one-line help."""

    title: str
    run: Callable[[Any], object]
    help: str


def _mode(name: str) -> Callable[[Any], object]:
    return lambda app: app.switch_mode(name)


COMMANDS: list[PaletteCommand] = [
    PaletteCommand("Org", _mode("org"), "mode: the team's shape and the lecture's questionnaire (o, 1)"),
    PaletteCommand("Roster", _mode("roster"), "mode: people, skills, bottlenecks and hires (r, 2)"),
    PaletteCommand("Portfolio", _mode("portfolio"), "mode: every project's forecast (p, 3)"),
    PaletteCommand("Retro", _mode("retro"), "mode: how good were our forecasts (t, 4)"),
    PaletteCommand("Timeline", _mode("timeline"), "mode: who does what when, with forecast whiskers (l, 5)"),
    PaletteCommand("Forecast again", lambda app: app.action_forecast(), "run the forecast on the current plan (f)"),
    PaletteCommand(
        "What-if: one more person (open position)",
        lambda app: app.action_whatif_hire(),
        "simulate an open position of a role, with its time to hire and ramp-up",
    ),
    PaletteCommand(
        "Optimise the task order",
        lambda app: app.action_optimise(),
        "search for an order that lands more value on time, compared on the same futures (O on Portfolio)",
    ),
    PaletteCommand("Export the plan (TOML)", lambda app: app.action_export(), "write the plan beside the workspace"),
    PaletteCommand(
        "Report for leadership (Markdown)",
        lambda app: app.action_report("leadership"),
        "write the leadership report with its charts beside the workspace",
    ),
    PaletteCommand(
        "Report: forecast retro (Markdown)",
        lambda app: app.action_report("retro"),
        "write the retro report beside the workspace",
    ),
]


def register(command: PaletteCommand) -> None:
    """Add an entry to the palette (e.g. the optimiser's "Optimise the plan"): later additions show last."""
    COMMANDS.append(command)


class TeamcastCommands(Provider):
    """The palette's teamcast entries, plus "Open project: NAME" for each project of the plan."""

    def _entries(self) -> Iterator[tuple[str, Callable[[], object], str]]:
        app = cast("TeamcastApp", self.app)
        for command in COMMANDS:
            yield command.title, partial(command.run, app), command.help
        for p in app.plan.projects.iter_rows(named=True):
            name = p["name"] or p["id"]
            yield f"Open project: {name}", partial(app.open_project, p["id"]), "its tasks, challenges and charts"

    async def discover(self) -> Hits:
        for title, run, help_text in self._entries():
            yield DiscoveryHit(title, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, run, help_text in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, help=help_text)
