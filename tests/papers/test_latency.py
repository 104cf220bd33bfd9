"""Seed 001's 'time is proportional to MACs' (costlab/papers/latency.py), set beside a
hand-made measurement."""

from __future__ import annotations

import jsonschema
import pytest

from costlab.analyses.latency import LatencyReport, ModelLatency
from costlab.analyses.latency_document import latency_document
from costlab.analyses.machine import describe_machine
from costlab.analyses.roofline import Roofline
from costlab.choices import Device, DType
from costlab.papers.latency import proportionality_dict, seed001_proportionality
from costlab.render.data import document_dict, schema_for


def _report(*models: ModelLatency) -> LatencyReport:
    return LatencyReport(models, describe_machine(Device.CPU, 1),
                         Roofline(10.0, 5.0, "fp32", 1, "hand-made"), Device.CPU, DType.FP32,
                         1.0, None, ())


def _model(name: str, macs: int, median_ms: float) -> ModelLatency:
    return ModelLatency(name, 1, macs, median_ms, 0.1, 10, 1.0)


def test_proportionality_set_beside_the_seeds_timings_and_ours() -> None:
    found = seed001_proportionality(_report(
        _model("mobilenetv2_reduced_001", 122_296_832, 4.0),
        _model("mobilenetv2_standard_001", 310_495_616, 10.0)))
    assert found is not None
    assert found.macs_ratio == pytest.approx(310_495_616 / 122_296_832)   # 2.54x
    assert found.epoch_ratio == pytest.approx(467 / 51)                   # 9.16x
    assert found.test_ratio == pytest.approx(467 / 4)
    assert found.measured_ratio == pytest.approx(10.0 / 4.0)
    text = proportionality_dict(found)["text"]
    assert "MACs 2.54x" in text and "= 9.16x" in text and "one forward pass: 2.50x" in text


def test_no_proportionality_without_both_networks() -> None:
    assert seed001_proportionality(_report(_model("mobilenetv2", 300_774_272, 50.0))) is None


def test_latency_json_sets_the_ratios_apart_from_judged_figures() -> None:
    report = _report(_model("mobilenetv2_reduced_001", 122_296_832, 4.0),
                     _model("mobilenetv2_standard_001", 310_495_616, 10.0))
    check = seed001_proportionality(report)
    assert check is not None
    data = document_dict(latency_document(report, [proportionality_dict(check)]))
    jsonschema.validate(data, schema_for("latency"))
    [written] = data["proportionality"]
    assert written["models"] == ["mobilenetv2_standard_001", "mobilenetv2_reduced_001"]
    assert written["measured_time_ratio"] == pytest.approx(10.0 / 4.0)
    assert written["published_epoch_time_ratio"] == pytest.approx(467 / 51)
    # ratios beside ratios: nothing in it is a published figure judged with a verdict
    assert not {"verdict", "computed", "published"} & set(written)
