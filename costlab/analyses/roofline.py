"""A measured roofline: peak MAC/s from a large matrix product at the dtype, memory bandwidth
from a large copy, cached per machine, device, dtype, threads and torch build."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from costlab.analyses.machine import Machine, torch_dtype
from costlab.choices import Device, DType
from costlab.render.files import cache_dir, read_cache, write_cache

if TYPE_CHECKING:
    from torch.utils.benchmark import Measurement

__all__ = ["Bound", "Roofline", "cache_path", "calibrate", "load_roofline", "timer",
           "time_call"]


class Bound(StrEnum):
    """Which roof limits a layer: its MACs at peak compute, or its bytes at the bandwidth."""

    COMPUTE = "compute"
    MEMORY = "memory"


@dataclass(frozen=True, slots=True)
class Roofline:
    """Peak compute and bandwidth as measured, and what they predict for a layer."""

    peak_gmacs_per_s: float
    bandwidth_gb_per_s: float   # decimal GB: bytes read + bytes written per second / 1e9
    dtype: str
    threads: int
    method: str
    cached: bool = False        # read from the cache rather than measured now

    @property
    def ridge_macs_per_byte(self) -> float:
        """The intensity above which a layer is compute-bound."""
        return self.peak_gmacs_per_s / self.bandwidth_gb_per_s

    def compute_seconds(self, macs: int) -> float:
        return macs / (self.peak_gmacs_per_s * 1e9)

    def memory_seconds(self, moved_bytes: int) -> float:
        return moved_bytes / (self.bandwidth_gb_per_s * 1e9)

    def predict_seconds(self, macs: int, moved_bytes: int) -> float:
        """max(MACs / peak compute, bytes / bandwidth): the slower roof wins."""
        return max(self.compute_seconds(macs), self.memory_seconds(moved_bytes))

    def bound(self, macs: int, moved_bytes: int) -> Bound:
        return Bound.COMPUTE if self.compute_seconds(macs) >= self.memory_seconds(moved_bytes) \
            else Bound.MEMORY


@contextlib.contextmanager
def _quiet_cpp_extension() -> Iterator[None]:
    """torch.utils.benchmark imports cpp_extension, which warns on stderr when CUDA_HOME exists
    without a CUDA runtime; the warning says nothing about timing, so keep it off the output."""
    logger = logging.getLogger("torch.utils.cpp_extension")
    saved = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(saved)


def timer(fn: Callable[[], object], threads: int) -> Any:
    """A torch.utils.benchmark.Timer over `fn` at `threads` intra-op threads (it pins and
    restores the count; on CUDA it synchronizes around each block of runs)."""
    with _quiet_cpp_extension():
        from torch.utils.benchmark import Timer
    return Timer(stmt="fn()", globals={"fn": fn}, num_threads=threads)


def time_call(fn: Callable[[], object], threads: int, min_time_s: float) -> Measurement:
    """blocked_autorange: warm-up and block size chosen by the harness, blocks of runs until
    `min_time_s` seconds have been measured."""
    measurement: Measurement = timer(fn, threads).blocked_autorange(min_run_time=min_time_s)
    return measurement


# Large enough to leave every cache behind, small enough for a shared 2-core machine.
_MATMUL_N = {DType.FP32: 2048, DType.FP16: 2048, DType.BF16: 2048}
_COPY_ELEMENTS = 2 ** 25   # 128 MB at fp32 read, 128 MB written


def calibrate(device: Device, dtype: DType, threads: int, min_time_s: float = 1.0, *,
              matmul_n: int | None = None, copy_elements: int = _COPY_ELEMENTS) -> Roofline:
    """Measures peak compute (an n x n x n matrix product: n**3 MACs) and bandwidth (a copy
    of 2**25 elements: that many read and as many written) on `device` at `dtype`."""
    kind = torch_dtype(dtype)
    n = matmul_n or _MATMUL_N[dtype]
    seconds = _matmul_seconds(n, str(device), kind, threads, min_time_s)
    moved = 2 * copy_elements * kind.itemsize
    copy_seconds = _copy_seconds(copy_elements, str(device), kind, threads, min_time_s)
    return Roofline(n ** 3 / seconds / 1e9, moved / copy_seconds / 1e9, str(dtype), threads,
                    f"torch.mm {n}x{n}x{n} and a copy of {moved // 2 // 10**6} MB, "
                    "torch.utils.benchmark medians")


def _matmul_seconds(n: int, device: str, kind: torch.dtype, threads: int,
                    min_time_s: float) -> float:
    generator = torch.Generator(device=device).manual_seed(0)
    a = torch.randn(n, n, device=device, dtype=kind, generator=generator)
    b = torch.randn(n, n, device=device, dtype=kind, generator=generator)
    out = torch.empty(n, n, device=device, dtype=kind)
    return float(time_call(lambda: torch.mm(a, b, out=out), threads, min_time_s).median)


def _copy_seconds(elements: int, device: str, kind: torch.dtype, threads: int,
                  min_time_s: float) -> float:
    src = torch.ones(elements, device=device, dtype=kind)
    dst = torch.empty_like(src)
    return float(time_call(lambda: dst.copy_(src), threads, min_time_s).median)


def cache_path() -> Path:
    """roofline.json in costlab's cache directory (`cache_dir`: $COSTLAB_CACHE_DIR, else
    $XDG_CACHE_HOME/costlab or ~/.cache/costlab)."""
    return cache_dir() / "roofline.json"


def load_roofline(machine: Machine, device: Device, dtype: DType, *, recalibrate: bool = False,
                  min_time_s: float = 1.0) -> Roofline:
    """The cached roofline of this machine, device, dtype, thread count and torch build, or a
    new calibration (always with `recalibrate`), written back to the cache."""
    path = cache_path()
    key = f"{machine.key}|{dtype}|{machine.threads}"
    cache = read_cache(path)   # a damaged one reads empty: measure again and rewrite it
    entry = cache.get(key)
    if not recalibrate and isinstance(entry, dict):
        try:
            return replace(Roofline(**entry), cached=True)
        except TypeError:
            pass   # written by another version: measure again
    roofline = calibrate(device, dtype, machine.threads, min_time_s)
    cache[key] = {k: v for k, v in asdict(roofline).items() if k != "cached"}
    write_cache(path, cache)   # a read-only home: the calibration still serves this run
    return roofline
