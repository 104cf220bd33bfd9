"""Normalization: batch norm (inference and training forms), layer norm, group norm."""

from __future__ import annotations

import torch

from costlab.count.rules.registry import OpClass, OpCost, cost_rule
from costlab.trace.recorder import OpEvent

__all__ = ["batch_norm_cost", "layer_norm_cost"]

aten = torch.ops.aten  # torch.ops is an _Ops object, not a module mypy can import from


@cost_rule(aten.native_batch_norm.default, aten._native_batch_norm_legit.default,
           aten._native_batch_norm_legit.no_stats,
           aten._native_batch_norm_legit_no_training.default,
           aten.cudnn_batch_norm.default, aten.miopen_batch_norm.default)
def batch_norm_cost(event: OpEvent) -> OpCost:
    """Inference batch norm is a per-channel scale and shift: 2 ops per element with affine
    parameters, 1 without (the same as fvcore). Statistics computed in training mode add
    2 more per element (mean and variance)."""
    x = event.arg("input")
    affine = event.arg("weight") is not None
    per_element = 2 if affine else 1
    if bool(event.arg("training", False)):
        per_element += 2
    return OpCost(OpClass.BATCH_NORM, elementwise=per_element * x.numel)


@cost_rule(aten.native_layer_norm.default, aten.native_group_norm.default)
def layer_norm_cost(event: OpEvent) -> OpCost:
    """Mean, variance, normalize: 3 ops per element, plus 2 (scale and shift) with affine
    parameters."""
    x = event.arg("input")
    affine = event.arg("weight") is not None
    return OpCost(OpClass.NORM, elementwise=(5 if affine else 3) * x.numel)
