"""Hostile text made harmless at each boundary it crosses: a terminal, a spreadsheet, a Markdown page.

Names, ids and titles come from plan files and trackers that anyone can write. Each output keeps
the text readable and takes away only what that output would obey instead of print: escape
sequences and control characters for a terminal, formula starts for a spreadsheet, markup and
line breaks for Markdown. One function per boundary, used by every writer that crosses it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Polars only for the frame helper; the string functions stay import-cheap
    import polars as pl

# ESC-introduced sequences: CSI (ESC [ ... final), OSC/DCS/PM/APC strings (ESC ] ... BEL or ST),
# and two-character escapes; plus the 8-bit C1 forms of CSI and OSC.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
)
# Categories a terminal or a line-based format would act on rather than print: controls (Cc),
# format characters such as bidi overrides (Cf), and line/paragraph separators (Zl, Zp).
_UNPRINTABLE = frozenset({"Cc", "Cf", "Zl", "Zp"})


def unprintable(text: str) -> str | None:
    """The first character of `text` that prints nothing visible in a line (as U+XXXX), or None."""
    for ch in text:
        if unicodedata.category(ch) in _UNPRINTABLE:
            return f"U+{ord(ch):04X}"
    return None


def for_terminal(text: str, *, keep_newlines: bool = False) -> str:
    """`text` without escape sequences or control characters; line breaks and tabs become spaces
    (or stay, with keep_newlines, for a whole rendered table)."""
    text = _ESCAPE_SEQUENCE.sub("", text)
    out = []
    for ch in text:
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif unicodedata.category(ch) in _UNPRINTABLE:
            out.append(" " if ch in "\t\n\r\v\f\u2028\u2029\x85" else "")
        else:
            out.append(ch)
    return "".join(out)


# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def for_csv(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: a leading formula character gets a `'` before it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with `for_csv` applied to every string column (numbers stay numbers)."""
    import polars as pl

    columns = [
        pl.when(pl.col(name).str.contains(r"^[=+\-@\t\r]"))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    ]
    return frame.with_columns(columns) if columns else frame


_MARKDOWN_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MARKDOWN_PUNCTUATION = set("\\`*[]|#")  # emphasis by _ or ~ is harmless and common in names
# A line that starts like a list item or a heading underline would change the block around it.
_ORDERED_START = re.compile(r"^\d+(?=[.)])")


def for_markdown(text: str) -> str:
    """`text` as inline Markdown that renders as itself: one line, no markup, no HTML, no links."""
    text = for_terminal(text).strip()
    out = []
    for ch in text:
        if ch in _MARKDOWN_ENTITIES:
            out.append(_MARKDOWN_ENTITIES[ch])
        elif ch in _MARKDOWN_PUNCTUATION:
            out.append("\\" + ch)
        else:
            out.append(ch)
    escaped = "".join(out)
    if escaped[:1] in ("-", "+", "="):
        return "\\" + escaped
    number = _ORDERED_START.match(escaped)  # escape the dot of "1.": a backslash before a digit would print
    return escaped[: number.end()] + "\\" + escaped[number.end() :] if number else escaped


def escape_strings(value: object, escape=for_markdown) -> object:
    """`value` (JSON-like: dicts, lists, strings, numbers) with `escape` applied to every string."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {key: escape_strings(item, escape) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [escape_strings(item, escape) for item in value]
    return value
