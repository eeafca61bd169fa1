"""Writing a plan file: the canonical TOML text of a plan (tables and keys in a fixed order, null
keys left out), so that export -> import -> export gives back the same bytes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import polars as pl
import tomli_w

from teamcast.engine.plan.model import Plan
from teamcast.engine.plan.planfile import ARRAYS, LATER_ARRAYS, ORG, PLAN, Row, Table, toml_key


def _literal(value: object) -> str:
    """One TOML value on one line, encoded by tomli_w (arrays and inline tables kept inline)."""
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {_literal(v)}" for k, v in value.items()) + " }" if value else "{}"
    return tomli_w.dumps({"v": value})[len("v = ") : -1]


def _pairs(table: Table, row: Row) -> list[tuple[str, object]]:
    written = ((f.key, f.write(row)) for f in table.fields)
    return [(key, value) for key, value in written if value is not None]


def _block(header: str, pairs: list[tuple[str, object]]) -> str:
    return "".join([f"{header}\n", *(f"{toml_key(key)} = {_literal(value)}\n" for key, value in pairs)])


def _array_blocks(table: Table, rows: list[Row], path: str, plan: Plan) -> Iterator[str]:
    for row in rows:
        yield _block(f"[[{path}]]", _pairs(table, row))
        for key, child, parent_column in table.children:
            row_id = cast(str | None, row["id"])  # the id column is a string one
            children = getattr(plan, child.frame).filter(_parent_is(parent_column, row_id)).to_dicts()
            yield from _array_blocks(child, children, f"{path}.{key}", plan)


def _parent_is(column: str, parent_id: str | None) -> pl.Expr:
    return pl.col(column).is_null() if parent_id is None else pl.col(column) == parent_id


def _blocks(plan: Plan) -> Iterator[str]:
    for row in plan.plan.to_dicts():
        yield _block("[plan]", _pairs(PLAN, row))
    for row in plan.org.to_dicts():
        yield _block("[org]", _pairs(ORG, row))
        answers = plan.org_answers.to_dicts()
        if answers:
            yield _block("[org.answers]", [(a["question"], a["answer"]) for a in answers if a["answer"] is not None])
    for key, table in ARRAYS.items():
        yield from _array_blocks(table, getattr(plan, table.frame).to_dicts(), key, plan)
    if plan.pools.height:
        yield _block("[pools]", [(p["id"], p["units"]) for p in plan.pools.to_dicts() if p["units"] is not None])
    for key, table in LATER_ARRAYS.items():
        yield from _array_blocks(table, getattr(plan, table.frame).to_dicts(), key, plan)


def plan_to_toml(plan: Plan) -> str:
    """The canonical TOML text of a plan: tables and keys in a fixed order, null keys left out.

    Tasks and challenges are written under their project, scores under their candidate; the
    forecasts frame is not part of a plan file.
    """
    return "\n".join(_blocks(plan))
