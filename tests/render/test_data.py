"""JSON, CSV and Parquet: raw values (exact integers, shapes as integer lists), a schema
version, and one column per key in CSV and Parquet."""

from __future__ import annotations

import csv
import io
import json

import pytest

from costlab.errors import OptionError
from costlab.render import Column, Document, Section, Unit, resolve_format, write, write_file
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


def test_parquet_is_the_csv_section_with_exact_values_in_a_file(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    doc = Document("t", (), (Section("rows", "", COLUMNS, ROWS),))
    with pytest.raises(OptionError, match=r"writes a file: give -o FILE\.parquet"):
        write(doc, "parquet")                                   # bytes never go to a stream
    write_file(doc, "parquet", str(tmp_path / "t.parquet"))
    assert pq.read_table(tmp_path / "t.parquet").to_pylist() == [
        {"key": "macs", "value": 300774272, "shape": [1, 3, 224, 224]},
        {"key": "params", "value": 3504872, "shape": None}]


def test_parquet_asks_for_a_file_before_anything_runs():
    with pytest.raises(OptionError, match=r"give -o FILE\.parquet"):
        resolve_format("parquet", "-")
    assert resolve_format(None, "sweep.parquet") == "parquet"
