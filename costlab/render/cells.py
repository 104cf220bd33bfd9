"""One cell of a table as text: the only place a number becomes a string."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from costlab.render.section import Column, Unit
from costlab.units import fmt_bytes, fmt_int, fmt_shape, humanize

__all__ = ["format_cell", "is_numeric", "table_cells", "right_aligned", "plain_value"]

_DEFAULT_DIGITS = {Unit.SHARE: 1, Unit.CHANGE: 1, Unit.MS: 3, Unit.FLOAT: 3}


def format_cell(value: Any, unit: Unit, digits: int | None = None) -> str:
    """`300774272` as INT -> "300,774,272", as SI -> "300.77M"; None -> "" (a dash for a
    ratio, which has no value when the baseline is 0)."""
    if value is None:
        return "—" if unit is Unit.RATIO else ""
    if isinstance(value, str) or unit in (Unit.TEXT, Unit.NUMBER, Unit.PRINTED):
        return str(value)
    places = _DEFAULT_DIGITS.get(unit, 2) if digits is None else digits
    if unit is Unit.INT:
        return fmt_int(int(value))
    if unit is Unit.SI:
        return humanize(value, places)
    if unit is Unit.BYTES:
        return fmt_bytes(int(value))
    if unit is Unit.RATIO:
        return f"{value:.2f}x"
    if unit is Unit.SHARE:
        return f"{value:.{places}%}"
    if unit is Unit.CHANGE:
        return f"{value:+.{places}f}%"
    if unit is Unit.SHAPE:
        return fmt_shape(value)
    return f"{value:.{places}f}"


def is_numeric(column: Column) -> bool:
    """Numbers align right; text and shapes left."""
    return column.unit not in (Unit.TEXT, Unit.SHAPE, Unit.PRINTED) \
        or column.unit_key is not None


# What a printed figure looks like: 569M, 4,210,088, 0.5625, -1.7%, 3 points.
_FIGURE = re.compile(r"^[+-]?[\d,]*\.?\d+\s*(%|K|M|G| points)?$")


def table_cells(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]
                ) -> list[list[str]]:
    """Every row's cells as text, each by its column's unit."""
    return [[format_cell(row.get(c.key), c.unit_of(row), c.digits) for c in columns]
            for row in rows]


def right_aligned(columns: Sequence[Column], cells: Sequence[Sequence[str]]) -> list[bool]:
    """Which columns of these cells align right: numbers do, and printed figures when every
    cell of the column reads as a number (blank cells aside, but not all blank)."""
    def right(index: int, column: Column) -> bool:
        if column.unit is not Unit.PRINTED:
            return is_numeric(column)
        texts = [row[index] for row in cells]
        return any(texts) and all(not text or _FIGURE.match(text) for text in texts)
    return [right(i, c) for i, c in enumerate(columns)]


def plain_value(value: Any, unit: Unit) -> Any:
    """A raw value for CSV: numbers as they are, shapes as --input writes them."""
    if unit is Unit.SHAPE and value is not None:
        return fmt_shape(value)
    return "" if value is None else value
