"""The terminal and markdown writers: heading lines, then each section's title, table and
notes. Terminal tables fit the terminal, in colour when asked (style.py); markdown never
wraps, so it pastes whole."""

from __future__ import annotations

import os
import re
import shutil
import sys
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import TextIO

from costlab.render.cells import right_aligned, table_cells
from costlab.render.section import Column, Document, Section, text_columns
from costlab.render.style import paint, paint_spans, verdict_style

__all__ = ["terminal_width", "write_terminal", "write_markdown", "text_table"]

DEFAULT_WIDTH = 100
_MIN_PROSE_WIDTH = 8   # prose wraps between words, so it reads even this narrow


def terminal_width(stream: TextIO | None = None) -> int:
    """$COLUMNS if set, else the terminal's width when `stream` (stdout) is one, else 100:
    piped output does not depend on the window it was piped from."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) >= 40:
        return int(columns)
    if (stream or sys.stdout).isatty():
        return max(40, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)
    return DEFAULT_WIDTH


@contextmanager
def _tight_columns() -> Iterator[None]:
    """Columns as wide as their widest cell (tabulate pads headers by 2 by default)."""
    # Imported on first use: tabulate reads installed packages' metadata (50 ms), which
    # `costlab --help` and `costlab list` need not wait for.
    import tabulate as tabulate_module
    saved = tabulate_module.MIN_PADDING, tabulate_module.PRESERVE_WHITESPACE
    tabulate_module.MIN_PADDING = 0
    tabulate_module.PRESERVE_WHITESPACE = True   # a tree label's indentation is its meaning
    try:
        yield
    finally:
        tabulate_module.MIN_PADDING, tabulate_module.PRESERVE_WHITESPACE = saved


def _align(columns: Sequence[Column], cells: Sequence[Sequence[str]]) -> list[str]:
    return ["right" if right else "left" for right in right_aligned(columns, cells)]


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


def _fit(section: Section, width: int) -> tuple[str, list[str], list[Column]]:
    """The table with the fewest low-priority columns left out that fits `width`, then the
    widest text column wrapped; returns it, the labels left out and the columns shown."""
    columns = list(text_columns(section.columns))
    dropped: list[str] = []
    levels = sorted({c.priority for c in columns if c.priority > 0}, reverse=True)
    while True:
        cells = table_cells(section.rows, columns)
        align = _align(columns, cells)
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
    return table, dropped, columns


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


def write_terminal(document: Document, width: int | None = None, styled: bool = False) -> str:
    """Plain text fitted to `width` (default: the terminal's): no line wider unless a single
    word is. `styled` adds ANSI colour and bold around spans, the text left as it is."""
    width = width or terminal_width()
    lines: list[tuple[str, str]] = []   # (line, style kind)

    def add(texts: Sequence[str], kind: str = "") -> None:
        lines.extend((line, kind) for line in _wrap(texts, width))

    if document.title:
        add([document.title], "title")
        lines.append(("", ""))
    for i, line in enumerate(document.heading):
        add([line], "heading" if i == 0 else "")
    for section in document.sections:
        if lines:
            lines.append(("", ""))
        if section.title:
            add([section.title], "section")
        add(section.intro)
        if section.rows and text_columns(section.columns):
            table, dropped, shown = _fit(section, width)
            lines += _table_lines(table, section, shown, styled)
            if dropped:
                add([f"(left out to fit {width} columns: {', '.join(dropped)}; "
                     "--format markdown shows every column)"], "note")
        add(section.notes, "note")
    if document.footer:
        lines.append(("", ""))
        add(document.footer, "total")
    if styled:
        return "\n".join(paint(line, kind) if kind != "painted" else line
                         for line, kind in lines) + "\n"
    return "\n".join(line for line, _ in lines) + "\n"


_VERDICT_KEYS = ("verdict", "_verdict", "status")   # _verdict: the shown form of a verdict
_GUIDES = "│├└─\u00a0 "


def _table_lines(table: str, section: Section, columns: Sequence[Column],
                 styled: bool) -> list[tuple[str, str]]:
    """A table's lines with their styles: headers bold, the rule dim, verdict cells by what
    they say, the numbers of the totals bold. Cell spans come from the rule's dashes."""
    rows = table.split("\n")
    if not styled:
        return [(line, "") for line in rows]
    rule = next((i for i, line in enumerate(rows) if line and set(line) <= {"-", " "}), None)
    if rule is None:
        return [(line, "") for line in rows]
    spans = [m.span() for m in re.finditer(r"-+", rows[rule])]
    painted: list[tuple[str, str]] = [(line, "header") for line in rows[:rule]]
    painted.append((rows[rule], "rule"))
    carried: dict[int, str | None] = {}
    for line in rows[rule + 1:]:
        marks = []
        first = spans[0] if spans else (0, 0)
        continued = not line[first[0]:first[1]].strip()   # a wrapped row's next line
        for index, (column, (start, end)) in enumerate(zip(columns, spans, strict=False)):
            cell = line[start:end]
            if not cell.strip():
                continue
            start += len(cell) - len(cell.lstrip())       # the text, not its padding
            end = start + len(cell.strip())
            kind: str | None = None
            if column.key in _VERDICT_KEYS:   # a wrapped verdict keeps its first line's style
                kind = carried.get(index) if continued else verdict_style(cell)
                carried[index] = kind
            elif section.key == "totals" and column.key == "value":
                kind = "total"
            elif column.key == "_tree":   # a module tree's guides, dim beside the names
                guides = len(cell.strip()) - len(cell.strip().lstrip(_GUIDES))
                if guides:
                    marks.append((start, start + guides, "rule"))
            if kind:
                marks.append((start, end, kind))
        painted.append((paint_spans(line, marks), "painted"))
    return painted


def write_markdown(document: Document) -> str:
    """Markdown: prose as paragraphs, each section a pipe table under its bold title. A page
    (`Document.page`) has `#` and `##` headings, tables as tabulate pads them, and its notes
    as lists; there a section without a table is a list under its title ("Notes:")."""
    page = document.page
    blocks = [f"{'#' if page else '###'} {document.title}"] if document.title else []
    blocks += list(document.heading)
    for section in document.sections:
        columns = text_columns(section.columns)
        table = bool(section.rows and columns)
        if section.title:
            blocks.append(f"**{section.title}**" if not page else
                          f"## {section.title}" if table else f"{section.title}:")
        blocks += list(section.intro)
        if table:
            cells = table_cells(section.rows, columns)
            blocks.append(text_table([c.label for c in columns], cells, "pipe",
                                     _align(columns, cells), tight=not page))
        if section.notes:
            blocks.append("\n".join(f"- {n}" if page else n for n in section.notes))
    blocks += list(document.footer)
    return "\n\n".join(blocks) + "\n"
