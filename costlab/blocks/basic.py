"""Shape-plumbing blocks: pooling, flatten, dropout, linear, standalone activation and norm."""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch import nn

from costlab.blocks.context import BuildContext, Width
from costlab.blocks.layers import Activation, ChannelShuffle, make_activation
from costlab.blocks.registry import register_block

__all__ = ["PoolArgs", "LinearArgs", "ActArgs", "DropoutArgs", "NoArgs", "ChannelShuffleArgs"]


@dataclass(frozen=True)
class NoArgs:
    pass


@dataclass(frozen=True)
class PoolArgs:
    k: int                 # window
    s: int | None = None   # stride; default: the window
    p: int = 0
    ceil: bool = False     # ceil_mode, as Caffe-era nets (GoogLeNet, SqueezeNet) use

    def __post_init__(self) -> None:
        if self.k < 1 or (self.s is not None and self.s < 1) or self.p < 0:
            raise ValueError(f"pooling needs k >= 1, s >= 1, p >= 0; got k={self.k}, "
                             f"s={self.s}, p={self.p}")


@register_block("maxpool", PoolArgs)
def build_maxpool(args: PoolArgs, ctx: BuildContext) -> nn.Module:
    """Max pooling over k x k windows."""
    return nn.MaxPool2d(args.k, args.s, args.p, ceil_mode=args.ceil)


@register_block("avgpool", PoolArgs)
def build_avgpool(args: PoolArgs, ctx: BuildContext) -> nn.Module:
    """Average pooling over k x k windows."""
    return nn.AvgPool2d(args.k, args.s, args.p, ceil_mode=args.ceil)


@register_block("global_avgpool", NoArgs)
def build_global_avgpool(args: NoArgs, ctx: BuildContext) -> nn.Module:
    """Average over the whole spatial extent (to 1 x 1)."""
    return nn.AdaptiveAvgPool2d(1)


@dataclass(frozen=True)
class AdaptivePoolArgs:
    size: int              # output height and width

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError(f"size must be at least 1, got {self.size}")


@register_block("adaptive_avgpool", AdaptivePoolArgs)
def build_adaptive_avgpool(args: AdaptivePoolArgs, ctx: BuildContext) -> nn.Module:
    """Average pooling to a fixed output size (torchvision's AlexNet and VGG use 6 and 7)."""
    return nn.AdaptiveAvgPool2d(args.size)


@register_block("flatten", NoArgs)
def build_flatten(args: NoArgs, ctx: BuildContext) -> nn.Module:
    """Flattens all but the batch dimension."""
    return nn.Flatten()


@dataclass(frozen=True)
class DropoutArgs:
    p: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 <= self.p < 1.0:
            raise ValueError(f"dropout p must be in [0, 1), got {self.p}")


@register_block("dropout", DropoutArgs)
def build_dropout(args: DropoutArgs, ctx: BuildContext) -> nn.Module:
    """Dropout (free at inference: counted as no work)."""
    return nn.Dropout(args.p)


@dataclass(frozen=True)
class LinearArgs:
    out: int               # output features
    bias: bool = True
    act: Activation = "none"
    width: Width = "fixed"  # classifiers keep their size under the width multiplier

    def __post_init__(self) -> None:
        if self.out < 1:
            raise ValueError(f"out must be at least 1, got {self.out}")


@register_block("linear", LinearArgs)
def build_linear(args: LinearArgs, ctx: BuildContext) -> nn.Module:
    """Fully connected layer over a flat input, optionally with an activation."""
    if len(ctx.shape) > 2:
        raise ValueError("linear needs a flat input; add {op: flatten} before it")
    in_features = math.prod(ctx.shape[1:])
    linear = nn.Linear(in_features, ctx.scale(args.out, args.width), bias=args.bias)
    act = make_activation(args.act)
    if act is None:
        return linear
    return nn.Sequential(linear, act)


@dataclass(frozen=True)
class ActArgs:
    fn: Activation


@register_block("act", ActArgs)
def build_act(args: ActArgs, ctx: BuildContext) -> nn.Module:
    """A standalone activation."""
    return make_activation(args.fn) or nn.Identity()


@register_block("batchnorm", NoArgs)
def build_batchnorm(args: NoArgs, ctx: BuildContext) -> nn.Module:
    """A standalone batch norm over the current channels."""
    return nn.BatchNorm2d(ctx.channels)


@dataclass(frozen=True)
class ChannelShuffleArgs:
    g: int                 # groups

    def __post_init__(self) -> None:
        if self.g < 1:
            raise ValueError(f"g must be at least 1, got {self.g}")


@register_block("channel_shuffle", ChannelShuffleArgs)
def build_channel_shuffle(args: ChannelShuffleArgs, ctx: BuildContext) -> nn.Module:
    """ShuffleNet's channel shuffle across g groups."""
    if ctx.channels % args.g:
        raise ValueError(f"g={args.g} does not divide {ctx.channels} channels")
    return ChannelShuffle(args.g)
