"""Backward ops, as autograd runs them: convolution, fused attention, norms, activations,
softmax, pooling, dropout and embedding gradients.

The matrix products of linear and attention backward are plain mm/bmm ops, counted by the
forward rules in matmul.py; which gradient each feeds is the trace's Phase, not the rule's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from costlab.count.rules.conv import conv_macs
from costlab.count.rules.registry import OpClass, OpCost, cost_rule, elementwise, free_ops
from costlab.trace.recorder import OpEvent

__all__ = ["convolution_backward_cost", "attention_backward_cost", "batch_norm_backward_cost",
           "layer_norm_backward_cost", "embedding_backward_cost", "avg_pool_backward_cost",
           "max_pool_backward_cost"]

aten = torch.ops.aten  # torch.ops is an _Ops object, not a module mypy can import from


def _mask(event: OpEvent, name: str, size: int) -> list[bool]:
    value: Sequence[bool] | None = event.arg(name)
    return [bool(v) for v in value] if value is not None else [True] * size


@cost_rule(aten.convolution_backward.default)
def convolution_backward_cost(event: OpEvent) -> OpCost:
    """Input gradient (output_mask[0]) = the transposed convolution of the output gradient:
    the forward's MACs; weight gradient (output_mask[1]) = every weight times every output
    position it touched: the forward's MACs again. Both with groups (the weight is
    C_out x C_in/groups x k). The bias gradient (output_mask[2]) sums the output gradient:
    one add per output element, element-wise."""
    grad_out, x, weight = event.arg("grad_output"), event.arg("input"), event.arg("weight")
    wants_input, wants_weight, wants_bias = _mask(event, "output_mask", 3)
    forward = conv_macs(x.shape, weight.shape, grad_out.shape, bool(event.arg("transposed")))
    groups = int(event.arg("groups", 1))
    depthwise = groups > 1 and groups == x.shape[1]
    return OpCost(OpClass.DEPTHWISE if depthwise else OpClass.CONV,
                  macs=forward * (wants_input + wants_weight),
                  elementwise=grad_out.numel if wants_bias else 0,
                  weight_macs=forward if wants_weight else 0)


@cost_rule(aten._scaled_dot_product_flash_attention_for_cpu_backward.default,
           aten._scaled_dot_product_efficient_attention_backward.default,
           aten._scaled_dot_product_flash_attention_backward.default,
           aten._scaled_dot_product_cudnn_attention_backward.default)
def attention_backward_cost(event: OpEvent) -> OpCost:
    """Fused attention's backward on (..., L, E) queries, (..., S, E) keys, (..., S, Ev)
    values. The kernels keep no score matrix, so they recompute Q K^T (L S E), then
    dP = dO V^T (L S Ev), dV = P^T dO (S L Ev), dQ = dS K (L S E), dK = dS^T Q (S L E):
    MACs = batch x (3 L S E + 2 L S Ev). Per score, element-wise: the recomputed softmax 4
    (as in the forward) and its gradient 3 (subtract the row term, multiply by P, scale)."""
    q, k, v = event.arg("query"), event.arg("key"), event.arg("value")
    scores = math.prod(q.shape[:-2]) * q.shape[-2] * k.shape[-2]
    return OpCost(OpClass.LINEAR, macs=scores * (3 * q.shape[-1] + 2 * v.shape[-1]),
                  elementwise=7 * scores)


def _norm_backward(event: OpEvent, train: bool, op_class: OpClass) -> OpCost:
    """Per input element: the input gradient 4 ops when statistics were computed (subtract
    the two reduced terms, multiply by scale x 1/std; the reductions' adds) and 1 when they
    were constants (multiply by scale x 1/std); the weight gradient sum(dy x x_hat) 2
    (normalize is shared, multiply, add); the bias gradient sum(dy) 1."""
    x = event.arg("input")
    wants_input, wants_weight, wants_bias = _mask(event, "output_mask", 3)
    per_element = (4 if train else 1) * wants_input + 2 * wants_weight + wants_bias
    return OpCost(op_class, elementwise=per_element * x.numel)


@cost_rule(aten.native_batch_norm_backward.default)
def batch_norm_backward_cost(event: OpEvent) -> OpCost:
    """Batch norm's backward (see _norm_backward); `train` says whether the batch's own
    statistics, and so their gradients, were used."""
    return _norm_backward(event, bool(event.arg("train")), OpClass.BATCH_NORM)


@cost_rule(aten.native_layer_norm_backward.default, aten.native_group_norm_backward.default)
def layer_norm_backward_cost(event: OpEvent) -> OpCost:
    """Layer and group norm's backward: statistics are always the input's own (see
    _norm_backward)."""
    return _norm_backward(event, True, OpClass.NORM)


# An activation's gradient is the output gradient times the derivative: one op per element,
# as its forward is one function application per element.
cost_rule(aten.threshold_backward, aten.hardtanh_backward, aten.gelu_backward,
          aten.silu_backward, aten.sigmoid_backward, aten.tanh_backward,
          aten.hardswish_backward, aten.hardsigmoid_backward, aten.leaky_relu_backward,
          aten.elu_backward, aten.softplus_backward, aten.mish_backward)(
    elementwise(OpClass.ACTIVATION))

# Softmax's gradient y x (dy - sum(dy x y)): multiply, sum, subtract, multiply; log-softmax's
# dy - exp(y) x sum(dy): sum, exp, multiply-subtract.
cost_rule(aten._softmax_backward_data)(elementwise(OpClass.SOFTMAX, 4))
cost_rule(aten._log_softmax_backward_data)(elementwise(OpClass.SOFTMAX, 3))

# Dropout's gradient: the output gradient times the kept mask's scale, one op per element.
cost_rule(aten.native_dropout_backward)(elementwise(OpClass.ELEMENTWISE))


@cost_rule(aten.embedding_dense_backward.default)
def embedding_backward_cost(event: OpEvent) -> OpCost:
    """The table's gradient is a scatter-add of the output gradient: one add per element of
    it (the rows' zero fill is allocation)."""
    return OpCost(OpClass.ELEMENTWISE, elementwise=event.arg("grad_output").numel)


@cost_rule(aten.avg_pool2d_backward.default, aten.avg_pool3d_backward.default)
def avg_pool_backward_cost(event: OpEvent) -> OpCost:
    """Each output gradient is spread over its window: output elements x window size adds,
    as the forward's window reads."""
    grad_out = event.arg("grad_output")
    dims = len(grad_out.shape) - 2
    size = event.arg("kernel_size")
    window = math.prod(size) if len(size) == dims else int(size[0]) ** dims
    return OpCost(OpClass.POOLING, elementwise=grad_out.numel * window)


@cost_rule(aten.max_pool2d_with_indices_backward, aten.max_pool3d_with_indices_backward,
           aten.adaptive_max_pool2d_backward)
def max_pool_backward_cost(event: OpEvent) -> OpCost:
    """Each output gradient is added to the input its index names: one add per element of
    the output gradient (the zero fill of the input gradient is allocation)."""
    return OpCost(OpClass.POOLING, elementwise=event.arg("grad_output").numel)


# Adaptive average pooling's gradient spreads the output gradients back: one op per input
# element, as its forward reads each input element once.
cost_rule(aten._adaptive_avg_pool2d_backward, aten._adaptive_avg_pool3d_backward)(
    elementwise(OpClass.POOLING))


# The gradient of a slice, a selected index or a diagonal: the output gradient copied into a
# zero tensor of the input's shape. Data movement, no arithmetic.
free_ops(OpClass.MEMORY, ["slice_backward", "select_backward", "diagonal_backward"])
