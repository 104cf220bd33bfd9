"""Seed 001's appendix tables and section 5.1: the readings that explain each printed number."""

from __future__ import annotations

import pytest

from costlab.papers.seed001 import LAYERS, REDUCED, why_macs


@pytest.fixture(scope="module")
def rows(evaluator):
    return {r.path: r for r in evaluator.analysis(REDUCED).full_cost.layers}


def test_every_appendix_layer_exists(rows):
    assert all(path in rows for _, path, *_ in LAYERS)


def test_dense_depthwise_reading(rows):
    dw = rows["bottleneck6.0.depthwise.conv"]
    assert dw.params == 3 * 3 * 960                                # real: one 3x3 per channel
    assert dw.macs == 3 * 3 * 960 * 8 * 8                          # 552,960
    readings = dict(why_macs(dw, (8, 8)))
    assert readings["depthwise counted as dense (k x k x C x C)"] == 3 * 3 * 960 * 960 * 8 * 8


def test_block_input_resolution_reading(rows):
    tail = rows["conv1.conv"]                                      # 3x3/2: 32x32 -> 16x16
    assert tail.macs == 3 * 3 * 3 * 32 * 16 * 16
    assert dict(why_macs(tail, (32, 32)))[
        "counted at the block's input resolution 32x32"] == 884_736
    project = rows["bottleneck3.project.conv"]                     # after the stride-2 dw
    assert project.macs == 384 * 96 * 8 * 8
    assert dict(why_macs(project, (16, 16)))[
        "counted at the block's input resolution 16x16"] == 384 * 96 * 16 * 16  # 9,437,184

