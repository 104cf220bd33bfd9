"""Latency: the options refused, the memory refusal, published ratios, and one end-to-end
measurement of a tiny model (no timing is asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from costlab.analyses.analysis import analyze_target
from costlab.analyses.latency import LatencyReport, latency_dict, measure_latency, published_latency
from costlab.analyses.layer_latency import layer_work
from costlab.analyses.roofline import Roofline
from costlab.errors import OptionError
from costlab.models.resolve import resolve_model
from costlab.spec.variants import Variant
from tests.conftest import TOY_SPEC


def test_published_latency_of_the_exact_configuration() -> None:
    ms, device, source = published_latency(resolve_model("mobilenetv2"))  # type: ignore[misc]
    assert (ms, source) == (75.0, "Lee, Table 4 (document 000)") and "Pixel 1" in device
    wide = published_latency(resolve_model("mobilenetv2", settings={"alpha": 1.4}))
    assert wide is not None and wide[0] == 143.0
    assert published_latency(resolve_model("mobilenetv2", settings={"alpha": 0.5})) is None
    assert published_latency(resolve_model("mobilenetv1")) == (113.0, device, source)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"device": "tpu"}, "unknown device 'tpu'"),
    ({"dtype": "int8"}, "cannot run a model at dtype 'int8'"),
    ({"min_time_s": 0.0}, "--min-time must be more than 0"),
    ({"min_time_s": -1.0}, "--min-time must be more than 0"),
    ({"threads": 0}, "--threads must be at least 1"),
])
def test_bad_options(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(OptionError, match=message):
        measure_latency([Variant("mobilenetv2")], **kwargs)  # type: ignore[arg-type]


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_is_refused() -> None:
    with pytest.raises(OptionError, match="'cuda' is not available"):
        measure_latency([Variant("mobilenetv2")], device="cuda")


def test_model_too_large_is_refused_before_allocating(monkeypatch: pytest.MonkeyPatch) -> None:
    materialized: list[object] = []
    monkeypatch.setattr("costlab.analyses.latency.materialize",
                        lambda *a, **k: materialized.append(a))
    # a 300,000 x 300,000 linear layer: 9e10 weights + 3e5 biases at 4 bytes = 360.0 GB
    huge = Variant("torch.nn:Linear", {"in_features": 300_000, "out_features": 300_000})
    with pytest.raises(OptionError, match=r"^torch.nn:Linear.* would need 360.0 GB; this "
                                          r"machine has [\d.]+ [kMGT]?B available$"):
        measure_latency([huge], inputs=[(1, 300_000)])
    assert materialized == []


HAND_ROOF = Roofline(10.0, 5.0, "fp32", 1, "hand-made")


@pytest.fixture(scope="module")
def toy_report(tmp_path_factory: pytest.TempPathFactory) -> LatencyReport:
    """The toy spec timed per layer with a tiny --min-time, against a hand-made roofline."""
    spec = tmp_path_factory.mktemp("spec") / "toy.yaml"
    import textwrap
    spec.write_text(textwrap.dedent(TOY_SPEC).lstrip(), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("costlab.analyses.latency.load_roofline", lambda *a, **k: HAND_ROOF)
        return measure_latency([Variant(str(spec)), Variant(str(spec), {"resolution": 16})],
                               min_time_s=0.02, per_layer=True)


def test_end_to_end_structure_and_units(toy_report: LatencyReport) -> None:
    data = latency_dict(toy_report)
    assert {"models", "machine", "roofline", "layers", "spearman"} <= set(data)
    assert data["roofline"]["peak_gmacs_per_s"] == 10.0
    assert data["roofline"]["bandwidth_gb_per_s"] == 5.0
    assert {"cpu", "cores", "threads", "torch", "build", "device"} <= set(data["machine"])
    assert data["machine"]["threads"] == 1 and data["device"] == "cpu"
    for model in data["models"]:
        assert {"name", "median_ms", "iqr_ms", "runs", "throughput", "gmacs_per_s"} \
            <= set(model)
        assert model["runs"] >= 1 and model["median_ms"] > 0 and model["iqr_ms"] >= 0
        # units: samples/s from a batch of 1 and ms; GMAC/s = MACs / (ms / 1000) / 1e9
        assert model["throughput"] == pytest.approx(1000 / model["median_ms"])
        assert model["gmacs_per_s"] == pytest.approx(
            model["macs"] / (model["median_ms"] / 1000) / 1e9)
    # two models: a rank correlation of two points says nothing, so it is left undefined
    assert data["spearman"] == {"macs": None, "roofline": None, "across": "models", "n": 2}


def test_end_to_end_layers(toy_report: LatencyReport) -> None:
    data = latency_dict(toy_report)
    first = data["models"][0]["name"]
    layers = [r for r in data["layers"] if r["model"] == first]
    assert layers and {"layer", "time_ms", "share", "macs", "bytes", "intensity",
                       "predicted_ms", "bound"} <= set(layers[0])
    work = {w.layer: w for w in layer_work(analyze_target(resolve_model(first)), "fp32")}
    assert [r["layer"] for r in layers] == list(work)
    for row in layers:
        assert row["time_ms"] >= 0 and row["share"] >= 0
        # the bound against the ridge point (10 / 5 = 2 MACs per byte) of the hand roofline
        assert row["bound"] == ("compute" if row["macs"] / row["bytes"] >= 2 else "memory")
        # predicted ms = max(MACs / 10 GMAC/s, bytes / 5 GB/s) in ms
        assert row["predicted_ms"] == pytest.approx(
            max(row["macs"] / 1e7, row["bytes"] / 5e6))
    model = data["models"][0]
    assert model["per_layer"]["disturbance"] == pytest.approx(
        model["per_layer"]["hooked_median_ms"] / model["median_ms"])
    assert model["spearman"]["across"] == "layers" and model["spearman"]["n"] == len(layers)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
def test_cuda_fp16_end_to_end(tmp_path: Path) -> None:
    report = measure_latency([Variant("mobilenetv2", {"resolution": 64})], device="cuda",
                             dtype="fp16", min_time_s=0.05, per_layer=True)
    assert report.models[0].median_ms > 0 and report.machine.device.startswith("cuda")


def test_latency_is_a_measured_metric_never_locked() -> None:
    from costlab.analyses.metrics import budget_keys, counted_metrics, default_metrics, get_metric
    metric = get_metric("latency_ms")
    assert str(metric.kind) == "measured" and metric.needs == "latency"
    assert metric not in counted_metrics() and metric not in default_metrics()
    assert "max_latency_ms" not in budget_keys()
