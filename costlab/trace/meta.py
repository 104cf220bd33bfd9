"""Shape-only stand-ins for the hot meta kernels, and a dispatch mode that runs them (the
builder's shape probes and the recorder both use it)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import zip_longest
from typing import Any

import torch
from torch._prims_common import compute_elementwise_output_strides, suggest_memory_format
from torch.utils._python_dispatch import TorchDispatchMode

__all__ = ["FastMeta", "NoDynamoMode", "empty_meta", "op_tensors", "run_op"]


def empty_meta(x: torch.Tensor) -> torch.Tensor:
    """A meta tensor with x's shape, strides and dtype, as torch.empty_like makes it.

    empty_like on meta runs a Python stride computation (a tenth of a MobileNet's trace, with
    the stand-ins); for a dense x it keeps x's strides, which empty_strided sets directly.
    """
    if x.is_contiguous() or x.is_contiguous(memory_format=torch.channels_last):
        return torch.empty_strided(x.shape, x.stride(), dtype=x.dtype, device="meta")
    return torch.empty_like(x, device="meta")


_F32 = torch.float32
Fast = Callable[[Sequence[Any], Mapping[str, Any]], Any]


def _dense(x: Any) -> bool:
    """x is a float32 meta tensor with exactly the row-major strides of its shape."""
    if not (isinstance(x, torch.Tensor) and x.is_meta and x.dtype == _F32):
        return False
    expected, strides = 1, x.stride()
    for size, stride in zip(reversed(x.shape), reversed(strides), strict=True):
        if stride != expected:
            return False
        expected *= size
    return True


def _empty(shape: Sequence[int]) -> torch.Tensor:
    return torch.empty(shape, device="meta", dtype=_F32)


def _f32(x: Any) -> bool:
    return isinstance(x, torch.Tensor) and x.is_meta and x.dtype == _F32


def _broadcast_shape(*shapes: torch.Size) -> torch.Size | None:
    """The shape the shapes broadcast to; None where they do not (the kernel then says why)."""
    try:
        shape: torch.Size = torch.broadcast_shapes(*shapes)  # type: ignore[no-untyped-call]
    except RuntimeError:
        return None
    return shape


def _elementwise(*tensors: torch.Tensor) -> torch.Tensor | None:
    """The output of an elementwise op, as PyTorch's reference kernels make it: the inputs
    broadcast to one shape, the strides from torch's own elementwise stride rule."""
    if all(_dense(t) for t in tensors):
        # Row-major inputs give a row-major output. Decided here without torch's broadcast
        # and stride helpers, which import sympy (torch.fx.experimental.symbolic_shapes).
        dense = _row_major_broadcast([t.shape for t in tensors])
        return None if dense is None else _empty(dense)
    shape = _broadcast_shape(*(t.shape for t in tensors))
    if shape is None:
        return None
    expanded = [t if t.shape == shape else t.expand(shape) for t in tensors]
    return torch.empty_strided(shape, compute_elementwise_output_strides(*expanded),
                               device="meta", dtype=_F32)


def _row_major_broadcast(shapes: Sequence[Sequence[int]]) -> tuple[int, ...] | None:
    """NumPy broadcasting of the shapes; None where two sizes other than 1 differ."""
    out = []
    for sizes in zip_longest(*(reversed(s) for s in shapes), fillvalue=1):
        others = {size for size in sizes if size != 1}
        if len(others) > 1:
            return None
        out.append(others.pop() if others else 1)
    return tuple(reversed(out))


def _scalar(value: Any) -> bool:
    """A Python number that leaves a float32 tensor float32 (bool and complex are left out)."""
    return type(value) in (int, float)


def _same_as_input(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    return empty_meta(args[0])


def _input_itself(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    return args[0]


def _batch_norm_outputs(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    x = args[0]
    channels = (x.shape[1],)
    return (empty_meta(x), torch.empty(channels, device="meta", dtype=x.dtype),
            torch.empty(channels, device="meta", dtype=x.dtype))


def _batch_norm_backward_outputs(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    x, mask = args[1], args[9]
    channels = (x.shape[1],)
    grads = (empty_meta(x), torch.empty(channels, device="meta", dtype=x.dtype),
             torch.empty(channels, device="meta", dtype=x.dtype))
    return tuple(g if wanted else None for g, wanted in zip(grads, mask, strict=True))


def _binary(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    """add/sub/mul/div of two float32 tensors, or of one and a Python number."""
    x, y = args[0], args[1]
    if not _f32(x) or not all(_scalar(v) for v in (*args[2:], *kwargs.values())):
        return None
    if _scalar(y):
        return _elementwise(x)
    return _elementwise(x, y) if _f32(y) and (y.dim() or x.dim()) else None


def _tensor_and_scalar(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    if not _f32(args[0]) or not all(_scalar(v) for v in (*args[1:], *kwargs.values())):
        return None
    return _elementwise(args[0])


def _addmm(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    """bias + mat1 @ mat2: (n, k) @ (k, m) -> a row-major (n, m), whatever mat2's strides."""
    bias, mat1, mat2 = args[:3]
    if not (_f32(bias) and _f32(mat1) and _f32(mat2) and mat1.dim() == 2 and mat2.dim() == 2
            and mat1.shape[1] == mat2.shape[0]
            and all(_scalar(v) for v in (*args[3:], *kwargs.values()))):
        return None
    out_shape = torch.Size((mat1.shape[0], mat2.shape[1]))
    if _row_major_broadcast([bias.shape, out_shape]) != out_shape:
        return None
    return _empty(out_shape)


def _convolution(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    """A (non-transposed) convolution's output: batch, out channels, and per spatial dim
    (size + 2 x padding - dilation x (kernel - 1) - 1) // stride + 1, contiguous as the meta
    kernel makes it (new_empty), whatever the input's layout."""
    if len(args) != 9 or kwargs:
        return None
    x, weight, bias, stride, padding, dilation, transposed, _, groups = args
    spatial = x.dim() - 2 if isinstance(x, torch.Tensor) else -1
    if not (_f32(x) and _f32(weight) and transposed is False and type(groups) is int
            and groups > 0 and spatial in (1, 2, 3) and weight.dim() == x.dim()
            and x.shape[1] == weight.shape[1] * groups and weight.shape[0] % groups == 0
            and (bias is None or (_f32(bias) and tuple(bias.shape) == (weight.shape[0],)))
            and all(len(v) == spatial for v in (stride, padding, dilation))):
        return None
    sizes = [(size + 2 * pad - dil * (kernel - 1) - 1) // step + 1 for size, kernel, step, pad, dil
             in zip(x.shape[2:], weight.shape[2:], stride, padding, dilation, strict=True)]
    if min(sizes) < 1 or min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        return None
    return _empty((x.shape[0], weight.shape[0], *sizes))


def _mean_dim(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    x, dims = args[0], args[1] if len(args) > 1 else kwargs.get("dim")
    keepdim = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
    if not _f32(x) or x.dim() == 0 or len(args) > 3 or set(kwargs) - {"dim", "keepdim"} \
            or not isinstance(dims, (list, tuple)) or not dims:
        return None
    if not all(type(d) is int and -x.dim() <= d < x.dim() for d in dims):
        return None
    axes = {d % x.dim() for d in dims}
    if len(axes) != len(dims):
        return None
    if keepdim:
        return _empty([1 if axis in axes else size for axis, size in enumerate(x.shape)])
    return _empty([size for axis, size in enumerate(x.shape) if axis not in axes])


def _layer_norm(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    """(out, mean, rstd): mean and rstd keep the leading dims and a 1 per normalized dim."""
    x, normalized = args[0], args[1]
    if not _dense(x) or kwargs or not 0 < len(normalized) <= x.dim() \
            or tuple(x.shape[x.dim() - len(normalized):]) != tuple(normalized):
        return None
    if any(w is not None and not (_dense(w) and tuple(w.shape) == tuple(normalized))
           for w in args[2:4]):
        return None
    stats = (*x.shape[:x.dim() - len(normalized)], *[1] * len(normalized))
    return _empty(x.shape), _empty(stats), _empty(stats)


def _softmax(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    """softmax over one dim of a contiguous tensor: a contiguous tensor of its shape (a dtype
    argument and other layouts are left to the meta kernel)."""
    x, dim, extra = args[0], args[1], (*args[2:], *kwargs.values())
    if not _f32(x) or not x.is_contiguous() \
            or any(v is not None and v is not False for v in extra) \
            or type(dim) is not int or not -max(x.dim(), 1) <= dim < max(x.dim(), 1):
        return None
    return _empty(x.shape)


def _cat(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    """Same-rank non-empty tensors joined along one dim, in the memory format they share
    (contiguous unless all suggest another), as PyTorch's reference cat makes it."""
    tensors, dim = args[0], args[1] if len(args) > 1 else kwargs.get("dim", 0)
    if kwargs.keys() - {"dim"} or not tensors or not all(_f32(t) and t.numel() for t in tensors):
        return None
    first = tensors[0]
    if first.dim() == 0 or type(dim) is not int or not -first.dim() <= dim < first.dim():
        return None
    axis, shape = dim % first.dim(), list(first.shape)
    formats = {suggest_memory_format(t) for t in tensors}
    for t in tensors[1:]:
        if t.dim() != first.dim() or any(a != b for i, (a, b) in
                                         enumerate(zip(t.shape, first.shape, strict=True))
                                         if i != axis):
            return None
        shape[axis] += t.shape[axis]
    fmt = formats.pop() if len(formats) == 1 else torch.contiguous_format
    return torch.empty(shape, device="meta", dtype=_F32, memory_format=fmt)


_UNARY = ["relu", "hardtanh", "hardswish", "hardsigmoid", "sigmoid", "silu", "gelu", "tanh",
          "elu", "leaky_relu", "mish"]
_aten = torch.ops.aten
# PyTorch's meta kernels for these run as Python reference decompositions (about 1 ms per call,
# most of a MobileNet's trace time), and the first of them imports torch._dynamo (seconds);
# their outputs are made directly. Each returns None where its case is not covered, and the
# real kernel runs. tests/trace/test_meta.py checks each against the real meta kernel.
FAST_META: dict[Any, Fast] = {
    **{getattr(_aten, name).default: _same_as_input for name in _UNARY},
    **{getattr(_aten, name + "_").default: _input_itself for name in _UNARY},
    _aten.native_batch_norm.default: _batch_norm_outputs,
    _aten._native_batch_norm_legit_no_training.default: _batch_norm_outputs,
    **{getattr(_aten, name).Tensor: _binary for name in ("add", "sub", "mul", "div")},
    **{getattr(_aten, name).Scalar: _tensor_and_scalar for name in ("add", "sub", "mul", "div")},
    _aten.addmm.default: _addmm,
    _aten.convolution.default: _convolution,
    _aten.mean.dim: _mean_dim,
    _aten.native_layer_norm.default: _layer_norm,
    _aten._softmax.default: _softmax,
    _aten._safe_softmax.default: _softmax,
    _aten.cat.default: _cat,
    # A training trace's backward (costlab report --training): gradients of the input's shape.
    _aten.threshold_backward.default: _same_as_input,
    _aten.hardtanh_backward.default: _same_as_input,
    _aten.native_batch_norm_backward.default: _batch_norm_backward_outputs,
}
_CHECKED_BY_CALLER = frozenset(op for op, fast in FAST_META.items()
                               if fast in (_same_as_input, _input_itself, _batch_norm_outputs,
                                           _batch_norm_backward_outputs))


def run_op(func: Any, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    """func(*args, **kwargs), by a shape-only fast path where one covers the case."""
    fast = FAST_META.get(func)
    if fast is not None:
        if func in _CHECKED_BY_CALLER:
            x = args[0] if args else None
            if isinstance(x, torch.Tensor) and x.is_meta and x.dtype == _F32:
                return fast(args, kwargs)
        else:
            out = fast(args, kwargs)
            if out is not None:
                return out
    return func(*args, **kwargs)


def op_tensors(values: Iterable[Any]) -> Iterator[torch.Tensor]:
    """The tensors among an ATen op's arguments or results, in order.

    An ATen schema nests tensors one level deep at most (Tensor, Tensor?, Tensor[],
    Tensor?[]), so this is torch.utils._pytree.tree_leaves for them, at a tenth of its cost.
    """
    for value in values:
        if isinstance(value, torch.Tensor):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from (item for item in value if isinstance(item, torch.Tensor))


class NoDynamoMode(TorchDispatchMode):
    """A dispatch mode whose first op does not import torch._dynamo.

    TorchDispatchMode.__init_subclass__ wraps every subclass's __torch_dispatch__ in
    torch._disable_dynamo, whose first call imports torch._dynamo (1 to 4 s, the largest part
    of a `costlab report`); nothing here is compiled, so there is nothing for dynamo to skip.
    """

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # torch leaves it unannotated

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        return False


class FastMeta(NoDynamoMode):
    """Runs ops with the shape-only fast paths above (used by the builder's shape probes)."""

    def __torch_dispatch__(self, func: torch._ops.OpOverload, types: Sequence[type],
                           args: Sequence[Any] = (),
                           kwargs: Mapping[str, Any] | None = None) -> Any:
        return run_op(func, args, kwargs or {})
