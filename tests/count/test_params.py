"""Parameter conventions, checked against published and hand-computed counts."""

from __future__ import annotations

import pytest
from torch import nn

from costlab.blocks.build import build_model
from costlab.count.params import count_params
from costlab.errors import OptionError
from costlab.spec.catalog import load_named_spec
from costlab.spec.schema import resolve_params
from costlab.trace.recorder import trace_module


def _trace(name, **overrides):
    spec = load_named_spec(name)
    built = build_model(spec, resolve_params(spec, overrides))
    return trace_module(built.module, [built.input_shape])


def _total(trace, convention):
    return sum(count_params(trace, convention).values())


def _v1_weights() -> int:
    # MobileNetV1 Table 1: conv 3x3x3x32, then per separable layer 3x3 x C_in (depthwise) and
    # C_in x C_out (pointwise); FC 1024 x 1000 + 1000 bias.
    pairs = [(32, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 512)] + \
        [(512, 512)] * 5 + [(512, 1024), (1024, 1024)]
    return 3 * 3 * 3 * 32 + sum(9 * cin + cin * cout for cin, cout in pairs) + 1024 * 1000 + 1000


def test_mobilenetv1_conventions():
    trace = _trace("mobilenetv1")
    bn_channels = 32 + sum(cin + cout for cin, cout in [(32, 64), (64, 128), (128, 128),
                           (128, 256), (256, 256), (256, 512)] + [(512, 512)] * 5 +
                           [(512, 1024), (1024, 1024)])          # 10,944 BN channels
    assert _total(trace, "weights") == _v1_weights() == 4_210_088
    assert _total(trace, "torch") == _v1_weights() + 2 * bn_channels
    assert _total(trace, "keras") == _v1_weights() + 4 * bn_channels
    # seed 004: "4,221,032 (after folding the batch normalization layers)"
    assert _total(trace, "folded") == _v1_weights() + bn_channels == 4_221_032


def test_mobilenetv2_torch_and_weights():
    trace = _trace("mobilenetv2")
    assert _total(trace, "torch") == 3_504_872            # torchvision's documented count
    bn = sum(count_params(trace, "torch").values()) - _total(trace, "weights")
    assert bn % 2 == 0 and _total(trace, "folded") == _total(trace, "weights") + bn // 2


def test_folding_into_a_conv_that_has_a_bias_adds_nothing():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=True), nn.BatchNorm2d(8))
    trace = trace_module(model, [(1, 3, 8, 8)])
    assert _total(trace, "folded") == 3 * 8 * 9 + 8           # the conv's own weight and bias
    assert count_params(trace, "folded")["1"] == 0


def test_batch_norm_without_a_producer_keeps_scale_and_shift():
    model = nn.Sequential(nn.BatchNorm2d(3), nn.Conv2d(3, 8, 1, bias=False))
    trace = trace_module(model, [(1, 3, 8, 8)])
    assert count_params(trace, "folded") == {"0": 6, "1": 24}


def test_trainable_leaves_out_frozen_parameters():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.Linear(8, 4))
    model[0].requires_grad_(False)   # a frozen stem
    trace = trace_module(model, [(1, 3, 3, 3)])
    assert _total(trace, "trainable") == 8 * 4 + 4                   # the linear alone
    assert count_params(trace, "trainable")["0"] == 0
    assert _total(trace, "torch") == 3 * 8 * 9 + 8 + 8 * 4 + 4


def test_unknown_convention():
    with pytest.raises(OptionError, match="unknown parameter convention 'tf'; one of torch, "
                                          "weights, folded, keras, trainable"):
        count_params(_trace("mobilenetv1"), "tf")
