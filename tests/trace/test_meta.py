"""The shape-only fast paths: each output equals the real meta kernel's (shape, strides, dtype)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch.utils._pytree import tree_leaves

from costlab.trace.meta import FAST_META, FastMeta, op_tensors, run_op

aten = torch.ops.aten


def _t(*shape: int, layout: torch.memory_format = torch.contiguous_format) -> torch.Tensor:
    return torch.empty(*shape, device="meta").to(memory_format=layout)


def _x(layout: torch.memory_format) -> torch.Tensor:
    return _t(2, 8, 5, 5, layout=layout)


def _unary(op: Any) -> list[tuple[Any, ...]]:
    return [(_x(layout),) for layout in (torch.contiguous_format, torch.channels_last)]


def _batch_norm(op: Any) -> list[tuple[Any, ...]]:
    c = _t(8)
    training = () if "no_training" in str(op) else (False,)
    return [(_x(layout), c, c, c, c, *training, 0.1, 1e-5)
            for layout in (torch.contiguous_format, torch.channels_last)]


def _backward(op: Any) -> list[tuple[Any, ...]]:
    """(grad_output, input, ...): a gradient of the input's layout."""
    c = _t(8)
    cases = []
    for layout in (torch.contiguous_format, torch.channels_last):
        x = _x(layout)
        cases.append({"threshold_backward": (x, x, 0.0), "hardtanh_backward": (x, x, 0.0, 6.0),
                      "native_batch_norm_backward": (x, x, c, c, c, c, c, True, 1e-5,
                                                     [True, True, True])}[op._schema.name[6:]])
    return cases


def _binary(op: Any) -> list[tuple[Any, ...]]:
    cl = torch.channels_last
    transposed = _t(1, 12, 64, 197).transpose(-1, -2)       # attention's q @ k.T operands
    pairs: list[tuple[Any, ...]] = [
        (_t(2, 8, 5, 5), _t(2, 8, 5, 5)), (_t(2, 8, 5, 5), _t(1, 8, 1, 1)),
        (_t(1, 8, 1, 1), _t(2, 8, 5, 5)), (_t(2, 8, 5, 5, layout=cl), _t(2, 8, 5, 5)),
        (_t(2, 8, 5, 5), _t(2, 8, 5, 5, layout=cl)), (_t(2, 8, 5, 5, layout=cl), _t(8, 1, 1)),
        (_t(3, 1), _t(1, 4)), (_t(5), _t(4, 5)), (transposed, _t(1, 12, 197, 64)),
        (_t(1, 197, 768), torch.empty_strided((1, 197, 768), (768, 768, 1), device="meta")),
        (_t(4, 5), torch.empty((), device="meta")), (_t(4, 5), 2), (_t(4, 5), 0.5),
        (transposed, 3.0),
    ]
    if str(op).startswith(("aten.add", "aten.sub")):
        pairs.append((_t(4, 5), _t(4, 5), {"alpha": 2}))
    if op._overloadname == "Scalar":
        pairs = [p for p in pairs if not isinstance(p[1], torch.Tensor)]
    return pairs


def _addmm(op: Any) -> list[tuple[Any, ...]]:
    w = _t(1000, 768)
    return [(_t(1000), _t(1, 768), w.t()), (_t(3, 1000), _t(3, 768), w.t()),
            (_t(1000), torch.empty_strided((1, 768), (151296, 1), device="meta"), w.t()),
            (_t(1, 1000), _t(4, 768), _t(768, 1000), {"beta": 0.5, "alpha": 2})]


def _conv(op: Any) -> list[tuple[Any, ...]]:
    cl = torch.channels_last

    def conv(x: torch.Tensor, w: torch.Tensor, bias: Any = None, stride: Any = (1, 1),
             padding: Any = (0, 0), dilation: Any = (1, 1), groups: int = 1) -> tuple[Any, ...]:
        return (x, w, bias, list(stride), list(padding), list(dilation), False, [0] * len(stride),
                groups)

    return [conv(_t(1, 3, 224, 224), _t(32, 3, 3, 3), _t(32), (2, 2), (1, 1)),
            conv(_t(1, 32, 112, 112), _t(32, 1, 3, 3), None, (1, 1), (1, 1), groups=32),
            conv(_t(2, 8, 7, 9, layout=cl), _t(16, 8, 1, 1)),
            conv(_t(2, 8, 7, 9), _t(16, 8, 1, 1, layout=cl)),
            conv(_t(2, 8, 17, 19), _t(16, 4, 3, 5), _t(16), (2, 3), (1, 2), (2, 1), groups=2),
            conv(_t(2, 4, 30), _t(6, 4, 5), None, (2,), (1,), (3,)),
            conv(_t(1, 4, 6, 8, 8), _t(2, 4, 3, 3, 3), None, (1, 2, 2), (1, 1, 1), (1, 1, 1))]


def _mean(op: Any) -> list[tuple[Any, ...]]:
    return [(_x(torch.contiguous_format), [-1, -2], True), (_x(torch.contiguous_format), [2, 3]),
            (_t(4, 5, 6), [1]), (_t(4, 5, 6), [0, 2], False), (_x(torch.channels_last), [2, 3]),
            (_x(torch.channels_last), [1], True), (_t(2, 10, 32)[:, 0], [-1]),
            (_t(4, 5, 6).transpose(0, 2), [1], True), (_t(4, 5, 6).transpose(0, 2), [0])]


def _layer_norm(op: Any) -> list[tuple[Any, ...]]:
    w = _t(768)
    return [(_t(1, 197, 768), [768], w, w, 1e-6), (_t(1, 197, 768), [768], None, None, 1e-5),
            (_t(2, 4, 6), [4, 6], _t(4, 6), None, 1e-5),
            (_t(1, 197, 768).transpose(0, 1), [768], w, w, 1e-6)]


def _softmax(op: Any) -> list[tuple[Any, ...]]:
    last = (False,) if op is aten._softmax.default else ()
    odd_stride = torch.empty_strided((1, 12, 5), (999, 5, 1), device="meta")
    return [(_t(1, 12, 197, 197), -1, *last), (_t(2, 5), 0, *last), (odd_stride, -1, *last),
            (_t(2, 5), -2, *last)]


def test_softmax_of_a_transposed_tensor_takes_the_kernel():
    scores = _t(1, 12, 64, 197).transpose(-1, -2)
    for op, last in ((aten._softmax.default, (False,)), (aten._safe_softmax.default, ())):
        expected, got = op(scores, -1, *last), run_op(op, (scores, -1, *last), {})
        assert (got.shape, got.stride()) == (expected.shape, expected.stride())


def _cat(op: Any) -> list[tuple[Any, ...]]:
    cl = torch.channels_last
    return [([_t(1, 1, 768), _t(1, 196, 768)], 1),
            ([_t(1, 1, 768), _t(1, 768, 196).transpose(1, 2)], 1),
            ([_t(2, 8, 5, 5, layout=cl), _t(2, 4, 5, 5, layout=cl)], 1),
            ([_t(2, 8, 5, 5, layout=cl), _t(2, 4, 5, 5)], 1),
            ([_t(2, 8, 5, 5), _t(2, 8, 5, 5)], -1), ([_t(3, 4)],)]


_CASES: dict[str, Callable[[Any], list[tuple[Any, ...]]]] = {
    "native_batch_norm": _batch_norm, "_native_batch_norm_legit_no_training": _batch_norm,
    **{name: _binary for name in ("add", "sub", "mul", "div")},
    "addmm": _addmm, "convolution": _conv, "mean": _mean, "native_layer_norm": _layer_norm,
    "_softmax": _softmax,
    "_safe_softmax": _softmax, "cat": _cat, "threshold_backward": _backward,
    "hardtanh_backward": _backward, "native_batch_norm_backward": _backward,
}


def _cases(op: Any) -> list[tuple[Any, ...]]:
    return _CASES.get(op._schema.name.removeprefix("aten::"), _unary)(op)


def _split(case: tuple[Any, ...]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """A case's positional arguments, and its keyword ones when it ends with a dict."""
    if case and isinstance(case[-1], dict):
        return case[:-1], case[-1]
    return case, {}


def _flat(out: Any) -> tuple[Any, ...]:
    return out if isinstance(out, tuple) else (out,)


@pytest.mark.parametrize("op", sorted(FAST_META, key=str), ids=str)
def test_fast_meta_outputs_equal_the_meta_kernel(op):
    cases = _cases(op)
    assert cases
    for case in cases:
        args, kwargs = _split(case)
        expected, got = op(*args, **kwargs), run_op(op, args, kwargs)
        assert len(_flat(expected)) == len(_flat(got)), args
        for e, g in zip(_flat(expected), _flat(got), strict=True):
            assert (e.shape, e.stride(), e.dtype) == (g.shape, g.stride(), g.dtype), (op, args)
        if str(op).endswith("_.default"):
            assert got is args[0]


def test_every_fast_path_answers_some_case():
    # Where a fast path answers None the kernel runs: each must answer its common cases.
    for op, fast in FAST_META.items():
        assert any(fast(*_split(case)) is not None for case in _cases(op)), op


@pytest.mark.parametrize(("op", "args"), [
    (aten.add.Tensor, (_t(3, 4), _t(5, 4))),                  # sizes that do not broadcast
    (aten.mean.dim, (_t(3, 4), [0, 0])),                      # a repeated dim
    (aten.cat.default, ([_t(3, 4), _t(3, 5)], 0)),            # sizes that differ off the dim
    (aten.native_layer_norm.default, (_t(3, 4), [5], None, None, 1e-5)),
    (aten.convolution.default, (_t(1, 3, 8, 8), _t(4, 5, 3, 3), None, [1, 1], [0, 0], [1, 1],
                                False, [0, 0], 1)),           # channels that do not match
    (aten.convolution.default, (_t(1, 3, 2, 2), _t(4, 3, 3, 3), None, [1, 1], [0, 0], [1, 1],
                                False, [0, 0], 1)),           # a kernel larger than the input
])
def test_cases_the_fast_paths_leave_to_the_kernel_raise_its_error(op, args):
    with pytest.raises(RuntimeError) as kernel:
        op(*args)
    with pytest.raises(RuntimeError) as ours:
        run_op(op, args, {})
    assert str(ours.value) == str(kernel.value)


def test_int_and_half_tensors_take_the_kernel():
    ints = torch.empty(3, 4, device="meta", dtype=torch.int64)
    assert run_op(aten.add.Tensor, (ints, ints), {}).dtype == torch.int64
    half = torch.empty(3, 4, device="meta", dtype=torch.float16)
    assert run_op(aten.mul.Tensor, (half, _t(3, 4)), {}).dtype == torch.float32


def test_tracing_cnns_and_transformers_does_not_import_dynamo():
    # A fresh process: no op of these models falls to a kernel that imports torch._dynamo
    # (seconds); conv, batch norm, activations, residual adds, pooling, linear, layer norm,
    # attention and cat are all covered.
    code = """if True:
        import sys, torch
        from torch import nn
        from costlab.trace.recorder import trace_module
        cnn = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU6(), nn.Hardswish(),
                            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))
        trace_module(cnn, [(1, 3, 16, 16)])
        layer = nn.TransformerEncoderLayer(32, 4, 64, batch_first=True, activation="gelu")
        token = nn.Parameter(torch.zeros(1, 1, 32))
        class Vit(nn.Module):
            def __init__(self):
                super().__init__()
                self.layer, self.token = layer, token
            def forward(self, x):
                x = torch.cat([self.token.expand(x.shape[0], -1, -1), x], dim=1)
                return self.layer(x * 0.5 + x)[:, 0].mean(-1)
        trace_module(Vit(), [(2, 10, 32)])
        print("torch._dynamo" in sys.modules)
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=300)
    assert out.stdout.strip() == "False"


def test_fast_meta_runs_a_model_to_the_shapes_of_the_kernels():
    layer = torch.nn.TransformerEncoderLayer(64, 4, 128, batch_first=True, device="meta")
    x = _t(2, 10, 64)
    with FastMeta():
        got = layer.eval()(x)
    assert (got.shape, got.stride()) == ((2, 10, 64), (640, 64, 1))


def test_op_tensors_agrees_with_pytree_on_aten_arguments():
    a, b, c = _t(2), _t(3), _t(4)
    bound = {"self": a, "tensors": [b, c], "indices": (None, b), "size": torch.Size([2, 3]),
             "dim": [0, 1], "alpha": 2, "weight": None}
    leaves = [t for t in tree_leaves(list(bound.values())) if isinstance(t, torch.Tensor)]
    assert list(op_tensors(bound.values())) == leaves
    assert [id(t) for t in leaves] == [id(a), id(b), id(c), id(b)]
