"""What `costlab compare` shows, as a neutral document: one row per model with every metric
and its ratio to the baseline, or the stages of one family side by side."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from costlab.analyses.compare import CostComparison, line_up_stages
from costlab.analyses.measurement import Measurement
from costlab.analyses.metrics import MetricKind, stage_figures
from costlab.errors import OptionError
from costlab.render.section import Column, Document, Section, Unit

__all__ = ["row_labels", "comparison_document", "stages_document"]


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


def _conventions(comparison: CostComparison) -> dict[str, str]:
    """What a gloss may name: `{params}` and `{dtype}`."""
    return {"params": str(comparison.params), "dtype": str(comparison.dtype)}


def _heading(comparison: CostComparison, labels: Sequence[str], shared: str) -> list[str]:
    """What the rows share, then the catalog's gloss of each column shown: counts on the
    ratios' line, memory (at the comparison's dtype) on its own, measured ones one each."""
    baseline = labels[comparison.rows.index(comparison.baseline)]
    conventions = _conventions(comparison)
    counted = [m for m in comparison.metrics if m.kind is MetricKind.COUNTED]
    counts = [m.glossed(**conventions) for m in counted if m.unit is not Unit.BYTES]
    memory = [m.glossed(**conventions) for m in counted if m.unit is Unit.BYTES]
    lines = [shared] if shared else []
    lines.append("; ".join([f"ratios against {baseline}, the first named",
                            *filter(None, counts)]))
    if memory:
        lines.append(f"memory at {comparison.dtype} (decimal units): "
                     + "; ".join(filter(None, memory)))
    lines += [f"{m.label}: measured on this machine, not counted ({m.means.split(': ', 1)[-1]})"
              for m in comparison.metrics if m.kind is MetricKind.MEASURED]
    for row in comparison.rows:
        if row.unsupported:
            listed = ", ".join(f"{op} x{n}" for op, n in row.unsupported.items())
            lines.append(f"{row.name}: ops without a cost rule, not counted: {listed}")
    return lines


def comparison_document(comparison: CostComparison) -> Document:
    """One row per model: each metric, exact in CSV and JSON, and its ratio to the baseline
    (a derived metric's ratio, FLOPs', repeats another's: the terminal leaves it out first)."""
    labels, shared = row_labels(comparison.rows)
    columns = [Column("label", "variant" if shared else "model")]
    for m in comparison.metrics:
        # in a narrow terminal a derived metric's ratio (FLOPs: always the MACs ratio) goes
        # first, then the memory ratios; the values always stay
        priority = 2 if m.derived else 1 if m.unit is Unit.BYTES else 0
        columns += [Column(m.key, m.label, m.unit),
                    Column(f"{m.key}_ratio", "ratio", Unit.RATIO, priority=priority)]
    # CSV has one column per setting (what differs between rows, and what they share)
    settings = list(dict.fromkeys(k for row in comparison.rows for k in row.config))
    columns += [Column(f"_setting_{k}", k, show="data") for k in settings]
    rows: list[dict[str, Any]] = []
    for label, row in zip(labels, comparison.rows, strict=True):
        record: dict[str, Any] = {"label": label, "name": row.name, "config": dict(row.config),
                                  "inputs": [list(s) for s in row.input_shapes]}
        record |= {f"_setting_{k}": row.config.get(k) for k in settings}
        for m in comparison.metrics:
            record[m.key] = row.values[m.key]
            record[f"{m.key}_ratio"] = comparison.ratio(row, m.key)
            record[f"{m.key}_difference"] = comparison.difference(row, m.key)
        record["unsupported_ops"] = dict(row.unsupported)
        rows.append(record)
    meta = {"baseline": comparison.baseline.name,
            "conventions": {"params": str(comparison.params), "dtype": str(comparison.dtype)},
            "metrics": {m.key: {"label": m.label, "unit": str(m.unit), "kind": str(m.kind),
                                "means": m.means} for m in comparison.metrics}}
    return Document("compare", tuple(_heading(comparison, labels, shared)),
                    (Section("models", "", tuple(columns), tuple(rows)),), meta,
                    primary="models")


def stages_document(comparison: CostComparison) -> Document:
    """One row per stage with the catalog's stage figures (MACs, params) of every model ([1],
    [2], ...) and ratios to the baseline. Raises OptionError when the models' stages do not
    line up."""
    lined = line_up_stages(comparison.rows)
    models = comparison.rows
    base = models.index(comparison.baseline)
    figures = stage_figures(comparison.metrics)   # of the metrics asked for
    if not figures:
        raise OptionError(f"--per-stage compares {', '.join(m.key for m in stage_figures())} "
                          f"per stage; none of {', '.join(m.key for m in comparison.metrics)} "
                          "has a per-stage figure")
    columns = [Column("stage", "stage")]
    for metric in figures:
        for i in range(1, len(models) + 1):
            columns.append(Column(f"{metric.key}_{i}", f"{metric.label} [{i}]", metric.unit))
            if i - 1 != base:
                columns.append(Column(f"{metric.key}_{i}_ratio", "ratio", Unit.RATIO))
    rows = []
    for path, stages in lined:
        record: dict[str, Any] = {"stage": path, "type": stages[0].kind}
        for key in (m.key for m in figures):   # Stage's fields are named by key
            ref = getattr(stages[base], key)
            for i, stage in enumerate(stages, 1):
                value = getattr(stage, key)
                record[f"{key}_{i}"] = value
                if i - 1 != base:
                    record[f"{key}_{i}_ratio"] = value / ref if ref else None
        rows.append(record)
    glosses = (m.glossed(**_conventions(comparison)) for m in figures)
    heading = ("; ".join(["stages (depth-1 blocks)", *filter(None, glosses)]),
               *(f"[{i}] {row.name}" + ("  (baseline)" if i - 1 == base else "")
                 for i, row in enumerate(models, 1)))
    meta = {"models": {str(i): row.name for i, row in enumerate(models, 1)},
            "baseline": comparison.baseline.name, "params": str(comparison.params)}
    return Document("compare_stages", heading, (Section("stages", "", tuple(columns),
                                                        tuple(rows)),), meta, primary="stages")
