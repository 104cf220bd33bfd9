"""Resolve a MODEL argument: a spec name, a spec file, or `package.module:callable`."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.parameter import is_lazy

from costlab.blocks.build import build_model
from costlab.errors import CostlabError, ModelLoadError, OptionError, describe
from costlab.spec.catalog import load_named_spec
from costlab.spec.schema import ArchSpec, Scalar, resolve_params
from costlab.trace.inputs import MAX_SIZE, Input, InputSpec, as_input, bounded_shape
from costlab.units import Shape

__all__ = ["Target", "resolve_model"]


@dataclass(frozen=True, slots=True)
class Target:
    """A model ready to trace: the module, its inputs and every parameter used."""

    name: str
    module: nn.Module
    inputs: tuple[InputSpec, ...]
    config: Mapping[str, Scalar]
    spec: ArchSpec | None = None

    def __post_init__(self) -> None:   # shapes are float32 inputs
        object.__setattr__(self, "inputs", tuple(as_input(i) for i in self.inputs))
        for spec in self.inputs:   # batch x resolution^2 may exceed what torch can index
            bounded_shape(spec.shape)

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        return tuple(i.shape for i in self.inputs)


def resolve_model(model: str | nn.Module | ArchSpec, *, settings: Mapping[str, Any] | None = None,
                  batch: int = 1, inputs: Sequence[Input] | None = None,
                  device: str = "meta") -> Target:
    """Builds or imports the model; `settings` are spec parameters or callable keyword args."""
    settings = {k: v for k, v in (settings or {}).items() if v is not None}
    if batch < 1:
        raise OptionError(f"batch must be at least 1, got {batch}")
    if batch > MAX_SIZE:
        raise OptionError(f"batch must be at most {MAX_SIZE:,}, got {batch}")
    if isinstance(model, nn.Module):
        return _module_target(type(model).__name__, model, settings, batch, inputs)
    if isinstance(model, str) and ":" in model and not model.endswith((".yaml", ".yml")):
        return _import_target(model, settings, batch, inputs, device)
    spec = model if isinstance(model, ArchSpec) else load_named_spec(model)
    if inputs:
        raise OptionError("--input is for import-path models; a spec takes --resolution and "
                          "--batch")
    config = resolve_params(spec, settings)
    built = build_model(spec, config, batch=batch, device=device)
    return Target(spec.name, built.module, (InputSpec(built.input_shape),), config, spec)


def _module_target(name: str, module: nn.Module, settings: Mapping[str, Any], batch: int,
                   inputs: Sequence[Input] | None) -> Target:
    resolution = int(settings.get("resolution", 224))
    specs = tuple(as_input(i) for i in inputs) if inputs else \
        (InputSpec((batch, 3, resolution, resolution)),)
    config: dict[str, Scalar] = {"batch": batch, "inputs": " ".join(map(str, specs))}
    _initialize_lazy(name, module, specs)
    return Target(name, module, specs, config)


def _initialize_lazy(name: str, module: nn.Module, inputs: Sequence[InputSpec]) -> None:
    """Lazy modules (nn.LazyLinear) learn their shapes on a first forward: run it once, on
    tensors of the parameters' device (meta when built by costlab), so tracing sees them."""
    lazy = [p for p in [*module.parameters(), *module.buffers()] if is_lazy(p)]
    if not lazy:
        return
    try:
        with torch.no_grad():
            module(*[i.tensor(str(lazy[0].device)) for i in inputs])
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - user code: one line naming it
        raise ModelLoadError(f"initializing the lazy modules of {name} on its inputs "
                             f"failed: {describe(exc)}") from None


def _import_target(path: str, settings: Mapping[str, Any], batch: int,
                   inputs: Sequence[Input] | None, device: str) -> Target:
    module_name, _, attr = path.partition(":")
    try:
        obj: Any = _import_from_cwd(module_name)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - importing user code: anything
        if "." not in module_name and _spec_named(module_name):   # mobilenetv2:alpha
            raise OptionError(f"bad settings {attr!r} for spec {module_name!r}; write them "
                              "as MODEL:key=value,key=value") from None
        raise ModelLoadError(f"cannot import {module_name!r} (from {path!r}): "
                             f"{describe(exc)}") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ModelLoadError(f"{module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ModelLoadError(f"{path!r} is not callable")
    kwargs = {k: v for k, v in settings.items() if k != "resolution"}
    try:
        with torch.device(device):
            module = obj(**kwargs)
    except CostlabError:
        raise
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - user code: one line naming it
        raise ModelLoadError(f"calling {path}({_kwargs(kwargs)}) failed: "
                             f"{describe(exc)}") from None
    if not isinstance(module, nn.Module):
        raise ModelLoadError(f"{path!r} returned {type(module).__name__}, not an nn.Module")
    target = _module_target(path, module, settings, batch, inputs)
    return Target(path, module, target.inputs, {**target.config, **kwargs})


def _spec_named(name: str) -> bool:
    try:
        load_named_spec(name)
    except CostlabError:
        return False
    return True


def _import_from_cwd(module_name: str) -> Any:
    """Imports as `python -m` would: the user's own modules in the working directory are found
    (the `costlab` script's sys.path starts at its bin/ directory, not there)."""
    cwd = os.getcwd()
    added = cwd not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(module_name)
    finally:
        if added:
            sys.path.remove(cwd)


def _kwargs(kwargs: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
