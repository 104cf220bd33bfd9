"""Training cost: the MACs of a training step (forward, and the backward autograd really runs,
recorded on meta), the optimizer step, the 6·N·T rule of thumb beside decoders; and training
memory: parameters, gradients, optimizer state and the activations autograd saves."""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from costlab.choices import DType, Optimizer, parse_choice
from costlab.count.training import TrainingCost, aggregate_training, count_training
from costlab.errors import OptionError, TraceError, describe
from costlab.trace.inputs import InputSpec, as_input, call_args
from costlab.trace.meta import FastMeta
from costlab.trace.recorder import Trace, trace_module
from costlab.units import Shape

__all__ = ["Optimizer", "TrainingMemory", "MemoryEstimate", "saved_activation_elements",
           "training_memory", "TRAINING_CONVENTIONS", "OPTIMIZER_OPS",
           "OptimizerStep", "RuleOfThumb", "TrainingAnalysis", "analyze_training",
           "frozen_names"]


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

    args, kwargs = call_args([as_input(i) for i in inputs])
    modes = [(m, m.training) for m in model.modules()]
    try:
        model.train()
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), FastMeta():
            torch.func.functional_call(model, stand_ins, args, kwargs, strict=False)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - user code: one line naming it
        raise TraceError(f"training-mode forward failed: {describe(exc)}") from exc
    finally:
        for module, training in modes:
            module.training = training
    return sum(saved.values()), len(saved), max(saved.values(), default=0)


@dataclass(frozen=True, slots=True)
class MemoryEstimate:
    """A closed-form estimate of training memory shown beside the count: a formula costlab
    does not own (a paper's, in costlab.papers), handed in by the caller."""

    key: str                        # what the number is, as JSON names it
    label: str                      # as a table shows it, citing the formula's source
    bytes: int
    sources: tuple[str, ...] = ()   # the documents the label cites, for the footnote


def training_memory(model: nn.Module, inputs: Sequence[InputSpec | Shape], *,
                    optimizer: Optimizer | str = Optimizer.ADAM,
                    dtype: DType | str = DType.FP32) -> TrainingMemory:
    """Memory of one training step at `dtype`, every parameter counted (as torch holds it)."""
    optimizer, dtype = parse_choice(Optimizer, optimizer), parse_choice(DType, dtype)
    size = dtype.itemsize
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    elements, count, largest = saved_activation_elements(model, inputs)
    batch = as_input(inputs[0]).shape[0] if inputs else 1
    return TrainingMemory(dtype, optimizer, batch,
                          total * size, trainable * size,
                          _STATE_COPIES[optimizer] * trainable * size, elements * size, count,
                          largest * size)


TRAINING_CONVENTIONS = {
    "training_macs": "forward + backward MACs of one step, counted from the ops autograd runs "
                     "(recorded on meta), not guessed as 2 x forward",
    "weight_gradients": "computed for every parameter that requires a gradient (--freeze "
                        "turns them off)",
    "input_gradients": "computed for every op input that requires a gradient: the first layer "
                       "(the model's input needs none) and layers behind frozen parameters "
                       "cost less",
    "convolution": "input gradient = forward MACs (the transposed convolution), weight "
                   "gradient = forward MACs, groups handled in both",
    "linear_and_matmul": "the same two products, as the mm/bmm ops autograd runs",
    "attention": "fused attention's backward by formula: recompute Q K^T, then dP, dV, dQ, "
                 "dK (batch x (3 L S E + 2 L S Ev)); on meta it runs as bmm ops, counted "
                 "as such",
    "backward_elementwise": "norm, activation, bias, pooling and embedding gradients and the "
                            "gradient sums at forks: element-wise ops, not MACs",
    "optimizer": "element-wise ops per trainable parameter element, apart from MACs: sgd 2 "
                 "(p -= lr g), momentum 4 (b = m b + g, p -= lr b), adam 13 (torch.optim.Adam "
                 "with scalar bias corrections: m 3, v 4, denominator 3, update 3)",
}

# Element-wise ops per trainable parameter element, as torch.optim runs them (no weight decay):
OPTIMIZER_OPS = {Optimizer.SGD: 2, Optimizer.MOMENTUM: 4, Optimizer.ADAM: 13}


@dataclass(frozen=True, slots=True)
class OptimizerStep:
    """The optimizer's element-wise work per step: OPTIMIZER_OPS x trainable parameters."""

    optimizer: Optimizer
    trainable_params: int

    @property
    def elementwise(self) -> int:
        return OPTIMIZER_OPS[self.optimizer] * self.trainable_params


@dataclass(frozen=True, slots=True)
class RuleOfThumb:
    """6·N·T FLOPs (Kaplan et al. 2020; Chinchilla's 6·N·D), i.e. 3·N·T MACs, beside the
    counted training MACs, and the terms the difference is made of.

    The rule gives every parameter 3 MACs per token (forward, input gradient, weight
    gradient). Attention's products of two activations have no parameter; a tied LM head
    multiplies with the token embedding, whose lookups do no MACs; embedding tables and
    vectors (biases, norm scales) do none either.
    """

    params: int
    tokens: int
    training_macs: int
    attention_macs: int
    lm_head_macs: int       # a head tied to an embedding table: all its training MACs
    embedding_params: int
    vector_params: int      # non-embedding parameters of at most one dimension

    @property
    def rule_macs(self) -> int:
        return 3 * self.params * self.tokens

    @property
    def rule_flops(self) -> int:
        return 6 * self.params * self.tokens

    @property
    def gap_macs(self) -> int:
        return self.training_macs - self.rule_macs

    @property
    def terms(self) -> tuple[tuple[str, str, int], ...]:
        """The gap as a sum of (key, what, MACs): attention, tied LM head, embeddings,
        vectors, and the rest (frozen parameters, first-layer input gradients, weights used
        more than once per token such as convolutions)."""
        named = (("attention_macs", "attention products (Q K^T, P V and their gradients)",
                  self.attention_macs),
                 ("lm_head_macs", "LM head tied to the token embedding", self.lm_head_macs),
                 ("embedding_macs", "embedding tables (looked up: no MACs)",
                  -3 * self.tokens * self.embedding_params),
                 ("vector_macs", "biases and norm parameters (no MACs)",
                  -3 * self.tokens * self.vector_params))
        rest = self.gap_macs - sum(value for _, _, value in named)
        return (*named, ("other_macs", "other (frozen weights, gradients not needed, reuse)",
                         rest))


@dataclass(frozen=True, slots=True)
class TrainingAnalysis:
    """One training step's cost: per-layer MACs, the optimizer, and 6·N·T for decoders."""

    cost: TrainingCost
    frozen: tuple[str, ...]       # parameters without a gradient, by qualified name
    params: int
    trainable_params: int
    optimizer: OptimizerStep
    rule_of_thumb: RuleOfThumb | None

    @property
    def totals(self) -> dict[str, int]:
        cost = self.cost
        return {"forward_macs": cost.forward_macs, "backward_macs": cost.backward_macs,
                "backward_input_macs": cost.total("backward_input_macs"),
                "backward_weight_macs": cost.total("backward_weight_macs"),
                "training_macs": cost.training_macs,
                "backward_elementwise": cost.total("backward_elementwise"),
                "optimizer_elementwise": self.optimizer.elementwise,
                "trainable_params": self.trainable_params}


def frozen_names(model: nn.Module, patterns: Collection[str]) -> tuple[str, ...]:
    """Parameters that get no gradient: those matching a glob in `patterns`, and those the
    model already freezes. Raises OptionError for a pattern that matches nothing."""
    names = [name for name, _ in model.named_parameters()]
    for pattern in patterns:
        if not fnmatch.filter(names, pattern):
            example = f"; names look like {names[0]!r}" if names else ""
            raise OptionError(f"--freeze {pattern!r} matches no parameter{example}")
    return tuple(name for name, p in model.named_parameters()
                 if not p.requires_grad or any(fnmatch.fnmatchcase(name, pattern)
                                               for pattern in patterns))


def analyze_training(model: nn.Module, inputs: Sequence[InputSpec | Shape], *,
                     freeze: Collection[str] = (), optimizer: Optimizer | str = Optimizer.ADAM,
                     strict: bool = False, depth: int | None = None) -> TrainingAnalysis:
    """Traces one training step on meta (forward in train mode, backward of the outputs) and
    counts it; `freeze` globs name parameters to leave without gradients; `depth` sums the
    rows up to that module depth."""
    step = parse_choice(Optimizer, optimizer)
    frozen = frozen_names(model, freeze)
    trace = trace_module(model, inputs, training=True, frozen=frozen)
    cost = count_training(trace, strict=strict)
    rule_of_thumb = _rule_of_thumb(trace, cost)
    if depth is not None:
        cost = aggregate_training(cost, trace.module_types, depth)
    sizes = {name: meta.numel for name, meta in trace.params.items()}
    trainable = sum(size for name, size in sizes.items() if name not in frozen)
    return TrainingAnalysis(cost, frozen, sum(sizes.values()), trainable,
                            OptimizerStep(step, trainable), rule_of_thumb)


def _rule_of_thumb(trace: Trace, cost: TrainingCost) -> RuleOfThumb | None:
    """For a model fed token ids through an embedding table (a decoder); else None."""
    tokens = next((math.prod(t.shape) for t in trace.inputs if not t.dtype.is_floating_point),
                  0)
    tables = [path for path, kind in trace.module_types.items() if kind == "Embedding"]
    if not tokens or not tables:
        return None
    embedding = {name for name in trace.params
                 if any(name.startswith(f"{path}.") for path in tables)}
    storages = {trace.params[name].storage for name in embedding}
    heads = {e.module for e in trace.events if e.module not in tables
             and any(t.kind == "param" and t.storage in storages for t in e.inputs)}
    return RuleOfThumb(
        sum(meta.numel for meta in trace.params.values()), tokens, cost.training_macs,
        cost.total("activation_macs"),
        sum(layer.training_macs - layer.activation_macs for layer in cost.layers
            if layer.path in heads),
        sum(trace.params[name].numel for name in embedding),
        sum(meta.numel for name, meta in trace.params.items()
            if name not in embedding and len(meta.shape) <= 1))
