"""Every catalog metric of one model, read from one analysis: what compare shows, snapshot
locks and check recomputes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from costlab.analyses.analysis import Analysis, analyze_target
from costlab.analyses.memory import MemoryAnalysis, analyze_memory
from costlab.analyses.metrics import CATALOG, Metric, default_metrics, get_metric
from costlab.analyses.training import TrainingAnalysis, analyze_training
from costlab.choices import DType, ParamConvention, parse_choice
from costlab.errors import OptionError
from costlab.models.resolve import Target, resolve_model
from costlab.spec.schema import Scalar
from costlab.spec.variants import Variant
from costlab.trace.inputs import Input
from costlab.units import Shape

__all__ = ["EXTRAS", "Sources", "Stage", "Measurement", "select_metrics", "measure_target",
           "measure"]

# need -> the work a metric that `needs` it asks for, done once per model and only when asked.
EXTRAS: dict[str, Callable[[Sources], Any]] = {}


def _training(sources: Sources) -> TrainingAnalysis:
    """The analysis's training step, or one traced now (every parameter trainable, adam)."""
    done = sources.analysis.training
    return done if done is not None else analyze_training(sources.target.module,
                                                          sources.target.inputs)


@dataclass
class Sources:
    """What a metric is read from: the resolved model, its analysis, its memory at the dtype
    asked, and the extra work (training trace, latency run) some metrics need."""

    target: Target
    analysis: Analysis
    memory: MemoryAnalysis
    _extras: dict[str, Any] = field(default_factory=dict)

    def extra(self, need: str) -> Any:
        if need not in self._extras:
            if need not in EXTRAS:
                raise OptionError(f"no computation registered for {need!r}")
            self._extras[need] = EXTRAS[need](self)
        return self._extras[need]


EXTRAS["training"] = _training


@dataclass(frozen=True, slots=True)
class Stage:
    """A depth-1 block (a row of a spec's layer table) and what it costs."""

    path: str
    kind: str
    macs: int
    params: int


@dataclass(frozen=True, slots=True)
class Measurement:
    """The metrics of one model, the modules they come from, and its stages."""

    name: str
    model: str                       # the MODEL argument, and the settings it was built with
    settings: Mapping[str, Any]
    config: Mapping[str, Scalar]     # every parameter used
    input_shapes: tuple[Shape, ...]
    values: Mapping[str, int | float]   # metric key -> value, in catalog order
    where: Mapping[str, str]         # metric key -> module, for the memory metrics
    stages: tuple[Stage, ...]
    unsupported: Mapping[str, int]   # ops without a cost rule: the counts leave them out


def select_metrics(keys: Sequence[str] | None = None) -> tuple[Metric, ...]:
    """The metrics named, in catalog order, or the catalog's defaults; OptionError for an
    unknown key."""
    if keys is None:
        return default_metrics()
    try:
        named = {get_metric(k).key for k in keys}
    except KeyError as exc:
        raise OptionError(str(exc.args[0])) from None
    return tuple(m for m in CATALOG.values() if m.key in named)


def measure_target(target: Target, variant: Variant | None = None, *,
                   params: ParamConvention | str = ParamConvention.TORCH,
                   dtype: DType | str = DType.FP32,
                   metrics: Sequence[Metric] | None = None) -> Measurement:
    """Analyzes a resolved model once and reads each metric from it; `variant` is what the
    target was built from, when it came from a MODEL argument."""
    dtype = parse_choice(DType, dtype)
    chosen = tuple(metrics) if metrics is not None else default_metrics()
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
        {m.key: m.value(sources) for m in chosen},
        {m.key: m.where(sources) for m in chosen if m.where is not None},
        stages, analysis.unsupported)


def measure(model: Variant | nn.Module, *, params: ParamConvention | str = ParamConvention.TORCH,
            dtype: DType | str = DType.FP32, batch: int = 1,
            inputs: Sequence[Input] | None = None,
            settings: Mapping[str, Any] | None = None,
            metrics: Sequence[Metric] | None = None) -> Measurement:
    """Builds (or imports) a variant, or takes any nn.Module, and measures it."""
    if isinstance(model, Variant):
        target = resolve_model(model.model, settings=model.settings, batch=batch, inputs=inputs)
        return measure_target(target, model, params=params, dtype=dtype, metrics=metrics)
    target = resolve_model(model, settings=settings, batch=batch, inputs=inputs)
    return measure_target(target, params=params, dtype=dtype, metrics=metrics)
