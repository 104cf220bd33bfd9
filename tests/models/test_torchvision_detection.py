"""torchvision's detection weights against their published `_ops` (GMACs, 3 decimals) and
`num_params`, with every difference explained and the explained figure asserted.

What torchvision counted (pytorch/vision#6936, the script that filled `_ops`): the TRAINED
model in eval mode on one random square image. GeneralizedRCNNTransform resizes a square
image to 800 x 800 (min_size 800; SSD300 and the 320 models to 300 and 320) whatever its
size, so MACs are those of:
- the dense part, which depends only on the size: backbone, FPN and the dense head (RetinaNet,
  FCOS, SSD) or the RPN head. costlab traces it here on meta, at the published size;
- for the R-CNNs, the box head on each proposal the RPN keeps after NMS, and the mask or
  keypoint head on each final detection. How many there were depended on the trained
  weights and the random image: the figures are met exactly, to 3 decimals, by 1,000
  proposals (rpn post_nms_top_n_test, the most the RPN keeps) for the ResNet-50 models, none
  for the MobileNet ones (their rpn_score_thresh 0.05 kept no proposal of noise), and 0, 1
  or 100 detections (detections_per_img) as noted per weight.
Post-processing (anchors, box decoding, top-k, NMS, paste-back) has no MACs under costlab's
convention; the CPU-fallback tests below check that the whole model's count is the dense
part plus the heads on the proposals and detections it really had.

Whole models need values (NMS), so they trace on real CPU tensors: the ResNet-50 ones here
at a 64-pixel transform (about 1 s each instead of 10-15 s at 800), the MobileNet one at its
own size (tests/models/test_zoo.py runs SSDLite whole).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import torch
from torch import nn

from costlab.count.engine import ModelCost, count_costs
from costlab.models.resolve import resolve_model
from costlab.models.zoo import build_empty
from costlab.trace.recorder import Trace, trace_module

torchvision = pytest.importorskip("torchvision")
detection = torchvision.models.detection
FrozenBatchNorm2d = torchvision.ops.FrozenBatchNorm2d

CONV3 = 9   # a 3 x 3 kernel


# Per proposal: RoIAlign's 256 x 7 x 7 features through the box head, then the predictor's
# class scores and 4 box coordinates per class.
def _box_head_macs(classes: int, v2: bool) -> int:
    head = (4 * 49 * 256 * 256 * CONV3 + 12544 * 1024 if v2      # 4 convs on 7 x 7, one fc
            else 12544 * 1024 + 1024 * 1024)                       # TwoMLPHead: fc6, fc7
    return head + 1024 * classes * 5


# Per detection, on 14 x 14 RoIAlign features: Mask R-CNN's 4 convs, the 2 x 2 stride-2
# transposed conv to 28 x 28 (input elements x C_out x k^2) and the 1 x 1 class logits.
MASK_HEAD_MACS = 4 * 196 * 256 * 256 * CONV3 + 196 * 256 * 256 * 4 + 784 * 256 * 91
# Keypoint R-CNN's 8 convs (256 -> 512, then 512 -> 512) and the 4 x 4 transposed conv to
# 17 keypoint maps.
KEYPOINT_HEAD_MACS = (196 * 512 * 256 * CONV3 + 7 * 196 * 512 * 512 * CONV3
                      + 196 * 512 * 17 * 16)

# weight -> (proposals, detections) that torchvision's published figure implies
HEADS_RAN: dict[str, tuple[int, int]] = {
    "FasterRCNN_ResNet50_FPN_Weights.COCO_V1": (1000, 0),
    "FasterRCNN_ResNet50_FPN_V2_Weights.COCO_V1": (1000, 0),
    "FasterRCNN_MobileNet_V3_Large_FPN_Weights.COCO_V1": (0, 0),
    "FasterRCNN_MobileNet_V3_Large_320_FPN_Weights.COCO_V1": (0, 0),
    # Mask R-CNN v1's figure equals Faster R-CNN's: no box of noise scored 0.05; v2 found 100
    "MaskRCNN_ResNet50_FPN_Weights.COCO_V1": (1000, 0),
    "MaskRCNN_ResNet50_FPN_V2_Weights.COCO_V1": (1000, 100),
    "KeypointRCNN_ResNet50_FPN_Weights.COCO_LEGACY": (1000, 0),
    "KeypointRCNN_ResNet50_FPN_Weights.COCO_V1": (1000, 1),
}


class _Dense(nn.Module):
    """The part whose cost depends on the image size only: backbone (+ FPN), then the dense
    head (RetinaNet, FCOS, SSD) or the RPN head of an R-CNN."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, images: Any) -> Any:
        features = list(self.model.backbone(images).values())
        rpn = getattr(self.model, "rpn", None)
        return (rpn.head if rpn is not None else self.model.head)(features)


def _weights() -> list[Any]:
    return [weight for name in torchvision.models.list_models(module=detection)
            for weight in torchvision.models.get_model_weights(name)]


def _name(weight: Any) -> str:
    return f"{type(weight).__name__}.{weight.name}"


def _builder(weight: Any) -> str:
    return next(n for n in torchvision.models.list_models(module=detection)
                if torchvision.models.get_model_weights(n) is type(weight))


def _side(builder: str) -> int:
    return 300 if builder.startswith("ssd300") else 320 if "320" in builder else 800


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """The CPU traces at one torch thread: on a shared machine two OpenMP threads run a real
    forward pass several times slower whenever another process holds a core."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def built() -> Callable[[str, int], nn.Module]:
    """Each detection model built once on meta (weights=None), by builder and classes."""
    cache: dict[tuple[str, int], nn.Module] = {}

    def build(builder: str, classes: int) -> nn.Module:
        if (builder, classes) not in cache:
            cache[builder, classes] = resolve_model(
                f"torchvision:{builder}", settings={"num_classes": classes}).module
        return cache[builder, classes]
    return build


def _dense_cost(model: nn.Module, side: int) -> ModelCost:
    return count_costs(trace_module(_Dense(model), [(1, 3, side, side)], device="meta"))


def _dense_macs(model: nn.Module, side: int) -> int:
    return _dense_cost(model, side).totals.macs


@pytest.fixture(scope="module")
def dense(built: Any) -> Callable[[str, int], ModelCost]:
    """The dense part of each model traced once on meta, at its published size."""
    cache: dict[tuple[str, int], ModelCost] = {}

    def cost(builder: str, classes: int) -> ModelCost:
        if (builder, classes) not in cache:
            cache[builder, classes] = _dense_cost(built(builder, classes), _side(builder))
        return cache[builder, classes]
    return cost


def test_every_detection_weight_is_checked() -> None:
    assert len(_weights()) == 13   # torchvision 0.29


@pytest.mark.parametrize("weight", _weights(), ids=_name)
def test_detection_weight_matches_published_macs(weight: Any, built: Any, dense: Any) -> None:
    builder, classes = _builder(weight), len(weight.meta["categories"])
    model = built(builder, classes)
    macs = dense(builder, classes).totals.macs
    proposals, detections = HEADS_RAN.get(_name(weight), (0, 0))
    if isinstance(model, detection.FasterRCNN):
        macs += proposals * _box_head_macs(classes, v2="V2" in _name(weight))
    if isinstance(model, detection.MaskRCNN):
        macs += detections * MASK_HEAD_MACS
    if isinstance(model, detection.KeypointRCNN):
        macs += detections * KEYPOINT_HEAD_MACS
    assert round(macs / 1e9, 3) == weight.meta["_ops"]
    if proposals:   # 1,000 is the RPN's ceiling, which the trained RPN reached
        assert proposals == model.rpn._post_nms_top_n["testing"]
    if detections > 1:
        assert detections == model.roi_heads.detections_per_img


@pytest.mark.parametrize("weight", _weights(), ids=_name)
def test_detection_weight_matches_published_params(weight: Any, dense: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Most builders give a trained model FrozenBatchNorm2d (`FrozenBatchNorm2d if
    is_trained`), whose scale and shift are buffers; weights=None gives BatchNorm2d, whose are
    parameters, so costlab's count is larger by exactly those. The architecture `weights=`
    builds is rebuilt here on meta with the state-dict download and load stubbed out."""
    builder = _builder(weight)
    cost = dense(builder, len(weight.meta["categories"]))
    monkeypatch.setattr(torchvision.models.WeightsEnum, "get_state_dict",
                        lambda *args, **kwargs: {})
    monkeypatch.setattr(nn.Module, "load_state_dict", lambda *args, **kwargs: None)
    trained = build_empty(lambda: torchvision.models.get_model(builder, weights=weight))
    frozen = sum(m.weight.numel() + m.bias.numel() for m in trained.modules()
                 if isinstance(m, FrozenBatchNorm2d))
    assert cost.totals.params - frozen == weight.meta["num_params"]
    assert sum(p.numel() for p in trained.parameters()) == weight.meta["num_params"]


def _rows(trace: Trace, module: str) -> int:
    """How many proposals (or detections) the head at `module` ran on: its input's rows."""
    features = next(t for e in trace.events if e.module == module for t in e.inputs
                    if t.kind == "activation")
    return features.shape[0]


def _cpu_trace(model: nn.Module, side: int) -> Trace:
    model.transform.min_size, model.transform.max_size = (side,), side
    try:
        trace = trace_module(model, [(1, 3, 800, 800)])
    finally:
        model.transform.min_size, model.transform.max_size = (800,), 1333
    assert trace.device == "cpu"   # NMS needs values
    return trace


@pytest.mark.parametrize("builder", ["retinanet_resnet50_fpn", "fcos_resnet50_fpn"])
def test_single_stage_model_costs_its_dense_part(builder: str, built: Any) -> None:
    """The whole model on real CPU tensors: decoding, top-k and NMS add no MACs."""
    model = built(builder, 91)
    trace = _cpu_trace(model, 64)
    assert count_costs(trace, strict=True).totals.macs == _dense_macs(model, 64)


def test_faster_rcnn_costs_its_dense_part_and_a_box_head_per_proposal(built: Any) -> None:
    """costlab's random weights (standard normal) overflow a ResNet-50 and leave no proposal;
    torchvision's own initialization, on the CPU, keeps some (104 at 64 pixels with seed 0),
    fewer than the trained RPN's 1,000: the whole model's count is the dense part plus the
    box head on exactly those."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = torchvision.models.get_model("fasterrcnn_resnet50_fpn", weights=None,
                                             weights_backbone=None, num_classes=91)
        trace = _cpu_trace(model, 64)
    proposals = _rows(trace, "roi_heads.box_head.fc6")
    assert 0 < proposals < 1000
    assert count_costs(trace, strict=True).totals.macs == \
        _dense_macs(built("fasterrcnn_resnet50_fpn", 91), 64) + \
        proposals * _box_head_macs(91, v2=False)


def test_mobilenet_faster_rcnn_reproduces_the_published_figure_whole(built: Any) -> None:
    """At its own 800-pixel transform the whole model gives torchvision's 4.494: no proposal
    passes rpn_score_thresh 0.05 with random weights either."""
    model = built("fasterrcnn_mobilenet_v3_large_fpn", 91)
    trace = trace_module(model, [(1, 3, 800, 800)])
    assert trace.device == "cpu" and _rows(trace, "roi_heads.box_head.fc6") == 0
    assert round(count_costs(trace, strict=True).totals.macs / 1e9, 3) == 4.494
