"""NASNet-A (Zoph et al. 2018): normal and reduction cells found by architecture search.

A cell reads the two previous cells' outputs (`cur`, the latest, and `prev`), adjusts both to
the cell's width with 1x1 convs (or a factorized reduction when `prev` is twice as large),
combines them in five pairwise sums of the ops below, and concatenates the results. The cells
are written as tables (NORMAL, REDUCTION) that read like Figure 4 of the paper.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from costlab.blocks.context import BuildContext
from costlab.blocks.registry import register_block

__all__ = ["NasnetArgs", "NasnetCell", "NasnetBody", "NORMAL", "REDUCTION"]

CellInput = str | int    # "cur", "prev", or the index of an earlier combination in the cell
Combination = tuple[tuple[str, CellInput], tuple[str, CellInput]]

# Figure 4 (left): the NASNet-A normal cell; its output concatenates prev and all five sums.
NORMAL: tuple[Combination, ...] = (
    (("sep5", "cur"), ("sep3", "prev")),
    (("sep5", "prev"), ("sep3", "prev")),
    (("avg3", "cur"), ("id", "prev")),
    (("avg3", "prev"), ("avg3", "prev")),
    (("sep3", "cur"), ("id", "cur")),
)
NORMAL_OUTPUT: tuple[CellInput, ...] = ("prev", 0, 1, 2, 3, 4)

# Figure 4 (right): the reduction cell; ops on a cell input have stride 2.
REDUCTION: tuple[Combination, ...] = (
    (("sep5/2", "cur"), ("sep7/2", "prev")),
    (("max3/2", "cur"), ("sep7/2", "prev")),
    (("avg3/2", "cur"), ("sep5/2", "prev")),
    (("avg3", 0), ("id", 1)),
    (("sep3", 0), ("max3/2", "cur")),
)
REDUCTION_OUTPUT: tuple[CellInput, ...] = (1, 2, 3, 4)


class ReluConvBN(nn.Sequential):
    """ReLU, 1x1 conv, batch norm: how a cell brings an input to its width."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.relu = nn.ReLU()
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)


class FactorizedReduce(nn.Module):
    """Halves the resolution of `prev`: two stride-2 1x1 convs, one on a one-pixel-shifted
    input, each to half the channels, concatenated and normalized."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.relu = nn.ReLU()
        self.path_1 = nn.Conv2d(in_channels, out_channels // 2, 1, 2, bias=False)
        self.path_2 = nn.Conv2d(in_channels, out_channels - out_channels // 2, 1, 2, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        shifted = nn.functional.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]
        out: torch.Tensor = self.bn(torch.cat([self.path_1(x), self.path_2(shifted)], dim=1))
        return out


class SeparableBranch(nn.Sequential):
    """NASNet's separable op: (ReLU, depthwise k x k, pointwise, BN) twice, the first with the
    stride; the first pointwise already maps to the output width."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, stride: int) -> None:
        super().__init__()
        pad = kernel // 2
        for index, (cin, s) in enumerate(((in_channels, stride), (out_channels, 1)), 1):
            self.add_module(f"relu{index}", nn.ReLU())
            self.add_module(f"depthwise{index}", nn.Conv2d(cin, cin, kernel, s, pad, groups=cin,
                                                           bias=False))
            self.add_module(f"pointwise{index}", nn.Conv2d(cin, out_channels, 1, bias=False))
            self.add_module(f"bn{index}", nn.BatchNorm2d(out_channels, eps=0.001))


def _make_op(name: str, channels: int, width: int) -> nn.Module:
    kind, _, stride_text = name.partition("/")
    stride = int(stride_text or 1)
    if kind.startswith("sep"):
        return SeparableBranch(channels, width, int(kind[3:]), stride)
    if kind == "avg3":
        return nn.AvgPool2d(3, stride, 1, count_include_pad=False)
    if kind == "max3":
        return nn.MaxPool2d(3, stride, 1)
    if kind == "id":
        return nn.Identity()
    raise ValueError(f"unknown NASNet op {name!r}")


class NasnetCell(nn.Module):
    """One cell: adjust both inputs, five sums of two ops, concatenation."""

    def __init__(self, combinations: tuple[Combination, ...], output: tuple[CellInput, ...],
                 cur_channels: int, prev_channels: int, width: int, prev_adjust: str) -> None:
        super().__init__()
        self.combinations, self.output = combinations, output
        self.cur_adjust = ReluConvBN(cur_channels, width)
        self.prev_adjust: nn.Module
        if prev_adjust == "reduce":
            self.prev_adjust, prev_width = FactorizedReduce(prev_channels, width), width
        elif prev_adjust == "none":   # the first stem cell reads the stem conv's output as is
            self.prev_adjust, prev_width = nn.Identity(), prev_channels
        else:
            self.prev_adjust, prev_width = ReluConvBN(prev_channels, width), width
        self.ops = nn.ModuleList()
        for combination in combinations:
            for op, source in combination:
                channels = prev_width if source == "prev" else width
                self.ops.append(_make_op(op, channels, width))
        self.out_channels = width * len(output)

    def forward(self, cur: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        states: dict[CellInput, torch.Tensor] = {"cur": self.cur_adjust(cur),
                                             "prev": self.prev_adjust(prev)}
        ops = iter(self.ops)
        for index, ((_, left), (_, right)) in enumerate(self.combinations):
            states[index] = next(ops)(states[left]) + next(ops)(states[right])
        return torch.cat([states[key] for key in self.output], dim=1)


@dataclass(frozen=True)
class NasnetArgs:
    penultimate: int = 1056  # channels of the last cell (24 x the filters of the first stage)
    cells: int = 4           # N: normal cells per stage
    multiplier: int = 2      # width growth at each reduction

    def __post_init__(self) -> None:
        if self.penultimate < 24 or self.cells < 1 or self.multiplier < 1:
            raise ValueError("need penultimate >= 24, cells >= 1, multiplier >= 1")


class NasnetBody(nn.Module):
    """Two stem reduction cells, then three stages of N normal cells with a reduction cell
    between stages, each cell reading the two before it; a final ReLU."""

    def __init__(self, in_channels: int, args: NasnetArgs) -> None:
        super().__init__()
        filters = args.penultimate // 24
        m = args.multiplier
        self.cells = nn.ModuleList()
        channels = {"prev": in_channels, "cur": in_channels}

        def add(kind: str, width: int, prev_adjust: str) -> None:
            table, output = (NORMAL, NORMAL_OUTPUT) if kind == "normal" else (REDUCTION,
                                                                               REDUCTION_OUTPUT)
            cell = NasnetCell(table, output, channels["cur"], channels["prev"], width,
                              prev_adjust)
            self.cells.append(cell)
            channels["prev"], channels["cur"] = channels["cur"], cell.out_channels

        add("reduction", filters // m ** 2, "none")      # stem cell 0: reads the stem conv
        add("reduction", filters // m, "reduce")         # stem cell 1: prev is twice as large
        for stage in range(3):
            width = filters * m ** stage
            if stage:
                add("reduction", width, "conv")
            for index in range(args.cells):
                add("normal", width, "reduce" if index == 0 else "conv")
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        prev = cur = x
        for cell in self.cells:
            prev, cur = cur, cell(cur, prev)
        out: torch.Tensor = self.relu(cur)
        return out


@register_block("nasnet_a", NasnetArgs)
def build_nasnet_a(args: NasnetArgs, ctx: BuildContext) -> nn.Module:
    """NASNet-A cell stack (2 stem cells + 3 x N normal cells, 2 reduction cells)."""
    return NasnetBody(ctx.channels, args)
