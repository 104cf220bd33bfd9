"""`costlab latency` as a user runs it: one small measurement, and every bad input as one
line and exit code 2 before anything is measured."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import torch

from costlab.analyses.roofline import calibrate
from costlab.render.data import schema_for
from tests.conftest import TOY_SPEC


@pytest.fixture(autouse=True)
def small_calibration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A cache of this test's own, and a calibration on small tensors (fast, and no less a
    calibration: the sizes are all that differ)."""
    monkeypatch.setenv("COSTLAB_CACHE_DIR", str(tmp_path / "cache"))

    def small(*args: Any, **kwargs: Any) -> Any:
        return calibrate(*args, **kwargs, matmul_n=128, copy_elements=2 ** 16)
    monkeypatch.setattr("costlab.analyses.roofline.calibrate", small)


@pytest.fixture
def toy(write_spec: Callable[[str], Path]) -> str:
    return str(write_spec(TOY_SPEC))


def test_latency_json_per_layer(run_cli: Callable[..., Any], toy: str) -> None:
    result = run_cli("latency", toy, "--per-layer", "--min-time", "0.02", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""   # no progress indicator when stderr is not a terminal
    data = json.loads(result.stdout)
    jsonschema.validate(data, schema_for("latency"))
    assert [m["name"] for m in data["models"]] == [toy]
    assert data["layers"] and data["spearman"]["across"] == "layers"
    assert data["roofline"]["peak_gmacs_per_s"] > 0 and not data["roofline"]["cached"]
    table = run_cli("latency", toy, "--min-time", "0.02", "--per-layer").stdout
    assert "median ms" in table and "bound" in table and "sum of layer times" in table
    assert "machine: " in table
    assert "roofline (cached" in table      # the calibration was written to the cache


def test_published_ratio_beside_the_measured_one(run_cli: Callable[..., Any]) -> None:
    out = run_cli("latency", "mobilenetv1", "mobilenetv2", "--min-time", "0.02").stdout
    assert "mobilenetv2 / mobilenetv1: " in out
    # 75 / 113 = 0.6637...: the published ratio, labelled as another device's
    assert "published 75 / 113 = 0.66 on a different device (Google Pixel 1" in \
        " ".join(out.split())


@pytest.mark.parametrize(("args", "message"), [
    (["--device", "tpu"], "'tpu' is not one of 'cpu', 'cuda'"),
    (["--dtype", "int8"], "cannot run a model at dtype 'int8'"),
    (["--min-time", "0"], "--min-time must be more than 0 seconds, got 0"),
    (["--min-time", "-2"], "--min-time must be more than 0 seconds, got -2"),
    (["--threads", "0"], "--threads must be at least 1"),
])
def test_bad_input_is_one_line(run_cli: Callable[..., Any], toy: str, args: list[str],
                               message: str) -> None:
    result = run_cli("latency", toy, *args)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_gpu_is_one_line(run_cli: Callable[..., Any], toy: str) -> None:
    result = run_cli("latency", toy, "--device", "cuda")
    assert result.exit_code == 2 and "'cuda' is not available" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_too_large_model_is_one_line(run_cli: Callable[..., Any], toy: str) -> None:
    # 300,000 x 300,000 float32 weights: 360 GB, refused from the meta trace
    result = run_cli("latency", "torch.nn:Linear", "--set", "in_features=300000", "--set",
                     "out_features=300000", "--input", "1x300000")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "would need 360.0 GB; this machine has" in result.stderr


def test_compare_latency_adds_a_measured_column(run_cli: Callable[..., Any], toy: str) -> None:
    result = run_cli("compare", toy, f"{toy}:resolution=16", "--latency", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["metrics"]["latency_ms"]["kind"] == "measured"
    first, second = data["models"]
    assert first["latency_ms"] > 0 and first["latency_ms_ratio"] == 1.0
    assert second["latency_ms_ratio"] == pytest.approx(second["latency_ms"] / first["latency_ms"])
    assert "macs" in first   # the default metrics stay
    table = run_cli("compare", toy, "--latency").stdout
    assert "median ms: measured on this machine, not counted" in " ".join(table.split())
