"""The terminal and markdown writers: heading lines, then each section's title, table and
notes. Terminal tables fit the terminal; markdown never wraps, so it pastes whole."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext

from costlab.render.cells import format_cell, is_numeric
from costlab.render.section import Column, Document, Section, text_columns

__all__ = ["terminal_width", "write_terminal", "write_markdown", "text_table"]

DEFAULT_WIDTH = 100
_MIN_PROSE_WIDTH = 8   # prose wraps between words, so it reads even this narrow


def terminal_width() -> int:
    """$COLUMNS if set, else the terminal's width when stdout is one, else 100: piped output
    does not depend on the window it was piped from."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) >= 40:
        return int(columns)
    if sys.stdout.isatty():
        return max(40, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)
    return DEFAULT_WIDTH


@contextmanager
def _tight_columns() -> Iterator[None]:
    """Columns as wide as their widest cell (tabulate pads headers by 2 by default)."""
    # Imported on first use: tabulate reads installed packages' metadata (50 ms), which
    # `costlab --help` and `costlab list` need not wait for.
    import tabulate as tabulate_module
    saved = tabulate_module.MIN_PADDING
    tabulate_module.MIN_PADDING = 0
    try:
        yield
    finally:
        tabulate_module.MIN_PADDING = saved


def _cells(section: Section, columns: Sequence[Column]) -> list[list[str]]:
    return [[format_cell(row.get(c.key), c.unit_of(row), c.digits) for c in columns]
            for row in section.rows]


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]], style: str,
               align: Sequence[str], limits: Sequence[int | None] | None = None,
               tight: bool = True) -> str:
    """A tabulate table of preformatted cells (numbers are never re-parsed); `tight` columns
    are as wide as their widest cell."""
    from tabulate import tabulate
    with _tight_columns() if tight else nullcontext():
        return tabulate(rows, headers=list(headers), tablefmt=style, colalign=list(align),
                        disable_numparse=True, maxcolwidths=list(limits) if limits else None,
                        maxheadercolwidths=[w or 10**6 for w in limits] if limits else None)


def _width(text: str) -> int:
    return max(map(len, text.splitlines()), default=0)


def _fit(section: Section, width: int) -> tuple[str, list[str]]:
    """The table with the fewest low-priority columns left out that fits `width`, then the
    widest text column wrapped; returns it and the labels left out."""
    columns = list(text_columns(section.columns))
    dropped: list[str] = []
    levels = sorted({c.priority for c in columns if c.priority > 0}, reverse=True)
    while True:
        cells = _cells(section, columns)
        align = ["right" if is_numeric(c) else "left" for c in columns]
        table = text_table([c.label for c in columns], cells, "simple", align)
        if _width(table) <= width or not levels:
            break
        level = levels.pop(0)
        dropped += [_column_name(c, columns) for c in columns if c.priority == level]
        columns = [c for c in columns if c.priority != level]
    excess = _width(table) - width
    if excess > 0 and cells:
        headers = [c.label for c in columns]
        limits = _wrap_limits(headers, cells, align, excess)
        if limits is not None:
            table = text_table(headers, cells, "simple", align, limits)
        else:   # the last resort: the widest name loses its middle, marked with an ellipsis
            table = text_table(headers, _ellipsized(headers, cells, align, excess), "simple",
                               align)
    return table, dropped


def _ellipsized(headers: Sequence[str], cells: Sequence[Sequence[str]], align: Sequence[str],
                excess: int) -> list[list[str]]:
    """The cells with the widest text column cut by `excess` characters in the middle of each
    long cell (`bottleneck2.0.ex…and.conv`), never below 12."""
    rows = [list(row) for row in cells]
    left = [i for i, a in enumerate(align) if a == "left"]
    if not left:
        return rows
    sizes = [max(len(x) for x in column) for column in zip(headers, *cells, strict=True)]
    widest = max(left, key=lambda i: sizes[i])
    target = max(12, len(headers[widest]), sizes[widest] - excess)
    for row in rows:
        text = row[widest]
        if len(text) > target:
            keep = target - 1
            row[widest] = text[:(keep + 1) // 2] + "…" + text[len(text) - keep // 2:]
    return rows


def _column_name(column: Column, columns: Sequence[Column]) -> str:
    """Its label, or its key when another column has the same label (three "ratio"s)."""
    return column.label if sum(c.label == column.label for c in columns) == 1 else column.key


def _wrap_limits(headers: Sequence[str], cells: Sequence[Sequence[str]], align: Sequence[str],
                 excess: int) -> list[int | None] | None:
    """Widths that take `excess` characters out of the text columns that hold prose (a space
    in a cell: they wrap between words), widest first and none below 8; names, which have no
    space, are never split. None when that cannot make the table fit."""
    floor = _MIN_PROSE_WIDTH
    sizes = [max(len(x) for x in column) for column in zip(headers, *cells, strict=True)]
    prose = [i for i, a in enumerate(align) if a == "left"
             and any(" " in row[i] for row in cells)]
    limits: list[int | None] = [None] * len(headers)
    widths = {i: sizes[i] for i in prose}
    while excess > 0:
        room = {i: w - floor for i, w in widths.items() if w > floor}
        if not room:
            return None
        widest = max(room, key=lambda i: (widths[i], -i))
        cut = min(excess, room[widest], max(1, widths[widest] - max(
            (w for i, w in widths.items() if i != widest), default=0)))
        widths[widest] -= cut
        excess -= cut
    for i, w in widths.items():
        if w < sizes[i]:
            limits[i] = w
    return limits


def _wrap(lines: Sequence[str], width: int) -> list[str]:
    out: list[str] = []
    for line in lines:
        out += textwrap.wrap(line, width, subsequent_indent="  ", break_long_words=False,
                             break_on_hyphens=False) or [""]
    return out


def write_terminal(document: Document, width: int | None = None) -> str:
    """Plain text fitted to `width` (default: the terminal's): no line wider unless a single
    word is."""
    width = width or terminal_width()
    parts = [*_wrap([document.title], width), ""] if document.title else []
    parts += _wrap(document.heading, width)
    for section in document.sections:
        if parts:
            parts.append("")
        if section.title:
            parts += _wrap([section.title], width)
        if section.rows and text_columns(section.columns):
            table, dropped = _fit(section, width)
            parts.append(table)
            if dropped:
                parts += _wrap([f"(left out to fit {width} columns: {', '.join(dropped)}; "
                                "--format markdown shows every column)"], width)
        parts += _wrap(section.notes, width)
    if document.footer:
        parts += ["", *_wrap(document.footer, width)]
    return "\n".join(parts) + "\n"


def write_markdown(document: Document) -> str:
    """Markdown: prose as paragraphs, each section a pipe table under its bold title."""
    blocks = [f"### {document.title}"] if document.title else []
    blocks += list(document.heading)
    for section in document.sections:
        if section.title:
            blocks.append(f"**{section.title}**")
        columns = text_columns(section.columns)
        if section.rows and columns:
            align = ["right" if is_numeric(c) else "left" for c in columns]
            blocks.append(text_table([c.label for c in columns], _cells(section, columns),
                                     "pipe", align))
        if section.notes:
            blocks.append("\n".join(section.notes))
    blocks += list(document.footer)
    return "\n\n".join(blocks) + "\n"
