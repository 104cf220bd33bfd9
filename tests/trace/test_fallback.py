"""Keyword inputs, forwards that need values (the real-CPU run), inference mode, lazy modules,
tensors a forward creates, and the outputs a forward may return."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import pytest
import torch
from torch import nn
from torch.ops import aten

from costlab.count.engine import count_costs
from costlab.errors import OptionError, TraceError
from costlab.trace.inputs import InputSpec, as_inputs, call_args, parse_input
from costlab.trace.recorder import trace_module


class _Branchy(nn.Module):
    """`if y.sum() > 0`: meta tensors have no value to branch on."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fc(x)
        if y.sum() > 0:
            return y * 2
        return y - 1


def test_a_forward_that_reads_a_value_is_traced_on_the_cpu_and_says_why():
    trace = trace_module(_Branchy(), [(3, 8)])
    assert trace.device == "cpu"
    assert "aten._local_scalar_dense" in trace.device_reason and "'<root>'" in \
        trace.device_reason
    # fc: 3 rows x 8 inputs x 4 outputs, whichever branch the random weights take
    assert count_costs(trace).totals.macs == 3 * 8 * 4


def test_forcing_meta_names_the_op_the_module_and_the_way_out():
    with pytest.raises(TraceError, match=r"_local_scalar_dense.*'<root>' \(_Branchy\).*"
                                         r"--device cpu"):
        trace_module(_Branchy(), [(3, 8)], device="meta")


def test_the_real_run_needs_the_weights_to_fit():
    """A forward that reads a value first has made nothing yet: its tensors are estimated as
    many bytes again as its weights."""
    class ReadsFirst(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(100, 100)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(x) * x[0, 0].item()   # x[0, 0] is a view: no new tensor

    weights = (100 * 100 + 100) * 4   # 40,400 bytes, above the 400-byte input
    with pytest.raises(TraceError, match=r"needs about 80,800 bytes \(weights 40,400 \+ "
                                         r"inputs and activations 40,400\), over the memory "
                                         r"limit \(80,799 bytes\)"):
        trace_module(ReadsFirst(), [(1, 100)], memory_limit_bytes=2 * weights - 1)
    assert trace_module(ReadsFirst(), [(1, 100)], memory_limit_bytes=2 * weights).device == \
        "cpu"


class _WideThenBranchy(nn.Module):
    """Small weights, large activations made before the value is read."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(10, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fc(x)
        return y if y.sum() > 0 else -y


def test_the_real_run_needs_its_activations_to_fit_too():
    rows = 100_000
    weights = (10 * 10 + 10) * 4
    # the input and fc's output, rows x 10 floats each; the sum (4 bytes), `> 0` (a bool)
    made = 2 * rows * 10 * 4 + 4 + 1
    with pytest.raises(TraceError, match=f"needs about {weights + made:,} bytes "
                                         rf"\(weights {weights} \+ inputs and activations "
                                         rf"{made:,}\)"):
        trace_module(_WideThenBranchy(), [(rows, 10)], memory_limit_bytes=weights + made - 1)
    trace = trace_module(_WideThenBranchy(), [(rows, 10)], memory_limit_bytes=weights + made)
    assert trace.device == "cpu"


def test_forcing_cpu_runs_there():
    trace = trace_module(nn.Linear(8, 4), [(3, 8)], device="cpu")
    assert trace.device == "cpu" and trace.device_reason.startswith("asked for")
    assert count_costs(trace).totals.macs == 3 * 8 * 4


class _Chain(nn.Module):
    """Eight layers in a row; each keeps a weak reference to what it made, and the last
    counts how many of the earlier activations are still alive."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(64, 64) for _ in range(8))
        self.made: list[weakref.ref[torch.Tensor]] = []
        self.alive_at_end: list[int] = []   # a list: the trace puts attributes back

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = torch.relu(layer(x))
            self.made.append(weakref.ref(x))
        self.alive_at_end.append(sum(ref() is not None for ref in self.made))
        return x


def test_the_real_run_frees_activations_the_model_drops():
    # The run holds what the model holds, as it would untraced: the last activation alone,
    # not the sum of every tensor the forward made.
    chain = _Chain()
    trace = trace_module(chain, [(4, 64)], device="cpu")
    assert chain.alive_at_end == [1]
    assert count_costs(trace).totals.macs == 8 * 4 * 64 * 64   # ids freed and reused: no mixup
    outputs = [e.outputs[0].tid for e in trace.events if e.outputs]
    assert len(set(outputs)) == len(outputs)


class _Masked(nn.Module):
    """A keyword mask, read with .all() as Hugging Face models do, and ids in the vocabulary."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.head = nn.Linear(16, 50)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None
                ) -> dict[str, torch.Tensor]:
        assert attention_mask is not None and bool(attention_mask.all())   # ones
        assert int(input_ids.max()) < 50
        return {"logits": self.head(self.embed(input_ids))}


def test_keyword_inputs_get_valid_values_on_the_cpu_and_dict_outputs_are_seen():
    inputs = [parse_input("input_ids=2x7:int64"), parse_input("attention_mask=2x7:int64")]
    trace = trace_module(_Masked(), inputs, vocab_size=50)
    assert trace.device == "cpu"
    assert [t.shape for t in trace.outputs] == [(2, 7, 50)]
    assert count_costs(trace).totals.macs == 2 * 7 * 16 * 50


def test_a_dict_of_keyword_inputs():
    trace = trace_module(nn.Linear(8, 4), {"input": (3, 8)})
    assert trace.inputs[0].shape == (3, 8) and trace.device == "meta"


def test_positional_and_keyword_inputs_mix():
    class Two(nn.Module):
        def forward(self, x: torch.Tensor, *, scale: torch.Tensor) -> torch.Tensor:
            return x * scale

    trace = trace_module(Two(), [InputSpec((2, 3)), InputSpec((2, 3), name="scale")])
    assert [e.op for e in trace.events] == [aten.mul.Tensor]


def test_input_forms():
    assert str(parse_input("attention_mask=1x128:int64")) == "attention_mask=1x128:int64"
    with pytest.raises(OptionError, match="bad input name"):
        parse_input("1x=3")
    specs = as_inputs(lambda: ((torch.zeros(2, 3),), {"mask": torch.ones(2, dtype=torch.bool)}))
    assert specs == (InputSpec((2, 3)), InputSpec((2,), torch.bool, "mask"))
    args, kwargs = call_args(specs, "cpu")
    assert args[0].shape == (2, 3) and bool(kwargs["mask"].all())
    with pytest.raises(OptionError, match="'x' is given twice"):
        as_inputs([InputSpec((1,), name="x"), InputSpec((2,), name="x")])


def test_inference_mode_changes_nothing():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.Linear(8 * 6 * 6, 10))
    plain = count_costs(trace_module(model, [(1, 3, 8, 8)]))
    with torch.inference_mode():
        inside = count_costs(trace_module(model, [(1, 3, 8, 8)]))
    assert inside == plain and not inside.unsupported
    # conv: 288 outputs x 3 x 3 x 3; linear: 288 x 10
    assert inside.totals.macs == 8 * 6 * 6 * 27 + 288 * 10


def test_tensors_a_forward_creates_are_not_allocated():
    class Causal(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            n = x.shape[-1]
            mask = torch.ones(n, n).tril()   # 20,000^2 floats: 1.6 GB if it were real
            return x @ mask

    trace = trace_module(Causal(), [(1, 20_000)], device="meta")
    assert trace.outputs[0].shape == (1, 20_000)


def test_lazy_modules_are_materialized():
    model = nn.Sequential(nn.LazyLinear(6), nn.ReLU(), nn.Linear(6, 2))
    cost = count_costs(trace_module(model, [(4, 5)]))
    assert cost.totals.macs == 4 * 5 * 6 + 4 * 6 * 2
    assert cost.totals.params == 5 * 6 + 6 + 6 * 2 + 2


@dataclass
class _Out:
    logits: torch.Tensor
    hidden: tuple[torch.Tensor, ...]


def test_dataclass_and_tuple_outputs_are_seen():
    class Model(nn.Module):
        def forward(self, x: torch.Tensor) -> _Out:
            return _Out(x + 1, (x * 2, x - 1))

    trace = trace_module(Model(), [(2, 3)])
    assert len(trace.outputs) == 3


def test_attributes_a_forward_sets_are_put_back():
    class Caching(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.anchors = torch.zeros(3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.anchors = self.anchors.to(x.device)
            return x + self.anchors

    model = Caching()
    trace_module(model, [(2, 3)])
    assert model.anchors.device.type == "cpu"
