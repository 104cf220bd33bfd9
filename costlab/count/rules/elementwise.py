"""Element-wise ops: activations, arithmetic, comparisons, softmax, interpolation. No MACs; ops
per output element."""

from __future__ import annotations

import math

import torch

from costlab.count.rules.registry import OpClass, OpCost, cost_rule, elementwise
from costlab.trace.recorder import OpEvent

__all__ = ["grid_sample_cost", "antialiased_bilinear_cost"]

aten = torch.ops.aten  # torch.ops is an _Ops object, not a module mypy can import from

# One op per output element: an activation is one function application per value.
cost_rule(aten.relu, aten.relu_, aten.hardtanh, aten.hardtanh_, aten.relu6, aten.leaky_relu,
          aten.leaky_relu_, aten.hardswish, aten.hardswish_, aten.hardsigmoid,
          aten.hardsigmoid_, aten.sigmoid, aten.sigmoid_, aten.silu, aten.silu_, aten.gelu,
          aten.gelu_, aten.tanh, aten.tanh_, aten.elu, aten.elu_, aten.mish, aten.mish_,
          aten.softplus, aten.prelu, aten._prelu_kernel, aten.clamp, aten.clamp_,
          aten.clamp_min, aten.clamp_min_, aten.clamp_max, aten.clamp_max_)(
    elementwise(OpClass.ACTIVATION))

# One op per output element: residual adds, gating multiplies, scaling, and unary math.
cost_rule(aten.add.Tensor, aten.add.Scalar, aten.add_.Tensor, aten.add_.Scalar,
          aten.sub.Tensor, aten.sub.Scalar, aten.sub_.Tensor, aten.rsub.Scalar,
          aten.rsub.Tensor, aten.mul.Tensor, aten.mul.Scalar, aten.mul_.Tensor,
          aten.mul_.Scalar, aten.div.Tensor, aten.div.Scalar, aten.div_.Tensor,
          aten.div_.Scalar, aten.neg, aten.exp, aten.exp_, aten.log, aten.sqrt, aten.rsqrt,
          aten.pow.Tensor_Scalar, aten.pow.Tensor_Tensor, aten.reciprocal, aten.abs,
          aten.maximum, aten.minimum, aten.where.self, aten.addcmul, aten.addcmul_,
          aten.lerp.Scalar, aten.erf)(elementwise(OpClass.ELEMENTWISE))

# Softmax: max, subtract, exp, sum, divide, counted as 4 ops per element (sum and max shared).
cost_rule(aten._softmax, aten._safe_softmax, aten._log_softmax)(
    elementwise(OpClass.SOFTMAX, 4))

# Bilinear interpolation: each output is a weighted sum of 4 inputs (4 multiplies, 3 adds
# counted as 4 ops); bicubic reads 16.
cost_rule(aten.upsample_bilinear2d)(elementwise(OpClass.ELEMENTWISE, 4))
cost_rule(aten.upsample_bicubic2d)(elementwise(OpClass.ELEMENTWISE, 16))

# One op per output element: comparisons and logic (masks, causal and window masks, box
# filters), rounding, and the sin/cos of rotary embeddings. Each is a function applied per
# value, like an activation; none is a MAC.
cost_rule(aten.eq, aten.ne, aten.ge, aten.gt, aten.lt, aten.le, aten.bitwise_and,
          aten.bitwise_or, aten.bitwise_xor, aten.bitwise_not, aten.logical_and,
          aten.logical_or, aten.logical_not, aten.floor, aten.ceil, aten.round, aten.trunc,
          aten.sign, aten.sin, aten.cos, aten.log2, aten.log1p, aten.expm1, aten.remainder,
          aten.fmod, aten.div.Tensor_mode, aten.div.Scalar_mode, aten.isinf, aten.isnan,
          aten.pow.Scalar)(
    elementwise(OpClass.ELEMENTWISE))
# A running sum: one add per output element.
cost_rule(aten.cumsum)(elementwise(OpClass.ELEMENTWISE))
# Linear and trilinear interpolation: each output is a weighted sum of 2 (1-D) or 8 (3-D)
# inputs, counted as 2 or 8 ops, as bilinear's 4.
cost_rule(aten.upsample_linear1d)(elementwise(OpClass.ELEMENTWISE, 2))
cost_rule(aten.upsample_trilinear3d)(elementwise(OpClass.ELEMENTWISE, 8))

# grid_sample's interpolation_mode: 0 bilinear (4 inputs per output), 1 nearest (a copy),
# 2 bicubic (16).
_GRID_SAMPLE_READS = {0: 4, 1: 0, 2: 16}


@cost_rule(aten.grid_sampler_2d.default)
def grid_sample_cost(event: OpEvent) -> OpCost:
    """Output elements x the inputs each one weighs: 4 bilinear, 16 bicubic, 0 nearest (a
    gather). The grid's unnormalization (2 ops per grid point) is left out."""
    reads = _GRID_SAMPLE_READS.get(int(event.arg("interpolation_mode", 0)), 4)
    return OpCost(OpClass.ELEMENTWISE, elementwise=reads * event.outputs[0].numel)


@cost_rule(aten._upsample_bilinear2d_aa)
def antialiased_bilinear_cost(event: OpEvent) -> OpCost:
    """Antialiased bilinear resize (torchvision's Resize, interpolate(antialias=True)): per
    output element, a weighted sum over a window_h x window_w patch, where a window spans
    max(2, ceil(2 x input / output)) inputs per axis (the triangle filter widened by the
    downscale factor). On upscaling this is plain bilinear's 4."""
    x, out = event.inputs[0], event.outputs[0]
    window = math.prod(max(2, math.ceil(2 * size_in / size_out))
                       for size_in, size_out in zip(x.shape[-2:], out.shape[-2:], strict=True))
    return OpCost(OpClass.ELEMENTWISE, elementwise=window * out.numel)
