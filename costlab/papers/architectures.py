"""The architecture tables as printed (V1's Table 1, V2's Tables 1 and 2), row by row against
the layers costlab builds, and the documents' statements about layer and block counts."""

from __future__ import annotations

from costlab.analyses.verdicts import Verdict, judge
from costlab.count.engine import LayerCost
from costlab.papers.claims import Claim
from costlab.papers.formulas import bottleneck_blocks
from costlab.papers.tables import Evaluator, PaperTable, paper_table, table_section
from costlab.render import Column

__all__ = ["V1_TABLE1", "V2_TABLE2"]

# MobileNetV1's Table 1 as seeds 000 and 004 print it: (type / stride, filter shape, input
# size); "5x" stands for five identical dw/pw pairs. dw filters are k x k x C.
V1_TABLE1 = [
    ("Conv / s2", (3, 3, 3, 32), (224, 224, 3)),
    ("Conv dw / s1", (3, 3, 32), (112, 112, 32)),
    ("Conv / s1", (1, 1, 32, 64), (112, 112, 32)),
    ("Conv dw / s2", (3, 3, 64), (112, 112, 64)),
    ("Conv / s1", (1, 1, 64, 128), (56, 56, 64)),
    ("Conv dw / s1", (3, 3, 128), (56, 56, 128)),
    ("Conv / s1", (1, 1, 128, 128), (56, 56, 128)),
    ("Conv dw / s2", (3, 3, 128), (56, 56, 128)),
    ("Conv / s1", (1, 1, 128, 256), (28, 28, 128)),
    ("Conv dw / s1", (3, 3, 256), (28, 28, 256)),
    ("Conv / s1", (1, 1, 256, 256), (28, 28, 256)),
    ("Conv dw / s2", (3, 3, 256), (28, 28, 256)),
    ("Conv / s1", (1, 1, 256, 512), (14, 14, 256)),
    *[("5x Conv dw / s1", (3, 3, 512), (14, 14, 512)),
      ("5x Conv / s1", (1, 1, 512, 512), (14, 14, 512))] * 5,
    ("Conv dw / s2", (3, 3, 512), (14, 14, 512)),
    ("Conv / s1", (1, 1, 512, 1024), (7, 7, 512)),
    ("Conv dw / s2", (3, 3, 1024), (7, 7, 1024)),
    ("Conv / s1", (1, 1, 1024, 1024), (7, 7, 1024)),
    ("FC / s1", (1024, 1000), (1, 1, 1024)),
]

# MobileNetV2's Table 2 as seeds 000 and 003 print it: (input h, input c, operator, t, c, n, s).
V2_TABLE2 = [
    (224, 3, "conv2d", 0, 32, 1, 2),
    (112, 32, "bottleneck", 1, 16, 1, 1),
    (112, 16, "bottleneck", 6, 24, 2, 2),
    (56, 24, "bottleneck", 6, 32, 3, 2),
    (28, 32, "bottleneck", 6, 64, 4, 2),
    (14, 64, "bottleneck", 6, 96, 3, 1),
    (14, 96, "bottleneck", 6, 160, 3, 2),
    (7, 160, "bottleneck", 6, 320, 1, 1),
    (7, 320, "conv2d 1x1", 0, 1280, 1, 1),
]


def _v1_claims(ev: Evaluator) -> tuple[list[tuple[str, ...]], list[Claim]]:
    layers = [r for r in ev.analysis("mobilenetv1").full_cost.layers if r.macs]
    rows: list[tuple[str, ...]] = []
    claims: list[Claim] = []
    for index, ((kind, shape, size), row) in enumerate(zip(V1_TABLE1, layers, strict=True)):
        assert row.input_shape is not None and row.output_shape is not None
        stride = (row.stride or (1,))[0]
        if row.kind == "Linear":
            built_shape: tuple[int, ...] = (row.input_shape[1], row.output_shape[1])
            built_size: tuple[int, ...] = (1, 1, row.input_shape[1])
        else:
            assert row.kernel is not None
            depthwise = (row.groups or 1) > 1
            built_shape = (*row.kernel, row.input_shape[1]) if depthwise else \
                (*row.kernel, row.input_shape[1], row.output_shape[1])
            built_size = (row.input_shape[2], row.input_shape[3], row.input_shape[1])
        printed_stride = int(kind.split("/ s")[1])
        same = built_shape == shape and built_size == size and printed_stride == stride
        text = f"{kind}, {'x'.join(map(str, shape))}, input {'x'.join(map(str, size))}"
        built = f"s{stride}, {'x'.join(map(str, built_shape))}, input " \
            f"{'x'.join(map(str, built_size))}"
        reading = ""
        if not same:
            out = (size[0] + 2 - 3) // printed_stride + 1
            following = V1_TABLE1[index + 1][2][0] if index + 1 < len(V1_TABLE1) else 0
            reading = f"typo: at s{printed_stride} the output would be {out}x{out}, but the " \
                f"next row reads {following}x{following}; the layer is s{stride}"
        rows.append((row.path, text, built, "same" if same else "differs"))
        if kind.startswith("5x") and index > 14:
            continue   # one claim for the five pairs
        for document in ("000", "004"):
            claims.append(Claim(document, "MobileNetV1 Table 1", text, kind, built, reading,
                                Verdict.EXACT if same else Verdict.EXPLAINED
                                if reading else Verdict.DIFFERS))
    return rows, claims


def _groups(rows: list[LayerCost]) -> dict[str, list[str]]:
    """Top-level layer name -> the block prefixes under it, in order."""
    groups: dict[str, list[str]] = {}
    for row in rows:
        top = row.path.split(".")[0]
        parts = row.path.split(".")
        prefix = ".".join(parts[:2]) if len(parts) > 3 else top
        if prefix not in groups.setdefault(top, []):
            groups[top].append(prefix)
    return groups


def _v2_claims(ev: Evaluator) -> tuple[list[tuple[str, ...]], list[Claim]]:
    layers = [r for r in ev.analysis("mobilenetv2").full_cost.layers if r.macs]
    by_path = {r.path: r for r in layers}
    blocks = dict(bottleneck_blocks(ev))
    groups = [g for g in _groups(layers).items() if g[0] != "linear1"]
    rows: list[tuple[str, ...]] = []
    claims: list[Claim] = []
    for printed, (top, prefixes) in zip(V2_TABLE2, groups, strict=True):
        h, c_in, operator, t, c, n, s = printed
        if top.startswith("bottleneck"):
            first = blocks[prefixes[0]]
            entry = first.get("expand", first["depthwise"])
            assert entry.input_shape is not None
            dw_in = first["depthwise"].input_shape
            assert dw_in is not None
            built = (entry.input_shape[2], entry.input_shape[1], "bottleneck",
                     dw_in[1] // entry.input_shape[1],
                     first["project"].output_shape[1] if first["project"].output_shape else 0,
                     len(prefixes), (first["depthwise"].stride or (1,))[0])
        else:
            row = by_path[f"{top}.conv"]
            assert row.input_shape is not None and row.output_shape is not None
            built = (row.input_shape[2], row.input_shape[1], operator, 0, row.output_shape[1],
                     1, (row.stride or (1,))[0])
        same = built == printed
        text = f"{h}^2 x {c_in}, {operator}, t={t or '-'}, c={c}, n={n}, s={s}"
        got = f"{built[0]}^2 x {built[1]}, t={built[3] or '-'}, c={built[4]}, n={built[5]}, " \
            f"s={built[6]}"
        rows.append((top, text, got, "same" if same else "differs"))
        for document in ("000", "003"):
            claims.append(Claim(document, "MobileNetV2 Table 2", text, text, got, "",
                                Verdict.EXACT if same else Verdict.DIFFERS))
    return rows, claims


def _block_claims(ev: Evaluator) -> list[Claim]:
    """Table 1 of MobileNetV2 (h x w x k -> h x w x tk -> h/s x w/s x tk -> h/s x w/s x k')
    on every block that has an expansion layer."""
    holds = total = 0
    for _, convs in bottleneck_blocks(ev):
        if "expand" not in convs:
            continue
        total += 1
        ex, dw, pw = (convs[k].input_shape for k in ("expand", "depthwise", "project"))
        out_ex, out_dw = convs["expand"].output_shape, convs["depthwise"].output_shape
        assert ex and dw and pw and out_ex and out_dw
        s = (convs["depthwise"].stride or (1,))[0]
        t = out_ex[1] // ex[1]
        holds += out_ex[2] == ex[2] and out_ex[1] == t * ex[1] and out_dw[1] == t * ex[1] \
            and out_dw[2] == (ex[2] + 2 - 3) // s + 1 and pw[2] == out_dw[2]
    verdict = Verdict.EXACT if holds == total else Verdict.DIFFERS
    text = "bottleneck residual block: h x w x k -> 1x1 conv -> h x w x tk -> 3x3 dwise s -> " \
        "h/s x w/s x tk -> linear 1x1 -> h/s x w/s x k'"
    return [Claim(document, "MobileNetV2 Table 1", text, "Table 1",
                  f"holds on {holds} of {total} blocks with an expansion layer", "", verdict)
            for document in ("000", "001", "002")]


def _columns(layer: str) -> tuple[Column, ...]:
    return (Column("layer", layer), Column("printed", "printed row"), Column("built", "built"),
            Column("check", "check"))


@paper_table("mobilenet-architectures")
def architectures(ev: Evaluator) -> PaperTable:
    """MobileNetV1's Table 1 and MobileNetV2's Tables 1 and 2, row by row; layer counts."""
    v1_rows, claims = _v1_claims(ev)
    v2_rows, v2_claims = _v2_claims(ev)
    claims += v2_claims + _block_claims(ev)
    v1 = [r for r in ev.analysis("mobilenetv1").full_cost.layers if r.macs]
    table_rows = len(V1_TABLE1) + 2     # and the Avg Pool and Softmax rows
    verdict, reading = judge("30", len(v1), [("Table 1's rows, the average pool and softmax "
                                              "included", table_rows)], exact=True)
    claims.append(Claim("004", "section 2", "the full MobileNets network has 30 layers", "30",
                        f"{len(v1)} conv and FC layers", reading, verdict))
    last = v1[-2].output_shape
    assert last is not None
    shape = f"{last[2]}x{last[3]}x{last[1]}"
    claims.append(Claim("004", "section 6.1", "a 224x224x3 input gives a 7x7x1024 feature "
                        "map", "7x7x1024", shape, "", Verdict.EXACT if shape == "7x7x1024"
                        else Verdict.DIFFERS))
    blocks = bottleneck_blocks(ev)
    verdict, reading = judge("17", len(blocks), exact=True)
    claims.append(Claim("004", "section 6.2", "the full MobileNet V2 architecture consists of "
                        "17 building blocks", "17", f"{len(blocks)}", reading, verdict))
    standard = [r for r in ev.analysis("mobilenetv2_standard_001").full_cost.layers
                if r.path.endswith("project.conv")]
    verdict, reading = judge("17", len(standard), exact=True)
    claims.append(Claim("001", "section 3", "the body is composed of 7 levels with a total of "
                        "17 blocks", "17", f"{len(standard)} (Standard model as its Table 2 "
                        "prints it)", reading or f"its Table 2 has {len(standard) - len(blocks)} "
                        "more block than MobileNetV2's (level 3's identity row, n=3)", verdict))
    wide = next(((convs["expand"], convs["depthwise"], convs["project"])
                 for _, convs in blocks if "expand" in convs
                 and convs["expand"].input_shape and convs["expand"].input_shape[1] == 24
                 and convs["project"].output_shape and convs["project"].output_shape[1] == 24),
                None)
    assert wide is not None and wide[0].output_shape is not None
    claims.append(Claim("004", "section 6.2", "24 channels are expanded to 24 x 6 = 144 and "
                        "projected back to 24", "144", f"{wide[0].output_shape[1]}", "",
                        Verdict.EXACT if wide[0].output_shape[1] == 144 else Verdict.DIFFERS))
    sixty_four = next((convs["expand"] for _, convs in blocks if "expand" in convs
                       and convs["expand"].input_shape
                       and convs["expand"].input_shape[1] == 64), None)
    assert sixty_four is not None and sixty_four.output_shape is not None
    claims.append(Claim("002", "'V2' notes", "if t = 6, the internal output is 6 x 64 = 384 "
                        "channels", "384", f"{sixty_four.output_shape[1]}", "",
                        Verdict.EXACT if sixty_four.output_shape[1] == 384 else Verdict.DIFFERS))
    return PaperTable(
        "MobileNet architecture tables, row by row (seeds 000, 001, 002, 003, 004)",
        "MobileNetV1's Table 1 'MobileNet Body Architecture' (seeds 000 and 004), MobileNetV2's "
        "Table 1 (bottleneck block; seeds 000, 001, 002) and Table 2 (seeds 000 and 003)",
        (table_section("v1_table1", "MobileNetV1, Table 1", _columns("costlab layer"), v1_rows),
         table_section("v2_table2", "MobileNetV2, Table 2", _columns("costlab layers"),
                       v2_rows)),
        notes=("Table 1's Avg Pool and Softmax rows have no cost and are not listed; the five "
               "identical 14x14 pairs ('5x') are judged once.",),
        claims=tuple(claims))
