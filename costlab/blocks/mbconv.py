"""MobileNetV2's inverted-residual bottleneck: expand 1x1, depthwise 3x3, linear project 1x1."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from costlab.blocks.context import BuildContext, Width
from costlab.blocks.layers import Activation, ConvBNAct
from costlab.blocks.registry import register_block
from costlab.blocks.shapes import output_shape
from costlab.units import Shape

__all__ = ["BottleneckArgs", "InvertedResidual"]


@dataclass(frozen=True)
class BottleneckArgs:
    t: int                 # expansion factor
    c: int                 # output channels before the width multiplier
    n: int = 1             # repeats
    s: int = 1             # stride of the first repeat
    k: int = 3
    act: Activation = "relu6"
    width: Width = "scaled"

    def __post_init__(self) -> None:
        for name in ("t", "c", "n", "s", "k"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")


class InvertedResidual(nn.Module):
    """Expansion (skipped when t = 1, as in the reference), depthwise, linear projection.

    The residual connection is used when the stride is 1 and input and output channels match.
    """

    def __init__(self, in_channels: int, out_channels: int, expansion: int, stride: int,
                 kernel: int = 3, act: str = "relu6") -> None:
        super().__init__()
        hidden = in_channels * expansion
        self.use_residual = stride == 1 and in_channels == out_channels
        if expansion != 1:
            self.expand = ConvBNAct(in_channels, hidden, 1, act=act)
        self.depthwise = ConvBNAct(hidden, hidden, kernel, stride, groups=hidden, act=act)
        self.project = ConvBNAct(hidden, out_channels, 1, act="none")

    def output_shape(self, shape: Shape) -> Shape | None:
        """The shape `forward` returns, from its layers' arithmetic (None where unknown)."""
        out: Shape | None = shape
        for layer in (getattr(self, "expand", None), self.depthwise, self.project):
            if layer is not None and out is not None:
                out = output_shape(layer, out)
        return None if self.use_residual and out != shape else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.expand(x) if hasattr(self, "expand") else x
        out = self.project(self.depthwise(out))
        return x + out if self.use_residual else out


@register_block("bottleneck", BottleneckArgs)
def build_bottleneck(args: BottleneckArgs, ctx: BuildContext) -> nn.Module:
    """MobileNetV2 bottleneck row `t c n s` (inverted residual with linear bottleneck)."""
    return InvertedResidual(ctx.channels, ctx.scale(args.c, args.width), args.t, args.s, args.k,
                            args.act)
