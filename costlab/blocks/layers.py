"""Small modules the blocks are made of: conv + batch norm + activation, channel shuffle."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

__all__ = ["Activation", "ACTIVATIONS", "ConvBNAct", "ChannelShuffle", "make_activation"]

Activation = Literal["relu", "relu6", "hardswish", "hardsigmoid", "sigmoid", "silu", "gelu",
                     "tanh", "none"]

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "hardswish": nn.Hardswish,
    "hardsigmoid": nn.Hardsigmoid,
    "sigmoid": nn.Sigmoid,
    "silu": nn.SiLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
}


def make_activation(name: str) -> nn.Module | None:
    """The activation module for a spec name, or None for "none"."""
    return None if name == "none" else ACTIVATIONS[name]()


class ConvBNAct(nn.Sequential):
    """Conv2d, optional BatchNorm2d, optional activation: the unit every CNN here is made of."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, stride: int = 1, *,
                 groups: int = 1, act: str = "relu", bn: bool = True, bias: bool | None = None,
                 padding: int | None = None, dilation: int = 1) -> None:
        super().__init__()
        padding = (kernel - 1) // 2 * dilation if padding is None else padding
        self.conv = nn.Conv2d(in_channels, out_channels, kernel, stride, padding,
                              dilation=dilation, groups=groups,
                              bias=(not bn) if bias is None else bias)
        if bn:
            self.bn = nn.BatchNorm2d(out_channels)
        activation = make_activation(act)
        if activation is not None:
            self.act = activation


class ChannelShuffle(nn.Module):
    """Interleaves channels across groups (ShuffleNet): a reshape, a transpose and a copy."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        x = x.view(n, self.groups, c // self.groups, h, w).transpose(1, 2)
        return x.reshape(n, c, h, w)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
