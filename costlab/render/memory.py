"""Render memory analyses (`costlab memory`): tables, markdown, CSV or JSON."""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING, Any

import pandas as pd

from costlab.render.report import (
    Format,
    fmt_bytes,
    fmt_int,
    fmt_shape,
    largest_tensor_dict,
    render_table,
    title,
)

if TYPE_CHECKING:
    from costlab.analyses.measure import MeasuredPeak
    from costlab.analyses.memory import MemoryAnalysis
    from costlab.analyses.training import TrainingMemory
    from costlab.api import Analysis

__all__ = ["memory_dict", "render_memory"]

_VIEWS = {
    "all": "every tensor an op produces",
    "blocks": "tensors crossing block boundaries (block inputs and outputs); a block's inner "
              "tensors are disposable, as in MobileNetV2's memory-efficient inference",
    "bottlenecks": "outputs of composite blocks and of the head, leaving out single conv "
                   "layers such as the stem (the reading of MobileNetV2's Table 3)",
}


def memory_dict(analysis: Analysis, mem: MemoryAnalysis) -> dict[str, Any]:
    """Plain JSON types; every count an exact integer."""
    out: dict[str, Any] = {
        "model": analysis.name, "config": dict(analysis.config),
        "inputs": [list(s) for s in analysis.input_shapes],
        "dtype": str(mem.dtype), "view": str(mem.view), "view_means": _VIEWS[str(mem.view)],
        "per_resolution": [{"height": r.height, "width": r.width, "channels": r.channels,
                            "elements": r.elements, "bytes": r.bytes, "tensor": r.tensor}
                           for r in mem.per_resolution],
        "largest_tensor": largest_tensor_dict(mem),
        "peak_bytes": mem.peak.bytes, "peak_at": mem.peak.module,
        "naive_bytes": mem.naive_bytes,
        "bound_bytes": mem.bound.bytes, "bound_block": mem.bound.block,
        "layers": [{"layer": m.path, "input_elements": m.input_elements,
                    "output_elements": m.output_elements, "input_bytes": m.input_bytes,
                    "output_bytes": m.output_bytes, "feature_map_elements": m.feature_map_elements}
                   for m in mem.layers],
        "published": [{"source": c.entry.source, "table": c.entry.table,
                       "metric": c.entry.metric, "at": c.entry.at,
                       "published": c.entry.published, "computed": c.computed,
                       "counted_as": c.convention, "verdict": c.verdict}
                      for c in analysis.published if c.entry.at],
    }
    if mem.training is not None:
        t = mem.training
        out["training"] = {
            "dtype": t.dtype, "optimizer": t.optimizer, "batch": t.batch,
            "params_bytes": t.params_bytes, "gradients_bytes": t.gradients_bytes,
            "optimizer_bytes": t.optimizer_bytes,
            "saved_activations_bytes": t.saved_activations_bytes,
            "saved_tensors": t.saved_tensors,
            "gradient_in_flight_bytes": t.gradient_in_flight_bytes,
            "step_peak_bytes": t.step_peak_bytes, "total_bytes": t.total_bytes,
            "formula_001_bytes": t.formula_bytes}
    for key, measured in (("measured", mem.measured),
                          ("measured_training", mem.measured_training)):
        if measured is not None:
            out[key] = {"bytes": measured.bytes, "method": measured.method}
    return out


def _ratio(measured: int | None, predicted: int) -> str:
    return f"{measured / predicted:.2f}" if measured is not None and predicted else ""


def _measured_row(label: str, measured: MeasuredPeak, predicted: int) -> list[str]:
    return [label, fmt_int(measured.bytes) if measured.bytes is not None else "-",
            fmt_int(predicted), _ratio(measured.bytes, predicted)]


def render_memory(analysis: Analysis, mem: MemoryAnalysis, fmt: Format | str) -> str:
    """The memory report in one format; deterministic except for measured figures."""
    fmt = Format(fmt)
    if fmt is Format.JSON:
        return json.dumps(memory_dict(analysis, mem), indent=2) + "\n"
    if fmt is Format.CSV:
        return pd.DataFrame(memory_dict(analysis, mem)["per_resolution"]).to_csv(
            index=False, lineterminator="\n")
    published = {c.entry.at: c for c in analysis.published
                 if c.entry.at and c.entry.metric == "memory_bytes"}
    for c in analysis.published:   # the last max_memory_bytes entry, if several
        if c.entry.metric == "max_memory_bytes":
            published["max"] = c
    lines = [*title(analysis),
             f"activations at {mem.dtype} ({_element_size(mem)} "
             f"byte{'s' * (_element_size(mem) > 1)} per element); "
             "1 kB = 1000 bytes", "",
             *textwrap.wrap(f"largest tensor per resolution, view '{mem.view}': "
                            f"{_VIEWS[str(mem.view)]}", 100)]
    rows = []
    for r in mem.per_resolution:
        judged = published.get(f"{r.height}x{r.width}")
        # elements are in JSON and CSV; the terminal table keeps to 100 columns without them
        rows.append([f"{r.height}x{r.width}", fmt_int(r.channels),
                     fmt_bytes(r.bytes), r.tensor,
                     judged.entry.published if judged else "",
                     judged.verdict if judged else ""])
    largest = max(mem.per_resolution, key=lambda r: r.bytes, default=None)
    if largest is not None:
        judged = published.get("max")
        rows.append(["max", "", fmt_bytes(largest.bytes), largest.tensor,
                     judged.entry.published if judged else "", judged.verdict if judged else ""])
    lines.append(render_table(["resolution", "channels", "bytes", "tensor",
                               "published", "verdict (fp16)"], rows, fmt,
                              ["left", "right", "right", "left", "right", "left"]))
    summary = [
        ["peak (run in order, freed after last use)", fmt_bytes(mem.peak.bytes),
         fmt_int(mem.peak.bytes), f"at {mem.peak.module}"],
        ["naive sum of every output (torchinfo-style)", fmt_bytes(mem.naive_bytes),
         fmt_int(mem.naive_bytes), ""],
        ["bound: max over blocks of inputs + outputs", fmt_bytes(mem.bound.bytes),
         fmt_int(mem.bound.bytes), f"block {mem.bound.block}"],
    ]
    if mem.largest is not None:
        summary.append(["largest single tensor", fmt_bytes(mem.largest.bytes),
                        fmt_int(mem.largest.bytes),
                        f"{fmt_shape(mem.largest.shape)} from {mem.largest.tensor}"])
    lines += ["", render_table(["activation memory", "", "bytes", "where"], summary, fmt,
                               ["left", "right", "right", "left"])]
    if mem.training is not None:
        lines += ["", _training(mem.training, fmt)]
    if mem.measured is not None:
        lines += ["", _measured(mem, mem.measured, fmt)]
    lines += ["", "feature maps per layer ((N_in + N_out) x H x W: seed 001, Table A1)",
              render_table(["layer", "input", "output", "in bytes", "out bytes",
                            "(N_in+N_out)xHxW"],
                           [[m.path, fmt_shape(row.input_shape), fmt_shape(row.output_shape),
                             fmt_bytes(m.input_bytes), fmt_bytes(m.output_bytes),
                             fmt_int(m.feature_map_elements)]
                            for m, row in zip(mem.layers, analysis.full_cost.layers,
                                              strict=True)],
                           fmt, ["left", "left", "left", "right", "right", "right"])]
    return "\n".join(lines) + "\n"


def _element_size(mem: MemoryAnalysis) -> int:
    return mem.dtype.itemsize


def _training(t: TrainingMemory, fmt: Format) -> str:
    rows = [["parameters", fmt_bytes(t.params_bytes), fmt_int(t.params_bytes)],
            ["gradients", fmt_bytes(t.gradients_bytes), fmt_int(t.gradients_bytes)],
            [f"optimizer state ({t.optimizer})", fmt_bytes(t.optimizer_bytes),
             fmt_int(t.optimizer_bytes)],
            [f"activations saved for backward ({t.saved_tensors} tensors)",
             fmt_bytes(t.saved_activations_bytes), fmt_int(t.saved_activations_bytes)],
            ["largest activation gradient in flight", fmt_bytes(t.gradient_in_flight_bytes),
             fmt_int(t.gradient_in_flight_bytes)],
            ["total", fmt_bytes(t.total_bytes), fmt_int(t.total_bytes)],
            ["seed 001, section 5.1 formula on this model", fmt_bytes(t.formula_bytes),
             fmt_int(t.formula_bytes)]]
    return (f"training memory, batch {t.batch}, {t.dtype}\n" +
            render_table(["", "", "bytes"], rows, fmt, ["left", "right", "right"]))


def _measured(mem: MemoryAnalysis, inference: MeasuredPeak, fmt: Format) -> str:
    """The measured inference peak and, when measured too, the training step's, each beside
    the figure predicted for it."""
    scale = 4 / mem.dtype.itemsize   # the real model runs in fp32
    rows = [_measured_row("inference peak", inference, int(mem.peak.bytes * scale))]
    if mem.measured_training is not None and mem.training is not None:
        t = mem.training
        rows.append(_measured_row("training step (saved + gradients + in flight)",
                                  mem.measured_training,
                                  int(t.step_peak_bytes * 4 / t.dtype.itemsize)))
    return (f"measured, fp32 ({inference.method})\n" +
            render_table(["", "measured bytes", "predicted bytes", "ratio"], rows, fmt,
                         ["left", "right", "right", "right"]))
