"""Seed 001 ("MobileNetV2: The Same but Better"): parameter counts, Tables A1 and A2, the
memory formula of section 5.1 and Table 11."""

from __future__ import annotations

from costlab.analyses.training import training_memory, weights_and_feature_map_bytes
from costlab.count.engine import LayerCost
from costlab.count.params import count_params
from costlab.papers.mobilenet import MACS, PARAMS, VERDICTS
from costlab.papers.tables import (
    ENTRY_HEADERS,
    Evaluator,
    PaperTable,
    Section,
    conv_shapes,
    entry_rows,
    paper_table,
)

__all__: list[str] = []

REDUCED, STANDARD = "mobilenetv2_reduced_001", "mobilenetv2_standard_001"

# Tables A1 and A2 (seed 001, lines 317-387), one row per distinct layer of the Reduced model,
# in network order: (printed label, module path in costlab's build, A1 "feature map size",
# A1 (N_in + N_out) x L_r x L_c, A2 filter expression, A2 filter count, A2 MACs).
LAYERS = [
    ("Level 0-1 conv(3x3/2s)", "conv1.conv", "32x32x3 = 3,072", 35_840, "3x3x3x32", 864,
     884_736),
    ("Level 1-2 special_id_block, 1x1", "bottleneck1.expand.conv", "16x16x32 = 8,192", 57_344,
     "1x1x32x192", 6_144, 1_572_864),
    ("  3x3 depthwise", "bottleneck1.depthwise.conv", "16x16x192 = 49,152", 98_304,
     "3x3x192x192", 331_776, 84_934_656),
    ("  1x1 linear", "bottleneck1.project.conv", "16x16x192", 65_536, "1x1x192x64", 12_288,
     3_145_728),
    ("Level 2 identity, 1x1", "bottleneck2.0.expand.conv", "16x16x64 = 16,384", 114_688,
     "1x1x64x384", 24_576, 6_291_456),
    ("  3x3 depthwise", "bottleneck2.0.depthwise.conv", "16x16x384 = 98,304", 196_608,
     "3x3x384x384", 1_327_104, 339_738_624),
    ("  1x1 linear", "bottleneck2.0.project.conv", "16x16x384", 114_688, "1x1x384x64", 24_576,
     6_291_456),
    ("Level 2-3 conv_block, 1x1", "bottleneck3.expand.conv", "16x16x64", 114_688, "1x1x64x384",
     24_576, 6_291_456),
    ("  3x3 depthwise, stride 2", "bottleneck3.depthwise.conv", "16x16x384", 196_608,
     "3x3x384x384", 1_327_104, 339_738_624),
    ("  1x1 linear", "bottleneck3.project.conv", "16x16x384", 122_880, "1x1x384x96", 36_864,
     9_437_184),
    ("Level 3 identity, 1x1", "bottleneck4.0.expand.conv", "8x8x96 = 6,144", 43_008,
     "1x1x96x576", 55_296, 3_538_944),
    ("  3x3 depthwise", "bottleneck4.0.depthwise.conv", "8x8x576 = 36,864", 73_728,
     "3x3x576x576", 2_985_984, 191_102_976),
    ("  1x1 linear", "bottleneck4.0.project.conv", "8x8x576", 43_008, "1x1x576x96", 55_296,
     3_538_944),
    ("Level 3-4 special_id_block, 1x1", "bottleneck5.expand.conv", "8x8x96", 43_008,
     "1x1x96x576", 55_296, 3_538_944),
    ("  3x3 depthwise", "bottleneck5.depthwise.conv", "8x8x576", 73_728, "3x3x576x576",
     2_985_984, 191_102_976),
    ("  1x1 linear", "bottleneck5.project.conv", "8x8x576", 47_104, "1x1x576x160", 92_160,
     5_898_240),
    ("Level 4 identity, 1x1", "bottleneck6.0.expand.conv", "8x8x160 = 10,240", 71_680,
     "1x1x160x960", 153_600, 9_830_400),
    ("  3x3 depthwise", "bottleneck6.0.depthwise.conv", "8x8x960 = 61,440", 122_880,
     "3x3x960x960", 8_294_400, 530_841_600),
    ("  1x1 linear", "bottleneck6.0.project.conv", "8x8x960", 71_680, "1x1x960x160", 153_600,
     9_830_400),
    ("Level 5 conv(1x1)", "conv2.conv", "8x8x160", 26_624, "1x1x160x256", 40_960, 2_621_440),
]


def _rows(ev: Evaluator) -> dict[str, LayerCost]:
    return {row.path: row for row in ev.analysis(REDUCED).full_cost.layers}


def _why_macs(row: LayerCost, printed: int) -> str:
    """Names the reading under which a printed per-layer MAC count comes out."""
    x, y, kernel = conv_shapes(row)
    k = kernel[0] * kernel[1]
    c_in, c_out = x[1], y[1]
    out_px = y[2] * y[3]
    in_px = x[2] * x[3]
    readings = {
        "match": row.macs,
        "differs: depthwise counted as dense (k x k x C x C)": k * c_in * c_out * out_px,
        "differs: counted at the input resolution": row.macs // out_px * in_px,
        "differs: dense, at the input resolution": k * c_in * c_out * in_px,
    }
    return next((name for name, value in readings.items() if value == printed), "differs")


@paper_table("seed001-tables-a1-a2")
def tables_a1_a2(ev: Evaluator) -> PaperTable:
    """Seed 001, Tables A1 and A2: feature maps, filter coefficients and MACs per layer."""
    rows_by_path = _rows(ev)
    a1, filters, macs = [], [], []
    for label, path, size, printed_a1, expr, printed_filter, printed_macs in LAYERS:
        row = rows_by_path[path]
        x, y, kernel = conv_shapes(row)
        computed_a1 = (x[1] + y[1]) * x[2] * x[3]
        a1.append((label, path, size, f"{printed_a1:,}", f"{computed_a1:,}",
                   "match" if computed_a1 == printed_a1 else
                   f"differs: the layer runs at {x[2]}x{x[3]}"))
        dense = kernel[0] * kernel[1] * x[1] * y[1]
        filters.append((label, expr, f"{printed_filter:,}", f"{row.params:,}",
                        "match" if row.params == printed_filter else
                        "differs: depthwise counted as dense" if dense == printed_filter
                        else "differs"))
        macs.append((label, f"{printed_macs:,}", f"{row.macs:,}", _why_macs(row, printed_macs)))
    total_printed = sum(r[6] for r in LAYERS)
    total_real = sum(rows_by_path[r[1]].macs for r in LAYERS)
    widest = rows_by_path["bottleneck6.0.depthwise.conv"]
    return PaperTable(
        "Seed 001, Tables A1 and A2: per-layer feature maps, filters and MACs (Reduced model)",
        "seed 001, appendix: Table A1 'Feature Map Size and Memory per layer', Table A2 "
        "'Filter Coefficient Size and Memory per layer' and Table A2 'MACs per layer'",
        (Section(("layer", "costlab layer", "printed feature map size",
                  "printed (N_in+N_out) x L_r x L_c", "computed", "verdict"), tuple(a1),
                 "Table A1: (N_in + N_out) x L_r x L_c"),
         Section(("layer", "printed F_r x F_c x N_i x N_o", "printed", "computed weights",
                  "verdict"), tuple(filters), "Table A2: filter coefficients"),
         Section(("layer", "printed MACs", "computed MACs", "verdict"), tuple(macs),
                 "Table A2: MACs per layer")),
        notes=(
            "The appendix lists one block per level of the Reduced MobileNetV2 (Table 3), "
            "32x32 input; costlab's rows are the first block of each level.",
            "Table A2 writes every 3x3 depthwise filter as a dense 3x3xN_ixN_o kernel (e.g. "
            f"3x3x960x960 = 8,294,400; the real count is 3x3x960 = {widest.params:,}), so its "
            "largest 'filter' and its largest MAC count (530,841,600; really "
            f"{widest.macs:,}) are artefacts.",
            "Layers after a stride (the conv(3x3/2s) tail and the projection after the "
            "stride-2 depthwise) are counted at their input resolution.",
            f"Over these layers the printed MACs sum to {total_printed:,}; the layers really "
            f"cost {total_real:,}."),
        conventions=(MACS, "filter coefficients: the conv's weight count (no bias)",
                     "(N_in + N_out) x L_r x L_c at the layer's input resolution, as the "
                     "table's first and 'conv(3x3/2s)' rows compute it", VERDICTS))


@paper_table("seed001-parameters-memory")
def parameters_memory(ev: Evaluator) -> PaperTable:
    """Seed 001, Tables 2 and 3 (parameter counts) and the memory formula of section 5.1."""
    counts = []
    for name, classes in ((STANDARD, 10), (STANDARD, 1000), (REDUCED, 10), (REDUCED, 1000)):
        trace = ev.analysis(name, {"num_classes": classes}).trace
        counts.append((ev.spec(name).title, f"{classes}",
                       *(f"{sum(count_params(trace, c).values()):,}"
                         for c in ("torch", "weights", "folded", "keras"))))
    formula = []
    for name, published, printed in ((STANDARD, "4,278,048 + 4,278,048 + 196,608 + 2,983,984",
                                      "46,946,752 (47MB)"),
                                     (REDUCED, "709,120 + 709,120 + 196,608 + 2,983,984",
                                      "18,395,328 (text: 4.6MB)")):
        result = ev.analysis(name)
        computed = weights_and_feature_map_bytes(result.full_cost)
        formula.append((ev.spec(name).title, published, printed, f"{computed:,}"))
    training = []
    for name in (STANDARD, REDUCED):
        from costlab.models.resolve import resolve_model
        target = resolve_model(name, batch=32)
        cost = ev.analysis(name).full_cost
        memory = training_memory(target.module, target.input_shapes, cost, optimizer="sgd")
        training.append((ev.spec(name).title, "32", f"{memory.params_bytes:,}",
                         f"{memory.gradients_bytes:,}", f"{memory.saved_activations_bytes:,}",
                         f"{memory.total_bytes:,}"))
    return PaperTable(
        "Seed 001: parameter counts (Tables 2 and 3) and the memory formula (section 5.1)",
        "seed 001, Tables 2 and 3 ('Number of Parameters: 4,278,048' and '709,120') and "
        "section 5.1, '(Parameters + Parameter Gradients + Feature map + Filter map size) * 4'",
        (Section(ENTRY_HEADERS, tuple(entry_rows(ev, [(STANDARD, "001", None),
                                                      (REDUCED, "001", None)])),
                 "Published figures, judged"),
         Section(("model", "classes", "torch", "weights", "folded", "keras"), tuple(counts),
                 "Computed parameter counts under every convention"),
         Section(("model", "printed terms", "printed result (bytes)", "formula on the real "
                  "model (bytes)"), tuple(formula), "Section 5.1 formula"),
         Section(("model", "batch", "parameters", "gradients", "saved activations",
                  "total (SGD, fp32)"), tuple(training),
                 "What training really holds (costlab memory --training), in bytes")),
        notes=(
            "Neither 4,278,048 nor 709,120 comes out of the architectures as printed, under "
            "any convention or class count (the Standard model as printed is MobileNetV2 with "
            f"one more 32-channel block: {counts[1][2]} torch parameters at 1000 classes).",
            "The formula's arithmetic is right for the Standard model "
            f"({(2 * 4_278_048 + 196_608 + 2_983_984) * 4:,} bytes = 47MB), but the Reduced "
            "model's '4.6MB' is the sum before the x 4: "
            f"{2 * 709_120 + 196_608 + 2_983_984:,} elements, "
            f"{(2 * 709_120 + 196_608 + 2_983_984) * 4:,} bytes.",
            "Both printed results reuse the Reduced model's feature map (196,608 = "
            "(384 + 384) x 16 x 16) and a dense-counted depthwise filter (2,983,984, itself a "
            "typo for 3x3x576x576 = 2,985,984), even for the 224x224 Standard model.",
            "On the real models the formula's largest feature map and largest filter are "
            "computed per layer; it still leaves out the activations autograd keeps for the "
            "backward pass, which dominate (last section)."),
        conventions=(PARAMS, VERDICTS))


@paper_table("seed001-table11-macs")
def table11(ev: Evaluator) -> PaperTable:
    """Seed 001, Table 11: MACs of MobileNetV2, AlexNet, VGG-16 and ResNet-18."""
    rows = entry_rows(ev, [("mobilenetv2", "001", "Table 11"), ("alexnet", "001", "Table 11"),
                           ("vgg16", "001", "Table 11"), ("resnet18", "001", "Table 11")])
    v2 = ev.analysis("mobilenetv2").totals["macs"]
    return PaperTable(
        "Seed 001, Table 11: MAC comparisons",
        "seed 001, Table 11 'MAC comparisons', quoting Bianco et al. 2018",
        (Section(ENTRY_HEADERS, tuple(rows), "Published figures, judged"),),
        notes=(f"MobileNetV2 at 224 px costs {v2:,} MACs (300M in its paper); 531M matches no "
               f"counting convention (2 x MACs is {2 * v2 / 1e6:.1f}M).",
               "AlexNet, VGG-16 and ResNet-18 are torchvision's; their MACs equal fvcore's "
               "count layer by layer (tests/test_fvcore.py)."),
        conventions=(MACS, VERDICTS))
