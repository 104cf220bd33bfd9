"""The block registry: YAML `op:` names mapped to typed argument dataclasses and builders."""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from costlab.errors import RuleError, SpecError, UnknownBlockError

if typing.TYPE_CHECKING:
    from torch import nn

    from costlab.blocks.context import BuildContext
    from costlab.spec.schema import LayerSpec

__all__ = ["BlockDef", "BLOCKS", "register_block", "list_blocks", "get_block", "bind_args"]

Builder = Callable[[Any, "BuildContext"], "nn.Module"]


@dataclass(frozen=True, slots=True)
class BlockDef:
    """A registered block: its YAML name, argument type and builder."""

    op: str
    args_type: type
    build: Builder

    @property
    def repeats(self) -> bool:
        """Blocks with an `n` field are repeated n times, the stride `s` applying to the first."""
        return "n" in {f.name for f in dataclasses.fields(self.args_type)}


BLOCKS: dict[str, BlockDef] = {}


def register_block(op: str, args_type: type) -> Callable[[Builder], Builder]:
    """Registers a builder under the YAML name `op`; rejects duplicates at import time."""
    if not dataclasses.is_dataclass(args_type):
        raise RuleError(f"block {op!r}: args_type must be a dataclass")

    def decorate(build: Builder) -> Builder:
        if op in BLOCKS:
            raise RuleError(f"block {op!r} is registered twice")
        BLOCKS[op] = BlockDef(op, args_type, build)
        return build

    return decorate


def _natural_key(text: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def list_blocks(pattern: str = "*") -> list[str]:
    """Names of registered blocks matching a shell wildcard, in natural order."""
    return sorted((op for op in BLOCKS if fnmatch.fnmatch(op, pattern)), key=_natural_key)


def get_block(op: str, *, file: str | None = None, line: int | None = None,
              field: str | None = None) -> BlockDef:
    """Looks up a block; an unknown name raises UnknownBlockError listing the valid ones."""
    if op not in BLOCKS:
        raise UnknownBlockError(f"unknown block {op!r}; known blocks: {', '.join(list_blocks())}",
                                file=file, line=line, field=field)
    return BLOCKS[op]


def bind_args(block: BlockDef, layer: LayerSpec, params: Mapping[str, Any] | None,
              file: str) -> Any:
    """Checks a layer's arguments against the block's dataclass and returns an instance.

    A numeric field may name a spec parameter instead of a number (`out: num_classes`); with
    `params` given the name is replaced by its value, without it only its existence is checked.
    """
    hints, fields = _fields_of(block.args_type)
    values: dict[str, Any] = {}
    for key, raw in layer.args.items():
        where, line = f"{layer.field}.{key}", layer.arg_lines.get(key, layer.line)
        if key not in fields:
            raise SpecError(f"block {block.op!r} has no field {key!r}; its fields: "
                            f"{', '.join(fields)}", file=file, line=line, field=where)
        values[key] = _check_value(raw, hints[key], params, where, file, line)
    missing = [name for name, f in fields.items() if name not in values
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise SpecError(f"block {block.op!r} needs field {missing[0]!r}", file=file,
                        line=layer.line, field=layer.field)
    try:
        return block.args_type(**values)
    except ValueError as exc:  # __post_init__ range checks
        raise SpecError(str(exc), file=file, line=layer.line, field=layer.field) from None


@functools.cache
def _fields_of(args_type: type) -> tuple[dict[str, Any], dict[str, dataclasses.Field[Any]]]:
    """An argument dataclass's resolved type hints and fields (resolving is slow: once)."""
    return typing.get_type_hints(args_type), {f.name: f for f in dataclasses.fields(args_type)}


def _check_value(raw: Any, hint: Any, params: Mapping[str, Any] | None, where: str, file: str,
                 line: int | None) -> Any:
    options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, _UnionType) \
        else (hint,)
    if raw is None:
        if type(None) in options:
            return None
        raise SpecError("a value is required", file=file, line=line, field=where)
    numeric = [o for o in options if o in (int, float)]
    if isinstance(raw, str) and numeric and not any(o is str for o in options) \
            and not any(typing.get_origin(o) is Literal for o in options):
        if params is None:
            return raw  # checked against the spec's params by the caller
        if raw not in params:
            raise SpecError(f"{raw!r} is neither a number nor a parameter of this spec",
                            file=file, line=line, field=where)
        raw = params[raw]
    for option in options:
        if typing.get_origin(option) is Literal:
            if raw in typing.get_args(option):
                return raw
        elif option is float and isinstance(raw, int | float) and not isinstance(raw, bool):
            return float(raw) if int not in options or not isinstance(raw, int) else raw
        elif option is int and isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        elif option in (str, bool) and type(raw) is option:
            return raw
    allowed = []
    for option in options:
        if typing.get_origin(option) is Literal:
            allowed.append("one of " + ", ".join(map(str, typing.get_args(option))))
        elif option is not type(None):
            allowed.append(option.__name__)
    raise SpecError(f"expected {' or '.join(allowed)}, got {raw!r}", file=file, line=line,
                    field=where)


_UnionType = type(int | None)
