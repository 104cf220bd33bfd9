"""The training fold: MobileNetV2 layer by layer, and PyTorch's FlopCounterMode beside it."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from costlab.count.engine import count_costs
from costlab.count.training import TrainingCost, aggregate_training, count_training
from costlab.models.resolve import resolve_model
from costlab.trace.recorder import trace_module


@pytest.fixture(scope="module")
def mobilenetv2() -> TrainingCost:
    target = resolve_model("mobilenetv2")
    return count_training(trace_module(target.module, target.inputs, training=True))


def test_mobilenetv2_backward_is_twice_the_forward_but_the_first_conv(mobilenetv2):
    assert mobilenetv2.forward_macs == 300_774_272
    conv1 = 112 * 112 * 32 * 3 * 3 * 3          # 224 -> 112, 3 -> 32 channels: 10,838,016
    assert mobilenetv2.backward_macs == 2 * 300_774_272 - conv1
    assert mobilenetv2.training_macs == 3 * 300_774_272 - conv1
    assert not mobilenetv2.unsupported


def test_mobilenetv2_layer_by_layer_depthwise_included(mobilenetv2):
    rows = [r for r in mobilenetv2.layers if r.forward_macs]
    assert len(rows) == 52 + 1                  # 52 convolutions and the classifier
    first, *rest = rows
    assert (first.path, first.backward_input_macs, first.backward_weight_macs) == (
        "conv1.conv", 0, first.forward_macs)    # the image needs no gradient
    for row in rest:
        assert row.backward_input_macs == row.backward_weight_macs == row.forward_macs, row.path
    depthwise = [r for r in rest if "depthwise" in r.path]
    assert len(depthwise) == 17


def test_forward_of_a_training_trace_equals_the_inference_forward():
    target = resolve_model("mobilenetv2", settings={"alpha": 0.5, "resolution": 128})
    inference = count_costs(trace_module(target.module, target.inputs))
    training = count_training(trace_module(target.module, target.inputs, training=True))
    assert training.forward_macs == inference.totals.macs
    assert [(r.path, r.macs) for r in inference.layers if r.macs] == [
        (r.path, r.forward_macs) for r in training.layers if r.forward_macs]


def _flop_counter(module: nn.Module, shape: tuple[int, ...]) -> tuple[int, int]:
    """FlopCounterMode's forward and backward FLOPs of a module on meta, its input needing a
    gradient, backward of the output's sum as a loss would run it."""
    module = module.to("meta")
    x = torch.empty(shape, device="meta", requires_grad=True)
    with FlopCounterMode(display=False) as forward:
        out = module(x)
    with FlopCounterMode(display=False) as backward:
        out.backward(torch.empty_like(out))
    return forward.get_total_flops(), backward.get_total_flops()


def _costlab(module: nn.Module, shape: tuple[int, ...]) -> tuple[int, int]:
    cost = count_training(trace_module(module, [shape], training=True, input_grads=True))
    return cost.forward_macs, cost.backward_macs


@pytest.mark.parametrize("module, shape", [
    (nn.Conv2d(32, 64, 3, padding=1, bias=False), (2, 32, 28, 28)),
    (nn.Conv2d(16, 24, 5, stride=2), (1, 16, 33, 33)),
    (nn.Linear(256, 128), (8, 256)),
    (nn.Linear(256, 128, bias=False), (2, 16, 256)),
])
def test_dense_conv_and_linear_equal_flop_counter_mode(module, shape):
    forward_macs, backward_macs = _costlab(module, shape)
    assert _flop_counter(module, shape) == (2 * forward_macs, 2 * backward_macs)   # FLOPs


def test_flop_counter_mode_overcounts_grouped_and_depthwise_backward():
    """FlopCounterMode counts a grouped conv's weight gradient as if the groups were one dense
    convolution (issue 13): 65 x the forward for this depthwise 3x3, where 2 x is right."""
    depthwise = nn.Conv2d(64, 64, 3, padding=1, groups=64, bias=False)
    forward_macs = 56 * 56 * 64 * 1 * 3 * 3           # 1,806,336
    assert _costlab(depthwise, (1, 64, 56, 56)) == (forward_macs, 2 * forward_macs)
    forward_flops, backward_flops = _flop_counter(depthwise, (1, 64, 56, 56))
    assert forward_flops == 2 * forward_macs          # its forward is right...
    # ...its input gradient too (1 x forward), but its weight gradient is 64 x: 65 in all.
    assert backward_flops == 65 * forward_flops       # 234.8 M FLOPs against 3.61 M forward
    grouped = nn.Conv2d(64, 64, 3, padding=1, groups=8, bias=False)
    forward_flops, backward_flops = _flop_counter(grouped, (1, 64, 56, 56))
    assert backward_flops == 9 * forward_flops        # 1 + groups
    grouped_macs = 56 * 56 * 64 * (64 // 8) * 3 * 3   # 14,450,688
    assert _costlab(grouped, (1, 64, 56, 56)) == (grouped_macs, 2 * grouped_macs)


def test_rows_summed_by_depth_keep_the_totals():
    model = nn.Sequential(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()),
                          nn.Sequential(nn.Flatten(), nn.Linear(4 * 6 * 6, 2)))
    trace = trace_module(model, [(1, 3, 8, 8)], training=True)
    cost = count_training(trace)
    shallow = aggregate_training(cost, trace.module_types, 1)
    conv, linear = 6 * 6 * 4 * 3 * 9, 4 * 6 * 6 * 2
    assert [(r.path, r.kind, r.forward_macs, r.backward_macs) for r in shallow.layers] == [
        ("0", "Sequential", conv, conv), ("1", "Sequential", linear, 2 * linear)]
    assert shallow.training_macs == cost.training_macs == 2 * conv + 3 * linear
