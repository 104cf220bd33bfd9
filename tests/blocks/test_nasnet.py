"""NASNet-A: cell wiring, widths, and the published cost of NASNet-A Mobile."""

from __future__ import annotations

import torch

import costlab
from costlab.blocks.nasnet import NasnetArgs, NasnetBody
from costlab.trace.meta import FastMeta


def test_cell_widths_and_resolutions():
    with torch.device("meta"):   # no weights allocated or initialized
        body = NasnetBody(32, NasnetArgs(penultimate=1056, cells=4))
    # 2 stem cells + 3 stages x 4 normal cells + 2 reduction cells
    assert len(body.cells) == 2 + 3 * 4 + 2
    # filters 44: stem cells 4 x 11 and 4 x 22; normal cells 6 x 44, 6 x 88, 6 x 176;
    # reductions 4 x 88 and 4 x 176
    assert [c.out_channels for c in body.cells] == [44, 88] + [264] * 4 + [352] + [528] * 4 \
        + [704] + [1056] * 4
    with FastMeta():             # shape-only kernels, each checked in tests/trace/test_meta.py
        out = body(torch.empty(1, 32, 111, 111, device="meta"))
    assert out.shape == (1, 1056, 7, 7)


def test_nasnet_a_mobile_published_cost():
    # MobileNetV2's Table 4: NasNet-A, 5.3M parameters, 564M multiply-adds
    totals = costlab.analyze("nasnet_a_mobile", params="weights").totals
    assert round(totals["params"] / 1e5) == 53 and round(totals["macs"] / 1e6) == 564
