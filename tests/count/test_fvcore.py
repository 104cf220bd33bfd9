"""fvcore as an independent second counter: conv and linear MACs equal, module by module."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from costlab.analyses.analysis import analyze_target
from costlab.blocks.build import build_model
from costlab.models.resolve import Target
from costlab.spec.catalog import find_specs, load_named_spec
from costlab.spec.schema import resolve_params

fvcore = pytest.importorskip("fvcore.nn")


# NASNet-A's forward under fvcore's TorchScript trace takes 15 s at 224 px on one core; at
# 160 px (80, 40, 20, 10 and 5 px feature maps, odd sizes included) every cell and reduction
# is still compared, module by module.
SMALLER = {"nasnet_a_mobile": {"resolution": 160}}


def _variants():
    for name in find_specs():
        spec = load_named_spec(name)
        default = SMALLER.get(name, {})
        label = ",".join(f"{k}={v}" for k, v in default.items()) or "default"
        yield pytest.param(name, default, id=f"{name}-{label}")
        if "alpha" in spec.params and spec.params["alpha"].minimum is not None:
            yield pytest.param(name, {"alpha": 0.5, "resolution": 128}, id=f"{name}-0.5-128")


@pytest.mark.parametrize("name, overrides", list(_variants()))
def test_conv_and_linear_macs_match_fvcore_per_module(name, overrides):
    spec = load_named_spec(name)
    config = resolve_params(spec, overrides)
    # Built on meta, then given zeroed CPU storage: fvcore runs the model for real, but counts
    # do not depend on the values, so random initialization is time wasted (and uninitialized
    # memory, denormals included, makes nasnet's forward six times slower).
    built = build_model(spec, config)
    model = built.module.to_empty(device="cpu").eval()
    with torch.no_grad():
        for tensor in (*model.parameters(), *model.buffers()):
            tensor.zero_()
    analysis = analyze_target(Target(name, model, (built.input_shape,), config, spec))
    ours = {row.path: row.macs for row in analysis.cost.layers}

    counter = fvcore.FlopCountAnalysis(model, torch.zeros(built.input_shape))
    counter.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    theirs = counter.by_module()
    compared = 0
    for path, module in model.named_modules():
        if isinstance(module, nn.Conv2d | nn.Linear):
            assert ours[path] == theirs[path], path   # fvcore counts one "flop" per MAC here
            compared += 1
    assert compared > 0
    assert analysis.cost.totals.macs == sum(ours[p] for p, m in model.named_modules()
                                            if isinstance(m, nn.Conv2d | nn.Linear))
