"""The rules for ops that real zoo models emit (detection, swin, convnext, transformers):
each traced from a small module and checked against a formula written here by hand."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

from costlab.count.engine import count_costs
from costlab.count.rules import RULES, OpClass
from costlab.trace.recorder import trace_module


class _Fn(nn.Module):
    """Wraps a function of the inputs as a module, so the rule runs on a real trace."""

    def __init__(self, fn: Callable[..., torch.Tensor]) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return self.fn(*xs)


def _cost(module: nn.Module, *shapes: tuple[int, ...], device: str = "meta"):
    cost = count_costs(trace_module(module, list(shapes), device=device), strict=True)
    return cost.totals


def _by_class(module: nn.Module, *shapes: tuple[int, ...], device: str = "meta"):
    return count_costs(trace_module(module, list(shapes), device=device), strict=True).by_class


def test_mv():   # (n x k) @ (k): n x k MACs
    assert _cost(_Fn(torch.mv), (6, 5), (5,)).macs == 6 * 5


def test_bilinear_trilinear():   # N x out x in1 x in2 MACs; the bias add is element-wise
    totals = _cost(nn.Bilinear(5, 6, 7), (3, 5), (3, 6))
    assert totals.macs == 3 * 7 * 5 * 6
    assert totals.params == 7 * 5 * 6 + 7


@pytest.mark.parametrize("mode, size, shape, reads", [
    ("linear", (12,), (2, 3, 5), 2),              # 2 neighbours per output
    ("trilinear", (4, 6, 6), (1, 2, 2, 3, 3), 8),  # 8 corners per output
    ("bilinear", (9, 9), (1, 2, 3, 3), 4),        # antialias on upscaling: plain bilinear's 4
])
def test_linear_interpolation(mode, size, shape, reads):
    antialias = mode == "bilinear"
    up = _Fn(lambda x: nn.functional.interpolate(x, size=size, mode=mode, antialias=antialias))
    outputs = shape[0] * shape[1] * torch.Size(size).numel()
    assert _cost(up, shape).elementwise == reads * outputs


def test_antialiased_downscale_widens_the_window():
    # 16 -> 4 per axis: a window of ceil(2 x 16 / 4) = 8 inputs per axis, 64 per output
    down = _Fn(lambda x: nn.functional.interpolate(x, size=(4, 4), mode="bilinear",
                                                   antialias=True))
    assert _cost(down, (1, 3, 16, 16)).elementwise == 64 * 3 * 4 * 4


@pytest.mark.parametrize("mode, reads", [("bilinear", 4), ("nearest", 0), ("bicubic", 16)])
def test_grid_sample(mode, reads):
    sample = _Fn(lambda x, g: nn.functional.grid_sample(x, g, mode=mode, align_corners=False))
    # output: N=1, C=2, 4 x 5 grid points
    assert _cost(sample, (1, 2, 8, 8), (1, 4, 5, 2)).elementwise == reads * 2 * 4 * 5


def test_im2col_is_a_copy():
    unfold = nn.Unfold(3)
    assert _cost(unfold, (1, 2, 8, 8)) == _cost(nn.Identity(), (1, 2, 8, 8))
    assert RULES[torch.ops.aten.im2col.default](None).op_class is OpClass.MEMORY  # type: ignore


def test_cumsum():   # one add per element
    assert _cost(_Fn(lambda x: x.cumsum(1)), (3, 7)).elementwise == 21


@pytest.mark.parametrize("fn, per_output", [(torch.std, 2), (torch.var, 1)])
def test_std_and_var(fn, per_output):
    # 4 per input element (mean add, subtract, square, add) + divide (and sqrt) per output
    assert _cost(_Fn(lambda x: fn(x, dim=1)), (3, 7)).elementwise == 4 * 21 + per_output * 3


def test_logsumexp():   # 4 per input element, log and max added back per output
    assert _cost(_Fn(lambda x: x.logsumexp(1)), (3, 7)).elementwise == 4 * 21 + 2 * 3


def test_vector_norm():   # |x|^2 and an add per element, a root per output
    norm = _Fn(lambda x: torch.linalg.vector_norm(x, dim=1))
    assert _cost(norm, (3, 7)).elementwise == 2 * 21 + 3


@pytest.mark.parametrize("per_sample", [False, True])
def test_embedding_bag(per_sample):
    bag = nn.EmbeddingBag(10, 4, mode="sum")

    class Bags(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bag = bag

        def forward(self, weights: torch.Tensor) -> torch.Tensor:
            ids = torch.tensor([1, 2, 3, 4, 5, 6], device=weights.device)
            offsets = torch.tensor([0, 2], device=weights.device)
            return self.bag(ids, offsets, per_sample_weights=weights if per_sample else None)

    # 6 looked-up rows of 4 added into their bags (and weighted: one multiply more)
    assert _cost(Bags(), (6,)).elementwise == (2 if per_sample else 1) * 6 * 4


def test_comparisons_and_rounding_are_one_op_per_element():
    masks = _Fn(lambda x: ((x > 0) & (x != 1) & (x.floor() == x)).float().sin())
    # gt, ne, and, floor, eq, and, sin: 7 ops per element (the float() cast is a copy)
    assert _cost(masks, (3, 5)).elementwise == 7 * 15


def test_topk_is_one_compare_per_element():
    assert _cost(_Fn(lambda x: x.topk(2, dim=1).values), (3, 5)).elementwise == 15


def test_swin_style_index_and_as_strided_are_free():
    index = torch.tensor([0, 2, 1])
    gather = _Fn(lambda x: x[index.to(x.device)].as_strided_((3, 2), (2, 1)))
    totals = _cost(gather, (3, 2))
    assert (totals.macs, totals.elementwise) == (0, 0)


def test_roi_align_and_nms():
    torchvision = pytest.importorskip("torchvision")
    ops = torchvision.ops

    class Heads(nn.Module):
        def forward(self, x: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
            keep = ops.nms(boxes, boxes[:, 0], 0.5)
            rois = torch.cat([torch.zeros(5, 1), boxes], dim=1)
            pooled = ops.roi_align(x, rois, (3, 3), sampling_ratio=2)
            return pooled.sum() + keep.sum()

    x, boxes = torch.randn(1, 4, 8, 8), torch.rand(5, 4)
    boxes[:, 2:] += boxes[:, :2]
    trace = trace_module(Heads(), [x, boxes], device="cpu")
    cost = count_costs(trace)
    by_op = {e.name: e for e in trace.events}
    assert "torchvision.nms.default" in by_op and not cost.unsupported
    roi_samples = 4 * (2 * 2) * (5 * 4 * 3 * 3)   # 4 ops x 2^2 samples x output elements
    pairs = 5 * 4 // 2                            # IoU tests of 5 boxes
    sums = 5 * 4 * 3 * 3 + keep_bound(trace)      # the two sums: one add per input element
    adds = 1                                      # pooled.sum() + keep.sum()
    assert cost.totals.elementwise == roi_samples + pairs + sums + adds


def keep_bound(trace) -> int:
    """The number of boxes NMS kept (data-dependent: read from the trace)."""
    return next(e for e in trace.events if e.name == "torchvision.nms.default").outputs[0].numel
