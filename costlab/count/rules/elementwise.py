"""Element-wise ops: activations, arithmetic, softmax. No MACs; ops per output element."""

from __future__ import annotations

import torch

from costlab.count.rules.registry import OpClass, cost_rule, elementwise

__all__: list[str] = []

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
