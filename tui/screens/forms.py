"""Edit forms for a task and a person: validation messages beside each field, reusing the engine's validator.

F2 saves through `Workspace.update_row` (then the app forecasts again); F3 simulates the change as
a what-if beside the baseline instead; Escape closes without saving.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from teamcast.engine import GENERAL, TaskStatus, field_problems
from teamcast.tui.scenario import edit_row

if TYPE_CHECKING:
    from textual import getters

    from teamcast.tui.app import TeamcastApp


@dataclass(frozen=True)
class Field:
    """One form field: the frame column(s) it edits, how its text parses, and its validation key."""

    name: str  # the widget id and the key of its problems (views.FIELD_KEYS values)
    label: str
    kind: str  # "float" | "int" | "str" | "list" | "choice" (a Select over `choices`)
    column: str
    choices: tuple[str, ...] = ()


class ParseError(ValueError):
    pass


def _text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "list":
        return ", ".join(value)
    if kind == "float":
        return f"{value:g}"
    return str(value)


def _parse(text: str, kind: str) -> Any:
    text = text.strip()
    if not text:
        return None
    if kind == "list":
        return [part.strip() for part in text.split(",") if part.strip()]
    try:
        return float(text) if kind == "float" else int(text) if kind == "int" else text
    except ValueError:
        raise ParseError(f"not a{'n integer' if kind == 'int' else ' number'}: {text!r}") from None


class RowForm(ModalScreen[None]):
    """A form over one row of `table`; subclasses give FIELDS and may adjust `changes`."""

    TABLE = ""
    FIELDS: tuple[Field, ...] = ()
    if TYPE_CHECKING:
        # For the type checker only: forms run under TeamcastApp (run time keeps Textual's property).
        app = getters.app(TeamcastApp)
    BINDINGS = [
        Binding("f2", "save", "Save", id="form.save"),
        Binding("f3", "whatif", "What-if", id="form.whatif"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(self, row: dict, version: int, *, whatif: bool = False):
        super().__init__()
        self.row = row
        self.version = version
        self.whatif = whatif
        self._checked: tuple[tuple[int, str], dict[str, list[str]]] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Label(self.heading(), id="form-title")
            with VerticalScroll(id="form-fields"):
                for field in self.FIELDS:
                    with Horizontal(classes="field"):
                        yield Label(field.label, classes="field-label")
                        if field.kind == "choice":
                            yield Select(
                                [(c, c) for c in field.choices],
                                value=self.row[field.column] or Select.NULL,
                                prompt="(not set)",
                                compact=True,
                                id=field.name,
                                classes="field-input",
                            )
                        else:
                            value = _text(self.row[field.column], field.kind)
                            yield Input(value, id=field.name, classes="field-input")
                    yield Label("", id=f"{field.name}-error", classes="field-error")
                yield Label("", id=f"{GENERAL or 'general'}-error", classes="field-error")
            with Horizontal(id="form-buttons"):
                yield Button("Save F2", id="save", variant="primary")
                yield Button("What-if F3", id="whatif")
                yield Button("Cancel Esc", id="cancel")

    def on_mount(self) -> None:
        self.query_one(".field-input").focus()

    def heading(self) -> str:
        return f"{self.TABLE}: {self.row['id']}"

    def changes(self) -> dict[str, Any]:
        """The edited columns; ParseError (with the field name in args[1]) when a field does not parse."""
        changes = {}
        for field in self.FIELDS:
            if field.kind == "choice":
                choice = self.query_one(f"#{field.name}", Select).value
                value = choice if isinstance(choice, str) else None
                if value != self.row[field.column]:
                    changes[field.column] = value
                continue
            try:
                value = _parse(self.query_one(f"#{field.name}", Input).value, field.kind)
            except ParseError as exc:
                raise ParseError(str(exc), field.name) from None
            if value != self.row[field.column]:
                changes[field.column] = value
        return changes

    def check(self) -> dict[str, Any] | None:
        """The changes when they are valid; otherwise None, with every message shown beside its field."""
        for label in self.query(".field-error").results(Label):
            label.update("")
            label.display = False
        try:
            changes = self.changes()
        except ParseError as exc:
            self._show({exc.args[1]: [exc.args[0]]})
            return None
        problems = self.problems(changes) if changes else {}
        if problems:
            self._show(problems)
            return None
        return changes

    def problems(self, changes: dict[str, Any]) -> dict[str, list[str]]:
        """The validator's messages for `changes`; the answer for the same changes to the same plan is
        reused, so that saving right after typing does not validate the whole plan twice more."""
        key = (self.app.data_stamp, repr(sorted(changes.items())))
        if self._checked is None or self._checked[0] != key:
            self._checked = (key, field_problems(self.app.plan, self.TABLE, self.row["id"], changes))
        return self._checked[1]

    def _show(self, problems: dict[str, list[str]]) -> None:
        names = {field.name for field in self.FIELDS}
        for key, messages in problems.items():
            target = key if key in names else "general"
            label = self.query_one(f"#{target}-error", Label)
            label.update("\n".join(f"⚠ {m}" for m in messages))
            label.display = True

    def on_input_changed(self, _: Input.Changed) -> None:
        self.check()

    def on_select_changed(self, _: Select.Changed) -> None:
        self.check()

    def on_input_submitted(self, _: Input.Submitted) -> None:
        self.action_whatif() if self.whatif else self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = cast(str, event.button.id)  # every button of the form has an id
        {"save": self.action_save, "whatif": self.action_whatif, "cancel": self.action_cancel}[button]()

    def action_save(self) -> None:
        changes = self.check()
        if changes is None:
            return
        if not changes:
            self.dismiss()
            return
        self.dismiss()
        self.app.save_row(self.TABLE, self.row["id"], changes, self.version)

    def action_whatif(self) -> None:
        changes = self.check()
        if changes is None:
            return
        if not changes:
            self.notify("nothing changed: edit a field first", severity="warning")
            return
        label = f"{self.row['id']}: " + ", ".join(
            f"{k}={_text(v, 'float' if isinstance(v, float) else 'str')}" for k, v in changes.items()
        )
        self.dismiss()
        self.app.start_whatif(edit_row(self.app.plan, self.TABLE, self.row["id"], changes, self.version, label))

    def action_cancel(self) -> None:
        self.dismiss()


class TaskForm(RowForm):
    """A task's estimate, chance of success, status, who does it and what it waits for."""

    TABLE = "tasks"
    FIELDS = (
        Field("est_low", "estimate low", "float", "est_low"),
        Field("est_likely", "likely", "float", "est_likely"),
        Field("est_high", "high", "float", "est_high"),
        Field("p_success", "p_success", "float", "p_success"),
        Field("status", "status", "choice", "status", tuple(s.value for s in TaskStatus)),
        Field("assignee", "assignee", "str", "assignee"),
        Field("after", "after", "list", "after"),
    )

    def heading(self) -> str:
        return f"Task {self.row['id']}: {self.row['title'] or ''}"

    def changes(self) -> dict[str, Any]:
        changes = super().changes()
        points = ("est_low", "est_likely", "est_high")
        if any(p in changes for p in points):
            values = [changes.get(p, self.row[p]) for p in points]
            form = "range" if None not in values else "single"
            if form != self.row["est_form"]:
                changes["est_form"] = form
        return changes

    def _show(self, problems: dict[str, list[str]]) -> None:
        # The validator speaks of the estimate as a whole; show it beside the three points' last.
        if "estimate" in problems:
            problems = dict(problems)
            problems["est_high"] = problems.pop("estimate") + problems.get("est_high", [])
        super()._show(problems)


class PersonForm(RowForm):
    """A person's capacity, role, team and skills (0-5 on the lecture's three axes)."""

    TABLE = "people"
    FIELDS = (
        Field("capacity", "capacity", "float", "capacity"),
        Field("role", "role", "str", "role"),
        Field("team", "team", "str", "team"),
        Field("skill_ml", "skill ml", "int", "skill_ml"),
        Field("skill_swe", "skill swe", "int", "skill_swe"),
        Field("skill_comm", "skill comm", "int", "skill_comm"),
    )

    def heading(self) -> str:
        return f"Person {self.row['id']}: {self.row['name'] or ''}"
