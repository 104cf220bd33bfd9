"""Per-layer latency: what each leaf layer does (MACs, bytes moved at the dtype, from the meta
trace), its time measured in its real context by module hooks, the roofline's prediction and
bound, and the Spearman rank correlation of MACs and of the roofline with the times."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from costlab.analyses.analysis import Analysis
from costlab.analyses.roofline import Bound, Roofline, time_call
from costlab.choices import Device, DType, parse_choice
from costlab.trace.recorder import Trace

__all__ = ["PER_LAYER_METHOD", "LayerWork", "LayerLatency", "Spearman", "PerLayer", "spearman",
           "layer_work", "hook_layers", "time_layers"]

PER_LAYER_METHOD = "module hooks: time.perf_counter around every leaf module's forward, " \
                   "synchronized on CUDA"


@dataclass(frozen=True, slots=True)
class LayerWork:
    """What one leaf layer does, from the meta trace: MACs and bytes moved at the dtype."""

    layer: str
    kind: str
    macs: int
    bytes: int   # inputs + outputs + weights (parameters and floating buffers), every call

    @property
    def intensity(self) -> float:
        """MACs per byte moved."""
        return self.macs / self.bytes if self.bytes else 0.0


@dataclass(frozen=True, slots=True)
class LayerLatency:
    """One leaf layer's measured time (median over runs) beside its work and the roofline."""

    model: str
    work: LayerWork
    time_ms: float
    share: float          # of the whole model's median in the same (hooked) runs
    predicted_ms: float
    bound: Bound

    @property
    def gmacs_per_s(self) -> float:
        return self.work.macs / self.time_ms / 1e6 if self.time_ms > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Spearman:
    """Rank correlation of MACs, and of the roofline prediction, with measured time across
    `n` layers or models; None where it is undefined (fewer than 3 points, or a constant)."""

    macs: float | None
    roofline: float | None
    across: str            # "layers" or "models"
    n: int


@dataclass(frozen=True, slots=True)
class PerLayer:
    """Every leaf layer of one model, how they were timed and what the timing disturbs."""

    method: str
    hooked_median_ms: float   # the whole model's median with the hooks in place
    layers: tuple[LayerLatency, ...]
    spearman: Spearman

    @property
    def layer_sum_ms(self) -> float:
        return sum(layer.time_ms for layer in self.layers)


def spearman(predicted: Sequence[float], measured: Sequence[float]) -> float | None:
    """scipy's Spearman rho; None for fewer than 3 points or a constant sequence."""
    if len(predicted) < 3 or len(set(predicted)) < 2 or len(set(measured)) < 2:
        return None
    from scipy import stats  # on first use: scipy takes a while to import
    rho = float(stats.spearmanr(predicted, measured).statistic)
    return None if math.isnan(rho) else rho


def _leaves(trace: Trace) -> list[str]:
    """Paths of the modules without children that ran, in the order they first ran."""
    parents = {p.rsplit(".", 1)[0] if "." in p else "" for p in trace.module_types if p}
    seen: dict[str, None] = {}
    for call in sorted(trace.calls, key=lambda c: c.first_event):
        if call.path and call.path not in parents:
            seen.setdefault(call.path, None)
    return list(seen)


def layer_work(analysis: Analysis, dtype: DType | str) -> list[LayerWork]:
    """MACs and bytes moved of every leaf layer at `dtype` (bytes counted per element of the
    dtype; every input and output of every call, a view as if it were copied)."""
    size = parse_choice(DType, dtype).itemsize
    trace = analysis.trace
    macs = {row.path: row.macs for row in analysis.full_cost.layers}
    weights: dict[str, int] = {}
    for name, meta in [*trace.params.items(), *trace.buffers.items()]:
        if meta.dtype.is_floating_point:
            owner = name.rsplit(".", 1)[0] if "." in name else ""
            weights[owner] = weights.get(owner, 0) + meta.numel
    moved: dict[str, int] = {}
    for call in trace.calls:
        moved[call.path] = moved.get(call.path, 0) + \
            sum(t.numel for t in (*call.inputs, *call.outputs))
    return [LayerWork(path, trace.module_types.get(path, ""), macs.get(path, 0),
                      (moved.get(path, 0) + weights.get(path, 0)) * size)
            for path in _leaves(trace)]


def _no_sync() -> None:
    """CPU ops run synchronously: nothing to wait for."""


def hook_layers(module: nn.Module, paths: Sequence[str], device: Device
                 ) -> tuple[list[dict[str, float]], Callable[[], None]]:
    """Hooks that time every leaf in `paths`: one dict (path -> seconds) per forward pass of
    the root; returns the dicts and a function removing the hooks."""
    runs: list[dict[str, float]] = []
    started: dict[str, float] = {}
    sync: Callable[[], None] = torch.cuda.synchronize if device is Device.CUDA else _no_sync
    handles = [module.register_forward_pre_hook(lambda _m, _a: runs.append({}))]
    modules = dict(module.named_modules())
    for path in paths:
        def before(_m: nn.Module, _a: object, path: str = path) -> None:
            sync()
            started[path] = time.perf_counter()

        def after(_m: nn.Module, _a: object, _o: object, path: str = path) -> None:
            sync()
            runs[-1][path] = runs[-1].get(path, 0.0) + time.perf_counter() - started[path]
        handles += [modules[path].register_forward_pre_hook(before),
                    modules[path].register_forward_hook(after)]

    def remove() -> None:
        for handle in handles:
            handle.remove()
    return runs, remove


def time_layers(name: str, module: nn.Module, forward: Callable[[], None],
                work: Sequence[LayerWork], roofline: Roofline, *, device: Device, threads: int,
                min_time_s: float) -> PerLayer:
    """Times `forward` with every leaf of `work` hooked: the median of each layer over the
    runs, its share of the hooked model's median, and the roofline beside it."""
    runs, remove = hook_layers(module, [w.layer for w in work], device)
    try:
        forward()
        runs.clear()
        hooked_ms = time_call(forward, threads, min_time_s).median * 1e3
    finally:
        remove()
    layers = []
    for w in work:
        samples = [run.get(w.layer, 0.0) for run in runs]
        time_ms = statistics.median(samples) * 1e3 if samples else 0.0
        layers.append(LayerLatency(   # share of the hooked runs the times come from
            name, w, time_ms, time_ms / hooked_ms,
            roofline.predict_seconds(w.macs, w.bytes) * 1e3, roofline.bound(w.macs, w.bytes)))
    times = [layer.time_ms for layer in layers]
    rho = Spearman(spearman([w.macs for w in work], times),
                   spearman([layer.predicted_ms for layer in layers], times),
                   "layers", len(layers))
    return PerLayer(PER_LAYER_METHOD, hooked_ms, tuple(layers), rho)
