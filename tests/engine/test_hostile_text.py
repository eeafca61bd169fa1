"""Hostile text is neutralised at every boundary (issue 14, principle 3): terminal, CSV, Markdown, HTML, charts."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from teamcast.engine.commands.cli import main
from teamcast.engine.plan.text import csv_safe, for_csv, for_markdown, for_terminal

HOSTILE = r"""
[plan]
name = "Evil\u001b]0;pwned\u0007 plan\u001b[2J"
start = 2027-01-04

[[people]]
id = "ana"
role = "ml_engineer"

[[projects]]
id = "p"
name = "<script>alert(1)</script>\n# injected [click](javascript:alert(1)) $\\cmd$ <img src=x onerror=alert(1)>"
impact = "=cmd|' /C calc'!A0"

[[projects.tasks]]
id = "t"
title = "@SUM(1+1)*cmd|"
estimate = [1, 2, 4]
role = "ml_engineer"
"""


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    path = tmp_path / "h.toml"
    path.write_text(HOSTILE)
    return path


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_for_terminal_strips_escape_sequences_and_controls():
    assert for_terminal("a\x1b]0;title\x07b\x1b[2Jc\x9b31md\u202ee\tf\ng") == "abcde f g"
    assert for_terminal("one\ntwo", keep_newlines=True) == "one\ntwo"


def test_for_csv_prefixes_formula_starts_only():
    assert [for_csv(s) for s in ["=1+1", "+1", "-1", "@x", "\tx", "plain", ""]] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@x",
        "'\tx",
        "plain",
        "",
    ]


def test_for_markdown_is_one_inert_line():
    escaped = for_markdown("<b>x</b>\n# h [a](javascript:x) *y* | z")
    assert "\n" not in escaped and "<" not in escaped
    assert escaped == r"&lt;b&gt;x&lt;/b&gt; \# h \[a\](javascript:x) \*y\* \| z"
    assert for_markdown("- item") == r"\- item" and for_markdown("1. item") == r"1\. item"


def test_the_terminal_table_prints_no_escape_sequence(hostile):
    proc = subprocess.run(
        [sys.executable, "-m", "teamcast.engine.commands.cli", "simulate", str(hostile), "-n", "50"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert proc.stdout.startswith("Evil plan: 50 trials")


def test_errors_naming_hostile_ids_print_no_escape_sequence(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(HOSTILE.replace('after = ["x"]', "") + 'after = ["\\u001b[2Jgone"]\n')
    result = run("validate", str(path))
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "gone" in result.output


@pytest.mark.parametrize("command", [["simulate", "-n", "50", "--format", "csv"], ["schedule", "--format", "csv"]])
def test_csv_cells_never_start_a_formula(hostile, command):
    result = run(command[0], str(hostile), *command[1:])
    assert result.exit_code == 0, result.output
    for row in csv.reader(io.StringIO(result.output)):
        for cell in row:
            assert not cell.startswith(("=", "+", "@")), row
            assert not (cell.startswith("-") and not cell[1:2].isdigit()), row


def test_csv_safe_keeps_numbers_numbers():
    import polars as pl

    frame = csv_safe(pl.DataFrame({"name": ["=x", "ok"], "value": [-1.5, 2.0]}))
    assert frame["name"].to_list() == ["'=x", "ok"] and frame["value"].to_list() == [-1.5, 2.0]


def test_the_markdown_report_embeds_no_markup_from_names(hostile, tmp_path):
    out = tmp_path / "r.md"
    assert run("report", str(hostile), "--kind", "leadership", "--out", str(out), "-n", "50").exit_code == 0
    text = out.read_text()
    assert "<script>" not in text and "<img" not in text
    assert not re.search(r"(?<!\\)\]\(javascript:", text)  # the link brackets are escaped
    assert "\n# injected" not in text  # a newline in a name does not start a heading


def test_the_html_report_escapes_names_and_draws_math_as_text(hostile, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "r.html"
    result = run("report", str(hostile), "--kind", "leadership", "--out", str(out), "-n", "50")
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "<script>" not in text and "<img" not in text and 'href="javascript' not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; # injected [click](javascript:alert(1))" in text
