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

__all__ = ["TensorMeta", "OpEvent", "ModuleCall", "Trace", "InputSpec", "as_input",
           "INPUT_DTYPES", "trace_module", "FastMeta"]

Shape = tuple[int, ...]

# Element types a model input can be given in (`--input 1x128:int64` for token ids).
INPUT_DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16,
    "float64": torch.float64, "int64": torch.int64, "int32": torch.int32, "bool": torch.bool,
}


@dataclass(frozen=True, slots=True)
class InputSpec:
    """One model input: its shape and element type (float32 unless the model wants token
    ids, indices or a mask)."""

    shape: Shape
    dtype: torch.dtype = torch.float32

    def __str__(self) -> str:
        """`1x3x224x224`, or `1x128:int64` for another type: what --input reads."""
        text = "x".join(map(str, self.shape))
        if self.dtype == torch.float32:
            return text
        return text + ":" + next(k for k, v in INPUT_DTYPES.items() if v == self.dtype)

    def tensor(self, device: str = "meta") -> torch.Tensor:
        """A meta tensor of this spec, or a real one: random floats, or zeros (a valid token
        id, index and mask) for integer and bool inputs."""
        if device == "meta" or not self.dtype.is_floating_point:
            empty = torch.empty if device == "meta" else torch.zeros
            return empty(self.shape, dtype=self.dtype, device=device)
        return torch.randn(self.shape, dtype=self.dtype, device=device)


def as_input(value: InputSpec | Shape | torch.Tensor) -> InputSpec:
    """An InputSpec from a spec, a shape (float32) or a tensor (its shape and dtype)."""
    if isinstance(value, InputSpec):
        return value
    if isinstance(value, torch.Tensor):
        return InputSpec(tuple(value.shape), value.dtype)
    return InputSpec(tuple(value))


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
        count = 1
        for size in self.shape:
            count *= size
        return count

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


def _empty_meta(x: torch.Tensor) -> torch.Tensor:
    """A meta tensor with x's shape, strides and dtype, as torch.empty_like makes it.

    empty_like on meta runs a Python stride computation (a tenth of a MobileNet's trace, with
    the stand-ins); for a dense x it keeps x's strides, which empty_strided sets directly.
    """
    if x.is_contiguous() or x.is_contiguous(memory_format=torch.channels_last):
        return torch.empty_strided(x.shape, x.stride(), dtype=x.dtype, device="meta")
    return torch.empty_like(x, device="meta")


def _same_as_input(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    return _empty_meta(args[0])


def _input_itself(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    return args[0]


def _batch_norm_outputs(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    x = args[0]
    channels = (x.shape[1],)
    return (_empty_meta(x), torch.empty(channels, device="meta", dtype=x.dtype),
            torch.empty(channels, device="meta", dtype=x.dtype))


_UNARY = ["relu", "hardtanh", "hardswish", "hardsigmoid", "sigmoid", "silu", "gelu", "tanh",
          "elu", "leaky_relu", "mish"]
# PyTorch's meta kernels for these run as Python reference decompositions (about 1 ms per call,
# most of a MobileNet's trace time); their outputs are the input's shape, so they are made
# directly. tests/test_trace.py checks each against the real meta kernel.
_FAST_META: dict[Any, Callable[[Sequence[Any], Mapping[str, Any]], Any]] = {
    **{getattr(torch.ops.aten, name).default: _same_as_input for name in _UNARY},
    **{getattr(torch.ops.aten, name + "_").default: _input_itself for name in _UNARY},
    torch.ops.aten.native_batch_norm.default: _batch_norm_outputs,
    torch.ops.aten._native_batch_norm_legit_no_training.default: _batch_norm_outputs,
}


def _run(func: Any, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    fast = _FAST_META.get(func)
    x = args[0] if args else None
    if fast is not None and isinstance(x, torch.Tensor) and x.is_meta \
            and x.dtype == torch.float32:
        return fast(args, kwargs)
    return func(*args, **kwargs)


class FastMeta(TorchDispatchMode):
    """Runs ops with the shape-only fast paths above (used by the builder's shape probes)."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # torch leaves it unannotated

    def __torch_dispatch__(self, func: torch._ops.OpOverload, types: Sequence[type],
                           args: Sequence[Any] = (),
                           kwargs: Mapping[str, Any] | None = None) -> Any:
        return _run(func, args, kwargs or {})


class _Recorder(TorchDispatchMode):
    def __init__(self, registry: _Registry, scope: Callable[[], tuple[str, str]]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # torch leaves it unannotated
        self.registry, self.scope = registry, scope
        self.events: list[OpEvent] = []

    def __torch_dispatch__(self, func: torch._ops.OpOverload, types: Sequence[type],
                           args: Sequence[Any] = (),
                           kwargs: Mapping[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        out = _run(func, args, kwargs)
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
    except Exception as exc:  # noqa: BLE001 - any failure inside user code becomes a TraceError
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
    stand_in = _empty_meta(tensor)
    return nn.Parameter(stand_in, requires_grad=tensor.requires_grad) if wrap else stand_in
