"""Convolution rule: hand formulas, and one traced module per kind of convolution."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.ops import aten

from costlab.count.engine import count_costs
from costlab.count.rules import Geometry, OpClass
from costlab.count.rules.conv import convolution_cost
from costlab.trace.recorder import trace_module
from tests.count.rules.helpers import event, tensor


def _conv(x, w, out, groups=1, bias=None, transposed=False):
    return event(aten.convolution.default, out, input=x, weight=w, bias=bias, stride=[1, 1],
                 padding=[1, 1], dilation=[1, 1], transposed=transposed,
                 output_padding=[0, 0], groups=groups)


def test_standard_conv():
    cost = convolution_cost(_conv(tensor(1, 32, 56, 56), tensor(64, 32, 3, 3, kind="param"),
                                  tensor(1, 64, 56, 56)))
    assert cost.macs == 56 * 56 * 64 * 32 * 3 * 3   # out elements x C_in x k x k = 57,802,752
    assert cost.op_class is OpClass.CONV and cost.elementwise == 0
    assert cost.geometry == Geometry(kernel=(3, 3), stride=(1, 1), groups=1)


def test_depthwise_conv():
    cost = convolution_cost(_conv(tensor(1, 96, 112, 112), tensor(96, 1, 3, 3, kind="param"),
                                  tensor(1, 96, 56, 56), groups=96))
    assert cost.macs == 56 * 56 * 96 * 1 * 3 * 3    # depthwise: C_in/groups = 1 -> 2,709,504
    assert cost.op_class is OpClass.DEPTHWISE and cost.geometry is not None
    assert cost.geometry.groups == 96


def test_grouped_conv_with_bias():
    # ShuffleNet-style grouped 1x1: 240 -> 60 channels in 3 groups, 28 x 28, with a bias.
    cost = convolution_cost(_conv(tensor(1, 240, 28, 28), tensor(60, 80, 1, 1, kind="param"),
                                  tensor(1, 60, 28, 28), groups=3, bias=tensor(60, kind="param")))
    assert cost.macs == 28 * 28 * 60 * (240 // 3)   # 3,763,200
    assert cost.elementwise == 28 * 28 * 60          # the bias add, one per output element
    assert cost.op_class is OpClass.CONV


def test_transposed_conv():
    # 16 -> 8 channels, 4x4 kernel, stride 2, 7x7 -> 14x14: each input element feeds
    # C_out x k x k outputs.
    cost = convolution_cost(_conv(tensor(1, 16, 7, 7), tensor(16, 8, 4, 4, kind="param"),
                                  tensor(1, 8, 14, 14), transposed=True))
    assert cost.macs == 7 * 7 * 16 * 8 * 4 * 4      # 100,352


@pytest.mark.parametrize("module, shape, expected", [
    (nn.Conv2d(32, 64, 3, padding=1, bias=False), (1, 32, 56, 56), 56 * 56 * 64 * 32 * 9),
    (nn.Conv2d(96, 96, 3, 2, 1, groups=96, bias=False), (1, 96, 112, 112), 56 * 56 * 96 * 9),
    (nn.Conv2d(240, 60, 1, groups=3, bias=False), (2, 240, 28, 28), 2 * 28 * 28 * 60 * 80),
    (nn.ConvTranspose2d(16, 8, 4, 2, 1, bias=False), (1, 16, 7, 7), 7 * 7 * 16 * 8 * 16),
    (nn.Conv1d(4, 8, 5, bias=False), (1, 4, 100), 96 * 8 * 4 * 5),
    (nn.Conv3d(2, 4, 3, bias=False), (1, 2, 6, 6, 6), 4 * 4 * 4 * 4 * 2 * 27),
])
def test_traced_convolutions_match_hand_formula(module, shape, expected):
    assert count_costs(trace_module(module, [shape])).totals.macs == expected


def test_depthwise_class_in_breakdown():
    model = nn.Sequential(nn.Conv2d(8, 8, 3, groups=8, bias=False), nn.Conv2d(8, 16, 1, bias=False))
    cost = count_costs(trace_module(model, [torch.Size((1, 8, 10, 10))]))
    assert cost.by_class["depthwise convolution"] == (8 * 8 * 8 * 9, 0)   # 8x8 out x 8 ch x 9
    assert cost.by_class["convolution"] == (8 * 8 * 16 * 8, 0)
