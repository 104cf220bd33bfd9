"""Matrix-product rules: linear, mm, bmm, baddbmm, attention."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.ops import aten

from costlab.count.engine import count_costs
from costlab.count.rules.matmul import addmm_cost, attention_cost, baddbmm_cost, bmm_cost, mm_cost
from costlab.trace.recorder import trace_module
from tests.count.rules.helpers import event, tensor


def test_addmm_is_linear_with_bias():
    cost = addmm_cost(event(aten.addmm.default, tensor(4, 1000), self=tensor(1000),
                            mat1=tensor(4, 1280), mat2=tensor(1280, 1000)))
    assert cost.macs == 4 * 1280 * 1000      # batch x in x out = 5,120,000
    assert cost.elementwise == 4 * 1000      # bias adds


def test_mm_bmm_baddbmm():
    assert mm_cost(event(aten.mm.default, tensor(3, 5), self=tensor(3, 7),
                         mat2=tensor(7, 5))).macs == 3 * 7 * 5
    assert bmm_cost(event(aten.bmm.default, tensor(2, 3, 5), self=tensor(2, 3, 7),
                          mat2=tensor(2, 7, 5))).macs == 2 * 3 * 7 * 5
    cost = baddbmm_cost(event(aten.baddbmm.default, tensor(2, 3, 5), self=tensor(2, 3, 5),
                              batch1=tensor(2, 3, 7), batch2=tensor(2, 7, 5)))
    assert (cost.macs, cost.elementwise) == (2 * 3 * 7 * 5, 2 * 3 * 5)


def test_fused_attention_rule():
    q, k, v = tensor(2, 8, 128, 64), tensor(2, 8, 256, 64), tensor(2, 8, 256, 32)
    cost = attention_cost(event(aten._scaled_dot_product_flash_attention_for_cpu.default,
                                tensor(2, 8, 128, 32), query=q, key=k, value=v))
    # Q K^T: 2 x 8 x 128 x 256 x 64; weights x V: 2 x 8 x 128 x 256 x 32
    assert cost.macs == 2 * 8 * 128 * 256 * (64 + 32)


@pytest.mark.parametrize("module, shape, expected", [
    (nn.Linear(1280, 1000), (1, 1280), 1280 * 1000),
    (nn.Linear(64, 32, bias=False), (2, 10, 64), 2 * 10 * 64 * 32),   # 3-d input: per token
])
def test_traced_linear(module, shape, expected):
    assert count_costs(trace_module(module, [shape])).totals.macs == expected


class _Attention(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(x, x, x)


def test_traced_attention_counts_both_products():
    # On meta tensors attention decomposes into two bmm: 2 x (B*H x L x L x E).
    cost = count_costs(trace_module(_Attention(), [(1, 4, 16, 8)]))
    assert cost.totals.macs == 2 * 4 * 16 * 16 * 8
    assert not cost.unsupported


def test_causal_attention_is_fully_counted():
    # On meta, causal attention builds its mask with aten.tril (a copy, no arithmetic).
    class Causal(nn.Module):
        def forward(self, q: torch.Tensor) -> torch.Tensor:
            return F.scaled_dot_product_attention(q, q, q, is_causal=True)

    cost = count_costs(trace_module(Causal(), [(1, 2, 8, 16)]))   # 2 heads, 8 tokens, 16 dims
    assert cost.unsupported == {}
    assert cost.totals.macs == 2 * (8 * 8 * 16 + 8 * 8 * 16)      # Q K^T and weights x V, dense
