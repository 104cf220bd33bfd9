"""The papers' figures redrawn from computed costs and published figures (matplotlib, PNG),
each with the data behind it as a CSV beside it, which `costlab reproduce --check` compares.

Accuracies are the published ones, read from the specs' `reported:` entries and labelled with
their source; every cost on an axis is computed by costlab, unless labelled as published.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from costlab.analyses.verdicts import parse_published
from costlab.papers.tables import Evaluator
from costlab.render import Column, Document, Section, write
from costlab.render.files import write_atomic
from costlab.spec.catalog import find_specs
from costlab.spec.schema import Reported

__all__ = ["AccuracyPoint", "accuracy_points", "FigureData", "FIGURES", "figure_data",
           "figure_csvs", "draw_figures", "FIGURE11_NETWORKS", "FIGURE11_BATCH",
           "SEED001_MEMORY_MB"]

FigureValue = str | int | float


@dataclass(frozen=True)
class AccuracyPoint:
    """One published top-1 accuracy and the computed cost of the same variant."""

    model: str
    label: str
    source: str
    top1: float
    macs: int
    params: int
    variant: str


@dataclass(frozen=True)
class FigureData:
    """The numbers a figure plots: one row per mark, written as the figure's CSV."""

    headers: tuple[str, ...]
    rows: tuple[tuple[FigureValue, ...], ...]

    def column(self, name: str) -> list[FigureValue]:
        index = self.headers.index(name)
        return [row[index] for row in self.rows]

    def to_csv(self) -> str:
        """The rows under their headers, by render's CSV writer."""
        rows = tuple(dict(zip(self.headers, row, strict=True)) for row in self.rows)
        section = Section("data", "", tuple(Column(h, h) for h in self.headers), rows)
        return write(Document("figure", (), (section,)), "csv")


def _variant(entry: Reported) -> str:
    return ", ".join(f"{k}={v}" for k, v in entry.variant.items()
                     if k not in ("num_classes", "level3_identity"))


def accuracy_points(ev: Evaluator, sources: tuple[str, ...] | None = None
                    ) -> list[AccuracyPoint]:
    """Every top-1 entry of every spec (optionally only from some sources), with its costs
    (MACs, and parameters under the `weights` convention)."""
    from costlab.analyses.published import variant_config
    points, seen = [], set()
    for name in find_specs():
        spec = ev.spec(name)
        for entry in spec.reported:
            if entry.metric != "top1" or (sources and entry.source not in sources):
                continue
            config = variant_config(spec, entry)
            key = (name, entry.source, tuple(sorted(config.items())))
            if key in seen:
                continue
            seen.add(key)
            totals = ev.totals(name, config, convention="weights")
            variant = _variant(entry)
            points.append(AccuracyPoint(
                name, f"{spec.title} ({variant})" if variant else spec.title,
                f"{entry.source}, {entry.table}", entry.value, int(totals["macs"]),
                int(totals["params"]), variant))
    return points


DataFn = Callable[[Evaluator], FigureData]
DrawFn = Callable[[FigureData, Path], Path]
FIGURES: dict[str, tuple[DataFn, DrawFn]] = {}


def _figure(name: str, data: DataFn) -> Callable[[DrawFn], DrawFn]:
    def register(draw: DrawFn) -> DrawFn:
        FIGURES[name] = (data, draw)
        return draw
    return register


def _save(fig: object, path: Path) -> Path:
    """PNG bytes first, then one atomic write: a failed run leaves no half-drawn figure."""
    import io

    import matplotlib.pyplot as plt
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight",  # type: ignore[attr-defined]
                metadata={"Software": None})
    plt.close(fig)  # type: ignore[arg-type]
    write_atomic(path, buffer.getvalue())
    return path


# --- accuracy against MACs: the published checkpoint grids -------------------------------

def _accuracy_vs_macs_data(ev: Evaluator) -> FigureData:
    rows = [(p.model, p.source, p.variant, p.top1, p.macs, p.params)
            for p in accuracy_points(ev) if p.macs < 2e9]
    return FigureData(("model", "source", "variant", "top1_published", "macs_computed",
                       "params_weights_computed"), tuple(sorted(rows, key=str)))


def _alpha(variant: str) -> str:
    return next((part.split("=")[1] for part in variant.split(", ")
                 if part.startswith("alpha=")), "1.0")


def _resolution(variant: str) -> str:
    return next((part.split("=")[1] for part in variant.split(", ")
                 if part.startswith("resolution=")), "224")


def _draw_accuracy_vs_macs(data: FigureData, path: Path) -> Path:
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(10, 6.5))
    grids: dict[tuple[str, str], list[tuple[float, float, str]]] = {}
    others: list[tuple[str, str, float, float]] = []
    for model, source, variant, top1, macs, _ in data.rows:
        if str(source).startswith("slim"):
            grids.setdefault((str(model), _alpha(str(variant))), []).append(
                (float(macs) / 1e6, float(top1), _resolution(str(variant))))
        else:
            others.append((str(model), str(source), float(macs) / 1e6, float(top1)))
    colors = {"mobilenetv1": "tab:blue", "mobilenetv2": "tab:orange"}
    for (model, alpha), points in sorted(grids.items()):
        points.sort()
        color = colors.get(model, "tab:gray")
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", ms=4, lw=1,
                color=color, alpha=0.85)
        x, y, _ = points[-1]   # the 224 px checkpoint: label the width once, at its end
        ax.annotate(f"{'V1' if model == 'mobilenetv1' else 'V2'} {alpha}", (x, y),
                    xytext=(5, -3 if model == "mobilenetv2" else -11),
                    textcoords="offset points", fontsize=7, color=color)
        if alpha == "1.0":     # resolutions labelled on one line per model
            for x, y, res in points[:-1]:
                ax.annotate(res, (x, y), xytext=(-4, 5 if model == "mobilenetv2" else -11),
                            textcoords="offset points", fontsize=6, color=color)
    markers = iter("sD^vP*Xph<>")
    for source in sorted({o[1] for o in others}):
        group = [o for o in others if o[1] == source]
        ax.scatter([o[2] for o in group], [o[3] for o in group], marker=next(markers), s=30,
                   label=f"seed {source} (published top-1)", zorder=3)
        for model, _, x, y in group:
            if model not in colors:     # the grids' models are named by their lines
                ax.annotate(model, (x, y), xytext=(-8, -12), textcoords="offset points",
                            fontsize=7)
    ax.plot([], [], color=colors["mobilenetv1"], marker="o", ms=4,
            label="MobileNetV1 checkpoints (slim), width x 128-224 px")
    ax.plot([], [], color=colors["mobilenetv2"], marker="o", ms=4,
            label="MobileNetV2 checkpoints (slim), width x 96-224 px")
    ax.set_xscale("log")
    ax.set_xlabel("MACs per image, millions (computed by costlab, log scale)")
    ax.set_ylabel("ImageNet top-1 accuracy, % (published)")
    ax.set_title("Accuracy against computation: the published checkpoint grids (under 2G MACs)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="lower right")
    return _save(fig, path)


_figure("accuracy-vs-macs", _accuracy_vs_macs_data)(_draw_accuracy_vs_macs)


# --- seed 001, Figure 11: memory to train each network ------------------------------------

FIGURE11_NETWORKS = ("alexnet", "vgg16", "resnet18", "mobilenetv2", "mobilenetv2_standard_001",
                     "mobilenetv2_reduced_001")
FIGURE11_BATCH = 32          # seed 001, section 4: "batches of 32 images"
# Seed 001, section 5.1 and Figure 11's caption: what it prints for its two models.
SEED001_MEMORY_MB = {"mobilenetv2_standard_001": "47MB", "mobilenetv2_reduced_001": "4.6MB"}


def _memory_data(ev: Evaluator) -> FigureData:
    from costlab.papers.seed001_formula import section51_bytes, section51_terms
    rows = []
    for name in FIGURE11_NETWORKS:
        training = ev.training(name, FIGURE11_BATCH)
        published = SEED001_MEMORY_MB.get(name, "")
        rows.append((name, ev.spec(name).title,
                     round(parse_published(published)[0]) if published else "",
                     section51_bytes(*section51_terms(ev.analysis(name).full_cost)),
                     training.total_bytes,
                     training.saved_activations_bytes))
    return FigureData(("model", "title", "seed001_published_bytes",
                       "section51_formula_on_costlab_model_bytes",
                       f"training_sgd_fp32_batch{FIGURE11_BATCH}_bytes",
                       "saved_activations_bytes"), tuple(rows))


def _draw_memory(data: FigureData, path: Path) -> Path:
    import matplotlib.pyplot as plt
    titles = [str(t).replace(" (seed 001)", "\n(seed 001)").replace(" MobileNetV2",
                                                                     "\nMobileNetV2")
              for t in data.column("title")]
    published = data.column("seed001_published_bytes")
    formula = data.column("section51_formula_on_costlab_model_bytes")
    training = data.column(data.headers[4])
    fig, ax = plt.subplots(figsize=(9, 5))
    positions = list(range(len(titles)))
    ax.bar([p - 0.27 for p in positions], [float(t) / 1e6 for t in training], 0.27,
           label=f"costlab: params + grads + saved activations (batch {FIGURE11_BATCH}, SGD, "
                 "fp32)")
    ax.bar(positions, [float(f) / 1e6 for f in formula], 0.27,
           label="seed 001's section 5.1 formula applied to costlab's models")
    ax.bar([p + 0.27 for p, v in zip(positions, published, strict=True) if v != ""],
           [float(v) / 1e6 for v in published if v != ""], 0.27,
           label="seed 001 as published (47 MB, 4.6 MB)")
    for p, t in zip(positions, training, strict=True):
        ax.annotate(f"{float(t) / 1e6:,.0f}", (p - 0.27, float(t) / 1e6), ha="center",
                    xytext=(0, 2), textcoords="offset points", fontsize=7)
    ax.axhline(3e3, color="gray", ls="--", lw=0.8)
    ax.annotate("seed 001's '3GB' device limit", (len(titles) - 0.5, 3e3), ha="right",
                xytext=(0, 3), textcoords="offset points", fontsize=7, color="gray")
    ax.set_xticks(positions, titles, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("memory, MB (10^6 bytes, log scale)")
    ax.set_title(f"Memory to train each network at batch {FIGURE11_BATCH} (after seed 001, "
                 "Figure 11)")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1)
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


_figure("memory-per-architecture", _memory_data)(_draw_memory)


# --- seed 001, Figure 12: accuracy density ------------------------------------------------

def _density_data(ev: Evaluator) -> FigureData:
    points = sorted(accuracy_points(ev, sources=("001",)), key=lambda p: p.params)
    return FigureData(("model", "label", "top1_published", "params_weights_computed",
                       "top1_per_million_params"),
                      tuple((p.model, p.label, p.top1, p.params,
                             round(p.top1 / (p.params / 1e6), 6)) for p in points))


def _draw_density(data: FigureData, path: Path) -> Path:
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    density = [float(d) for d in data.column("top1_per_million_params")]
    ax.barh([str(label) for label in data.column("label")], density)
    for y, (top1, params, d) in enumerate(zip(data.column("top1_published"),
                                              data.column("params_weights_computed"), density,
                                              strict=True)):
        ax.annotate(f"{top1}% / {float(params) / 1e6:.2f}M", (d, y), xytext=(4, -3),
                    textcoords="offset points", fontsize=8)
    ax.set_xlabel("top-1 % (published, seed 001 Table 10) per million parameters (computed, "
                  "weights)")
    ax.set_title("Accuracy density (after seed 001, Figure 12)")
    ax.set_xscale("log")
    return _save(fig, path)


_figure("accuracy-density", _density_data)(_draw_density)


# --- seed 001, Figure 13: accuracy against operations -------------------------------------

def _operations_data(ev: Evaluator) -> FigureData:
    rows = []
    for p in accuracy_points(ev, sources=("001",)):
        published = next((e.published for e in ev.spec(p.model).reported
                          if e.source == "001" and e.table == "Table 11"), "")
        rows.append((p.model, p.label, p.top1, p.macs,
                     int(parse_published(published)[0]) if published else "", p.params))
    return FigureData(("model", "label", "top1_published", "macs_computed",
                       "macs_published_table11", "params_weights_computed"), tuple(rows))


def _draw_operations(data: FigureData, path: Path) -> Path:
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    fig, ax = plt.subplots(figsize=(8, 5))
    for label, top1, macs, published, params in zip(
            data.column("label"), data.column("top1_published"), data.column("macs_computed"),
            data.column("macs_published_table11"), data.column("params_weights_computed"),
            strict=True):
        size = max(20.0, float(params) / 1e5)
        color = ax.scatter(float(macs) / 1e6, float(top1), s=size, alpha=0.8).get_facecolor()
        if published != "":
            ax.scatter(float(published) / 1e6, float(top1), s=size, facecolors="none",
                       edgecolors=color, linestyle="--")
            ax.annotate("", (float(macs) / 1e6, float(top1)),
                        (float(published) / 1e6, float(top1)),
                        arrowprops={"arrowstyle": "->", "color": "gray", "lw": 0.8})
        ax.annotate(f"{label}: {float(params) / 1e6:.1f}M params", (float(macs) / 1e6,
                                                                    float(top1)),
                    xytext=(6, 6), textcoords="offset points", fontsize=8)
    ax.legend(handles=[
        Line2D([], [], marker="o", ls="", color="tab:blue", ms=7,
               label="computed by costlab (filled)"),
        Line2D([], [], marker="o", ls="", color="tab:blue", mfc="none", ms=7,
               label="seed 001 Table 11 as published (hollow), arrow to computed")],
        fontsize=7, loc="center right")
    ax.set_xscale("log")
    ax.set_xlabel("MACs per image, millions (log scale)")
    ax.set_ylabel("ImageNet top-1 accuracy, % (published, seed 001 Table 10)")
    ax.set_title("Accuracy against operations (after seed 001, Figure 13); area ~ parameters")
    ax.grid(alpha=0.3, which="both")
    return _save(fig, path)


_figure("accuracy-vs-operations", _operations_data)(_draw_operations)


def figure_data(ev: Evaluator) -> dict[str, FigureData]:
    """The data of every figure, by figure name."""
    return {name: data(ev) for name, (data, _) in sorted(FIGURES.items())}


def figure_csvs(ev: Evaluator) -> dict[str, str]:
    """`<figure>.csv` -> its text, for --check."""
    return {f"{name}.csv": data.to_csv() for name, data in figure_data(ev).items()}


def draw_figures(directory: Path, ev: Evaluator | None = None) -> list[Path]:
    """Draws every figure into `directory` (headless: the Agg backend), with its CSV."""
    import matplotlib
    matplotlib.use("Agg")
    paths = []
    for name, data in figure_data(ev or Evaluator()).items():
        (directory / f"{name}.csv").write_text(data.to_csv(), encoding="utf-8")
        paths += [FIGURES[name][1](data, directory / f"{name}.png"), directory / f"{name}.csv"]
    return paths
