"""The papers' tables: a registry of table functions and the helpers they share.

A table is a function of an `Evaluator` (which analyzes each spec variant once) returning a
`PaperTable`; most rows come straight from the specs' `reported:` entries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from costlab.analyses.analysis import Analysis, analyze
from costlab.analyses.published import PUBLISHED_METRICS, Comparison, compare_entry, variant_config
from costlab.count.engine import LayerCost
from costlab.registry import registrar
from costlab.render.text import text_table
from costlab.spec.catalog import load_named_spec
from costlab.spec.schema import ArchSpec, Reported, Scalar
from costlab.units import Shape

__all__ = ["Section", "PaperTable", "Evaluator", "TABLES", "paper_table", "entry_rows",
           "conv_shapes", "render_report"]


@dataclass(frozen=True)
class Section:
    """One table of a report, under an optional heading."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    heading: str = ""


@dataclass(frozen=True)
class PaperTable:
    """A reproduced table: one or more sections of rows, and notes on what was assumed."""

    title: str
    source: str
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = ()
    conventions: tuple[str, ...] = ()


class Evaluator:
    """Analyzes each (spec, configuration) once per run."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str, tuple[tuple[str, Scalar], ...]], Analysis] = {}
        self._specs: dict[str, ArchSpec] = {}

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

    def judge(self, name: str, entry: Reported) -> Comparison | None:
        """The verdict on one published entry, or None for a metric costlab does not compute."""
        if entry.metric not in PUBLISHED_METRICS:
            return None
        result = self.analysis(name, variant_config(self.spec(name), entry))
        metric = PUBLISHED_METRICS[entry.metric]
        return compare_entry(entry, metric(result.trace, result.full_cost, entry))


TableFn = Callable[[Evaluator], PaperTable]
TABLES: dict[str, TableFn] = {}


paper_table = registrar(TABLES, "table")
"""`@paper_table("slug")` registers a table under its report's name, `reports/<slug>.md`."""


ENTRY_HEADERS = ("model", "variant", "metric", "published", "computed", "difference",
                 "verdict", "note")


def _variant(entry: Reported) -> str:
    return ", ".join(f"{k}={v}" for k, v in entry.variant.items()) or "default"


def entry_rows(evaluator: Evaluator, selectors: Iterable[tuple[str, str, str | None]]
               ) -> list[tuple[str, ...]]:
    """Rows for every reported entry of (spec, source, table or None for any table)."""
    rows: list[tuple[str, ...]] = []
    for name, source, table in selectors:
        spec = evaluator.spec(name)
        for entry in spec.reported:
            if entry.source != source or (table is not None and entry.table != table):
                continue
            judged = evaluator.judge(name, entry)
            if judged is None:
                rows.append((spec.title, _variant(entry), entry.metric, entry.published, "",
                             "", "as published (not computed)", entry.note))
                continue
            metric = f"{entry.metric}@{entry.at}" if entry.at else entry.metric
            rows.append((spec.title, _variant(entry), f"{metric} [{judged.convention}]",
                         entry.published,
                         f"{judged.computed:,}", f"{judged.diff_pct:+.2f}%", judged.verdict,
                         entry.note))
    return rows


def conv_shapes(row: LayerCost) -> tuple[Shape, Shape, Shape]:
    """(input shape, output shape, kernel) of the row of a conv layer that ran.

    Raises ValueError for a row without them (a container, or a layer the trace never
    reached): a table that picks conv layers by path has the wrong path.
    """
    if row.input_shape is None or row.output_shape is None or row.kernel is None:
        raise ValueError(f"layer {row.path!r} has no input/output shape or kernel")
    return row.input_shape, row.output_shape, row.kernel


_NUMBER = re.compile(r"^[+-]?[\d,]*\.?\d+\s*(%|K|M|G| points)?$")


def _is_number(text: str) -> bool:
    return bool(_NUMBER.match(text))


def _markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A pipe table; columns whose every cell is a number are right-aligned."""
    align = ["right" if rows and all(_is_number(r[i]) or not r[i] for r in rows)
             and any(r[i] for r in rows) else "left" for i in range(len(headers))]
    return text_table(headers, rows, "pipe", align, tight=False)


def render_report(slug: str, table: PaperTable) -> str:
    """The markdown report; deterministic (no dates), so --check can compare it byte for byte."""
    from costlab import __version__
    parts = [f"# {table.title}", "",
             f"Source: {table.source}.", "",
             f"Generated by `costlab reproduce {slug}` (costlab {__version__}). Do not edit: "
             "`costlab reproduce --check` fails when this file and the code disagree.", ""]
    if table.conventions:
        parts += ["Conventions:", ""] + [f"- {c}" for c in table.conventions] + [""]
    for section in table.sections:
        if section.heading:
            parts += [f"## {section.heading}", ""]
        parts += [_markdown_table(section.headers, section.rows), ""]
    if table.notes:
        parts += ["Notes:", ""] + [f"- {n}" for n in table.notes] + [""]
    return "\n".join(parts)
