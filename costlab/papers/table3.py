"""MobileNetV2's Table 3 (seeds 000 and 002): the largest tensor to materialize at each
spatial resolution, in channels and kB at 16 bits, judged a cell (channels and memory
together) at a time under every reading costlab computes."""

from __future__ import annotations

import math
from dataclasses import dataclass

from costlab.analyses.memory import largest_per_resolution
from costlab.analyses.structure import ModelStructure, blocks_of
from costlab.analyses.verdicts import Verdict, rounding
from costlab.papers.claims import Claim
from costlab.papers.tables import Evaluator, PaperTable, paper_table, table_section
from costlab.render import Column, Unit
from costlab.trace.recorder import Trace

__all__ = ["CellReading", "printed_table3", "by_input_resolution"]

BYTES = 2   # "we assume 16-bit floats for activations"


@dataclass(frozen=True)
class CellReading:
    """One reading of a Table 3 cell: channels and bytes of the tensor it names."""

    label: str
    channels: int
    bytes: int
    tensor: str


_SPECS = ("mobilenetv1", "mobilenetv2", "shufflenetv1")


def printed_table3(ev: Evaluator, name: str) -> tuple[dict[str, int | float], dict[int, str]]:
    """Table 3's column for a spec, from its `reported:` entries (seed 002's copy; seed 000
    prints the same table): (the variant, {height: "channels/kB"}, with height 0 for the max
    row)."""
    channels: dict[int, str] = {}
    memory: dict[int, str] = {}
    variant: dict[str, int | float] = {}
    for entry in ev.spec(name).reported:
        if entry.source != "002" or entry.table != "Table 3":
            continue
        variant = {k: v for k, v in entry.variant.items() if isinstance(v, int | float)}
        height = int(entry.at.partition("x")[0]) if entry.at else 0
        (channels if entry.metric == "max_channels" else memory)[height] = entry.published
    column = {h: f"{channels[h]}/{memory[h].removesuffix('K')}" for h in channels}
    return variant, column | {0: memory[0]}


_LABELS = {"mobilenetv1": "MobileNetV1", "mobilenetv2": "MobileNetV2",
           "shufflenetv1": "ShuffleNet (2x, g=3)"}
# The ShuffleNet column's channels (400, 800, 1600) are those of g=2 at 2x.
_ALTERNATIVES: dict[str, list[tuple[str, dict[str, float | int]]]] = {
    "shufflenetv1": [("g=2 at 2x", {"alpha": 2.0, "groups": 2})]}


def by_input_resolution(trace: Trace) -> dict[int, CellReading]:
    """Table 2's rows read the other way: each block's output channels counted at the
    resolution of its input (the largest per resolution), at 16 bits."""
    found: dict[int, CellReading] = {}
    for call in blocks_of(trace):
        if not call.inputs or not call.outputs or len(call.outputs[0].shape) != 4 \
                or len(call.inputs[0].shape) != 4:
            continue
        height, width = call.inputs[0].shape[2], call.inputs[0].shape[3]
        channels = call.outputs[0].shape[1]
        if height not in found or channels > found[height].channels:
            found[height] = CellReading("output channels at the block's input resolution", channels,
                                 channels * height * width * BYTES, call.path)
    return found


Reading = tuple[str, dict[int, CellReading]]


def _views(trace: Trace, prefix: str) -> list[Reading]:
    readings = []
    structure = ModelStructure(trace)     # read once, for the three views
    for view in ("blocks", "bottlenecks", "all"):
        label = f"{prefix}{view} view"
        maxima = largest_per_resolution(trace, view, "fp16", structure=structure)
        readings.append((label, {r.height: CellReading(label, r.channels, r.bytes, r.tensor)
                                 for r in maxima}))
    return readings


def _judge_cell(printed: str, readings: list[Reading], height: int
                ) -> tuple[CellReading | None, Verdict, str]:
    channels_text, _, kb_text = printed.partition("/")
    kb = kb_text + "K"
    default = readings[0][1].get(height)
    for index, (label, reading) in enumerate(readings):
        cell = reading.get(height)
        if cell is None or cell.channels != int(channels_text):
            continue
        how = rounding(kb, cell.bytes)
        if how is None:
            continue
        if index == 0:
            return cell, Verdict.EXACT if how == "" else Verdict.ROUNDED, \
                f"{cell.bytes:,} B {how}" if how else ""
        return default, Verdict.EXPLAINED, \
            f"{label}: {cell.channels}/{cell.bytes:,} B ({cell.tensor}), {how}"
    tried = "; ".join(f"{label}: {r[height].channels}/{r[height].bytes:,} B"
                      for label, r in readings[1:] if height in r)
    return default, Verdict.DIFFERS, f"none gives both figures ({tried})"


def _judge_max(printed: str, readings: list[Reading], heights: set[int]
               ) -> tuple[CellReading, Verdict, str]:
    """The max row: the largest tensor over the printed resolutions, in each reading."""
    peaks = [(label, max((c for h, c in r.items() if h in heights), key=lambda c: c.bytes))
             for label, r in readings]
    best = peaks[0][1]
    how = rounding(printed, best.bytes)
    if how is not None:
        return best, Verdict.EXACT if how == "" else Verdict.ROUNDED, how
    for label, cell in peaks[1:]:
        how = rounding(printed, cell.bytes)
        if how is not None:
            return best, Verdict.EXPLAINED, f"{label}: {cell.bytes:,} B ({cell.tensor}), {how}"
    return best, Verdict.DIFFERS, "none gives it (" + "; ".join(
        f"{label}: {cell.bytes:,} B" for label, cell in peaks[1:]) + ")"


def _v2_7x7_note(printed: dict[int, str], readings: dict[str, dict[int, CellReading]]) -> str:
    """Why no rounding gives MobileNetV2's 7x7 cell while the column's others come out."""
    cell, other = readings["bottlenecks view"][7], readings[
        "output channels at the block's input resolution"][14]
    kb = cell.bytes / 1000
    return (f"MobileNetV2's {printed[7]} at 7x7: the {cell.channels}-channel tensor is "
            f"{cell.bytes:,} B = {kb:.2f}K, which prints {math.floor(kb)}K cut or "
            f"{round(kb)}K rounded; only rounding up gives {math.ceil(kb)}K, while the same "
            f"column cuts {other.bytes:,} B to {printed[14].partition('/')[2]}K at 14x14. No "
            "one rounding gives the whole column.")


@paper_table("mobilenetv2-table3-memory")
def v2_table3(ev: Evaluator) -> PaperTable:
    """Seeds 000 and 002, MobileNetV2's Table 3: max channels and memory per resolution."""
    rows, claims, notes = [], [], []
    for name in _SPECS:
        config, printed = printed_table3(ev, name)
        trace = ev.analysis(name, config).trace
        readings = _views(trace, "")
        if name == "mobilenetv2":
            readings.append(("output channels at the block's input resolution",
                             by_input_resolution(trace)))
        for label, config in _ALTERNATIVES.get(name, []):
            readings += _views(ev.analysis(name, config).trace, f"{label}, ")
        heights = {h for h in printed if h}
        for label, reading in readings:
            for height, cell in sorted(reading.items(), reverse=True):
                if height in heights:
                    rows.append((_LABELS[name], (height, height), label, cell.channels,
                                 cell.bytes, cell.tensor))
        for height in sorted(heights, reverse=True):
            found, verdict, why = _judge_cell(printed[height], readings, height)
            computed = f"{found.channels}/{found.bytes:,} B (blocks view)" if found else ""
            for document in ("000", "002"):
                claims.append(Claim(document, f"Table 3, {height}x{height}",
                                    f"{_LABELS[name]}: max channels / memory (kB, 16-bit)",
                                    printed[height], computed, why, verdict))
        if name == "mobilenetv2":
            notes.append(_v2_7x7_note(printed, dict(readings)))
        best, verdict, why = _judge_max(printed[0], readings, heights)
        for document in ("000", "002"):
            claims.append(Claim(document, "Table 3, max", f"{_LABELS[name]}: the largest "
                                "tensor to materialize", printed[0],
                                f"{best.bytes:,} B (blocks view, {best.tensor})", why, verdict))
    return PaperTable(
        "Max channels and memory per spatial resolution (MobileNetV2's Table 3)",
        "seed 002 and seed 000, Table 3 'Number of Maximum Channels/Memory in Kb at Each "
        "Spatial Resolution for Different Architecture with 16-bit floats for activation'",
        (table_section("largest", "Computed: the largest tensor per resolution, in each reading",
                       (Column("model", "model"),
                        Column("resolution", "resolution", Unit.SHAPE),
                        Column("reading", "reading"),
                        Column("channels", "channels", Unit.NUMBER),
                        Column("bytes", "bytes (16-bit)", Unit.INT),
                        Column("tensor", "tensor")), rows),),
        notes=(
            "A cell is judged on its channels and its memory together: a memory figure that "
            "rounds right while the channels differ is no match.",
            "Views: `blocks` is the tensors crossing block boundaries (block inputs and "
            "outputs); `bottlenecks` only the outputs of composite blocks and of the head, "
            "leaving out single conv layers (the caption's trick for the first layer); `all` "
            "every tensor an op produces.",
            "MobileNetV2's column at 56x56 to 7x7 lists each block's output channels at the "
            "resolution of its input (Table 2's `c` beside its `Input`), the reading "
            "`output channels at the block's input resolution`.",
            "The ShuffleNet column's channels are those of g=2 at 2x, computed under the "
            "`g=2 at 2x` readings, not those of g=3 at 2x that its caption names.",
            "K = 1000 bytes, as the paper's figures show.", *notes),
        claims=tuple(claims))
