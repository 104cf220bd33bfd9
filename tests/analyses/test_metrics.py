"""The metric catalog: one entry makes a metric appear in report, compare, snapshot, budgets
and check; measured metrics are never locked."""

from __future__ import annotations

import json

import pytest

from costlab.analyses.metrics import (
    CATALOG,
    Metric,
    MetricKind,
    budget_keys,
    register_metric,
    unregister_metric,
)
from costlab.ci.lockfile import lockable_metrics
from costlab.render import Unit


def _conv_layers(sources) -> int:
    """How many layer-table rows ran a convolution: LeNet-5 has C1, C3 and C5 (3)."""
    return sum(1 for row in sources.analysis.full_cost.layers if row.groups is not None)


@pytest.fixture
def toy_metric():
    metric = register_metric(Metric("conv_layers", "conv layers", Unit.SI, MetricKind.COUNTED,
                                    "layers that run a convolution", _conv_layers))
    yield metric
    unregister_metric(metric.key)


def test_a_toy_metric_registered_once_appears_everywhere(toy_metric, run_cli, tmp_path):
    report = json.loads(run_cli("report", "lenet5", "--format", "json").stdout)
    assert report["totals"]["conv_layers"] == 3          # LeNet-5: C1, C3 and C5
    assert "conv layers" in run_cli("report", "lenet5").stdout
    compared = json.loads(run_cli("compare", "lenet5", "alexnet", "--format", "json").stdout)
    assert [m["conv_layers"] for m in compared["models"]] == [3, 5]   # AlexNet: conv1..conv5
    assert compared["models"][1]["conv_layers_ratio"] == 5 / 3
    lock = tmp_path / "lock.json"
    assert run_cli("snapshot", "lenet5", "-o", str(lock)).exit_code == 0
    assert json.loads(lock.read_text())["entries"]["lenet5"]["metrics"]["conv_layers"] == 3
    assert "max_conv_layers" in budget_keys()


def test_a_measured_metric_is_never_locked():
    metric = register_metric(Metric("wall_ms", "time", Unit.MS, MetricKind.MEASURED, "a timing",
                                    lambda s: 1.5))
    try:
        assert metric not in lockable_metrics()
        assert "max_wall_ms" not in budget_keys()
    finally:
        unregister_metric("wall_ms")


def test_a_key_is_registered_once():
    with pytest.raises(ValueError, match="registered twice"):
        register_metric(CATALOG["macs"])


def test_reading_the_catalog_needs_no_torch():
    import subprocess
    import sys
    code = ("import sys, costlab.analyses.metrics, costlab.ci.budgets, costlab.spec.variants;"
            "costlab.spec.variants.parse_variant('mobilenetv2:alpha=0.5');"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
