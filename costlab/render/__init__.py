"""Output: neutral documents (section.py) and one writer per format, the only place numbers
become strings. `write(document, "markdown")` is all a command needs."""

from __future__ import annotations

from collections.abc import Callable

from costlab.errors import OptionError
from costlab.render.data import write_csv, write_json
from costlab.render.latex import write_latex
from costlab.render.section import Column, Document, Section, Unit
from costlab.render.text import write_markdown, write_terminal

__all__ = ["Column", "Document", "Section", "Unit", "WRITERS", "register_writer", "write",
           "formats"]

Writer = Callable[[Document], str]

# format name -> writer; a new format is one writer registered here (or by register_writer).
WRITERS: dict[str, Writer] = {
    "table": write_terminal,
    "markdown": write_markdown,
    "csv": write_csv,
    "json": write_json,
    "latex": write_latex,
}


def register_writer(name: str, writer: Writer) -> Writer:
    """Adds an output format; every command that writes a document offers it."""
    if name in WRITERS:
        raise ValueError(f"format {name!r} is registered twice")
    WRITERS[name] = writer
    return writer


def formats() -> list[str]:
    return list(WRITERS)


def write(document: Document, fmt: str = "table") -> str:
    """The document in one format; deterministic for the same document."""
    writer = WRITERS.get(str(fmt))
    if writer is None:
        raise OptionError(f"unknown format {fmt!r}; one of {', '.join(WRITERS)}")
    return writer(document)
