"""Render comparisons (`costlab compare`): models side by side, or their stages lined up."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
import tabulate as tabulate_module

from costlab.analyses.compare import CostComparison, Measurement, Metric, Unit, line_up_stages
from costlab.render.report import TERMINAL_WIDTH, Format, fmt_bytes, humanize, render_table

__all__ = ["fmt_metric", "fmt_ratio", "row_labels", "comparison_frame", "comparison_dict",
           "render_comparison", "render_stages"]



def fmt_metric(metric: Metric, value: int) -> str:
    """300774272 -> "300.77M" for a count, 9634560 -> "9.6 MB" for bytes."""
    return fmt_bytes(value) if metric.unit is Unit.BYTES else humanize(value)


def fmt_ratio(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio:.2f}x"


def comparison_dict(comparison: CostComparison) -> dict[str, Any]:
    """Plain JSON types: exact values, ratios and differences against the baseline."""
    return {
        "baseline": comparison.baseline.name,
        "conventions": {"params": str(comparison.params), "dtype": str(comparison.dtype)},
        "metrics": {m.key: m.means for m in comparison.metrics},
        "models": [{
            "name": row.name, "config": dict(row.config),
            "inputs": [list(s) for s in row.input_shapes],
            "metrics": dict(row.values),
            "ratios": {m.key: comparison.ratio(row, m.key) for m in comparison.metrics},
            "differences": {m.key: comparison.difference(row, m.key)
                            for m in comparison.metrics},
            "unsupported_ops": dict(row.unsupported),
        } for row in comparison.rows],
    }


def comparison_frame(comparison: CostComparison) -> pd.DataFrame:
    """One row per model: exact metric columns, then one `<metric>_ratio` column each."""
    records = [{"model": row.name, **row.values,
                **{f"{m.key}_ratio": comparison.ratio(row, m.key) for m in comparison.metrics}}
               for row in comparison.rows]
    return pd.DataFrame.from_records(records)


@contextmanager
def _tight_columns() -> Iterator[None]:
    """Columns as wide as their widest cell (tabulate pads headers by 2 by default), so that
    five metrics and their ratios fit in 100 columns."""
    saved = tabulate_module.MIN_PADDING
    tabulate_module.MIN_PADDING = 0
    try:
        yield
    finally:
        tabulate_module.MIN_PADDING = saved


def row_labels(rows: Sequence[Measurement]) -> tuple[list[str], str]:
    """Short row labels and what every row shares: variants of one model are told apart by
    the parameters that differ (`alpha=0.5`), other comparisons by their full names."""
    if len(rows) < 2 or len({row.model for row in rows}) > 1:
        return [row.name for row in rows], ""
    keys = list(dict.fromkeys(k for row in rows for k in row.config))
    differ = [k for k in keys if len({repr(row.config.get(k)) for row in rows}) > 1]
    if not differ:
        return [row.name for row in rows], ""
    labels = [",".join(f"{k}={row.config.get(k)}" for k in differ) for row in rows]
    same = ", ".join(f"{k}={rows[0].config[k]}" for k in keys if k not in differ
                     and k in rows[0].config)
    return labels, f"{rows[0].model}" + (f" at {same}" if same else "")


def _header(comparison: CostComparison, labels: Sequence[str], shared: str) -> list[str]:
    baseline = labels[comparison.rows.index(comparison.baseline)]
    lines = [shared] if shared else []
    lines += [f"ratios against {baseline}, the first named; FLOPs = 2 x MACs; params under the "
              f"'{comparison.params}' convention",
              f"memory at {comparison.dtype} (decimal units): peak mem = most activations live at "
              "once; max tensor = largest one"]
    for row in comparison.rows:
        if row.unsupported:
            listed = ", ".join(f"{op} x{n}" for op, n in row.unsupported.items())
            lines.append(f"{row.name}: ops without a cost rule, not counted: {listed}")
    return [part for line in lines for part in textwrap.wrap(line, width=TERMINAL_WIDTH)]


def render_comparison(comparison: CostComparison, fmt: Format | str = Format.TABLE) -> str:
    """The comparison in one format; deterministic for the same input."""
    fmt = Format(fmt)
    if fmt is Format.JSON:
        return json.dumps(comparison_dict(comparison), indent=2) + "\n"
    if fmt is Format.CSV:
        return comparison_frame(comparison).to_csv(index=False, lineterminator="\n")
    # In the terminal, a derived metric's ratio (FLOPs: always the MACs ratio) is left out so
    # that five metrics fit in 100 columns; the other formats carry every column.
    ratios = [m for m in comparison.metrics if not (fmt is Format.TABLE and m.derived)]
    labels, shared = row_labels(comparison.rows)
    headers = ["variant" if shared else "model"]
    for m in comparison.metrics:
        headers += [m.label] + (["ratio"] if m in ratios else [])
    rows = []
    for label, row in zip(labels, comparison.rows, strict=True):
        cells = [label]
        for m in comparison.metrics:
            cells.append(fmt_metric(m, row.values[m.key]))
            if m in ratios:
                cells.append(fmt_ratio(comparison.ratio(row, m.key)))
        rows.append(cells)
    with _tight_columns():
        table = render_table(headers, rows, fmt, ["left"] + ["right"] * (len(headers) - 1))
    return "\n".join([*_header(comparison, labels, shared), "", table]) + "\n"


def render_stages(comparison: CostComparison, fmt: Format | str = Format.TABLE) -> str:
    """One row per stage with MACs and params of every model; models are numbered [1], [2]..

    Raises OptionError when the models' stages do not line up.
    """
    fmt = Format(fmt)
    lined = line_up_stages(comparison.rows)
    models = comparison.rows
    if fmt in (Format.JSON, Format.CSV):
        records = [{"stage": path, "type": stages[0].kind,
                    **{f"{field} [{i}]": getattr(stage, field) for i, stage in
                       enumerate(stages, 1) for field in ("macs", "params")}}
                   for path, stages in lined]
        if fmt is Format.CSV:
            return pd.DataFrame.from_records(records).to_csv(index=False, lineterminator="\n")
        return json.dumps({"models": {str(i): row.name for i, row in enumerate(models, 1)},
                           "params": str(comparison.params), "stages": records}, indent=2) + "\n"
    base = models.index(comparison.baseline)
    headers = ["stage"]
    for field in ("MACs", "params"):
        for i in range(1, len(models) + 1):
            headers.append(f"{field} [{i}]")
            if i - 1 != base:
                headers.append("ratio")
    rows = []
    for path, stages in lined:
        cells = [path]
        for field in ("macs", "params"):
            ref = getattr(stages[base], field)
            for i, stage in enumerate(stages):
                value = getattr(stage, field)
                cells.append(humanize(value))
                if i != base:
                    cells.append(fmt_ratio(value / ref if ref else None))
        rows.append(cells)
    legend = [f"[{i}] {row.name}" + ("  (baseline)" if i - 1 == base else "")
              for i, row in enumerate(models, 1)]
    note = f"stages (depth-1 blocks); params under the '{comparison.params}' convention"
    with _tight_columns():
        table = render_table(headers, rows, fmt, ["left"] + ["right"] * (len(headers) - 1))
    return "\n".join([note, *legend, "", table]) + "\n"
