"""A sweep row composed from per-block costs memoized across configurations.

A spec builds a chain: the model is a Sequential of its rows (a row with n > 1 a Sequential
of its repeats), and each block's only input is the previous block's output. A block is a
function of its builder, its arguments, its input shape and the channel counts
`BuildContext.scale` gave it (builders read the spec's parameters through `scale` only:
`read_params` catches one that does not), so a block seen before is looked up by those
instead of being built and traced again. What is kept of a block is the part of every figure
a sweep row shows that the block contributes, measured on a trace of the block alone:

- MACs and element-wise ops: sums of the block's op costs;
- parameters under every convention: sums, except where a batch norm reads the block's input
  (`folded` would fold it into the previous block's conv): such a block is not kept;
- peak activations: in a chain, the tensors live while a block runs are its input, its
  intermediates and its output, exactly as in the block's own trace (input live from the
  start, freed after its last use; output kept to the end), so the model's peak is the
  largest block peak. That needs every storage the same size in both traces: a block whose
  output is a view of a larger storage, one that views its input as larger than it is, or
  one that ignores its input is not kept;
- the largest tensor: the largest block's;
- Table 3's largest tensor per resolution under each view: the candidates of the blocks the
  block gives the model (`structure.blocks_within` on its own trace: the model's structure
  decides, as in `blocks_of`), with the ones that view the block's input (flatten's output
  is the pooled tensor) counted only when that storage was not counted before, as
  `largest_per_resolution` dedupes storages. A block that passes its input through adds
  nothing (it is no unit); one that would join the unit before it (a norm or an activation
  after a single layer) is not kept, nor is a row whose repeats `structure.one_block` reads
  as one block rather than as a row, nor a block that alone stands for several blocks beside
  one running the same MAC ops (the model may read it as one block, a repeat of the other).

A configuration with a block not kept, a metric not composed here (latency, training), an
import-path or zoo model, or anything that fails falls back to the full analysis, so a row is
always what `measure` gives; tests/analyses/test_sweep_cache.py checks rows against it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from costlab.analyses.measurement import select_metrics
from costlab.analyses.memory import (
    LargestTensor,
    Peak,
    ResolutionMax,
    largest_tensor,
    peak_memory,
)
from costlab.analyses.published import Comparison, FigureSources, judge_reported
from costlab.analyses.structure import ModelStructure, one_block, passes_through
from costlab.blocks.build import BlockStep, build_block, check_pixels, input_shape, plan_blocks
from costlab.blocks.context import BuildContext
from costlab.choices import DType, ParamConvention, View, parse_choice
from costlab.count.engine import ModelCost, Totals, count_costs
from costlab.count.params import count_params
from costlab.count.rules import OpClass
from costlab.spec.catalog import load_named_spec
from costlab.spec.schema import Scalar, resolve_params
from costlab.trace.inputs import InputSpec
from costlab.trace.recorder import ModuleCall, TensorMeta, Trace, trace_module
from costlab.units import Shape

__all__ = ["BlockCost", "BlockCache", "CacheStats", "Composed", "compose", "WORKER_CACHE"]

_VIEWS = (View.ALL, View.BLOCKS, View.BOTTLENECKS)
MAX_BLOCKS = 200_000    # kept blocks per process; a few hundred bytes each


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A Table 3 candidate of one block: its position among the block's candidates."""

    index: int
    height: int
    width: int
    channels: int
    elements: int
    tensor: str          # module path inside the block ("" is the block)


@dataclass(frozen=True, slots=True)
class _ViewPart:
    fresh: tuple[_Candidate, ...]   # per resolution, the first with most channels
    alias: _Candidate | None        # the first candidate that views the block's input
    out_seen: bool                  # the output's own storage is among the candidates


@dataclass(frozen=True, slots=True)
class BlockCost:
    """What one block adds to each figure of a sweep row (see the module docstring)."""

    out_shape: Shape
    macs: int
    elementwise: int
    params: Mapping[ParamConvention, int]
    peak_elements: int
    largest_elements: int
    out_is_input: bool            # the output views the block's input storage
    passes_through: bool          # runs no op: adds nothing to the unit before it
    mac_classes: tuple[OpClass, ...]   # what `one_block` reads of a row's repeats
    splits: bool                  # alone, it stands for several blocks
    views: Mapping[View, _ViewPart]


@dataclass
class CacheStats:
    """Lookups that found a block, blocks built and traced, and configurations composed or
    sent to the full analysis."""

    hits: int = 0
    traces: int = 0
    composed: int = 0
    full: int = 0


@dataclass
class BlockCache:
    """Blocks keyed by (builder, arguments, input shape, top-level or repeat), each with the
    `scale` answers it was built from; a process's sweep tasks share one (WORKER_CACHE)."""

    blocks: dict[tuple[Any, ...], list[tuple[tuple[tuple[int, str, int], ...],
                                             BlockCost | None]]] = field(default_factory=dict)
    modules: dict[tuple[Any, ...], list[tuple[tuple[tuple[int, str, int], ...],
                                              nn.Module]]] = field(default_factory=dict)
    stats: CacheStats = field(default_factory=CacheStats)
    size: int = 0
    # A worker's threads share the cache and its modules, which one trace at a time may run.
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def clear(self) -> None:
        self.blocks.clear()
        self.modules.clear()
        self.stats = CacheStats()
        self.size = 0

    def block(self, step: BlockStep, shape: Shape, params: Mapping[str, Scalar],
              file: str) -> BlockCost | None:
        """The cost of `step` on `shape`: found, or built and traced now (None: not kept)."""
        with self.lock:
            return self._block(step, shape, params, file)

    def _block(self, step: BlockStep, shape: Shape, params: Mapping[str, Scalar],
               file: str) -> BlockCost | None:
        key = (step.block.build, step.block.op, step.args, shape, step.repeat is None)
        entries = self.blocks.setdefault(key, [])
        ctx = BuildContext(shape, params)
        for queries, cost in entries:
            if _answers(ctx, queries):
                self.stats.hits += 1
                return cost
        module, asked = self._module(step, shape, params, file)
        self.stats.traces += 1
        cost = _block_cost(step, module, shape, file)
        if asked is not None and self.size < MAX_BLOCKS:
            entries.append((asked, cost))
            self.size += 1
        return cost

    def _module(self, step: BlockStep, shape: Shape, params: Mapping[str, Scalar], file: str
                ) -> tuple[nn.Module, tuple[tuple[int, str, int], ...] | None]:
        """The block's module and the `scale` answers it was built from (None when its
        builder read the parameters directly): built now, or one built before for another
        spatial size by a builder that read only the batch and channels of its input."""
        key = (step.block.build, step.block.op, step.args, shape[:2], step.repeat is None)
        ctx = BuildContext(shape, params)
        for queries, module in self.modules.get(key, []):
            if _answers(ctx, queries):
                return module, queries
        recording = BuildContext(shape, params, record=True)
        with torch.device("meta"):
            module = build_block(step, recording, file)
        if recording.read_params:
            return module, None
        queries = tuple(recording.queries or ())
        if not recording.read_shape and self.size < MAX_BLOCKS:
            self.modules.setdefault(key, []).append((queries, module))
        return module, queries


def _answers(ctx: BuildContext, queries: tuple[tuple[int, str, int], ...]) -> bool:
    """Whether `scale` answers as it did when the block was built: then its builder, a
    deterministic function of what it asked, builds the same block."""
    return all(ctx.scale(c, w) == out for c, w, out in queries)   # type: ignore[arg-type]


WORKER_CACHE = BlockCache()


def _storage_elements(trace: Trace, storage: int) -> int:
    tensors = [*trace.inputs, *(t for e in trace.events for t in e.outputs)]
    return max((t.numel for t in tensors if t.storage == storage
                and t.kind in ("activation", "input")), default=0)


def _block_cost(step: BlockStep, module: nn.Module, shape: Shape, file: str
                ) -> BlockCost | None:
    trace = trace_module(module, [InputSpec(shape)], device="meta")
    if len(trace.inputs) != 1 or len(trace.outputs) != 1:
        return None
    x, y = trace.inputs[0], trace.outputs[0]
    if y.dtype != torch.float32 or y.kind not in ("activation", "input"):
        return None
    check_pixels(step, shape, y.shape, file)
    # The conditions of the module docstring under which the block's figures compose.
    if _storage_elements(trace, x.storage) != x.numel \
            or _storage_elements(trace, y.storage) != y.numel:
        return None
    if y.storage != x.storage and not any(t.storage == x.storage
                                          for e in trace.events for t in e.inputs):
        return None
    if any(e.module in trace.batch_norms and any(t.tid == x.tid for t in e.inputs)
           for e in trace.events):
        return None
    root = next(c for c in trace.calls if c.depth == 0)
    structure = ModelStructure(trace)
    if structure.is_layer_tail(root):
        return None
    cost = count_costs(trace)
    largest = largest_tensor(trace, DType.INT8)   # 1 byte per element: elements
    passes = passes_through(root)
    return BlockCost(
        y.shape, cost.totals.macs, cost.totals.elementwise,
        {c: sum(count_params(trace, c).values()) for c in ParamConvention},
        peak_memory(trace, DType.INT8).bytes, 0 if largest is None else largest.elements,
        y.storage == x.storage, passes, structure.mac_classes(root),
        len(structure.blocks_within(root)) > 1,
        {view: _ViewPart((), None, False) if passes
         else _view_part(structure, view, x, y, root) for view in _VIEWS})


def _view_part(structure: ModelStructure, view: View, x: TensorMeta, y: TensorMeta,
               root: ModuleCall) -> _ViewPart:
    trace = structure.trace
    tensors: list[tuple[TensorMeta, str]] = []
    if view is View.ALL:
        tensors = [(t, e.module) for e in trace.events for t in e.outputs
                   if t.kind == "activation"]
    else:
        for call in structure.blocks_within(root):
            if view is View.BLOCKS or not structure.is_single_layer(call):
                tensors += [(t, call.path) for t in call.outputs]
    best: dict[tuple[int, int], _Candidate] = {}
    alias: _Candidate | None = None
    seen: set[int] = set()
    maps = structure.feature_map_sizes()
    for index, (tensor, where) in enumerate(tensors):
        hw = maps.resolution(tensor.shape)
        if hw is None:
            continue
        found = _Candidate(index, hw[0], hw[1], tensor.shape[1], tensor.numel, where)
        if tensor.storage == x.storage:
            alias = alias or found
            continue
        if tensor.storage in seen:
            continue
        seen.add(tensor.storage)
        if hw not in best or found.channels > best[hw].channels:
            best[hw] = found
    return _ViewPart(tuple(best.values()), alias, y.storage in seen)


@dataclass(frozen=True)
class Composed:
    """A configuration's figures composed from its blocks, in the shapes the metric catalog
    and the published figures read (`analysis.cost.totals`, `memory.peak`, ...)."""

    config: Mapping[str, Scalar]
    values: Mapping[str, int | float]
    published: tuple[Comparison, ...]


class _Figures(FigureSources):
    """FigureSources from composed totals, parameter counts and Table 3 maxima."""

    def __init__(self, cost: ModelCost, params: Mapping[ParamConvention, int],
                 maxima: Mapping[View, list[ResolutionMax]]) -> None:
        self.cost = cost
        self._composed_params, self._composed_maxima = params, maxima

    def maxima(self, view: View) -> list[ResolutionMax]:
        return self._composed_maxima[view]

    def params(self, convention: ParamConvention) -> int:
        return self._composed_params[convention]


@dataclass(frozen=True)
class _Analysis:
    cost: ModelCost


@dataclass(frozen=True)
class _Memory:
    peak: Peak
    largest: LargestTensor | None


@dataclass(frozen=True)
class _Sources:
    analysis: _Analysis
    memory: _Memory

    def extra(self, need: str) -> Any:
        raise KeyError(need)   # metrics that need extra work are never composed


def compose(model: str, settings: Mapping[str, Any], metrics: Sequence[str] | None,
            params: str, dtype: str, cache: BlockCache, *, judged: bool = True
            ) -> Composed | None:
    """The row's figures from cached blocks, or None when they do not compose (then the
    caller runs the full analysis). May raise whatever building raises: the caller then
    runs the full analysis too, which gives the row its canonical error. Without `judged`,
    the published figures are not judged (a caller that wants the metrics alone)."""
    chosen = select_metrics(metrics)
    if not all(m.composes for m in chosen):   # the catalog says which compose
        return None
    if ":" in model and not model.endswith((".yaml", ".yml")):
        return None   # an import path or a zoo name: not a chain of spec blocks
    spec = load_named_spec(model)
    config = resolve_params(spec, settings)
    shape = first = input_shape(spec, config)
    blocks: list[tuple[str, BlockCost]] = []
    rows: dict[str, list[BlockCost]] = {}
    for step in plan_blocks(spec, config):
        cost = cache.block(step, shape, config, spec.file)
        if cost is None or (cost.passes_through and (not blocks or step.repeat is not None)):
            return None   # not kept, or a pass-through (no unit) that may change a row's reading
        blocks.append((step.path, cost))
        if step.repeat is not None:
            rows.setdefault(step.row, []).append(cost)
        shape = cost.out_shape
    if any(one_block([b.mac_classes for b in row]) for row in rows.values()):
        return None       # repeats read as one block: the row is not a row of blocks
    if any(b.splits and any(o is not b and o.mac_classes == b.mac_classes for _, o in blocks)
           for _, b in blocks):
        return None       # a row of layers beside a like block may be read as one block
    convention = parse_choice(ParamConvention, params)
    size = parse_choice(DType, dtype).itemsize
    per_convention = {c: sum(b.params[c] for _, b in blocks) for c in ParamConvention}
    totals = Totals(sum(b.macs for _, b in blocks), per_convention[convention],
                    sum(b.elementwise for _, b in blocks))
    summed = ModelCost((), totals, {}, {}, convention)
    peak_path, peak_block = max(blocks, key=lambda b: b[1].peak_elements)
    largest = max(b.largest_elements for _, b in blocks)
    sources = _Sources(_Analysis(summed), _Memory(
        Peak(peak_block.peak_elements * size, -1, peak_path),
        LargestTensor((), largest, largest * size, "") if largest else None))
    published: tuple[Comparison, ...] = ()
    if judged:
        figures = _Figures(summed, per_convention,
                           {v: _maxima(blocks, v, first) for v in _VIEWS})
        published = tuple(judge_reported(spec, config, figures, first[0],
                                         prefer="blocks view"))
    cache.stats.composed += 1
    return Composed(config, {m.key: m.value(sources) for m in chosen}, published)


def _maxima(blocks: Sequence[tuple[str, BlockCost]], view: View, first: Shape
            ) -> list[ResolutionMax]:
    """`largest_per_resolution` of the whole model at 16 bits (as Table 3 prints), from the
    blocks' candidates in order."""
    size = DType.FP16.itemsize
    best: dict[tuple[int, int], ResolutionMax] = {}
    seen = view is View.BLOCKS     # the blocks view counts the model input first
    if seen:
        best[(first[2], first[3])] = ResolutionMax(first[2], first[3], first[1],
                                                   first[0] * first[1] * first[2] * first[3],
                                                   0, "model input")
    for path, block in blocks:
        part = block.views[view]
        entries = list(part.fresh)
        if part.alias is not None and not seen:
            entries.append(part.alias)
        firsts: dict[tuple[int, int], _Candidate] = {}
        for entry in sorted(entries, key=lambda e: e.index):
            hw = (entry.height, entry.width)
            if hw not in firsts or entry.channels > firsts[hw].channels:
                firsts[hw] = entry
        for hw, entry in firsts.items():
            if hw not in best or entry.channels > best[hw].channels:
                where = f"{path}.{entry.tensor}" if entry.tensor else path
                best[hw] = ResolutionMax(hw[0], hw[1], entry.channels, entry.elements, 0, where)
        seen = (seen or part.alias is not None) if block.out_is_input else part.out_seen
    rows = [ResolutionMax(r.height, r.width, r.channels, r.elements, r.elements * size,
                          r.tensor) for r in best.values()]
    return sorted(rows, key=lambda r: (-r.height * r.width, -r.height))
