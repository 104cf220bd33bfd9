"""The Python API mirrors the CLI."""

from __future__ import annotations

import json

from torch import nn

import costlab
from tests.formulas import mobilenetv2_macs


def test_analyze_spec():
    result = costlab.analyze("mobilenetv2", alpha=0.35, resolution=96)
    assert set(result.totals) == {"macs", "flops", "params", "elementwise"}
    import pandas as pd  # here: every xdist worker collects this file, one test needs pandas
    assert isinstance(result.layers, pd.DataFrame)
    assert result.layers["macs"].sum() == result.totals["macs"] \
        == sum(mobilenetv2_macs(0.35, 96).values())                  # by hand, Table 2
    assert result.config["alpha"] == 0.35 and result.config["resolution"] == 96
    assert json.loads(result.to_json())["totals"].items() >= result.totals.items()
    assert result.to_markdown().count("|") > 100


def test_analyze_any_module_and_depth():
    model = nn.Sequential(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()), nn.Flatten(),
                          nn.Linear(4 * 30 * 30, 2))
    full = costlab.analyze(model, resolution=32)
    shallow = costlab.analyze(model, resolution=32, depth=1)
    assert list(shallow.layers["layer"]) == ["0", "1", "2"]
    assert shallow.totals == full.totals
    assert full.totals["macs"] == 30 * 30 * 4 * 3 * 9 + 4 * 30 * 30 * 2


def test_published_figures_compared_for_matching_variant():
    result = costlab.analyze("mobilenetv1", alpha=0.5)
    rows = {(c.entry.source, c.entry.metric): c for c in result.published}
    assert rows[("003", "macs")].entry.published == "149M"
    assert all(c.entry.variant.get("alpha") == 0.5 for c in result.published)


def test_bad_options_raise_costlab_errors():
    import pytest
    with pytest.raises(costlab.CostlabError, match="depth must be at least 0"):
        costlab.analyze("mobilenetv2", depth=-1)
    with pytest.raises(costlab.CostlabError, match="unknown parameter convention"):
        costlab.analyze("mobilenetv2", params="tf")
    with pytest.raises(costlab.CostlabError, match="batch must be at least 1"):
        costlab.analyze("mobilenetv2", batch=0)


def test_analyze_training_step():
    result = costlab.analyze("mobilenetv2", alpha=0.5, resolution=96, training=True,
                             optimizer="momentum")
    totals, forward = result.totals, result.totals["macs"]
    conv1 = 48 * 48 * 16 * 3 * 9        # 96 -> 48, 3 -> 16 channels at alpha 0.5
    assert totals["forward_macs"] == forward
    assert totals["backward_macs"] == 2 * forward - conv1
    assert totals["training_macs"] == 3 * forward - conv1
    assert totals["optimizer_elementwise"] == 4 * totals["params"]   # momentum, all trainable
    assert result.training is not None and result.training.rule_of_thumb is None


def test_results_have_short_reprs_and_notebook_forms():
    from costlab.analyses.compare import compare
    from costlab.api import memory
    from costlab.spec.variants import parse_variant
    analysis, mem = memory("mobilenetv2")
    compared = compare([parse_variant("lenet5"), parse_variant("alexnet")])
    for result in (analysis, mem, compared):
        assert len(repr(result)) < 2000
    assert repr(analysis).startswith("<Analysis mobilenetv2") and "300,774,272 MACs" in repr(
        analysis)
    assert '<table class="sortable" id="layers">' in analysis._repr_html_()
    assert analysis._repr_markdown_().startswith("mobilenetv2  (alpha=1.0")


def test_plot_draws_the_costliest_layers(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    result = costlab.analyze("mobilenetv2")
    fig = result.plot(top=5, path=str(tmp_path / "layers.png"))
    bars = fig.axes[0].patches
    # the top two by hand: conv2 (7x7x1280 outputs of 320) and the first expansion
    assert sorted((int(b.get_width()) for b in bars), reverse=True)[:2] == [
        7 * 7 * 1280 * 320, 112 * 112 * 96 * 16]
    assert len(bars) == 5 and (tmp_path / "layers.png").stat().st_size > 1000
