"""Counting: totals against hand formulas and torch, depth aggregation, unsupported ops."""

from __future__ import annotations

import pytest
from torch import nn

from costlab.blocks.build import build_model
from costlab.count.engine import aggregate, count_costs
from costlab.errors import UnsupportedOpsError
from costlab.spec.catalog import load_named_spec
from costlab.spec.schema import resolve_params
from costlab.trace.recorder import trace_module
from tests.formulas import mobilenetv2_macs


@pytest.fixture(scope="module")
def v2_built():
    spec = load_named_spec("mobilenetv2")
    return build_model(spec, resolve_params(spec, {}))


@pytest.fixture(scope="module")
def v2_trace(v2_built):
    return trace_module(v2_built.module, [v2_built.input_shape])


def test_totals_match_hand_formulas_and_torch(v2_trace, v2_built):
    cost = count_costs(v2_trace)
    hand = mobilenetv2_macs()    # from Table 2, by hand: tests/formulas.py
    assert cost.totals.macs == sum(hand.values()) == 300_774_272
    assert cost.by_class["depthwise convolution"][0] == hand["depthwise"]
    assert cost.by_class["convolution"][0] == hand["stem"] + hand["pointwise"]
    assert cost.by_class["linear/matmul"][0] == hand["classifier"] == 1280 * 1000
    # the torch convention is every nn.Parameter: torch's own count of the built module
    assert cost.totals.params == sum(p.numel() for p in v2_built.module.parameters())
    # element-wise ops have no second counter: the rows and the per-op breakdown, grouped
    # apart, must agree
    assert sum(r.elementwise for r in cost.layers) == cost.totals.elementwise \
        == sum(e for _, e in cost.by_class.values())


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
def test_aggregation_keeps_totals(v2_trace, v2_built, depth):
    cost = count_costs(v2_trace)
    rows = aggregate(cost, v2_trace, depth).layers
    assert sum(r.macs for r in rows) == sum(mobilenetv2_macs().values())
    assert sum(r.params for r in rows) == sum(p.numel() for p in v2_built.module.parameters())
    assert all(r.path.count(".") < depth or not r.path for r in rows if depth)


def test_depth_one_rows_are_the_spec_rows(v2_trace):
    rows = aggregate(count_costs(v2_trace), v2_trace, 1).layers
    assert [r.path for r in rows][:3] == ["conv1", "bottleneck1", "bottleneck2"]
    stage = next(r for r in rows if r.path == "bottleneck2")   # t=6 c=24 n=2 s=2 on 112^2 x 16
    assert stage.input_shape == (1, 16, 112, 112) and stage.output_shape == (1, 24, 56, 56)


def test_residual_add_is_its_own_row(v2_trace):
    rows = {r.path: r for r in count_costs(v2_trace).layers}
    add = rows["bottleneck2.1"]          # the block's own op: x + project(x), 24 x 56 x 56
    assert add.kind == "InvertedResidual" and add.macs == 0
    assert add.elementwise == 24 * 56 * 56


def test_unsupported_ops_are_listed_and_strict_fails():
    model = nn.Hardshrink()   # an op costlab has no rule for
    cost = count_costs(trace_module(model, [(3, 4)]))
    assert cost.unsupported == {"aten.hardshrink.default": 1}
    with pytest.raises(UnsupportedOpsError, match=r"aten.hardshrink.default x1 \(first in "
                                                  r"'<root>'\)"):
        count_costs(trace_module(model, [(3, 4)]), strict=True)


def test_rows_carry_the_geometry_their_rules_report():
    model = nn.Sequential(nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=4), nn.MaxPool2d(3, 2),
                          nn.AvgPool2d(2), nn.ReLU())
    rows = count_costs(trace_module(model, [(1, 8, 16, 16)])).layers
    assert [(r.kernel, r.stride, r.groups) for r in rows] == [
        ((3, 3), (2, 2), 4),       # the conv as built
        ((3, 3), (2, 2), None),    # pooling has no groups
        ((2, 2), (2, 2), None),    # stride left out: the kernel, as ATen defaults it
        (None, None, None)]        # an activation slides no window
