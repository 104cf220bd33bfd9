"""Amounts and shapes: one grammar for the amounts a user or a paper writes ("300M", "3.4M",
"1.5B", "400K", "12 MB"), and the human formatting of counts and bytes. No torch here, so
specs and budgets read fast."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

__all__ = ["Shape", "numel", "Quantity", "parse_quantity", "parse_amount", "humanize",
           "fmt_bytes", "fmt_int", "fmt_shape", "AMOUNT_FORMS"]

Shape = tuple[int, ...]

Kind = Literal["count", "bytes", "percent", "ms"]

# Counts are decimal, as papers print them; "B" is a billion ("1.5B parameters"). Bytes are
# decimal (the papers' "K" is 1000) unless named binary (KiB). Case matters: "Mb" and "m" are
# refused, so every accepted form reads one way.
_SCALES: dict[str, tuple[int, Kind]] = {
    "": (1, "count"), "k": (10**3, "count"), "K": (10**3, "count"), "M": (10**6, "count"),
    "G": (10**9, "count"), "B": (10**9, "count"), "T": (10**12, "count"),
    "kB": (10**3, "bytes"), "KB": (10**3, "bytes"), "MB": (10**6, "bytes"),
    "GB": (10**9, "bytes"), "TB": (10**12, "bytes"),
    "KiB": (2**10, "bytes"), "MiB": (2**20, "bytes"), "GiB": (2**30, "bytes"),
    "TiB": (2**40, "bytes"), "bytes": (1, "bytes"),
    "%": (1, "percent"), "ms": (1, "ms"),
}
AMOUNT_FORMS = "an integer (310_000_000, 4,221,032) or a number with K, M, G, B (billion), T, " \
               "kB, MB, GB, TB, KiB, MiB, GiB, TiB, % or ms"
_AMOUNT = re.compile(r"\s*([-+]?)((?:\d[\d,_]*)?\.?\d+)\s*([A-Za-z%]*)\s*")


@dataclass(frozen=True, slots=True)
class Quantity:
    """An amount as written: its exact value, one unit of its last printed digit, its kind."""

    value: Fraction
    precision: Fraction
    kind: Kind


def parse_quantity(text: str | int | float) -> Quantity:
    """`"3.47M"` -> 3,470,000 with precision 10,000; `"12 MB"` -> 12,000,000 bytes.

    Raises ValueError (naming the accepted forms) for anything else, nan and inf included.
    """
    if isinstance(text, bool):
        raise ValueError(f"not a number: {text!r}")
    if isinstance(text, int):
        return Quantity(Fraction(text), Fraction(1), "count")
    if isinstance(text, float):
        if not math.isfinite(text):
            raise ValueError(f"not a finite number: {text!r}")
        digits = repr(text)
        decimals = len(digits.split(".")[1]) if "." in digits and "e" not in digits else 0
        return Quantity(Fraction(digits), Fraction(1, 10**decimals), "count")
    match = _AMOUNT.fullmatch(str(text))
    if match is None or match.group(3) not in _SCALES:
        raise ValueError(f"cannot read {text!r}; write {AMOUNT_FORMS}")
    sign, number, suffix = match.groups()
    scale, kind = _SCALES[suffix]
    number = number.replace(",", "").replace("_", "")
    decimals = len(number.split(".")[1]) if "." in number else 0
    value = Fraction(number) * scale * (-1 if sign == "-" else 1)
    return Quantity(value, Fraction(scale, 10**decimals), kind)


def parse_amount(text: str | int | float) -> int:
    """An exact whole amount: 310000000, "310M", "3.5M" (3,500,000), "12 MB" or "8MiB".

    Raises ValueError when it cannot be read or is not whole ("1.5" or "1.0000005M").
    """
    amounts = AMOUNT_FORMS.split(", %")[0]   # the forms without % and ms
    try:
        quantity = parse_quantity(text)
    except ValueError as exc:
        raise ValueError(str(exc).replace(AMOUNT_FORMS, amounts)) from None
    if quantity.kind in ("percent", "ms"):
        raise ValueError(f"{text!r} is not an amount; write {amounts}")
    if quantity.value.denominator != 1:
        raise ValueError(f"{text!r} is not a whole number")
    return int(quantity.value)


def numel(shape: Iterable[int] | None) -> int:
    """Elements of a tensor of `shape`; 0 for no shape (a row without a tensor)."""
    if shape is None:
        return 0
    return math.prod(shape)


def _scaled(value: float, scales: Sequence[tuple[float, str]], digits: int) -> str | None:
    """`value` in the unit of its magnitude (`scales` largest first), one unit up when the
    rounding shows 1000 there: 996,000 reads 996.00K, 999,999 reads 1.00M, never 1000.00K.
    None below the smallest unit, so 999 stays 999 rather than 1.00K."""
    magnitude = abs(value)
    if magnitude < scales[-1][0]:
        return None
    index = next(i for i, (scale, _) in enumerate(scales) if magnitude >= scale)
    if index > 0 and round(magnitude / scales[index][0], digits) >= 1000:
        index -= 1
    scale, suffix = scales[index]
    return f"{math.copysign(round(magnitude / scale, digits), value):.{digits}f}{suffix}"


_COUNT_UNITS = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K"))
_BYTE_UNITS = ((1e12, " TB"), (1e9, " GB"), (1e6, " MB"), (1e3, " kB"))


def humanize(value: float, digits: int = 2) -> str:
    """300774272 -> "300.77M" (with `digits` 1, "300.8M"); values under 1000 stay as they
    are."""
    return _scaled(value, _COUNT_UNITS, digits) or f"{value:g}"


def fmt_bytes(value: int) -> str:
    """Decimal units, as the papers use them (their "K" is 1000 bytes): 401408 -> "401.4 kB"."""
    return _scaled(value, _BYTE_UNITS, 1) or f"{value} B"


def fmt_int(value: int) -> str:
    """300774272 -> "300,774,272"."""
    return f"{value:,}"


def fmt_shape(shape: Sequence[int] | None) -> str:
    """(1, 3, 224, 224) -> "1x3x224x224", as --input takes it."""
    return "x".join(map(str, shape)) if shape else ""
