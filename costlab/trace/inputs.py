"""Model inputs: their shapes and element types, and how --input writes them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from costlab.errors import OptionError
from costlab.units import Shape

__all__ = ["MAX_SIZE", "MAX_NUMEL", "INPUT_DTYPES", "InputSpec", "Input", "as_input",
           "parse_input", "parse_shape", "bounded_shape"]

MAX_SIZE = 2**31 - 1    # torch's sizes are C++ integers
MAX_NUMEL = 2**40       # a tensor of a terabyte of elements: beyond any model costlab counts

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



Input = InputSpec | Shape   # a shape alone is a float32 input


def parse_input(text: str) -> InputSpec:
    """`1x3x224x224` -> a float32 input; `1x128:int64` -> token ids (see INPUT_DTYPES)."""
    shape, colon, dtype = text.partition(":")
    if colon and dtype.strip().lower() not in INPUT_DTYPES:
        raise OptionError(f"bad input type {dtype!r} in {text!r}; one of "
                          f"{', '.join(INPUT_DTYPES)}")
    return InputSpec(parse_shape(shape),
                     INPUT_DTYPES[dtype.strip().lower()] if colon else torch.float32)


def parse_shape(text: str) -> Shape:
    """`1x3x224x224` -> (1, 3, 224, 224)."""
    try:
        shape = tuple(int(part) for part in text.lower().split("x"))
    except ValueError:
        raise OptionError(f"bad input shape {text!r}; write it as 1x3x224x224") from None
    if not shape or any(size < 1 for size in shape):
        raise OptionError(f"bad input shape {text!r}; every size must be at least 1")
    return bounded_shape(shape, text)


def bounded_shape(shape: Shape, text: str | None = None) -> Shape:
    """`shape`, when torch can hold it; an OptionError naming it (as `text`) otherwise."""
    if any(size > MAX_SIZE for size in shape) or math.prod(shape) > MAX_NUMEL:
        shown = text or "x".join(map(str, shape))
        raise OptionError(f"input shape {shown!r} is too large: at most {MAX_SIZE:,} per "
                          f"dimension and {MAX_NUMEL:,} elements")
    return shape
