"""teamcast.tui: the Textual terminal app."""
