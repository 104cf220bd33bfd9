"""Seed 001 ("MobileNetV2: The Same but Better"): parameter counts, Tables A1 and A2, the
memory formula of section 5.1, Figure 11's memory claims, Table 11 and section 5.2."""

from __future__ import annotations

import itertools

from costlab.analyses.verdicts import Verdict, fmt_number, judge, parse_published
from costlab.count.engine import LayerCost
from costlab.count.params import count_params
from costlab.papers.claims import Claim
from costlab.papers.figures import FIGURE11_BATCH, FIGURE11_NETWORKS, SEED001_MEMORY_MB
from costlab.papers.mobilenet import MACS, PARAMS
from costlab.papers.seed001_formula import section51_bytes, section51_terms
from costlab.papers.tables import (
    Evaluator,
    PaperTable,
    conv_shapes,
    entry_claims,
    paper_table,
    table_section,
)
from costlab.render import Column, Unit

__all__ = ["REDUCED", "STANDARD", "LAYERS", "LEVELS", "why_macs"]

REDUCED, STANDARD = "mobilenetv2_reduced_001", "mobilenetv2_standard_001"

# Tables A1 and A2 (seed 001, lines 317-387), one row per distinct layer of the Reduced model,
# in network order: (printed label, module path in costlab's build, A1 "feature map size",
# A1 (N_in + N_out) x L_r x L_c, A2 filter expression, A2 filter count as printed, A2 MACs).
LAYERS = [
    ("Level 0-1 conv(3x3/2s)", "conv1.conv", "32x32x3 = 3,072", 35_840, "3x3x3x32", "864",
     884_736),
    ("Level 1-2 special_id_block, 1x1", "bottleneck1.expand.conv", "16x16x32 = 8,192", 57_344,
     "1x1x32x192", "6,144", 1_572_864),
    ("  3x3 depthwise", "bottleneck1.depthwise.conv", "16x16x192 = 49,152", 98_304,
     "3x3x192x192", "331,776", 84_934_656),
    ("  1x1 linear", "bottleneck1.project.conv", "16x16x192", 65_536, "1x1x192x64", "12,288",
     3_145_728),
    ("Level 2 identity, 1x1", "bottleneck2.0.expand.conv", "16x16x64 = 16,384", 114_688,
     "1x1x64x384", "24,576", 6_291_456),
    ("  3x3 depthwise", "bottleneck2.0.depthwise.conv", "16x16x384 = 98,304", 196_608,
     "3x3x384x384", "1,327,104", 339_738_624),
    ("  1x1 linear", "bottleneck2.0.project.conv", "16x16x384", 114_688, "1x1x384x64",
     "24,576", 6_291_456),
    ("Level 2-3 conv_block, 1x1", "bottleneck3.expand.conv", "16x16x64", 114_688, "1x1x64x384",
     "24,576", 6_291_456),
    ("  3x3 depthwise, stride 2", "bottleneck3.depthwise.conv", "16x16x384", 196_608,
     "3x3x384x384", "1,327,104", 339_738_624),
    ("  1x1 linear", "bottleneck3.project.conv", "16x16x384", 122_880, "1x1x384x96", "36,864",
     9_437_184),
    ("Level 3 identity, 1x1", "bottleneck4.0.expand.conv", "8x8x96 = 6,144", 43_008,
     "1x1x96x576", "55,296", 3_538_944),
    ("  3x3 depthwise", "bottleneck4.0.depthwise.conv", "8x8x576 = 36,864", 73_728,
     "3x3x576x576", "2,985,984", 191_102_976),
    ("  1x1 linear", "bottleneck4.0.project.conv", "8x8x576", 43_008, "1x1x576x96", "55,296",
     3_538_944),
    ("Level 3-4 special_id_block, 1x1", "bottleneck5.expand.conv", "8x8x96", 43_008,
     "1x1x96x576", "55,296", 3_538_944),
    ("  3x3 depthwise", "bottleneck5.depthwise.conv", "8x8x576", 73_728, "3x3x576x576",
     "2,985,984", 191_102_976),
    ("  1x1 linear", "bottleneck5.project.conv", "8x8x576", 47_104, "1x1x576x160", "92,160",
     5_898_240),
    ("Level 4 identity, 1x1", "bottleneck6.0.expand.conv", "8x8x160 = 10,240", 71_680,
     "1x1x160x960", "153,600", 9_830_400),
    ("  3x3 depthwise", "bottleneck6.0.depthwise.conv", "8x8x960 = 61,440", 122_880,
     "3x3x960x960", "8294,400", 530_841_600),
    ("  1x1 linear", "bottleneck6.0.project.conv", "8x8x960", 71_680, "1x1x960x160", "153,600",
     9_830_400),
    ("Level 5 conv(1x1)", "conv2.conv", "8x8x160", 26_624, "1x1x160x256", "40,960", 2_621_440),
]

# The levels of seed 001's Tables 2 and 3: level -> the spec's top-level layers in it.
LEVELS: dict[str, dict[str, tuple[str, ...]]] = {
    REDUCED: {"1": ("bottleneck1", "bottleneck2"), "2": ("bottleneck3", "bottleneck4"),
              "3": ("bottleneck5", "bottleneck6")},
    STANDARD: {"1": ("bottleneck1",), "2": ("bottleneck2", "bottleneck3"),
               "3": ("bottleneck4", "bottleneck5"), "4": ("bottleneck6", "bottleneck7"),
               "5": ("bottleneck8", "bottleneck9"), "6": ("bottleneck10", "bottleneck11"),
               "7": ("bottleneck12",)},
}

# Section 5.1 as printed: (model, its printed terms, its printed result, the text's figure).
SECTION51 = ((STANDARD, (4_278_048, 4_278_048, 196_608, 2_983_984), 46_946_752, "47MB"),
             (REDUCED, (709_120, 709_120, 196_608, 2_983_984), 18_395_328, "4.6MB"))
# Tables 4 to 9: test loss and accuracy of the trained models, as printed (measurements).
TEST_RESULTS = (("Table 4", "Reduced, CIFAR10, 60 epochs", "0.9063000082969666"),
                ("Table 5", "Reduced, CIFAR10, 30 epochs", "0.9043999910354614"),
                ("Table 6", "Standard, CIFAR10, 30 epochs", "0.9097999930381775"),
                ("Table 7", "Reduced, imagenette, 20 epochs", "0.8935999870300293"),
                ("Table 8", "Standard, imagenette, 20 epochs", "0.8539999723434448"),
                ("Table 9", "Standard, imagenette, 20 epochs, t=4", "0.9041000008583069"))
# Section 5.2: seconds per forward pass and per training epoch, Standard then Reduced.
TIMINGS = {"forward pass during testing": (467, 4), "training epoch": (467, 51)}


def _rows(ev: Evaluator, name: str = REDUCED) -> dict[str, LayerCost]:
    return {row.path: row for row in ev.analysis(name).full_cost.layers}


def _block_input(rows: dict[str, LayerCost], path: str) -> tuple[int, int]:
    """The spatial size at which the block holding `path` (or the layer itself) reads."""
    prefix = path.rsplit(".", 2)[0]
    first = rows.get(f"{prefix}.expand.conv") or rows.get(f"{prefix}.depthwise.conv") \
        or rows[path]
    x, _, _ = conv_shapes(first)
    return x[2], x[3]


def why_macs(row: LayerCost, block_hw: tuple[int, int]) -> list[tuple[str, float]]:
    """The readings that may give a printed per-layer MAC count: the depthwise as a dense
    kernel, at the block's input resolution, and both."""
    x, y, kernel = conv_shapes(row)
    k = kernel[0] * kernel[1]
    out_px, block_px = y[2] * y[3], block_hw[0] * block_hw[1]
    size = f"{block_hw[0]}x{block_hw[1]}"
    return [("depthwise counted as dense (k x k x C x C)", k * x[1] * y[1] * out_px),
            (f"counted at the block's input resolution {size}", row.macs // out_px * block_px),
            (f"dense, at the block's input resolution {size}", k * x[1] * y[1] * block_px)]


def _printed_int(text: str) -> int:
    return int(text.replace(",", ""))


@paper_table("seed001-tables-a1-a2")
def tables_a1_a2(ev: Evaluator) -> PaperTable:
    """Seed 001, Tables A1 and A2: feature maps, filter coefficients and MACs per layer."""
    rows_by_path = _rows(ev)
    a1, filters, macs, claims = [], [], [], []
    for label, path, _size, printed_a1, expr, printed_filter, printed_macs in LAYERS:
        row = rows_by_path[path]
        x, y, kernel = conv_shapes(row)
        held = x[1] * x[2] * x[3] + y[1] * y[2] * y[3]     # what the two tensors hold
        block_h, block_w = _block_input(rows_by_path, path)
        formula = (x[1] + y[1]) * x[2] * x[3]
        verdict, reading = judge(f"{printed_a1}", held, [
            ("(N_in + N_out) x L_r x L_c at the layer's input resolution", formula),
            (f"(N_in + N_out) x L_r x L_c at the block's input resolution "
             f"{block_h}x{block_w}", (x[1] + y[1]) * block_h * block_w)])
        a1.append((label, path, printed_a1, held, formula, verdict))
        claims.append(Claim("001", "Table A1", f"{label.strip()}: feature map memory "
                            "(N_i + N_o) x L_r x L_c", f"{printed_a1:,}",
                            f"{held:,} elements in and out", reading, verdict))
        dense = kernel[0] * kernel[1] * x[1] * y[1]
        value = _printed_int(printed_filter)
        typo = f" (printed '{printed_filter}', a misplaced separator)" \
            if f"{value:,}" != printed_filter else ""
        verdict, reading = judge(f"{value}", row.params, [
            ("depthwise counted as a dense k x k x C x C kernel", dense)])
        filters.append((label, expr, printed_filter, row.params, verdict))
        claims.append(Claim("001", "Table A2, filters", f"{label.strip()}: {expr} filter "
                            "coefficients", printed_filter, f"{row.params:,}", reading + typo,
                            verdict))
        verdict, reading = judge(f"{printed_macs}", row.macs,
                                 why_macs(row, (block_h, block_w)))
        macs.append((label, printed_macs, row.macs, verdict, reading))
        claims.append(Claim("001", "Table A2, MACs", f"{label.strip()}: MACs",
                            f"{printed_macs:,}", f"{row.macs:,}", reading, verdict))
    total_printed = sum(r[6] for r in LAYERS)
    total_real = sum(rows_by_path[r[1]].macs for r in LAYERS)
    widest = rows_by_path["bottleneck6.0.depthwise.conv"]
    printed_max = max(LAYERS, key=lambda r: _printed_int(r[5]))
    return PaperTable(
        "Seed 001, Tables A1 and A2: per-layer feature maps, filters and MACs (Reduced model)",
        "seed 001, appendix: Table A1 'Feature Map Size and Memory per layer', Table A2 "
        "'Filter Coefficient Size and Memory per layer' and Table A2 'MACs per layer'",
        (table_section("a1", "Table A1: feature map memory, in elements", (
            Column("layer", "layer"), Column("path", "costlab layer"),
            Column("printed", "printed (N_in+N_out) x L_r x L_c", Unit.INT),
            Column("elements", "elements in + out (computed)", Unit.INT),
            Column("formula", "seed's formula at the layer's input", Unit.INT),
            Column("verdict", "verdict")), a1),
         table_section("a2_filters", "Table A2: filter coefficients", (
             Column("layer", "layer"), Column("expression", "printed F_r x F_c x N_i x N_o"),
             Column("printed", "printed", Unit.PRINTED),
             Column("weights", "computed weights", Unit.INT), Column("verdict", "verdict")),
             filters),
         table_section("a2_macs", "Table A2: MACs per layer", (
             Column("layer", "layer"), Column("printed", "printed MACs", Unit.INT),
             Column("macs", "computed MACs", Unit.INT), Column("verdict", "verdict"),
             Column("reading", "reading")), macs)),
        notes=(
            "The appendix lists one block per level of the Reduced MobileNetV2 (Table 3), "
            "32x32 input; costlab's rows are the first block of each level.",
            f"Table A2 writes every 3x3 depthwise filter as a dense 3x3xN_ixN_o kernel (its "
            f"largest, {printed_max[4]} = {_printed_int(printed_max[5]):,}; the real count is "
            f"{widest.params:,}), so its largest 'filter' and its largest MAC count "
            f"({printed_max[6]:,}; really {widest.macs:,}) are artefacts.",
            f"Over these layers the printed MACs sum to {total_printed:,}; the layers really "
            f"cost {total_real:,}."),
        conventions=(MACS, "filter coefficients: the conv's weight count (no bias)",
                     "Table A1's feature map memory: the elements of the layer's input and "
                     "output tensors, beside the seed's (N_in + N_out) x L_r x L_c"),
        claims=tuple(claims))


def _mb(value: float) -> str:
    return f"{value / 1e6:,.1f} MB"


@paper_table("seed001-parameters-memory")
def parameters_memory(ev: Evaluator) -> PaperTable:
    """Seed 001, Tables 2 and 3 (parameter counts), the memory formula of section 5.1 and
    the memory claims of Figure 11 and the abstract."""
    counts = []
    for name, classes in ((STANDARD, 10), (STANDARD, 1000), (REDUCED, 10), (REDUCED, 1000)):
        trace = ev.analysis(name, {"num_classes": classes}).trace
        counts.append((ev.spec(name).title, classes,
                       *(sum(count_params(trace, c).values())
                         for c in ("torch", "weights", "folded", "keras"))))
    claims = entry_claims(ev, [(STANDARD, "001", None), (REDUCED, "001", None)])
    formula_rows = []
    reduced_a2 = max(_printed_int(r[5]) for r in LAYERS)
    reduced_a1 = max(r[3] for r in LAYERS)
    for name, terms, printed_result, text in SECTION51:
        arithmetic = (terms[0] + terms[1] + terms[2] + terms[3]) * 4
        title = ev.spec(name).title
        verdict, reading = judge(f"{printed_result}", arithmetic)
        printed_terms = " + ".join(f"{t:,}" for t in terms)
        claims.append(Claim("001", "section 5.1", f"{title}: ({printed_terms}) x 4",
                            f"{printed_result:,}", f"{arithmetic:,}", reading, verdict))
        value = parse_published(text)[0]
        verdict, reading = judge(text.removesuffix("MB"), arithmetic / 1e6,
                                 [("the sum before the x 4, in millions of elements",
                                   arithmetic / 4 / 1e6)])
        claims.append(Claim("001", "section 5.1 and Figure 11", f"the minimum memory to run "
                            f"the {title.split(' MobileNetV2')[0].lower()} version",
                            text, _mb(arithmetic) + " (its own formula)", reading, verdict))
        params, feature_map, filter_map = section51_terms(ev.analysis(name).full_cost)
        real = section51_bytes(params, feature_map, filter_map)
        class_count = ev.analysis(name).config.get("num_classes")
        formula_rows.append((title, class_count, params, feature_map, filter_map, real,
                             round(value)))
        training = ev.training(name, FIGURE11_BATCH)
        verdict, reading = judge(text, training.total_bytes)
        claims.append(Claim("001", "Figure 11", f"memory to train the {title} at batch "
                            f"{FIGURE11_BATCH} (the seed's batch, section 4)", text,
                            _mb(training.total_bytes), reading or "SGD, fp32: params, "
                            "gradients and the activations autograd saves", verdict))
    widest_a1 = max(LAYERS, key=lambda r: r[3])
    x, y, _ = conv_shapes(_rows(ev)[widest_a1[1]])
    feature_term = SECTION51[0][1][2]
    claims.append(Claim("001", "section 5.1", f"the formula's feature map term {feature_term:,} "
                        "is the largest feature map", f"{feature_term:,}", f"{reduced_a1:,} "
                        f"(Table A1's largest, Reduced model); Standard model: "
                        f"{formula_rows[0][3]:,}", f"the Reduced model's ({x[1]} + {y[1]}) x "
                        f"{x[2]} x {x[3]} ({widest_a1[1]}), reused for the Standard model",
                        Verdict.EXPLAINED if reduced_a1 == feature_term else Verdict.DIFFERS))
    filter_term = SECTION51[0][1][3]
    near = min(LAYERS, key=lambda r: abs(_printed_int(r[5]) - filter_term))
    claims.append(Claim("001", "section 5.1", f"the formula's filter term {filter_term:,} is the "
                        "largest filter", f"{filter_term:,}", f"{reduced_a2:,} (Table A2's "
                        "largest)", f"not the largest even in Table A2; closest to its "
                        f"{near[4]} = {near[5]}, misprinted", Verdict.DIFFERS))
    standard = ev.training(STANDARD, FIGURE11_BATCH)
    adam = ev.training(STANDARD, FIGURE11_BATCH, "adam")
    fits = standard.total_bytes < 3e9
    claims.append(Claim("001", "section 5.1", "no present-day CPU or GPU with 3GB of memory "
                        "limits MobileNetV2", "3GB", f"{standard.total_bytes:,} B (SGD), "
                        f"{adam.total_bytes:,} B (Adam) for the Standard model at batch "
                        f"{FIGURE11_BATCH}", f"it fits, just: "
                        f"{standard.total_bytes / 3e9:.1%} of 3 GB with SGD",
                        Verdict.EXACT if fits else Verdict.DIFFERS))
    others = {name: ev.training(name, FIGURE11_BATCH).total_bytes
              for name in FIGURE11_NETWORKS if name in ("alexnet", "vgg16", "resnet18")}
    v2 = ev.training("mobilenetv2", FIGURE11_BATCH).total_bytes
    ranking = ", ".join(f"{ev.spec(n).title} {_mb(b)}" for n, b in
                        sorted({**others, "mobilenetv2": v2}.items(), key=lambda kv: kv[1]))
    least = v2 < min(others.values())
    for location in ("abstract", "section 6"):
        claims.append(Claim("001", location, "out of AlexNet, VGG-16 and ResNet-18, "
                            "MobileNetV2 requires the least amount of memory", "least",
                            ranking, f"training at batch {FIGURE11_BATCH}, SGD, fp32",
                            Verdict.EXACT if least else Verdict.DIFFERS))
    ratio = v2 / others["alexnet"]
    claims.append(Claim("001", "section 5.1", "MobileNetV2 memory usage is comparable to "
                        "AlexNet", "comparable", f"{ratio:.1f}x AlexNet's", f"training at batch "
                        f"{FIGURE11_BATCH}, SGD, fp32", Verdict.DIFFERS if ratio > 2
                        else Verdict.ROUNDED))
    training_rows = []
    for name in FIGURE11_NETWORKS:
        memory = ev.training(name, FIGURE11_BATCH)
        training_rows.append((ev.spec(name).title, SEED001_MEMORY_MB.get(name, ""),
                              memory.params_bytes, memory.gradients_bytes,
                              memory.saved_activations_bytes, memory.total_bytes))
    return PaperTable(
        "Seed 001: parameter counts (Tables 2 and 3), the memory formula (section 5.1) and "
        "Figure 11",
        "seed 001, Tables 2 and 3 ('Number of Parameters: 4,278,048' and '709,120'), section "
        "5.1, '(Parameters + Parameter Gradients + Feature map + Filter map size) * 4', the "
        "abstract and Figure 11",
        (table_section("conventions_counts", "Computed parameter counts under every "
                       "convention", (
                           Column("model", "model"), Column("classes", "classes", Unit.NUMBER),
                           *(Column(c, c, Unit.INT)
                             for c in ("torch", "weights", "folded", "keras"))), counts),
         table_section("formula", "Section 5.1's formula on the real models, at the spec's "
                       "default class count", (
                           Column("model", "model"), Column("classes", "classes", Unit.NUMBER),
                           Column("params", "parameters (torch)", Unit.INT),
                           Column("feature_map", "largest (N_in+N_out) x H x W", Unit.INT),
                           Column("filter", "largest filter", Unit.INT),
                           Column("formula_bytes", "formula on the real model (bytes)",
                                  Unit.INT),
                           Column("published_bytes", "published (bytes)", Unit.INT)),
                       formula_rows),
         table_section("training", f"What training really holds at batch {FIGURE11_BATCH}, "
                       "SGD, fp32 (costlab memory --training), in bytes", (
                           Column("model", "model"),
                           Column("published", "seed 001 published", Unit.PRINTED),
                           Column("params_bytes", "parameters", Unit.INT),
                           Column("gradients_bytes", "gradients", Unit.INT),
                           Column("saved_bytes", "saved activations", Unit.INT),
                           Column("total_bytes", "total", Unit.INT)), training_rows)),
        notes=(
            "Neither 4,278,048 nor 709,120 comes out of the architectures as printed, under "
            "any convention or class count (the Standard model as printed has "
            f"{counts[1][2]:,} torch parameters at 1000 classes).",
            "The formula leaves out the activations autograd keeps for the backward pass, "
            "which dominate at any batch size (last section); Figure 11's redraw "
            "(memory-per-architecture.png, its data in memory-per-architecture.csv) shows "
            "them beside the seed's published figures."),
        conventions=(PARAMS, "memory: bytes; MB = 10^6 bytes"), claims=tuple(claims))


def _level_macs(ev: Evaluator, name: str) -> list[tuple[str, int, int, str]]:
    """(level, MACs of the level, MACs of its last block, that block) per level."""
    rows = [r for r in ev.analysis(name).full_cost.layers if r.macs]
    out = []
    for level, tops in LEVELS[name].items():
        in_level = [r for r in rows if r.path.split(".")[0] in tops]
        blocks: dict[str, int] = {}
        for r in in_level:
            prefix = r.path.rsplit(".", 2)[0]
            blocks[prefix] = blocks.get(prefix, 0) + r.macs
        last = list(blocks)[-1]
        out.append((level, sum(blocks.values()), blocks[last], last))
    return out


@paper_table("seed001-compute")
def compute_claims(ev: Evaluator) -> PaperTable:
    """Seed 001, section 5.2 ('Compute Time'): where the MACs are, and whether time follows
    them; and Table 11's MACs."""
    claims = entry_claims(ev, [("mobilenetv2", "001", "Table 11"), ("alexnet", "001", "Table 11"),
                               ("vgg16", "001", "Table 11"), ("resnet18", "001", "Table 11")])
    claims += entry_claims(ev, [("mobilenetv2", "001", "Table 10"),
                                ("alexnet", "001", "Table 10"), ("vgg16", "001", "Table 10"),
                                ("resnet18", "001", "Table 10")])
    level_rows = []
    for name in (REDUCED, STANDARD):
        blocks: dict[str, dict[str, LayerCost]] = {}
        for row in ev.analysis(name).full_cost.layers:
            parts = row.path.split(".")
            if row.macs and len(parts) >= 3 and parts[-2] in ("expand", "depthwise",
                                                                 "project"):
                blocks.setdefault(".".join(parts[:-2]), {})[parts[-2]] = row
        with_expand = {p: b for p, b in blocks.items() if "expand" in b}
        dw_max = sum(max(b.values(), key=lambda r: r.macs) is b["depthwise"]
                     for b in with_expand.values())
        dw_min = sum(min(b.values(), key=lambda r: r.macs) is b["depthwise"]
                     for b in with_expand.values())
        layers = [r for r in ev.analysis(name).full_cost.layers if r.macs]
        biggest = max(layers, key=lambda r: r.macs)
        title = ev.spec(name).title
        claims.append(Claim("001", "section 5.2", f"{title}: within each block the max number "
                            "of MACs is at the 3x3 depthwise convolution", "depthwise",
                            f"the depthwise is the largest in {dw_max} of {len(with_expand)} "
                            f"blocks and the smallest in {dw_min}", f"the largest layer is "
                            f"{biggest.path} ({biggest.macs:,} MACs)",
                            Verdict.EXACT if dw_max == len(with_expand) else Verdict.DIFFERS))
        levels = _level_macs(ev, name)
        for level, total, last, block in levels:
            level_rows.append((title, int(level), total, block, last))
        per_block = [last for _, _, last, _ in levels]
        rising = all(a < b for a, b in itertools.pairwise(per_block))
        sequence = " -> ".join(f"{fmt_number(round(v / 1e5) / 10)}M" for v in per_block)
        claims.append(Claim("001", "section 5.2", f"{title}: MACs increase level by level",
                            "increase", f"last block of each level: {sequence}", "",
                            Verdict.EXACT if rising else Verdict.DIFFERS))
        top = max(levels, key=lambda lv: lv[1])
        last_level = levels[-1][0]
        claims.append(Claim("001", "section 5.2", f"{title}: the maximum number of MACs occurs "
                            "at the last level", f"level {last_level}", f"level {top[0]} "
                            f"({top[1]:,} MACs)", "summed over each level's blocks",
                            Verdict.EXACT if top[0] == last_level else Verdict.DIFFERS))
    claims += [Claim("001", table, f"test accuracy: {what}", value, "", "",
                     Verdict.PUBLISHED_ONLY) for table, what, value in TEST_RESULTS]
    standard = ev.analysis(STANDARD).totals["macs"]
    reduced = ev.analysis(REDUCED).totals["macs"]
    macs_ratio = standard / reduced
    time_rows = []
    for what, (t_standard, t_reduced) in TIMINGS.items():
        time_ratio = t_standard / t_reduced
        time_rows.append((what, t_standard, t_reduced, time_ratio, macs_ratio))
        claims.append(Claim("001", "section 5.2", f"{what}: Standard {t_standard} s, Reduced "
                            f"{t_reduced} s", f"{t_standard} s / {t_reduced} s", "", "",
                            Verdict.PUBLISHED_ONLY))
        holds = abs(time_ratio / macs_ratio - 1) < 0.1
        claims.append(Claim("001", "section 5.2", f"MACs are directly proportional to "
                            f"computation time ({what})", f"{time_ratio:.2f}x in time",
                            f"{macs_ratio:.2f}x in MACs", "the seed's own timings against "
                            "the MACs of its two models", Verdict.EXACT if holds
                            else Verdict.DIFFERS))
    return PaperTable(
        "Seed 001, section 5.2 and Table 11: where the MACs are, and what they predict",
        "seed 001, section 5.2 'Compute Time', Table 10 (accuracies) and Table 11 'MAC "
        "comparisons', quoting Bianco et al. 2018",
        (table_section("levels", "MACs per level (seed 001's Tables 2 and 3)", (
            Column("model", "model"), Column("level", "level", Unit.NUMBER),
            Column("macs", "MACs of the level", Unit.INT), Column("block", "its last block"),
            Column("block_macs", "MACs of that block", Unit.INT)), level_rows),
         table_section("timings", "The seed's timings against the MACs of its models", (
             Column("timing", "timing"), Column("standard_s", "Standard (s)", Unit.NUMBER),
             Column("reduced_s", "Reduced (s)", Unit.NUMBER),
             Column("time_ratio", "time ratio", Unit.FLOAT, digits=2),
             Column("macs_ratio", "MAC ratio", Unit.FLOAT, digits=2)), time_rows)),
        notes=(f"The Standard model costs {standard:,} MACs per image at 224x224, the Reduced "
               f"one {reduced:,} at 32x32.",
               "Measured latency on this machine is the job of `costlab latency`; reports/ "
               "holds only computed figures, so that --check stays byte for byte.",
               "AlexNet, VGG-16 and ResNet-18 are torchvision's; their MACs equal fvcore's "
               "count layer by layer (tests/test_fvcore.py)."),
        conventions=(MACS,), claims=tuple(claims))


