"""What `costlab sweep` writes: one row per configuration (a column per setting, per metric
and per published figure joined), the Pareto front marked, and the sweep's definition in JSON
so that `costlab sweep --from` reruns it. The plot is a file, drawn here too."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from costlab.analyses.measurement import select_metrics
from costlab.analyses.metrics import CATALOG
from costlab.analyses.sweep import SweepResult, pareto_front, published_columns, spec_of
from costlab.errors import OptionError
from costlab.render.section import Column, Document, Section, Unit

__all__ = ["MAXIMIZED", "parse_pareto", "sweep_document", "plot_sweep"]

# Pareto axes that are better when larger; every other figure (costs, latency) is minimized.
MAXIMIZED = frozenset({"top1", "top5"})


def parse_pareto(text: str) -> tuple[str, str]:
    """`macs,top1` -> ("macs", "top1")."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise OptionError(f"bad --pareto {text!r}; write it as X,Y (e.g. macs,top1)")
    return parts[0], parts[1]


def _front(rows: Sequence[Mapping[str, Any]], axes: tuple[str, str]) -> set[int]:
    x, y = axes
    have = [i for i, r in enumerate(rows)
            if isinstance(r.get(x), int | float) and isinstance(r.get(y), int | float)]
    points = [(float(rows[i][x]), float(rows[i][y])) for i in have]
    return {have[i] for i in pareto_front(points, maximize_y=y in MAXIMIZED)}


def _published_cell(records: Sequence[Mapping[str, Any]]) -> str:
    """The records in one flat cell for tables and CSV ("slim macs 11M: rounded; ..."); JSON
    carries the records themselves."""
    return "; ".join(f"{r['source']} {r['metric']} {r['published']}: {r['verdict']}"
                     for r in records)


def sweep_document(result: SweepResult, pareto: tuple[str, str] | None = None) -> Document:
    """The rows in configuration order, exact integers; `pareto` marks the front of (X, Y),
    X minimized, Y maximized for accuracy and minimized otherwise."""
    definition = result.definition
    metrics = select_metrics(definition.metrics)
    spec = spec_of(definition.model)
    published, joined = published_columns(spec, result.rows)
    setting_keys = list(dict.fromkeys([*definition.keys, *definition.settings]))
    rows: list[dict[str, Any]] = []
    for row, extra in zip(result.rows, joined, strict=True):
        record: dict[str, Any] = {k: row.settings.get(k) for k in setting_keys}
        record.update({m.key: row.values.get(m.key) for m in metrics})
        record.update(extra)
        record["published"] = [dict(r) for r in row.published]
        record["_published"] = _published_cell(row.published)
        record["error"] = row.error
        record["config"] = dict(row.config)
        rows.append(record)
    known = {*setting_keys, *(m.key for m in metrics), *published}
    if pareto is not None:
        for axis in pareto:
            if axis not in known:
                raise OptionError(f"--pareto {axis}: not a column of this sweep; one of "
                                  f"{', '.join(sorted(known))}")
        front = _front(rows, pareto)
        for i, record in enumerate(rows):
            record["pareto"] = i in front
    columns = [Column(k, k) for k in setting_keys]
    columns += [Column(m.key, m.label, m.unit) for m in metrics]
    for name in published:
        columns += [Column(name, name, Unit.FLOAT, digits=2),
                    Column(f"{name}_source", "source", priority=2)]
    if pareto is not None:
        columns.append(Column("pareto", "front"))
    columns += [Column("_published", "published figures", priority=3),
                Column("error", "error", priority=1)]
    failed = sum(1 for r in result.rows if r.error)
    heading = [f"{definition.model}: {len(result.rows)} of {result.total} configurations "
               f"({result.executor}); params under the '{definition.params}' convention, "
               f"memory at {definition.dtype}"]
    if failed:
        heading.append(f"{failed} configurations failed: their error is in the row")
    if not result.complete:
        heading.append(f"interrupted: {result.total - len(result.rows)} configurations not run")
    if pareto is not None:
        better = "max" if pareto[1] in MAXIMIZED else "min"
        heading.append(f"front: Pareto-optimal in {pareto[0]} (min) and {pareto[1]} ({better})")
    meta = {"sweep": definition.to_dict(), "complete": result.complete, "total": result.total,
            "metrics": {m.key: {"label": m.label, "unit": str(m.unit), "kind": str(m.kind),
                                "means": m.means} for m in metrics}}
    return Document("sweep", tuple(heading), (Section("rows", "", tuple(columns),
                                                      tuple(rows)),), meta, primary="rows")


def plot_sweep(document: Document, axes: tuple[str, str], path: str | Path) -> Path:
    """Y against X for every row, the Pareto front drawn as a line and the configurations
    with a published accuracy marked (matplotlib, imported here: only plots need it)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = list(document.section("rows").rows)
    x, y = axes
    points = [(i, r) for i, r in enumerate(rows)
              if isinstance(r.get(x), int | float) and isinstance(r.get(y), int | float)]
    if not points:
        raise OptionError(f"--plot: no row has both {x} and {y}")
    front = sorted(_front(rows, axes), key=lambda i: float(rows[i][x]))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    try:
        ax.scatter([r[x] for _, r in points], [r[y] for _, r in points], s=14, color="0.6",
                   label="configurations")
        ax.plot([rows[i][x] for i in front], [rows[i][y] for i in front], "-o", color="C3",
                markersize=5, label="Pareto front")
        marked = [r for _, r in points if any(k.endswith("_source") and r.get(k) for k in r)]
        if marked:
            ax.scatter([r[x] for r in marked], [r[y] for r in marked], s=60,
                       facecolors="none", edgecolors="C0", label="published figure")
        ax.set_xlabel(CATALOG[x].label if x in CATALOG else x)
        ax.set_ylabel(CATALOG[y].label if y in CATALOG else y)
        if x in CATALOG and float(min(r[x] for _, r in points)) > 0:
            ax.set_xscale("log")
        ax.grid(True, alpha=0.3)
        ax.legend()
        ax.set_title(str(document.meta.get("sweep", {}).get("model", "")))
        out = Path(path)
        try:
            fig.savefig(out, dpi=120, bbox_inches="tight", metadata=_metadata(out))
        except OSError as exc:
            raise OptionError(f"cannot write {str(out)!r}: {exc.strerror}") from None
        except ValueError as exc:
            raise OptionError(f"--plot {str(out)!r}: {exc}") from None
    finally:
        plt.close(fig)
    return out


def _metadata(path: Path) -> dict[str, Any]:
    """No creation date, so the same sweep draws the same file."""
    suffix = path.suffix.lower()
    if suffix == ".svg":
        return {"Date": None}
    if suffix == ".pdf":
        return {"CreationDate": None}
    return {}
