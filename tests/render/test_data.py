"""JSON and CSV: raw values (exact integers, shapes as integer lists), a schema version, and
one column per key in CSV."""

from __future__ import annotations

import csv
import io
import json

from costlab.render import Column, Document, Section, Unit, write
from costlab.render.section import SCHEMA_VERSION

ROWS = ({"key": "macs", "value": 300_774_272, "shape": (1, 3, 224, 224), "_hidden": 1},
        {"key": "params", "value": 3_504_872, "shape": None, "_hidden": 2})
COLUMNS = (Column("key", "key"), Column("value", "value", Unit.SI),
           Column("shape", "shape", Unit.SHAPE))


def test_json_keeps_exact_values_and_lists_shapes():
    doc = Document("t", ("h",), (Section("rows", "", COLUMNS, ROWS),), {"model": "m"})
    data = json.loads(write(doc, "json"))
    assert data["schema_version"] == SCHEMA_VERSION and data["kind"] == "t"
    assert data["model"] == "m"
    assert data["rows"] == [{"key": "macs", "value": 300774272, "shape": [1, 3, 224, 224]},
                            {"key": "params", "value": 3504872, "shape": None}]


def test_a_mapping_section_is_one_object():
    doc = Document("t", (), (Section("totals", "", COLUMNS, ROWS, json_as="mapping",
                                     json_mapping=("key", "value")),))
    assert json.loads(write(doc, "json"))["totals"] == {"macs": 300774272, "params": 3504872}


def test_csv_writes_the_primary_section_raw():
    other = Section("other", "", (Column("a", "a"),), ({"a": 1},))
    doc = Document("t", (), (other, Section("rows", "", COLUMNS, ROWS)), primary="rows")
    table = list(csv.reader(io.StringIO(write(doc, "csv"))))
    assert table == [["key", "value", "shape"], ["macs", "300774272", "1x3x224x224"],
                     ["params", "3504872", ""]]
