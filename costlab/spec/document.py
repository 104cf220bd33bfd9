"""The declarative schema of a spec document (pydantic): every field's type, range and
allowed values in one place, checked before the dataclasses are built, and published as
JSON Schema for editors (`costlab schema`)."""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any, Literal, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from costlab.errors import SpecError

__all__ = ["MAX_RESOLUTION", "RESERVED_PARAMS", "reserved_problem", "MAX_CHANNELS",
           "MAX_REPEATS", "MAX_TOTAL_REPEATS", "MAX_SPEC_BYTES", "MAX_INT", "REPORTED_METRICS",
           "PER_RESOLUTION_METRICS", "validate_document", "json_schema"]

MAX_SPEC_BYTES = 1_000_000    # the largest bundled spec is 6 kB; PyYAML is superlinear
MAX_INT = 2**31 - 1           # any integer a layer takes (torch's sizes are C++ ints)
MAX_CHANNELS = 2**20          # channels of one layer (c, out)
MAX_REPEATS = 1024            # n of one row; ResNet-1202 has 200 blocks per stage
MAX_TOTAL_REPEATS = 4096      # blocks of the whole spec, so that building stays seconds

MAX_RESOLUTION = 2**16        # pixels of the input's height and width

# Parameters costlab itself reads (build.py, blocks/context.py): their type and range hold
# for every spec, whatever its own min and max, for defaults and command-line values alike.
RESERVED_PARAMS: dict[str, tuple[type | tuple[type, ...], float, float]] = {
    "resolution": (int, 1, MAX_RESOLUTION),
    "num_classes": (int, 1, MAX_CHANNELS),
    "alpha": ((int, float), 1e-3, 100.0),
}

REPORTED_METRICS = ("macs", "flops", "params", "max_memory_bytes", "memory_bytes",
                    "max_channels", "top1", "top5", "latency_ms")
"""The figures a `reported:` entry can name: what papers print, a vocabulary of its own.

They are listed here, once, because this is the lowest layer that reads them: a misspelt
name fails as the spec loads, in one line naming file, line and field, and `costlab schema`
offers the names to editors. They are not the metric catalog's keys (analyses/metrics.py,
above this layer): a printed `macs` figure is judged against several readings (MACs, 2 x
MACs, with element-wise ops), the Table 3 figures are per resolution at 16 bits, and top1,
top5 and latency_ms are only shown (latency_ms beside `costlab latency`'s own timing).
analyses/published.py registers how to judge each figure it can compute, and refuses at
import a name not listed here, which no spec could name.
"""
PER_RESOLUTION_METRICS = ("memory_bytes", "max_channels")   # these need `at: HxW`

_IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"
Identifier = Annotated[StrictStr, Field(pattern=_IDENTIFIER)]
FiniteFloat = Annotated[StrictFloat, Field(allow_inf_nan=False)]
Number = StrictInt | FiniteFloat
StrictScalar = StrictInt | FiniteFloat | StrictStr | StrictBool
_CHANNEL_KEYS = ("c", "out", "channels")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class InputDoc(_Strict):
    """`input:`: what the first layer receives (height and width come from `resolution`)."""

    channels: Annotated[StrictInt, Field(ge=1, le=MAX_CHANNELS)] = 3


class ParamDoc(_Strict):
    """One parameter: its default, and the range or choices a value must lie in."""

    default: StrictScalar
    min: Number | None = None
    max: Number | None = None
    choices: list[StrictScalar] | None = Field(None, min_length=1)
    help: StrictStr = ""

    @model_validator(mode="after")
    def _in_range(self) -> ParamDoc:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        if self.choices is not None and self.default not in self.choices:
            raise ValueError(f"default {self.default!r} is not one of {self.choices}")
        number = isinstance(self.default, int | float) and not isinstance(self.default, bool)
        if not number and (self.min is not None or self.max is not None):
            raise ValueError(f"default {self.default!r} is not a number, but min or max is set")
        if number and self.min is not None and self.default < self.min:  # type: ignore[operator]
            raise ValueError(f"default {self.default} is below min {self.min}")
        if number and self.max is not None and self.default > self.max:  # type: ignore[operator]
            raise ValueError(f"default {self.default} is above max {self.max}")
        return self


class LayerDoc(BaseModel):
    """A row of the layer table: `op`, an optional `name` and the block's own arguments,
    which the block registry checks when the model is built; only their sizes are bounded
    here, so that no spec asks for more work than a machine can do."""

    model_config = ConfigDict(extra="allow", strict=True, allow_inf_nan=False)

    op: StrictStr = Field(min_length=1)
    name: Identifier | None = None

    @model_validator(mode="after")
    def _bounded(self) -> LayerDoc:
        for key, value in (self.model_extra or {}).items():
            _bounded_value(key, value)
        return self


def reserved_problem(name: str, value: Any) -> str | None:
    """What is wrong with `value` for a parameter costlab reads itself (or a too large
    integer for any parameter); None when nothing is."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
        return f"{name}={value} is beyond the limit of {MAX_INT:,}"
    if name not in RESERVED_PARAMS:
        return None
    kind, low, high = RESERVED_PARAMS[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) or not isinstance(value, kinds):
        return f"{name} must be {' or '.join(k.__name__ for k in kinds)}, got {value!r}"
    if not low <= cast(float, value) <= high:   # an int or a float, checked above
        return f"{name}={value} is outside {_shown_number(low)}..{_shown_number(high)}"
    return None


def _shown_number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _bounded_value(key: str, value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{key} must be a finite number, got {value!r}")
    if isinstance(value, int) and not isinstance(value, bool):
        limit = MAX_REPEATS if key == "n" else MAX_CHANNELS if key in _CHANNEL_KEYS else MAX_INT
        if abs(value) > limit:
            raise ValueError(f"{key} = {value} is beyond the limit of {limit:,}")
    if isinstance(value, list | tuple):
        for item in value:
            _bounded_value(key, item)


class ReportedDoc(_Strict):
    """A published figure: its source, the metric, the value as printed, and the variant."""

    source: StrictStr | StrictInt
    metric: Literal[REPORTED_METRICS]  # type: ignore[valid-type]
    published: StrictStr | StrictInt | FiniteFloat
    variant: dict[Identifier, StrictScalar] | None = None
    table: StrictStr = ""
    note: StrictStr = ""
    convention: StrictStr | None = None
    at: Annotated[StrictStr, Field(pattern=r"^\d+x\d+$")] = ""

    @model_validator(mode="after")
    def _at_where_needed(self) -> ReportedDoc:
        if self.metric in PER_RESOLUTION_METRICS and not self.at:
            raise ValueError(f"metric {self.metric} needs `at: HxW` (the resolution)")
        if self.at and self.metric not in PER_RESOLUTION_METRICS:
            raise ValueError(f"`at` is only for {', '.join(PER_RESOLUTION_METRICS)}")
        return self


class SpecDoc(_Strict):
    """A whole spec file."""

    name: StrictStr = Field(min_length=1)
    title: StrictStr | None = None
    citation: StrictStr
    description: StrictStr = ""
    input: InputDoc = InputDoc()
    params: dict[Identifier, ParamDoc] = {}
    layers: list[LayerDoc] = Field(min_length=1)
    reported: list[ReportedDoc] = []
    aliases: list[StrictStr] = []
    extra: dict[StrictStr, Any] = {}

    @field_validator("params", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        """`alpha: 1.0` is `alpha: {default: 1.0}`."""
        if isinstance(value, dict):
            return {k: v if isinstance(v, dict) else {"default": v} for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _reserved(self) -> SpecDoc:
        for name, param in self.params.items():
            problem = reserved_problem(name, param.default)
            if problem:
                raise ValueError(f"params.{name}: {problem}")
        return self

    @model_validator(mode="after")
    def _total_work(self) -> SpecDoc:
        repeats = [(layer.model_extra or {}).get("n", 1) for layer in self.layers]
        total = sum(n if isinstance(n, int) else 1 for n in repeats)   # n may name a param
        if total > MAX_TOTAL_REPEATS:
            raise ValueError(f"the layers repeat {total:,} blocks in all; the limit is "
                             f"{MAX_TOTAL_REPEATS:,}")
        return self


def validate_document(doc: dict[str, Any], file: str) -> SpecDoc:
    """Checks a loaded YAML document (a mapping that remembers its lines, see schema.py);
    raises SpecError naming the file, line and field of the first problem."""
    try:
        return SpecDoc.model_validate(doc)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        # a union reports one error per member; "finite" says more than "not a string"
        error = next((e for e in errors if e["type"] == "finite_number"), errors[0])
        loc = tuple(error["loc"])
        placed = _PLACED.match(_message(error))
        if not loc and placed:   # a check across the document that names its parameter
            loc = ("params", placed.group(1))
            error = {**error, "msg": placed.group(2)}
        field, line = _locate(doc, loc)
        if error["type"] == "extra_forbidden":   # the field is the mapping, the line the key's
            field = _locate(doc, error["loc"][:-1])[0]
        raise SpecError(_message(error), file=file, line=line, field=field) from None


_PLACED = re.compile(r"^params\.(\w+): (.*)$")


def _locate(doc: Any, loc: tuple[int | str, ...]) -> tuple[str, int | None]:
    """The YAML path and line of a pydantic error location; type tags pydantic adds to the
    path of a union (`int`, `function-after[...]`) are left out."""
    field, line, node = "", getattr(doc, "line", None), doc
    for part in loc:
        if isinstance(node, dict) and part in node:
            line = getattr(node, "key_lines", {}).get(part, line)
            field += f".{part}" if field else str(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            lines = getattr(node, "item_lines", [])
            line = lines[part] if part < len(lines) else line
            field += f"[{part}]"
            node = node[part]
        elif isinstance(node, dict) and part == "[key]":
            break
    return field, line


def _message(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    if "[key]" in error["loc"]:
        return f"a name here must be an identifier, got {_shown(error['input'])}"
    if error["type"] == "extra_forbidden":
        return f"unknown field {error['loc'][-1]!r}"
    if error["type"] == "missing":
        return f"missing required field {error['loc'][-1]!r}"
    if error["type"] in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping, got {_shown(error['input'])}"
    if error["type"] == "string_pattern_mismatch" and "A-Za-z_" in str(error.get("ctx", "")):
        return f"must be an identifier, got {_shown(error['input'])}"
    if error["type"].endswith("_type") or error["type"] in ("finite_number", "literal_error",
                                                            "string_pattern_mismatch"):
        return f"{message[0].lower()}{message[1:]}, got {_shown(error['input'])}"
    return message[0].lower() + message[1:]


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def json_schema() -> str:
    """The JSON Schema of a spec file, for editors (yaml-language-server and others)."""
    schema = SpecDoc.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "costlab architecture spec"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"

