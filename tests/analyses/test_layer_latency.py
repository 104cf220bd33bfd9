"""Per-layer latency: Spearman on data with a known answer, and each leaf layer's work (MACs,
bytes) and the memory a model needs, by hand."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from costlab.analyses.analysis import analyze_target
from costlab.analyses.latency import required_bytes
from costlab.analyses.layer_latency import layer_work, spearman
from costlab.models.resolve import resolve_model


def test_spearman_of_a_monotone_relation_is_one() -> None:
    assert spearman([1, 2, 3, 4], [1, 8, 27, 64]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [9, 7, 2, 1]) == pytest.approx(-1.0)


def test_spearman_with_ties_matches_the_hand_computation() -> None:
    # ranks of y = [5, 6, 7, 8, 7]: 1, 2, 3.5, 5, 3.5; Pearson of the ranks against 1..5:
    # deviations (-2,-1,0,1,2) and (-2,-1,.5,2,.5): 8 / sqrt(10 x 9.5)
    assert spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(8 / math.sqrt(95))


def test_spearman_undefined_cases() -> None:
    assert spearman([1, 2], [3, 4]) is None            # two points always rank perfectly
    assert spearman([0, 0, 0], [1, 2, 3]) is None      # a constant has no ranks


class _Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


@pytest.fixture(scope="module")
def tiny_analysis():  # type: ignore[no-untyped-def]
    with torch.device("meta"):
        module = _Tiny()
    return analyze_target(resolve_model(module, inputs=[(1, 3, 8, 8)]))


def test_layer_work_by_hand(tiny_analysis) -> None:  # type: ignore[no-untyped-def]
    work = {w.layer: w for w in layer_work(tiny_analysis, "fp32")}
    assert list(work) == ["conv", "bn", "act"]
    # conv: 8 x 8 x 8 outputs x 3 x 3 x 3 = 13,824 MACs; bytes: input 3x8x8 = 192, output
    # 8x8x8 = 512, weight 8x3x3x3 = 216, bias 8 -> 928 elements x 4 bytes
    assert work["conv"].macs == 13_824
    assert work["conv"].bytes == (192 + 512 + 216 + 8) * 4
    assert work["conv"].intensity == pytest.approx(13_824 / 3_712)
    # batch norm: 512 in, 512 out, weight, bias, running mean and var of 8 (the int64
    # num_batches_tracked is not read)
    assert work["bn"].macs == 0 and work["bn"].bytes == (512 + 512 + 4 * 8) * 4
    # in-place ReLU reads and writes its 512 elements
    assert work["act"].bytes == 1024 * 4
    assert {w.layer: w.bytes for w in layer_work(tiny_analysis, "fp16")}["act"] == 1024 * 2


def test_required_bytes_by_hand(tiny_analysis) -> None:  # type: ignore[no-untyped-def]
    # weights: 216 + 8 + 4 x 8 = 256 elements; peak activations at the batch norm: the conv
    # output (512) and the batch-norm op's three outputs, 512 + its saved mean and inverse
    # std of 8 each (the input, 192, was freed after the conv)
    need = required_bytes(tiny_analysis, "fp32")
    assert need == 256 * 4 + (512 + 512 + 8 + 8) * 4
