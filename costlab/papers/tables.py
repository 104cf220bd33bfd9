"""The papers' tables: a registry of table functions and the helpers they share.

A table is a function of an `Evaluator` (which analyzes each spec variant once) returning a
`PaperTable`: computed sections (render sections of raw values), and the claims of the source
documents it judges (many come straight from the specs' `reported:` entries). A report is the
table as a page, written by render's markdown writer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from costlab.analyses.analysis import Analysis, analyze
from costlab.analyses.published import (
    PUBLISHED_METRICS,
    FigureSources,
    compare_entry,
    variant_config,
)
from costlab.analyses.sweep_cache import WORKER_CACHE, compose
from costlab.analyses.training import TrainingMemory, training_memory
from costlab.analyses.verdicts import Verdict
from costlab.count.engine import LayerCost
from costlab.models.resolve import resolve_model
from costlab.papers.claims import CLAIM_HEADERS, Claim, claim_from
from costlab.registry import registrar
from costlab.render import Column, Document, Section, Unit, write
from costlab.spec.catalog import load_named_spec
from costlab.spec.schema import ArchSpec, Reported, Scalar
from costlab.units import Shape

__all__ = ["PaperTable", "Evaluator", "TABLES", "paper_table", "entry_claim", "entry_claims",
           "table_section", "conv_shapes", "claims_section", "report_document", "render_report"]


@dataclass(frozen=True)
class PaperTable:
    """A reproduced table: one or more sections of rows, and notes on what was assumed."""

    title: str
    source: str
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = ()
    conventions: tuple[str, ...] = ()
    claims: tuple[Claim, ...] = ()


class Evaluator:
    """Analyzes each (spec, configuration) once per run."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str, tuple[tuple[str, Scalar], ...]], Analysis] = {}
        self._specs: dict[str, ArchSpec] = {}
        self._training: dict[tuple[str, int, str], TrainingMemory] = {}
        self._figures: dict[int, FigureSources] = {}   # by id of an analysis _cache keeps

    def spec(self, name: str) -> ArchSpec:
        if name not in self._specs:
            self._specs[name] = load_named_spec(name)
        return self._specs[name]

    def analysis(self, name: str, config: Mapping[str, Scalar] | None = None, *,
                 convention: str = "torch") -> Analysis:
        """The spec analyzed at its defaults with `config` applied, parameters counted
        under `convention`."""
        spec = self.spec(name)
        full = {**{k: p.default for k, p in spec.params.items()}, **(config or {})}
        key = (name, convention, tuple(sorted(full.items())))
        if key not in self._cache:
            self._cache[key] = analyze(spec, settings=full, params=convention)
        return self._cache[key]

    def totals(self, name: str, config: Mapping[str, Scalar] | None = None, *,
               convention: str = "torch") -> Mapping[str, int | float]:
        """MACs and parameters alone, as `analysis(...).totals` gives them: composed from the
        sweep's per-block cost cache where the spec is a chain of cached blocks (exact:
        tests/analyses/test_sweep_cache.py), else from the analysis. The grids of the papers
        ask for dozens of configurations made of the same blocks."""
        composed = compose(name, dict(config or {}), ("macs", "params"), convention, "fp32",
                           WORKER_CACHE, judged=False)
        if composed is None:
            return self.analysis(name, config, convention=convention).totals
        return composed.values

    def training(self, name: str, batch: int, optimizer: str = "sgd") -> TrainingMemory:
        """One fp32 training step of the spec at its defaults (`costlab memory --training`)."""
        key = (name, batch, optimizer)
        if key not in self._training:
            target = resolve_model(name, batch=batch)
            self._training[key] = training_memory(target.module, target.inputs,
                                                  optimizer=optimizer)
        return self._training[key]

    def candidates(self, name: str, entry: Reported) -> dict[str, int]:
        """What the architecture gives for a published entry, under every convention its
        metric knows (the default first); empty for a metric costlab does not compute."""
        if entry.metric not in PUBLISHED_METRICS:
            return {}
        result = self.analysis(name, variant_config(self.spec(name), entry))
        if id(result) not in self._figures:
            self._figures[id(result)] = FigureSources(result.trace, result.full_cost)
        return PUBLISHED_METRICS[entry.metric](self._figures[id(result)], entry)


TableFn = Callable[[Evaluator], PaperTable]
TABLES: dict[str, TableFn] = {}


paper_table = registrar(TABLES, "table")
"""`@paper_table("slug")` registers a table under its report's name, `reports/<slug>.md`."""


def _variant(entry: Reported) -> str:
    return ", ".join(f"{k}={v}" for k, v in entry.variant.items())


def entry_claim(evaluator: Evaluator, name: str, entry: Reported,
                readings: Sequence[tuple[str, float]] = ()) -> Claim:
    """One `reported:` entry judged: the default convention first, then every other one the
    metric knows, then the paper-specific `readings` (label, value)."""
    spec = evaluator.spec(name)
    where = f" at {entry.at}" if entry.at else ""
    variant = f" ({_variant(entry)})" if entry.variant else ""
    what = f"{entry.metric}{where} of {spec.title}{variant}" + \
        (f": {entry.note}" if entry.note else "")
    table = entry.table or "text"
    candidates = evaluator.candidates(name, entry)
    if not candidates:
        return Claim(entry.source, table, what, entry.published, "", "",
                     Verdict.PUBLISHED_ONLY)
    return claim_from(compare_entry(entry, candidates, readings=readings), what, table)


def entry_claims(evaluator: Evaluator, selectors: Iterable[tuple[str, str, str | None]]
                 ) -> list[Claim]:
    """Every reported entry of (spec, source, table or None for any table), judged."""
    return [entry_claim(evaluator, name, entry)
            for name, source, table in selectors
            for entry in evaluator.spec(name).reported
            if entry.source == source and (table is None or entry.table == table)]


def table_section(key: str, title: str, columns: Sequence[Column],
                  rows: Iterable[Sequence[Any]], intro: tuple[str, ...] = ()) -> Section:
    """A table whose rows list their raw values (numbers unformatted: the writer formats
    them by each column's unit) in the order of `columns`."""
    return Section(key, title, tuple(columns), tuple(
        dict(zip((c.key for c in columns), row, strict=True)) for row in rows), intro=intro)


def conv_shapes(row: LayerCost) -> tuple[Shape, Shape, Shape]:
    """(input shape, output shape, kernel) of the row of a conv layer that ran.

    Raises ValueError for a row without them (a container, or a layer the trace never
    reached): a table that picks conv layers by path has the wrong path.
    """
    if row.input_shape is None or row.output_shape is None or row.kernel is None:
        raise ValueError(f"layer {row.path!r} has no input/output shape or kernel")
    return row.input_shape, row.output_shape, row.kernel


_CLAIM_UNITS = {"published": Unit.PRINTED, "computed": Unit.PRINTED}
_VERDICTS = "Verdicts (exact, rounded, explained, differs, published only) are defined in " \
    "[README.md](README.md)."


def claims_section(claims: Sequence[Claim]) -> Section:
    """The claims a report judges, one row each; published and computed figures align right
    where every one reads as a number."""
    columns = [Column(h, h, _CLAIM_UNITS.get(h, Unit.TEXT)) for h in CLAIM_HEADERS]
    return table_section("claims", "Claims judged", columns, (c.row() for c in claims),
                         intro=(_VERDICTS,))


def report_document(slug: str, table: PaperTable, version: str) -> Document:
    """A report as a page: source and provenance, conventions, the computed tables, the
    claims judged and the notes."""
    heading = (f"Source: {table.source}.",
               f"Generated by `costlab reproduce {slug}` (costlab {version}). Do not edit: "
               "`costlab reproduce --check` fails when this file and the code disagree.")
    sections = [Section("conventions", "Conventions", (), (), table.conventions)
                ] if table.conventions else []
    sections += table.sections
    if table.claims:
        sections.append(claims_section(table.claims))
    if table.notes:
        sections.append(Section("notes", "Notes", (), (), table.notes))
    return Document("reproduction", heading, tuple(sections),
                    {"table": slug, "source": table.source}, title=table.title, page=True)


def render_report(slug: str, table: PaperTable) -> str:
    """The markdown report; deterministic (no dates), so --check can compare it byte for byte."""
    from costlab.__about__ import __version__
    return write(report_document(slug, table, __version__), "markdown")
