"""Measured peak memory of the real model (random weights), as a cross-check of predictions.

On CUDA: torch.cuda.max_memory_allocated. On CPU: the PyTorch profiler's memory records
(bytes each op allocates, and each free), summed in time order; the peak of that running sum
is what the forward (or forward and backward) pass itself allocated beyond what existed before.
"""

from __future__ import annotations

import contextlib
import copy
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile

from costlab.errors import TraceError, describe, first_line
from costlab.trace.inputs import InputSpec, as_input, call_args
from costlab.units import Shape

__all__ = ["MeasuredPeak", "materialize", "measure_peak"]


@dataclass(frozen=True, slots=True)
class MeasuredPeak:
    """A measured peak in bytes, how it was measured, or why nothing could be measured."""

    bytes: int | None
    method: str


def materialize(model: nn.Module, device: str = "cpu", seed: int = 0) -> nn.Module:
    """A real copy of a (possibly meta) model: random weights, unit batch-norm statistics."""
    real = copy.deepcopy(model).to_empty(device=device)
    generator = torch.Generator(device=device).manual_seed(seed)
    with torch.no_grad():
        for p in real.parameters():
            p.normal_(0.0, 0.02, generator=generator)
        for name, b in real.named_buffers():
            if b.is_floating_point():
                b.fill_(1.0 if name.endswith("running_var") else 0.0)
    return real


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """The profiler's C++ side logs start and stop lines to fd 2; keep the output clean."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _profiled_peak(run: Callable[[], object]) -> int:
    with _quiet_stderr(), profile(activities=[ProfilerActivity.CPU],
                                  profile_memory=True) as prof:
        run()
    deltas = []
    for event in prof.events():
        if event.name == "[memory]":
            deltas.append((event.time_range.start, event.cpu_memory_usage))
        elif event.self_cpu_memory_usage:
            deltas.append((event.time_range.start, event.self_cpu_memory_usage))
    live = peak = 0
    for _, delta in sorted(deltas, key=lambda d: d[0]):
        live += delta
        peak = max(peak, live)
    return peak


def measure_peak(model: nn.Module, inputs: Sequence[InputSpec | Shape], *,
                 training: bool = False) -> MeasuredPeak:
    """Peak bytes allocated by one forward pass (with `training`: forward, loss, backward)."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    # The global RNG is the user's: random inputs here must not change what runs after.
    with torch.random.fork_rng(devices=[torch.cuda.current_device()] if device == "cuda"
                               else []):
        return _measure_peak(model, inputs, training, device)


def _measure_peak(model: nn.Module, inputs: Sequence[InputSpec | Shape], training: bool,
                  device: str) -> MeasuredPeak:
    try:
        real = materialize(model, device).train(training)
    except (RuntimeError, NotImplementedError, TypeError, copy.Error) as exc:
        # a module holding a lock or a file cannot be deep-copied: nothing to measure
        return MeasuredPeak(None, f"not measured: the model cannot be materialized "
                                  f"({first_line(exc)})")
    args, kwargs = call_args([as_input(i) for i in inputs], device)

    def run() -> None:
        if training:
            out = real(*args, **kwargs)
            out.float().sum().backward()
            real.zero_grad(set_to_none=True)
        else:
            with torch.no_grad():
                real(*args, **kwargs)

    try:
        run()  # warm-up: lazy initialization stays out of the measurement
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - user code on real tensors
        raise TraceError(f"the real model failed while being measured: {describe(exc)}"
                         ) from None
    if device == "cuda":
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        run()
        torch.cuda.synchronize()
        return MeasuredPeak(torch.cuda.max_memory_allocated() - base,
                        "torch.cuda.max_memory_allocated")
    return MeasuredPeak(_profiled_peak(run), "torch.profiler memory records (CPU)")
