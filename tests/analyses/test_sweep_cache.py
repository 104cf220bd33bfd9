"""The sweep's block cache: every composed row equals the full analysis of its configuration
(hits included), blocks seen before are not traced again, and what does not compose falls
back to the full analysis."""

from __future__ import annotations

import random

import pytest

from costlab.analyses import sweep_cache
from costlab.analyses.measurement import measure, select_metrics
from costlab.analyses.metrics import CATALOG
from costlab.analyses.sweep import evaluate
from costlab.analyses.sweep_cache import BlockCache, compose
from costlab.blocks.context import BuildContext
from costlab.errors import CostlabError, first_line
from costlab.spec.catalog import find_specs
from costlab.spec.variants import Variant
from tests.conftest import TOY_SPEC

EVERY_METRIC = sorted(m.key for m in CATALOG.values() if m.composes)


def _full(model, settings, params="torch", dtype="fp32"):
    """The analysis a row must equal: `measure`, which traces the whole model."""
    return measure(Variant(model, dict(settings)), params=params, dtype=dtype,
                   metrics=select_metrics(EVERY_METRIC))


def _same(model, settings, cache, params="torch", dtype="fp32"):
    composed = compose(model, settings, EVERY_METRIC, params, dtype, cache)
    assert composed is not None, f"{model} {settings} did not compose"
    full = _full(model, settings, params, dtype)
    assert dict(composed.values) == dict(full.values)
    assert dict(composed.config) == dict(full.config)
    # every published figure, the per-resolution Table 3 ones included
    assert composed.published == full.published


@pytest.mark.parametrize("name", list(find_specs()))
def test_every_spec_composes_to_its_full_analysis(name):
    _same(name, {}, BlockCache())


@pytest.mark.parametrize("params, dtype", [("torch", "fp32"), ("weights", "fp16"),
                                           ("folded", "int8"), ("keras", "bf16")])
def test_random_mobilenetv2_rows_equal_the_full_analysis_hits_included(params, dtype):
    rng = random.Random(f"{params}{dtype}")
    configs = [{"alpha": round(rng.uniform(0.35, 1.4), 4),
                "resolution": rng.randrange(96, 225, 8)} for _ in range(3)]
    # the slim checkpoints: their published figures are judged (max_memory_bytes included)
    configs += [{"alpha": 1.0, "resolution": 224}, {"alpha": 1.4, "resolution": 224,
                                                    "num_classes": 1001}]
    cache = BlockCache()
    for config in configs:
        _same("mobilenetv2", config, cache, params, dtype)
    traced = cache.stats.traces
    for config in reversed(configs):       # now every block is a hit
        _same("mobilenetv2", config, cache, params, dtype)
    assert cache.stats.traces == traced and cache.stats.hits > 0


def test_a_configuration_seen_before_traces_nothing(monkeypatch):
    calls = []
    real = sweep_cache.trace_module
    monkeypatch.setattr(sweep_cache, "trace_module",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    cache = BlockCache()
    first = evaluate("mobilenetv2", {"alpha": 0.5, "resolution": 160}, None, "torch", "fp32",
                     cache)
    blocks = len(calls)
    # conv1, the 17 bottleneck repeats (n = 1, 2, 3, 4, 3, 3, 1), conv2, pool, flatten,
    # dropout, linear: 23 blocks, of which the 3rd+ repeats of a stage (0+1+2+1+1 = 5) are the
    # 2nd's block again, found within this very configuration
    assert blocks == 23 - 5
    again = evaluate("mobilenetv2", {"alpha": 0.5, "resolution": 160}, None, "torch", "fp32",
                     cache)
    assert again == first and len(calls) == blocks
    # alpha 0.501 rounds every width as 0.5 does (320 x 0.501 = 160.3 -> 160): the same
    # blocks, no trace either
    evaluate("mobilenetv2", {"alpha": 0.501, "resolution": 160}, None, "torch", "fp32", cache)
    assert len(calls) == blocks
    # another resolution shares no block shape with 160 px: traced again
    evaluate("mobilenetv2", {"alpha": 0.5, "resolution": 96}, None, "torch", "fp32", cache)
    assert len(calls) > blocks


def test_metrics_that_need_a_full_trace_fall_back(toy_spec):
    cache = BlockCache()
    assert compose(toy_spec, {}, ["macs", "backward_macs"], "torch", "fp32", cache) is None
    row = evaluate(toy_spec, {}, ["macs", "backward_macs"], "torch", "fp32", cache)
    full = measure(Variant(toy_spec, {}), metrics=select_metrics(["macs", "backward_macs"]))
    assert row.values == dict(full.values) and cache.stats.full == 1


def test_a_batch_norm_on_the_previous_block_is_not_composed(write_spec):
    # folded: the standalone batch norm folds into the conv row before it (a bias of 16),
    # which a trace of the batch norm alone cannot see.
    path = str(write_spec(TOY_SPEC.replace("  - {op: dwsep, c: 32, s: 2}",
                                           "  - {op: batchnorm}\n  - {op: dwsep, c: 32, s: 2}")))
    cache = BlockCache()
    assert compose(path, {}, None, "folded", "fp32", cache) is None
    row = evaluate(path, {}, None, "folded", "fp32", cache)
    assert row.values == dict(measure(Variant(path, {}), params="folded").values)


# Table 3 figures at every resolution, which no view gives, so that each view's maxima are
# judged and shown: a row of like convs (a row of layers), a depthwise separable block, a row
# of bottlenecks, a linear with its activation (one layer) and a dropout after it (adding
# nothing to it).
VIEWS_SPEC = TOY_SPEC.replace("  - {op: conv, c: 16, s: 2}",
                              "  - {op: conv, c: 16, s: 2, n: 2}") \
    .replace("  - {op: linear, out: num_classes}",
             "  - {op: linear, out: 48, act: relu}\n  - {op: dropout}\n"
             "  - {op: linear, out: num_classes}") + "reported:\n" + "".join(
        f'  - {{source: "x", table: Table 3, metric: max_channels, at: {at}, published: 7}}\n'
        for at in ("16x16", "8x8", "1x1"))


def test_table3_maxima_compose_as_the_model_structure_reads_them(write_spec):
    path = str(write_spec(VIEWS_SPEC))
    _same(path, {}, BlockCache())
    _same(path, {"alpha": 0.5}, BlockCache())


def test_an_activation_row_after_a_layer_is_not_composed(write_spec):
    # the activation joins the conv row before it (one layer), which a trace of the
    # activation alone cannot see
    path = str(write_spec(TOY_SPEC.replace("  - {op: conv, c: 16, s: 2}",
                                           "  - {op: conv, c: 16, s: 2, act: none}\n"
                                           "  - {op: act, fn: relu}")))
    cache = BlockCache()
    assert compose(path, {}, None, "torch", "fp32", cache) is None
    row = evaluate(path, {}, None, "torch", "fp32", cache)
    assert row.values == dict(measure(Variant(path, {})).values)


def test_an_error_row_is_the_full_analysis_error(toy_spec):
    row = evaluate(toy_spec, {"resolution": 2}, None, "torch", "fp32", BlockCache())
    with pytest.raises(CostlabError) as error:
        measure(Variant(toy_spec, {"resolution": 2}))
    assert row.error == f"{type(error.value).__name__}: {first_line(error.value)}"


def test_build_context_records_scale_answers_and_direct_reads():
    ctx = BuildContext((1, 3, 8, 8), {"alpha": 0.5}, record=True)
    assert ctx.scale(32) == 16 and ctx.queries == [(32, "scaled", 16)]
    assert not ctx.read_params
    assert ctx.params["alpha"] == 0.5 and ctx.read_params


@pytest.fixture
def toy_spec(write_spec):
    return str(write_spec(TOY_SPEC))
