"""torchvision's detection ops (`torchvision::roi_align`, `torchvision::nms`): they exist only
once torchvision is imported, so they are registered then (importing torchvision for every
costlab run would cost seconds)."""

from __future__ import annotations

import sys

import torch

from costlab.count.rules.registry import RULES, OpClass, OpCost, cost_rule
from costlab.trace.recorder import OpEvent

__all__ = ["register_torchvision_rules", "roi_align_cost", "nms_cost"]


def roi_align_cost(event: OpEvent) -> OpCost:
    """Per output element, the average of sampling_ratio^2 bilinear samples of 4 inputs each
    (4 ops per sample); an adaptive ratio (<= 0, set per box from its size) counts 1 sample,
    a lower bound."""
    ratio = int(event.arg("sampling_ratio", 0))
    samples = ratio * ratio if ratio > 0 else 1
    return OpCost(OpClass.POOLING, elementwise=4 * samples * event.outputs[0].numel)


def nms_cost(event: OpEvent) -> OpCost:
    """Non-maximum suppression of n boxes: one IoU test per pair, n (n - 1) / 2, an upper bound
    (the kernel skips boxes already suppressed); the sort by score is left out."""
    boxes = event.arg("dets").shape[0]
    return OpCost(OpClass.POOLING, elementwise=boxes * (boxes - 1) // 2)


def register_torchvision_rules() -> None:
    """Registers the rules above once torchvision's ops exist; a no-op before and after."""
    if "torchvision" not in sys.modules:
        return
    ops = torch.ops.torchvision
    for name, rule in (("roi_align", roi_align_cost), ("nms", nms_cost)):
        if hasattr(ops, name) and getattr(ops, name).default not in RULES:
            cost_rule(getattr(ops, name).default)(rule)
