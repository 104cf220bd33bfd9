"""What `costlab report` shows of an analysis, as a neutral document: totals from the metric
catalog, MACs by op class, the layer table, published figures and unsupported ops."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from costlab.analyses.memory import MemoryAnalysis
from costlab.analyses.metrics import CATALOG, Metric, MetricKind
from costlab.analyses.published import Comparison, published_section
from costlab.analyses.training import TrainingAnalysis
from costlab.analyses.training_document import (
    TRAINING_LAYER_COLUMNS,
    training_sections,
    with_training_columns,
)
from costlab.count.engine import LayerCost, ModelCost
from costlab.errors import OptionError
from costlab.render.cells import format_cell
from costlab.render.section import Column, Document, Section, Unit
from costlab.render.tree import tree_labels
from costlab.spec.schema import Scalar
from costlab.trace.inputs import InputSpec

__all__ = ["Analyzed", "SummarySources", "config_line", "analysis_meta", "report_document",
           "layer_rows", "LAYER_COLUMNS", "largest_tensor_record"]


class Analyzed(Protocol):
    """What a report reads of an analysis (costlab.analyses.analysis.Analysis)."""

    @property
    def name(self) -> str: ...
    @property
    def config(self) -> Mapping[str, Scalar]: ...
    @property
    def inputs(self) -> tuple[InputSpec, ...]: ...
    @property
    def cost(self) -> ModelCost: ...
    @property
    def memory(self) -> MemoryAnalysis | None: ...
    @property
    def published(self) -> tuple[Comparison, ...]: ...
    @property
    def conventions(self) -> dict[str, str]: ...
    @property
    def trace_device(self) -> str: ...
    @property
    def trace_device_reason(self) -> str: ...
    @property
    def training(self) -> TrainingAnalysis | None: ...


@dataclass
class SummarySources:
    """The metric sources of a report: its analysis and the fp32 memory summary."""

    analysis: Analyzed
    memory: MemoryAnalysis | None

    def extra(self, need: str) -> Any:
        if need == "training" and self.analysis.training is not None:
            return self.analysis.training   # report --training did that work already
        raise KeyError(need)   # the report summary shows only metrics that need no extra work


def config_line(name: str, config: Mapping[str, Scalar]) -> str:
    """`mobilenetv2  (alpha=1.0, resolution=224, ...)`: the model and every parameter used."""
    text = ", ".join(f"{k}={v}" for k, v in config.items())
    return f"{name}  ({text})" if text else name


def analysis_meta(analysis: Analyzed) -> dict[str, Any]:
    """The facts every JSON document about one model starts with."""
    return {"model": analysis.name, "config": dict(analysis.config),
            "inputs": [list(i.shape) for i in analysis.inputs],
            "input_dtypes": [str(i.dtype).removeprefix("torch.") for i in analysis.inputs]}


def _summary_metrics(analysis: Analyzed) -> list[Metric]:
    done = {"training"} if analysis.training is not None else set()
    return [m for m in CATALOG.values() if m.kind is MetricKind.COUNTED
            and (m.needs is None or m.needs in done)
            and (analysis.memory is not None or m.unit is not Unit.BYTES)]


def _totals(analysis: Analyzed) -> Section:
    """A row per summary metric, from the catalog: label, exact value, the value in the
    metric's unit and its brief; memory figures say their dtype and where they are."""
    sources = SummarySources(analysis, analysis.memory)
    dtype = f"; {analysis.memory.dtype}" if analysis.memory is not None else ""
    rows = []
    for metric in _summary_metrics(analysis):
        where = metric.where(sources) if metric.where is not None else ""
        means = metric.brief or metric.means
        if metric.unit is Unit.BYTES:
            means += dtype + (f"; at {where}" if where else "")
        rows.append({"key": metric.key, "label": metric.label, "value": metric.value(sources),
                     "_unit": str(metric.unit), "means": means})
    columns = (Column("label", "total"), Column("value", "exact", Unit.INT),
               Column("value", "", unit_key="_unit"), Column("means", "counts"))
    return Section("totals", "", columns, tuple(rows), json_as="mapping",
                   json_mapping=("key", "value"))


def _by_class(cost: ModelCost) -> Section:
    total = cost.totals.macs
    rows = tuple({"op_class": name, "macs": macs, "share": macs / total if total else 0.0,
                  "elementwise": ops}
                 for name, (macs, ops) in cost.by_class.items() if macs or ops)
    columns = (Column("op_class", "op class"), Column("macs", "MACs", Unit.INT),
               Column("share", "share", Unit.SHARE), Column("elementwise", "element-wise ops",
                                                            Unit.INT))
    return Section("by_class", "", columns, rows)


def layer_rows(layers: Sequence[LayerCost], total_macs: int) -> list[dict[str, Any]]:
    """One record per layer-table row, exact integers; `share` is a fraction of all MACs."""
    return [{
        "layer": row.path or "(root)", "type": row.kind, "input_shape": row.input_shape,
        "output_shape": row.output_shape, "kernel": row.kernel, "stride": row.stride,
        "groups": row.groups, "params": row.params, "macs": row.macs,
        "share": row.macs / total_macs if total_macs else 0.0,
        "output_elements": row.output_elements, "elementwise": row.elementwise,
        "_kernel": kernel_text(row),
    } for row in layers]


def kernel_text(row: LayerCost) -> str:
    """`3x3 s2 dw`: the kernel, a stride other than 1, and depthwise or grouped."""
    if not row.kernel:
        return ""
    text = "x".join(map(str, row.kernel))
    if row.stride and any(s != 1 for s in row.stride):
        text += " s" + "x".join(map(str, sorted(set(row.stride))))
    if row.groups and row.groups > 1:
        in_channels = row.input_shape[1] if row.input_shape and len(row.input_shape) > 1 else 0
        text += " dw" if row.groups == in_channels else f" g{row.groups}"
    return text


LAYER_COLUMNS = (
    Column("layer", "layer"), Column("type", "type", priority=2),
    Column("input_shape", "input", Unit.SHAPE, priority=3),
    Column("output_shape", "output", Unit.SHAPE),
    Column("_kernel", "kernel", priority=1, show="text"),
    Column("kernel", "kernel", Unit.SHAPE, show="data"),
    Column("stride", "stride", Unit.SHAPE, show="data"),
    Column("groups", "groups", Unit.INT, show="data"),
    Column("params", "params", Unit.INT), Column("macs", "MACs", Unit.INT),
    Column("share", "share", Unit.SHARE, priority=1),
    Column("output_elements", "output elements", Unit.INT, priority=3),
    Column("elementwise", "element-wise ops", Unit.INT, priority=3),
)


def _unsupported(cost: ModelCost) -> Section:
    """One line in text (every op by name and count), a mapping in JSON."""
    rows = tuple({"op": op, "count": n} for op, n in cost.unsupported.items())
    listed = ", ".join(f"{op} x{n}" for op, n in cost.unsupported.items())
    note = f"unsupported ops (no cost rule, not counted): {listed}" if rows else \
        "unsupported ops: none (every traced op has a cost rule)"
    return Section("unsupported_ops", "", (Column("op", "op", show="data"),
                                           Column("count", "count", Unit.INT, show="data")),
                   rows, (note,), json_as="mapping", json_mapping=("op", "count"))


# A layer table longer than this repeats the totals below it, so they do not scroll away.
LONG_TABLE_ROWS = 40


def report_document(analysis: Analyzed, *, top: int | None = None,
                    summary: bool = False, tree: Sequence[LayerCost] | None = None
                    ) -> Document:
    """The whole report: heading, totals, op classes, layers, published figures, gaps.

    `top`: only the N layers with the most MACs, costliest first; `summary`: totals only;
    `tree`: the layer table as a module tree, these rows (count.engine.module_tree: every
    module down to the depth, parents before children) drawn with their nesting.
    """
    if tree is not None and (top is not None or summary or analysis.training is not None):
        raise OptionError("--tree shows every module in its place: it does not mix with "
                          "--top, --summary or --training")
    inputs = ", ".join(map(str, analysis.inputs))   # 1x3x224x224, or 1x128:int64
    heading: tuple[str, ...] = (config_line(analysis.name, analysis.config),
                                f"input {inputs}; parameters counted under the "
                                f"'{analysis.cost.param_convention}' convention")
    if analysis.trace_device != "meta":
        heading += (f"traced on real {analysis.trace_device} tensors, random weights: "
                    f"{analysis.trace_device_reason}",)
    rows = layer_rows(analysis.cost.layers, analysis.cost.totals.macs)
    columns: tuple[Column, ...] = LAYER_COLUMNS
    sections = [_totals(analysis)]
    if analysis.training is not None:
        rows, only_training = with_training_columns(rows, analysis.training)
        sections += training_sections(analysis.training, only_training)
        columns = (*LAYER_COLUMNS, *TRAINING_LAYER_COLUMNS)
    title = ""
    if tree is not None:
        rows = [{**row, "depth": layer.path.count(".") + 1 if layer.path else 0,
                 "_tree": label or row["layer"]}
                for row, layer, label in zip(layer_rows(tree, analysis.cost.totals.macs), tree,
                                             tree_labels([r.path for r in tree]), strict=True)]
        columns = (Column("_tree", "layer", show="text"), Column("layer", "layer", show="data"),
                   *LAYER_COLUMNS[1:])
        title = "module tree (a parent's row sums its children's: rows overlap)"
    if top is not None:
        shown = sorted(rows, key=lambda r: -int(r["macs"]))[:top]
        title = f"the {len(shown)} costliest of {len(rows)} layers, by MACs"
        rows = shown
    layers = Section("layers", title, columns, tuple(rows), chart=("layer", "macs"))
    totals = analysis.cost.totals
    footer = (f"total: {format_cell(totals.macs, Unit.INT)} MACs, "
              f"{format_cell(totals.params, Unit.INT)} params "
              f"({analysis.cost.param_convention})",) if len(rows) > LONG_TABLE_ROWS else ()
    meta = {**analysis_meta(analysis), "conventions": analysis.conventions,
            **({"tree": True} if tree is not None else {})}
    if summary:
        return Document("report", heading, (sections[0], _unsupported(analysis.cost)), meta,
                        primary="totals")
    sections += [_by_class(analysis.cost), layers]
    if analysis.published:
        sections.append(published_section(
            analysis.published, "published figures for this configuration (diff = published "
            "vs computed; memory at fp16 in the blocks view unless the verdict names another)"))
    sections.append(_unsupported(analysis.cost))
    mem = analysis.memory
    if mem is not None:
        meta["memory"] = {"dtype": str(mem.dtype), "peak_bytes": mem.peak.bytes,
                          "peak_at": mem.peak.module, "naive_bytes": mem.naive_bytes,
                          "largest_tensor": largest_tensor_record(mem)}
    return Document("report", heading, tuple(sections), meta, primary="layers", footer=footer)


def largest_tensor_record(mem: MemoryAnalysis) -> dict[str, Any] | None:
    """The largest single tensor: its shape, elements, bytes and the layer making it."""
    big = mem.largest
    return None if big is None else {"tensor": big.tensor, "shape": list(big.shape),
                                     "elements": big.elements, "bytes": big.bytes}
