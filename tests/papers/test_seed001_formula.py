"""Seed 001's section 5.1 formula: its terms read from the layer table, and the estimate
`costlab memory --training` shows beside the count."""

from __future__ import annotations

from torch import nn

from costlab.count.engine import count_costs
from costlab.papers.seed001 import REDUCED
from costlab.papers.seed001_formula import section51_bytes, section51_estimate, section51_terms
from costlab.trace.recorder import trace_module


def test_section51_terms_on_the_reduced_model(evaluator):
    params, feature_map, filter_map = section51_terms(evaluator.analysis(REDUCED).full_cost)
    assert feature_map == (384 + 384) * 16 * 16                    # Table A1's largest
    assert filter_map == 960 * 160                                 # the 1x1 160<->960 convs
    assert params == 1_327_274


def test_the_formula_on_a_small_model():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 4, 1), nn.Flatten(), nn.Linear(4 * 5 * 5, 2))
    cost = count_costs(trace_module(model, [(1, 3, 10, 10)]))
    params = (3 * 8 * 9 + 8) + (8 * 4 + 4) + (100 * 2 + 2)        # 224 + 36 + 202 = 462
    feature_map = (8 + 8) * 10 * 10     # the ReLU's input and output (the conv's: 3 + 8)
    filter_map = 3 * 8 * 9 + 8          # the first conv's 224 parameters; linear has no kernel
    assert section51_terms(cost) == (params, feature_map, filter_map)
    assert section51_bytes(params, feature_map, filter_map) == (2 * 462 + 1600 + 224) * 4
    estimate = section51_estimate(cost)
    assert estimate.bytes == (2 * 462 + 1600 + 224) * 4
    assert estimate.key == "layer_table_estimate_bytes" and estimate.sources == ("001",)
