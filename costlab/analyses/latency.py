"""Measured latency of real models (random weights), beside the MACs counted on meta and the
prediction of a measured roofline; per leaf layer with `per_layer` (layer_latency); across
models, the Spearman rank correlation of MACs and of the roofline with the medians."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from costlab.analyses.analysis import Analysis, analyze_target
from costlab.analyses.layer_latency import (
    LayerLatency,
    LayerWork,
    PerLayer,
    Spearman,
    layer_work,
    spearman,
    time_layers,
)
from costlab.analyses.machine import (
    Machine,
    available_bytes,
    check_runnable,
    describe_machine,
    parse_device,
)
from costlab.analyses.measured_peak import materialize
from costlab.analyses.measurement import EXTRAS, Sources
from costlab.analyses.memory import peak_memory
from costlab.analyses.published import variant_matches
from costlab.analyses.roofline import Roofline, load_roofline, time_call
from costlab.choices import Device, DType, parse_choice
from costlab.errors import OptionError
from costlab.models.resolve import Target, resolve_model
from costlab.spec.sources import cite
from costlab.spec.variants import Variant
from costlab.trace.inputs import Input
from costlab.units import fmt_bytes

__all__ = ["ModelLatency", "PublishedRatio", "LatencyReport", "Timing", "required_bytes",
           "time_target", "published_latency", "measure_latency", "latency_dict",
           "TIMING_METHOD"]

TIMING_METHOD = "torch.utils.benchmark.Timer.blocked_autorange, after one warm-up call; " \
                "eval and inference mode, random weights"


@dataclass(frozen=True, slots=True)
class ModelLatency:
    """One model's measured latency: median and interquartile range of `runs` forward passes,
    timed in blocks of `runs_per_block` (blocked_autorange makes a block long enough for the
    timer's own overhead to vanish: more than one run only for models of a few ms, whose
    spread is then that of block means)."""

    name: str
    batch: int
    macs: int
    median_ms: float
    iqr_ms: float
    runs: int
    predicted_ms: float   # the roofline prediction summed over the leaf layers
    per_layer: PerLayer | None = None
    runs_per_block: int = 1

    @property
    def throughput(self) -> float:
        """Samples per second."""
        return self.batch * 1000.0 / self.median_ms

    @property
    def gmacs_per_s(self) -> float:
        return self.macs / self.median_ms / 1e6

    @property
    def disturbance(self) -> float | None:
        """The per-layer hooks' slow-down of the whole model: hooked / plain median."""
        return None if self.per_layer is None else self.per_layer.hooked_median_ms / self.median_ms


@dataclass(frozen=True, slots=True)
class PublishedRatio:
    """A published latency ratio of two models beside the ratio measured here; the published
    figures come from another device, named in `device`."""

    model: str
    baseline: str
    published_ms: float
    baseline_published_ms: float
    device: str
    source: str
    measured: float

    @property
    def published(self) -> float:
        return self.published_ms / self.baseline_published_ms


@dataclass(frozen=True, slots=True)
class LatencyReport:
    """Everything `costlab latency` measured."""

    models: tuple[ModelLatency, ...]
    machine: Machine
    roofline: Roofline
    device: Device
    dtype: DType
    min_time_s: float
    spearman: Spearman | None          # across models, when several were measured
    published: tuple[PublishedRatio, ...]


def required_bytes(analysis: Analysis, dtype: DType | str) -> int:
    """Memory the real model needs at `dtype`: parameters and floating buffers, and the peak
    of the activations live at once in a forward pass."""
    size = parse_choice(DType, dtype).itemsize
    trace = analysis.trace
    weights = sum(m.numel for m in [*trace.params.values(), *trace.buffers.values()]
                  if m.dtype.is_floating_point)
    return weights * size + peak_memory(trace, dtype).bytes


def _check_fits(name: str, need: int, device: Device) -> None:
    have = available_bytes(device)
    if have is not None and need > have:
        raise OptionError(f"{name} would need {fmt_bytes(need)}; this machine has "
                          f"{fmt_bytes(have)} available" +
                          (" on the GPU" if device is Device.CUDA else ""))


def _forward(target: Target, device: Device, kind: torch.dtype
             ) -> tuple[nn.Module, Callable[[], None]]:
    """The real model (random weights, eval mode, at `kind`) and one inference-mode forward
    pass of it, already run once: first-call work (kernel selection, allocations) stays out
    of every timing."""
    module = materialize(target.module, str(device)).to(dtype=kind).eval()
    args = [spec.tensor(str(device)) for spec in target.inputs]
    args = [a.to(kind) if a.is_floating_point() else a for a in args]

    def forward() -> None:
        with torch.inference_mode():
            module(*args)

    forward()
    return module, forward


@dataclass(frozen=True, slots=True)
class Timing:
    """A whole model's median and interquartile range over `runs` forward passes, timed in
    blocks of `runs_per_block`."""

    median_ms: float
    iqr_ms: float
    runs: int
    runs_per_block: int


def _timing(measurement: Any) -> Timing:
    return Timing(measurement.median * 1e3, measurement.iqr * 1e3,
                  len(measurement.raw_times) * measurement.number_per_run,
                  measurement.number_per_run)


def _time_model(name: str, analysis: Analysis, target: Target, work: Sequence[LayerWork],
                roofline: Roofline, *, device: Device, kind: torch.dtype, threads: int,
                min_time_s: float, per_layer: bool) -> ModelLatency:
    module, forward = _forward(target, device, kind)
    plain = _timing(time_call(forward, threads, min_time_s))
    predicted_ms = sum(roofline.predict_seconds(w.macs, w.bytes) for w in work) * 1e3
    timed = None
    if per_layer:
        timed = time_layers(name, module, forward, work, roofline, device=device,
                            threads=threads, min_time_s=min_time_s)
    return ModelLatency(name, int(target.inputs[0].shape[0]) if target.inputs[0].shape else 1,
                        analysis.cost.totals.macs, plain.median_ms, plain.iqr_ms, plain.runs,
                        predicted_ms, timed, plain.runs_per_block)


def _checked(device: Device | str, dtype: DType | str, threads: int, min_time_s: float
             ) -> tuple[Device, DType, torch.dtype]:
    """The options, checked before anything is built: device, dtype (run on the device once),
    threads and the time per model."""
    if not min_time_s > 0:
        raise OptionError(f"--min-time must be more than 0 seconds, got {min_time_s:g}")
    if threads < 1:
        raise OptionError(f"--threads must be at least 1, got {threads}")
    device, dtype = parse_device(device), parse_choice(DType, dtype)
    return device, dtype, check_runnable(device, dtype)


def time_target(target: Target, analysis: Analysis, *, device: Device | str = Device.CPU,
                dtype: DType | str = DType.FP32, threads: int = 1,
                min_time_s: float = 1.0) -> Timing:
    """The whole model's timing alone, without roofline or layers (compare's latency
    column): the same checks, refusal and harness as measure_latency."""
    device, dtype, kind = _checked(device, dtype, threads, min_time_s)
    _check_fits(target.name, required_bytes(analysis, dtype), device)
    _, forward = _forward(target, device, kind)
    return _timing(time_call(forward, threads, min_time_s))


def _latency_extra(sources: Sources) -> Timing:
    """The catalog's `latency` work (metric latency_ms): the model timed at the defaults."""
    return time_target(sources.target, sources.analysis)


EXTRAS["latency"] = _latency_extra


def published_latency(target: Target) -> tuple[float, str, str] | None:
    """The latency a spec publishes for this exact configuration: ms, device note, source."""
    if target.spec is None:
        return None
    for entry in target.spec.reported:
        if entry.metric == "latency_ms" and variant_matches(target.spec, entry, target.config):
            return entry.value, entry.note, cite(entry.source, entry.table, with_id=True)
    return None


def _published_ratios(names: Sequence[str], targets: Sequence[Target],
                      models: Sequence[ModelLatency]) -> tuple[PublishedRatio, ...]:
    base = published_latency(targets[0])
    if base is None:
        return ()
    ratios = []
    for name, target, model in zip(names[1:], targets[1:], models[1:], strict=True):
        mine = published_latency(target)
        if mine is not None and mine[2] == base[2]:
            ratios.append(PublishedRatio(name, names[0], mine[0], base[0], mine[1] or base[1],
                                         mine[2], model.median_ms / models[0].median_ms))
    return tuple(ratios)


def measure_latency(variants: Sequence[Variant], *, device: Device | str = Device.CPU,
                    dtype: DType | str = DType.FP32, batch: int = 1, threads: int = 1,
                    min_time_s: float = 1.0, per_layer: bool = False,
                    inputs: Sequence[Input] | None = None, recalibrate: bool = False,
                    progress: Callable[[str], None] | None = None) -> LatencyReport:
    """Builds every variant with random weights on `device` at `dtype` and times it in eval
    and inference mode; with `per_layer`, every leaf layer too.

    Every model is traced on meta first and refused, before anything is allocated, when its
    weights and peak activations do not fit in the memory available.
    """
    if not variants:
        raise OptionError("name at least one model to time")
    device, dtype, kind = _checked(device, dtype, threads, min_time_s)

    def say(message: str) -> None:
        if progress is not None:
            progress(message)

    prepared = []
    for variant in variants:
        target = resolve_model(variant.model, settings=variant.settings, batch=batch,
                               inputs=inputs)
        analysis = analyze_target(target)
        _check_fits(variant.name, required_bytes(analysis, dtype), device)
        prepared.append((variant.name, target, analysis, layer_work(analysis, dtype)))
    machine = describe_machine(device, threads)
    say("calibrating the roofline (cached afterwards)")
    roofline = load_roofline(machine, device, dtype, recalibrate=recalibrate,
                             min_time_s=min_time_s)
    models = []
    for index, (name, target, analysis, work) in enumerate(prepared, 1):
        say(f"timing {name} ({index} of {len(prepared)})")
        models.append(_time_model(name, analysis, target, work, roofline, device=device,
                                  kind=kind, threads=threads, min_time_s=min_time_s,
                                  per_layer=per_layer))
    across = None
    if len(models) > 1:
        medians = [m.median_ms for m in models]
        across = Spearman(spearman([m.macs for m in models], medians),
                          spearman([m.predicted_ms for m in models], medians),
                          "models", len(models))
    names = [p[0] for p in prepared]
    return LatencyReport(tuple(models), machine, roofline, device, dtype, min_time_s, across,
                         _published_ratios(names, [p[1] for p in prepared], models))


def _spearman_dict(rho: Spearman) -> dict[str, Any]:
    return {"macs": rho.macs, "roofline": rho.roofline, "across": rho.across, "n": rho.n}


def _layer_dict(layer: LayerLatency) -> dict[str, Any]:
    w = layer.work
    return {"model": layer.model, "layer": w.layer, "type": w.kind, "time_ms": layer.time_ms,
            "share": layer.share, "macs": w.macs, "bytes": w.bytes,
            "gmacs_per_s": layer.gmacs_per_s, "intensity": w.intensity,
            "predicted_ms": layer.predicted_ms, "bound": str(layer.bound)}


def _model_dict(model: ModelLatency) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": model.name, "batch": model.batch, "macs": model.macs,
        "median_ms": model.median_ms, "iqr_ms": model.iqr_ms, "runs": model.runs,
        "runs_per_block": model.runs_per_block,
        "throughput": model.throughput, "gmacs_per_s": model.gmacs_per_s,
        "predicted_ms": model.predicted_ms}
    if model.per_layer is not None:
        data["per_layer"] = {"method": model.per_layer.method,
                             "hooked_median_ms": model.per_layer.hooked_median_ms,
                             "disturbance": model.disturbance,
                             "layer_sum_ms": model.per_layer.layer_sum_ms}
        data["spearman"] = _spearman_dict(model.per_layer.spearman)
    return data


def latency_dict(report: LatencyReport) -> dict[str, Any]:
    """Plain JSON types, under the field names scripts read (issue 11): models[], machine,
    roofline, layers[] (with per-layer timing), spearman (across a single model's layers, or
    across the models when several were timed), and published ratios beside measured ones."""
    one = report.models[0] if len(report.models) == 1 else None
    rho = report.spearman or (one.per_layer.spearman if one and one.per_layer else
                              Spearman(None, None, "models", len(report.models)))
    roof = report.roofline
    return {
        "machine": asdict(report.machine),
        "device": str(report.device), "dtype": str(report.dtype),
        "timing": {"method": TIMING_METHOD, "min_time_s": report.min_time_s,
                   "threads": report.machine.threads},
        "roofline": {"peak_gmacs_per_s": roof.peak_gmacs_per_s,
                     "bandwidth_gb_per_s": roof.bandwidth_gb_per_s,
                     "ridge_macs_per_byte": roof.ridge_macs_per_byte, "method": roof.method,
                     "cached": roof.cached},
        "models": [_model_dict(m) for m in report.models],
        "layers": [_layer_dict(layer) for m in report.models if m.per_layer
                   for layer in m.per_layer.layers],
        "spearman": _spearman_dict(rho),
        # ratios beside ratios, on another device: not published-vs-computed records
        "published_ratios": [{"model": p.model, "baseline": p.baseline,
                              "published_ms": p.published_ms,
                              "baseline_published_ms": p.baseline_published_ms,
                              "published_ratio": p.published, "measured_ratio": p.measured,
                              "published_device": p.device, "source": p.source}
                             for p in report.published],
    }
