"""Load architecture specs (YAML) into frozen dataclasses, with file and line on every error.

This module does not import torch, so a spec can be parsed and checked for structure quickly;
block arguments are checked against the block registry when the model is built.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from costlab.errors import OptionError, SpecError
from costlab.spec.document import MAX_SPEC_BYTES, reserved_problem, validate_document
from costlab.units import parse_quantity

__all__ = [
    "ArchSpec",
    "LayerSpec",
    "ParamSpec",
    "Reported",
    "Scalar",
    "load_spec",
    "parse_spec",
    "resolve_params",
]

Scalar = int | float | str | bool


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """A spec parameter (alpha, resolution, ...): default value and allowed range or choices."""

    name: str
    default: Scalar
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Scalar, ...] | None = None
    help: str = ""
    line: int | None = None


@dataclass(frozen=True, slots=True)
class LayerSpec:
    """One row of the architecture table: a block type and its arguments, as written."""

    op: str
    args: Mapping[str, Any]
    name: str | None
    field: str  # YAML path, e.g. "layers[3]"
    line: int | None
    # dataclasses.field: the `field` attribute above shadows the bare name in this body
    arg_lines: Mapping[str, int] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reported:
    """A published figure: where it comes from, for which variant, and the value as printed."""

    source: str
    metric: str
    published: str
    variant: Mapping[str, Scalar]
    value: float      # read by costlab.units: "3.47M" is 3,470,000, "12 MB" 12,000,000 bytes
    precision: float  # half of this is the rounding the printed figure allows
    note: str = ""
    convention: str | None = None
    line: int | None = None
    table: str = ""  # the published table it comes from, e.g. "Table 4"
    at: str = ""     # where in the network, for per-resolution figures: "112x112"


@dataclass(frozen=True, slots=True)
class ArchSpec:
    """A whole architecture family: its parameters, its layer table and its published figures."""

    name: str
    title: str
    citation: str
    file: str
    input_channels: int
    params: Mapping[str, ParamSpec]
    layers: tuple[LayerSpec, ...]
    reported: tuple[Reported, ...] = ()
    aliases: tuple[str, ...] = ()
    description: str = ""
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


class _Located(dict[str, Any]):
    """A YAML mapping that remembers its line and the line of each key."""

    line: int
    key_lines: dict[str, int]


class _LocatedList(list[Any]):
    """A YAML sequence that remembers its line and the line of each item."""

    line: int
    item_lines: list[int]


# libyaml's parser when PyYAML was built with it: ten times faster (20 ms -> 2 ms for
# MobileNetV2, an eighth of `costlab report`'s analysis), with the same nodes and line marks.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):  # type: ignore[valid-type,misc]
    """SafeLoader whose mappings and sequences carry line numbers and reject duplicate keys."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Located:
    loader.flatten_mapping(node)
    out = _Located()
    out.line, out.key_lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key: Any = loader.construct_object(key_node, deep=True)
        scalar = key is None or isinstance(key, str | int | float | bool)
        if not scalar:
            raise SpecError(f"a mapping key must be a name, got {type(key).__name__}",
                            line=key_node.start_mark.line + 1)
        if key in out:
            raise SpecError(f"duplicate key {key!r}", line=key_node.start_mark.line + 1)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> _LocatedList:
    out = _LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)

def _require(mapping: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str,
             file: str, line: int | None) -> Any:
    if key not in mapping:
        raise SpecError(f"missing required field {key!r}", file=file, line=line, field=where)
    return _typed(mapping[key], kind, f"{where}.{key}" if where else key, file,
                  getattr(mapping, "key_lines", {}).get(key, line))


def _typed(value: Any, kind: type | tuple[type, ...], where: str, file: str,
           line: int | None) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # bool is an int to isinstance; a spec's `c: true` is not a channel count
    ok = isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool))
    if not ok:
        names = " or ".join(k.__name__ for k in kinds)
        raise SpecError(f"expected {names}, got {value!r}", file=file, line=line, field=where)
    return value


_TOP_KEYS = {"name", "title", "citation", "input", "params", "layers", "reported", "aliases",
             "description", "extra"}


def parse_spec(text: str, file: str = "<spec>") -> ArchSpec:
    """Parses spec text; raises SpecError naming the file, line and field of the first problem.

    The spec is immutable and a function of the text and file name only, so the specs of
    recent texts are kept: a report or sweep reads the file again but parses it once."""
    return _parse_spec(text, file)


@functools.lru_cache(maxsize=64)
def _parse_spec(text: str, file: str) -> ArchSpec:
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError(f"the spec is {len(text):,} characters; the limit is "
                        f"{MAX_SPEC_BYTES:,}", file=file)
    try:
        doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except SpecError as exc:
        raise SpecError(exc.message, file=file, line=exc.line) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"invalid YAML: {problem}", file=file,
                        line=mark.line + 1 if mark else None) from None
    if not isinstance(doc, _Located):
        raise SpecError("a spec must be a YAML mapping with name, citation, params and layers",
                        file=file, line=1)
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise SpecError(f"unknown field {unknown[0]!r}; allowed: {', '.join(sorted(_TOP_KEYS))}",
                        file=file, line=doc.key_lines[unknown[0]], field=unknown[0])
    validate_document(doc, file)   # types, ranges and limits of every field, declared once
    name = _require(doc, "name", str, "", file, doc.line)
    citation = _require(doc, "citation", str, "", file, doc.line)
    params = _parse_params(doc.get("params", _Located()), file)
    input_spec = doc.get("input", {"channels": 3})
    channels = _require(input_spec, "channels", int, "input", file,
                        getattr(input_spec, "line", doc.line))
    layers = _parse_layers(doc, params, file)
    reported = _parse_reported(doc.get("reported", []), params, file)
    aliases = tuple(_typed(a, str, "aliases", file, doc.key_lines.get("aliases"))
                    for a in doc.get("aliases", []))
    return ArchSpec(
        name=name,
        title=_typed(doc.get("title", name), str, "title", file, doc.key_lines.get("title")),
        citation=citation,
        file=file,
        input_channels=channels,
        params=MappingProxyType(params),
        layers=layers,
        reported=reported,
        aliases=aliases,
        description=str(doc.get("description", "")),
        extra=MappingProxyType(dict(doc.get("extra", {}))),
    )


def load_spec(path: str | Path) -> ArchSpec:
    """Reads and parses one spec file."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_SPEC_BYTES:
            raise SpecError(f"the spec is {path.stat().st_size:,} bytes; the limit is "
                            f"{MAX_SPEC_BYTES:,}", file=str(path))
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read spec: {exc.strerror}", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
                        f"{exc.start}); save the spec as UTF-8", file=str(path)) from None
    return parse_spec(text, str(path))


def _parse_params(raw: Any, file: str) -> dict[str, ParamSpec]:
    line = getattr(raw, "line", None)
    _typed(raw, dict, "params", file, line)
    params: dict[str, ParamSpec] = {}
    for key, value in raw.items():
        where, key_line = f"params.{key}", raw.key_lines.get(key, line)
        if not isinstance(value, dict):  # shorthand: "alpha: 1.0"
            value = {"default": value}
        allowed = {"default", "min", "max", "choices", "help"}
        extra = sorted(set(value) - allowed)
        if extra:
            raise SpecError(f"unknown field {extra[0]!r}; allowed: {', '.join(sorted(allowed))}",
                            file=file, line=key_line, field=where)
        default = _require(value, "default", (int, float, str, bool), where, file, key_line)
        choices = value.get("choices")
        if choices is not None:
            choices = tuple(_typed(choices, list, f"{where}.choices", file, key_line))
            if default not in choices:
                raise SpecError(f"default {default!r} is not one of {list(choices)}",
                                file=file, line=key_line, field=where)
        params[key] = ParamSpec(
            name=key, default=default,
            minimum=_typed(value.get("min"), (int, float, type(None)), f"{where}.min",
                           file, key_line),
            maximum=_typed(value.get("max"), (int, float, type(None)), f"{where}.max",
                           file, key_line),
            choices=choices, help=str(value.get("help", "")), line=key_line,
        )
    return params


def _parse_layers(doc: _Located, params: Mapping[str, ParamSpec],
                  file: str) -> tuple[LayerSpec, ...]:
    raw = _require(doc, "layers", list, "", file, doc.line)
    if not raw:
        raise SpecError("layers is empty", file=file, line=doc.key_lines["layers"],
                        field="layers")
    layers = []
    for index, (row, line) in enumerate(zip(raw, raw.item_lines, strict=True)):
        where = f"layers[{index}]"
        _typed(row, dict, where, file, line)
        op = _require(row, "op", str, where, file, line)
        name = row.get("name")
        if name is not None and (not isinstance(name, str) or not name.isidentifier()):
            raise SpecError(f"name must be an identifier, got {name!r}", file=file, line=line,
                            field=f"{where}.name")
        args = {k: v for k, v in row.items() if k not in ("op", "name")}
        layers.append(LayerSpec(op=op, args=MappingProxyType(args), name=name, field=where,
                                line=line, arg_lines=MappingProxyType(dict(row.key_lines))))
    return tuple(layers)


_REPORTED_KEYS = {"source", "table", "metric", "published", "variant", "note", "convention",
                  "at"}


def _parse_reported(raw: Any, params: Mapping[str, ParamSpec], file: str) -> tuple[Reported, ...]:
    _typed(raw, list, "reported", file, getattr(raw, "line", None))
    entries = []
    lines = getattr(raw, "item_lines", [None] * len(raw))
    for index, (item, line) in enumerate(zip(raw, lines, strict=True)):
        where = f"reported[{index}]"
        _typed(item, dict, where, file, line)
        extra = sorted(set(item) - _REPORTED_KEYS)
        if extra:
            raise SpecError(f"unknown field {extra[0]!r}; allowed: "
                            f"{', '.join(sorted(_REPORTED_KEYS))}", file=file, line=line,
                            field=f"{where}.{extra[0]}")
        published = _require(item, "published", (str, int, float), where, file, line)
        try:
            quantity = parse_quantity(published)
        except ValueError as exc:
            raise SpecError(str(exc), file=file, line=line, field=f"{where}.published") from None
        variant = dict(item.get("variant", {}) or {})
        for key in variant:
            if key not in params:
                raise SpecError(f"variant names unknown parameter {key!r}; parameters: "
                                f"{', '.join(params)}", file=file, line=line,
                                field=f"{where}.variant")
            try:
                _convert(params[key], variant[key], f"variant of {where}")
            except OptionError as exc:
                raise SpecError(str(exc).split(": ", 1)[1], file=file, line=line,
                                field=f"{where}.variant.{key}") from None
        entries.append(Reported(
            source=_require(item, "source", str, where, file, line),
            metric=_require(item, "metric", str, where, file, line),
            published=str(published), variant=MappingProxyType(variant),
            value=float(quantity.value), precision=float(quantity.precision),
            note=str(item.get("note", "")),
            convention=item.get("convention"), line=line, table=str(item.get("table", "")),
            at=str(item.get("at", "")),
        ))
    return tuple(entries)


def resolve_params(spec: ArchSpec, overrides: Mapping[str, Any]) -> dict[str, Scalar]:
    """Returns every parameter's value: the spec's defaults with the overrides applied.

    Overrides may be strings (from the command line); they are converted to the default's type.
    Raises OptionError naming the parameter and the allowed values.
    """
    values: dict[str, Scalar] = {name: p.default for name, p in spec.params.items()}
    for name, raw in overrides.items():
        if raw is None:
            continue
        if name not in spec.params:
            known = ", ".join(spec.params) or "none"
            raise OptionError(f"{spec.name} has no parameter {name!r}; its parameters: {known}")
        values[name] = _convert(spec.params[name], raw, spec.name)
    return values


def _convert(param: ParamSpec, raw: Any, model: str) -> Scalar:
    kind = type(param.default)
    try:
        if kind is bool and isinstance(raw, str):
            if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            value: Scalar = raw.lower() in ("true", "1", "yes")
        elif kind is not bool and isinstance(raw, bool):
            raise ValueError   # True is not a width: float(True) would be 1.0
        elif kind is int and isinstance(raw, float) and not raw.is_integer():
            raise ValueError
        else:
            value = kind(raw)
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError
        problem = reserved_problem(param.name, value)
        if problem:
            raise OptionError(f"{model}: {problem}")
    except (TypeError, ValueError, OverflowError):
        raise OptionError(f"{model}: {param.name} must be {kind.__name__}, got {raw!r}") from None
    if param.choices is not None and value not in param.choices:
        allowed = ", ".join(str(c) for c in param.choices)
        raise OptionError(f"{model}: {param.name}={value!r} is not one of {allowed}")
    if param.minimum is not None and value < param.minimum:  # type: ignore[operator]
        raise OptionError(f"{model}: {param.name}={value} is below its minimum {param.minimum}")
    if param.maximum is not None and value > param.maximum:  # type: ignore[operator]
        raise OptionError(f"{model}: {param.name}={value} is above its maximum {param.maximum}")
    return value
