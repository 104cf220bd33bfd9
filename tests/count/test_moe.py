"""A mixture-of-experts decoder with static-shape routing (tests/fixtures/moe.py): its routing
is right on real tensors, and costlab counts it exactly, router and dispatch/combine included."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from costlab.api import analyze
from costlab.trace.inputs import InputSpec
from tests.fixtures.moe import MoE, MoEConfig, MoEDecoder, expert_capacity, moe_macs, moe_params

TINY = MoEConfig(layers=2, d_model=64, heads=4, experts=4, top_k=2, d_ff=96,
                 capacity_factor=1.25, vocab=100, batch=1, seq=16)


@pytest.fixture(scope="module")
def tiny_meta() -> MoEDecoder:
    with torch.device("meta"):
        return MoEDecoder(TINY)


@pytest.fixture(scope="module")
def tiny_analysis(tiny_meta):
    return analyze(tiny_meta, inputs=[InputSpec((1, 16), torch.int64)], device="meta",
                   strict=True)   # strict: every op the routing emits has a cost rule


def test_hand_formulas_on_the_tiny_config():
    """The formulas, spelled out in numbers: T = 16 tokens, C = ceil(1.25 x 2 x 16 / 4) = 10."""
    assert TINY.capacity == 10
    assert moe_macs(TINY) == {
        "attention projections": 2 * 16 * 64 * (3 * 64 + 64),
        "attention scores and sum": 2 * (2 * 4 * 16 * 16 * 16),   # batch x heads x S x S x d_h
        "router": 2 * 16 * 64 * 4,
        "dispatch": 2 * 16 * 4 * 10 * 64,
        "experts": 2 * 2 * (4 * 10 * 64 * 96),
        "combine": 2 * 16 * 4 * 10 * 64,
        "head": 16 * 64 * 100}
    assert moe_params(TINY) == {"attention": 2 * 4 * 64 * 64, "router": 2 * 64 * 4,
                                "experts": 2 * 2 * 4 * 64 * 96, "norms": 5 * 64,
                                "embeddings": 100 * 64, "head": 64 * 100}


def test_costlab_equals_the_hand_formulas(tiny_analysis):
    assert tiny_analysis.totals["macs"] == sum(moe_macs(TINY).values()) == 1_847_296
    assert tiny_analysis.totals["params"] == sum(moe_params(TINY).values()) == 144_704
    assert tiny_analysis.cost.unsupported == {}


def test_each_product_lands_on_its_module(tiny_analysis):
    """Per layer: the router, the experts, attention's projections and its own score products,
    and the MoE module's own ops, the dispatch and combine einsums."""
    rows = {row.path: row for row in tiny_analysis.cost.layers}
    per_layer = {name: value // TINY.layers for name, value in moe_macs(TINY).items()}
    for i in range(TINY.layers):
        layer = f"layers.{i}"
        assert rows[f"{layer}.moe.router"].macs == per_layer["router"] == 16 * 64 * 4
        assert rows[f"{layer}.moe"].macs == per_layer["dispatch"] + per_layer["combine"]
        assert rows[f"{layer}.moe.experts"].macs == per_layer["experts"]
        assert rows[f"{layer}.moe.experts"].params == 2 * 4 * 64 * 96
        assert rows[f"{layer}.attention"].macs == per_layer["attention scores and sum"]
        assert rows[f"{layer}.attention.qkv"].macs + rows[f"{layer}.attention.out"].macs \
            == per_layer["attention projections"]
    assert rows["head"].macs == 16 * 64 * 100


def test_flop_counter_mode_agrees_on_meta(tiny_meta, tiny_analysis):
    """An independent counter: FlopCounterMode counts 2 FLOPs per MAC of mm, bmm and attention
    (the einsums reach it as bmm)."""
    with FlopCounterMode(display=False) as counter:
        tiny_meta(torch.zeros(1, 16, dtype=torch.int64, device="meta"))
    assert counter.get_total_flops() == 2 * tiny_analysis.totals["macs"]


def test_the_trillion_parameter_default_matches_its_formula():
    """Built on meta (nothing allocated): 64 x (4 d^2 + d E + 2 E d d_ff + 2d) + d + 2 V d."""
    config = MoEConfig()
    with torch.device("meta"):
        params = sum(p.numel() for p in MoEDecoder(config).parameters())
    d = 8192
    expected = 64 * (4 * d * d + d * 64 + 2 * 64 * d * 14592 + 2 * d) + d + 2 * 32000 * d
    assert params == sum(moe_params(config).values()) == expected == 996_991_311_872
    assert config.capacity == math.ceil(1.25 * 2 * 2048 / 64) == 80


def _routing(config: MoEConfig, tokens: int, seed: int = 0
             ) -> tuple[MoE, torch.Tensor, torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    moe = MoE(config)
    x = torch.randn(tokens, config.d_model)
    with torch.no_grad():
        dispatch, combine = moe.routing(x)
    return moe, x, dispatch, combine


def _top_choices(moe: MoE, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    with torch.no_grad():
        return F.softmax(moe.router(x), dim=-1).topk(moe.config.top_k, dim=-1)


def test_routing_without_drops_is_a_weighted_sum_of_the_top_experts():
    """Capacity factor E / k gives C = T: no token is dropped, so the layer's output is, for
    each token, its top-2 experts' outputs weighted by the renormalized gates."""
    config = MoEConfig(d_model=16, experts=4, top_k=2, d_ff=24, capacity_factor=2.0)
    moe, x, dispatch, combine = _routing(config, tokens=12)
    assert expert_capacity(config, 12) == 12
    assert set(dispatch.unique().tolist()) <= {0.0, 1.0}
    assert (dispatch.sum(dim=(1, 2)) == 2).all()            # every token in two slots
    assert (dispatch.sum(dim=0) <= 1).all()                  # no slot holds two tokens
    torch.testing.assert_close(combine.sum(dim=(1, 2)), torch.ones(12))
    gates, experts = _top_choices(moe, x)
    w_in, w_out = moe.experts.w_in.detach(), moe.experts.w_out.detach()
    expected = torch.stack([
        sum(gates[t, j] / gates[t].sum() * (F.gelu(x[t] @ w_in[e]) @ w_out[e])
            for j, e in enumerate(experts[t].tolist()))
        for t in range(12)])
    with torch.no_grad():
        torch.testing.assert_close(moe(x.unsqueeze(0))[0], expected)


def test_over_capacity_tokens_are_dropped_first_choices_first():
    """With C = ceil(0.25 x 2 x 24 / 4) = 3, each expert keeps the first 3 of its queue: the
    tokens that chose it first, in token order, then those that chose it second."""
    config = MoEConfig(d_model=16, experts=4, top_k=2, d_ff=24, capacity_factor=0.25)
    moe, x, dispatch, _ = _routing(config, tokens=24, seed=1)
    capacity = expert_capacity(config, 24)
    assert capacity == 3
    _, experts = _top_choices(moe, x)
    queues = [[t for j in range(2) for t in range(24) if experts[t, j] == e] for e in range(4)]
    assert sum(map(len, queues)) == 48 > 4 * capacity   # at most 12 of 48 copies kept
    for e, queue in enumerate(queues):
        kept = [int(dispatch[:, e, c].argmax()) for c in range(capacity)
                if dispatch[:, e, c].sum() == 1]
        assert kept == queue[:capacity]
        assert dispatch[:, e, :].sum() == min(capacity, len(queue))


def test_the_decoder_is_a_model_argument(run_cli):
    """`tests.fixtures.moe:moe_decoder` with --set sizes, as the module docstring says."""
    sizes = [arg for name, value in (("layers", 2), ("d_model", 64), ("heads", 4),
                                     ("experts", 4), ("d_ff", 96), ("vocab", 100))
             for arg in ("--set", f"{name}={value}")]
    result = run_cli("report", "tests.fixtures.moe:moe_decoder", *sizes, "--input",
                     "1x16:int64", "--strict")
    assert result.exit_code == 0, result.stderr
    assert "1,847,296" in result.stdout and "144,704" in result.stdout   # as computed above
