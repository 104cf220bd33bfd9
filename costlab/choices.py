"""The closed choices a user picks (dtype, view, conventions, optimizer), in a module
without torch or pandas, so that `costlab --help` and `costlab list` start at once."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from costlab.errors import OptionError

__all__ = ["Device", "DType", "View", "ParamConvention", "TraceDevice", "Optimizer",
           "parse_choice"]


class Device(StrEnum):
    """Where a model is run to time it (costlab latency)."""

    CPU = "cpu"
    CUDA = "cuda"


class DType(StrEnum):
    """Storage type of activations; only the element size matters here."""

    FP32 = "fp32"
    FP16 = "fp16"
    BF16 = "bf16"
    INT8 = "int8"

    @property
    def itemsize(self) -> int:
        """Bytes per element: 4, 2, 2, 1."""
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
    TRAINABLE = "trainable"  # every nn.Parameter that requires grad (frozen ones left out)


class TraceDevice(StrEnum):
    """Where the trace runs the model's ops."""

    AUTO = "auto"   # meta, and real CPU tensors when the model needs values (and fits)
    META = "meta"   # shapes only: nothing is computed or allocated
    CPU = "cpu"     # real tensors, random weights


class Optimizer(StrEnum):
    """Optimizers by the state they keep per parameter."""

    SGD = "sgd"            # none
    MOMENTUM = "momentum"  # one momentum buffer
    ADAM = "adam"          # first and second moments


Choice = TypeVar("Choice", bound=StrEnum)

# What each choice is called in an error message.
_WHAT: dict[type[StrEnum], str] = {DType: "dtype", View: "view",
                                   ParamConvention: "parameter convention",
                                   Optimizer: "optimizer", TraceDevice: "trace device"}


def parse_choice(kind: type[Choice], name: Choice | str) -> Choice:
    """`name` as a member of `kind`; an OptionError listing the members otherwise."""
    try:
        return kind(name)
    except ValueError:
        raise OptionError(f"unknown {_WHAT.get(kind, kind.__name__)} {name!r}; one of "
                          f"{', '.join(member.value for member in kind)}") from None
