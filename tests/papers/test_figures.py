"""Figures: drawn headless, one PNG each, from published accuracies and computed costs."""

from __future__ import annotations

from costlab.papers.figures import accuracy_points, draw_figures
from costlab.papers.tables import Evaluator


def test_points_pair_published_accuracy_with_computed_cost(evaluator: Evaluator):
    points = {p.label: p for p in accuracy_points(evaluator, sources=("001",))}
    assert points["AlexNet"].top1 == 57.2 and points["AlexNet"].params == 61_100_840
    assert points["ResNet-18"].macs == 1_814_073_344
    assert "seed 001, Table 10" in points["VGG-16"].source


def test_every_figure_is_written(tmp_path, evaluator: Evaluator):
    paths = draw_figures(tmp_path, evaluator)
    assert sorted(p.name for p in paths) == ["accuracy-density.png", "accuracy-vs-macs.png",
                                             "accuracy-vs-operations.png",
                                             "memory-per-architecture.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" and p.stat().st_size > 10_000 for p in paths)
