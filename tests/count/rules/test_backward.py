"""Backward rules: each against its hand formula, then traced end to end on one-op modules."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.ops import aten

from costlab.count.rules import RULES, OpClass
from costlab.count.rules import backward as backward_rules
from costlab.count.training import count_training
from costlab.trace.recorder import trace_module
from tests.count.rules.helpers import event, tensor


def _conv_backward(grad_out, x, w, mask, groups=1, transposed=False):
    return event(aten.convolution_backward.default, x, grad_output=grad_out, input=x, weight=w,
                 bias_sizes=None, stride=[1, 1], padding=[1, 1], dilation=[1, 1],
                 transposed=transposed, output_padding=[0, 0], groups=groups, output_mask=mask)


def test_dense_conv_backward_is_twice_the_forward():
    cost = backward_rules.convolution_backward_cost(_conv_backward(
        tensor(1, 64, 56, 56), tensor(1, 32, 56, 56), tensor(64, 32, 3, 3, kind="param"),
        [True, True, True]))
    forward = 56 * 56 * 64 * 32 * 9                          # 57,802,752
    assert (cost.macs, cost.weight_macs) == (2 * forward, forward)
    assert cost.elementwise == 56 * 56 * 64                   # bias gradient: sum of dy
    assert cost.op_class is OpClass.CONV


def test_depthwise_conv_backward_honours_groups():
    # 64-channel depthwise 3x3 on 56x56 (padding 1): forward 56 x 56 x 64 x 1 x 9 = 1,806,336.
    cost = backward_rules.convolution_backward_cost(_conv_backward(
        tensor(1, 64, 56, 56), tensor(1, 64, 56, 56), tensor(64, 1, 3, 3, kind="param"),
        [True, True, False], groups=64))
    assert cost.macs == 2 * 1_806_336 and cost.weight_macs == 1_806_336
    assert cost.elementwise == 0 and cost.op_class is OpClass.DEPTHWISE


def test_conv_backward_without_input_gradient_is_the_weight_gradient_alone():
    # The first layer: the image needs no gradient, so output_mask[0] is False.
    cost = backward_rules.convolution_backward_cost(_conv_backward(
        tensor(1, 32, 112, 112), tensor(1, 3, 224, 224), tensor(32, 3, 3, 3, kind="param"),
        [False, True, False]))
    assert cost.macs == cost.weight_macs == 112 * 112 * 32 * 3 * 9   # 10,838,016


def test_grouped_and_transposed_conv_backward():
    grouped = backward_rules.convolution_backward_cost(_conv_backward(
        tensor(1, 60, 28, 28), tensor(1, 240, 28, 28), tensor(60, 80, 1, 1, kind="param"),
        [True, False, False], groups=3))
    assert (grouped.macs, grouped.weight_macs) == (28 * 28 * 60 * 80, 0)   # input grad only
    # transposed 16 -> 8, 4x4, 7x7 -> 14x14: forward = input elements x C_out x k x k
    transposed = backward_rules.convolution_backward_cost(_conv_backward(
        tensor(1, 8, 14, 14), tensor(1, 16, 7, 7), tensor(16, 8, 4, 4, kind="param"),
        [True, True, False], transposed=True))
    assert transposed.macs == 2 * 7 * 7 * 16 * 8 * 16


def test_fused_attention_backward_by_formula():
    # batch 2, 12 heads, L = S = 128, E = Ev = 64: recompute Q K^T, then dP, dV, dQ, dK.
    q, k, v = tensor(2, 12, 128, 64), tensor(2, 12, 128, 64), tensor(2, 12, 128, 64)
    cost = backward_rules.attention_backward_cost(event(
        aten._scaled_dot_product_flash_attention_for_cpu_backward.default, q,
        grad_out=tensor(2, 12, 128, 64), query=q, key=k, value=v))
    scores = 2 * 12 * 128 * 128
    assert cost.macs == scores * (3 * 64 + 2 * 64)            # 5 products of L x S x 64
    assert cost.elementwise == 7 * scores and cost.weight_macs == 0


def test_fused_attention_backward_with_other_value_width():
    q, k, v = tensor(1, 4, 10, 8), tensor(1, 4, 6, 8), tensor(1, 4, 6, 16)
    cost = backward_rules.attention_backward_cost(event(
        aten._scaled_dot_product_efficient_attention_backward.default, q, query=q, key=k,
        value=v))
    assert cost.macs == 4 * 10 * 6 * (3 * 8 + 2 * 16)        # E = 8, Ev = 16


@pytest.mark.parametrize("train, mask, per_element", [
    (True, [True, True, True], 4 + 2 + 1),    # input (with statistics), weight, bias
    (False, [True, True, True], 1 + 2 + 1),   # eval statistics: dx = dy x scale / std
    (True, [False, True, True], 2 + 1),       # only the parameters' gradients
])
def test_batch_norm_backward(train, mask, per_element):
    x = tensor(2, 8, 5, 5)
    cost = backward_rules.batch_norm_backward_cost(event(
        aten.native_batch_norm_backward.default, x, grad_out=tensor(2, 8, 5, 5), input=x,
        weight=tensor(8, kind="param"), train=train, output_mask=mask))
    assert cost.elementwise == per_element * 2 * 8 * 5 * 5 and cost.macs == 0
    assert cost.op_class is OpClass.BATCH_NORM


def test_layer_norm_backward():
    x = tensor(1, 128, 768)
    cost = backward_rules.layer_norm_backward_cost(event(
        aten.native_layer_norm_backward.default, x, grad_out=tensor(1, 128, 768), input=x,
        output_mask=[True, True, False]))
    assert cost.elementwise == (4 + 2) * 128 * 768 and cost.op_class is OpClass.NORM


@pytest.mark.parametrize("op, per_element", [
    (aten.threshold_backward.default, 1), (aten.hardtanh_backward.default, 1),
    (aten.gelu_backward.default, 1), (aten.tanh_backward.default, 1),
    (aten.silu_backward.default, 1), (aten.hardswish_backward.default, 1),
    (aten._softmax_backward_data.default, 4), (aten._log_softmax_backward_data.default, 3),
    (aten.native_dropout_backward.default, 1), (aten._adaptive_avg_pool2d_backward.default, 1),
])
def test_element_wise_backward(op, per_element):
    grad_in = tensor(2, 3, 7, 7)   # one result element per input element
    cost = RULES[op](event(op, grad_in, grad_output=tensor(2, 3, 7, 7)))
    assert cost.elementwise == per_element * 2 * 3 * 7 * 7 and cost.macs == 0


def test_embedding_backward_adds_each_output_gradient_once():
    table = tensor(50257, 768)
    cost = backward_rules.embedding_backward_cost(event(
        aten.embedding_dense_backward.default, table, grad_output=tensor(1, 128, 768),
        indices=tensor(1, 128), num_weights=50257))
    assert cost.elementwise == 128 * 768 and cost.macs == 0   # the 50257 x 768 fill is free


def test_pooling_backward():
    # 3x3 stride-2 average pool, 112 -> 56: each output gradient spread over 9 inputs.
    grad_out, x = tensor(1, 64, 56, 56), tensor(1, 64, 112, 112)
    avg = backward_rules.avg_pool_backward_cost(event(
        aten.avg_pool2d_backward.default, x, grad_output=grad_out, self=x,
        kernel_size=[3, 3]))
    assert avg.elementwise == 64 * 56 * 56 * 9
    # max pool: one add per output gradient, routed to its argmax
    top = backward_rules.max_pool_backward_cost(event(
        aten.max_pool2d_with_indices_backward.default, x, grad_output=grad_out, self=x,
        kernel_size=[3, 3]))
    assert top.elementwise == 64 * 56 * 56


def _training(module: nn.Module, shape: tuple[int, ...]):
    return count_training(trace_module(module, [shape], training=True, input_grads=True))


@pytest.mark.parametrize("module, shape, forward_macs", [
    (nn.Conv2d(32, 64, 3, padding=1), (1, 32, 28, 28), 28 * 28 * 64 * 32 * 9),
    (nn.Conv2d(64, 64, 3, padding=1, groups=64, bias=False), (1, 64, 56, 56), 1_806_336),
    (nn.Conv2d(240, 60, 1, groups=3, bias=False), (2, 240, 28, 28), 2 * 28 * 28 * 60 * 80),
    (nn.ConvTranspose2d(16, 8, 4, 2, 1, bias=False), (1, 16, 7, 7), 7 * 7 * 16 * 8 * 16),
    (nn.Linear(64, 32), (4, 64), 4 * 64 * 32),
    (nn.Linear(64, 32, bias=False), (2, 10, 64), 2 * 10 * 64 * 32),   # 3-D: view, mm, view
])
def test_traced_backward_is_one_input_and_one_weight_gradient(module, shape, forward_macs):
    layer = _training(module, shape).layers[0]
    assert (layer.forward_macs, layer.backward_input_macs, layer.backward_weight_macs) == (
        forward_macs, forward_macs, forward_macs)


def test_traced_attention_backward():
    class Attention(nn.Module):
        def forward(self, q: torch.Tensor) -> torch.Tensor:
            return nn.functional.scaled_dot_product_attention(q, q, q)

    # On meta, SDPA runs as bmm and softmax: forward Q K^T and P V, backward dV, dP, dQ, dK.
    layer = _training(Attention(), (1, 4, 16, 8)).layers[0]
    products = 4 * 16 * 16 * 8            # one L x S x E product over the 4 heads
    assert (layer.forward_macs, layer.backward_input_macs) == (2 * products, 4 * products)
    assert layer.backward_weight_macs == 0 and layer.activation_macs == 6 * products


@pytest.mark.parametrize("module, shape, per_element", [
    (nn.ReLU(), (2, 8, 5, 5), 1), (nn.GELU(), (2, 8, 5, 5), 1),
    (nn.BatchNorm2d(8), (2, 8, 5, 5), 4 + 2 + 1), (nn.LayerNorm(5), (2, 8, 5, 5), 4 + 2 + 1),
    (nn.Softmax(-1), (2, 8, 5, 5), 4),
])
def test_traced_element_wise_backward(module, shape, per_element):
    layer = _training(module, shape).layers[0]
    assert layer.backward_elementwise == per_element * 2 * 8 * 5 * 5
    assert layer.backward_macs == 0


def test_gradients_of_slices_are_data_movement():
    class Halves(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x[:, :4] * x[:, 4:] + x[:, 0].unsqueeze(1)

    trace = trace_module(Halves(), [(2, 8, 3)], training=True, input_grads=True)
    names = {e.name for e in trace.events}
    assert {"aten.slice_backward.default", "aten.select_backward.default"} <= names
    cost = count_training(trace)
    assert not cost.unsupported
    assert cost.layers[0].backward_macs == 0
