"""Table 3's memory views on third-party MobileNetV2s: torchvision's, wrapped in other
containers, and timm's give the reading of costlab's spec, whatever their modules are called."""

from __future__ import annotations

import pytest
from torch import nn

from costlab.analyses.memory import block_bound, largest_per_resolution
from costlab.trace.recorder import Trace, trace_module
from tests.fixtures.containers import Looped, Stages

torchvision = pytest.importorskip("torchvision")
timm = pytest.importorskip("timm")

# MobileNetV2's Table 2 at 224: (input resolution, t, c, n, s) of each bottleneck row.
BOTTLENECKS = [(112, 1, 16, 1, 1), (112, 6, 24, 2, 2), (56, 6, 32, 3, 2), (28, 6, 64, 4, 2),
               (14, 6, 96, 3, 1), (14, 6, 160, 3, 2), (7, 6, 320, 1, 1)]
STEM, HEAD = 32, 1280      # conv2d 3x3 to 32 at 112x112; conv2d 1x1 to 1280 at 7x7, then pool


def _table3(view: str) -> list[tuple[int, int, int]]:
    """(resolution, channels, fp16 bytes) of the largest tensor per resolution, from Table 2:
    the bottleneck outputs, the head's pooled 1x1 tensor and, crossing block boundaries, the
    3 x 224 x 224 image and the stem's and the head conv's outputs too (the blocks view)."""
    outputs = [(size // s, c) for size, _, c, _, s in BOTTLENECKS] + [(1, HEAD)]
    if view == "blocks":
        outputs += [(224, 3), (112, STEM), (7, HEAD)]
    largest: dict[int, int] = {}
    for size, channels in outputs:
        largest[size] = max(largest.get(size, 0), channels)
    return [(size, c, c * size * size * 2) for size, c in sorted(largest.items(), reverse=True)]


def _rows(trace: Trace, view: str) -> list[tuple[int, int, int]]:
    return [(r.height, r.channels, r.bytes) for r in largest_per_resolution(trace, view, "fp16")]


def _torchvision(wrap: type[nn.Module] | None) -> Trace:
    model = torchvision.models.mobilenet_v2()
    if wrap is not None:   # torchvision's features, the same structure in another container
        model.features = wrap(*model.features)
    return trace_module(model, [(1, 3, 224, 224)])


@pytest.mark.parametrize("wrap", [None, Stages, Looped])
def test_torchvision_mobilenet_v2_views_whatever_holds_its_features(wrap):
    trace = _torchvision(wrap)
    assert _rows(trace, "bottlenecks")[0] == (112, 16, 401_408)   # 16 x 112 x 112 x 2 B
    for view in ("bottlenecks", "blocks"):
        assert _rows(trace, view) == _table3(view)
    # bottleneck 1 reads the stem's 32 x 112 x 112 and writes 16 x 112 x 112
    assert block_bound(trace, "fp16").bytes == (STEM + 16) * 112 * 112 * 2


def test_timm_mobilenetv2_100_views_as_the_paper():
    """timm's stem and head convs are followed by separate BatchNormAct2d modules (`bn1`,
    `bn2`): each is the norm and activation of the conv before it, not a block of its own."""
    model = timm.create_model("mobilenetv2_100", pretrained=False)
    trace = trace_module(model, [(1, 3, 224, 224)])
    bottlenecks = _rows(trace, "bottlenecks")
    assert [c for _, c, _ in bottlenecks] == [16, 24, 32, 96, 320, 1280]
    assert bottlenecks == _table3("bottlenecks")
    assert _rows(trace, "blocks") == _table3("blocks")
    bound = block_bound(trace, "fp16")
    assert bound.bytes == (STEM + 16) * 112 * 112 * 2 and bound.block != "bn1"
