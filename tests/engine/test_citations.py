"""Every sentence the product says "Lecture 13" in must be the lecture's (issue 13).

LECTURE.md tags each fact with where it comes from; a sentence citing "Lecture 13" may only carry
[notes] or [figure] facts. These tests collect the product's lecture citations — string literals,
docstrings and comments of the engine, plugins and TUI; the docs and README; and what `hiring`,
`check`, `org`, `roster` and both reports print for the demo — and fail on any that carries a figure
LECTURE.md marks as another source's ([external], [2022]) or as teamcast's own.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
CITES_LECTURE = re.compile(r"Lecture\s+13", re.IGNORECASE)

# Figures and words that are not the lecture's: the funnel benchmarks (Lever 2017 and others), the
# 2022 version's unicorn posting, teamcast's arithmetic and models, and forecasting practice.
NOT_THE_LECTURES: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern, re.IGNORECASE)
    for name, pattern in {
        "86 candidates": r"(?<![\d.,])86(?![\d.])",
        "15 screens": r"(?<![\d.,§])15(?![\d.])",
        "4.7 onsites": r"(?<![\d.])4\.7(?!\d)",
        "1.5 offers": r"(?<![\d.])1\.5(?!\d)",
        "referrals 10x": r"(?<![\d.])10\s*[×x](?!\w)",
        "17 %": r"(?<![\d.])17\s?%",
        "32 %": r"(?<![\d.])32\s?%",
        "31 %": r"(?<![\d.])31\s?%",
        "59 %": r"(?<![\d.])59\s?%",
        "45 days": r"\b45 days\b",
        "3-9 months": r"\b3\s?[–-]\s?9 months\b",
        "half speed": r"\bhalf speed\b",
        "vendor benchmarks": r"\bvendor\b|\bLever\b",
        "two at 50 % give 75 %": r"(?<![\d.–-])75\s?%|\btwo at 50\b",
        "lognormal": r"\blog-?normal\b",
        "nonlinear-progress figures": r"(?<![\d.])(72|89)\s?%|6\s?[–-]\s?7\s?[×x]",
        "overrun 27 %": r"(?<![\d.])27\s?%",
        "forecasting practice": r"\bSpolsky\b|\bBrier\b|\bPIT\b",
        "FSDL 2022": r"FSDL 2022|Lecture 8",
    }.items()
}
# The lecture's sections are §1-§4 (LECTURE.md §5 restates §4; §6 is not the lecture).
SECTION = re.compile(r"Lecture\s+13,\s*§\s*(\d+)", re.IGNORECASE)


def sentences(text: str) -> list[str]:
    """Sentences of a text: split at sentence ends, blank lines and table rows; line breaks inside are spaces."""
    # A Markdown table row is a unit of its own.
    text = re.sub(r"\n(?=\s*\|)|(?<=\|)\n", "\n\n", text)
    text = re.sub(r"\s*\n\s*", " ", re.sub(r"\n\s*\n", "\n\n\x00", text))
    parts = []
    for paragraph in text.split("\x00"):
        parts += re.split(r"(?<=[.!?;])\s+(?=[A-Z\"'(`*\[])", paragraph)
    return [p.strip() for p in parts if p.strip()]


def _python_texts(path: Path) -> list[str]:
    """String literals (adjacent ones joined, as Python joins them) and comment blocks of a module."""
    texts: list[str] = []
    strings: list[str] = []
    comments: list[str] = []
    for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        if tok.type in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            if tok.type == tokenize.NEWLINE and strings:
                texts.append(" ".join(strings))
                strings = []
            if tok.type == tokenize.NEWLINE and comments:
                texts.append(" ".join(comments))
                comments = []
            continue
        if tok.type == tokenize.COMMENT:
            comments.append(tok.string.lstrip("#").strip())
            continue
        if comments:
            texts.append(" ".join(comments))
            comments = []
        if tok.type == tokenize.STRING or tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
            strings.append(re.sub(r"^[rRbBuUfF]*('''|\"\"\"|'|\")|('''|\"\"\"|'|\")$", "", tok.string))
        elif strings and not (tok.type == tokenize.OP and tok.string in "()"):
            texts.append(" ".join(strings))
            strings = []
    texts += [" ".join(strings), " ".join(comments)]
    return [t for t in texts if t]


def _source_citations() -> list[tuple[str, str]]:
    found = []
    for folder in ("engine", "plugins", "tui"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for text in _python_texts(path):
                found += [(str(path.relative_to(ROOT)), s) for s in sentences(text) if CITES_LECTURE.search(s)]
    return found


def _doc_citations() -> list[tuple[str, str]]:
    paths = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md", ROOT / "engine/plan/data/demo.toml"]
    found = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".toml":  # comments only
            text = "\n".join(line.split("#", 1)[1] for line in text.splitlines() if "#" in line)
        found += [(str(path.relative_to(ROOT)), s) for s in sentences(text) if CITES_LECTURE.search(s)]
    return found


def _output_citations(tmp_path: Path) -> list[tuple[str, str]]:
    from teamcast.engine.commands.cli import main
    from teamcast.engine.plan.demo import DEMO_PATH

    runner = CliRunner()
    found = []
    runs = [[name, str(DEMO_PATH)] for name in ("hiring", "check", "org", "roster")]
    runs += [[name, str(DEMO_PATH), "--format", "json"] for name in ("hiring", "check", "org", "roster")]
    for kind in ("leadership", "retro"):
        runs.append(["report", str(DEMO_PATH), "--kind", kind, "--out", str(tmp_path / f"{kind}.md"), "-n", "300"])
    for args in runs:
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (args, result.output)
        text = result.output
        if args[0] == "report":
            text = Path(args[args.index("--out") + 1]).read_text(encoding="utf-8")
        # JSON strings and printed lines each end a sentence.
        lines = [line.strip().strip('",') for line in text.splitlines()]
        found += [
            (" ".join(args[:1] + args[2:3]), s) for line in lines for s in sentences(line) if CITES_LECTURE.search(s)
        ]
    return found


def _offences(citations: list[tuple[str, str]]) -> list[str]:
    bad = []
    for where, sentence in citations:
        for name, pattern in NOT_THE_LECTURES.items():
            if pattern.search(sentence):
                bad.append(f"{where}: [{name}] {sentence}")
        for section in SECTION.findall(sentence):
            if not 1 <= int(section) <= 4:
                bad.append(f"{where}: [no such section §{section}] {sentence}")
    return bad


def test_the_collector_finds_citations_everywhere_it_should():
    sources = {where for where, _ in _source_citations()}
    for module in ("checks.py", "org.py", "hiring.py", "growth.py", "report.py", "design.py"):
        assert any(w.endswith(module) for w in sources), module
    assert any(w == "docs/org-and-hiring.md" for w, _ in _doc_citations())


@pytest.mark.parametrize(
    "sentence",
    [
        "Per hire about 86 candidates -> 15 screens (Lecture 13, §4).",
        "Default rates as quoted in Lecture 13, §4: candidate->screen 17 %.",
        "Referrals convert 10x better (Lecture 13, §4).",
        "Two at 50% give 75% (Lecture 13, §3).",
        "The lognormal overruns of research work (Lecture 13, §3).",
        "The unicorn posting (Lecture 13, §4; FSDL 2022, Lecture 8).",
        "Brier below 0.25 (Lecture 13, §6).",
    ],
)
def test_the_check_catches_external_figures_next_to_the_lecture(sentence):
    assert _offences([("example", sentence)])


def test_nothing_in_the_code_credits_the_lecture_with_what_it_does_not_say():
    assert _offences(_source_citations()) == []


def test_nothing_in_the_docs_credits_the_lecture_with_what_it_does_not_say():
    assert _offences(_doc_citations()) == []


def test_nothing_the_commands_and_reports_print_for_the_demo_does(tmp_path):
    citations = _output_citations(tmp_path)
    assert len(citations) > 20  # the outputs do cite the lecture
    assert _offences(citations) == []
