"""Colour for the terminal table: whether a stream gets it (rich's reading of the terminal,
NO_COLOR, FORCE_COLOR and TERM=dumb) and the ANSI styles of each kind of line and cell. The
styled text is the plain text with escape codes around spans: stripped, it is byte-identical."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TextIO

__all__ = ["wants_style", "paint", "paint_spans", "verdict_style", "STYLES", "strip_styles"]

# What each kind of text looks like; a writer names the kind, never the escape codes.
STYLES: dict[str, str] = {
    "title": "bold", "heading": "bold", "section": "bold cyan", "header": "bold",
    "rule": "dim", "total": "bold", "note": "dim", "footer": "dim",
    "good": "green", "explained": "yellow", "bad": "bold red", "neutral": "dim",
}

# A verdict cell's first words -> its kind: agreement green, a named reading yellow, a
# difference red, what cannot be judged dim.
_VERDICTS = (("explained", "explained"), ("exact", "good"), ("rounded", "good"),
             ("ok", "good"), ("shrank", "good"),
             ("differs", "bad"), ("grew", "bad"), ("over budget", "bad"), ("failed", "bad"),
             ("not comparable", "neutral"), ("published only", "neutral"),
             ("unchanged", "neutral"))
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def wants_style(stream: TextIO) -> bool:
    """True when `stream` is a terminal that takes colour, as rich reads it: FORCE_COLOR (or
    TTY_COMPATIBLE=1) makes any stream one, NO_COLOR and TERM=dumb turn styles off."""
    from rich.console import Console  # on first use: `costlab --help` needs no rich
    console = Console(file=stream)
    return console.is_terminal and not console.no_color and console.color_system is not None


def paint(text: str, kind: str) -> str:
    """`text` wrapped in the ANSI codes of `kind` (16 standard colours: every terminal)."""
    if not text or kind not in STYLES:
        return text
    from rich.color import ColorSystem
    from rich.style import Style
    return Style.parse(STYLES[kind]).render(text, color_system=ColorSystem.STANDARD)


def verdict_style(cell: str) -> str | None:
    """The kind of a verdict or status cell, None when it is not one."""
    text = cell.strip().lower()
    for prefix, kind in _VERDICTS:
        if text.startswith(prefix):
            return kind
    return None


def paint_spans(line: str, spans: Sequence[tuple[int, int, str]]) -> str:
    """`line` with each (start, end, kind) span painted; spans do not overlap."""
    out, at = [], 0
    for start, end, kind in sorted(spans):
        out += [line[at:start], paint(line[start:end], kind)]
        at = end
    return "".join(out) + line[at:]


def strip_styles(text: str) -> str:
    """The plain text of styled output."""
    return _ANSI.sub("", text)
