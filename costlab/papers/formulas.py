"""The cost formulas of seeds 000, 001 and 004 (standard, depthwise, pointwise, separable and
bottleneck), checked layer by layer against what costlab counts on the built layers, and
against a standard convolution built and counted in their place."""

from __future__ import annotations

from fractions import Fraction

import torch
from torch import nn

from costlab.analyses.analysis import analyze
from costlab.analyses.verdicts import Verdict, judge
from costlab.count.engine import LayerCost
from costlab.papers.claims import Claim
from costlab.papers.mobilenet import MACS
from costlab.papers.tables import (
    Evaluator,
    PaperTable,
    conv_shapes,
    paper_table,
    table_section,
)
from costlab.render import Column, Unit

__all__ = ["counted_conv", "separable_layers", "bottleneck_blocks"]


def counted_conv(c_in: int, c_out: int, kernel: int, stride: int, size: int,
                 groups: int = 1) -> tuple[int, int]:
    """(MACs, params) of a conv built on meta and counted by costlab at a size x size input."""
    with torch.device("meta"):
        conv = nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2,
                         groups=groups, bias=False)
    totals = analyze(conv, inputs=[(1, c_in, size, size)]).totals
    return totals["macs"], totals["params"]


def separable_layers(ev: Evaluator) -> list[tuple[str, LayerCost, LayerCost]]:
    """MobileNetV1's (prefix, depthwise row, pointwise row), in network order."""
    rows = {r.path: r for r in ev.analysis("mobilenetv1").full_cost.layers}
    return [(path.removesuffix(".depthwise.conv"), row,
             rows[path.replace("depthwise", "pointwise")])
            for path, row in rows.items() if path.endswith("depthwise.conv")]


@paper_table("depthwise-separable-cost")
def separable_cost(ev: Evaluator) -> PaperTable:
    """Seeds 000 and 004: the cost of standard, depthwise, pointwise and separable convs, and
    the reduction 1/N + 1/D_K^2, on every separable layer of MobileNetV1."""
    rows = []
    exact = {"reduction": 0, "000 standard": 0, "000 separable": 0, "004 standard": 0,
             "000 standard, k^2": 0, "000 separable, d_i": 0, "004 standard, D_p": 0}
    sep_total = std_total = 0
    ratios = []
    layers = separable_layers(ev)
    for prefix, dw, pw in layers:
        (x, y, kernel), (_, z, _) = conv_shapes(dw), conv_shapes(pw)
        m, n, k = x[1], z[1], kernel[0]
        h_in, h_out, stride = x[2], y[2], (dw.stride or (1,))[0]
        standard, _ = counted_conv(m, n, k, stride, h_in)   # the conv the pair replaces
        sep = dw.macs + pw.macs
        sep_total += sep
        std_total += standard
        ratio = Fraction(sep, standard)
        ratios.append(standard / sep)
        by_formula = {
            "000 standard": h_in * h_in * n * k * m,              # h_i w_i d_j k d_i
            "000 standard, k^2": h_in * h_in * n * k * k * m,
            "000 separable": h_in * h_in * n * (k * k + n),       # h_i w_i d_j (k^2 + d_j)
            "000 separable, d_i": h_out * h_out * m * (k * k + n),
            "004 standard": k * k * m * n * h_in * h_in,          # D_K^2 M N D_F^2, D_F input
            "004 standard, D_p": n * h_out * h_out * k * k * m,   # N D_p^2 D_k^2 M
        }
        for label, value in by_formula.items():
            target = sep if "separable" in label else standard
            exact[label] += value == target
        exact["reduction"] += ratio == Fraction(1, n) + Fraction(1, k * k)
        rows.append((prefix, m, n, f"{h_in}->{h_out}", dw.macs, pw.macs, standard,
                     by_formula["000 standard"], by_formula["000 separable"], float(ratio),
                     1 / n + 1 / k ** 2))
    count = len(layers)
    strides = sum((dw.stride or (1,))[0] > 1 for _, dw, _ in layers)

    def on(label: str) -> str:
        return f"exact on {exact[label]} of {count} layers"

    claims = [
        Claim("000", "'Computation' slide", "standard convolution costs h_i x w_i x d_j x k x "
              "d_i", "h w d_j k d_i", on("000 standard"),
              f"misprint, k for k^2: h_i w_i d_j k^2 d_i is {on('000 standard, k^2')} (the "
              f"{strides} stride-2 layers differ: h_i w_i is the input size)",
              Verdict.EXPLAINED if exact["000 standard, k^2"] else Verdict.DIFFERS),
        Claim("000", "'Computation' slide", "depthwise separable convolution costs h_i x w_i x "
              "d_j x (k^2 + d_j)", "h w d_j (k^2 + d_j)", on("000 separable"),
              f"misprint, d_j for d_i: h w d_i (k^2 + d_j) at the output size is "
              f"{on('000 separable, d_i')}",
              Verdict.EXPLAINED if exact["000 separable, d_i"] == count else Verdict.DIFFERS),
        Claim("000", "'Computation' slide", "reduction in computations 1/d_j + 1/k^2",
              "1/d_j + 1/k^2", on("reduction"), "separable MACs and the standard conv's both "
              "counted by costlab on built layers",
              Verdict.EXACT if exact["reduction"] == count else Verdict.DIFFERS),
        Claim("004", "section 3.2", "standard convolution costs D_K x D_K x M x N x D_F x D_F "
              "(D_F the input size)", "D_K^2 M N D_F^2", on("004 standard"),
              f"at stride 2 the output size counts: N D_p^2 D_k^2 M (section 3.2's second "
              f"form) is {on('004 standard, D_p')}",
              Verdict.EXPLAINED if exact["004 standard, D_p"] == count else Verdict.DIFFERS),
        Claim("004", "sections 3.3-3.5", "depthwise D_K^2 M D_F^2, pointwise M N D_F^2, "
              "separable ratio 1/N + 1/D_K^2", "1/N + 1/D_K^2", on("reduction"),
              "costlab's depthwise and pointwise counts are these formulas at the output size",
              Verdict.EXACT if exact["reduction"] == count else Verdict.DIFFERS),
    ]
    overall = std_total / sep_total
    for document, location, text, low, high in (
            ("001", "section 3", "depthwise separable convolution uses 8 to 9 times less "
             "computation than standard convolution", 8, 9),
            ("004", "section 6.1", "MobileNet has to do about 9 times less work than "
             "comparable neural nets", 8.5, 9.5)):
        holds = low <= overall <= high
        claims.append(Claim(document, location, text, f"{low}-{high}" if document == "001"
                            else "9", f"{overall:.2f} over the {len(layers)} layers "
                            f"({min(ratios):.2f} to {max(ratios):.2f} per layer)",
                            "standard / separable MACs, both counted",
                            Verdict.EXACT if holds and document == "001" else
                            Verdict.ROUNDED if holds else Verdict.DIFFERS))
    for printed, n, k, text in (("0.112", 1024, 3, "with N = 1024 and D_k = 3 the ratio is "
                                 "0.112"), ("0.010004", 100, 512, "with N = 100 and D_k = 512 "
                                            "the ratio is 0.010004")):
        formula = 1 / n + 1 / k ** 2
        verdict, reading = judge(printed, formula)
        claims.append(Claim("004", "section 3.5", text, printed, f"{formula:.7f}", reading,
                            verdict))
    for printed, factor, text in (("9", 1 / (1 / 1024 + 1 / 9), "so standard convolution does "
                                  "9 times more multiplications"),
                                 ("100", 1 / (1 / 100 + 1 / 512 ** 2), "100 times fewer "
                                  "multiplications")):
        verdict, reading = judge(printed, factor)
        claims.append(Claim("004", "section 3.5", text, printed, f"{factor:.3f}", reading,
                            verdict))
    _, dw_params = counted_conv(3, 3, 3, 1, 8, groups=3)
    _, pw_params = counted_conv(3, 3, 1, 1, 8)
    _, std_params = counted_conv(3, 3, 3, 1, 8)
    for printed, count, text in (("36", dw_params + pw_params, "a separable 3x3 conv from 3 "
                                  "to 3 channels has 36 (= 27 + 9) parameters"),
                                 ("81", std_params, "the standard 3x3 conv from 3 to 3 "
                                  "channels has 81")):
        verdict, reading = judge(printed, count, exact=True)
        claims.append(Claim("004", "section 3.5", text, printed, f"{count}", reading, verdict))
    return PaperTable(
        "Cost formulas of standard and depthwise-separable convolution (seeds 000, 001, 004)",
        "seed 004, sections 3.2-3.5; seed 000, 'Recap - MobileNetV1; Computation'; seed 001, "
        "section 3",
        (table_section("layers", "MobileNetV1's separable layers", (
            Column("layer", "layer"), Column("m", "M", Unit.NUMBER), Column("n", "N", Unit.NUMBER),
            Column("size", "size in->out"),
            Column("depthwise_macs", "depthwise MACs", Unit.INT),
            Column("pointwise_macs", "pointwise MACs", Unit.INT),
            Column("standard_macs", "standard conv MACs (counted)", Unit.INT),
            Column("standard_000", "000's standard (as printed)", Unit.INT),
            Column("separable_000", "000's separable (as printed)", Unit.INT),
            Column("ratio", "counted ratio", Unit.FLOAT, digits=5),
            Column("formula_ratio", "1/N + 1/D_K^2", Unit.FLOAT, digits=5)), rows),),
        notes=("Depthwise and pointwise MACs are costlab's counts on MobileNetV1's built "
               "layers; the standard convolution each pair replaces (same M, N, kernel, stride "
               "and input) is built on meta and counted the same way, so the ratio is a "
               "measurement, not the formula restated.",
               f"Over the {len(layers)} layers the separable body costs {sep_total:,} MACs "
               f"instead of {std_total:,}: {sep_total / std_total:.1%}, {overall:.2f}x fewer."),
        conventions=(MACS,), claims=tuple(claims))


def bottleneck_blocks(ev: Evaluator) -> list[tuple[str, dict[str, LayerCost]]]:
    """MobileNetV2's inverted-residual blocks: (prefix, {"expand"/"depthwise"/"project": row})."""
    blocks: dict[str, dict[str, LayerCost]] = {}
    for row in ev.analysis("mobilenetv2").full_cost.layers:
        parts = row.path.split(".")
        if row.kind == "Conv2d" and parts[-2] in ("expand", "depthwise", "project"):
            blocks.setdefault(".".join(parts[:-2]), {})[parts[-2]] = row
    return list(blocks.items())


@paper_table("mobilenetv2-bottleneck-cost")
def bottleneck_cost(ev: Evaluator) -> PaperTable:
    """Seed 000, 'Operations': a bottleneck block costs h w d' t (d' + k^2 + d'')."""
    rows, exact_s1, exact_s2_out, s1, s2 = [], 0, 0, 0, 0
    for prefix, convs in bottleneck_blocks(ev):
        dw, pw = convs["depthwise"], convs["project"]
        (x, y, kernel), (_, z, _) = conv_shapes(dw), conv_shapes(pw)
        first = convs.get("expand", dw)
        d_in = conv_shapes(first)[0][1]
        t = x[1] // d_in
        h, h_out, k, d_out = x[2], y[2], kernel[0], z[1]
        counted = sum(r.macs for r in convs.values())
        formula = h * h * d_in * t * (d_in + k * k + d_out)
        at_output = (h * h * t * d_in * d_in if "expand" in convs else 0) + \
            h_out * h_out * t * d_in * (k * k + d_out)
        stride = (dw.stride or (1,))[0]
        if "expand" in convs:
            s1 += stride == 1
            s2 += stride > 1
            exact_s1 += stride == 1 and formula == counted
            exact_s2_out += stride > 1 and at_output == counted
        rows.append((prefix, (h, h), d_in, t, d_out, stride, counted, formula,
                     formula / counted, at_output))
    claim = Claim(
        "000", "'Operations' slide", "a bottleneck block costs h w t d' d' + h w t d' k^2 + "
        "h w d'' t d' = h w d' t (d' + k^2 + d'')", "h w d' t (d' + k^2 + d'')",
        f"exact on {exact_s1} of {s1} stride-1 blocks, not on the {s2} stride-2 blocks",
        f"the depthwise and projection run at h/s x w/s: with that size the formula is exact "
        f"on {exact_s2_out} of {s2} stride-2 blocks (the t=1 first block has no expansion "
        "layer)", Verdict.EXPLAINED if exact_s1 == s1 and exact_s2_out == s2 else
        Verdict.DIFFERS)
    return PaperTable(
        "MobileNetV2 bottleneck cost formula (seed 000, 'Operations')",
        "seed 000 (slides on MobileNetV2), 'Operations': h x w x t x d' x d' + h x w x t x d' "
        "x k x k + h x w x d'' x t x d' = h w d' t (d' + k^2 + d'')",
        (table_section("blocks", "Every inverted-residual block of MobileNetV2 (1.0, 224 px)", (
            Column("block", "block"), Column("input", "input h x w", Unit.SHAPE),
            Column("d_in", "d'", Unit.NUMBER), Column("t", "t", Unit.NUMBER),
            Column("d_out", "d''", Unit.NUMBER), Column("stride", "stride", Unit.NUMBER),
            Column("counted_macs", "counted MACs", Unit.INT),
            Column("formula_macs", "formula as printed", Unit.INT),
            Column("formula_ratio", "formula / counted", Unit.FLOAT, digits=3),
            Column("output_formula_macs", "formula with h/s x w/s after the stride", Unit.INT)),
            rows),),
        conventions=(MACS,), claims=(claim,))
