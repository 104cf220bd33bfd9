"""Model inputs: their shapes and element types, and how --input writes them."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch

from costlab.errors import OptionError
from costlab.units import Shape

__all__ = ["MAX_SIZE", "MAX_NUMEL", "INPUT_DTYPES", "InputSpec", "Input", "Inputs", "as_input",
           "as_inputs", "call_args", "parse_input", "parse_shape", "bounded_shape"]

MAX_SIZE = 2**31 - 1    # torch's sizes are C++ integers
MAX_NUMEL = 2**40       # a tensor of a terabyte of elements: beyond any model costlab counts

# Element types a model input can be given in (`--input 1x128:int64` for token ids).
INPUT_DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16,
    "float64": torch.float64, "int64": torch.int64, "int32": torch.int32, "bool": torch.bool,
}


@dataclass(frozen=True, slots=True)
class InputSpec:
    """One model input: its shape, element type (float32 unless the model wants token ids,
    indices or a mask) and, for a keyword argument of forward, its name."""

    shape: Shape
    dtype: torch.dtype = torch.float32
    name: str | None = None   # None: positional

    def __str__(self) -> str:
        """`1x3x224x224`, `1x128:int64` for another type, `input_ids=1x128:int64` for a keyword
        input: what --input reads."""
        text = "x".join(map(str, self.shape))
        if self.dtype != torch.float32:
            text += ":" + next(k for k, v in INPUT_DTYPES.items() if v == self.dtype)
        return text if self.name is None else f"{self.name}={text}"

    def tensor(self, device: str = "meta", vocab_size: int | None = None) -> torch.Tensor:
        """A meta tensor of this spec, or a real one: random floats; for integer inputs, ones
        for a mask (named `*mask*`), random ids below `vocab_size` when it is known, else zeros
        (a valid token id and index); bool inputs are all True."""
        if device == "meta":
            return torch.empty(self.shape, dtype=self.dtype, device=device)
        if self.dtype.is_floating_point:
            return torch.randn(self.shape, dtype=self.dtype, device=device)
        if self.dtype == torch.bool or "mask" in (self.name or ""):
            return torch.ones(self.shape, dtype=self.dtype, device=device)
        if vocab_size:
            return torch.randint(0, vocab_size, self.shape, dtype=self.dtype, device=device)
        return torch.zeros(self.shape, dtype=self.dtype, device=device)


def as_input(value: InputSpec | Shape | torch.Tensor, name: str | None = None) -> InputSpec:
    """An InputSpec from a spec, a shape (float32) or a tensor (its shape and dtype); `name`
    makes it a keyword input."""
    if isinstance(value, InputSpec):
        spec = value
    elif isinstance(value, torch.Tensor):
        spec = InputSpec(tuple(value.shape), value.dtype)
    else:
        spec = InputSpec(tuple(value))
    return spec if name is None else replace(spec, name=name)


Input = InputSpec | Shape   # a shape alone is a float32 input
# What the API takes as inputs: positional inputs, a dict of keyword inputs, or a callable
# returning (args, kwargs) of tensors, shapes or InputSpecs.
Inputs = Sequence[Input | torch.Tensor] | Mapping[str, Input | torch.Tensor] | \
    Callable[[], tuple[Sequence[Any], Mapping[str, Any]]]


def as_inputs(value: Inputs) -> tuple[InputSpec, ...]:
    """Positional inputs first, then keyword inputs by name, from any form `Inputs` allows."""
    if callable(value):
        args, kwargs = value()
        return (*(as_input(a) for a in args), *(as_input(v, k) for k, v in kwargs.items()))
    if isinstance(value, Mapping):
        return tuple(as_input(v, k) for k, v in value.items())
    specs = tuple(as_input(v) for v in value)
    names = [s.name for s in specs if s.name is not None]
    if len(names) != len(set(names)):
        raise OptionError(f"input {next(n for n in names if names.count(n) > 1)!r} is given "
                          "twice")
    return specs


def call_args(inputs: Sequence[InputSpec], device: str = "meta", vocab_size: int | None = None
              ) -> tuple[tuple[torch.Tensor, ...], dict[str, torch.Tensor]]:
    """The positional and keyword tensors a forward is called with."""
    args = tuple(i.tensor(device, vocab_size) for i in inputs if i.name is None)
    kwargs = {i.name: i.tensor(device, vocab_size) for i in inputs if i.name is not None}
    return args, kwargs


def parse_input(text: str) -> InputSpec:
    """`1x3x224x224` -> a float32 input; `1x128:int64` -> token ids (see INPUT_DTYPES);
    `attention_mask=1x128:int64` -> the keyword input `attention_mask`."""
    name, equals, rest = text.partition("=")
    if equals and not name.strip().isidentifier():
        raise OptionError(f"bad input name {name.strip()!r} in {text!r}; write "
                          "NAME=SHAPE[:DTYPE], e.g. input_ids=1x128:int64")
    shape, colon, dtype = (rest if equals else text).partition(":")
    if colon and dtype.strip().lower() not in INPUT_DTYPES:
        raise OptionError(f"bad input type {dtype!r} in {text!r}; one of "
                          f"{', '.join(INPUT_DTYPES)}")
    return InputSpec(parse_shape(shape),
                     INPUT_DTYPES[dtype.strip().lower()] if colon else torch.float32,
                     name.strip() if equals else None)


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
