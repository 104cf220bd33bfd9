"""Turn a spec and its parameter values into an `nn.Module`, on the meta device by default."""

from __future__ import annotations

import contextlib
import dataclasses
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from costlab.blocks.context import BuildContext
from costlab.blocks.registry import bind_args, get_block
from costlab.errors import SpecError, first_line
from costlab.spec.schema import ArchSpec, LayerSpec, Scalar
from costlab.trace.meta import FastMeta
from costlab.units import Shape

__all__ = ["BuiltModel", "build_model", "input_shape"]


@dataclass(frozen=True, slots=True)
class BuiltModel:
    """A built spec: the module, the parameters it was built with and its input shape."""

    module: nn.Sequential
    spec: ArchSpec
    config: Mapping[str, Scalar]
    input_shape: Shape
    rows: Mapping[str, LayerSpec]  # top-level child name -> the spec row it came from


def input_shape(spec: ArchSpec, params: Mapping[str, Scalar], batch: int = 1) -> Shape:
    """The image batch a spec takes: batch x channels x resolution x resolution."""
    resolution = int(params.get("resolution", 224))
    return (batch, spec.input_channels, resolution, resolution)


def build_model(spec: ArchSpec, params: Mapping[str, Scalar], *, batch: int = 1,
                device: str | torch.device = "meta") -> BuiltModel:
    """Builds the spec's layer table row by row, tracking the tensor shape between rows.

    Each row becomes a named child (`conv1`, `bottleneck3`, or the row's `name:`); a row with
    n > 1 becomes a Sequential of its n repeats, the stride applying to the first only.
    Raises SpecError naming the row when its arguments are wrong or its shapes cannot work.
    """
    shape = input_shape(spec, params, batch)
    model, rows, counts = nn.Sequential(), {}, Counter[str]()
    with torch.device(device):
        for layer in spec.layers:
            block = get_block(layer.op, file=spec.file, line=layer.line, field=f"{layer.field}.op")
            args = bind_args(block, layer, params, spec.file)
            counts[layer.op] += 1
            name = layer.name or f"{layer.op}{counts[layer.op]}"
            if name in rows:
                raise SpecError(f"two rows are named {name!r}", file=spec.file, line=layer.line,
                                field=f"{layer.field}.name")
            repeats = args.n if block.repeats else 1
            children = []
            # Fields that apply to the first repeat only, and their value for the others.
            later = getattr(block.args_type, "LATER_REPEATS", {"s": 1})
            for index in range(repeats):
                if index:
                    args = dataclasses.replace(args, **later)
                module, shape = _build_row(block.build, args, BuildContext(shape, params),
                                           layer, spec.file, device)
                children.append(module)
            model.add_module(name, children[0] if repeats == 1 else nn.Sequential(*children))
            rows[name] = layer
    return BuiltModel(model, spec, dict(params), input_shape(spec, params, batch), rows)


def _build_row(build: Any, args: Any, ctx: BuildContext, layer: LayerSpec, file: str,
               device: str | torch.device) -> tuple[nn.Module, Shape]:
    try:
        module = build(args, ctx)
        probe = torch.zeros(ctx.shape, device=device)  # where the weights are: free on meta
        with torch.no_grad(), FastMeta() if probe.is_meta else contextlib.nullcontext():
            out = module.eval()(probe)
    except (ValueError, RuntimeError) as exc:
        raise SpecError(f"{layer.op} on input {_fmt(ctx.shape)}: {first_line(exc)}", file=file,
                        line=layer.line, field=layer.field) from None
    if any(size < 1 for size in out.shape):
        raise SpecError(f"{layer.op} on input {_fmt(ctx.shape)} leaves no pixels "
                        f"(output {_fmt(tuple(out.shape))})", file=file, line=layer.line,
                        field=layer.field)
    return module, tuple(out.shape)


def _fmt(shape: Shape) -> str:
    return "x".join(map(str, shape))
