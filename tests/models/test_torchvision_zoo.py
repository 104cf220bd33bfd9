"""Every torchvision classification weight, built from `torchvision:NAME` on meta at its crop
size: MACs equal torchvision's published `_ops` (GMACs, 3 decimals) and params `num_params`.

torchvision computed those figures itself, independently of costlab, so they are the oracle.
One process, one parametrized case per weight; nothing is downloaded (weights=None; the
architecture a weight implies is rebuilt from its metadata).
"""

from __future__ import annotations

from typing import Any

import pytest

torchvision = pytest.importorskip("torchvision")

from costlab.count.engine import count_costs  # noqa: E402
from costlab.models.resolve import resolve_model  # noqa: E402
from costlab.trace.recorder import trace_module  # noqa: E402

models = torchvision.models


def _weights() -> list[Any]:
    return [weight for name in models.list_models(module=models)
            for weight in models.get_model_weights(name)]


def _architecture(name: str, weight: Any) -> dict[str, Any]:
    """The builder arguments that `weights=weight` would set (torchvision's
    _ovewrite_named_param calls), so that weights=None builds the same model."""
    categories = weight.meta["categories"]   # None for VGG16's feature-extractor weights
    settings: dict[str, Any] = {"num_classes": len(categories)} if categories else {}
    if name in ("googlenet", "inception_v3"):
        settings["transform_input"] = True
    if name == "googlenet":   # its builder drops the auxiliary heads the class has by default
        settings["aux_logits"] = False
    if name.startswith("vit_"):                 # SWAG weights run at 384 or 518
        settings["image_size"] = weight.meta["min_size"][0]
    return settings


WEIGHTS = _weights()


def test_all_classification_weights_are_checked() -> None:
    assert len(WEIGHTS) == 115   # torchvision 0.29's classification weights


@pytest.mark.parametrize("weight", WEIGHTS, ids=lambda w: f"{type(w).__name__}.{w.name}")
def test_weight_matches_published_macs_and_params(weight: Any) -> None:
    name = next(n for n in models.list_models(module=models)
                if models.get_model_weights(n) is type(weight))
    crop = int(weight.transforms.keywords["crop_size"])
    target = resolve_model(f"torchvision:{name}",
                           settings={**_architecture(name, weight), "resolution": crop})
    assert target.input_shapes == ((1, 3, crop, crop),)
    cost = count_costs(trace_module(target.module, target.inputs, device="meta"))
    assert round(cost.totals.macs / 1e9, 3) == weight.meta["_ops"]
    assert cost.totals.params == weight.meta["num_params"]


def _task_weights(module: Any) -> list[Any]:
    return [weight for name in models.list_models(module=module)
            for weight in models.get_model_weights(name)]


@pytest.mark.parametrize("weight", _task_weights(models.segmentation) +
                         _task_weights(models.video),
                         ids=lambda w: f"{type(w).__name__}.{w.name}")
def test_segmentation_and_video_weights_match_published(weight: Any) -> None:
    """Segmentation at 520 x 520 (torchvision's figures; its weights carry the auxiliary
    head, which runs in eval too), video at 16 frames of the weights' crop size."""
    name = next(n for n in models.list_models() if models.get_model_weights(n) is type(weight))
    settings: dict[str, Any] = {"num_classes": len(weight.meta["categories"])}
    if name in models.list_models(module=models.segmentation):
        settings["aux_loss"] = name != "lraspp_mobilenet_v3_large"   # LR-ASPP has none
        settings["resolution"] = 520
    else:
        crop = weight.transforms.keywords["crop_size"]
        settings["resolution"] = crop[0] if isinstance(crop, list | tuple) else crop
    target = resolve_model(f"torchvision:{name}", settings=settings)
    cost = count_costs(trace_module(target.module, target.inputs, device="meta"))
    assert round(cost.totals.macs / 1e9, 3) == weight.meta["_ops"]
    assert cost.totals.params == weight.meta["num_params"]
