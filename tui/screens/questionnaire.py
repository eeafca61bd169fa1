"""The org questionnaire as a form: one choice per question, showing the current answers.

F2 saves (the screen beneath writes them and the assessment updates); Escape closes unchanged.
"""

from __future__ import annotations

from typing import cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select

from teamcast.engine import QUESTIONS

UNANSWERED = "(not answered)"


class AnswersForm(ModalScreen[dict[str, str | None] | None]):
    """Dismisses with every question's answer (None: not answered), or None when cancelled."""

    BINDINGS = [
        Binding("f2", "save", "Save answers", id="answers.save"),
        Binding("escape", "cancel", "Cancel", id="answers.cancel"),
    ]

    def __init__(self, answers: dict[str, str]):
        super().__init__()
        self.answers = answers

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Label("[b]Org questionnaire[/b] (Lecture 13, §2 archetypes; teamcast's scoring)", id="form-title")
            with VerticalScroll(id="form-fields"):
                for n, question in enumerate(QUESTIONS, start=1):
                    yield Label(f"{n}. {question.text}", classes="question")
                    known = question.option(self.answers.get(question.id, ""))
                    yield Select(
                        [(o.text, o.id) for o in question.options],
                        value=known.id if known else Select.NULL,
                        prompt=UNANSWERED,
                        compact=True,
                        id=f"q-{question.id}",
                    )
            with Horizontal(id="form-buttons"):
                yield Button("Save F2", id="save", variant="primary")
                yield Button("Cancel Esc", id="cancel")

    def on_mount(self) -> None:
        self.query_one(Select).focus()

    def chosen(self) -> dict[str, str | None]:
        """The answer now selected for each question."""
        found = {}
        for question in QUESTIONS:
            value = self.query_one(f"#q-{question.id}", Select).value
            found[question.id] = None if value is Select.NULL else cast(str, value)  # options' ids are str
        return found

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_save() if event.button.id == "save" else self.action_cancel()

    def action_save(self) -> None:
        self.dismiss(self.chosen())

    def action_cancel(self) -> None:
        self.dismiss(None)
