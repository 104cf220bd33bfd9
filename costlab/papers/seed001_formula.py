"""Seed 001's section 5.1 formula for the memory a network needs to train, from its layer
table alone: (parameters + their gradients + feature map + filter map) x 4 bytes."""

from __future__ import annotations

from costlab.analyses.training import MemoryEstimate
from costlab.count.engine import ModelCost
from costlab.spec.sources import cite

__all__ = ["section51_terms", "section51_bytes", "section51_estimate"]

BYTES_PER_VALUE = 4   # the seed counts 32-bit values


def section51_terms(cost: ModelCost) -> tuple[int, int, int]:
    """(parameters, the feature map: the largest (C_in + C_out) x H x W of any layer, as in
    Table A1, the filter map: the largest parameter count of a conv or pooling layer, as in
    Table A2)."""
    feature_map = max((r.feature_map_elements for r in cost.layers), default=0)
    filter_map = max((r.params for r in cost.layers if r.kernel is not None), default=0)
    return cost.totals.params, feature_map, filter_map


def section51_bytes(params: int, feature_map: int, filter_map: int) -> int:
    """The formula on its terms: the parameters count twice (weights and gradients)."""
    return (2 * params + feature_map + filter_map) * BYTES_PER_VALUE


def section51_estimate(cost: ModelCost) -> MemoryEstimate:
    """The formula on a counted model, as `costlab memory --training` shows it beside the
    count; JSON names it for what it is, an estimate from the layer table."""
    return MemoryEstimate("layer_table_estimate_bytes",
                          f"{cite('001', 'section 5.1')} formula on this model",
                          section51_bytes(*section51_terms(cost)), ("001",))
