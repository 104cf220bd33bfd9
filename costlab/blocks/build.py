"""Turn a spec and its parameter values into an `nn.Module`, on the meta device by default."""

from __future__ import annotations

import contextlib
import dataclasses
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from costlab.blocks.context import BuildContext
from costlab.blocks.registry import BlockDef, bind_args, get_block
from costlab.blocks.shapes import output_shape
from costlab.errors import SpecError, first_line
from costlab.spec.schema import ArchSpec, LayerSpec, Scalar
from costlab.trace.meta import FastMeta
from costlab.units import Shape

__all__ = ["BuiltModel", "BlockStep", "build_model", "plan_blocks", "build_block",
           "check_pixels", "input_shape"]


@dataclass(frozen=True, slots=True)
class BuiltModel:
    """A built spec: the module, the parameters it was built with and its input shape."""

    module: nn.Sequential
    spec: ArchSpec
    config: Mapping[str, Scalar]
    input_shape: Shape
    rows: Mapping[str, LayerSpec]  # top-level child name -> the spec row it came from


@dataclass(frozen=True, slots=True)
class BlockStep:
    """One module of the layer table: a row, or one repeat of a row with n > 1 (then the
    row is a Sequential of its repeats and `repeat` is the index in it)."""

    row: str                 # the row's child name: `conv1`, `bottleneck3` or its `name:`
    layer: LayerSpec
    block: BlockDef
    args: Any
    repeat: int | None       # None: the row is this one module
    repeats: int

    @property
    def path(self) -> str:
        return self.row if self.repeat is None else f"{self.row}.{self.repeat}"


def input_shape(spec: ArchSpec, params: Mapping[str, Scalar], batch: int = 1) -> Shape:
    """The image batch a spec takes: batch x channels x resolution x resolution."""
    resolution = int(params.get("resolution", 224))
    return (batch, spec.input_channels, resolution, resolution)


def plan_blocks(spec: ArchSpec, params: Mapping[str, Scalar]) -> Iterator[BlockStep]:
    """The modules the spec's rows become, in order, with their bound arguments.

    Each row becomes a named child (`conv1`, `bottleneck3`, or the row's `name:`); a row with
    n > 1 becomes n steps, the stride (the block's LATER_REPEATS fields) applying to the first
    only. Raises SpecError naming the row when its arguments or its name are wrong.
    """
    counts, names = Counter[str](), set[str]()
    for layer in spec.layers:
        block = get_block(layer.op, file=spec.file, line=layer.line, field=f"{layer.field}.op")
        args = bind_args(block, layer, params, spec.file)
        counts[layer.op] += 1
        name = layer.name or f"{layer.op}{counts[layer.op]}"
        if name in names:
            raise SpecError(f"two rows are named {name!r}", file=spec.file, line=layer.line,
                            field=f"{layer.field}.name")
        names.add(name)
        repeats = args.n if block.repeats else 1
        # Fields that apply to the first repeat only, and their value for the others.
        later = getattr(block.args_type, "LATER_REPEATS", {"s": 1})
        for index in range(repeats):
            if index == 1:
                args = dataclasses.replace(args, **later)
            yield BlockStep(name, layer, block, args, index if repeats > 1 else None, repeats)


def build_block(step: BlockStep, ctx: BuildContext, file: str) -> nn.Module:
    """The module of one step; SpecError naming the row when its builder refuses the input."""
    try:
        module: nn.Module = step.block.build(step.args, ctx)
    except (ValueError, RuntimeError) as exc:
        raise SpecError(f"{step.layer.op} on input {_fmt(ctx.shape)}: {first_line(exc)}",
                        file=file, line=step.layer.line, field=step.layer.field) from None
    return module


def check_pixels(step: BlockStep, shape: Shape, out: Shape, file: str) -> None:
    """SpecError when a row's output has an empty dimension."""
    if any(size < 1 for size in out):
        raise SpecError(f"{step.layer.op} on input {_fmt(shape)} leaves no pixels "
                        f"(output {_fmt(out)})", file=file, line=step.layer.line,
                        field=step.layer.field)


def build_model(spec: ArchSpec, params: Mapping[str, Scalar], *, batch: int = 1,
                device: str | torch.device = "meta") -> BuiltModel:
    """Builds the spec's layer table in one pass, tracking the tensor shape between rows.

    A row's output shape comes from the arithmetic of the layers it is made of
    (blocks/shapes.py); only a module that arithmetic does not cover is run once on a zeros
    input (free on meta) to find it. Raises SpecError naming the row when its arguments are
    wrong or its shapes cannot work.
    """
    shape = input_shape(spec, params, batch)
    model, rows = nn.Sequential(), {}
    repeated: list[nn.Module] = []
    for step in plan_blocks(spec, params):
        with torch.device(device):
            module = build_block(step, BuildContext(shape, params), spec.file)
        out = output_shape(module, shape)
        if out is None or any(size < 1 for size in out):   # the probe gives torch's own error
            out = _probe(step, module, shape, spec.file, device)
        check_pixels(step, shape, out, spec.file)
        shape = out
        if step.repeat is None:
            model.add_module(step.row, module)
        else:
            repeated.append(module)
            if len(repeated) == step.repeats:
                model.add_module(step.row, nn.Sequential(*repeated))
                repeated = []
        rows[step.row] = step.layer
    return BuiltModel(model, spec, dict(params), input_shape(spec, params, batch), rows)


def _probe(step: BlockStep, module: nn.Module, shape: Shape, file: str,
           device: str | torch.device) -> Shape:
    try:
        probe = torch.zeros(shape, device=device)  # where the weights are: free on meta
        with torch.no_grad(), FastMeta() if probe.is_meta else contextlib.nullcontext():
            out = module.eval()(probe)
    except (ValueError, RuntimeError) as exc:
        raise SpecError(f"{step.layer.op} on input {_fmt(shape)}: {first_line(exc)}", file=file,
                        line=step.layer.line, field=step.layer.field) from None
    return tuple(out.shape)


def _fmt(shape: Shape) -> str:
    return "x".join(map(str, shape))
