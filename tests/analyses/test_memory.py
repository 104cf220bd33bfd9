"""Memory analyses on small graphs, against values worked out by hand (in elements)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from costlab.analyses.memory import (
    block_bound,
    feature_maps,
    largest_per_resolution,
    largest_tensor,
    naive_bytes,
    peak_memory,
)
from costlab.analyses.structure import ModelStructure, blocks_of
from costlab.choices import DType, parse_choice
from costlab.count.engine import count_costs
from costlab.errors import OptionError
from costlab.trace.recorder import Trace, trace_module
from tests.fixtures.containers import Fused, Looped, Stages


def _chain() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.ReLU(),
                         nn.Conv2d(8, 4, 3, padding=1, bias=False))


class _Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.r, self.b = nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3,
                                                                                      padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.b(self.r(self.a(x)))


class _Branches(nn.Module):
    def __init__(self, c_in: int = 4) -> None:
        super().__init__()
        self.p, self.q = nn.Conv2d(c_in, 2, 1), nn.Conv2d(c_in, 6, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.p(x), self.q(x)], dim=1)


def test_chain():
    trace = trace_module(_chain(), [(1, 3, 10, 10)])   # input 300, conv 800, relu 800, conv 400
    # live: input 300 + conv 800 = 1100; input freed -> 800; + relu 800 = 1600 (peak);
    # conv freed -> 800; + conv 400 = 1200.
    peak = peak_memory(trace, "fp32")
    assert peak.bytes == 1600 * 4 and peak.module == "1"
    assert naive_bytes(trace, "fp32") == (800 + 800 + 400) * 4
    # conv + relu is one layer (in 300, out 800: 1100), then conv (in 800, out 400: 1200)
    bound = block_bound(trace, "fp16")
    assert (bound.bytes, bound.block) == ((800 + 400) * 2, "2")
    [row] = largest_per_resolution(trace, "all", "fp16")
    assert (row.height, row.channels, row.elements, row.bytes, row.tensor) == (10, 8, 800, 1600,
                                                                               "0")


def test_residual_block_keeps_its_input_alive():
    trace = trace_module(_Residual(), [(1, 4, 8, 8)])  # every tensor 256 elements
    # x stays live until the add: x + a + r = 768 at r; then a freed, b made: 768; add: 768.
    peak = peak_memory(trace, "fp32")
    assert peak.bytes == 3 * 256 * 4 and peak.module == "r"
    assert naive_bytes(trace, "int8") == 4 * 256                       # a, r, b, add


def test_branch_and_concat():
    trace = trace_module(_Branches(), [(1, 4, 8, 8)])  # x 256, p 128, q 384, cat 512
    # x + p = 384; + q = 768, x freed -> 512; + cat = 1024 (peak, in the root's forward).
    peak = peak_memory(trace, "fp16")
    assert peak.bytes == 1024 * 2 and peak.module == "<root>"
    [row] = largest_per_resolution(trace, "all", "fp32")
    assert (row.channels, row.elements, row.tensor) == (8, 512, "<root>")
    blocks = largest_per_resolution(trace, "blocks", "fp32")
    assert [(r.channels, r.tensor) for r in blocks] == [(6, "q")]   # p, q are the blocks


def test_weights_seen_through_a_view_are_not_activations():
    # nn.Linear runs aten.t on its weight (a 3x4 view of a parameter) before addmm.
    trace = trace_module(nn.Linear(4, 3), [(2, 4)])    # input 8 elements, output 6
    assert naive_bytes(trace, "fp32") == 6 * 4
    assert peak_memory(trace, "fp32").bytes == (8 + 6) * 4   # input and output, no weight


def test_largest_tensor_whatever_the_layout():
    # tokens: 2 x 5 x 8 -> linear: 2 x 5 x 32 = 320 elements -> relu (as large) -> 2 x 5 x 4
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 4))
    trace = trace_module(model, [(2, 5, 8)])
    big = largest_tensor(trace, "fp16")
    assert (big.elements, big.bytes, big.tensor) == (2 * 5 * 32, 2 * 5 * 32 * 2, "0")
    chain = largest_tensor(trace_module(_chain(), [(1, 3, 10, 10)]), "fp32")
    assert (chain.shape, chain.bytes, chain.tensor) == ((1, 8, 10, 10), 800 * 4, "0")


@pytest.fixture(scope="module")
def mobilenetv2_trace() -> Trace:
    import costlab
    return costlab.analyze("mobilenetv2").trace


def test_views_on_mobilenetv2_table3(mobilenetv2_trace):
    trace = mobilenetv2_trace
    at = lambda view: {(r.height, r.channels) for r in largest_per_resolution(trace, view,  # noqa
                                                                              "fp16")}
    # bottleneck outputs: 16 @ 112 (16 x 112 x 112 x 2 bytes = 401,408: the paper's 400K)
    assert (112, 16) in at("bottlenecks") and (7, 320) in at("bottlenecks")
    # crossing block boundaries also means the stem's 32-channel output, read by bottleneck1
    assert (112, 32) in at("blocks")
    # every tensor: the 96-channel expansion inside bottleneck2.0 at 112 x 112
    assert (112, 96) in at("all")
    rows = largest_per_resolution(trace, "bottlenecks", "fp16")
    assert max(r.bytes for r in rows) == 16 * 112 * 112 * 2


def test_torchvision_mobilenet_v2_bottlenecks_as_the_spec(mobilenetv2_trace):
    """torchvision's Conv2dNormActivation is one layer, as the spec's ConvBNAct is: its stem's
    32-channel output is not a bottleneck tensor, bottleneck 1's 16-channel one is."""
    import costlab
    trace = costlab.analyze("torchvision.models:mobilenet_v2").trace
    rows = largest_per_resolution(trace, "bottlenecks", "fp16")
    assert (rows[0].height, rows[0].channels, rows[0].bytes) == (112, 16, 16 * 112 * 112 * 2)
    assert rows[0].bytes == 401_408                          # the paper's 400K
    spec = largest_per_resolution(mobilenetv2_trace, "bottlenecks", "fp16")
    assert [(r.height, r.channels, r.bytes) for r in rows] == \
        [(r.height, r.channels, r.bytes) for r in spec]


class _OddlyNamedConvLayer(nn.Module):
    """conv + norm + activation under a class name no list could know."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.bn, self.act = nn.BatchNorm2d(c_out), nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


def test_single_layers_are_found_by_structure_not_class_name():
    from timm.layers import ConvNormAct
    from torchvision.ops.misc import Conv2dNormActivation
    model = nn.Sequential(_OddlyNamedConvLayer(3, 4), Conv2dNormActivation(4, 4),
                          ConvNormAct(4, 4, 3), _Residual(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(4, 2))
    trace = trace_module(model, [(1, 3, 8, 8)])
    structure = ModelStructure(trace)
    single = {c.path: structure.is_single_layer(c) for c in trace.calls if c.depth == 1}
    # one conv (or linear) each: 0, 1, 2, 6; two convs: 3; no MAC at all (the head): 4, 5
    assert single == {"0": True, "1": True, "2": True, "3": False, "4": False, "5": False,
                      "6": True}
    assert [c.path for c in blocks_of(trace)] == [str(i) for i in range(7)]
    bottlenecks = largest_per_resolution(trace, "bottlenecks", "fp32")
    # the residual block's 4 x 8 x 8 output and the pooled 4 x 1 x 1 (flattened, one storage)
    assert [(r.height, r.channels, r.tensor) for r in bottlenecks] == [(8, 4, "3"), (1, 4, "4")]


def test_feature_maps_table_a1_figure():
    cost = count_costs(trace_module(_chain(), [(1, 3, 10, 10)]))
    first = feature_maps(cost, "fp16")[0]
    assert (first.input_elements, first.output_elements) == (300, 800)
    assert first.feature_map_elements == (3 + 8) * 10 * 10       # (C_in + C_out) x H x W
    assert first.output_bytes == 1600


def test_bad_dtype():
    with pytest.raises(OptionError, match="unknown dtype 'fp8'; one of fp32, fp16, bf16, int8"):
        parse_choice(DType, "fp8")
    assert [d.itemsize for d in DType] == [4, 2, 2, 1]       # fp32, fp16, bf16, int8


@pytest.mark.parametrize("stages, inner", [(nn.Sequential, ""), (Stages, ""),
                                           (Looped, "layers.")])
def test_a_container_is_found_by_structure_not_class_name(stages, inner):
    """A module that runs no op of its own around blocks stands for them: its blocks are the
    model's, whatever the container's class and however its forward runs them."""
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), stages(_Residual(), _Residual()),
                          nn.AdaptiveAvgPool2d(1))
    trace = trace_module(model, [(1, 3, 8, 8)])
    assert [c.path for c in blocks_of(trace)] == ["0", f"1.{inner}0", f"1.{inner}1", "2"]
    # the second residual block's 4 x 8 x 8 output (both are 4 x 8 x 8: the first made wins
    # a tie) and the pooled 4 x 1 x 1
    rows = largest_per_resolution(trace, "bottlenecks", "fp16")
    assert [(r.height, r.channels, r.bytes, r.tensor) for r in rows] == [
        (8, 4, 4 * 8 * 8 * 2, f"1.{inner}0"), (1, 4, 4 * 2, "2")]


def test_norm_and_activation_siblings_join_their_single_layer():
    """conv, batch norm and ReLU as three sibling modules are one layer, as in
    Conv2dNormActivation: the norm and the ReLU are no blocks of their own."""
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4),
                          nn.ReLU(), nn.Identity(), _Residual(), nn.AdaptiveAvgPool2d(1))
    trace = trace_module(model, [(1, 3, 8, 8)])
    blocks = blocks_of(trace)
    assert [c.path for c in blocks] == ["0", "4", "5"]    # Identity adds nothing to layer 0
    relu = next(c for c in trace.calls if c.path == "2")
    assert ModelStructure(trace).is_single_layer(blocks[0]) and blocks[0].outputs == relu.outputs
    rows = largest_per_resolution(trace, "bottlenecks", "fp16")
    assert [(r.height, r.channels, r.tensor) for r in rows] == [(8, 4, "4"), (1, 4, "5")]
    # the layer is in 3 x 8 x 8 = 192, out 4 x 8 x 8 = 256; the residual block 256 + 256
    bound = block_bound(trace, "int8")
    assert (bound.bytes, bound.block) == (512, "4")


def test_a_factorized_convolution_is_one_block_like_layers_a_row():
    """Two chained layers: a depthwise and a pointwise conv are one block (MobileNetV1's
    depthwise separable convolution); two like convs are a row of two layers (VGG's)."""
    separable = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1, groups=4), nn.Conv2d(4, 8, 1))
    row = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.Conv2d(4, 8, 3, padding=1))
    for body, blocks in ((separable, ["1"]), (row, ["1.0", "1.1"])):
        model = nn.Sequential(nn.Conv2d(3, 4, 1), body, nn.AdaptiveAvgPool2d(1))
        trace = trace_module(model, [(1, 3, 8, 8)])
        assert [c.path for c in blocks_of(trace)] == ["0", *blocks, "2"]
    # the separable block's 8 x 8 x 8 output is a bottleneck tensor; the row's layers are not
    rows = largest_per_resolution(trace_module(nn.Sequential(nn.Conv2d(3, 4, 1), separable),
                                               [(1, 3, 8, 8)]), "bottlenecks", "fp16")
    assert [(r.height, r.channels, r.bytes) for r in rows] == [(8, 8, 8 * 8 * 8 * 2)]


def test_a_repeat_without_its_skip_connection_is_one_block():
    """A stage's first fused block changes the shape, so it has no skip connection: it runs no
    op of its own around its two convs, yet it is one block, as its repeats are, and the 16
    channels of its expansion are an inner tensor. Two like rows of layers with no block among
    them stay layers (VGG's convs)."""
    stage = Stages(Fused(4, 8), Fused(8, 8), Fused(8, 8))
    model = nn.Sequential(nn.Conv2d(3, 4, 1), stage, nn.AdaptiveAvgPool2d(1))
    trace = trace_module(model, [(1, 3, 8, 8)])
    assert [c.path for c in blocks_of(trace)] == ["0", "1.0", "1.1", "1.2", "2"]
    # the blocks view at 8 x 8: the image (3), the stem's output (4), the blocks' (8)
    rows = largest_per_resolution(trace, "blocks", "int8")
    assert [(r.height, r.channels, r.tensor) for r in rows] == [(8, 8, "1.0"), (1, 8, "2")]
    rows = largest_per_resolution(trace, "bottlenecks", "int8")
    assert [(r.height, r.channels, r.tensor) for r in rows] == [(8, 8, "1.0"), (1, 8, "2")]

    def row() -> nn.Module:
        return nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.Conv2d(4, 4, 3, padding=1))
    trace = trace_module(nn.Sequential(row(), row()), [(1, 4, 8, 8)])
    assert [c.path for c in blocks_of(trace)] == ["0.0", "0.1", "1.0", "1.1"]


def test_a_pass_through_is_no_block_wherever_it_stands():
    """An Identity that opens a stage (ConvNeXt's first stage has no downsampling) hands on the
    stem's output: no new tensor, so no block, and the stem's 16 channels (one layer) are no
    bottleneck tensor; the concat of 2 and 6 channels is."""
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), Stages(nn.Identity(), _Branches(16)),
                          nn.Identity())
    trace = trace_module(model, [(1, 3, 8, 8)])
    # the stage's one unit left is a block: the stage is that block (a wrapper)
    assert [c.path for c in blocks_of(trace)] == ["0", "1"]
    rows = largest_per_resolution(trace, "bottlenecks", "int8")
    assert [(r.height, r.channels, r.tensor) for r in rows] == [(8, 8, "1")]


class _ChannelsLast(nn.Module):
    """A Swin/ConvNeXt-like stage: a 4x4 patch conv (N x 32 x 8 x 8), then N x H x W x C
    tensors (a linear on the channels, 8 x 8 x 128) and attention-like N x heads x tokens x
    tokens scores (1 x 2 x 64 x 64), then back to N x C x H x W and pooled."""

    def __init__(self) -> None:
        super().__init__()
        self.patch = nn.Conv2d(3, 32, 4, stride=4)
        self.mlp = nn.Linear(32, 128)
        self.back = nn.Linear(128, 32)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch(x).permute(0, 2, 3, 1)             # 1 x 8 x 8 x 32
        x = self.back(torch.relu(self.mlp(x)))            # 1 x 8 x 8 x 128 inside
        tokens = x.reshape(1, 64, 2, 16).transpose(1, 2)  # 1 x 2 x 64 x 16
        scores = (tokens @ tokens.transpose(-1, -2)).softmax(-1)   # 1 x 2 x 64 x 64
        x = (scores @ tokens).transpose(1, 2).reshape(1, 8, 8, 32)
        return x.permute(0, 3, 1, 2).mean((2, 3))         # pooled: 1 x 32


def test_tensors_laid_out_otherwise_are_no_feature_maps():
    # Read as N x C x H x W, the 1 x 8 x 8 x 128 tensor would be an "8x128" map of 8
    # channels and the scores a "64x64" map of 2: the rows are the image (3 channels at
    # 32x32, the patch conv's input), the patch conv's 32 channels at 8x8, and the pooled 32.
    trace = trace_module(_ChannelsLast(), [(1, 3, 32, 32)])
    rows = largest_per_resolution(trace, "all", "fp32")
    assert [(r.height, r.width, r.channels) for r in rows] == [(8, 8, 32), (1, 1, 32)]
    blocks = largest_per_resolution(trace, "blocks", "fp32")
    assert (blocks[0].height, blocks[0].width, blocks[0].channels) == (32, 32, 3)
    sizes = ModelStructure(trace).feature_map_sizes()
    assert sizes.sizes == {(32, 32), (8, 8), (1, 1)} and sizes.batch == 1
    assert sizes.resolution((64, 32)) is None        # tokens x features: not a pooled map
    assert sizes.resolution((1, 32)) == (1, 1)
