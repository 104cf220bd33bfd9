"""Training traces: backward ops with the module whose forward made their autograd node."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.ops import aten

from costlab.errors import TraceError
from costlab.trace.recorder import Phase, trace_module


def _net() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))


def _backward(trace):
    return [e for e in trace.events if e.phase is not Phase.FORWARD]


def test_backward_ops_carry_the_module_that_made_their_node():
    trace = trace_module(_net(), [(2, 3, 10, 10)], training=True)
    where = {e.name: e.module for e in _backward(trace) if "backward" in e.name}
    assert where == {"aten.convolution_backward.default": "0",
                     "aten.native_batch_norm_backward.default": "1",
                     "aten.threshold_backward.default": "2"}
    mms = [(e.module, e.phase) for e in _backward(trace) if e.op is aten.mm.default]
    assert sorted(mms) == [("5", Phase.BACKWARD_INPUT), ("5", Phase.BACKWARD_WEIGHT)]


def test_a_first_layer_computes_no_input_gradient_and_frozen_weights_no_weight_gradient():
    trace = trace_module(_net(), [(2, 3, 10, 10)], training=True)
    conv = next(e for e in trace.events if e.op is aten.convolution_backward.default)
    assert list(conv.arg("output_mask")) == [False, True, True]   # the image needs none
    assert conv.phase is Phase.BACKWARD_WEIGHT
    frozen = trace_module(_net(), [(2, 3, 10, 10)], training=True,
                          frozen={"0.weight", "0.bias", "5.weight", "5.bias"})
    assert not any(e.op is aten.convolution_backward.default for e in frozen.events)
    assert [e.phase for e in frozen.events if e.op is aten.mm.default] == [
        Phase.BACKWARD_INPUT]       # the classifier's input gradient, for the batch norm


def test_input_gradients_on_request():
    trace = trace_module(nn.Conv2d(3, 8, 3), [(1, 3, 8, 8)], training=True, input_grads=True)
    conv = next(e for e in trace.events if e.op is aten.convolution_backward.default)
    assert list(conv.arg("output_mask")) == [True, True, True]
    assert conv.phase is Phase.BACKWARD_INPUT   # it computes both; the rule splits them


def test_an_inference_trace_has_forward_ops_only():
    assert {e.phase for e in trace_module(_net(), [(1, 3, 8, 8)]).events} == {Phase.FORWARD}


def test_a_training_trace_leaves_no_trace_on_the_model():
    model = _net()
    model.eval()
    model[5].weight.requires_grad_(False)
    before = [p.clone() for p in model.parameters()]
    trace_module(model, [(2, 3, 10, 10)], training=True, frozen={"0.bias"})
    assert not any(m.training for m in model.modules())
    assert [p.requires_grad for p in model.parameters()] == [True, True, True, True, False,
                                                             True]
    assert all(p.grad is None for p in model.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    with torch.no_grad():   # a caller's no_grad is left as it was, and training still works
        assert trace_module(model, [(1, 3, 8, 8)], training=True).events[-1].phase \
            is not Phase.FORWARD
        assert not torch.is_grad_enabled()


def test_gradients_meeting_at_a_fork_are_summed_in_backward():
    class Residual(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Linear(6, 6)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x + self.body(x)

    trace = trace_module(nn.Sequential(nn.Linear(6, 6), Residual()), [(2, 6)], training=True)
    sums = [e for e in _backward(trace) if e.op is aten.add.Tensor]
    assert [(e.module, e.outputs[0].shape) for e in sums] == [("1.body", (2, 6))]


def test_a_failing_backward_names_the_module_whose_gradient_failed():
    class Fails(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x: torch.Tensor) -> torch.Tensor:   # type: ignore[override]
            return x * 2

        @staticmethod
        def backward(ctx, grad: torch.Tensor) -> torch.Tensor:   # type: ignore[override]
            raise ValueError("no gradient here\nsecond line")

    class Custom(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return Fails.apply(x)

    with pytest.raises(TraceError, match=r"^backward failed in the gradient of module '1' "
                                         r"\(Custom\): ValueError: no gradient here$"):
        trace_module(nn.Sequential(nn.Linear(4, 4), Custom()), [(1, 4)], training=True)
