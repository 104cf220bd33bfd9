"""ResNet's basic and bottleneck residual blocks, as torchvision implements them (v1.5)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from costlab.blocks.context import BuildContext, Width
from costlab.blocks.layers import ConvBNAct
from costlab.blocks.registry import register_block

__all__ = ["ResidualArgs", "ResidualBlock"]


@dataclass(frozen=True)
class ResidualArgs:
    c: int                 # inner width (basic: also the output; bottleneck: output is c * e)
    n: int = 1
    s: int = 1
    e: int = 4             # bottleneck expansion; unused by the basic block
    width: Width = "scaled"

    def __post_init__(self) -> None:
        for name in ("c", "n", "s", "e"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")


class ResidualBlock(nn.Module):
    """A stack of convs plus a shortcut (1x1 conv + BN when the shape changes), then ReLU."""

    def __init__(self, body: nn.Sequential, in_channels: int, out_channels: int,
                 stride: int) -> None:
        super().__init__()
        self.body = body
        if stride != 1 or in_channels != out_channels:
            self.downsample = ConvBNAct(in_channels, out_channels, 1, stride, act="none")
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = self.downsample(x) if hasattr(self, "downsample") else x
        out: torch.Tensor = self.act(self.body(x) + shortcut)
        return out


@register_block("basic", ResidualArgs)
def build_basic(args: ResidualArgs, ctx: BuildContext) -> nn.Module:
    """ResNet basic block: 3x3 conv (stride s), 3x3 conv, shortcut."""
    out = ctx.scale(args.c, args.width)
    body = nn.Sequential()
    body.add_module("conv1", ConvBNAct(ctx.channels, out, 3, args.s))
    body.add_module("conv2", ConvBNAct(out, out, 3, act="none"))
    return ResidualBlock(body, ctx.channels, out, args.s)


@register_block("resnet_bottleneck", ResidualArgs)
def build_resnet_bottleneck(args: ResidualArgs, ctx: BuildContext) -> nn.Module:
    """ResNet bottleneck block: 1x1 reduce, 3x3 (stride s, as torchvision), 1x1 expand by e."""
    inner = ctx.scale(args.c, args.width)
    out = inner * args.e
    body = nn.Sequential()
    body.add_module("conv1", ConvBNAct(ctx.channels, inner, 1))
    body.add_module("conv2", ConvBNAct(inner, inner, 3, args.s))
    body.add_module("conv3", ConvBNAct(inner, out, 1, act="none"))
    return ResidualBlock(body, ctx.channels, out, args.s)
