"""The latency document on a hand-made measurement, in every format: the JSON fields scripts
read, the CSV table, the notes a reader needs."""

from __future__ import annotations

import csv
import io
import json

import jsonschema
import pytest

from costlab.analyses.latency import LatencyReport, ModelLatency, PublishedRatio
from costlab.analyses.latency_document import latency_document
from costlab.analyses.layer_latency import LayerLatency, LayerWork, PerLayer, Spearman
from costlab.analyses.machine import Machine
from costlab.analyses.roofline import Bound, Roofline
from costlab.choices import Device, DType
from costlab.render import write
from costlab.render.data import schema_for

MACHINE = Machine("Some CPU", 2, 1, "2.x", "CPU only", "cpu")
ROOF = Roofline(10.0, 5.0, "fp32", 1, "hand-made")
# 2M MACs over 1 MB: intensity 2, at the ridge (10 / 5): compute-bound, 0.2 ms predicted
CONV = LayerWork("features.0.conv", "Conv2d", 2_000_000, 1_000_000)
LAYER = LayerLatency("b", CONV, 0.5, 0.25, 0.2, Bound.COMPUTE)
PER_LAYER = PerLayer("module hooks", 2.0, (LAYER,), Spearman(None, None, "layers", 1))


def _report(per_layer: bool) -> LatencyReport:
    a = ModelLatency("a", 1, 4_000_000, 4.0, 0.2, 20, 0.4)
    b = ModelLatency("b", 1, 2_000_000, 2.0, 0.1, 50, 0.2, PER_LAYER if per_layer else None)
    published = PublishedRatio("b", "a", 75.0, 113.0, "a phone", "Table 4", 0.5)
    return LatencyReport((a, b), MACHINE, ROOF, Device.CPU, DType.FP32, 1.0,
                         Spearman(None, None, "models", 2), (published,))


def test_json_fields() -> None:
    data = json.loads(write(latency_document(_report(per_layer=True)), "json"))
    assert data["kind"] == "latency"
    assert data["roofline"]["peak_gmacs_per_s"] == 10.0
    assert data["roofline"]["bandwidth_gb_per_s"] == 5.0
    assert data["machine"]["cpu"] == "Some CPU" and data["machine"]["threads"] == 1
    b = data["models"][1]
    assert (b["name"], b["median_ms"], b["iqr_ms"], b["runs"]) == ("b", 2.0, 0.1, 50)
    assert b["throughput"] == pytest.approx(500.0)     # 1 sample / 2 ms
    assert b["gmacs_per_s"] == pytest.approx(1.0)      # 2e6 MACs / 2e-3 s = 1e9
    assert b["per_layer"]["disturbance"] == pytest.approx(1.0)   # 2.0 hooked / 2.0 plain
    layer = data["layers"][0]
    assert {k: layer[k] for k in ("layer", "time_ms", "share", "macs", "bytes", "intensity",
                                  "predicted_ms", "bound")} == {
        "layer": "features.0.conv", "time_ms": 0.5, "share": 0.25, "macs": 2_000_000,
        "bytes": 1_000_000, "intensity": 2.0, "predicted_ms": 0.2, "bound": "compute"}
    assert data["spearman"] == {"macs": None, "roofline": None, "across": "models", "n": 2}
    assert data["published_ratios"][0]["published_ratio"] == pytest.approx(75 / 113)


def test_table_notes() -> None:
    text = write(latency_document(_report(per_layer=True)), "table")
    flat = " ".join(text.split())
    assert "machine: Some CPU, 2 cores, 1 thread used" in flat
    assert "peak 10.0 GMAC/s, bandwidth 5.0 GB/s, ridge 2.00 MAC/B" in flat
    assert "b / a: 0.50 measured here; published 75 / 113 = 0.66 on a different device " \
           "(a phone; Table 4)" in flat
    assert "sum of layer times 0.50 ms of the model's 2.00 ms median" in flat
    assert "1.50 ms not attributed" in flat and "Spearman across models: undefined" in flat
    assert "features.0.conv" in text and "25.0%" in text
    assert max(map(len, text.splitlines())) <= 100


def test_csv_is_the_layer_table_with_layers_else_the_models() -> None:
    rows = list(csv.DictReader(io.StringIO(write(latency_document(_report(True)), "csv"))))
    assert [r["layer"] for r in rows] == ["features.0.conv"] and rows[0]["macs"] == "2000000"
    rows = list(csv.DictReader(io.StringIO(write(latency_document(_report(False)), "csv"))))
    assert [r["name"] for r in rows] == ["a", "b"] and rows[1]["median_ms"] == "2.0"


def test_without_per_layer_json_has_empty_layers() -> None:
    data = json.loads(write(latency_document(_report(per_layer=False)), "json"))
    assert data["layers"] == []


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_other_tables_carry_the_type(fmt: str) -> None:
    assert "Conv2d" in write(latency_document(_report(per_layer=True)), fmt)


@pytest.mark.parametrize("per_layer", [True, False])
def test_json_validates_against_the_shipped_schema(per_layer: bool) -> None:
    data = json.loads(write(latency_document(_report(per_layer)), "json"))
    schema = schema_for("latency")
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(data, schema)
    data["layers"] = [{**LAYER_ROW, "bound": "fast"}]   # not a bound
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


LAYER_ROW = {"model": "b", "layer": "x", "type": "Conv2d", "time_ms": 0.5, "share": 0.25,
             "macs": 1, "bytes": 1, "gmacs_per_s": 0.0, "intensity": 1.0, "predicted_ms": 0.1}
