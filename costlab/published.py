"""Published figures beside computed ones, with a verdict that names the convention used."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from costlab.count import ModelCost
from costlab.params import ParamConvention, count_params
from costlab.spec import ArchSpec, Reported, Scalar
from costlab.trace import Trace

__all__ = ["Comparison", "variant_matches", "compare_reported", "verdict"]

# The MobileNet papers count conv and linear weights and leave batch norm out.
DEFAULT_PARAM_CONVENTION = ParamConvention.WEIGHTS


@dataclass(frozen=True, slots=True)
class Comparison:
    """One published figure and what the architecture really gives."""

    entry: Reported
    computed: int
    convention: str
    diff_pct: float
    verdict: str


def variant_matches(spec: ArchSpec, entry: Reported, config: Mapping[str, Scalar]) -> bool:
    """True when the entry's variant (defaults filled in) is the configuration analyzed."""
    for name, param in spec.params.items():
        wanted = entry.variant.get(name, param.default)
        have = config.get(name, param.default)
        if isinstance(wanted, float) or isinstance(have, float):
            if not math.isclose(float(wanted), float(have), rel_tol=1e-9):  # type: ignore[arg-type]
                return False
        elif wanted != have:
            return False
    return True


def verdict(published: float, precision: float, computed: float) -> str:
    """`match` within the printed rounding, `match (truncated)` when the printed figure is
    the computed one cut to its digits, otherwise `differs`."""
    if abs(computed - published) <= precision / 2 * (1 + 1e-9):
        return "match"
    if published <= computed < published + precision:
        return "match (truncated)"
    return "differs"


def compare_reported(spec: ArchSpec, config: Mapping[str, Scalar], trace: Trace,
                     cost: ModelCost) -> list[Comparison]:
    """Every MAC and parameter figure the spec reports for this configuration."""
    metrics: dict[str, Callable[[str | None], tuple[int, str]]] = {
        "macs": lambda _: (cost.totals.macs, "macs"),
        "flops": lambda _: (cost.totals.flops, "flops (2 x macs)"),
        "params": lambda c: (sum(count_params(trace, c or DEFAULT_PARAM_CONVENTION).values()),
                             f"params ({c or DEFAULT_PARAM_CONVENTION})"),
    }
    rows = []
    for entry in spec.reported:
        if entry.metric not in metrics or not variant_matches(spec, entry, config):
            continue
        computed, convention = metrics[entry.metric](entry.convention)
        diff = (entry.value - computed) / computed * 100 if computed else math.inf
        rows.append(Comparison(entry, computed, convention, diff,
                               verdict(entry.value, entry.precision, computed)))
    return rows
