"""Models side by side: one list of metric definitions, a measurement per model, ratios
against the first model (the baseline), and the stages of one family lined up."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from torch import nn

from costlab.analyses.analysis import analyze_target
from costlab.analyses.memory import MemoryAnalysis, analyze_memory
from costlab.api import Analysis
from costlab.choices import METRIC_KEYS, SORT_KEYS, DType, ParamConvention, parse_choice
from costlab.errors import OptionError
from costlab.models.resolve import Target, resolve_model
from costlab.spec.schema import Scalar
from costlab.spec.variants import Variant
from costlab.trace.inputs import Input

__all__ = ["Unit", "Sources", "Metric", "METRICS", "Stage", "Measurement", "measure",
           "measure_target", "CostComparison", "compare", "SORT_KEYS", "line_up_stages"]

Shape = tuple[int, ...]


class Unit(StrEnum):
    """How a metric's values read: a count (humanized 300.77M) or bytes (9.6 MB)."""

    COUNT = "count"
    BYTES = "bytes"


@dataclass(frozen=True, slots=True)
class Sources:
    """What a metric is read from: the resolved model (a measured latency would run it), its
    analysis, and its memory at the dtype asked."""

    target: Target
    analysis: Analysis
    memory: MemoryAnalysis


def _largest(src: Sources) -> tuple[int, str]:
    big = src.memory.largest
    return (0, "") if big is None else (big.bytes, big.tensor)


@dataclass(frozen=True, slots=True)
class Metric:
    """One column of a comparison, a lock-file metric and a budget key (`max_<key>`).

    A new column (measured latency, say) is one more entry in METRICS.
    """

    key: str
    label: str
    unit: Unit
    value: Callable[[Sources], int]
    means: str
    stage_key: Literal["macs", "params"] | None = None  # the per-stage figure a change shows in
    where: Callable[[Sources], str] | None = None  # the module a memory figure comes from
    derived: bool = False  # a fixed multiple of another metric, so its ratio repeats that one's


METRICS: tuple[Metric, ...] = (
    Metric("macs", "MACs", Unit.COUNT, lambda s: s.analysis.cost.totals.macs,
           "multiply-accumulates of conv, linear and matmul ops", stage_key="macs"),
    Metric("flops", "FLOPs", Unit.COUNT, lambda s: s.analysis.cost.totals.flops, "2 x MACs",
           stage_key="macs", derived=True),
    Metric("params", "params", Unit.COUNT, lambda s: s.analysis.cost.totals.params,
           "parameters under the convention named", stage_key="params"),
    Metric("peak_bytes", "peak mem", Unit.BYTES, lambda s: s.memory.peak.bytes,
           "peak live activations of one forward pass, each freed after its last use",
           where=lambda s: s.memory.peak.module),
    Metric("largest_tensor_bytes", "max tensor", Unit.BYTES, lambda s: _largest(s)[0],
           "the largest activation any op produces", where=lambda s: _largest(s)[1]),
)

assert tuple(m.key for m in METRICS) == METRIC_KEYS, "choices.METRIC_KEYS must list METRICS"


@dataclass(frozen=True, slots=True)
class Stage:
    """A depth-1 block (a row of a spec's layer table) and what it costs."""

    path: str
    kind: str
    macs: int
    params: int


@dataclass(frozen=True, slots=True)
class Measurement:
    """Every metric of one model, the modules they come from, and its stages."""

    name: str
    model: str                       # the MODEL argument, and the settings it was built with
    settings: Mapping[str, Any]
    config: Mapping[str, Scalar]     # every parameter used
    input_shapes: tuple[Shape, ...]
    values: Mapping[str, int]        # metric key -> value
    where: Mapping[str, str]         # metric key -> module, for the memory metrics
    stages: tuple[Stage, ...]
    unsupported: Mapping[str, int]   # ops without a cost rule: the counts leave them out


def measure_target(target: Target, variant: Variant | None = None, *,
                   params: ParamConvention | str = ParamConvention.TORCH,
                   dtype: DType | str = DType.FP32) -> Measurement:
    """Analyzes a resolved model once and reads every metric of METRICS from the analysis;
    `variant` is what the target was built from, when it came from a MODEL argument."""
    dtype = parse_choice(DType, dtype)
    analysis = analyze_target(target, params=params, depth=1)
    mem = analysis.memory   # the report's summary, at fp32; peak and largest need no view
    if mem is None or mem.dtype is not dtype:
        mem = analyze_memory(analysis.trace, analysis.full_cost, dtype=dtype)
    stages = tuple(Stage(row.path or "(root)", row.kind, row.macs, row.params)
                   for row in analysis.cost.layers)
    variant = variant or Variant(analysis.name)
    sources = Sources(target, analysis, mem)
    return Measurement(
        variant.name, variant.model, dict(variant.settings), dict(analysis.config),
        analysis.input_shapes,
        {m.key: m.value(sources) for m in METRICS},
        {m.key: m.where(sources) for m in METRICS if m.where is not None},
        stages, analysis.unsupported)


def measure(model: Variant | nn.Module, *, params: ParamConvention | str = ParamConvention.TORCH,
            dtype: DType | str = DType.FP32, batch: int = 1,
            inputs: Sequence[Input] | None = None,
            settings: Mapping[str, Any] | None = None) -> Measurement:
    """Builds (or imports) a variant, or takes any nn.Module, and measures it."""
    if isinstance(model, Variant):
        target = resolve_model(model.model, settings=model.settings, batch=batch, inputs=inputs)
        return measure_target(target, model, params=params, dtype=dtype)
    target = resolve_model(model, settings=settings, batch=batch, inputs=inputs)
    return measure_target(target, params=params, dtype=dtype)


@dataclass(frozen=True)
class CostComparison:
    """Measurements in display order; ratios are against `baseline`, the first model named."""

    rows: tuple[Measurement, ...]
    baseline: Measurement
    params: ParamConvention
    dtype: DType
    metrics: tuple[Metric, ...] = METRICS

    def ratio(self, row: Measurement, key: str) -> float | None:
        """row / baseline for one metric; None when the baseline's value is 0."""
        base = self.baseline.values[key]
        return row.values[key] / base if base else None

    def difference(self, row: Measurement, key: str) -> int:
        return row.values[key] - self.baseline.values[key]


def compare(variants: Sequence[Variant], *,
            params: ParamConvention | str = ParamConvention.TORCH,
            dtype: DType | str = DType.FP32, batch: int = 1,
            inputs: Sequence[Input] | None = None, sort: str | None = None) -> CostComparison:
    """Measures every variant; `sort` orders the rows by a metric (ascending) or by name."""
    if not variants:
        raise OptionError("name at least one model to compare")
    if sort is not None and sort not in SORT_KEYS:
        raise OptionError(f"cannot sort by {sort!r}; one of {', '.join(SORT_KEYS)}")
    convention, dtype = parse_choice(ParamConvention, params), parse_choice(DType, dtype)
    rows = [measure(v, params=convention, dtype=dtype, batch=batch, inputs=inputs)
            for v in variants]
    ordered = rows if sort is None else sorted(
        rows, key=lambda r: r.name if sort == "name" else r.values[sort])
    return CostComparison(tuple(ordered), rows[0], convention, dtype)


def line_up_stages(rows: Sequence[Measurement]) -> list[tuple[str, tuple[Stage, ...]]]:
    """(stage path, that stage in every model), in execution order.

    Raises OptionError naming the first stage that differs: only variants of one family (the
    same layer table at other widths or resolutions) line up.
    """
    first = rows[0]
    for other in rows[1:]:
        paths, theirs = [s.path for s in first.stages], [s.path for s in other.stages]
        if paths == theirs:
            continue
        index = next((i for i, (a, b) in enumerate(zip(paths, theirs, strict=False)) if a != b),
                     min(len(paths), len(theirs)))
        mine = paths[index] if index < len(paths) else "nothing (it ends)"
        yours = theirs[index] if index < len(theirs) else "nothing (it ends)"
        raise OptionError(
            f"cannot line up the stages of {first.name} and {other.name}: stage {index + 1} is "
            f"{mine} in one and {yours} in the other; --per-stage compares variants of one "
            "family")
    return [(stage.path, tuple(row.stages[i] for row in rows))
            for i, stage in enumerate(first.stages)]
