"""Small messages the app sends its screens."""

from __future__ import annotations

from textual.message import Message


class DataChanged(Message):
    """The plan or the forecast changed: the screen shows the app's current state again."""
