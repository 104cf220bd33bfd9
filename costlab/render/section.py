"""The neutral output model every command produces: a document of sections, each a title,
columns with units, rows of raw values and notes. Writers (one per format) turn any document
into text; nothing here formats a number."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Literal

__all__ = ["Unit", "Column", "Section", "Alert", "Document", "SCHEMA_VERSION", "text_columns",
           "data_columns"]

# Bumped when a JSON document changes shape in a way scripts would notice.
SCHEMA_VERSION = 1


class Unit(StrEnum):
    """How a column's values read in text formats; CSV and JSON keep the raw value."""

    TEXT = "text"          # as is
    INT = "int"            # exact, with thousands separators: 300,774,272
    SI = "si"              # a count in short form: 300.77M
    BYTES = "bytes"        # decimal byte units: 9.6 MB
    RATIO = "ratio"        # 0.53x; None reads as a dash
    SHARE = "share"        # a fraction as a percentage: 0.927 -> 92.7%
    CHANGE = "change"      # a signed percentage: -0.3 -> -0.3%
    SHAPE = "shape"        # 1x3x224x224
    MS = "ms"              # milliseconds: 12.345 ms
    FLOAT = "float"        # 0.873
    NUMBER = "number"      # as written, no separators or rounding: 1024, 0.75
    PRINTED = "printed"    # a figure as a document prints it ("569M"): text, aligned right
                           # when every cell of its column reads as a number


@dataclass(frozen=True, slots=True)
class Column:
    """One column: the row key it reads, its header and unit.

    `priority` 0 columns always show; the terminal writer leaves out the highest priorities
    first when a table is wider than the terminal (and says so). `unit_key` names a row key
    holding the unit of this cell, for a column whose rows mix counts and bytes.
    """

    key: str
    label: str
    unit: Unit = Unit.TEXT
    priority: int = 0
    unit_key: str | None = None
    digits: int | None = None   # decimals for SI, SHARE, CHANGE, MS and FLOAT
    show: Literal["all", "text", "data"] = "all"   # text: tables only; data: CSV only

    def unit_of(self, row: Mapping[str, Any]) -> Unit:
        return Unit(row[self.unit_key]) if self.unit_key else self.unit


def text_columns(columns: tuple[Column, ...]) -> tuple[Column, ...]:
    """What tables (terminal, markdown, LaTeX) show."""
    return tuple(c for c in columns if c.show != "data")


def data_columns(columns: tuple[Column, ...]) -> tuple[Column, ...]:
    """What CSV writes."""
    return tuple(c for c in columns if c.show != "text")


@dataclass(frozen=True)
class Section:
    """A table: `key` is its stable identifier in JSON, `title` the heading text formats show.

    `json_as="mapping"` writes the rows to JSON as {row[key column]: row[value column]}
    (e.g. totals as {"macs": ...}); `json_columns` restricts what JSON carries of each row.
    `intro` is prose between the title and the table (what the table's columns mean).
    """

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Mapping[str, Any], ...]
    notes: tuple[str, ...] = ()
    json_as: Literal["rows", "mapping"] = "rows"
    json_mapping: tuple[str, str] = ("key", "value")
    json_extra: Mapping[str, Any] = field(default_factory=dict)
    chart: tuple[str, str] | None = None   # (label key, value key): bars in the HTML page
    chart_unit: Unit = Unit.SI
    intro: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Alert:
    """A finding a CI shows on the change it checks (a GitHub annotation): an `error` marks
    the change, a `notice` only informs. `file` is the file it is about, if any."""

    level: Literal["error", "warning", "notice"]
    title: str
    message: str
    file: str = ""


@dataclass(frozen=True)
class Document:
    """What one command prints: heading lines, sections, and the JSON-only facts (`meta`:
    model, config, conventions...). `primary` names the section CSV writes.

    `page`: a page of its own (a file under reports/), not a command's output pasted into a
    terminal or a comment; markdown gives it `#` and `##` headings and lists its notes.
    `alerts`: what a CI should flag (the github format writes them; tables show the same
    facts in their rows and notes).
    """

    kind: str
    heading: tuple[str, ...]
    sections: tuple[Section, ...]
    meta: Mapping[str, Any] = field(default_factory=dict)
    primary: str | None = None
    footer: tuple[str, ...] = ()
    title: str = ""            # a heading: `### title` in markdown, a first line elsewhere
    page: bool = False
    alerts: tuple[Alert, ...] = ()

    def section(self, key: str) -> Section:
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)

    def with_sections(self, extra: Sequence[Section]) -> Document:
        return replace(self, sections=(*self.sections, *extra))
