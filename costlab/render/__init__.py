"""Output: neutral documents (section.py) and one writer per format, the only place numbers
become strings. `write(document, "markdown")` is all a command needs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath
from typing import TextIO

from costlab.errors import OptionError
from costlab.render.data import write_csv, write_json
from costlab.render.html import write_html
from costlab.render.latex import write_latex
from costlab.render.section import Column, Document, Section, Unit
from costlab.render.style import wants_style
from costlab.render.text import terminal_width, write_markdown, write_terminal

__all__ = ["Column", "Document", "Section", "Unit", "WRITERS", "EXTENSIONS", "register_writer",
           "write", "formats", "resolve_format"]

Writer = Callable[[Document], str]

# format name -> writer; a new format is one writer registered here (or by register_writer).
WRITERS: dict[str, Writer] = {
    "table": write_terminal,
    "markdown": write_markdown,
    "csv": write_csv,
    "json": write_json,
    "latex": write_latex,
    "html": write_html,
}


def register_writer(name: str, writer: Writer) -> Writer:
    """Adds an output format; every command that writes a document offers it."""
    if name in WRITERS:
        raise ValueError(f"format {name!r} is registered twice")
    WRITERS[name] = writer
    return writer


def formats() -> list[str]:
    return list(WRITERS)


# -o FILE picks its format from the extension unless --format says otherwise.
EXTENSIONS = {".txt": "table", ".md": "markdown", ".markdown": "markdown", ".csv": "csv",
              ".json": "json", ".tex": "latex", ".html": "html", ".htm": "html"}


def resolve_format(fmt: str | None, output: str | None) -> str:
    """The format to write: `fmt` if given, else the one `output`'s extension names, else the
    terminal table. A `fmt` that contradicts a known extension is an OptionError."""
    suffix = PurePath(output).suffix.lower() if output and output != "-" else ""
    implied = EXTENSIONS.get(suffix)
    if fmt is None:
        return implied or "table"
    if implied is not None and implied != fmt:
        raise OptionError(f"--format {fmt} contradicts the extension of {output!r} "
                          f"({suffix} is {implied}); drop one or make them agree")
    return fmt


def write(document: Document, fmt: str = "table", to: TextIO | None = None) -> str:
    """The document in one format; deterministic for the same document. `to`: the stream
    the text goes to; the terminal table is fitted to it, and in colour when it is a terminal
    that takes colour (never when piped, or with NO_COLOR set)."""
    writer = WRITERS.get(str(fmt))
    if writer is None:
        raise OptionError(f"unknown format {fmt!r}; one of {', '.join(WRITERS)}")
    if to is not None and writer is write_terminal:
        return write_terminal(document, terminal_width(to), styled=wants_style(to))
    return writer(document)
