"""Figures: drawn headless, one PNG each with its data as CSV, from published accuracies and
computed costs."""

from __future__ import annotations

import csv
import io

from costlab.papers.figures import accuracy_points, draw_figures, figure_csvs


def test_points_pair_published_accuracy_with_computed_cost(evaluator):
    points = {p.label: p for p in accuracy_points(evaluator, sources=("001",))}
    assert points["AlexNet"].top1 == 57.2 and points["AlexNet"].params == 61_100_840
    assert points["ResNet-18"].macs == 1_814_073_344
    assert "001, Table 10" in points["VGG-16"].source


def test_checkpoint_grids_are_plotted(evaluator):
    rows = list(csv.DictReader(io.StringIO(figure_csvs(evaluator)["accuracy-vs-macs.csv"])))
    slim = [r for r in rows if r["source"] == "slim, checkpoints"]
    assert sum(r["model"] == "mobilenetv2" for r in slim) == 22          # 6 widths ... 22 rows
    assert sum(r["model"] == "mobilenetv1" for r in slim) == 16          # 4 x 4
    v2 = next(r for r in slim if r["variant"] == "alpha=1.0, resolution=224"
              and r["model"] == "mobilenetv2")
    # the slim checkpoints have 1001 classes: 300,774,272 + one more 1280-input logit
    assert v2["top1_published"] == "71.8" and v2["macs_computed"] == str(300_774_272 + 1280)


def test_figure11_data_is_at_the_seeds_batch(evaluator):
    rows = {r["model"]: r for r in csv.DictReader(io.StringIO(
        figure_csvs(evaluator)["memory-per-architecture.csv"]))}
    assert rows["mobilenetv2_reduced_001"]["seed001_published_bytes"] == "4600000"
    # 528,052,736 B of saved activations at batch 32, as a real CPU run measured
    assert rows["mobilenetv2_reduced_001"]["saved_activations_bytes"] == "528052736"


def test_every_figure_is_written(tmp_path, evaluator):
    paths = draw_figures(tmp_path, evaluator)
    names = sorted(p.name for p in paths)
    assert names == sorted(f"{n}.{ext}" for n in ("accuracy-density", "accuracy-vs-macs",
                                                  "accuracy-vs-operations",
                                                  "memory-per-architecture")
                           for ext in ("png", "csv"))
    assert all(p.read_bytes()[:4] == b"\x89PNG" and p.stat().st_size > 10_000
               for p in paths if p.suffix == ".png")
