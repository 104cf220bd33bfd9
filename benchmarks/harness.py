"""Measurement helpers shared by the benchmark scripts: wall time, peak RSS, the machine.

Time is `time.perf_counter` around whole calls: one warm-up call, then the median of the
repeats. (`torch.utils.benchmark.Timer` would pin torch to one thread, which slows the tools
that run the real model, and its adaptive loops suit microsecond kernels, not 100 ms calls.)

Memory is the growth of the process's resident set (RSS) during a call: the current RSS
before, the kernel's high-water mark (VmHWM) after, having reset the mark through
/proc/self/clear_refs. RSS sees everything a call touches, C++ tensor storage included, which
tracemalloc would miss.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")
MIB = 2 ** 20


@dataclass(frozen=True, slots=True)
class Measured:
    """One call: what it returned, how long it took, and how much RSS grew at its peak."""

    result: Any
    seconds: float
    peak_bytes: int | None   # None where the platform cannot reset the RSS high-water mark


def _status_bytes(field: str) -> int | None:
    if not _STATUS.exists():
        return None
    for line in _STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024   # the kernel reports kB
    return None


def rss_bytes() -> int | None:
    """The process's resident set now."""
    return _status_bytes("VmRSS")


def peak_rss_bytes() -> int | None:
    """The process's resident-set high-water mark since start or the last reset."""
    return _status_bytes("VmHWM")


def _reset_peak_rss() -> bool:
    try:
        _CLEAR_REFS.write_text("5")   # 5: reset the peak RSS (Linux >= 4.0)
    except OSError:
        return False
    return True


def measure_call(fn: Callable[[], Any]) -> Measured:
    """Runs `fn` once; its wall time and its peak RSS growth above the RSS just before it."""
    gc.collect()
    before = rss_bytes()
    can_reset = before is not None and _reset_peak_rss()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    peak = peak_rss_bytes() if can_reset else None
    return Measured(result, seconds, None if peak is None or before is None else peak - before)


def median_seconds(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> float:
    """The median wall time of `repeats` calls of `fn`, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def preload_torch() -> Measured:
    """Imports torch._dynamo, with its time and RSS growth.

    Any op run through a Python meta kernel or a TorchDispatchMode imports it lazily on first
    use (about 1.3 s here): a one-time cost per process, which would otherwise land on whichever
    call comes first. The benchmarks pay it up front and print it apart.
    """
    def load() -> None:
        import torch._dynamo  # noqa: F401
    return measure_call(load)


def run_worker(command: list[str], timeout: float, memory_bytes: int | None = None
               ) -> dict[str, Any]:
    """Runs a worker process that prints its figures as one JSON line last; its failure,
    timeout included, comes back as {"error": one line}. `memory_bytes` caps the worker's
    address space (RLIMIT_AS), so that a tool which allocates too much fails inside the cap
    instead of exhausting the machine."""
    def limit() -> None:   # runs in the child, between fork and exec
        if memory_bytes is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              check=False, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return {"error": f"failed after {time.perf_counter() - start:.1f} s: {last[:220]}"}
    return dict(json.loads(lines[-1]))


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other processes sharing the cores."""
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def fvcore_total(model: Any, inputs: Any) -> int:
    """fvcore's total count (one "flop" per multiply-accumulate for conv and linear), its
    warnings about unsupported ops and uncalled modules off: every benchmark runs it so."""
    from fvcore.nn import FlopCountAnalysis
    counter = FlopCountAnalysis(model, inputs)
    counter.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    return int(counter.total())


def machine() -> str:
    """One line naming what the figures were measured on."""
    import torch
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPU cores (load "
            f"average {load_average()}), torch {torch.__version__}, Python "
            f"{sys.version.split()[0]}")


def fmt_ms(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds * 1e3:,.0f}" if seconds >= 0.1 \
        else f"{seconds * 1e3:.1f}"


def fmt_mib(value: int | None) -> str:
    return "" if value is None else f"{value / MIB:,.1f}"


def fmt_ratio(value: float | None, reference: float | None) -> str:
    """`value / reference` as `0.45x`; empty when either is missing."""
    if value is None or not reference:
        return ""
    return f"{value / reference:.2f}x"
