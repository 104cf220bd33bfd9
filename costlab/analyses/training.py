"""Training memory: parameters, gradients, optimizer state and the activations autograd
actually saves for backward (recorded on meta tensors, not guessed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from costlab.choices import DType, Optimizer, parse_choice
from costlab.count.engine import ModelCost
from costlab.errors import TraceError, describe
from costlab.trace.inputs import InputSpec, as_input
from costlab.trace.meta import FastMeta
from costlab.units import Shape

__all__ = ["Optimizer", "TrainingMemory", "saved_activation_elements", "training_memory",
           "weights_and_feature_map_bytes"]


_STATE_COPIES = {Optimizer.SGD: 0, Optimizer.MOMENTUM: 1, Optimizer.ADAM: 2}


@dataclass(frozen=True, slots=True)
class TrainingMemory:
    """Bytes held during one training step, by kind, and the total."""

    dtype: DType
    optimizer: Optimizer
    batch: int
    params_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    saved_activations_bytes: int
    saved_tensors: int
    gradient_in_flight_bytes: int  # the largest activation's gradient, flowing back
    formula_bytes: int             # weights_and_feature_map_bytes of the same model

    @property
    def step_peak_bytes(self) -> int:
        """What one forward and backward allocate at their peak: saved activations,
        parameter gradients and the activation gradient in flight."""
        return self.saved_activations_bytes + self.gradients_bytes + self.gradient_in_flight_bytes

    @property
    def total_bytes(self) -> int:
        return self.params_bytes + self.optimizer_bytes + self.step_peak_bytes


def saved_activation_elements(model: nn.Module, inputs: Sequence[InputSpec | Shape]
                              ) -> tuple[int, int, int]:
    """Runs one training-mode forward on meta tensors and sums the distinct tensors autograd
    saves for backward, leaving out parameters (and views of them).

    Returns (elements, count, elements of the largest one).
    """
    stand_ins: dict[str, torch.Tensor] = {
        name: nn.Parameter(torch.empty_like(p, device="meta"), p.requires_grad)
        for name, p in model.named_parameters()}
    stand_ins |= {name: torch.empty_like(b, device="meta") for name, b in model.named_buffers()}
    param_ids = {id(p) for p in stand_ins.values() if isinstance(p, nn.Parameter)}
    saved: dict[int, int] = {}
    alive: list[torch.Tensor] = []

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        base = tensor._base if tensor._base is not None else tensor
        if id(base) not in param_ids and id(tensor) not in param_ids:
            alive.append(base)
            saved[id(base)] = max(saved.get(id(base), 0), base.numel())
        return tensor

    args = [as_input(i).tensor("meta") for i in inputs]
    modes = [(m, m.training) for m in model.modules()]
    try:
        model.train()
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), FastMeta():
            torch.func.functional_call(model, stand_ins, tuple(args), strict=False)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - user code: one line naming it
        raise TraceError(f"training-mode forward failed: {describe(exc)}") from exc
    finally:
        for module, training in modes:
            module.training = training
    return sum(saved.values()), len(saved), max(saved.values(), default=0)


def weights_and_feature_map_bytes(cost: ModelCost) -> int:
    """A closed-form estimate of training memory from the layer table alone, the formula of
    seed 001, section 5.1: (parameters + parameter gradients + feature map + filter map) x 4
    bytes, with the feature map the largest (C_in + C_out) x H x W of any layer (Table A1) and
    the filter map the largest parameter count of a conv or pooling layer (Table A2)."""
    feature_map = max((r.feature_map_elements for r in cost.layers), default=0)
    filter_map = max((r.params for r in cost.layers if r.kernel is not None), default=0)
    return (2 * cost.totals.params + feature_map + filter_map) * 4


def training_memory(model: nn.Module, inputs: Sequence[InputSpec | Shape], cost: ModelCost, *,
                    optimizer: Optimizer | str = Optimizer.ADAM,
                    dtype: DType | str = DType.FP32) -> TrainingMemory:
    """Memory of one training step at `dtype`; `cost` must count params under `torch`."""
    optimizer, dtype = parse_choice(Optimizer, optimizer), parse_choice(DType, dtype)
    size = dtype.itemsize
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    elements, count, largest = saved_activation_elements(model, inputs)
    batch = as_input(inputs[0]).shape[0] if inputs else 1
    return TrainingMemory(dtype, optimizer, batch,
                          total * size, trainable * size,
                          _STATE_COPIES[optimizer] * trainable * size, elements * size, count,
                          largest * size, weights_and_feature_map_bytes(cost))
