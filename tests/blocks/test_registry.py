"""Every registered block builds from a minimal row, so a new block is tested automatically."""

from __future__ import annotations

import pytest

from costlab.blocks import list_blocks
from costlab.blocks.build import build_model
from costlab.spec.schema import parse_spec
from costlab.trace.recorder import trace_module

# One minimal example per block; a block missing here fails test_every_block_has_an_example.
EXAMPLES = {
    "conv": "{op: conv, c: 16, k: 3, s: 2}",
    "dwsep": "{op: dwsep, c: 16, s: 2}",
    "bottleneck": "{op: bottleneck, t: 6, c: 8, n: 2, s: 1}",
    "basic": "{op: basic, c: 16, n: 2, s: 2}",
    "resnet_bottleneck": "{op: resnet_bottleneck, c: 4, n: 2, s: 2}",
    "maxpool": "{op: maxpool, k: 3, s: 2, p: 1}",
    "avgpool": "{op: avgpool, k: 2}",
    "global_avgpool": "{op: global_avgpool}",
    "adaptive_avgpool": "{op: adaptive_avgpool, size: 2}",
    "flatten": "{op: flatten}",
    "dropout": "{op: dropout, p: 0.1}",
    "linear": "{op: flatten}\n  - {op: linear, out: 5}",
    "act": "{op: act, fn: hardswish}",
    "batchnorm": "{op: batchnorm}",
    "channel_shuffle": "{op: channel_shuffle, g: 2}",
    "shuffle_unit": "{op: shuffle_unit, stage: 2, g: 2, n: 2, s: 2}",
    "nasnet_a": "{op: nasnet_a, penultimate: 96, cells: 1}",
}


def test_every_block_has_an_example():
    assert sorted(set(list_blocks()) - set(EXAMPLES)) == []


@pytest.mark.parametrize("op", sorted(EXAMPLES))
def test_block_builds_and_traces(op):
    spec = parse_spec(f"name: t\ncitation: c\nparams: {{resolution: 16}}\nlayers:\n"
                      f"  - {{op: conv, c: 8}}\n  - {EXAMPLES[op]}\n", f"{op}.yaml")
    built = build_model(spec, {"resolution": 16})
    trace = trace_module(built.module, [built.input_shape])
    assert trace.outputs and all(size > 0 for size in trace.outputs[0].shape)


def test_list_blocks_pattern_and_natural_order():
    assert list_blocks("*pool") == ["adaptive_avgpool", "avgpool", "global_avgpool", "maxpool"]
    assert list_blocks("b*") == ["basic", "batchnorm", "bottleneck"]
