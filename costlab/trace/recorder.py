"""Run a module once on meta tensors and record every ATen op with the module that ran it.

The tracer knows nothing about cost. It allocates nothing proportional to the weights (real
weights are replaced by meta stand-ins for the run) and leaves no trace on the model: global
hooks are removed in `finally`, training flags are restored, no attribute or buffer is added.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.modules import module as module_hooks
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves, tree_map

from costlab.errors import TraceError, describe
from costlab.trace.inputs import InputSpec, as_input
from costlab.trace.meta import empty_meta, run_op
from costlab.units import Shape, numel

__all__ = ["TensorMeta", "OpEvent", "ModuleCall", "Trace", "trace_module"]

@dataclass(frozen=True, slots=True)
class TensorMeta:
    """A tensor reduced to what costing needs: identity, storage identity, shape and dtype.

    `kind` is "param", "buffer", "input" (a model input) or "activation" (made by an op).
    Views share the `storage` of the tensor they alias; `tid` is unique per tensor object.
    """

    tid: int
    storage: int
    shape: Shape
    dtype: torch.dtype
    kind: str

    @property
    def numel(self) -> int:
        return numel(self.shape)

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize


@dataclass(frozen=True, slots=True)
class OpEvent:
    """One ATen op as run: its overload, arguments bound to schema names, tensors in and out."""

    index: int
    op: torch._ops.OpOverload
    module: str          # dotted path of the innermost module running; "" is the root
    module_type: str
    args: Mapping[str, Any]
    inputs: tuple[TensorMeta, ...]
    outputs: tuple[TensorMeta, ...]

    @property
    def name(self) -> str:
        return str(self.op)

    def arg(self, name: str, default: Any = None) -> Any:
        return self.args.get(name, default)


@dataclass(frozen=True, slots=True)
class ModuleCall:
    """One call of a module's forward: its tensors in and out and the ops it spans."""

    path: str
    module_type: str
    inputs: tuple[TensorMeta, ...]
    outputs: tuple[TensorMeta, ...]
    first_event: int
    end_event: int       # one past the last event run inside the call
    depth: int


@dataclass(frozen=True, slots=True)
class Trace:
    """The recorded op graph of one forward pass, and the model's parameter tensors."""

    events: tuple[OpEvent, ...]
    calls: tuple[ModuleCall, ...]
    inputs: tuple[TensorMeta, ...]
    outputs: tuple[TensorMeta, ...]
    params: Mapping[str, TensorMeta]       # qualified name -> parameter
    buffers: Mapping[str, TensorMeta]
    module_types: Mapping[str, str]        # path -> class name, for every submodule
    batch_norms: frozenset[str]            # paths of batch-norm modules (for param conventions)


class _Registry:
    """Gives every tensor seen a stable id; holds references so Python ids are never reused."""

    def __init__(self) -> None:
        self._metas: dict[int, TensorMeta] = {}
        self._alive: list[torch.Tensor] = []

    def meta(self, tensor: torch.Tensor, kind: str = "activation",
             storage: int | None = None) -> TensorMeta:
        found = self._metas.get(id(tensor))
        if found is not None and found.shape == tuple(tensor.shape):
            return found
        tid = len(self._alive)
        self._alive.append(tensor)
        meta = TensorMeta(tid, tid if storage is None else storage, tuple(tensor.shape),
                          tensor.dtype, kind)
        self._metas[id(tensor)] = meta
        return meta

    def known(self, tensor: torch.Tensor) -> TensorMeta | None:
        return self._metas.get(id(tensor))


class _Recorder(TorchDispatchMode):
    def __init__(self, registry: _Registry, scope: Callable[[], tuple[str, str]]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # torch leaves it unannotated
        self.registry, self.scope = registry, scope
        self.events: list[OpEvent] = []

    def __torch_dispatch__(self, func: torch._ops.OpOverload, types: Sequence[type],
                           args: Sequence[Any] = (),
                           kwargs: Mapping[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        out = run_op(func, args, kwargs)
        bound = _bind(func, args, kwargs)
        inputs = tuple(self._input(t) for t in tree_leaves((args, kwargs))
                       if isinstance(t, torch.Tensor))
        outputs = self._outputs(func, bound, out)
        metas = tree_map(lambda v: self.registry.known(v) if isinstance(v, torch.Tensor) else v,
                         bound)
        path, kind = self.scope()
        self.events.append(OpEvent(len(self.events), func, path, kind, metas, inputs, outputs))
        return out

    def _input(self, tensor: torch.Tensor) -> TensorMeta:
        return self.registry.known(tensor) or self.registry.meta(tensor, "input")

    def _outputs(self, func: Any, bound: Mapping[str, Any], out: Any) -> tuple[TensorMeta, ...]:
        results = [t for t in tree_leaves(out) if isinstance(t, torch.Tensor)]
        returns = func._schema.returns
        metas = []
        for index, tensor in enumerate(results):
            alias = returns[index].alias_info if index < len(returns) else None
            source = _aliased_input(func, bound, alias)
            if source is not None and source is tensor:   # in-place op: the same tensor
                metas.append(self._input(tensor))
                continue
            if source is None:
                metas.append(self.registry.meta(tensor, "activation"))
                continue
            aliased = self._input(source)
            # A view of a weight (linear's aten.t) is still a weight, not an activation.
            kind = aliased.kind if aliased.kind in ("param", "buffer") else "activation"
            metas.append(self.registry.meta(tensor, kind, aliased.storage))
        return tuple(metas)


def _aliased_input(func: Any, bound: Mapping[str, Any], alias: Any) -> torch.Tensor | None:
    """The input a returned tensor aliases (a view or an in-place result), if any."""
    if alias is None:
        return None
    for argument in func._schema.arguments:
        info = argument.alias_info
        if info is not None and info.before_set & alias.before_set:
            value = bound.get(argument.name)
            if isinstance(value, torch.Tensor):
                return value
    return None


def _bind(func: Any, args: Sequence[Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Positional and keyword arguments by schema name; defaults are not filled in."""
    bound: dict[str, Any] = {}
    positional = [a for a in func._schema.arguments if not a.kwarg_only]
    for argument, value in zip(positional, args, strict=False):
        bound[argument.name] = value
    bound.update(kwargs)
    return bound


def trace_module(model: nn.Module, inputs: Iterable[torch.Tensor | Shape | InputSpec]) -> Trace:
    """Runs `model` once in eval mode on meta tensors and returns the recorded ops.

    `inputs` are tensors or shapes (a shape becomes a float32 meta tensor). Real parameters
    are swapped for meta stand-ins for the duration of the call only.
    Raises TraceError naming the module that was running when the model failed.
    """
    registry = _Registry()
    names = {id(m): name for name, m in model.named_modules(remove_duplicate=False)}
    module_types = {name: type(m).__name__ for name, m in model.named_modules()}
    stack: list[tuple[str, str, int, tuple[TensorMeta, ...]]] = []
    calls: list[ModuleCall] = []
    recorder = _Recorder(registry, lambda: stack[-1][:2] if stack else ("", ""))

    def enter(module: nn.Module, args: Any) -> None:
        if id(module) in names:
            metas = tuple(registry.known(t) or registry.meta(t, "input")
                          for t in tree_leaves(args) if isinstance(t, torch.Tensor))
            stack.append((names[id(module)], type(module).__name__, len(recorder.events), metas))

    def leave(module: nn.Module, args: Any, output: Any) -> None:
        if id(module) in names and stack and stack[-1][0] == names[id(module)]:
            path, kind, first, metas = stack.pop()
            outs = tuple(registry.known(t) or registry.meta(t) for t in tree_leaves(output)
                         if isinstance(t, torch.Tensor))
            calls.append(ModuleCall(path, kind, metas, outs, first, len(recorder.events),
                                    path.count(".") + 1 if path else 0))

    stand_ins = {name: _meta_like(t, nn.Parameter) for name, t in model.named_parameters()}
    stand_ins |= {name: _meta_like(t, None) for name, t in model.named_buffers()}
    params = {name: registry.meta(t, "param") for name, t in stand_ins.items()
              if isinstance(t, nn.Parameter)}
    buffers = {name: registry.meta(t, "buffer") for name, t in stand_ins.items()
               if not isinstance(t, nn.Parameter)}
    args = [t.to("meta") if isinstance(t, torch.Tensor) else as_input(t).tensor("meta")
            for t in inputs]
    input_metas = tuple(registry.meta(t, "input") for t in args)

    modes = [(m, m.training) for m in model.modules()]
    handles = [module_hooks.register_module_forward_pre_hook(enter),
               module_hooks.register_module_forward_hook(leave)]
    try:
        model.eval()
        with torch.no_grad(), recorder:
            output = torch.func.functional_call(model, stand_ins, tuple(args), strict=False,
                                                tie_weights=True)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - user code: a TraceError
        where = stack[-1][0] if stack else ""
        raise TraceError(f"model failed while running module {where or '<root>'!r} "
                         f"({stack[-1][1] if stack else type(model).__name__}): "
                         f"{describe(exc)}") from exc
    finally:
        for handle in handles:
            handle.remove()
        for module, training in modes:
            module.training = training
    outputs = tuple(registry.known(t) or registry.meta(t) for t in tree_leaves(output)
                    if isinstance(t, torch.Tensor))
    calls.sort(key=lambda c: (c.first_event, c.depth))
    batch_norms = frozenset(name for name, m in model.named_modules()
                            if isinstance(m, nn.modules.batchnorm._BatchNorm))
    return Trace(tuple(recorder.events), tuple(calls), input_metas, outputs, params, buffers,
                 module_types, batch_norms)


def _meta_like(tensor: torch.Tensor, wrap: type | None) -> torch.Tensor:
    stand_in = empty_meta(tensor)
    return nn.Parameter(stand_in, requires_grad=tensor.requires_grad) if wrap else stand_in
