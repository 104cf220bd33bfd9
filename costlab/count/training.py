"""Fold a training trace (forward and backward ops) into per-layer forward, input-gradient and
weight-gradient MACs and element-wise ops."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace

from costlab.count.engine import op_cost
from costlab.count.rules import OpClass, OpCost
from costlab.errors import UnsupportedOpsError
from costlab.trace.recorder import OpEvent, Phase, Trace

__all__ = ["TrainingLayer", "TrainingCost", "count_training", "aggregate_training"]


@dataclass(frozen=True, slots=True)
class TrainingLayer:
    """One module's share of a training step: its forward, and the backward of the autograd
    nodes its forward made."""

    path: str
    kind: str
    forward_macs: int
    backward_input_macs: int    # gradients of activations (the op's data inputs)
    backward_weight_macs: int   # gradients of parameters
    forward_elementwise: int
    backward_elementwise: int   # norm, activation, bias, pooling gradients, gradient sums
    activation_macs: int        # of all MACs above, products of two activations (attention)

    @property
    def backward_macs(self) -> int:
        return self.backward_input_macs + self.backward_weight_macs

    @property
    def training_macs(self) -> int:
        return self.forward_macs + self.backward_macs


@dataclass(frozen=True, slots=True)
class TrainingCost:
    """Layers in forward order and their sums; ops without a rule, by name, in either pass."""

    layers: tuple[TrainingLayer, ...]
    unsupported: Mapping[str, int]

    def total(self, name: str) -> int:
        """The sum of one TrainingLayer field or property over the layers."""
        return sum(int(getattr(layer, name)) for layer in self.layers)

    @property
    def forward_macs(self) -> int:
        return self.total("forward_macs")

    @property
    def backward_macs(self) -> int:
        return self.total("backward_macs")

    @property
    def training_macs(self) -> int:
        return self.total("training_macs")


_FIELDS = ("forward_macs", "backward_input_macs", "backward_weight_macs",
           "forward_elementwise", "backward_elementwise", "activation_macs")


def count_training(trace: Trace, *, strict: bool = False) -> TrainingCost:
    """Applies every op's rule and adds its MACs to its module's forward, input-gradient or
    weight-gradient column by the op's Phase; a fused backward op (convolution_backward)
    splits its own MACs by its output mask (OpCost.weight_macs).

    Ops without a rule are collected in `unsupported`; with `strict` they raise.
    """
    sums: dict[str, Counter[str]] = {}
    unsupported: Counter[str] = Counter()
    for event in trace.events:
        cost = op_cost(event)
        if cost is None:
            unsupported[event.name] += 1
            continue
        row = sums.setdefault(event.module, Counter())
        for name, value in _split(event, cost).items():
            row[name] += value
    if strict and unsupported:
        listed = ", ".join(f"{name} x{count}" for name, count in sorted(unsupported.items()))
        raise UnsupportedOpsError(f"ops without a cost rule in the training step: {listed}")
    layers = tuple(TrainingLayer(path, trace.module_types.get(path, ""),
                                 *(row[name] for name in _FIELDS))
                   for path, row in sums.items() if any(row.values()))
    return TrainingCost(layers, dict(sorted(unsupported.items())))


def _split(event: OpEvent, cost: OpCost) -> dict[str, int]:
    activation = cost.macs if _activation_product(event, cost) else 0
    if event.phase is Phase.FORWARD:
        return {"forward_macs": cost.macs, "forward_elementwise": cost.elementwise,
                "activation_macs": activation}
    weight = cost.macs if event.phase is Phase.BACKWARD_WEIGHT else cost.weight_macs
    return {"backward_input_macs": cost.macs - weight, "backward_weight_macs": weight,
            "backward_elementwise": cost.elementwise, "activation_macs": activation}


def _activation_product(event: OpEvent, cost: OpCost) -> bool:
    """A matrix product of two activations (Q K^T, P V and their gradients), not a product
    with a weight nor one computing a weight's gradient."""
    return (cost.op_class is OpClass.LINEAR and cost.macs > 0
            and event.phase is not Phase.BACKWARD_WEIGHT
            and all(t.kind != "param" for t in event.inputs))


def aggregate_training(cost: TrainingCost, module_types: Mapping[str, str],
                       depth: int) -> TrainingCost:
    """Rows summed up to module `depth` (1: the model's children); totals are unchanged."""
    sums: dict[str, Counter[str]] = {}
    for layer in cost.layers:
        prefix = ".".join(layer.path.split(".")[:depth]) if layer.path else ""
        row = sums.setdefault(prefix, Counter())
        for name in _FIELDS:
            row[name] += getattr(layer, name)
    layers = tuple(TrainingLayer(path, module_types.get(path, ""),
                                 *(row[name] for name in _FIELDS))
                   for path, row in sums.items())
    return replace(cost, layers=layers)
