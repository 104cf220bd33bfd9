"""The tracer: ops with module paths, tensor identities, and no trace left on the model."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.ops import aten

from costlab.errors import TraceError
from costlab.trace.inputs import InputSpec, as_input
from costlab.trace.recorder import trace_module


def _small() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU6(inplace=True),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))


def test_ops_carry_module_paths_and_attributes():
    trace = trace_module(_small(), [(1, 3, 16, 16)])
    conv = next(e for e in trace.events if e.op is aten.convolution.default)
    assert conv.module == "0" and conv.module_type == "Conv2d"
    assert conv.arg("input").shape == (1, 3, 16, 16)
    assert conv.arg("weight").kind == "param"
    assert list(conv.arg("stride")) == [1, 1] and conv.arg("groups") == 1
    assert conv.outputs[0].shape == (1, 8, 14, 14)
    assert [e.module for e in trace.events if e.op is aten.addmm.default] == ["5"]


def test_in_place_ops_and_views_keep_identity():
    trace = trace_module(_small(), [(1, 3, 16, 16)])
    relu = next(e for e in trace.events if e.op is aten.hardtanh_.default)
    assert relu.outputs[0].tid == relu.inputs[0].tid          # in place: the same tensor
    view = next(e for e in trace.events if e.op is aten.view.default)
    assert view.outputs[0].tid != view.inputs[0].tid          # a new tensor object...
    assert view.outputs[0].storage == view.inputs[0].storage  # ...over the same storage


def test_module_calls_record_inputs_and_outputs():
    trace = trace_module(_small(), [(2, 3, 16, 16)])
    calls = {c.path: c for c in trace.calls}
    assert calls[""].inputs[0].shape == (2, 3, 16, 16)
    assert calls[""].outputs[0].shape == (2, 10)
    assert calls["3"].outputs[0].shape == (2, 8, 1, 1)
    assert calls["1"].inputs[0].tid == calls["0"].outputs[0].tid


def test_model_is_left_untouched_even_on_error():
    model = _small().train()
    model[1].eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(TraceError, match=r"module '0' \(Conv2d\)"):
        trace_module(model, [(1, 4, 16, 16)])   # 4 channels into a 3-channel conv
    trace_module(model, [(1, 3, 16, 16)])
    assert model.training and not model[1].training and model[0].training
    after = model.state_dict()
    assert list(after) == list(before)
    assert all(torch.equal(after[k], before[k]) for k in before)
    assert all(p.device.type == "cpu" for p in model.parameters())
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())
    assert not nn.modules.module._global_forward_hooks
    assert not nn.modules.module._global_forward_pre_hooks


def test_repeated_traces_are_identical():
    model = _small()
    first, second = (trace_module(model, [(1, 3, 16, 16)]) for _ in range(2))
    assert [(e.name, e.module, [t.shape for t in e.outputs]) for e in first.events] == \
           [(e.name, e.module, [t.shape for t in e.outputs]) for e in second.events]


def test_real_weights_are_not_copied():
    # 64M float32 weights: a copy would need 256 MB; meta stand-ins need none.
    model = nn.Linear(8192, 8192, bias=False)
    trace = trace_module(model, [(1, 8192)])
    assert trace.params["weight"].shape == (8192, 8192)
    assert model.weight.device.type == "cpu"


def test_input_specs_carry_their_element_type():
    ids = InputSpec((2, 5), torch.int64)
    assert str(ids) == "2x5:int64" and str(as_input((1, 3, 8, 8))) == "1x3x8x8"
    assert as_input(torch.zeros(2, 5, dtype=torch.int32)) == InputSpec((2, 5), torch.int32)
    assert ids.tensor("cpu").dtype == torch.int64 and ids.tensor().is_meta
    trace = trace_module(nn.Embedding(10, 4), [ids])       # float32 ids would fail here
    assert trace.outputs[0].shape == (2, 5, 4)


class _Shared(nn.Module):
    """One module at two paths (called twice) and one weight tied between two layers."""

    def __init__(self) -> None:
        super().__init__()
        self.block = nn.Linear(4, 4)
        self.again = self.block
        self.head, self.tail = nn.Linear(4, 4, bias=False), nn.Linear(4, 4, bias=False)
        self.tail.weight = self.head.weight
        self.register_buffer("scale", torch.ones(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.again(self.block(x)) * self.scale
        return torch.cat([self.head(y), self.tail(y)], dim=1)


def test_shared_modules_and_tied_weights_are_named_as_torch_names_them():
    model = _Shared()
    tables = [(vars(m)["_parameters"], vars(m)["_buffers"]) for m in model.modules()]
    trace = trace_module(model, [(2, 4)])
    # each tensor and module once, at its first name, as named_parameters/named_modules say
    assert list(trace.params) == [name for name, _ in model.named_parameters()] == \
        ["block.weight", "block.bias", "head.weight"]
    assert list(trace.buffers) == ["scale"]
    assert list(trace.module_types) == [name for name, _ in model.named_modules()]
    head, tail = (e for e in trace.events if e.op is aten.mm.default)
    assert head.arg("mat2").storage == tail.arg("mat2").storage == \
        trace.params["head.weight"].storage                      # one stand-in: still tied
    cat = next(e for e in trace.events if e.op is aten.cat.default)
    assert cat.arg("tensors") == list(cat.inputs) == [head.outputs[0], tail.outputs[0]]
    assert len({e.module for e in trace.events if e.op is aten.addmm.default}) == 1
    # the modules' own tables are back, the weights still tied and real
    assert all(vars(m)["_parameters"] is params and vars(m)["_buffers"] is buffers
               for m, (params, buffers) in zip(model.modules(), tables, strict=True))
    assert model.tail.weight is model.head.weight and not model.head.weight.is_meta


def test_the_garbage_collector_is_left_as_it_was():
    import gc
    trace_module(_small(), [(1, 3, 16, 16)])
    assert gc.isenabled()
    gc.disable()
    try:
        trace_module(_small(), [(1, 3, 16, 16)])
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(TraceError):
        trace_module(_small(), [(1, 4, 16, 16)])
    assert gc.isenabled()
