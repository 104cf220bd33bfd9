"""The closed choices a user picks (output format, dtype, view, conventions), in a module
without torch or pandas, so that `costlab --help` and `costlab list` start at once."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from costlab.errors import OptionError

__all__ = ["DType", "View", "ParamConvention", "Optimizer", "parse_choice"]

E = TypeVar("E", bound=StrEnum)


def parse_choice(kind: type[E], value: str, what: str) -> E:
    """`kind(value)`, or an OptionError naming `what` and every allowed value."""
    try:
        return kind(value)
    except ValueError:
        raise OptionError(f"unknown {what} {value!r}; one of "
                          f"{', '.join(c.value for c in kind)}") from None


class DType(StrEnum):
    """Storage type of activations; only the element size matters here."""

    FP32 = "fp32"
    FP16 = "fp16"
    BF16 = "bf16"
    INT8 = "int8"

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}[self.value]


class View(StrEnum):
    """Which tensors count as materialized for the per-resolution maxima."""

    ALL = "all"                  # every tensor an op produces
    BLOCKS = "blocks"            # tensors crossing block boundaries (block inputs and outputs)
    BOTTLENECKS = "bottlenecks"  # outputs of composite blocks and of the head (Table 3's reading)


class ParamConvention(StrEnum):
    """Which tensors count as parameters."""

    TORCH = "torch"      # every nn.Parameter, batch-norm scale and shift included
    WEIGHTS = "weights"  # conv/linear weights and biases; batch norm left out (MobileNet papers)
    FOLDED = "folded"    # batch norm folded into the preceding conv/linear (the deployed model)
    KERAS = "keras"      # torch + batch norm's running mean and variance (Keras "params")


class Optimizer(StrEnum):
    """Optimizers by the state they keep per parameter."""

    SGD = "sgd"            # none
    MOMENTUM = "momentum"  # one momentum buffer
    ADAM = "adam"          # first and second moments
