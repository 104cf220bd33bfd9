"""Parse `MODEL:key=value,key=value`: one model variant, written inline on the command line."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from costlab.errors import OptionError

__all__ = ["Variant", "parse_setting", "parse_variant", "variant_name"]


@dataclass(frozen=True, slots=True)
class Variant:
    """A model argument and the settings it is built with (shared ones merged in)."""

    model: str
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """`mobilenetv2:alpha=0.5,resolution=160`: the model and every setting, inline first."""
        return variant_name(self.model, self.settings)


def variant_name(model: str, settings: Mapping[str, Any]) -> str:
    """The canonical name of a model built with `settings`, in the syntax parse_variant reads."""
    if not settings:
        return model
    return model + ":" + ",".join(f"{key}={value}" for key, value in settings.items())


def parse_variant(text: str, shared: Mapping[str, Any] | None = None) -> Variant:
    """`NAME:key=value,...` -> Variant; a plain MODEL (spec, file, `pkg.mod:callable`) as is.

    The part after the last colon is a list of settings only when it contains `=`, so import
    paths keep their colon: `torch.nn:Linear:in_features=512,out_features=10`. Values are read
    as Python literals where they are one. Inline settings override `shared` ones (`--set`).
    A setting whose value is None is kept: `--set bias=None` reaches the callable.
    """
    head, colon, tail = text.rpartition(":")
    model, inline = text, {}
    if colon and "=" in tail:
        model = head
        inline = dict(parse_setting(part) for part in _split_settings(tail))
    if not model.strip():
        raise OptionError(f"bad model {text!r}; write it as NAME or NAME:key=value,key=value")
    rest = {k: v for k, v in (shared or {}).items() if k not in inline}
    return Variant(model.strip(), {**inline, **rest})


def _split_settings(tail: str) -> list[str]:
    """Splits on commas, keeping a comma inside a value (`kernel=(3,3)`) with its setting."""
    parts: list[str] = []
    for piece in tail.split(","):
        if "=" in piece or not parts:
            parts.append(piece)
        else:
            parts[-1] += "," + piece
    return parts


def parse_setting(text: str) -> tuple[str, Any]:
    """`key=value` -> (key, value), the value read as a Python literal when it is one."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise OptionError(f"bad setting {text!r}; write it as KEY=VALUE")
    try:
        value = ast.literal_eval(raw.strip())
    except (ValueError, SyntaxError):
        value = raw.strip()
    return key.strip(), value
