"""Pooling and reductions: one op (a compare or an add) per input element in each window."""

from __future__ import annotations

import math

import torch

from costlab.count.rules.registry import Geometry, OpClass, OpCost, cost_rule
from costlab.trace.recorder import OpEvent

__all__ = ["window_pool_cost", "reduction_cost", "adaptive_pool_cost", "variance_cost",
           "logsumexp_cost", "vector_norm_cost", "selection_cost", "embedding_bag_cost"]

aten = torch.ops.aten  # torch.ops is an _Ops object, not a module mypy can import from


def _ints(value: int | list[int] | tuple[int, ...] | None) -> list[int]:
    """An ATen int[] argument as written ([3], [3, 3] or 3; None or [] when left out)."""
    if value is None:
        return []
    return [int(v) for v in value] if isinstance(value, list | tuple) else [int(value)]


def _pair(value: int | list[int] | tuple[int, ...], dims: int) -> list[int]:
    values = _ints(value)
    return values * dims if len(values) == 1 else values


@cost_rule(aten.max_pool2d_with_indices.default, aten.avg_pool2d.default,
           aten.max_pool3d_with_indices.default, aten.avg_pool3d.default,
           aten.max_pool1d.default, aten.avg_pool1d.default, aten.max_pool2d.default)
def window_pool_cost(event: OpEvent) -> OpCost:
    """Output elements x window size (k_h x k_w): one compare or add per window element.
    Padding positions are counted; the average's final divide is left out. Reports its kernel
    and stride (the kernel when the stride is left out, as ATen defaults it)."""
    out = event.outputs[0]
    dims = len(out.shape) - 2 if len(out.shape) > 2 else 1
    window = math.prod(_pair(event.arg("kernel_size"), dims))
    kernel = tuple(_ints(event.arg("kernel_size")))
    geometry = Geometry(kernel, tuple(_ints(event.arg("stride"))) or kernel)
    return OpCost(OpClass.POOLING, elementwise=out.numel * window, geometry=geometry)


@cost_rule(aten.mean.dim, aten.mean.default, aten.sum.dim_IntList, aten.sum.default,
           aten.amax.default, aten.max.dim)
def reduction_cost(event: OpEvent) -> OpCost:
    """One add (or compare) per input element (global average pooling is mean over H, W)."""
    return OpCost(OpClass.POOLING, elementwise=event.inputs[0].numel)


@cost_rule(aten._adaptive_avg_pool2d.default, aten.adaptive_max_pool2d.default,
           aten._adaptive_avg_pool3d.default)
def adaptive_pool_cost(event: OpEvent) -> OpCost:
    """Adaptive pooling reads every input element at least once: one op per input element
    (overlapping windows, when the size does not divide, are not counted twice)."""
    return OpCost(OpClass.POOLING, elementwise=event.inputs[0].numel)


@cost_rule(aten.std, aten.var)
def variance_cost(event: OpEvent) -> OpCost:
    """Per input element: an add for the mean, a subtract, a square and an add for the sum of
    squares (4); per output element a divide, and for std a square root."""
    per_output = 2 if event.name.startswith("aten.std") else 1
    return OpCost(OpClass.POOLING, elementwise=4 * event.inputs[0].numel
                  + per_output * event.outputs[0].numel)


@cost_rule(aten.logsumexp)
def logsumexp_cost(event: OpEvent) -> OpCost:
    """Per input element: the max compare, a subtract, an exp and an add (4); per output
    element the log and the max added back (2)."""
    return OpCost(OpClass.POOLING, elementwise=4 * event.inputs[0].numel
                  + 2 * event.outputs[0].numel)


@cost_rule(aten.linalg_vector_norm)
def vector_norm_cost(event: OpEvent) -> OpCost:
    """Per input element: |x|^p and an add (2); per output element the p-th root (1). The
    SSD head's L2Norm of its first feature map is one."""
    return OpCost(OpClass.POOLING, elementwise=2 * event.inputs[0].numel
                  + event.outputs[0].numel)


@cost_rule(aten.topk, aten.sort, aten.all, aten.any, aten.argmax, aten.argmin, aten.min.dim,
           aten.max.default)
def selection_cost(event: OpEvent) -> OpCost:
    """Top-k, sort, all/any, argmax: at least one compare per input element; counted as that
    lower bound (a sort's n log n compares are left out, as the kernel's choice)."""
    return OpCost(OpClass.POOLING, elementwise=event.inputs[0].numel)


@cost_rule(aten._embedding_bag, aten._embedding_bag_forward_only)
def embedding_bag_cost(event: OpEvent) -> OpCost:
    """nn.EmbeddingBag: every looked-up row is added into its bag, one add per index x
    embedding dim (mode sum, mean, or a compare for max), one multiply more with
    per-sample weights; the mean's final divide is left out."""
    weight, indices = event.arg("weight"), event.arg("indices")
    per_index = 2 if event.arg("per_sample_weights") is not None else 1
    return OpCost(OpClass.POOLING, elementwise=per_index * indices.numel * weight.shape[1])
