"""The single table of cost rules, keyed by ATen overload, and the types a rule returns."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import torch

from costlab.errors import RuleError
from costlab.trace.recorder import OpEvent
from costlab.units import Shape

__all__ = ["OpClass", "Geometry", "OpCost", "CostRule", "RULES", "cost_rule", "zero_cost",
           "elementwise", "free_ops"]


class OpClass(StrEnum):
    """What an op is, for the breakdown that explains why tools print different totals."""

    CONV = "convolution"
    DEPTHWISE = "depthwise convolution"
    LINEAR = "linear/matmul"
    BATCH_NORM = "batch norm"
    NORM = "layer/group norm"
    ACTIVATION = "activation"
    ELEMENTWISE = "element-wise add/mul"
    SOFTMAX = "softmax"
    POOLING = "pooling"
    MEMORY = "copy/concat"
    FREE = "view/metadata"


@dataclass(frozen=True, slots=True)
class Geometry:
    """The window a convolution or pooling op slides, as the op was called: kernel and stride
    per spatial dimension, and groups (None for pooling)."""

    kernel: Shape
    stride: Shape
    groups: int | None = None


@dataclass(frozen=True, slots=True)
class OpCost:
    """The work of one op: multiply-accumulates and other element-wise operations, and the
    layer geometry the rule knows (the layer table's kernel, stride and groups columns)."""

    op_class: OpClass
    macs: int = 0
    elementwise: int = 0
    geometry: Geometry | None = None
    weight_macs: int = 0   # of `macs`, those a fused backward op spends on weight gradients


class CostRule(Protocol):
    def __call__(self, event: OpEvent) -> OpCost: ...


RULES: dict[torch._ops.OpOverload, CostRule] = {}

OpKey = torch._ops.OpOverload | torch._ops.OpOverloadPacket


def _overloads(key: OpKey) -> list[torch._ops.OpOverload]:
    if isinstance(key, torch._ops.OpOverload):
        return [key]
    if isinstance(key, torch._ops.OpOverloadPacket):
        return [getattr(key, name) for name in key.overloads()]
    raise RuleError(f"cost rules are keyed by ATen ops, not {key!r}")


def cost_rule(*keys: OpKey) -> Callable[[CostRule], CostRule]:
    """Registers a rule for ops; a packet (aten.add) expands to all its overloads.

    Raises RuleError at import time for a non-op key or an op that already has a rule.
    """
    def register(rule: CostRule) -> CostRule:
        for key in keys:
            for op in _overloads(key):
                if op in RULES:
                    raise RuleError(f"{op} already has a cost rule "
                                    f"({getattr(RULES[op], '__name__', RULES[op])})")
                RULES[op] = rule
        return rule
    return register


def _out_numel(event: OpEvent) -> int:
    return event.outputs[0].numel if event.outputs else 0


def elementwise(op_class: OpClass, ops_per_output: int = 1) -> CostRule:
    """A rule counting `ops_per_output` element-wise operations per element of the first output."""
    def rule(event: OpEvent) -> OpCost:
        return OpCost(op_class, elementwise=ops_per_output * _out_numel(event))
    rule.__name__ = f"elementwise_{op_class.name.lower()}_x{ops_per_output}"
    rule.__doc__ = f"{ops_per_output} op(s) per output element; no MACs."
    return rule


def zero_cost(op_class: OpClass = OpClass.FREE) -> CostRule:
    """A rule for ops that do no arithmetic: views, metadata, allocation, copies."""
    def rule(event: OpEvent) -> OpCost:
        return OpCost(op_class)
    rule.__name__ = f"zero_cost_{op_class.name.lower()}"
    rule.__doc__ = "No arithmetic: counted as zero MACs and zero element-wise ops."
    return rule


def free_ops(op_class: OpClass, names: Iterable[str]) -> None:
    """Registers zero_cost for the named aten packets that exist in this torch build."""
    rule = zero_cost(op_class)
    ops = [getattr(torch.ops.aten, name) for name in names if hasattr(torch.ops.aten, name)]
    cost_rule(*ops)(rule)
