"""The roofline: arithmetic on hand-made numbers, the cache, and one small calibration."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from costlab.analyses.machine import describe_machine
from costlab.analyses.roofline import Bound, Roofline, cache_path, calibrate, load_roofline
from costlab.choices import Device, DType

# 10 GMAC/s and 5 GB/s: the ridge is 10 / 5 = 2 MACs per byte.
ROOF = Roofline(peak_gmacs_per_s=10.0, bandwidth_gb_per_s=5.0, dtype="fp32", threads=1,
                method="hand-made")


def test_ridge_point() -> None:
    assert ROOF.ridge_macs_per_byte == 2.0


def test_compute_bound_layer() -> None:
    # 1e9 MACs / 10e9 MAC/s = 0.1 s; 1e8 bytes / 5e9 B/s = 0.02 s: the MACs decide
    assert ROOF.predict_seconds(10**9, 10**8) == pytest.approx(0.1)
    assert ROOF.bound(10**9, 10**8) is Bound.COMPUTE


def test_memory_bound_layer() -> None:
    # 1e6 MACs -> 1e-4 s; 1e8 bytes -> 0.02 s: the bytes decide (a depthwise-like layer)
    assert ROOF.predict_seconds(10**6, 10**8) == pytest.approx(0.02)
    assert ROOF.bound(10**6, 10**8) is Bound.MEMORY


def test_layer_without_macs_is_memory_bound() -> None:
    # a ReLU of 1e6 bytes: 1e6 / 5e9 = 0.2 ms
    assert ROOF.predict_seconds(0, 10**6) == pytest.approx(2e-4)
    assert ROOF.bound(0, 10**6) is Bound.MEMORY


def test_cache_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("COSTLAB_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_path() == tmp_path / "costlab" / "roofline.json"
    monkeypatch.setenv("COSTLAB_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_path() == tmp_path / "mine" / "roofline.json"


def _fail(*_args: object, **_kwargs: object) -> Roofline:
    raise AssertionError("calibrated although a cached roofline exists")


def test_cached_roofline_is_read_not_measured(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    monkeypatch.setenv("COSTLAB_CACHE_DIR", str(tmp_path))
    machine = describe_machine(Device.CPU, 1)
    monkeypatch.setattr("costlab.analyses.roofline.calibrate", lambda *a, **k: ROOF)
    first = load_roofline(machine, Device.CPU, DType.FP32)
    assert not first.cached
    assert json.loads((tmp_path / "roofline.json").read_text())   # written
    monkeypatch.setattr("costlab.analyses.roofline.calibrate", _fail)
    again = load_roofline(machine, Device.CPU, DType.FP32)
    assert again.cached and again.peak_gmacs_per_s == 10.0 and again.bandwidth_gb_per_s == 5.0
    # another dtype or thread count is another entry: it must be measured
    with pytest.raises(AssertionError, match="calibrated"):
        load_roofline(machine, Device.CPU, DType.BF16)
    with pytest.raises(AssertionError, match="calibrated"):
        load_roofline(describe_machine(Device.CPU, 2), Device.CPU, DType.FP32)


def test_recalibrate_measures_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COSTLAB_CACHE_DIR", str(tmp_path))
    machine = describe_machine(Device.CPU, 1)
    monkeypatch.setattr("costlab.analyses.roofline.calibrate", lambda *a, **k: ROOF)
    load_roofline(machine, Device.CPU, DType.FP32)
    slower = Roofline(1.0, 1.0, "fp32", 1, "hand-made")
    monkeypatch.setattr("costlab.analyses.roofline.calibrate", lambda *a, **k: slower)
    assert load_roofline(machine, Device.CPU, DType.FP32, recalibrate=True).peak_gmacs_per_s == 1
    assert load_roofline(machine, Device.CPU, DType.FP32).peak_gmacs_per_s == 1   # rewritten


def test_damaged_cache_is_measured_again(monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    monkeypatch.setenv("COSTLAB_CACHE_DIR", str(tmp_path))
    (tmp_path / "roofline.json").write_text("{not json")
    monkeypatch.setattr("costlab.analyses.roofline.calibrate", lambda *a, **k: ROOF)
    assert load_roofline(describe_machine(Device.CPU, 1), Device.CPU, DType.FP32) == ROOF


def test_small_calibration_gives_finite_positive_figures() -> None:
    roof = calibrate(Device.CPU, DType.FP32, 1, 0.01, matmul_n=128, copy_elements=2 ** 16)
    assert roof.peak_gmacs_per_s > 0 and math.isfinite(roof.peak_gmacs_per_s)
    assert roof.bandwidth_gb_per_s > 0 and math.isfinite(roof.bandwidth_gb_per_s)
    assert "128x128x128" in roof.method and roof.threads == 1 and roof.dtype == "fp32"
