"""Building specs into modules: naming, repeats, width rounding, shape errors."""

from __future__ import annotations

import pytest
import torch

from costlab.blocks.build import build_model
from costlab.blocks.shapes import output_shape
from costlab.errors import SpecError, UnknownBlockError
from costlab.spec.catalog import find_specs, load_named_spec
from costlab.spec.schema import load_spec, resolve_params
from costlab.trace.recorder import trace_module
from tests.conftest import TOY_SPEC


def _build(spec, **overrides):
    return build_model(spec, resolve_params(spec, overrides))


def test_rows_become_named_children_and_repeats_nest(write_spec):
    built = _build(load_spec(write_spec(TOY_SPEC)))
    assert list(built.module._modules) == ["conv1", "dwsep1", "bottleneck1", "global_avgpool1",
                                           "flatten1", "linear1"]
    assert len(built.module.bottleneck1) == 2
    assert built.input_shape == (1, 3, 32, 32)
    assert all(p.device.type == "meta" for p in built.module.parameters())


def test_stride_applies_to_first_repeat_only():
    built = _build(load_named_spec("mobilenetv2"))
    stage = built.module.bottleneck3          # t=6, c=32, n=3, s=2
    strides = [block.depthwise.conv.stride for block in stage]
    assert strides == [(2, 2), (1, 1), (1, 1)]
    assert [block.use_residual for block in stage] == [False, True, True]


def test_mobilenetv2_has_torchvisions_parameter_count():
    # torchvision documents mobilenet_v2 (width 1.0) with 3,504,872 parameters.
    built = _build(load_named_spec("mobilenetv2"))
    assert sum(p.numel() for p in built.module.parameters()) == 3_504_872


@pytest.mark.parametrize("alpha, first, last_conv", [
    (1.0, 32, 1280), (0.5, 16, 1280), (0.35, 16, 1280), (1.4, 48, 1792)])
def test_mobilenetv2_width_rounding(alpha, first, last_conv):
    # torchvision: _make_divisible(32 * alpha, 8); last conv 1280 * max(1, alpha), rounded.
    built = _build(load_named_spec("mobilenetv2"), alpha=alpha)
    assert built.module.conv1.conv.out_channels == first
    assert built.module.conv2.conv.out_channels == last_conv


def test_stride_that_leaves_no_pixels_names_the_row(write_spec):
    # 4 px -> conv s2 -> 2 px; a 3x3 pooling window without padding does not fit in 2 px.
    path = write_spec(TOY_SPEC.replace("resolution: {default: 32, min: 8}",
                                       "resolution: {default: 4}")
                      .replace("{op: dwsep, c: 32, s: 2}", "{op: maxpool, k: 3, s: 2}"))
    with pytest.raises(SpecError) as error:
        _build(load_spec(path))
    assert str(error.value).startswith(f"{path}:9: layers[1]: maxpool on input 1x16x2x2")


def test_unknown_block_lists_known_blocks(write_spec):
    path = write_spec(TOY_SPEC.replace("op: dwsep", "op: dwsepp"))
    with pytest.raises(UnknownBlockError, match=r"toy.yaml:9: layers\[1\].op: unknown block "
                                                 r"'dwsepp'; known blocks: .*dwsep"):
        _build(load_spec(path))


@pytest.mark.parametrize("row, field, words", [
    ("{op: conv, c: 16, s: two}", "layers[0].s", "neither a number nor a parameter"),
    ("{op: conv, c: 16, s: 1.5}", "layers[0].s", "expected int"),
    ("{op: conv, c: 16, colour: red}", "layers[0].colour", "no field 'colour'"),
    ("{op: conv, s: 2}", "layers[0]", "needs field 'c'"),
    ("{op: conv, c: 16, act: swish}", "layers[0].act", "one of relu"),
    ("{op: conv, c: 0}", "layers[0]", "c must be at least 1"),
])
def test_bad_block_arguments(write_spec, row, field, words):
    path = write_spec(TOY_SPEC.replace("{op: conv, c: 16, s: 2}", row))
    with pytest.raises(SpecError) as error:
        _build(load_spec(path))
    assert f"toy.yaml:8: {field}: " in str(error.value)
    assert words in str(error.value)


def test_real_weights_on_request(write_spec):
    spec = load_spec(write_spec(TOY_SPEC))
    built = build_model(spec, resolve_params(spec, {}), device="cpu")
    out = built.module.eval()(torch.zeros(built.input_shape))
    assert out.shape == (1, 10)


@pytest.mark.parametrize("name", list(find_specs()))
def test_row_shapes_from_arithmetic_are_the_traced_ones(name):
    # The builder takes each row's output shape from its layers' arithmetic (blocks/shapes.py)
    # where it knows them; the trace of the built model is the independent check.
    spec = load_named_spec(name)
    for settings in ({}, {"resolution": 100} if "resolution" in spec.params else {}):
        built = build_model(spec, resolve_params(spec, settings))
        trace = trace_module(built.module, [built.input_shape], device="meta")
        shape = built.input_shape
        for row, module in built.module.named_children():
            for path, part in ([(f"{row}.{i}", m) for i, m in enumerate(module)]
                               if type(module) is torch.nn.Sequential else [(row, module)]):
                traced = next(c for c in trace.calls if c.path == path).outputs[0].shape
                assert output_shape(part, shape) in (None, traced), path
                shape = traced


def test_output_shape_covers_mobilenetv2_and_refuses_what_torch_would():
    built = _build(load_named_spec("mobilenetv2"), resolution=160)
    shape = built.input_shape
    for module in built.module.children():
        shape = output_shape(module, shape)
        assert shape is not None
    assert shape == (1, 1000)
    # 1x1 output from 5 px: (5 + 2 x 1 - 3) // 2 + 1 = 3; a channel count that does not match
    conv = torch.nn.Conv2d(8, 4, 3, 2, 1, device="meta")
    assert output_shape(conv, (1, 8, 5, 5)) == (1, 4, 3, 3)
    assert output_shape(conv, (1, 6, 5, 5)) is None
    # ceil mode: (6 - 3 + 1) // 2 + 1 = 3 windows, the last one starting inside the input
    assert output_shape(torch.nn.MaxPool2d(3, 2, ceil_mode=True), (1, 2, 6, 6)) == (1, 2, 3, 3)
    assert output_shape(torch.nn.MaxPool2d(3, 2, padding=2), (1, 2, 6, 6)) is None
