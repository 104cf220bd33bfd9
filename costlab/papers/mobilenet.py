"""MobileNetV1 and V2 tables: width multiplier, V1 vs V2, the width x resolution grid and the
ImageNet comparison (Table 4)."""

from __future__ import annotations

from dataclasses import replace

from costlab.analyses.verdicts import Verdict, approximately, fmt_number, judge
from costlab.count.engine import LayerCost
from costlab.count.params import count_params
from costlab.papers.claims import Claim
from costlab.papers.tables import (
    Evaluator,
    PaperTable,
    entry_claim,
    entry_claims,
    paper_table,
    table_section,
)
from costlab.render import Column, Unit

__all__ = ["MACS", "PARAMS", "width_exponent", "metal_v1_params", "metal_v2_params"]

MACS = "MACs: multiply-accumulates of conv and linear layers (bias, batch norm, activations " \
       "and pooling left out)"
PARAMS = "params: conv and linear weights and biases, batch norm left out (`weights`), unless " \
         "the claim names another convention"


def width_exponent(row: LayerCost, num_classes: int) -> int:
    """How a layer's MACs scale with the width multiplier alpha, per seed 004's formula
    D_K^2 aM D_F^2 + aM aN D_F^2: one power of alpha for a scaled input-channel count per
    group (not the image's 3 channels, not a depthwise conv's 1) and one for a scaled output
    count (not the classifier's classes)."""
    assert row.input_shape is not None and row.output_shape is not None
    c_in, c_out = row.input_shape[1], row.output_shape[1]
    scaled_in = c_in != 3 and (row.groups or 1) != c_in
    return int(scaled_in) + int(c_out != num_classes)


def _macs_rows(ev: Evaluator, name: str, config: dict[str, float | int] | None = None
               ) -> list[LayerCost]:
    return [r for r in ev.analysis(name, config).full_cost.layers if r.macs]


@paper_table("mobilenetv1-width-multiplier")
def v1_width(ev: Evaluator) -> PaperTable:
    """Seed 003, Table 6, and seed 004, section 5.1: MobileNetV1 at width 1.0 / 0.75 / 0.5 /
    0.25, 224 px, and what alpha does to its cost."""
    full = ev.analysis("mobilenetv1", convention="weights").totals
    base = _macs_rows(ev, "mobilenetv1")
    rows, claims = [], entry_claims(ev, [("mobilenetv1", "003", "Table 6")])
    for alpha in (1.0, 0.75, 0.5, 0.25):
        t = ev.analysis("mobilenetv1", {"alpha": alpha}, convention="weights").totals
        formula = sum(r.macs * alpha ** width_exponent(r, 1000) for r in base)
        ratio = t["macs"] / full["macs"]
        rows.append((alpha, t["macs"], t["params"], ratio, alpha ** 2, formula / full["macs"],
                     t["params"] / full["params"]))
        if alpha < 1:
            same = "gives exactly this" if formula == t["macs"] else \
                f"gives {formula / full['macs']:.4f}"
            claims.append(Claim("004", "section 5.1", f"width multiplier {alpha} reduces the "
                                "computational cost by alpha^2", f"{alpha ** 2}",
                                f"{ratio:.4f}", f"{ratio / alpha ** 2 - 1:+.1%}: alpha^2 is the "
                                "pointwise layers' factor; the chapter's own formula per layer "
                                "(depthwise, first conv and classifier scale by alpha) "
                                f"{same}", approximately(alpha ** 2, ratio)))
    half = ev.analysis("mobilenetv1", {"alpha": 0.5}, convention="weights").totals
    for metric, printed, what in (("macs", "4", "computations"), ("params", "3",
                                                                  "learnable parameters")):
        factor = full[metric] / half[metric]
        verdict, reading = judge(printed, factor)
        claims.append(Claim("004", "section 6.1", f"a depth multiplier of 0.5 cuts the number "
                            f"of {what} by a factor of {printed}", printed, f"{factor:.2f}",
                            reading, verdict))
    return PaperTable(
        "MobileNetV1 width multiplier (seed 003, Table 6; seed 004, sections 5.1 and 6.1)",
        "seed 003 (slides on MobileNetV2), Table 6 'MobileNet Width Multiplier', quoting "
        "Howard et al. 2017; seed 004 (book chapter), 'Width Multiplier: Thinner Models'",
        (table_section("widths", "Computed at 224 px", (
            Column("alpha", "alpha", Unit.NUMBER), Column("macs", "MACs", Unit.INT),
            Column("params", "params (weights)", Unit.INT),
            Column("macs_ratio", "MACs / MACs at 1.0", Unit.FLOAT, digits=4),
            Column("alpha_squared", "alpha^2", Unit.FLOAT, digits=4),
            Column("formula_ratio", "seed 004's formula / MACs at 1.0", Unit.FLOAT, digits=4),
            Column("params_ratio", "params / params at 1.0", Unit.FLOAT, digits=4)), rows),),
        notes=("Channels are scaled as TF-slim does: int(channels x alpha), at least 8.",
               "Top-1 accuracies are published results, shown as published."),
        conventions=(MACS, PARAMS), claims=tuple(claims))


def metal_v1_params(ev: Evaluator) -> tuple[int, int]:
    """V1 at TF's 1001 classes: (weights + 3 values per batch-norm channel, keras count)."""
    trace = ev.analysis("mobilenetv1", {"num_classes": 1001}).trace
    weights = sum(count_params(trace, "weights").values())
    bn_channels = sum(r.output_shape[1] for r in _macs_rows(ev, "mobilenetv1",
                                                             {"num_classes": 1001})
                      if r.kind == "Conv2d" and r.output_shape)
    return weights + 3 * bn_channels, sum(count_params(trace, "keras").values())


def metal_v2_params(ev: Evaluator) -> int:
    """V2 at 1001 classes as TF's released models hold it (seed 004's note): weights, a bias
    on the first conv and on every 1x1 conv, batch norm (4 values per channel) only after the
    depthwise convs."""
    trace = ev.analysis("mobilenetv2", {"num_classes": 1001}).trace
    extra = sum(4 * r.output_shape[1] if (r.groups or 1) > 1 else r.output_shape[1]
                for r in _macs_rows(ev, "mobilenetv2", {"num_classes": 1001})
                if r.kind == "Conv2d" and r.output_shape)
    return sum(count_params(trace, "weights").values()) + extra


_FPS = {"iPhone 7": (118, 145), "iPhone X": (162, 233), "iPad Pro 10.5": (204, 220)}
_ACCURACY = {"Top-1": ("70.9", "71.8"), "Top-5": ("89.9", "91.0")}


@paper_table("mobilenet-v1-vs-v2")
def v1_vs_v2(ev: Evaluator) -> PaperTable:
    """Seed 004, section 6.4 (and seed 000's last slides): MACs and parameters of V1 and V2,
    the 80% claim, the Metal parameter counts, FPS and accuracy."""
    v1 = ev.analysis("mobilenetv1", convention="weights").totals
    v2 = ev.analysis("mobilenetv2", convention="weights").totals
    v1_bn3, v1_keras = metal_v1_params(ev)
    v2_metal = metal_v2_params(ev)
    claims = []
    for document in ("004", "000"):
        for name in ("mobilenetv1", "mobilenetv2"):
            for entry in ev.spec(name).reported:
                if entry.source == "004" and entry.table == "V1 vs V2":
                    readings = [("weights + 3 values per batch-norm channel (no bias), TF's "
                                 "1001 classes", float(v1_bn3))] if name == "mobilenetv1" \
                        and entry.metric == "params" else []
                    claim = entry_claim(ev, name, entry, readings)
                    table = "section 6.4" if document == "004" else "'Performance' slide"
                    claims.append(replace(claim, source=document, table=table))
    folded = next(e for e in ev.spec("mobilenetv1").reported if e.convention == "folded")
    claims.append(entry_claim(ev, "mobilenetv1", folded))
    ratio = v2["params"] / v1["params"] * 100
    verdict, reading = judge("80%", ratio, [("the printed 3.47 / 4.24", 3.47 / 4.24 * 100)])
    claims.append(Claim("004", "section 6.4", "V2 has only 80% of the parameter count of V1",
                        "80%", f"{ratio:.2f}%", reading, verdict))
    speedup = v1["macs"] / v2["macs"]
    verdict, reading = judge("2", speedup)
    claims.append(Claim("004", "section 6.4", "from the MACs alone V2 should be almost twice "
                        "as fast as V1", "2", f"{speedup:.3f}", reading, verdict))
    for label, printed, computed, readings in (
            ("V1", "4,254,889", v1["params"],
             [("keras convention (batch norm with its running statistics), 1001 classes",
               float(v1_keras))]),
            ("V2", "3,510,505", v2["params"],
             [("1001 classes, a bias on the first conv and on every 1x1 conv, batch norm "
               "(4 values per channel) only after the depthwise convs, as the chapter's own "
               "note says TF models do", float(v2_metal))])):
        verdict, reading = judge(printed, computed, readings)
        claims.append(Claim("004", "section 6.4, note", f"the author's Metal version of {label} "
                            f"has {printed} parameters", printed, f"{computed:,} (weights)",
                            reading, verdict))
    for document in ("004", "000"):
        location = "section 6.4" if document == "004" else "'Performance' slide"
        for device, (fps_v1, fps_v2) in _FPS.items():
            for label, fps in (("V1", fps_v1), ("V2", fps_v2)):
                claims.append(Claim(document, location, f"maximum FPS of {label} on {device}",
                                    f"{fps}", "", "", Verdict.PUBLISHED_ONLY))
        for metric, (acc_v1, acc_v2) in _ACCURACY.items():
            for label, acc in (("V1", acc_v1), ("V2", acc_v2)):
                claims.append(Claim(document, location, f"ImageNet {metric} accuracy of {label}",
                                    acc, "", "", Verdict.PUBLISHED_ONLY))
    return PaperTable(
        "MobileNet V1 vs V2 (seed 004, section 6.4 'Battle of the versions')",
        "seed 004 (book chapter on MobileNet V1/V2), table 'Version / MACs (millions) / "
        "Parameters (millions)', the text and notes after it; the same tables end seed 000",
        (table_section("parameters", "Computed parameter counts under each reading", (
            Column("model", "model"), Column("macs", "MACs", Unit.INT),
            Column("weights", "weights", Unit.INT),
            Column("weights_bn3", "weights + 3 per batch-norm channel, 1001 classes", Unit.INT),
            Column("keras", "keras, 1001 classes", Unit.INT),
            Column("tf_layout", "TF layout (seed 004's note), 1001 classes", Unit.INT)),
            (("MobileNetV1", v1["macs"], v1["params"], v1_bn3, v1_keras, None),
             ("MobileNetV2", v2["macs"], v2["params"], None, None, v2_metal))),),
        notes=(f"V2 needs {v2['macs'] / v1['macs']:.1%} of V1's MACs.",
               "The FPS were measured on the author's Metal implementation; accuracies are the "
               "checkpoints' published ones."),
        conventions=(MACS, PARAMS), claims=tuple(claims))


@paper_table("mobilenetv2-width-resolution")
def v2_grid(ev: Evaluator) -> PaperTable:
    """Seed 002: the 0.35-1.4 x 96-224 grid, up to 585M MAdds, 1.7M to 6.9M parameters; and
    the authors' checkpoint table of the same grid."""
    widths = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
    resolutions = (96, 128, 160, 192, 224)
    rows, macs_all, params_all = [], [], []
    for alpha in widths:
        params = int(ev.totals("mobilenetv2", {"alpha": alpha}, convention="weights")["params"])
        macs = [int(ev.totals("mobilenetv2", {"alpha": alpha, "resolution": r})["macs"])
                for r in resolutions]
        macs_all += macs
        params_all.append(params)
        rows.append((alpha, params, *macs))
    last, small = (next(r.output_shape[1] for r in ev.analysis("mobilenetv2", {"alpha": a})
                        .full_cost.layers if r.path == "conv2.conv" and r.output_shape)
                   for a in (1.4, min(widths)))
    claims = entry_claims(ev, [("mobilenetv2", "002", "text")])
    verdict, reading = judge("585M", max(macs_all))
    claims.append(Claim("002", "text", "over the grid the cost goes up to 585M MAdds", "585M",
                        f"{max(macs_all):,}", reading or "the largest is width 1.4 at 224 px",
                        verdict))
    for printed, value, what in (("1.7M", min(params_all), "smallest"),
                                 ("6.9M", max(params_all), "largest")):
        verdict, reading = judge(printed, value)
        claims.append(Claim("002", "text", f"model size over the grid, {what}", printed,
                            f"{value:,} (weights)", reading, verdict))
    slim = entry_claims(ev, [("mobilenetv2", "slim", None)])
    return PaperTable(
        "MobileNetV2 width x resolution grid (seed 002, and the authors' checkpoint table)",
        "seed 002 (notes on MobileNet V1/V2): 'input resolutions from 96 to 224, and width "
        "multipliers of 0.35 to 1.4 ... up to 585M MAdds, while the model size vary between "
        "1.7M and 6.9M parameters'; tensorflow/models research/slim/nets/mobilenet/README.md",
        (table_section("grid", "Computed: parameters and MACs over the grid", (
            Column("alpha", "alpha", Unit.NUMBER), Column("params", "params (weights)", Unit.INT),
            *(Column(f"macs_{r}", f"MACs @ {r}", Unit.SI, digits=1) for r in resolutions)),
            rows),),
        notes=("Channels are rounded with the reference make_divisible (multiple of 8, never "
               f"below 90%); the last conv keeps {small} channels for alpha < 1 and has "
               f"{last} at 1.4. Under this architecture the grid spans "
               f"{fmt_number(min(params_all) / 1e6)}M to {fmt_number(max(params_all) / 1e6)}M "
               f"parameters and at most {fmt_number(max(macs_all) / 1e6)}M MACs.",
               "The checkpoint claims (source `slim`) are the authors' released models; they "
               "are not one of the five documents and are indexed apart."),
        conventions=(MACS, PARAMS), claims=tuple(claims + slim))


@paper_table("mobilenetv2-table4-imagenet")
def v2_table4(ev: Evaluator) -> PaperTable:
    """Seed 000 (and 002), MobileNetV2's Table 4: params and MAdds of V1, ShuffleNet, NASNet,
    V2."""
    claims = entry_claims(ev, [("mobilenetv1", "000", "Table 4"),
                               ("shufflenetv1", "000", "Table 4"),
                               ("nasnet_a_mobile", "000", "Table 4"),
                               ("mobilenetv2", "000", "Table 4")])
    copies = [replace(c, source="002") for c in claims]
    return PaperTable(
        "ImageNet comparison (MobileNetV2's Table 4)",
        "seed 000, Table 4 'Performance on ImageNet, comparison for different networks' "
        "(printed again in seed 002): Top 1, Params, MAdds, CPU (ms on a Google Pixel 1)",
        (),
        notes=("Top-1 accuracy and Pixel-1 latency are published measurements, shown as "
               "published. `costlab latency mobilenetv1 mobilenetv2` measures the V2/V1 ratio "
               "on your machine beside the published 75 / 113 = 0.66 (a different device); "
               "measured figures stay out of this file, which `costlab reproduce --check` "
               "compares byte for byte.",
               "NasNet-A is NASNet-A Mobile (4 @ 1056), its cells built from the tables of "
               "Figure 4 of its paper.",
               "ShuffleNet (1.5) and (x2) are g=3 at scale 1.5 and 2."),
        conventions=(MACS, PARAMS), claims=tuple(claims + copies))
