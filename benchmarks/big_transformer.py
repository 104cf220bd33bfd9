"""Analyzes a decoder transformer of about 10 billion parameters, built on the meta device,
and checks its MACs and parameters against the hand formulas.

The model is a pre-norm GPT-style stack: per layer, LayerNorm, a fused QKV projection, causal
attention through F.scaled_dot_product_attention, an output projection, LayerNorm and a GELU
MLP; then a final LayerNorm and the vocabulary head. It takes token ids (an int64 input,
`InputSpec((batch, seq), torch.int64)`, `--input 1x2048:int64` on the command line); the
embedding lookup moves data and costs no MACs.

    python benchmarks/big_transformer.py
    python benchmarks/big_transformer.py --layers 48 --d-model 6144 --seq 4096
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import harness
import torch
import torch.nn.functional as F
from tabulate import tabulate
from torch import nn

import costlab
from costlab.trace.inputs import InputSpec


@dataclass(frozen=True, slots=True)
class Config:
    layers: int = 32
    d_model: int = 5120
    heads: int = 40
    d_ff: int = 20480
    vocab: int = 32000
    batch: int = 1
    seq: int = 2048


class Block(nn.Module):
    """One pre-norm decoder layer: causal self-attention and a GELU MLP, both residual."""

    def __init__(self, config: Config) -> None:
        super().__init__()
        d = config.d_model
        self.heads = config.heads
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.up, self.down = nn.Linear(d, config.d_ff), nn.Linear(config.d_ff, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, seq, d = x.shape
        qkv = self.qkv(self.norm1(x)).view(batch, seq, 3, self.heads, d // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)                  # each batch x heads x seq x d_head
        attended = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(attended.transpose(1, 2).reshape(batch, seq, d))
        return x + self.down(F.gelu(self.up(self.norm2(x))))


class Decoder(nn.Module):
    """Token embeddings, the layer stack, a final LayerNorm and the vocabulary head (no
    bias)."""

    def __init__(self, config: Config) -> None:
        super().__init__()
        self.embed = nn.Embedding(config.vocab, config.d_model)
        self.blocks = nn.Sequential(*(Block(config) for _ in range(config.layers)))
        self.norm = nn.LayerNorm(config.d_model)
        self.head = nn.Linear(config.d_model, config.vocab, bias=False)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.head(self.norm(self.blocks(self.embed(ids))))


def hand_params(c: Config) -> int:
    """Per layer: QKV 3d^2 + 3d, output d^2 + d, MLP 2 d d_ff + d_ff + d, two LayerNorms 4d;
    then the final LayerNorm 2d, the head d x vocab and the embeddings vocab x d."""
    d = c.d_model
    layer = 4 * d * d + 2 * d * c.d_ff + c.d_ff + 9 * d
    return c.layers * layer + 2 * d + 2 * d * c.vocab


def hand_macs(c: Config) -> int:
    """T = batch x seq tokens. Per layer: projections T x 4d^2, MLP T x 2 d d_ff, attention
    2 x batch x seq^2 x d (Q K^T and the weighted sum over all seq^2 scores: the causal mask
    is applied to the full score matrix, as PyTorch's math path computes it); head T d vocab."""
    tokens, d = c.batch * c.seq, c.d_model
    layer = tokens * (4 * d * d + 2 * d * c.d_ff) + 2 * c.batch * c.seq * c.seq * d
    return c.layers * layer + tokens * d * c.vocab


def _parse() -> tuple[Config, int]:
    defaults = Config()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for field in Config.__dataclass_fields__:
        parser.add_argument(f"--{field.replace('_', '-')}", type=int,
                            default=getattr(defaults, field))
    parser.add_argument("--repeats", type=int, default=3, help="warm analyses timed")
    args = vars(parser.parse_args())
    repeats = args.pop("repeats")
    return Config(**args), repeats


def _analyze(model: nn.Module, ids: InputSpec, repeats: int
             ) -> tuple[harness.Measured, float, int]:
    """The first analysis (time, RSS growth), the median of `repeats` more, the process peak."""
    setup_peak = harness.peak_rss_bytes() or 0
    first = harness.measure_call(lambda: costlab.analyze(model, inputs=[ids]))
    warm_s = harness.median_seconds(lambda: costlab.analyze(model, inputs=[ids]), repeats,
                                    warmup=0)
    return first, warm_s, max(setup_peak, harness.peak_rss_bytes() or 0)


def main() -> None:
    config, repeats = _parse()
    dynamo = harness.preload_torch()
    start = time.perf_counter()
    with torch.device("meta"):
        model = Decoder(config)
    build_s = time.perf_counter() - start
    ids = InputSpec((config.batch, config.seq), torch.int64)
    first, warm_s, process_peak = _analyze(model, ids, repeats)
    totals = first.result.totals
    macs, params = hand_macs(config), hand_params(config)
    rows = [
        ["parameters", f"{totals['params']:,}", f"{params:,}", _verdict(totals["params"], params)],
        ["MACs", f"{totals['macs']:,}", f"{macs:,}", _verdict(totals["macs"], macs)],
        ["build on meta", f"{build_s:.2f} s"],
        ["analyze, first call", f"{first.seconds:.2f} s"],
        [f"analyze, median of {repeats} more", f"{warm_s:.2f} s"],
        ["RSS growth during the first analysis", f"{harness.fmt_mib(first.peak_bytes)} MiB"],
        ["process peak RSS (torch import included)", f"{harness.fmt_mib(process_peak)} MiB"],
        ["fp32 weights if materialized", f"{totals['params'] * 4 / 2**30:,.1f} GiB"],
    ]
    print(f"Machine: {harness.machine()}\n{config}\n")
    print(tabulate(rows, ["", "costlab", "hand formula", "check"], tablefmt="github",
                   disable_numparse=True))
    print(f"\nops without a cost rule: {first.result.unsupported or 'none'}; not in the times "
          f"above: importing torch._dynamo, which the first meta-device op of a process "
          f"triggers: {dynamo.seconds:.2f} s.")


def _verdict(computed: int, expected: int) -> str:
    return "equal" if computed == expected else f"differs by {computed - expected:+,}"


if __name__ == "__main__":
    main()
