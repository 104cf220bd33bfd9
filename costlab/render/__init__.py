"""Output: neutral documents (section.py) and one writer per format, the only place numbers
become strings. `write(document, "markdown")` is all a command needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import TextIO

from costlab.errors import OptionError
from costlab.render.data import write_csv, write_json, write_parquet
from costlab.render.files import write_atomic
from costlab.render.github import write_github
from costlab.render.html import write_html
from costlab.render.latex import write_latex
from costlab.render.section import Alert, Column, Document, Section, Unit
from costlab.render.style import wants_style
from costlab.render.text import terminal_width, write_markdown, write_terminal

__all__ = ["Alert", "Column", "Document", "Section", "Unit", "Format", "WRITERS", "EXTENSIONS",
           "register_writer", "write", "write_file", "formats", "is_data", "resolve_format"]

Writer = Callable[[Document], str | bytes]


@dataclass(frozen=True, slots=True)
class Format:
    """A format's writer and what a command needs to know of what it writes.

    `fitted` writes for the stream the text goes to (the terminal table: its width, colour
    when it takes colour); `data` is machine-readable output, beside which a command says its
    verdict on stderr; `binary` writes bytes, to a file only.
    """

    writer: Writer
    fitted: Callable[[Document, TextIO], str] | None = None
    data: bool = False
    binary: bool = False


def _fitted_terminal(document: Document, to: TextIO) -> str:
    return write_terminal(document, terminal_width(to), styled=wants_style(to))


# format name -> its writer; a new format is one writer registered here (or by register_writer).
WRITERS: dict[str, Format] = {
    "table": Format(write_terminal, fitted=_fitted_terminal),
    "markdown": Format(write_markdown),
    "csv": Format(write_csv, data=True),
    "json": Format(write_json, data=True),
    "latex": Format(write_latex),
    "html": Format(write_html),
    "parquet": Format(write_parquet, data=True, binary=True),
    "github": Format(write_github),
}


def register_writer(name: str, writer: Writer, *, data: bool = False,
                    binary: bool = False) -> Writer:
    """Adds an output format; every command that writes a document offers it."""
    if name in WRITERS:
        raise ValueError(f"format {name!r} is registered twice")
    WRITERS[name] = Format(writer, data=data, binary=binary)
    return writer


def formats(*, stdout: bool = False) -> list[str]:
    """The format names; with `stdout`, only those that can go to stdout (not binary)."""
    return [name for name, fmt in WRITERS.items() if not (stdout and fmt.binary)]


def is_data(fmt: str) -> bool:
    """Whether the format is machine-readable (CSV, JSON, Parquet): prose goes to stderr."""
    return _format(fmt).data


# -o FILE picks its format from the extension unless --format says otherwise.
EXTENSIONS = {".txt": "table", ".md": "markdown", ".markdown": "markdown", ".csv": "csv",
              ".json": "json", ".tex": "latex", ".html": "html", ".htm": "html",
              ".parquet": "parquet"}


def resolve_format(fmt: str | None, output: str | None) -> str:
    """The format to write: `fmt` if given, else the one `output`'s extension names, else the
    terminal table. A `fmt` that contradicts a known extension, or a binary format without a
    file to write, is an OptionError."""
    to_file = bool(output) and output != "-"
    suffix = PurePath(output).suffix.lower() if output and to_file else ""
    implied = EXTENSIONS.get(suffix)
    if fmt is None:
        return implied or "table"
    if implied is not None and implied != fmt:
        raise OptionError(f"--format {fmt} contradicts the extension of {output!r} "
                          f"({suffix} is {implied}); drop one or make them agree")
    if not to_file and _format(fmt).binary:
        raise _needs_file(fmt)
    return fmt


def _format(fmt: str) -> Format:
    found = WRITERS.get(str(fmt))
    if found is None:
        raise OptionError(f"unknown format {fmt!r}; one of {', '.join(WRITERS)}")
    return found


def _needs_file(fmt: str) -> OptionError:
    extension = next((e for e, name in EXTENSIONS.items() if name == fmt), "")
    return OptionError(f"--format {fmt} writes a file: give -o FILE{extension}")


def write(document: Document, fmt: str = "table", to: TextIO | None = None) -> str:
    """The document as text in one format; deterministic for the same document. `to`: the
    stream the text goes to, for a format that fits it (the terminal table: its width, and
    colour when it is a terminal that takes colour, never when piped or with NO_COLOR set).
    A binary format is an OptionError: it goes to a file (write_file)."""
    found = _format(fmt)
    if found.binary:
        raise _needs_file(fmt)
    if to is not None and found.fitted is not None:
        return found.fitted(document, to)
    text = found.writer(document)
    assert isinstance(text, str), f"the {fmt} writer returned bytes: register it binary"
    return text


def write_file(document: Document, fmt: str, path: str) -> None:
    """Writes the document in one format, text or binary, to `path` atomically."""
    write_atomic(path, _format(fmt).writer(document))
