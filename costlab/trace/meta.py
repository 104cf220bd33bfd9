"""Shape-only stand-ins for the hot meta kernels, and a dispatch mode that runs them (the
builder's shape probes and the recorder both use it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

__all__ = ["FastMeta", "empty_meta", "run_op"]


def empty_meta(x: torch.Tensor) -> torch.Tensor:
    """A meta tensor with x's shape, strides and dtype, as torch.empty_like makes it.

    empty_like on meta runs a Python stride computation (a tenth of a MobileNet's trace, with
    the stand-ins); for a dense x it keeps x's strides, which empty_strided sets directly.
    """
    if x.is_contiguous() or x.is_contiguous(memory_format=torch.channels_last):
        return torch.empty_strided(x.shape, x.stride(), dtype=x.dtype, device="meta")
    return torch.empty_like(x, device="meta")


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


_UNARY = ["relu", "hardtanh", "hardswish", "hardsigmoid", "sigmoid", "silu", "gelu", "tanh",
          "elu", "leaky_relu", "mish"]
# PyTorch's meta kernels for these run as Python reference decompositions (about 1 ms per call,
# most of a MobileNet's trace time); their outputs are the input's shape, so they are made
# directly. tests/test_trace.py checks each against the real meta kernel.
FAST_META: dict[Any, Callable[[Sequence[Any], Mapping[str, Any]], Any]] = {
    **{getattr(torch.ops.aten, name).default: _same_as_input for name in _UNARY},
    **{getattr(torch.ops.aten, name + "_").default: _input_itself for name in _UNARY},
    torch.ops.aten.native_batch_norm.default: _batch_norm_outputs,
    torch.ops.aten._native_batch_norm_legit_no_training.default: _batch_norm_outputs,
    # A training trace's backward (costlab report --training): gradients of the input's shape.
    torch.ops.aten.threshold_backward.default: _same_as_input,
    torch.ops.aten.hardtanh_backward.default: _same_as_input,
    torch.ops.aten.native_batch_norm_backward.default: _batch_norm_backward_outputs,
}


def run_op(func: Any, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    fast = FAST_META.get(func)
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
        return run_op(func, args, kwargs or {})


