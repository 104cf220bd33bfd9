"""Element-wise rules: norms, activations, adds, pooling, reductions, and free ops."""

from __future__ import annotations

import pytest
from torch import nn

from costlab.count.engine import count_costs
from costlab.count.rules import RULES, OpClass
from costlab.trace.recorder import trace_module

X = (2, 8, 10, 10)   # 1,600 elements


class _Add(nn.Module):
    def forward(self, x):
        return x + x * 2.0   # a multiply then an add: 1,600 each


class _Reshape(nn.Module):
    def forward(self, x):
        return x.reshape(2, 800).t().contiguous().view(800, 2).flatten()


@pytest.mark.parametrize("module, op_class, expected", [
    (nn.BatchNorm2d(8), OpClass.BATCH_NORM, 2 * 1600),            # scale + shift per element
    (nn.BatchNorm2d(8, affine=False), OpClass.BATCH_NORM, 1600),  # normalize only
    (nn.LayerNorm([8, 10, 10]), OpClass.NORM, 5 * 1600),          # mean, var, norm, scale, shift
    (nn.GroupNorm(2, 8), OpClass.NORM, 5 * 1600),
    (nn.ReLU(), OpClass.ACTIVATION, 1600),
    (nn.ReLU6(inplace=True), OpClass.ACTIVATION, 1600),
    (nn.Hardswish(), OpClass.ACTIVATION, 1600),
    (nn.SiLU(), OpClass.ACTIVATION, 1600),
    (nn.GELU(), OpClass.ACTIVATION, 1600),
    (_Add(), OpClass.ELEMENTWISE, 2 * 1600),
    (nn.Softmax(dim=1), OpClass.SOFTMAX, 4 * 1600),
    (nn.MaxPool2d(2), OpClass.POOLING, 2 * 8 * 5 * 5 * 4),        # out elements x 2x2 window
    (nn.AvgPool2d(3, 1, 1), OpClass.POOLING, 1600 * 9),           # padding positions count
    (nn.AdaptiveAvgPool2d(1), OpClass.POOLING, 1600),             # one add per input element
    (nn.AdaptiveAvgPool2d(5), OpClass.POOLING, 1600),
])
def test_elementwise_counts(module, op_class, expected):
    cost = count_costs(trace_module(module, [X]))
    assert cost.totals.macs == 0
    assert cost.by_class[str(op_class)][1] == expected
    assert cost.totals.elementwise == expected
    assert not cost.unsupported


def test_views_and_copies_are_free_by_explicit_rule():
    cost = count_costs(trace_module(_Reshape(), [X]))
    assert cost.totals.macs == cost.totals.elementwise == 0
    assert not cost.unsupported


def test_every_rule_key_is_an_op_overload():
    import torch
    assert RULES and all(isinstance(op, torch._ops.OpOverload) for op in RULES)
