"""The state threaded through the builder: current tensor shape, parameters, width scaling."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

__all__ = ["BuildContext", "WidthRounding", "Width", "make_divisible", "scale_channels"]

Width = Literal["scaled", "fixed", "no_shrink"]


class WidthRounding(StrEnum):
    """How alpha x channels becomes an integer channel count."""

    MAKE_DIVISIBLE = "make_divisible"  # TF/torchvision MobileNetV2: nearest multiple of 8, >= 90%
    FLOOR = "floor"                    # TF-slim MobileNetV1: int(c * alpha), at least 8
    EXACT = "exact"                    # round(c * alpha), at least 1


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """The reference rounding of MobileNetV2 (`_make_divisible` in TF and torchvision).

    Rounds to the nearest multiple of `divisor`, never below `min_value` (default: divisor)
    and never down by more than 10%.
    """
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def scale_channels(channels: int, alpha: float, rounding: WidthRounding | str,
                   width: Width = "scaled", divisor: int = 8) -> int:
    """Channels after the width multiplier, as the reference implementation rounds them.

    `width` says how a layer follows alpha: "scaled" always, "fixed" never (e.g. a classifier),
    "no_shrink" only when alpha > 1 (MobileNetV2's last 1280-channel conv).
    """
    if width == "fixed":
        return channels
    factor = max(alpha, 1.0) if width == "no_shrink" else alpha
    value = channels * factor
    match WidthRounding(rounding):
        case WidthRounding.MAKE_DIVISIBLE:
            return make_divisible(value, divisor)
        case WidthRounding.FLOOR:
            return max(int(value), min(8, channels))
        case WidthRounding.EXACT:
            return max(1, round(value))


class BuildContext:
    """Shape of the tensor entering the next block, and the resolved spec parameters.

    Builders read the parameters through `scale` only, so a block is a function of its
    arguments, its input shape and the answers `scale` gave: with `record`, those answers are
    kept in `queries` (and `read_params` says whether `params` was read directly), which is
    what the sweep's block cache (analyses/sweep_cache.py) keys on; `read_shape` says whether
    the builder looked at more of the shape than `channels` (else the module fits any size).
    """

    __slots__ = ("_params", "_shape", "queries", "read_params", "read_shape")

    def __init__(self, shape: tuple[int, ...], params: Mapping[str, Any], *,
                 record: bool = False) -> None:
        self._shape = shape
        self._params = params
        self.queries: list[tuple[int, str, int]] | None = [] if record else None
        self.read_params = False
        self.read_shape = False   # more than the batch and channels: the module may depend on it

    @property
    def shape(self) -> tuple[int, ...]:
        self.read_shape = True
        return self._shape

    @property
    def params(self) -> Mapping[str, Any]:
        self.read_params = True
        return self._params

    @property
    def channels(self) -> int:
        return self._shape[1]

    def scale(self, channels: int, width: Width = "scaled") -> int:
        """Output channels of a layer written as `channels` in the spec; a spec without an
        `alpha` parameter has no width multiplier, so its channels are taken as written."""
        params = self._params
        if "alpha" not in params:
            out = channels
        else:
            out = scale_channels(channels, float(params.get("alpha", 1.0)),
                                 params.get("rounding", WidthRounding.MAKE_DIVISIBLE), width,
                                 int(params.get("divisor", 8)))
        if self.queries is not None:
            self.queries.append((channels, width, out))
        return out
