"""Convolution: standard, grouped, depthwise and transposed, at any dimensionality."""

from __future__ import annotations

import math

import torch

from costlab.count.rules.registry import Geometry, OpClass, OpCost, cost_rule
from costlab.trace.recorder import OpEvent
from costlab.units import Shape

__all__ = ["convolution_cost", "conv_macs"]

aten = torch.ops.aten  # torch.ops is an _Ops object, not a module mypy can import from


@cost_rule(aten.convolution.default, aten._convolution.default)
def convolution_cost(event: OpEvent) -> OpCost:
    """MACs = output elements x (C_in / groups) x prod(kernel); transposed convolution:
    input elements x (C_out / groups) x prod(kernel). Padding positions are counted (as every
    reference count does); the bias add is one element-wise op per output element, not a MAC.
    A conv with groups = C_in > 1 is classed as depthwise. Reports its kernel, stride and
    groups.
    """
    x, weight = event.arg("input"), event.arg("weight")
    groups = int(event.arg("groups", 1))
    out = event.outputs[0]
    macs = conv_macs(x.shape, weight.shape, out.shape, bool(event.arg("transposed", False)))
    depthwise = groups > 1 and groups == x.shape[1]
    bias = out.numel if event.arg("bias") is not None else 0
    geometry = Geometry(tuple(weight.shape[2:]), tuple(event.arg("stride", (1,))), groups)
    return OpCost(OpClass.DEPTHWISE if depthwise else OpClass.CONV, macs=macs, elementwise=bias,
                  geometry=geometry)


def conv_macs(input_shape: Shape, weight_shape: Shape, output_shape: Shape,
              transposed: bool) -> int:
    """A convolution's MACs from its shapes; the weight's second size is already the
    channels per group, so groups need no further term."""
    kernel = math.prod(weight_shape[2:])
    if transposed:  # weight: C_in x (C_out / groups) x k...
        return math.prod(input_shape) * weight_shape[1] * kernel
    return math.prod(output_shape) * weight_shape[1] * kernel   # C_out x (C_in / groups) x k...
