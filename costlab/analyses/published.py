"""Published figures beside computed ones, judged in the one verdict vocabulary.

Each metric a spec can report (`macs`, `params`, ...) has one function that returns the
computed value under every convention it knows, the paper's usual convention first; the
verdict says which one, if any, reproduces the printed figure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from costlab.analyses.memory import ResolutionMax, largest_per_resolution
from costlab.analyses.structure import ModelStructure
from costlab.analyses.verdicts import Verdict, judge
from costlab.choices import DType, View
from costlab.count.engine import ModelCost
from costlab.count.params import ParamConvention, count_params
from costlab.registry import registrar
from costlab.render.section import Column, Section, Unit
from costlab.spec.document import REPORTED_METRICS
from costlab.spec.schema import ArchSpec, Reported, Scalar
from costlab.spec.sources import cite, sources_note
from costlab.trace.recorder import Trace

__all__ = ["Comparison", "FigureSources", "PUBLISHED_METRICS", "register_published_metric",
           "variant_matches", "variant_config", "compare_entry", "compare_reported",
           "judge_reported", "RECORD_KEYS", "published_record", "published_rows",
           "published_section"]

# Figures that are counts: a printed count matches only digit for digit.
COUNTS = frozenset({"max_channels"})

# Figures of one image's activations (Table 3): judged at batch 1 only.
MEMORY_FIGURES = frozenset({"memory_bytes", "max_channels", "max_memory_bytes"})

# The MobileNet papers count conv and linear weights and leave batch norm out.
DEFAULT_PARAM_CONVENTION = ParamConvention.WEIGHTS

Candidates = dict[str, int]   # convention label -> computed value; the first is the default


class FigureSources:
    """What published figures are computed from: the trace and counts of one analysis, with
    the per-view Table 3 maxima and the per-convention parameter counts each computed once,
    however many figures of a spec read them."""

    def __init__(self, trace: Trace, cost: ModelCost) -> None:
        self.trace, self.cost = trace, cost
        self._structure: ModelStructure | None = None   # read once, for every view
        self._maxima: dict[View, list[ResolutionMax]] = {}
        self._params: dict[ParamConvention, int] = {}

    def maxima(self, view: View) -> list[ResolutionMax]:
        """The largest tensor per resolution under `view`, at 16 bits as Table 3 prints."""
        if view not in self._maxima:
            self._structure = self._structure or ModelStructure(self.trace)
            self._maxima[view] = largest_per_resolution(self.trace, view, DType.FP16,
                                                        structure=self._structure)
        return self._maxima[view]

    def params(self, convention: ParamConvention) -> int:
        if convention not in self._params:
            self._params[convention] = sum(count_params(self.trace, convention).values())
        return self._params[convention]


MetricFn = Callable[[FigureSources, Reported], Candidates]
PUBLISHED_METRICS: dict[str, MetricFn] = {}


_register = registrar(PUBLISHED_METRICS, "metric")


def register_published_metric(name: str) -> Callable[[MetricFn], MetricFn]:
    """`@register_published_metric("macs")`: how a reported figure is computed from an
    analysis. `name` must be one a spec may report (spec/document.py, REPORTED_METRICS, where
    the names live); ValueError at import otherwise."""
    if name not in REPORTED_METRICS:
        raise ValueError(f"published metric {name!r} is not one a spec may report; add it to "
                         "REPORTED_METRICS in costlab/spec/document.py")
    return _register(name)


_VIEWS = (View.BLOCKS, View.BOTTLENECKS, View.ALL)   # the spec's usual reading first


@register_published_metric("macs")
def _macs(sources: FigureSources, entry: Reported) -> Candidates:
    t = sources.cost.totals
    return {"macs": t.macs, "flops (2 x macs)": t.flops,
            "macs + element-wise ops": t.macs + t.elementwise}


@register_published_metric("flops")
def _flops(sources: FigureSources, entry: Reported) -> Candidates:
    t = sources.cost.totals
    return {"flops (2 x macs)": t.flops, "macs": t.macs,
            "2 x macs + element-wise ops": t.flops_with_elementwise}


@register_published_metric("params")
def _params(sources: FigureSources, entry: Reported) -> Candidates:
    first = ParamConvention(entry.convention or DEFAULT_PARAM_CONVENTION)
    order = [first] + [c for c in ParamConvention if c is not first]
    return {f"{c} params": sources.params(c) for c in order}


def _at_resolution(sources: FigureSources, entry: Reported, view: View
                   ) -> ResolutionMax | None:
    height, _, width = entry.at.partition("x")
    for row in sources.maxima(view):
        if (str(row.height), str(row.width)) == (height, width or height):
            return row
    return None


def _per_resolution(field: str) -> MetricFn:
    """Table 3's figures at one resolution, 16-bit, under each view (blocks first)."""
    def metric(sources: FigureSources, entry: Reported) -> Candidates:
        found = {}
        for view in _VIEWS:
            row = _at_resolution(sources, entry, view)
            found[f"{view} view"] = getattr(row, field) if row else 0
        return found
    return metric


@register_published_metric("max_memory_bytes")
def _max_memory(sources: FigureSources, entry: Reported) -> Candidates:
    """Table 3's last row: the largest of the per-resolution maxima, 16-bit, per view."""
    return {f"{view} view": max((r.bytes for r in sources.maxima(view)), default=0)
            for view in _VIEWS}


register_published_metric("memory_bytes")(_per_resolution("bytes"))
register_published_metric("max_channels")(_per_resolution("channels"))


@dataclass(frozen=True, slots=True)
class Comparison:
    """One published figure and what the architecture really gives."""

    entry: Reported
    computed: int
    convention: str
    diff_pct: float
    verdict: str
    reading: str = ""       # how the printed figure comes from the computed one, or what does
    explained_by: str = ""  # the convention that gives the printed figure, when another does

    @property
    def shown_verdict(self) -> str:
        """The verdict as a table shows it, naming the convention that explains the figure."""
        return f"{self.verdict} ({self.explained_by})" if self.explained_by else self.verdict


def variant_config(spec: ArchSpec, entry: Reported) -> dict[str, Scalar]:
    """The full parameter set an entry was published for: defaults with its variant applied."""
    return {name: entry.variant.get(name, p.default) for name, p in spec.params.items()}


def variant_matches(spec: ArchSpec, entry: Reported, config: Mapping[str, Scalar]) -> bool:
    """True when the entry's variant (defaults filled in) is the configuration analyzed."""
    for name, wanted in variant_config(spec, entry).items():
        have = config.get(name, spec.params[name].default)
        if isinstance(wanted, float) or isinstance(have, float):
            if not math.isclose(float(wanted), float(have), rel_tol=1e-9):
                return False
        elif wanted != have:
            return False
    return True


def compare_entry(entry: Reported, candidates: Candidates, prefer: str | None = None,
                  readings: Sequence[tuple[str, float]] = ()) -> Comparison:
    """Judges one entry in the vocabulary of reports/: the default convention (or `prefer`,
    when it is one of the candidates, such as the memory view a user asked for) first, then
    the others, then `readings` (a paper's own: a misprint, another layout), as readings that
    may explain the printed figure. A count (channels) matches only digit for digit."""
    if prefer in candidates:
        candidates = {prefer: candidates[prefer]} | candidates
    (label, value), *conventions = candidates.items()
    others = [*conventions, *readings]
    diff = (entry.value - value) / value * 100 if value else math.inf
    found, reading = judge(entry.published, value, others, exact=entry.metric in COUNTS)
    explained_by = next((other for other, _ in others if reading.startswith(f"{other}: ")), "")
    return Comparison(entry, value, label, diff, str(found), reading,
                      explained_by if found is Verdict.EXPLAINED else "")


def compare_reported(spec: ArchSpec, config: Mapping[str, Scalar], trace: Trace,
                     cost: ModelCost, prefer: str | None = None) -> list[Comparison]:
    """Every computable figure the spec reports for this configuration. Memory figures were
    published for one image: at another batch they are shown as not comparable."""
    batch = trace.inputs[0].shape[0] if trace.inputs and trace.inputs[0].shape else 1
    return judge_reported(spec, config, FigureSources(trace, cost), batch, prefer)


def judge_reported(spec: ArchSpec, config: Mapping[str, Scalar], sources: FigureSources,
                   batch: int, prefer: str | None = None) -> list[Comparison]:
    """compare_reported from what the figures are computed from (the sweep's block cache
    gives them without a trace of the whole model)."""
    judged = []
    for entry in spec.reported:
        if entry.metric not in PUBLISHED_METRICS or not variant_matches(spec, entry, config):
            continue
        found = compare_entry(entry, PUBLISHED_METRICS[entry.metric](sources, entry), prefer)
        if batch != 1 and entry.metric in MEMORY_FIGURES:
            found = replace(found, verdict=f"not comparable (batch {batch}; published for "
                                           "one image)")
        judged.append(found)
    return judged


# The one JSON shape of a published figure judged against the computed one, in report, memory
# (its `published` list and each per-resolution row) and sweep rows alike.
RECORD_KEYS = ("source", "table", "citation", "metric", "at", "variant", "published",
               "published_value", "computed", "counted_as", "difference_pct", "verdict",
               "reading")


def published_record(c: Comparison) -> dict[str, Any]:
    """One judged figure as plain JSON types, under RECORD_KEYS."""
    return {
        "source": c.entry.source, "table": c.entry.table,
        "citation": cite(c.entry.source, c.entry.table), "metric": c.entry.metric,
        "at": c.entry.at, "variant": dict(c.entry.variant), "published": c.entry.published,
        "published_value": c.entry.value, "computed": c.computed, "counted_as": c.convention,
        "difference_pct": round(c.diff_pct, 2) if math.isfinite(c.diff_pct) else None,
        "verdict": c.verdict, "reading": c.reading}


def published_rows(comparisons: Iterable[Comparison]) -> list[dict[str, Any]]:
    """The records of a published section, with what its table alone shows (private keys)."""
    return [{**published_record(c), "_verdict": c.shown_verdict,
             "_metric": f"{c.entry.metric}@{c.entry.at}" if c.entry.at else c.entry.metric}
            for c in comparisons]


def published_section(comparisons: Sequence[Comparison], title: str,
                      notes: Sequence[str] = ()) -> Section:
    """Published beside computed, with the difference and the verdict."""
    columns = (Column("citation", "source"), Column("_metric", "metric"),
               Column("counted_as", "counted as", priority=2),
               Column("published", "published", Unit.INT),
               Column("computed", "computed", Unit.INT),
               Column("difference_pct", "diff", Unit.CHANGE),
               Column("verdict", "verdict", show="data"),
               Column("_verdict", "verdict", show="text"),
               Column("reading", "reading", priority=1))
    footnote = sources_note(c.entry.source for c in comparisons)
    return Section("published", title, columns, tuple(published_rows(comparisons)),
                   (*notes, *([footnote] if footnote else [])))
