"""The metric catalog: one entry makes a metric appear in report, compare (column and
heading), snapshot, budgets, check (with the stage it grew in) and a sweep's composed rows;
measured metrics are never locked."""

from __future__ import annotations

import dataclasses
import json

import pytest

import costlab
from costlab.analyses.metrics import (
    CATALOG,
    Metric,
    MetricKind,
    budget_keys,
    register_metric,
    unregister_metric,
)
from costlab.analyses.sweep_cache import BlockCache, compose
from costlab.ci.lockfile import lockable_metrics
from costlab.render import Unit
from tests.conftest import TOY_SPEC
from tests.formulas import mobilenetv1_macs

# LeNet-5's MACs by hand: C1 28x28x6 x 5x5, C3 10x10x16 x 6x5x5, C5 120 x 400, F6 84 x 120,
# the output 10 x 84 (conv2, C3, is the stage with the most: 240,000)
LENET5_MACS = 28 * 28 * 6 * 25 + 10 * 10 * 16 * 6 * 25 + 120 * 400 + 84 * 120 + 10 * 84
LENET5_KMACS = LENET5_MACS // 1000                   # 416
V1_KMACS = mobilenetv1_macs() // 1000


@pytest.fixture
def toy_metric():
    """Registered here, and nowhere else: a count read from the totals (so a sweep composes
    it) that grows where MACs grow (so check names the stage)."""
    metric = register_metric(Metric(
        "kmacs", "kMACs", Unit.SI, MetricKind.COUNTED, "MACs in thousands, rounded down",
        lambda s: s.analysis.cost.totals.macs // 1000, stage_key="macs",
        brief="thousands of MACs", composes=True))
    yield metric
    unregister_metric(metric.key)


def test_a_toy_metric_is_in_report_compare_and_snapshot(toy_metric, run_cli, tmp_path):
    report = json.loads(run_cli("report", "lenet5", "--format", "json").stdout)
    assert report["totals"]["kmacs"] == LENET5_KMACS
    row = next(line for line in run_cli("report", "lenet5").stdout.splitlines()
               if line.startswith("kMACs"))
    assert row.split() == ["kMACs", "416", "416", "thousands", "of", "MACs"]
    compared = json.loads(run_cli("compare", "lenet5", "mobilenetv1", "--format", "json").stdout)
    assert [m["kmacs"] for m in compared["models"]] == [LENET5_KMACS, V1_KMACS]
    assert compared["models"][1]["kmacs_ratio"] == V1_KMACS / LENET5_KMACS
    assert compared["metrics"]["kmacs"]["means"] == "MACs in thousands, rounded down"
    heading = run_cli("compare", "lenet5", "mobilenetv1", "--metrics", "kmacs").stdout
    assert heading.splitlines()[0] == \
        "ratios against lenet5, the first named; kMACs = thousands of MACs"
    lock = tmp_path / "lock.json"
    assert run_cli("snapshot", "lenet5", "-o", str(lock)).exit_code == 0
    entry = json.loads(lock.read_text())["entries"]["lenet5"]
    assert entry["metrics"]["kmacs"] == LENET5_KMACS
    assert entry["stages"]["conv2"] == {"macs": 240_000, "params": 16 * (6 * 25 + 1)}


def test_a_toy_metric_is_budgeted_and_checked(toy_metric, run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert "max_kmacs" in budget_keys()
    (tmp_path / "pyproject.toml").write_text("[tool.costlab.budgets.lenet5]\nmax_kmacs = 400\n")
    result = run_cli("check", "--format", "markdown")
    assert result.exit_code == 1
    text = " ".join(result.stdout.split())
    assert f"kmacs {LENET5_KMACS} is over its budget of 400 by {LENET5_KMACS - 400}" in text
    assert "largest stage conv2: 240,000 macs" in text     # the toy's stage_key


def test_a_toy_metric_that_grew_is_named_with_its_stage(toy_metric, run_cli, tmp_path,
                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    (tmp_path / "specs").mkdir()
    spec = tmp_path / "specs" / "toy.yaml"
    spec.write_text(TOY_SPEC)
    assert run_cli("snapshot", "toy").exit_code == 0
    lock = tmp_path / "costlab.lock.json"
    data = json.loads(lock.read_text())
    entry = data["entries"]["toy"]
    entry["metrics"] = {"kmacs": entry["metrics"]["kmacs"]}   # the toy alone is checked
    lock.write_text(json.dumps(data))
    old = costlab.analyze(str(spec), depth=1)
    spec.write_text(TOY_SPEC.replace("{op: conv, c: 16, s: 2}", "{op: conv, c: 24, s: 2}"))
    new = costlab.analyze(str(spec), depth=1)
    result = run_cli("check", "--format", "markdown")
    assert result.exit_code == 1
    assert [r[1:4] for r in _table(result.stdout)] == [
        ["kmacs", f"{old.totals['macs'] // 1000:,}", f"{new.totals['macs'] // 1000:,}"]]
    growth = {a.path: (a.macs, b.macs) for a, b in
              zip(old.cost.layers, new.cost.layers, strict=True)}
    stage = max(growth, key=lambda path: growth[path][1] - growth[path][0])
    before, after = growth[stage]
    assert f"grew most in {stage}: macs {before:,} -> {after:,}" in \
        " ".join(result.stdout.split())


def test_a_sweep_composes_a_toy_metric_that_says_it_composes(toy_metric):
    composed = compose("lenet5", {}, ["kmacs", "macs"], "torch", "fp32", BlockCache())
    assert composed is not None and dict(composed.values) == {"kmacs": LENET5_KMACS,
                                                               "macs": LENET5_MACS}
    unregister_metric("kmacs")
    register_metric(dataclasses.replace(toy_metric, composes=False))
    assert compose("lenet5", {}, ["kmacs"], "torch", "fp32", BlockCache()) is None


def test_compare_explains_only_the_columns_it_shows(run_cli):
    lines = run_cli("compare", "lenet5", "alexnet", "--metrics", "macs").stdout.splitlines()
    assert lines[0] == "ratios against lenet5, the first named"
    assert not any("memory" in line or "FLOPs" in line for line in lines)
    lines = run_cli("compare", "lenet5", "alexnet", "--metrics", "peak_bytes").stdout
    assert "memory at fp32 (decimal units): peak mem = most activations live at once\n" in lines
    assert "max tensor" not in lines


def _table(markdown: str) -> list[list[str]]:
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


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
