"""Counting: totals against hand formulas and torch, depth aggregation, unsupported ops."""

from __future__ import annotations

from collections import Counter

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from costlab.blocks.build import build_model
from costlab.count.engine import aggregate, count_costs
from costlab.errors import UnsupportedOpsError
from costlab.spec.catalog import load_named_spec
from costlab.spec.schema import resolve_params
from costlab.trace.recorder import trace_module
from tests.formulas import mobilenetv2_elementwise, mobilenetv2_macs


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


def test_elementwise_ops_match_the_hand_count(v2_trace):
    cost = count_costs(v2_trace)
    hand = mobilenetv2_elementwise()   # by hand from Table 2 and README's conventions
    assert cost.totals.elementwise == sum(hand.values()) == 19_742_120
    # the per-op-class breakdown and the rows, grouped by the module that ran each op, are
    # two groupings of the same ops: each against the hand count
    assert {op: e for op, (_, e) in cost.by_class.items() if e} == hand
    by_module: Counter[str] = Counter()
    for row in cost.layers:
        by_module[row.kind] += row.elementwise
    # (unary + drops the module types without element-wise ops: the convs, flatten)
    assert +by_module == {"BatchNorm2d": hand["batch norm"], "ReLU6": hand["activation"],
                          "InvertedResidual": hand["element-wise add/mul"],
                          "AdaptiveAvgPool2d": hand["pooling"], "Linear": hand["linear/matmul"]}


def test_elementwise_ops_of_each_row_by_hand():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(128, 10),
                          nn.Softmax(dim=1)).eval()
    cost = count_costs(trace_module(model, [(1, 3, 8, 8)]))
    assert {r.path: r.elementwise for r in cost.layers} == {
        "0": 8 * 8 * 8,           # the conv's bias add, one per output element
        "1": 2 * 8 * 8 * 8,       # inference batch norm: scale and shift
        "2": 8 * 8 * 8,           # ReLU
        "3": 8 * 4 * 4 * 2 * 2,   # max pool: a compare per element of each 2x2 window
        "4": 0,                   # flatten is a view
        "5": 10,                  # the linear's bias add
        "6": 4 * 10}              # softmax: 4 per element, README's convention
    assert cost.totals.elementwise == 512 + 1024 + 512 + 512 + 10 + 40


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


class _NormThenAct(nn.BatchNorm2d):
    """timm's BatchNormAct2d: the module runs batch norm itself, then its child activation."""

    def __init__(self, channels: int) -> None:
        super().__init__(channels)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(F.batch_norm(x, self.running_mean, self.running_var, self.weight,
                                     self.bias, False, 0.1, self.eps))


def test_a_module_with_its_own_op_passes_on_the_ops_result_not_its_side_outputs():
    # batch norm's saved mean and inverse std (8 values each) are side outputs: the row's
    # output is the 1 x 8 x 14 x 14 normalized map, (8 + 8) x 14 x 14 in Table A1's terms
    model = nn.Sequential(nn.Conv2d(3, 8, 3), _NormThenAct(8)).eval()
    rows = {r.path: r for r in count_costs(trace_module(model, [(1, 3, 16, 16)])).layers}
    assert rows["1"].output_shape == (1, 8, 14, 14)
    assert rows["1"].feature_map_elements == (8 + 8) * 14 * 14
