"""Published figures beside computed ones, with a verdict that names the convention used.

Each metric a spec can report (`macs`, `params`, ...) has one function that returns the
computed value under every convention it knows, the paper's usual convention first; the
verdict says which one, if any, reproduces the printed figure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from costlab.count import ModelCost
from costlab.params import ParamConvention, count_params
from costlab.registry import registrar
from costlab.spec import ArchSpec, Reported, Scalar
from costlab.trace import Trace

__all__ = ["Comparison", "METRICS", "register_metric", "variant_matches", "variant_config",
           "compare_entry", "compare_reported", "verdict"]

# The MobileNet papers count conv and linear weights and leave batch norm out.
DEFAULT_PARAM_CONVENTION = ParamConvention.WEIGHTS

Candidates = dict[str, int]   # convention label -> computed value; the first is the default
MetricFn = Callable[[Trace, ModelCost, Reported], Candidates]
METRICS: dict[str, MetricFn] = {}


register_metric = registrar(METRICS, "metric")
"""`@register_metric("macs")`: how a reported metric is computed from the trace and counts."""


@register_metric("macs")
def _macs(trace: Trace, cost: ModelCost, entry: Reported) -> Candidates:
    t = cost.totals
    return {"macs": t.macs, "flops (2 x macs)": t.flops,
            "macs + element-wise ops": t.macs + t.elementwise}


@register_metric("flops")
def _flops(trace: Trace, cost: ModelCost, entry: Reported) -> Candidates:
    t = cost.totals
    return {"flops (2 x macs)": t.flops, "macs": t.macs,
            "2 x macs + element-wise ops": t.flops_with_elementwise}


@register_metric("params")
def _params(trace: Trace, cost: ModelCost, entry: Reported) -> Candidates:
    first = ParamConvention(entry.convention or DEFAULT_PARAM_CONVENTION)
    order = [first] + [c for c in ParamConvention if c is not first]
    return {f"params ({c})": sum(count_params(trace, c).values()) for c in order}


@dataclass(frozen=True, slots=True)
class Comparison:
    """One published figure and what the architecture really gives."""

    entry: Reported
    computed: int
    convention: str
    diff_pct: float
    verdict: str


def variant_config(spec: ArchSpec, entry: Reported) -> dict[str, Scalar]:
    """The full parameter set an entry was published for: defaults with its variant applied."""
    return {name: entry.variant.get(name, p.default) for name, p in spec.params.items()}


def variant_matches(spec: ArchSpec, entry: Reported, config: Mapping[str, Scalar]) -> bool:
    """True when the entry's variant (defaults filled in) is the configuration analyzed."""
    for name, wanted in variant_config(spec, entry).items():
        have = config.get(name, spec.params[name].default)
        if isinstance(wanted, float) or isinstance(have, float):
            if not math.isclose(float(wanted), float(have), rel_tol=1e-9):  # type: ignore[arg-type]
                return False
        elif wanted != have:
            return False
    return True


def _within(published: float, precision: float, computed: float) -> str | None:
    if abs(computed - published) <= precision / 2 * (1 + 1e-9):
        return "match"
    if published <= computed < published + precision:
        return "match (truncated)"
    return None


def verdict(published: float, precision: float, computed: float) -> str:
    """`match` within the printed rounding, `match (truncated)` when the printed figure is
    the computed one cut to its digits, otherwise `differs`."""
    return _within(published, precision, computed) or "differs"


def compare_entry(entry: Reported, candidates: Candidates) -> Comparison:
    """Judges one entry: the default convention first, then any other that reproduces it."""
    (label, value), *others = candidates.items()
    diff = (entry.value - value) / value * 100 if value else math.inf
    found = _within(entry.value, entry.precision, value)
    if found:
        return Comparison(entry, value, label, diff, found)
    for other, other_value in others:
        if _within(entry.value, entry.precision, other_value):
            return Comparison(entry, value, label, diff, f"match under {other}")
    return Comparison(entry, value, label, diff, "differs")


def compare_reported(spec: ArchSpec, config: Mapping[str, Scalar], trace: Trace,
                     cost: ModelCost) -> list[Comparison]:
    """Every computable figure the spec reports for this configuration."""
    return [compare_entry(entry, METRICS[entry.metric](trace, cost, entry))
            for entry in spec.reported
            if entry.metric in METRICS and variant_matches(spec, entry, config)]
