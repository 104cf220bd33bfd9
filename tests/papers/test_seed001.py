"""Seed 001's appendix tables: the readings that explain each printed number."""

from __future__ import annotations

import pytest

from costlab.papers.seed001 import LAYERS, REDUCED, _why_macs
from costlab.papers.tables import Evaluator


@pytest.fixture(scope="module")
def rows():
    return {r.path: r for r in Evaluator().analysis(REDUCED).full_cost.layers}


def test_every_appendix_layer_exists(rows):
    assert all(path in rows for _, path, *_ in LAYERS)


def test_dense_depthwise_reading(rows):
    dw = rows["bottleneck6.0.depthwise.conv"]
    assert dw.params == 3 * 3 * 960                                # real: one 3x3 per channel
    assert dw.macs == 3 * 3 * 960 * 8 * 8                          # 552,960
    assert _why_macs(dw, 3 * 3 * 960 * 960 * 8 * 8).startswith("differs: depthwise counted")


def test_input_resolution_reading(rows):
    tail = rows["conv1.conv"]                                      # 3x3/2: 32x32 -> 16x16
    assert tail.macs == 3 * 3 * 3 * 32 * 16 * 16
    assert _why_macs(tail, 884_736) == "differs: counted at the input resolution"
    assert _why_macs(rows["conv2.conv"], 2_621_440) == "match"     # 1x1x160x256 x 8x8
