"""Convolution blocks: plain conv (standard, grouped, depthwise) and MobileNetV1's separable."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from costlab.blocks.context import BuildContext, Width
from costlab.blocks.layers import Activation, ConvBNAct
from costlab.blocks.registry import register_block

__all__ = ["ConvArgs", "SeparableArgs", "DepthwiseSeparable"]


def _positive(**values: int | None) -> None:
    for name, value in values.items():
        if value is not None and value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")


@dataclass(frozen=True)
class ConvArgs:
    c: int                 # output channels before the width multiplier
    k: int = 3             # kernel size
    s: int = 1             # stride (of the first repeat)
    n: int = 1             # repeats
    g: int = 1             # groups; ignored when dw is true
    dw: bool = False       # depthwise: groups = input channels = output channels
    act: Activation = "relu"
    bn: bool = True
    bias: bool | None = None  # default: a bias only when there is no batch norm
    p: int | None = None   # padding; default (k - 1) // 2
    d: int = 1             # dilation
    width: Width = "scaled"
    # Output channels taken as written, overriding c and alpha when above 0: a reference
    # implementation's own table (ShuffleNet 1.5x keeps a 24-channel Conv1).
    c_fixed: int = 0

    def __post_init__(self) -> None:
        _positive(c=self.c, k=self.k, s=self.s, n=self.n, g=self.g, d=self.d)
        if self.c_fixed < 0:
            raise ValueError(f"c_fixed must be at least 0, got {self.c_fixed}")


@register_block("conv", ConvArgs)
def build_conv(args: ConvArgs, ctx: BuildContext) -> nn.Module:
    """Conv2d + batch norm + activation; standard, grouped (g) or depthwise (dw)."""
    out = ctx.channels if args.dw else args.c_fixed or ctx.scale(args.c, args.width)
    groups = ctx.channels if args.dw else args.g
    if ctx.channels % groups or out % groups:
        raise ValueError(f"groups={groups} must divide input ({ctx.channels}) and output "
                         f"({out}) channels")
    return ConvBNAct(ctx.channels, out, args.k, args.s, groups=groups, act=args.act, bn=args.bn,
                     bias=args.bias, padding=args.p, dilation=args.d)


@dataclass(frozen=True)
class SeparableArgs:
    c: int                 # pointwise output channels before the width multiplier
    s: int = 1             # stride of the depthwise conv (first repeat)
    n: int = 1
    k: int = 3
    act: Activation = "relu"
    width: Width = "scaled"

    def __post_init__(self) -> None:
        _positive(c=self.c, s=self.s, n=self.n, k=self.k)


class DepthwiseSeparable(nn.Sequential):
    """MobileNetV1's layer: k x k depthwise conv, then 1 x 1 pointwise conv, each with BN + act."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, stride: int,
                 act: str) -> None:
        super().__init__()
        self.depthwise = ConvBNAct(in_channels, in_channels, kernel, stride,
                                   groups=in_channels, act=act)
        self.pointwise = ConvBNAct(in_channels, out_channels, 1, act=act)


@register_block("dwsep", SeparableArgs)
def build_separable(args: SeparableArgs, ctx: BuildContext) -> nn.Module:
    """Depthwise-separable convolution (MobileNetV1, Table 1: "Conv dw" + "Conv 1x1")."""
    return DepthwiseSeparable(ctx.channels, ctx.scale(args.c, args.width), args.k, args.s,
                              args.act)
