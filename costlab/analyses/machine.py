"""The machine a measurement ran on (CPU, cores, threads, torch build, device), the devices
and dtypes a model can be timed at, and the memory available before anything is allocated."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path

import torch

from costlab.choices import Device, DType
from costlab.errors import OptionError

__all__ = ["Machine", "parse_device", "torch_dtype", "check_runnable", "describe_machine",
           "available_bytes"]

_TORCH_DTYPES = {DType.FP32: torch.float32, DType.FP16: torch.float16,
                 DType.BF16: torch.bfloat16}


@dataclass(frozen=True, slots=True)
class Machine:
    """What a latency depends on besides the model: printed with every measurement."""

    cpu: str
    cores: int
    threads: int           # torch intra-op threads the timings used
    torch: str             # version
    build: str             # git revision, CUDA or CPU-only, debug
    device: str            # "cpu", or "cuda:0 (NVIDIA ...)"

    @property
    def key(self) -> str:
        """What a calibration is valid for: this host, CPU, device and torch build."""
        return f"{platform.node()}|{self.cpu}|{self.cores}|{self.device}|{self.torch}|{self.build}"


def parse_device(name: Device | str) -> Device:
    """A Device; an unknown name, or CUDA where there is none, is an OptionError."""
    try:
        device = Device(name)
    except ValueError:
        raise OptionError(f"unknown device {name!r}; one of "
                          f"{', '.join(d.value for d in Device)}") from None
    if device is Device.CUDA and not torch.cuda.is_available():
        raise OptionError("device 'cuda' is not available here (torch.cuda.is_available() is "
                          "False); use --device cpu")
    return device


def torch_dtype(dtype: DType | str) -> torch.dtype:
    """The floating type a model is run at; int8 is a storage type, not one models run in."""
    try:
        return _TORCH_DTYPES[DType(dtype)]
    except (ValueError, KeyError):
        raise OptionError(f"cannot run a model at dtype {str(dtype)!r}; one of "
                          f"{', '.join(d.value for d in _TORCH_DTYPES)}") from None


def check_runnable(device: Device, dtype: DType | str) -> torch.dtype:
    """The torch dtype, after running a small convolution and matrix product at it on the
    device: whether a device runs a dtype depends on its build and hardware, so ask it."""
    kind = torch_dtype(dtype)
    try:
        conv = torch.nn.Conv2d(4, 4, 3, padding=1, groups=2).to(device=str(device), dtype=kind)
        x = torch.ones(1, 4, 8, 8, device=str(device), dtype=kind)
        with torch.inference_mode():
            y = conv(x).flatten(1)
            (y @ y.T).sum().item()
    except (RuntimeError, NotImplementedError, TypeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise OptionError(f"device {device} cannot run {DType(dtype)} here: {first}") from None
    return kind


def _cpu_name() -> str:
    info = Path("/proc/cpuinfo")
    if info.exists():
        for line in info.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown CPU"


def describe_machine(device: Device, threads: int) -> Machine:
    """The machine, device and torch build a measurement at `threads` threads runs on."""
    cuda = torch.version.cuda
    build = f"git {torch.version.git_version[:7]}, " + \
        (f"CUDA {cuda}" if cuda else "CPU only") + (", debug" if torch.version.debug else "")
    shown = "cpu"
    if device is Device.CUDA:
        index = torch.cuda.current_device()
        shown = f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return Machine(_cpu_name(), os.cpu_count() or 1, threads, torch.__version__, build, shown)


def available_bytes(device: Device) -> int | None:
    """Memory a model could still take on the device (MemAvailable on Linux); None if unknown."""
    if device is Device.CUDA:
        free, _ = torch.cuda.mem_get_info()
        return int(free)
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024   # the kernel reports kB
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
