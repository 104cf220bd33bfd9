"""One verdict vocabulary for a printed figure against the computed one, everywhere costlab
judges one: `costlab report` and `memory`, the sweep's joined figures and the claims of
reports/ (exact, rounded, explained, differs, published only).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import StrEnum

from costlab.units import parse_quantity

__all__ = ["APPROXIMATE", "parse_published", "significant_digits", "Verdict", "VERDICT_MEANINGS",
           "rounding", "judge", "approximately", "fmt_number"]

# Within 5%: a stated factor holds approximately, and a figure may be read as the computed
# one rounded to its significant digits ("600K" for 627,200, never "200K" for 150,528).
APPROXIMATE = 0.05


def parse_published(text: str) -> tuple[float, float]:
    """(value, one unit of the last printed digit) of a figure as printed: "3.47M" ->
    (3,470,000, 10,000); "47MB" is bytes (47,000,000)."""
    quantity = parse_quantity(text)
    return float(quantity.value), float(quantity.precision)


class Verdict(StrEnum):
    """The one verdict vocabulary of reports/."""

    EXACT = "exact"
    ROUNDED = "rounded"
    EXPLAINED = "explained"
    DIFFERS = "differs"
    PUBLISHED_ONLY = "published only"


VERDICT_MEANINGS: dict[Verdict, str] = {
    Verdict.EXACT: "the printed figure is the computed one digit for digit, or the statement "
                   "holds exactly on the architecture",
    Verdict.ROUNDED: "the printed figure is the computed one rounded or cut to the digits it "
                     "shows (the reading says which); a statement that holds only approximately",
    Verdict.EXPLAINED: "costlab's default convention does not give the printed figure, but the "
                       "reading named beside it (another convention, variant, counting mistake "
                       "or misprint), computed by code, does",
    Verdict.DIFFERS: "no reading found reproduces the printed figure, or the computation "
                     "contradicts the statement",
    Verdict.PUBLISHED_ONLY: "a measurement costlab does not compute (accuracy, phone latency, "
                            "frames per second, training time): shown as published",
}


def significant_digits(published: str) -> int:
    """Digits that carry information in a printed figure; an integer's trailing zeros do not
    ("1600K" has 2, "3.47M" 3, "4,221,032" 7)."""
    digits = "".join(c for c in str(published) if c.isdigit() or c == ".").lstrip("0.")
    if "." not in str(published):
        digits = digits.rstrip("0")
    return max(1, len(digits.replace(".", "")))


def fmt_number(value: float) -> str:
    """Integers with thousands separators, other values to 4 significant digits."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.1f}"


def rounding(published: str, computed: float) -> str | None:
    """How the printed figure comes from `computed`: "" when it is the same number, a phrase
    naming the rounding when it is `computed` rounded or cut (to the printed digits, or, within
    5%, to its significant digits: "600K" is 627,200 to 1 significant digit), None
    otherwise."""
    value, precision = parse_published(published)
    if value == computed:
        return ""
    if abs(computed - value) <= precision / 2 * (1 + 1e-9):
        return "rounded to the printed digits"
    if value <= computed < value + precision:
        return "cut to the printed digits"
    digits = significant_digits(published)
    if computed > 0 and abs(computed - value) <= APPROXIMATE * value:
        unit = 10.0 ** (math.floor(math.log10(computed)) - digits + 1)
        plural = "s" * (digits > 1)
        if math.isclose(round(computed / unit) * unit, value, rel_tol=1e-9):
            return f"rounded to {digits} significant digit{plural}"
        if math.isclose(math.floor(computed / unit) * unit, value, rel_tol=1e-9):
            return f"cut to {digits} significant digit{plural}"
    return None


def approximately(claimed: float, computed: float) -> Verdict:
    """A stated factor or ratio: exact, rounded (within 5%), or differs."""
    if claimed == computed:
        return Verdict.EXACT
    return Verdict.ROUNDED if abs(computed / claimed - 1) <= APPROXIMATE else Verdict.DIFFERS


def judge(published: str, computed: float, readings: Sequence[tuple[str, float]] = (), *,
          exact: bool = False) -> tuple[Verdict, str]:
    """The verdict on a printed figure against the computed one, trying the named readings
    (label, value) in order when the computed figure does not give it; returns the verdict
    and the reading that explains it. With `exact` (a count: layers, channels), only the
    same number matches."""
    if exact:
        value = parse_published(published)[0]
        if value == computed:
            return Verdict.EXACT, ""
        for label, other in readings:
            if value == other:
                return Verdict.EXPLAINED, f"{label}: {fmt_number(other)}"
        tried = "; ".join(f"{label}: {fmt_number(v)}" for label, v in readings)
        return Verdict.DIFFERS, f"none reproduces it ({tried})" if tried else ""
    found = rounding(published, computed)
    if found == "":
        return Verdict.EXACT, ""
    if found is not None:
        return Verdict.ROUNDED, found
    for label, value in readings:
        found = rounding(published, value)
        if found is not None:
            how = f" ({found})" if found else ""
            return Verdict.EXPLAINED, f"{label}: {fmt_number(value)}{how}"
    tried = "; ".join(f"{label}: {fmt_number(value)}" for label, value in readings)
    return Verdict.DIFFERS, f"none reproduces it ({tried})" if tried else ""
