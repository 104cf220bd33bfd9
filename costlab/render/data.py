"""The CSV, JSON and Parquet writers: raw values, exact integers, shapes as integer lists in
JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

from costlab.errors import OptionError
from costlab.render.cells import plain_value
from costlab.render.section import SCHEMA_VERSION, Document, Section, data_columns

__all__ = ["document_dict", "section_data", "write_json", "write_csv", "write_parquet",
           "schema_for"]


def _json_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Every key of the row except private ones (`_unit`): JSON carries what a table hides."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in row.items()
            if not k.startswith("_")}


def section_data(section: Section) -> Any:
    """A section as JSON types: a list of row objects, or one object keyed by a column."""
    if section.json_as == "mapping":
        key, value = section.json_mapping
        data: Any = {row[key]: row[value] for row in section.rows}
    else:
        data = [_json_row(row) for row in section.rows]
    if section.json_extra:
        return {"rows": data, **section.json_extra} if section.json_as == "rows" \
            else {**data, **section.json_extra}
    return data


def document_dict(document: Document) -> dict[str, Any]:
    """`schema_version`, `kind`, the document's facts, then each section under its key."""
    title = {"title": document.title} if document.title else {}
    return {"schema_version": SCHEMA_VERSION, "kind": document.kind, **title, **document.meta,
            **{s.key: section_data(s) for s in document.sections}}


def write_json(document: Document) -> str:
    return json.dumps(document_dict(document), indent=2, ensure_ascii=False) + "\n"


def _primary(document: Document) -> Section:
    """The section a table-shaped format writes: the one named, else the first."""
    return document.section(document.primary) if document.primary else document.sections[0]


def write_csv(document: Document) -> str:
    """The primary section, one column per key, raw values."""
    section = _primary(document)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = data_columns(section.columns)
    writer.writerow([c.key.removeprefix("_") for c in columns])   # private: shown only here
    for row in section.rows:
        writer.writerow([plain_value(row.get(c.key), c.unit_of(row)) for c in columns])
    return out.getvalue()


def write_parquet(document: Document) -> bytes:
    """The primary section's CSV columns as a Parquet file: raw values, exact integers, None
    as null. pyarrow is optional: without it, an OptionError says how to install it."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise OptionError("--format parquet needs pyarrow: pip install pyarrow") from None
    section = _primary(document)
    table = pa.table({c.key.removeprefix("_"): [row.get(c.key) for row in section.rows]
                      for c in data_columns(section.columns)})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue().to_pybytes())


def schema_for(kind: str) -> dict[str, Any]:
    """The JSON Schema shipped for a document kind (`report`, `memory`, `compare`, ...), in
    costlab/schemas/; KeyError naming the kinds shipped otherwise."""
    folder = resources.files("costlab") / "schemas"
    path = folder / f"{kind}.json"
    if not path.is_file():
        shipped = sorted(p.name.removesuffix(".json") for p in folder.iterdir()
                         if p.name.endswith(".json"))
        raise KeyError(f"no schema for {kind!r}; shipped: {', '.join(shipped)}")
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded
