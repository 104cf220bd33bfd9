"""What `costlab memory` shows, as a neutral document: the largest tensor per resolution with
the published figures, peak / naive / bound, training memory, measured peaks, feature maps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from costlab.analyses.measured_peak import MeasuredPeak
from costlab.analyses.memory import MemoryAnalysis
from costlab.analyses.published import Comparison, published_record, published_section
from costlab.analyses.report_document import (
    Analyzed,
    analysis_meta,
    config_line,
    largest_tensor_record,
)
from costlab.analyses.training import MemoryEstimate, TrainingMemory
from costlab.choices import DType
from costlab.count.engine import ModelCost
from costlab.render.section import Column, Document, Section, Unit
from costlab.spec.sources import cite, sources_note

__all__ = ["VIEW_MEANING", "memory_document"]

VIEW_MEANING = {
    "all": "every tensor an op produces",
    "blocks": "tensors crossing block boundaries (block inputs and outputs); a block's inner "
              "tensors are disposable, as in MobileNetV2's memory-efficient inference",
    "bottlenecks": "outputs of composite blocks and of the head, leaving out single layers "
                   "(one conv or linear with its norm and activation, such as the stem): the "
                   "reading of MobileNetV2's Table 3",
}


def _memory_figures(analysis: Analyzed) -> list[Comparison]:
    return [c for c in analysis.published
            if c.entry.at or c.entry.metric == "max_memory_bytes"]


def _conditions(analysis: Analyzed, mem: MemoryAnalysis) -> str | None:
    """None when the figures are computed as Table 3 printed them (one image, 16-bit), else
    what differs."""
    batch = analysis.inputs[0].shape[0] if analysis.inputs and analysis.inputs[0].shape else 1
    if batch == 1 and mem.dtype is DType.FP16:
        return None
    return f"batch {batch}, {mem.dtype}"


def _per_resolution(analysis: Analyzed, mem: MemoryAnalysis) -> Section:
    """One row per resolution and the largest ("max"): in JSON each with the records of the
    figures published for it, the document's own (judged 16-bit, whatever `--dtype`); the
    table and CSV show the bytes figure with a verdict that says when the row's bytes are not
    Table 3's."""
    at_max = [c for c in analysis.published if c.entry.metric == "max_memory_bytes"]
    differs = _conditions(analysis, mem)
    rows: list[dict[str, Any]] = []
    for r in mem.per_resolution:
        at = f"{r.height}x{r.width}"
        figures = [c for c in analysis.published if c.entry.at == at]
        rows.append({"resolution": at, "height": r.height, "width": r.width,
                     "channels": r.channels, "elements": r.elements, "bytes": r.bytes,
                     "tensor": r.tensor, "published": [published_record(c) for c in figures],
                     **_shown([c for c in figures if c.entry.metric == "memory_bytes"],
                              differs)})
    largest = max(mem.per_resolution, key=lambda r: r.bytes, default=None)
    if largest is not None:
        rows.append({"resolution": "max", "height": None, "width": None, "channels": None,
                     "elements": largest.elements, "bytes": largest.bytes,
                     "tensor": largest.tensor, "published": [published_record(c) for c in at_max],
                     **_shown(at_max, differs)})
    columns = (Column("resolution", "resolution"), Column("channels", "channels", Unit.INT),
               Column("bytes", "bytes", Unit.BYTES),
               Column("elements", "elements", Unit.INT, show="data"),
               Column("tensor", "tensor"), Column("_published", "published", Unit.INT),
               Column("_verdict", "verdict (fp16, 1 image)", show="data"),
               Column("_shown_verdict", "verdict (fp16, 1 image)", show="text"))
    return Section("per_resolution", f"largest tensor per resolution, view '{mem.view}': "
                   f"{VIEW_MEANING[str(mem.view)]}", columns, tuple(rows))


def _shown(figures: list[Comparison], differs: str | None) -> dict[str, Any]:
    """The table's and CSV's flat cells (private keys: JSON has the records): the last bytes
    figure and its verdict, "not comparable" when the row's bytes are not at Table 3's
    conditions (16-bit, one image)."""
    if not figures:
        return {"_published": None, "_verdict": None, "_shown_verdict": None}
    c = figures[-1]
    if differs is not None:
        c = replace(c, verdict=f"not comparable ({differs})")
    return {"_published": c.entry.published, "_verdict": c.verdict,
            "_shown_verdict": c.shown_verdict}


def _activation(mem: MemoryAnalysis) -> Section:
    rows: list[dict[str, Any]] = [
        {"key": "peak_bytes", "label": "peak (run in order, freed after last use)",
         "bytes": mem.peak.bytes, "where": f"at {mem.peak.module}"},
        {"key": "naive_bytes", "label": "naive sum of every output (torchinfo-style)",
         "bytes": mem.naive_bytes, "where": ""},
        {"key": "bound_bytes", "label": "bound: max over blocks of inputs + outputs",
         "bytes": mem.bound.bytes, "where": f"block {mem.bound.block}"},
    ]
    if mem.largest is not None:
        shape = "x".join(map(str, mem.largest.shape))
        rows.append({"key": "largest_tensor_bytes", "label": "largest single tensor",
                     "bytes": mem.largest.bytes, "where": f"{shape} from {mem.largest.tensor}"})
    columns = (Column("label", "activation memory"), Column("bytes", "", Unit.BYTES),
               Column("bytes", "bytes", Unit.INT), Column("where", "where"))
    return Section("activation", "", columns, tuple(rows), json_as="mapping",
                   json_mapping=("key", "bytes"), json_extra={
                       "peak_at": mem.peak.module, "bound_block": mem.bound.block,
                       "largest_tensor": largest_tensor_record(mem)})


def _training(t: TrainingMemory, estimates: Sequence[MemoryEstimate]) -> Section:
    rows = [("params_bytes", "parameters", t.params_bytes),
            ("gradients_bytes", "gradients", t.gradients_bytes),
            ("optimizer_bytes", f"optimizer state ({t.optimizer})", t.optimizer_bytes),
            ("saved_activations_bytes",
             f"activations saved for backward ({t.saved_tensors} tensors)",
             t.saved_activations_bytes),
            ("gradient_in_flight_bytes", "largest activation gradient in flight",
             t.gradient_in_flight_bytes),
            ("step_peak_bytes", "one step's peak (saved + gradients + in flight)",
             t.step_peak_bytes),
            ("total_bytes", "total", t.total_bytes),
            *((e.key, e.label, e.bytes) for e in estimates)]
    footnote = sources_note(s for e in estimates for s in e.sources)
    columns = (Column("label", ""), Column("bytes", "", Unit.BYTES),
               Column("bytes", "bytes", Unit.INT))
    return Section("training", f"training memory, batch {t.batch}, {t.dtype}", columns,
                   tuple({"key": k, "label": label, "bytes": value} for k, label, value in rows),
                   (footnote,) if footnote else (), json_as="mapping",
                   json_mapping=("key", "bytes"),
                   json_extra={"dtype": t.dtype, "optimizer": t.optimizer, "batch": t.batch,
                               "saved_tensors": t.saved_tensors})


def _measured(mem: MemoryAnalysis, inference: MeasuredPeak) -> Section:
    """The measured inference peak and, when measured too, the training step's, each beside
    the figure predicted for it (the real model runs in fp32)."""
    scale = 4 / mem.dtype.itemsize
    pairs = [("inference", "inference peak", inference, int(mem.peak.bytes * scale))]
    if mem.measured_training is not None and mem.training is not None:
        t = mem.training
        pairs.append(("training", "training step (saved + gradients + in flight)",
                      mem.measured_training,
                      int(t.step_peak_bytes * 4 / t.dtype.itemsize)))
    rows = tuple({"key": key, "label": label, "measured_bytes": m.bytes,
                  "predicted_bytes": predicted, "method": m.method,
                  "ratio": m.bytes / predicted if m.bytes is not None and predicted else None}
                 for key, label, m, predicted in pairs)
    columns = (Column("label", ""), Column("measured_bytes", "measured bytes", Unit.INT),
               Column("predicted_bytes", "predicted bytes", Unit.INT),
               Column("ratio", "ratio", Unit.FLOAT, digits=2))
    return Section("measured", f"measured, fp32 ({inference.method})", columns, rows)


def _feature_maps(mem: MemoryAnalysis, cost: ModelCost) -> Section:
    rows = tuple({"layer": m.path, "input_shape": row.input_shape,
                  "output_shape": row.output_shape, "input_elements": m.input_elements,
                  "output_elements": m.output_elements, "input_bytes": m.input_bytes,
                  "output_bytes": m.output_bytes, "feature_map_elements": m.feature_map_elements}
                 for m, row in zip(mem.layers, cost.layers, strict=True))
    columns = (Column("layer", "layer"), Column("input_shape", "input", Unit.SHAPE),
               Column("output_shape", "output", Unit.SHAPE),
               Column("input_bytes", "in bytes", Unit.BYTES),
               Column("output_bytes", "out bytes", Unit.BYTES),
               Column("feature_map_elements", "(N_in+N_out)xHxW", Unit.INT, priority=1))
    return Section("layers", "feature maps per layer ((N_in + N_out) x H x W at the input "
                   f"resolution: {cite('001', 'Table A1')})", columns, rows,
                   (sources_note(["001"]),))


def memory_document(analysis: Analyzed, mem: MemoryAnalysis, full_cost: ModelCost,
                    estimates: Sequence[MemoryEstimate] = ()) -> Document:
    """Every memory figure of one model at one dtype and view; deterministic except for the
    measured figures. `estimates` (closed-form formulas, such as a paper's) follow the
    training memory they estimate."""
    size = mem.dtype.itemsize
    heading = (config_line(analysis.name, analysis.config),
               f"activations at {mem.dtype} ({size} byte{'s' * (size > 1)} per element; "
               "--dtype sets it, fp32 by default in every command); 1 kB = 1000 bytes")
    sections = [_per_resolution(analysis, mem), _activation(mem)]
    if mem.training is not None:
        sections.append(_training(mem.training, estimates))
    if mem.measured is not None:
        sections.append(_measured(mem, mem.measured))
    figures = _memory_figures(analysis)
    if figures:
        sections.append(published_section(figures, "published memory figures, judged at fp16 "
                                                    "and batch 1 as published"))
    sections.append(_feature_maps(mem, full_cost))
    meta = {**analysis_meta(analysis), "dtype": str(mem.dtype), "view": str(mem.view),
            "view_means": VIEW_MEANING[str(mem.view)]}
    return Document("memory", heading, tuple(sections), meta, primary="per_resolution")
