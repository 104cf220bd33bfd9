"""Resolve a MODEL argument: a spec name, a spec file, a zoo name (`torchvision:resnet50`,
`timm:NAME`, `hf:ID_OR_DIR`) or `package.module:callable`."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import nn

from costlab.blocks.build import build_model
from costlab.errors import CostlabError, ModelLoadError, OptionError, describe
from costlab.models.zoo import build_empty, build_zoo, zoo_hint, zoo_of
from costlab.spec.catalog import load_named_spec
from costlab.spec.schema import ArchSpec, Scalar, resolve_params
from costlab.trace.inputs import Inputs, InputSpec, as_input, as_inputs
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
    vocab_size: int | None = None   # token ids get values below it when real tensors are needed
    default_input: bool = False     # the inputs are the default image, not the user's

    def __post_init__(self) -> None:   # shapes are float32 inputs
        object.__setattr__(self, "inputs", tuple(as_input(i) for i in self.inputs))

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        return tuple(i.shape for i in self.inputs)


def resolve_model(model: str | nn.Module | ArchSpec, *, settings: Mapping[str, Any] | None = None,
                  batch: int = 1, inputs: Inputs | None = None,
                  device: str = "meta") -> Target:
    """Builds or imports the model; `settings` are spec parameters, factory or callable keyword
    arguments, or config fields (hf); a None value is passed on as None.

    `inputs` are positional inputs (InputSpecs, shapes, tensors; a named InputSpec is a keyword
    input), a dict of keyword inputs, or a callable returning (args, kwargs). Given inputs fix
    the batch and the size: --batch and --resolution with them are an error.
    """
    settings = dict(settings or {})
    if batch < 1:
        raise OptionError(f"batch must be at least 1, got {batch}")
    specs = as_inputs(inputs) if inputs else None
    if isinstance(model, nn.Module):
        return _module_target(type(model).__name__, model, settings, batch, specs)
    if isinstance(model, str) and zoo_of(model):
        return _zoo_target(model, settings, batch, specs)
    if isinstance(model, str) and ":" in model and not model.endswith((".yaml", ".yml")):
        return _import_target(model, settings, batch, specs, device)
    try:
        spec = model if isinstance(model, ArchSpec) else load_named_spec(model)
    except CostlabError as exc:
        hint = zoo_hint(model) if isinstance(model, str) else None
        if hint is None:
            raise
        text = str(exc)
        text = text[:-1] + f", or {hint}?" if text.endswith("?") else \
            f"{text}; did you mean {hint}?"
        raise type(exc)(text) from None
    if specs:
        raise OptionError("--input is for import-path and zoo models; a spec takes "
                          "--resolution and --batch")
    config = resolve_params(spec, settings)
    built = build_model(spec, config, batch=batch, device=device)
    return Target(spec.name, built.module, (InputSpec(built.input_shape),), config, spec)


def _unwrapped(module: nn.Module) -> nn.Module:
    """The model inside DataParallel / DistributedDataParallel: the same forward, one device."""
    while isinstance(module, nn.DataParallel | nn.parallel.DistributedDataParallel):
        module = module.module
    return module


def _check_shape_options(settings: Mapping[str, Any], batch: int,
                         inputs: tuple[InputSpec, ...] | None) -> None:
    if inputs and (batch != 1 or settings.get("resolution") is not None):
        given = " and ".join(o for o, on in (("--batch", batch != 1),
                                              ("--resolution", settings.get("resolution")
                                               is not None)) if on)
        verb = "describe" if " and " in given else "describes"
        raise OptionError(f"{given} {verb} the default image input; with --input, write the "
                          f"batch and size in each shape (e.g. --input {batch}x3x224x224)")


def _module_target(name: str, module: nn.Module, settings: Mapping[str, Any], batch: int,
                   inputs: tuple[InputSpec, ...] | None,
                   default: tuple[InputSpec, ...] | None = None,
                   vocab_size: int | None = None) -> Target:
    _check_shape_options(settings, batch, inputs)
    resolution = int(settings.get("resolution") or 224)
    specs = inputs or default or (InputSpec((batch, 3, resolution, resolution)),)
    config: dict[str, Scalar] = {"batch": specs[0].shape[0] if specs[0].shape else batch,
                                 "inputs": " ".join(map(str, specs))}
    return Target(name, _unwrapped(module), specs, config, vocab_size=vocab_size,
                  default_input=not inputs)


def _zoo_target(model: str, settings: Mapping[str, Any], batch: int,
                inputs: tuple[InputSpec, ...] | None) -> Target:
    _check_shape_options(settings, batch, inputs)
    built = build_zoo(model, settings, batch)
    if not inputs and built.inputs is None:
        main = getattr(built.module, "main_input_name", "input_ids")
        example = f"{main}=1x128:int64" if main == "input_ids" else f"{main}=SHAPE"
        raise OptionError(f"{model} does not take an image; give its inputs, e.g. "
                          f"--input {example} (repeatable: --input attention_mask=1x128:int64)")
    target = _module_target(model, built.module, settings, batch, inputs, built.inputs,
                            built.vocab_size)
    shown = {k: v if isinstance(v, Scalar) else repr(v) for k, v in settings.items()
             if k != "resolution"}
    return replace(target, config={**target.config, **shown})


def _import_target(path: str, settings: Mapping[str, Any], batch: int,
                   inputs: tuple[InputSpec, ...] | None, device: str) -> Target:
    module_name, _, attr = path.partition(":")
    try:
        obj: Any = _import_from_cwd(module_name)
    except Exception as exc:  # noqa: BLE001 - importing user code may raise anything
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
        if device == "meta":
            module = build_empty(lambda: obj(**kwargs))
        else:
            with torch.device(device):
                module = obj(**kwargs)
    except CostlabError:
        raise
    except Exception as exc:  # noqa: BLE001 - user code: one line naming the callable
        raise ModelLoadError(f"calling {path}({_kwargs(kwargs)}) failed: "
                             f"{describe(exc)}") from None
    if not isinstance(module, nn.Module):
        raise ModelLoadError(f"{path!r} returned {type(module).__name__}, not an nn.Module")
    target = _module_target(path, module, settings, batch, inputs)
    shown = {k: v if isinstance(v, Scalar) else repr(v) for k, v in kwargs.items()}
    return replace(target, config={**target.config, **shown})


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
