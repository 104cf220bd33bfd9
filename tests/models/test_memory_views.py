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


# EfficientNetV2-S (torchvision's `_efficientnet_conf`, timm's `_gen_efficientnetv2_s`): the
# stem's channels, each stage's (output channels, stride), the head conv's; at 384 x 384.
V2_STEM, V2_HEAD = 24, 1280
V2_STAGES = [(24, 1), (48, 2), (64, 2), (128, 2), (160, 1), (256, 2)]
V2_FUSED = 3     # stages 1-3 are fused; stage 1 expands by 1: one conv (and a skip) a block


def _efficientnet_v2_rows(view: str) -> list[tuple[int, int]]:
    """(resolution, channels) of the largest tensor per resolution from the channel table:
    the stage outputs (without stage 1's, one conv a block) and the pooled head under
    `bottlenecks`; every stage's output, the image, the stem's and the head conv's output
    under `blocks`."""
    size, outputs = 384 // 2, [(1, V2_HEAD)]
    for stage, (channels, stride) in enumerate(V2_STAGES, 1):
        size //= stride
        if stage > 1 or view == "blocks":
            outputs.append((size, channels))
    if view == "blocks":
        outputs += [(384, 3), (384 // 2, V2_STEM), (size, V2_HEAD)]
    largest: dict[int, int] = {}
    for at, channels in outputs:
        largest[at] = max(largest.get(at, 0), channels)
    return sorted(largest.items(), reverse=True)


@pytest.mark.parametrize("make, firsts", [
    (lambda: torchvision.models.efficientnet_v2_s(), {96: "features.2.0", 48: "features.3.0"}),
    (lambda: timm.create_model("tf_efficientnetv2_s", pretrained=False),
     {96: "blocks.1.0", 48: "blocks.2.0"})])
def test_efficientnet_v2_s_fused_blocks_without_a_skip_are_blocks(make, firsts):
    """A fused stage's first block (a 3x3 expansion and a 1x1 projection, no skip connection:
    it changes the shape) is one block: its 4x expansion is an inner tensor, and the stage's
    output at its resolution is first made by it."""
    trace = trace_module(make(), [(1, 3, 384, 384)])
    for view in ("blocks", "bottlenecks"):
        rows = largest_per_resolution(trace, view, "fp16")
        assert [(r.height, r.channels) for r in rows] == _efficientnet_v2_rows(view)
        # the first blocks of the fused stages 2 and 3, at 96 and 48
        assert {r.height: r.tensor for r in rows if r.height in firsts} == firsts


def test_timm_convnext_tiny_stage_without_downsampling_as_the_paper():
    """ConvNeXt-T (96, 192, 384, 768 channels, 3, 3, 9, 3 blocks, a 4x4 stride-4 stem): the
    first stage's downsampling is an Identity, which hands on the stem's output; the
    bottleneck tensor at 56 x 56 is the first block's."""
    trace = trace_module(timm.create_model("convnext_tiny", pretrained=False),
                         [(1, 3, 224, 224)])
    rows = largest_per_resolution(trace, "bottlenecks", "fp16")
    assert [(r.height, r.channels) for r in rows] == [(56, 96), (28, 192), (14, 384), (7, 768),
                                                      (1, 768)]
    assert rows[0].tensor == "stages.0.blocks.0"
