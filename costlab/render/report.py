"""Render analyses as terminal tables, markdown, LaTeX, CSV or JSON: the only place numbers
become strings."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
from tabulate import tabulate

from costlab.choices import Format

if TYPE_CHECKING:
    from costlab.analyses.memory import MemoryAnalysis
    from costlab.analyses.published import Comparison
    from costlab.api import Analysis
    from costlab.count.engine import LayerCost

__all__ = ["Format", "render", "layers_frame", "to_dict", "humanize", "fmt_int", "fmt_shape",
           "render_table", "title", "largest_tensor_dict"]


_UNITS = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K"))


def humanize(value: float) -> str:
    """300774272 -> "300.77M"; small values stay integers."""
    for scale, suffix in _UNITS:
        if abs(value) >= scale:
            return f"{value / scale:.2f}{suffix}"
    return f"{value:g}"


def fmt_bytes(value: int) -> str:
    """Decimal units, as the papers use them (their "K" is 1000 bytes): 401408 -> "401.4 kB"."""
    for scale, suffix in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if abs(value) >= scale:
            return f"{value / scale:.1f} {suffix}"
    return f"{value} B"


def fmt_int(value: int) -> str:
    return f"{value:,}"


def fmt_shape(shape: Sequence[int] | None) -> str:
    return "x".join(map(str, shape)) if shape else ""


def _fmt_kernel(row: LayerCost) -> str:
    if not row.kernel:
        return ""
    text = "x".join(map(str, row.kernel))
    if row.stride and any(s != 1 for s in row.stride):
        text += " s" + "x".join(map(str, sorted(set(row.stride))))
    if row.groups and row.groups > 1:
        in_channels = row.input_shape[1] if row.input_shape and len(row.input_shape) > 1 else 0
        text += " dw" if row.groups == in_channels else f" g{row.groups}"
    return text


def layers_frame(analysis: Analysis) -> pd.DataFrame:
    """One row per layer, with exact integers; shares are fractions of the total MACs."""
    total = analysis.cost.totals.macs
    records = [{
        "layer": row.path or "(root)",
        "type": row.kind,
        "input_shape": fmt_shape(row.input_shape),
        "output_shape": fmt_shape(row.output_shape),
        "kernel": fmt_shape(row.kernel),
        "stride": fmt_shape(row.stride),
        "groups": row.groups,
        "params": row.params,
        "macs": row.macs,
        "share": row.macs / total if total else 0.0,
        "output_elements": row.output_elements,
        "elementwise": row.elementwise,
    } for row in analysis.cost.layers]
    frame = pd.DataFrame.from_records(records, columns=[
        "layer", "type", "input_shape", "output_shape", "kernel", "stride", "groups", "params",
        "macs", "share", "output_elements", "elementwise"])
    frame["groups"] = frame["groups"].astype("Int64")
    return frame


def to_dict(analysis: Analysis) -> dict[str, Any]:
    """Everything the report shows, as plain JSON types (integers stay exact)."""
    frame = layers_frame(analysis)
    layers = [{k: (None if pd.isna(v) else v) for k, v in rec.items()}
              for rec in frame.astype(object).to_dict("records")]
    return {
        "model": analysis.name,
        "config": dict(analysis.config),
        "inputs": [list(s) for s in analysis.input_shapes],
        "conventions": analysis.conventions,
        "totals": analysis.totals,
        "by_class": {name: {"macs": macs, "elementwise": ops}
                     for name, (macs, ops) in analysis.cost.by_class.items()},
        "layers": layers,
        "unsupported_ops": analysis.unsupported,
        "memory": _memory_summary(analysis),
        "published": [{
            "source": c.entry.source, "table": c.entry.table, "metric": c.entry.metric,
            "variant": dict(c.entry.variant), "published": c.entry.published,
            "computed": c.computed, "convention": c.convention,
            "difference_pct": round(c.diff_pct, 2), "verdict": c.verdict,
        } for c in analysis.published],
    }


def _memory_summary(analysis: Analysis) -> dict[str, Any] | None:
    mem = analysis.memory
    if mem is None:
        return None
    return {"dtype": str(mem.dtype), "peak_bytes": mem.peak.bytes, "peak_at": mem.peak.module,
            "naive_bytes": mem.naive_bytes, "largest_tensor": largest_tensor_dict(mem)}


def largest_tensor_dict(mem: MemoryAnalysis) -> dict[str, Any] | None:
    """The largest single tensor in JSON: its shape, elements, bytes and the layer making it."""
    big = mem.largest
    return None if big is None else {"tensor": big.tensor, "shape": list(big.shape),
                                     "elements": big.elements, "bytes": big.bytes}


TERMINAL_WIDTH = 100


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], fmt: Format | str,
                 align: Sequence[str] | None = None) -> str:
    """A table in the terminal (plain columns), markdown (pipes) or LaTeX (booktabs) style.

    A terminal table wider than TERMINAL_WIDTH wraps its widest text (left-aligned) column;
    markdown and LaTeX never wrap, so they paste whole.
    """
    fmt = Format(fmt)
    style = {Format.TABLE: "simple", Format.MARKDOWN: "pipe",
             Format.LATEX: "latex_booktabs"}[fmt]
    text = tabulate(rows, headers=headers, tablefmt=style, colalign=align,
                    disable_numparse=True)
    excess = max(map(len, text.splitlines()), default=0) - TERMINAL_WIDTH
    if fmt is not Format.TABLE or excess <= 0 or not rows:
        return text
    widths = [max(len(str(cell)) for cell in column)
              for column in zip(headers, *rows, strict=False)]
    text_columns = [i for i, a in enumerate(align or ["left"] * len(headers)) if a == "left"]
    if not text_columns:
        return text
    widest = max(text_columns, key=lambda i: widths[i])
    if widths[widest] - excess < 12:     # too narrow to read: leave the table wide
        return text
    limits = [widths[widest] - excess if i == widest else None for i in range(len(headers))]
    return tabulate(rows, headers=headers, tablefmt=style, colalign=align,
                    disable_numparse=True, maxcolwidths=limits)


def title(analysis: Analysis) -> list[str]:
    """The model and every parameter used, wrapped to the terminal width."""
    config = ", ".join(f"{k}={v}" for k, v in analysis.config.items())
    text = f"{analysis.name}  ({config})" if config else analysis.name
    return textwrap.wrap(text, TERMINAL_WIDTH, subsequent_indent="  ", break_long_words=False,
                         break_on_hyphens=False)


def _summary(analysis: Analysis, fmt: Format) -> list[str]:
    t = analysis.cost.totals
    inputs = ", ".join(map(str, analysis.inputs))   # 1x3x224x224, or 1x128:int64
    lines = [*title(analysis),
             f"input {inputs}; parameters counted under the '{analysis.cost.param_convention}' "
             "convention"]
    rows = [
        ["MACs", fmt_int(t.macs), humanize(t.macs), "conv + linear/matmul multiply-accumulates"],
        ["FLOPs", fmt_int(t.flops), humanize(t.flops), "2 x MACs"],
        ["params", fmt_int(t.params), humanize(t.params), str(analysis.cost.param_convention)],
        ["element-wise ops", fmt_int(t.elementwise), humanize(t.elementwise),
         "bias, norm, activation, add, pooling: not in MACs"],
    ]
    if analysis.memory is not None:
        mem = analysis.memory
        rows.append(["peak activations", fmt_int(mem.peak.bytes), fmt_bytes(mem.peak.bytes),
                     f"fp32, freed after last use; at {mem.peak.module}"])
        big = mem.largest
        if big is not None:
            rows.append(["largest tensor", fmt_int(big.bytes), fmt_bytes(big.bytes),
                         f"fp32, {fmt_shape(big.shape)} from {big.tensor}"])
    out = [*lines, "", render_table(["total", "exact", "", "counts"], rows, fmt,
                                    ["left", "right", "right", "left"])]
    class_rows = [[name, fmt_int(macs), f"{macs / t.macs:.1%}" if t.macs else "", fmt_int(ops)]
                  for name, (macs, ops) in analysis.cost.by_class.items() if macs or ops]
    out += ["", render_table(["op class", "MACs", "share", "element-wise ops"], class_rows, fmt,
                             ["left", "right", "right", "right"])]
    return out


def _published(analysis: Analysis, fmt: Format) -> list[str]:
    if not analysis.published:
        return []
    terminal = fmt is Format.TABLE
    rows = [[f"{c.entry.source} {c.entry.table}"[:16], metric_label(c),
             *([] if terminal else [c.convention]), c.entry.published, fmt_int(c.computed),
             f"{c.diff_pct:+.1f}%", c.verdict] for c in analysis.published]
    headers = ["source", "metric", *([] if terminal else ["counted as"]), "published",
               "computed", "diff", "verdict"]
    align = ["left", "left", *([] if terminal else ["left"]), "right", "right", "right", "left"]
    return ["", "published figures for this configuration (diff = published vs computed;",
            "memory at fp16 in the blocks view unless the verdict names another)",
            render_table(headers, rows, fmt, align)]


def metric_label(comparison: Comparison) -> str:
    """`macs`, `params`, `memory_bytes@112x112`: the metric and where it applies."""
    entry = comparison.entry
    return f"{entry.metric}@{entry.at}" if entry.at else entry.metric


def _unsupported(analysis: Analysis) -> list[str]:
    if not analysis.unsupported:
        return ["", "unsupported ops: none (every traced op has a cost rule)"]
    listed = ", ".join(f"{name} x{count}" for name, count in analysis.unsupported.items())
    return ["", f"unsupported ops (no cost rule, not counted): {listed}"]


def _layer_rows(analysis: Analysis, fmt: Format) -> tuple[list[str], list[list[str]], list[str]]:
    total = analysis.cost.totals.macs
    if fmt is Format.TABLE:  # compact enough for 100 columns; other formats carry every column
        headers = ["layer", "type", "output", "kernel", "params", "MACs", "share"]
        align = ["left", "left", "left", "left", "right", "right", "right"]
        rows = [[row.path or "(root)", row.kind[:18], fmt_shape(row.output_shape[1:]
                 if row.output_shape else None), _fmt_kernel(row), fmt_int(row.params),
                 humanize(row.macs), f"{row.macs / total:.1%}" if total else ""]
                for row in analysis.cost.layers]
        return headers, rows, align
    headers = ["layer", "type", "input", "output", "kernel", "stride", "groups", "params", "MACs",
               "share", "output elements"]
    align = ["left"] * 6 + ["right"] * 5
    rows = [[row.path or "(root)", row.kind, fmt_shape(row.input_shape),
             fmt_shape(row.output_shape), fmt_shape(row.kernel), fmt_shape(row.stride),
             str(row.groups or ""), fmt_int(row.params), fmt_int(row.macs),
             f"{row.macs / total:.2%}" if total else "", fmt_int(row.output_elements)]
            for row in analysis.cost.layers]
    return headers, rows, align


def render(analysis: Analysis, fmt: Format | str = Format.TABLE) -> str:
    """The whole report in one format; deterministic for the same input."""
    fmt = Format(fmt)
    if fmt is Format.JSON:
        return json.dumps(to_dict(analysis), indent=2, sort_keys=False) + "\n"
    if fmt is Format.CSV:
        return layers_frame(analysis).to_csv(index=False, lineterminator="\n")
    headers, rows, align = _layer_rows(analysis, fmt)
    parts = [*_summary(analysis, fmt), "", render_table(headers, rows, fmt, align)]
    parts += _published(analysis, fmt) + _unsupported(analysis)
    return "\n".join(parts) + "\n"
