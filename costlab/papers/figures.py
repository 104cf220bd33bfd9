"""The papers' figures redrawn from computed costs and published accuracies (matplotlib, PNG).

Accuracies are the published ones, read from the specs' `reported:` entries and labelled with
their source; every cost on an axis is computed by costlab.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from costlab.papers.tables import Evaluator
from costlab.render.files import write_atomic
from costlab.spec.catalog import find_specs
from costlab.spec.schema import Reported

if TYPE_CHECKING:   # matplotlib is imported inside the figure functions, when one is drawn
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


__all__ = ["AccuracyPoint", "accuracy_points", "FIGURES", "draw_figures"]


@dataclass(frozen=True)
class AccuracyPoint:
    """One published top-1 accuracy and the computed cost of the same variant."""

    model: str
    label: str
    source: str
    top1: float
    macs: int
    params: int


def _label(title: str, entry: Reported) -> str:
    variant = ", ".join(f"{k}={v}" for k, v in entry.variant.items()
                        if k not in ("num_classes", "level3_identity"))
    return f"{title} ({variant})" if variant else title


def accuracy_points(ev: Evaluator, sources: tuple[str, ...] | None = None
                    ) -> list[AccuracyPoint]:
    """Every top-1 entry of every spec (optionally only from some seeds), with its costs."""
    from costlab.analyses.published import variant_config
    points, seen = [], set()
    for name in find_specs():
        spec = ev.spec(name)
        for entry in spec.reported:
            if entry.metric != "top1" or (sources and entry.source not in sources):
                continue
            config = variant_config(spec, entry)
            key = (name, tuple(sorted(config.items())))
            if key in seen:
                continue
            seen.add(key)
            result = ev.analysis(name, config, convention="weights")
            points.append(AccuracyPoint(
                name, _label(spec.title, entry), f"seed {entry.source}, {entry.table}",
                entry.value, result.totals["macs"], result.totals["params"]))
    return points


FigureFn = Callable[[Evaluator, Path], Path]
FIGURES: dict[str, FigureFn] = {}


def _figure(name: str) -> Callable[[FigureFn], FigureFn]:
    def register(fn: FigureFn) -> FigureFn:
        FIGURES[name] = fn
        return fn
    return register


def _save(fig: Figure, path: Path) -> Path:
    """PNG bytes first, then one atomic write: a failed run leaves no half-drawn figure."""
    import io

    import matplotlib.pyplot as plt
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    write_atomic(path, buffer.getvalue())
    return path


def _scatter(ax: Axes, points: list[AccuracyPoint], x: Callable[[AccuracyPoint], float]) -> None:
    by_model: dict[str, list[AccuracyPoint]] = {}
    for point in points:
        by_model.setdefault(point.model, []).append(point)
    for _, group in sorted(by_model.items()):
        group.sort(key=x)
        ax.plot([x(p) for p in group], [p.top1 for p in group], marker="o",
                label=f"{group[0].label.split(' (')[0]} ({group[0].source})")
        for p in group:
            ax.annotate(p.label.split(" (")[-1].rstrip(")") if "(" in p.label else "",
                        (x(p), p.top1), textcoords="offset points", xytext=(4, -10), fontsize=7)


@_figure("accuracy-vs-macs")
def accuracy_vs_macs(ev: Evaluator, directory: Path) -> Path:
    """Top-1 (published) against MACs (computed): the MobileNetV2 paper's performance curve."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 5))
    _scatter(ax, [p for p in accuracy_points(ev) if p.macs < 2e9], lambda p: p.macs / 1e6)
    ax.set_xlabel("MACs per image, millions (computed by costlab)")
    ax.set_ylabel("ImageNet top-1 accuracy, % (published)")
    ax.set_title("Accuracy against computation (models under 2G MACs)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, directory / "accuracy-vs-macs.png")


def _seed001_points(ev: Evaluator) -> list[AccuracyPoint]:
    return accuracy_points(ev, sources=("001",))


@_figure("memory-per-architecture")
def memory_per_architecture(ev: Evaluator, directory: Path) -> Path:
    """Seed 001, Figure 11: memory to run each network, by the seed's section 5.1 formula and
    by costlab's training memory (batch 1, SGD, fp32)."""
    import matplotlib.pyplot as plt

    from costlab.analyses.training import training_memory, weights_and_feature_map_bytes
    from costlab.models.resolve import resolve_model
    names = ["alexnet", "vgg16", "resnet18", "mobilenetv2", "mobilenetv2_standard_001",
             "mobilenetv2_reduced_001"]
    formula, training = [], []
    for name in names:
        result = ev.analysis(name)
        target = resolve_model(name)
        formula.append(weights_and_feature_map_bytes(result.full_cost))
        training.append(training_memory(target.module, target.input_shapes,
                                        result.full_cost, optimizer="sgd").total_bytes)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    positions = range(len(names))
    ax.bar([p - 0.2 for p in positions], [f / 1e6 for f in formula], 0.4,
           label="seed 001 section 5.1 formula (params + grads + largest map + filter) x 4")
    ax.bar([p + 0.2 for p in positions], [t / 1e6 for t in training], 0.4,
           label="costlab: params + grads + saved activations (batch 1, SGD)")
    ax.set_xticks(list(positions), [ev.spec(n).title.replace(" (seed 001)", "\n(seed 001)")
                                    .replace(" MobileNetV2", "\nMobileNetV2")
                                    for n in names], fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("memory, MB (10^6 bytes, log scale)")
    ax.set_title("Memory to train each network (after seed 001, Figure 11)")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=1)
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, directory / "memory-per-architecture.png")


@_figure("accuracy-density")
def accuracy_density(ev: Evaluator, directory: Path) -> Path:
    """Seed 001, Figure 12: top-1 accuracy per million parameters."""
    import matplotlib.pyplot as plt
    points = sorted(_seed001_points(ev), key=lambda p: p.params)
    fig, ax = plt.subplots(figsize=(7, 4))
    density = [p.top1 / (p.params / 1e6) for p in points]
    ax.barh([p.label for p in points], density)
    for y, (p, d) in enumerate(zip(points, density, strict=True)):
        ax.annotate(f"{p.top1}% / {p.params / 1e6:.2f}M", (d, y), xytext=(4, -3),
                    textcoords="offset points", fontsize=8)
    ax.set_xlabel("top-1 % (published, seed 001 Table 10) per million parameters (computed, "
                  "weights)")
    ax.set_title("Accuracy density (after seed 001, Figure 12)")
    ax.set_xscale("log")
    return _save(fig, directory / "accuracy-density.png")


@_figure("accuracy-vs-operations")
def accuracy_vs_operations(ev: Evaluator, directory: Path) -> Path:
    """Seed 001, Figure 13: top-1 accuracy against operations."""
    import matplotlib.pyplot as plt
    points = _seed001_points(ev)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for p in points:
        ax.scatter(p.macs / 1e6, p.top1, s=max(20.0, p.params / 1e5),
                   label=f"{p.label}: {p.params / 1e6:.1f}M params")
        ax.annotate(p.label, (p.macs / 1e6, p.top1), xytext=(5, 5), textcoords="offset points",
                    fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("MACs per image, millions (computed by costlab, log scale)")
    ax.set_ylabel("ImageNet top-1 accuracy, % (published, seed 001 Table 10)")
    ax.set_title("Accuracy against operations (after seed 001, Figure 13); size ~ parameters")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center right", markerscale=0.25)
    return _save(fig, directory / "accuracy-vs-operations.png")


def draw_figures(directory: Path, ev: Evaluator | None = None) -> list[Path]:
    """Draws every figure into `directory` (headless: the Agg backend)."""
    import matplotlib
    matplotlib.use("Agg")
    ev = ev or Evaluator()
    return [fn(ev, directory) for _, fn in sorted(FIGURES.items())]
