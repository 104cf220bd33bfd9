"""Run a module once on meta tensors and record every ATen op with the module that ran it.

The tracer knows nothing about cost. It allocates nothing proportional to the weights (real
weights are replaced by meta stand-ins for the run) and leaves no trace on the model: global
hooks are removed in `finally`, training flags are restored, no attribute or buffer is added.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import torch
from torch import nn
from torch.nn.modules import module as module_hooks
from torch.nn.modules.lazy import LazyModuleMixin
from torch.utils._pytree import tree_leaves

from costlab.choices import TraceDevice, parse_choice
from costlab.errors import TraceError, describe
from costlab.trace.autograd import NodeScopes, Phase, Slot
from costlab.trace.inputs import InputSpec, as_input
from costlab.trace.meta import NoDynamoMode, empty_meta, op_tensors, run_op
from costlab.units import Shape, numel

__all__ = ["TensorMeta", "OpEvent", "ModuleCall", "Phase", "Trace", "trace_module"]

@dataclasses.dataclass(frozen=True, slots=True)
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


@dataclasses.dataclass(frozen=True, slots=True)
class OpEvent:
    """One ATen op as run: its overload, arguments bound to schema names, tensors in and out."""

    index: int
    op: torch._ops.OpOverload
    module: str          # dotted path of the innermost module running; "" is the root
    module_type: str
    args: Mapping[str, Any]
    inputs: tuple[TensorMeta, ...]
    outputs: tuple[TensorMeta, ...]
    phase: Phase = Phase.FORWARD   # a training trace's backward ops: which gradient they feed

    @property
    def name(self) -> str:
        return str(self.op)

    def arg(self, name: str, default: Any = None) -> Any:
        return self.args.get(name, default)


@dataclasses.dataclass(frozen=True, slots=True)
class ModuleCall:
    """One call of a module's forward: its tensors in and out and the ops it spans."""

    path: str
    module_type: str
    inputs: tuple[TensorMeta, ...]
    outputs: tuple[TensorMeta, ...]
    first_event: int
    end_event: int       # one past the last event run inside the call
    depth: int


@dataclasses.dataclass(frozen=True, slots=True)
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
    frozen: frozenset[str] = frozenset()   # parameters that do not require grad
    device: str = "meta"                   # where the ops ran: "meta", or "cpu" (random weights)
    device_reason: str = ""                # why not meta, when device is "cpu"


class _Registry:
    """Gives every tensor seen a stable id. Tensors are looked up by Python id, which a freed
    tensor hands on to the next one made: on meta tensors (no storage) every tensor is kept
    until the trace returns; on real ones (`keep_alive` false) an entry goes when its tensor
    is freed, so the run holds what the model holds, not every activation it made."""

    def __init__(self, keep_alive: bool) -> None:
        self._metas: dict[int, TensorMeta] = {}
        self._alive: list[torch.Tensor] | None = [] if keep_alive else None
        self._count = 0

    def meta(self, tensor: torch.Tensor, kind: str = "activation",
             storage: int | None = None) -> TensorMeta:
        shape = tuple(tensor.shape)
        found = self._metas.get(id(tensor))
        if found is not None and found.shape == shape:
            return found
        tid = self._count
        self._count += 1
        if self._alive is not None:
            self._alive.append(tensor)
        else:
            weakref.finalize(tensor, self._metas.pop, id(tensor), None)
        meta = TensorMeta(tid, tid if storage is None else storage, shape, tensor.dtype, kind)
        self._metas[id(tensor)] = meta
        return meta

    def known(self, tensor: torch.Tensor) -> TensorMeta | None:
        return self._metas.get(id(tensor))

    def metas(self, kind: str) -> list[TensorMeta]:
        return [m for m in self._metas.values() if m.kind == kind]


@dataclasses.dataclass(frozen=True, slots=True)
class _Schema:
    """What the recorder reads of an op's schema, read once per op (schemas are immutable)."""

    positional: tuple[str, ...]              # names of the arguments not keyword-only
    aliases: tuple[tuple[str, ...], ...]     # per return: the arguments it may alias
    tensor_lists: frozenset[str]             # arguments that may be lists of tensors

    @classmethod
    def of(cls, func: torch._ops.OpOverload) -> _Schema:
        schema = func._schema
        aliases = []
        for ret in schema.returns:
            info = ret.alias_info
            aliases.append(() if info is None else tuple(
                a.name for a in schema.arguments
                if a.alias_info is not None and a.alias_info.before_set & info.before_set))
        lists = frozenset(a.name for a in schema.arguments   # Tensor[], Tensor?[] (or Any)
                          if ("List" in str(a.type) and "Tensor" in str(a.type))
                          or "Any" in str(a.type))
        return cls(tuple(a.name for a in schema.arguments if not a.kwarg_only), tuple(aliases),
                   lists)


_SCHEMAS: dict[torch._ops.OpOverload, _Schema] = {}


class _Recorder(NoDynamoMode):
    def __init__(self, registry: _Registry, scope: Callable[[], tuple[str, str]]) -> None:
        super().__init__()
        self.registry, self.scope = registry, scope
        self.events: list[OpEvent] = []
        self.current: torch._ops.OpOverload | None = None   # the op running, named on failure

    def __torch_dispatch__(self, func: torch._ops.OpOverload, types: Sequence[type],
                           args: Sequence[Any] = (),
                           kwargs: Mapping[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        self.current = func
        out = run_op(func, args, kwargs)
        schema = _SCHEMAS.get(func)
        if schema is None:
            schema = _SCHEMAS[func] = _Schema.of(func)
        bound = dict(zip(schema.positional, args, strict=False))
        if kwargs:
            bound.update(kwargs)
        # One pass over the arguments: the tensors in, and the arguments with each tensor
        # as its TensorMeta (ATen nests tensors one level deep at most).
        inputs: list[TensorMeta] = []
        metas: dict[str, Any] = {}
        for name, value in bound.items():
            if isinstance(value, torch.Tensor):
                value = self._input(value)
                inputs.append(value)
            elif name in schema.tensor_lists and isinstance(value, (list, tuple)) \
                    and any(isinstance(v, torch.Tensor) for v in value):
                items = [self._input(v) if isinstance(v, torch.Tensor) else v for v in value]
                inputs.extend(v for v in items if isinstance(v, TensorMeta))
                value = type(value)(items)
            metas[name] = value
        outputs = self._outputs(schema, bound, out)
        path, kind = self.scope()
        self.events.append(OpEvent(len(self.events), func, path, kind, metas, tuple(inputs),
                                   outputs))
        return out

    def _input(self, tensor: torch.Tensor) -> TensorMeta:
        return self.registry.known(tensor) or self.registry.meta(tensor, "input")

    def _outputs(self, schema: _Schema, bound: Mapping[str, Any],
                 out: Any) -> tuple[TensorMeta, ...]:
        if isinstance(out, torch.Tensor) and not schema.aliases[0]:   # most ops: a new tensor
            return (self.registry.meta(out, "activation"),)
        results = list(op_tensors(out if isinstance(out, (list, tuple)) else (out,)))
        metas = []
        for index, tensor in enumerate(results):
            source = _aliased_input(schema.aliases[index], bound) \
                if index < len(schema.aliases) else None
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


def _aliased_input(names: Sequence[str], bound: Mapping[str, Any]) -> torch.Tensor | None:
    """The input a returned tensor aliases (a view or an in-place result), if any: the first
    argument sharing its alias set that was given a tensor."""
    for name in names:
        value = bound.get(name)
        if isinstance(value, torch.Tensor):
            return value
    return None


def trace_module(model: nn.Module,
                 inputs: Iterable[torch.Tensor | Shape | InputSpec] | Mapping[str, Any],
                 *, device: TraceDevice | str = TraceDevice.AUTO, vocab_size: int | None = None,
                 memory_limit_bytes: int | None = None, training: bool = False,
                 frozen: Collection[str] = (), input_grads: bool = False) -> Trace:
    """Runs `model` once in eval mode on meta tensors and returns the recorded ops.

    `inputs` are tensors, shapes (float32) or InputSpecs (a named one is a keyword argument), or
    a dict of keyword inputs. Parameters are swapped for stand-ins for the duration of the call.
    With device `auto`, a meta run that needs a value (`.item()`, `if y.sum() > 0`, `nonzero`,
    `tolist`) is run again on real CPU tensors with random weights, by the same recorder, when
    it fits under `memory_limit_bytes` (default: half the available RAM; the estimate is the
    weights plus `_made_bytes`, at least the weights again); `meta` or `cpu` forces one.
    `Trace.device` and `Trace.device_reason` say which ran and why.
    With `training`, the forward runs in train mode with autograd on, then the backward of
    every floating-point output (as from a loss on them) is recorded too, each op with the
    module whose forward made its autograd node (see trace/autograd.py) and its Phase.
    `frozen` parameters (qualified names) get no gradient; with `input_grads` the floating
    inputs need one (as a layer inside a larger network does).
    Raises TraceError naming the op and module that failed and what the user can do.
    """
    device = parse_choice(TraceDevice, device)
    specs = _input_specs(inputs)
    with _collector_paused():
        walk = _Walk(model)
        if _materialize_lazy(model, walk, specs):
            walk = _Walk(model)   # a first call may change more than the lazy parameters
        return _trace(model, walk, specs, device, vocab_size, memory_limit_bytes,
                      (training, frozen, input_grads))


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for the trace: everything a trace allocates lives
    until it returns, so the collections its allocations trigger (a tenth of a MobileNet's
    trace, each walking every object of the process) would free nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _trace(model: nn.Module, walk: _Walk, specs: Sequence[InputSpec | torch.Tensor],
           device: TraceDevice, vocab_size: int | None, memory_limit_bytes: int | None,
           step: tuple[bool, Collection[str], bool]) -> Trace:
    """trace_module's meta run, and the real run where that needs values."""
    if device is TraceDevice.CPU:
        return _record(model, walk, specs, "cpu", vocab_size, "asked for (--device cpu)",
                       *step)
    try:
        return _record(model, walk, specs, "meta", vocab_size, "", *step)
    except _Failure as failure:
        if device is TraceDevice.META or not failure.needs_values:
            raise failure.error() from failure.cause
        meta_failure = failure
    weight_bytes = sum(t.numel() * t.element_size()
                       for t in (*model.parameters(), *model.buffers()))
    tensor_bytes = max(meta_failure.made_bytes, weight_bytes)
    limit = memory_limit_bytes if memory_limit_bytes is not None else _default_limit()
    if weight_bytes + tensor_bytes > limit:
        raise meta_failure.error(hint=f"; a real CPU run needs about "
                                      f"{weight_bytes + tensor_bytes:,} bytes (weights "
                                      f"{weight_bytes:,} + inputs and activations "
                                      f"{tensor_bytes:,}), over the memory limit "
                                      f"({limit:,} bytes): make the model or its inputs "
                                      "smaller, or give --device cpu") \
            from meta_failure.cause
    reason = f"the meta trace needs values: {meta_failure.summary()}"
    try:
        return _record(model, walk, specs, "cpu", vocab_size, reason, *step)
    except _Failure as failure:
        raise failure.error(hint=f" (on real CPU tensors, after the meta trace failed: "
                                 f"{meta_failure.summary()})") from failure.cause


def _input_specs(inputs: Iterable[torch.Tensor | Shape | InputSpec] | Mapping[str, Any]
                 ) -> list[InputSpec | torch.Tensor]:
    if isinstance(inputs, Mapping):
        return [as_input(v, k) for k, v in inputs.items()]
    return [t if isinstance(t, torch.Tensor) else as_input(t) for t in inputs]


def _made_bytes(events: Sequence[OpEvent], inputs: Iterable[TensorMeta]) -> int:
    """The bytes of the inputs and of every tensor the ops made (views and in-place results
    share their input's storage and count once).

    The real CPU run frees each tensor the model drops (see _Registry), so what it holds at
    once is at most this sum over the whole forward; taken from the meta run's ops before it
    failed, the sum covers only part of it. The fallback estimates the run's memory as the
    weights plus the larger of this and the weights' own bytes again (a forward that fails
    early, as an attention mask's `.all()` at a Hugging Face model's start, has recorded
    almost nothing; the whole forward's tensors come within a small factor of the weights for
    CNNs at their crop size and for decoders at a few thousand tokens).
    """
    made = {t.storage: t.numel * t.itemsize for t in inputs}
    for event in events:
        for out in event.outputs:
            if out.kind == "activation" and out.storage == out.tid:
                made[out.storage] = out.numel * out.itemsize
    return sum(made.values())


def _default_limit() -> int:
    """Half the RAM available now: a real run allocates weights and every activation."""
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError):   # not on this platform: a conservative 4 GiB
        return 4 << 30


def _materialize_lazy(model: nn.Module, walk: _Walk,
                      specs: Sequence[InputSpec | torch.Tensor]) -> bool:
    """Lazy modules (nn.LazyLinear) get their shapes from a first call: one is run on meta
    tensors, which gives them meta parameters (the one change the trace makes to a model).
    Returns whether there were any."""
    if not any(isinstance(m, LazyModuleMixin) and m.has_uninitialized_params()
               for _, m in walk.modules):
        return False
    for _, module in walk.modules:   # so that they materialize on meta
        for name, param in list(module._parameters.items()):
            if isinstance(param, nn.UninitializedParameter):
                module._parameters[name] = nn.UninitializedParameter(param.requires_grad,
                                                                     device="meta")
    args, kwargs = _call_tensors(specs, "meta", None)
    stand_ins = {name: _meta_like(t, None) for name, t in
                 (*model.named_parameters(), *model.named_buffers())
                 if not isinstance(t, nn.UninitializedParameter | nn.UninitializedBuffer)}
    training = model.training
    try:
        with torch.device("meta"), torch.no_grad():
            torch.func.functional_call(model.eval(), stand_ins, tuple(args), kwargs,
                                       strict=False)
    except Exception as exc:  # noqa: BLE001 - user code
        raise TraceError(f"materializing the lazy modules of {type(model).__name__} on "
                         f"meta failed: {describe(exc)}") from exc
    finally:
        model.train(training)
    return True


def _call_tensors(specs: Sequence[InputSpec | torch.Tensor], device: str,
                  vocab_size: int | None) -> tuple[list[torch.Tensor], dict[str, torch.Tensor]]:
    args: list[torch.Tensor] = []
    kwargs: dict[str, torch.Tensor] = {}
    for spec in specs:
        if isinstance(spec, torch.Tensor):
            args.append(spec.to("meta") if device == "meta" or spec.is_meta else spec)
        elif spec.name is None:
            args.append(spec.tensor(device, vocab_size))
        else:
            kwargs[spec.name] = spec.tensor(device, vocab_size)
    return args, kwargs


class _Failure(Exception):
    """The model failed inside the trace: the op and module running, and the cause."""

    def __init__(self, cause: BaseException, op: str, path: str, kind: str,
                 device: str, made_bytes: int = 0) -> None:
        super().__init__(str(cause))
        self.cause, self.op, self.path, self.kind, self.device = cause, op, path, kind, device
        self.made_bytes = made_bytes   # the tensors made before the failure: _made_bytes

    @property
    def needs_values(self) -> bool:
        """The meta device cannot run this op: it reads a value or has a data-dependent shape
        (every such error from PyTorch names the meta device)."""
        return self.device == "meta" and "meta" in str(self.cause).lower()

    def summary(self) -> str:
        at = f"{self.op} in " if self.op else ""
        return f"{at}module {self.path or '<root>'!r} ({self.kind}): {describe(self.cause)}"

    def error(self, hint: str = "") -> TraceError:
        what = f"on {self.device} tensors" if self.device == "cpu" else "on meta tensors"
        if not hint and self.needs_values:
            hint = "; this op needs real values: give --device cpu (or device='cpu')"
        return TraceError(f"model failed {what} while running {self.summary()}{hint}")


def _record(model: nn.Module, walk: _Walk, specs: Sequence[InputSpec | torch.Tensor],
            device: str,
            vocab_size: int | None, reason: str, training: bool = False,
            frozen: Collection[str] = (), input_grads: bool = False) -> Trace:
    """One recorded run on `device` ("meta", or "cpu" with random weights); with `training`,
    its backward too."""
    registry = _Registry(keep_alive=device == "meta")
    names = walk.paths
    stack: list[tuple[str, str, int, tuple[TensorMeta, ...]]] = []
    scopes: list[tuple[str, str]] = []   # stack's (path, type), the scope of each op
    calls: list[ModuleCall] = []
    nodes = NodeScopes(lambda: scopes[-1] if scopes else ("", ""),
                       lambda: len(recorder.events))
    recorder = _Recorder(registry, lambda: scopes[-1] if scopes else nodes.current)

    def enter(module: nn.Module, args: Any) -> None:
        path = names.get(id(module))
        if path is not None:
            metas = tuple(registry.known(t) or registry.meta(t, "input")
                          for t in _tensors(args))
            scope = (path, type(module).__name__)
            stack.append((*scope, len(recorder.events), metas))
            scopes.append(scope)

    def leave(module: nn.Module, args: Any, output: Any) -> None:
        path = names.get(id(module))
        if path is not None and stack and stack[-1][0] == path:
            _, kind, first, metas = stack.pop()
            scopes.pop()
            outs = tuple(registry.known(t) or registry.meta(t) for t in _tensors(output))
            calls.append(ModuleCall(path, kind, metas, outs, first, len(recorder.events),
                                    path.count(".") + 1 if path else 0))

    # A forward may set attributes (torchvision's anchor generator moves its cell anchors to
    # the input's device): each module's attributes (its training flag too) are put back as
    # they were afterwards. That also puts back the parameter and buffer tables, which the
    # run swaps for tables of stand-ins.
    states = [(m, dict(vars(m))) for _, m in walk.modules]
    handles = [module_hooks.register_module_forward_pre_hook(enter),
               module_hooks.register_module_forward_hook(leave)]
    forward_events = -1
    # Inside torch.inference_mode() the dispatcher skips the decompositions the rules key on
    # (linear stays linear): the trace always runs outside it, under no_grad unless training.
    try:
        with torch.inference_mode(False), torch.no_grad():
            swapped = walk.swap_in(lambda t, wrap: _stand_in(t, wrap, device))
            for name in frozen:
                swapped.params[name].requires_grad_(False)
            params = {name: registry.meta(t, "param") for name, t in swapped.params.items()}
            buffers = {name: registry.meta(t, "buffer") for name, t in swapped.buffers.items()}
            args, kwargs = _call_tensors(specs, device, vocab_size)
            for arg in (*args, *kwargs.values()):
                arg.requires_grad_(input_grads and training and arg.dtype.is_floating_point)
            input_metas = tuple(registry.meta(t, "input") for t in (*args, *kwargs.values()))
            if any(m.training != training or type(m).train is not nn.Module.train
                   for _, m in walk.modules):   # else model.train would change nothing
                model.train(training)
            with torch.enable_grad() if training else contextlib.nullcontext(), \
                    torch.device(device), recorder, \
                    nodes.hook() if training else contextlib.nullcontext():
                # tensors a forward makes go to `device` too
                output = model(*args, **kwargs)
            forward_events = len(recorder.events)
            if training:
                with torch.enable_grad():
                    _backward(_plain(output), recorder)
            outputs = tuple(registry.known(t) or registry.meta(t)
                            for t in tree_leaves(_plain(output)) if isinstance(t, torch.Tensor))
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - user code: a TraceError
        if forward_events >= 0 and training:   # the forward ran: its backward failed
            path, kind = nodes.current
            raise TraceError(f"backward failed in the gradient of module {path or '<root>'!r} "
                             f"({kind or type(model).__name__}): {describe(exc)}") from exc
        path, kind = scopes[-1] if scopes else ("", type(model).__name__)
        op = "" if recorder.current is None else str(recorder.current)
        made = _made_bytes(recorder.events, registry.metas("input"))
        raise _Failure(exc, op, path, kind, device, made) from exc
    finally:
        for handle in handles:
            handle.remove()
        for module, state in states:
            vars(module).clear()
            vars(module).update(state)
    calls.sort(key=lambda c: (c.first_event, c.depth))
    module_types = {name: type(m).__name__ for name, m in walk.modules}
    batch_norms = frozenset(name for name, m in walk.modules
                            if isinstance(m, nn.modules.batchnorm._BatchNorm))
    without_grad = frozenset(swapped.frozen)
    events = _label_backward(recorder.events, forward_events, nodes, registry) if training \
        else tuple(recorder.events)
    return Trace(events, tuple(calls), input_metas, outputs, params, buffers,
                 module_types, batch_norms, without_grad, device, reason)


class _Walk:
    """One walk of a model's modules, for everything the trace reads of its structure.

    `paths` names each module by its last path (as a dict over named_modules with duplicates
    ends up), `modules` lists each once at its first path (named_modules without duplicates).
    """

    def __init__(self, model: nn.Module) -> None:
        self.paths: dict[int, str] = {}
        self.modules: list[tuple[str, nn.Module]] = []
        for path, module in model.named_modules(remove_duplicate=False):
            if id(module) not in self.paths:
                self.modules.append((path, module))
            self.paths[id(module)] = path

    def swap_in(self, make: Callable[[torch.Tensor, type | None], torch.Tensor]) -> _StandIns:
        """Each module's parameter and buffer tables replaced by tables of stand-ins, made
        by `make(tensor, nn.Parameter or None)` once per tensor (tied weights stay tied), as
        torch.func.functional_call swaps them, at a fraction of its cost. The caller puts the
        modules' own tables back."""
        swapped = _StandIns({}, {}, [])
        made: dict[str, dict[int, torch.Tensor]] = {"_parameters": {}, "_buffers": {}}
        for prefix, module in self.modules:
            state = vars(module)
            for table, found, wrap in (("_parameters", swapped.params, nn.Parameter),
                                       ("_buffers", swapped.buffers, None)):
                if not state[table]:
                    continue
                stand_ins: dict[str, torch.Tensor | None] = {}
                for name, tensor in state[table].items():
                    stand_in = None if tensor is None else made[table].get(id(tensor))
                    if tensor is not None and stand_in is None:
                        stand_in = made[table][id(tensor)] = make(tensor, wrap)
                        qualified = f"{prefix}.{name}" if prefix else name
                        found[qualified] = stand_in
                        if wrap is not None and not tensor.requires_grad:
                            swapped.frozen.append(qualified)
                    stand_ins[name] = stand_in
                state[table] = stand_ins
        return swapped


@dataclasses.dataclass(frozen=True, slots=True)
class _StandIns:
    """The stand-ins swapped in, by qualified name, each tensor once at its first name (the
    names of named_parameters() and named_buffers()), and the parameters that need no grad."""

    params: dict[str, torch.Tensor]
    buffers: dict[str, torch.Tensor]
    frozen: list[str]


def _tensors(value: Any) -> Sequence[torch.Tensor]:
    """The tensors in a module's arguments or output (tree_leaves, short-cut for the usual
    tensor or tuple of tensors)."""
    if isinstance(value, torch.Tensor):
        return (value,)
    if type(value) is tuple and all(isinstance(v, torch.Tensor) for v in value):
        return value
    return [t for t in tree_leaves(value) if isinstance(t, torch.Tensor)]


def _plain(output: Any) -> Any:
    """ModelOutput and dataclass outputs as plain containers, so every tensor in them is seen."""
    if dataclasses.is_dataclass(output) and not isinstance(output, type):
        return [getattr(output, f.name) for f in dataclasses.fields(output)]
    if isinstance(output, Mapping):
        return list(output.values())
    return output


def _stand_in(tensor: torch.Tensor, wrap: type | None, device: str) -> torch.Tensor:
    """A meta copy of the tensor; on the CPU, a real one: the buffer's own values (forwards
    index with them), random weights for a meta parameter."""
    if device == "meta":
        return _meta_like(tensor, wrap)
    if tensor.is_meta:
        real = torch.randn(tensor.shape, dtype=tensor.dtype) if tensor.dtype.is_floating_point \
            else torch.zeros(tensor.shape, dtype=tensor.dtype)
    else:
        real = tensor.detach().clone()
    return nn.Parameter(real, requires_grad=tensor.requires_grad) if wrap else real


def _backward(output: Any, recorder: _Recorder) -> None:
    """Backward from every floating-point output that needs a gradient, seeded with a
    gradient of its shape (made outside the recorder: it is the loss's, not the model's)."""
    roots = [t for t in tree_leaves(output) if isinstance(t, torch.Tensor) and t.requires_grad]
    seeds = [empty_meta(t) for t in roots]
    if roots:
        with recorder:
            torch.autograd.backward(roots, seeds)


def _label_backward(events: Sequence[OpEvent], start: int, nodes: NodeScopes,
                    registry: _Registry) -> tuple[OpEvent, ...]:
    """Backward ops whose results flow, within their node, only into gradients bound for
    parameters are BACKWARD_WEIGHT; the other backward ops are BACKWARD_INPUT."""
    labels = [Phase.FORWARD] * start + [Phase.BACKWARD_INPUT] * (len(events) - start)
    ends = [record.first_event for record in nodes.ran[1:]] + [len(events)]
    for record, end in zip(nodes.ran, ends, strict=True):
        producers: dict[int, list[int]] = {}
        for index in range(record.first_event, end):
            for out in events[index].outputs:
                producers.setdefault(out.tid, []).append(index)
        reached: dict[int, set[Slot]] = {}
        if record.param_only:   # a parameter's AccumulateGrad (or a view of a weight)
            reached = {index: {Slot.WEIGHT} for index in range(record.first_event, end)}
        for slot, grad in zip(record.slots, record.grads, strict=False):
            meta = registry.known(grad) if grad is not None else None
            todo = [(meta.tid, end)] if meta is not None else []
            while todo:
                tid, before = todo.pop()
                made = max((i for i in producers.get(tid, ()) if i < before), default=-1)
                if made < 0 or slot in reached.setdefault(made, set()):
                    continue
                reached[made].add(slot)
                todo.extend((t.tid, made) for t in events[made].inputs)
        for index, slots in reached.items():
            if slots == {Slot.WEIGHT}:
                labels[index] = Phase.BACKWARD_WEIGHT
    return tuple(e if e.phase is label else replace(e, phase=label)
                 for e, label in zip(events, labels, strict=True))


def _meta_like(tensor: torch.Tensor, wrap: type | None) -> torch.Tensor:
    stand_in = empty_meta(tensor)
    return nn.Parameter(stand_in, requires_grad=tensor.requires_grad) if wrap else stand_in
