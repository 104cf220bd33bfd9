"""ShuffleNet v1's unit: grouped 1x1 convs around a depthwise 3x3, with a channel shuffle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from costlab.blocks.context import BuildContext
from costlab.blocks.layers import ChannelShuffle, ConvBNAct
from costlab.blocks.registry import register_block

__all__ = ["ShuffleUnitArgs", "ShuffleUnit", "STAGE2_CHANNELS"]

# ShuffleNet Table 1: Stage 2 output channels at scale 1x for each group count; Stage 3 and 4
# double them.
STAGE2_CHANNELS = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}


@dataclass(frozen=True)
class ShuffleUnitArgs:
    stage: int             # 2, 3 or 4 (Table 1)
    g: int                 # groups of the 1x1 convolutions
    n: int = 1             # repeats
    s: int = 2             # stride of the first repeat
    first_group: bool = True  # False: the first 1x1 of Stage 2 is not grouped (paper, sec. 3.3)

    LATER_REPEATS: ClassVar[dict[str, object]] = {"s": 1, "first_group": True}

    def __post_init__(self) -> None:
        if self.stage not in (2, 3, 4):
            raise ValueError(f"stage must be 2, 3 or 4, got {self.stage}")
        if self.g not in STAGE2_CHANNELS:
            raise ValueError(f"g must be one of {sorted(STAGE2_CHANNELS)}, got {self.g}")
        if self.n < 1 or self.s not in (1, 2):
            raise ValueError(f"need n >= 1 and s in (1, 2); got n={self.n}, s={self.s}")


class ShuffleUnit(nn.Module):
    """Stride 1: x + (GConv, shuffle, DWConv, GConv), then ReLU. Stride 2: concat of a 3x3
    average-pooled shortcut and the branch (whose output is out - in channels), then ReLU."""

    def __init__(self, in_channels: int, out_channels: int, groups: int, stride: int,
                 first_group: bool) -> None:
        super().__init__()
        self.stride = stride
        branch_out = out_channels - in_channels if stride == 2 else out_channels
        branch_out -= branch_out % groups      # keep the grouped conv valid at tiny scales
        mid = out_channels // 4
        self.compress = ConvBNAct(in_channels, mid, 1, groups=groups if first_group else 1)
        self.shuffle = ChannelShuffle(groups)
        self.depthwise = ConvBNAct(mid, mid, 3, stride, groups=mid, act="none")
        self.expand = ConvBNAct(mid, branch_out, 1, groups=groups, act="none")
        if stride == 2:
            self.shortcut = nn.AvgPool2d(3, 2, 1)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.expand(self.depthwise(self.shuffle(self.compress(x))))
        joined = torch.cat([self.shortcut(x), out], dim=1) if self.stride == 2 else x + out
        result: torch.Tensor = self.act(joined)
        return result


@register_block("shuffle_unit", ShuffleUnitArgs)
def build_shuffle_unit(args: ShuffleUnitArgs, ctx: BuildContext) -> nn.Module:
    """ShuffleNet v1 unit of Stage 2-4 (Table 1); channels scaled by alpha (the paper's s),
    rounded to a multiple of 4g so that the bottleneck (out/4) splits into g groups."""
    base = STAGE2_CHANNELS[args.g] * 2 ** (args.stage - 2)
    quantum = 4 * args.g
    out = max(quantum, round(ctx.scale(base) / quantum) * quantum)
    if ctx.channels % args.g and args.first_group:
        raise ValueError(f"g={args.g} does not divide the {ctx.channels} input channels")
    return ShuffleUnit(ctx.channels, out, args.g, args.s, args.first_group)
