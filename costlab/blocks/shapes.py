"""Output shapes of modules from their layers' arithmetic, so that the builder needs no
probe run for the layers it knows."""

from __future__ import annotations

import math
from typing import Any

from torch import nn

from costlab.units import Shape

__all__ = ["output_shape"]


# Modules whose output has the shape of their input.
_SAME_SHAPE = (nn.ReLU, nn.ReLU6, nn.Hardswish, nn.Hardsigmoid, nn.Sigmoid, nn.SiLU, nn.GELU,
               nn.Tanh, nn.Dropout, nn.Identity)


def _window(size: int, kernel: int, stride: int, padding: int, dilation: int,
            ceil: bool) -> int:
    """Output length of a conv or pooling window (torch's pooling_output_shape)."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil else 0)) // stride + 1
    if ceil and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _pair(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def output_shape(module: nn.Module, shape: Shape) -> Shape | None:
    """The output shape of `module` on an input of `shape`, from its layers' arithmetic, or
    None where it is not known (a custom forward without an `output_shape` method, an input
    the layer would refuse): the caller then runs the module. tests/blocks/test_build.py
    checks it against the traced shapes of every spec."""
    kind = type(module)
    own = getattr(module, "output_shape", None)
    if callable(own):
        found: Shape | None = own(shape)
        return found
    if isinstance(module, nn.Sequential) and kind.forward is nn.Sequential.forward:
        current: Shape | None = shape
        for child in module:
            current = None if current is None else output_shape(child, current)
        return current
    if kind in _SAME_SHAPE:
        return shape
    if len(shape) == 4 and isinstance(module, nn.Conv2d) and kind is nn.Conv2d \
            and isinstance(module.padding, tuple) \
            and module.padding_mode == "zeros" and shape[1] == module.in_channels:
        hw = (_window(shape[axis + 2], module.kernel_size[axis], module.stride[axis],
                      module.padding[axis], module.dilation[axis], False) for axis in (0, 1))
        return (shape[0], module.out_channels, *hw)
    if len(shape) == 4 and isinstance(module, nn.BatchNorm2d) and kind is nn.BatchNorm2d \
            and shape[1] == module.num_features:
        return shape
    if len(shape) == 4 and isinstance(module, nn.MaxPool2d | nn.AvgPool2d) \
            and kind in (nn.MaxPool2d, nn.AvgPool2d):
        return _pooled(module, shape)
    if len(shape) == 4 and isinstance(module, nn.AdaptiveAvgPool2d) \
            and kind is nn.AdaptiveAvgPool2d:
        height, width = _pair_or_none(module.output_size)
        return None if height is None or width is None \
            else (shape[0], shape[1], int(height), int(width))
    if isinstance(module, nn.Flatten) and kind is nn.Flatten and module.start_dim == 1 \
            and module.end_dim == -1 and len(shape) > 1:
        return (shape[0], math.prod(shape[1:]))
    if isinstance(module, nn.Linear) and kind is nn.Linear and shape \
            and shape[-1] == module.in_features:
        return (*shape[:-1], module.out_features)
    return None


def _pair_or_none(size: Any) -> tuple[Any, Any]:
    return (size, size) if not isinstance(size, tuple | list) else (size[0], size[1])


def _pooled(module: nn.MaxPool2d | nn.AvgPool2d, shape: Shape) -> Shape | None:
    kernel, stride = _pair(module.kernel_size), _pair(module.stride or module.kernel_size)
    padding = _pair(module.padding)
    dilation = _pair(module.dilation) if isinstance(module, nn.MaxPool2d) else (1, 1)
    if any(p > k // 2 for p, k in zip(padding, kernel, strict=True)):
        return None   # torch refuses it: let the probe say so
    hw = (_window(shape[axis + 2], kernel[axis], stride[axis], padding[axis], dilation[axis],
                  module.ceil_mode) for axis in (0, 1))
    return (shape[0], shape[1], *hw)
