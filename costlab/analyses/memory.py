"""Feature-map memory from the traced graph: per layer, the largest tensor per resolution
(MobileNetV2's Table 3), the peak of a forward pass run in order, the naive sum and the
paper's bound."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from costlab.analyses.structure import ModelStructure
from costlab.choices import DType, View, parse_choice
from costlab.count.engine import ModelCost
from costlab.trace.recorder import TensorMeta, Trace
from costlab.units import Shape, numel

if TYPE_CHECKING:   # annotations only: neither module imports this one, and both load torch
    from costlab.analyses.measured_peak import MeasuredPeak
    from costlab.analyses.training import TrainingMemory

__all__ = ["LayerMemory", "ResolutionMax", "LargestTensor", "Peak", "BlockBound",
           "feature_maps", "largest_per_resolution",
           "largest_tensor", "peak_memory", "naive_bytes", "block_bound", "MemoryAnalysis",
           "analyze_memory"]


@dataclass(frozen=True, slots=True)
class LayerMemory:
    """Feature maps of one layer-table row; `feature_map_elements` is (C_in + C_out) x H x W
    at the layer's input resolution (seed 001 tabulates it as Table A1)."""

    path: str
    input_elements: int
    output_elements: int
    input_bytes: int
    output_bytes: int
    feature_map_elements: int


def feature_maps(cost: ModelCost, dtype: DType | str) -> list[LayerMemory]:
    """Input and output elements and bytes of every row of the layer table."""
    size = parse_choice(DType, dtype).itemsize
    rows = []
    for row in cost.layers:
        n_in, n_out = numel(row.input_shape), numel(row.output_shape)
        rows.append(LayerMemory(row.path, n_in, n_out, n_in * size, n_out * size,
                                row.feature_map_elements))
    return rows


@dataclass(frozen=True, slots=True)
class ResolutionMax:
    """The largest tensor at one spatial size: which one, its channels, elements and bytes."""

    height: int
    width: int
    channels: int
    elements: int
    bytes: int
    tensor: str


def _candidates(trace: Trace, view: View, structure: ModelStructure | None
                ) -> Iterable[tuple[TensorMeta, str]]:
    """The tensors a view counts, each with where it was made. The blocks, single layers and
    containers behind the `blocks` and `bottlenecks` views come from the model's structure,
    never from a class name (costlab/analyses/structure.py)."""
    if view is View.ALL:
        for event in trace.events:
            for out in event.outputs:
                if out.kind == "activation":
                    yield out, event.module or "<root>"
        return
    structure = structure or ModelStructure(trace)
    blocks = structure.blocks()
    if view is View.BLOCKS:
        for tensor in trace.inputs:
            yield tensor, "model input"
        for call in blocks:
            for out in call.outputs:
                yield out, call.path
        return
    for call in blocks:
        if not structure.is_single_layer(call):
            for out in call.outputs:
                yield out, call.path


def largest_per_resolution(trace: Trace, view: View | str, dtype: DType | str, *,
                           structure: ModelStructure | None = None) -> list[ResolutionMax]:
    """For each spatial size, the tensor with the most channels under `view`, largest first.

    Views of one storage count once (flatten's output is the pooled tensor). `structure` is
    the trace's, when the caller has read it already.
    """
    view, size = parse_choice(View, view), parse_choice(DType, dtype).itemsize
    best: dict[tuple[int, int], ResolutionMax] = {}
    seen: set[int] = set()
    structure = structure or ModelStructure(trace)
    maps = structure.feature_map_sizes()
    for tensor, name in _candidates(trace, view, structure):
        hw = maps.resolution(tensor.shape)
        if hw is None or tensor.storage in seen:
            continue
        seen.add(tensor.storage)
        current = best.get(hw)
        if current is None or tensor.shape[1] > current.channels:
            best[hw] = ResolutionMax(hw[0], hw[1], tensor.shape[1], tensor.numel,
                                     tensor.numel * size, name)
    return sorted(best.values(), key=lambda r: (-r.height * r.width, -r.height))


@dataclass(frozen=True, slots=True)
class LargestTensor:
    """The largest activation any op produces, whatever its layout (a transformer's
    batch x tokens x hidden as well as an image's N x C x H x W)."""

    shape: Shape
    elements: int
    bytes: int
    tensor: str


def largest_tensor(trace: Trace, dtype: DType | str) -> LargestTensor | None:
    """The op output with the most elements (the first one made, on a tie); views of it and
    weights seen through a view are not new tensors."""
    best: TensorMeta | None = None
    where = ""
    for event in trace.events:
        for out in event.outputs:
            if out.kind == "activation" and out.storage == out.tid \
                    and (best is None or out.numel > best.numel):
                best, where = out, event.module or "<root>"
    if best is None:
        return None
    size = parse_choice(DType, dtype).itemsize
    return LargestTensor(best.shape, best.numel, best.numel * size, where)


@dataclass(frozen=True, slots=True)
class Peak:
    """Peak live activation bytes of a forward pass run in traced order, and where."""

    bytes: int
    event: int
    module: str


def _storage_sizes(trace: Trace) -> dict[int, int]:
    sizes: dict[int, int] = {}
    for tensor in list(trace.inputs) + [t for e in trace.events for t in e.outputs]:
        if tensor.kind in ("activation", "input"):
            sizes[tensor.storage] = max(sizes.get(tensor.storage, 0), tensor.numel)
    return sizes


def peak_memory(trace: Trace, dtype: DType | str) -> Peak:
    """Each activation allocated by the op that makes it and freed after its last use (model
    inputs live from the start, outputs to the end); parameters are not activations."""
    size = parse_choice(DType, dtype).itemsize
    elements = _storage_sizes(trace)
    last_use: dict[int, int] = {}
    for event in trace.events:
        for tensor in event.inputs:
            if tensor.storage in elements:
                last_use[tensor.storage] = event.index
    end = len(trace.events)
    for tensor in trace.outputs:
        last_use[tensor.storage] = end
    live = {t.storage for t in trace.inputs}
    live_bytes = sum(elements[s] for s in live) * size
    peak = Peak(live_bytes, -1, "")
    for event in trace.events:
        for out in event.outputs:
            if out.storage in elements and out.storage not in live:
                live.add(out.storage)
                live_bytes += elements[out.storage] * size
        if live_bytes > peak.bytes:
            peak = Peak(live_bytes, event.index, event.module or "<root>")
        for storage in [s for s in live if last_use.get(s, event.index) <= event.index]:
            live.discard(storage)
            live_bytes -= elements[storage] * size
    return peak


def naive_bytes(trace: Trace, dtype: DType | str) -> int:
    """The sum of every tensor the ops produce, as if nothing were ever freed."""
    inputs = {t.storage for t in trace.inputs}
    return sum(n for s, n in _storage_sizes(trace).items() if s not in inputs) \
        * parse_choice(DType, dtype).itemsize


@dataclass(frozen=True, slots=True)
class BlockBound:
    """MobileNetV2's bound: the largest total of one block's inputs and outputs."""

    bytes: int
    block: str


def block_bound(trace: Trace, dtype: DType | str, *,
                structure: ModelStructure | None = None) -> BlockBound:
    """max over blocks (each treated as one operation) of input bytes + output bytes."""
    size = parse_choice(DType, dtype).itemsize
    best = BlockBound(0, "")
    blocks = (structure or ModelStructure(trace)).blocks()
    for call in blocks or [c for c in trace.calls if c.depth == 0]:
        tensors = _distinct(list(call.inputs) + list(call.outputs))
        total = sum(t.numel for t in tensors) * size
        if total > best.bytes:
            best = BlockBound(total, call.path)
    return best


def _distinct(tensors: Sequence[TensorMeta]) -> list[TensorMeta]:
    seen: set[int] = set()
    out = []
    for tensor in tensors:
        if tensor.storage not in seen:
            seen.add(tensor.storage)
            out.append(tensor)
    return out


@dataclass(frozen=True)
class MemoryAnalysis:
    """Every memory figure of one analysis at one dtype and view."""

    dtype: DType
    view: View
    layers: tuple[LayerMemory, ...]
    per_resolution: tuple[ResolutionMax, ...]
    largest: LargestTensor | None
    peak: Peak
    naive_bytes: int
    bound: BlockBound
    training: TrainingMemory | None = None   # when asked (costlab.api.memory)
    measured: MeasuredPeak | None = None
    measured_training: MeasuredPeak | None = None

    def __repr__(self) -> str:
        """A line, not the tuple of every layer: what a notebook shows of a result."""
        largest = f", largest tensor {self.largest.bytes:,} B at {self.largest.tensor}" \
            if self.largest is not None else ""
        return (f"<MemoryAnalysis {self.dtype}, view {self.view}: peak {self.peak.bytes:,} B at "
                f"{self.peak.module}{largest}, {len(self.layers)} layers>")


def analyze_memory(trace: Trace, cost: ModelCost, *, dtype: DType | str = DType.FP16,
                   view: View | str = View.BLOCKS) -> MemoryAnalysis:
    """The inference memory analyses of a traced model (training and measurement are added
    by `costlab.api.memory`)."""
    dtype, view = parse_choice(DType, dtype), parse_choice(View, view)
    structure = ModelStructure(trace)     # read once, for the views and the bound
    return MemoryAnalysis(dtype, view, tuple(feature_maps(cost, dtype)),
                          tuple(largest_per_resolution(trace, view, dtype,
                                                       structure=structure)),
                          largest_tensor(trace, dtype), peak_memory(trace, dtype),
                          naive_bytes(trace, dtype), block_bound(trace, dtype,
                                                                 structure=structure))
