"""The app reads a version before the data it goes with (docs/api.md, workspace): another session's
write landing between the two reads makes the app's next edit a refused conflict, never a silent
overwrite based on data older than the version it names."""

from __future__ import annotations

from collections.abc import Callable

from teamcast.engine.plan.workspace import Workspace


def write_after_first_read(monkeypatch, workspace: Workspace, names: tuple[str, ...], write: Callable[[], None]):
    """Make the first call of any of `names` on `workspace` followed at once by `write` (another session's)."""
    armed = [True]
    for name in names:
        original = getattr(workspace, name)

        def read(*args, _original=original, **kwargs):
            result = _original(*args, **kwargs)
            if armed[0]:
                armed[0] = False
                write()
            return result

        monkeypatch.setattr(workspace, name, read)


async def test_a_write_during_a_reload_makes_the_next_edit_a_conflict(app, demo_db, settle, monkeypatch):
    notes: list[str] = []
    async with app.run_test() as pilot:
        await settle(pilot)
        monkeypatch.setattr(app, "notify", lambda message, **_: notes.append(message))
        with Workspace.open(demo_db) as other:

            def other_answers() -> None:
                other.replace_answers([{"question": "who_does_ml", "answer": "central_team"}], other.plan_version())

            write_after_first_read(monkeypatch, app.workspace, ("load", "plan_version"), other_answers)
            app.reload()
            monkeypatch.undo()
            monkeypatch.setattr(app, "notify", lambda message, **_: notes.append(message))
            # Based on the plan on screen and the version the app holds: refused, the other answers kept.
            assert not app.save_answers({"hiring": "hire_researchers"})
            stored = dict(other.load(["org_answers"]).org_answers.iter_rows())
        assert stored == {"who_does_ml": "central_team"}
        assert any("another session changed the workspace" in note for note in notes)
        await settle(pilot)


async def test_a_row_changed_while_its_version_is_read_is_not_overwritten(app, demo_db, settle, monkeypatch):
    async with app.run_test() as pilot:
        await settle(pilot)
        with Workspace.open(demo_db) as other:

            def other_capacity() -> None:
                other.update_row("people", "priya", {"capacity": 0.25}, other.row_version("people", "priya"))

            write_after_first_read(monkeypatch, app.workspace, ("row_version", "plan_version"), other_capacity)
            version = app.row_version("people", "priya")  # what a form does: the version, then the row
            monkeypatch.undo()
            shown = app.plan.people.filter(app.plan.people["id"] == "priya")["capacity"].item()
            saved = app.save_row("people", "priya", {"capacity": 0.75}, version)
            people = other.load(["people"]).people
        assert shown == 0.25  # the app caught up with the other session before the edit
        assert not saved  # and the edit, named with the version read before that, is a conflict
        assert people.filter(people["id"] == "priya")["capacity"].item() == 0.25
        await settle(pilot)
