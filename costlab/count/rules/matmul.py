"""Matrix products: addmm, mm, bmm, baddbmm, mv, nn.Bilinear's _trilinear, and fused scaled
dot-product attention."""

from __future__ import annotations

import math

import torch

from costlab.count.rules.registry import OpClass, OpCost, cost_rule
from costlab.trace.recorder import OpEvent

__all__ = ["mm_cost", "addmm_cost", "bmm_cost", "baddbmm_cost", "attention_cost", "mv_cost",
           "trilinear_cost"]

aten = torch.ops.aten  # torch.ops is an _Ops object, not a module mypy can import from


@cost_rule(aten.mm.default)
def mm_cost(event: OpEvent) -> OpCost:
    """(n x k) @ (k x m): MACs = n x k x m."""
    a, b = event.arg("self"), event.arg("mat2")
    return OpCost(OpClass.LINEAR, macs=a.shape[0] * a.shape[1] * b.shape[1])


@cost_rule(aten.addmm.default)
def addmm_cost(event: OpEvent) -> OpCost:
    """bias + (n x k) @ (k x m), as nn.Linear runs: MACs = n x k x m; the bias add is one
    element-wise op per output element."""
    a, b = event.arg("mat1"), event.arg("mat2")
    n, m = a.shape[0], b.shape[1]
    return OpCost(OpClass.LINEAR, macs=n * a.shape[1] * m, elementwise=n * m)


@cost_rule(aten.bmm.default)
def bmm_cost(event: OpEvent) -> OpCost:
    """(b x n x k) @ (b x k x m): MACs = b x n x k x m."""
    a, b = event.arg("self"), event.arg("mat2")
    return OpCost(OpClass.LINEAR, macs=a.shape[0] * a.shape[1] * a.shape[2] * b.shape[2])


@cost_rule(aten.baddbmm.default)
def baddbmm_cost(event: OpEvent) -> OpCost:
    """input + (b x n x k) @ (b x k x m): MACs = b x n x k x m, plus one add per output."""
    a, b = event.arg("batch1"), event.arg("batch2")
    out = a.shape[0] * a.shape[1] * b.shape[2]
    return OpCost(OpClass.LINEAR, macs=out * a.shape[2], elementwise=out)


@cost_rule(aten._scaled_dot_product_flash_attention_for_cpu.default,
           aten._scaled_dot_product_efficient_attention.default,
           aten._scaled_dot_product_flash_attention.default,
           aten._scaled_dot_product_cudnn_attention.default,
           aten._scaled_dot_product_attention_math.default)
def attention_cost(event: OpEvent) -> OpCost:
    """Fused attention on (..., L, E) queries and (..., S, E) keys, (..., S, Ev) values:
    MACs = batch x (L x S x E for Q K^T + L x S x Ev for the weighted sum). The scaling and
    softmax (about 4 ops per score: scale, max, exp, divide) are element-wise ops.
    (On meta tensors PyTorch decomposes attention into bmm and softmax, counted by their rules.)
    """
    q, k, v = event.arg("query"), event.arg("key"), event.arg("value")
    batch = math.prod(q.shape[:-2])
    scores = batch * q.shape[-2] * k.shape[-2]
    return OpCost(OpClass.LINEAR, macs=scores * (q.shape[-1] + v.shape[-1]),
                  elementwise=4 * scores)


@cost_rule(aten.mv.default)
def mv_cost(event: OpEvent) -> OpCost:
    """(n x k) @ (k): MACs = n x k."""
    a = event.arg("self")
    return OpCost(OpClass.LINEAR, macs=a.shape[0] * a.shape[1])


@cost_rule(aten._trilinear.default)
def trilinear_cost(event: OpEvent) -> OpCost:
    """nn.Bilinear's product of three tensors summed over `sumdim`: each input is unsqueezed at
    its `expand` positions and the three broadcast together; MACs = the size of that product
    space (N x out x in1 x in2 for nn.Bilinear)."""
    shapes = []
    for name in ("1", "2", "3"):
        shape = list(event.arg("i" + name).shape)
        for position in sorted(event.arg("expand" + name)):
            shape.insert(position, 1)
        shapes.append(shape)
    return OpCost(OpClass.LINEAR, macs=math.prod(max(sizes) for sizes in zip(*shapes,
                                                                              strict=True)))
