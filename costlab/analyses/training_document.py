"""What `costlab report --training` adds, as neutral sections: a training step's totals, its
per-layer forward and backward MACs, the conventions, and 6·N·T beside decoders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from costlab.analyses.training import TRAINING_CONVENTIONS, RuleOfThumb, TrainingAnalysis
from costlab.render.section import Column, Section, Unit

__all__ = ["training_sections", "TRAINING_LAYER_COLUMNS", "with_training_columns"]


def _totals(training: TrainingAnalysis, only_training: Sequence[str]) -> Section:
    t = training.totals
    frozen = f"; {len(training.frozen)} frozen" if training.frozen else ""
    rows = [
        ("forward_macs", "forward MACs", t["forward_macs"], "train mode"),
        ("backward_input_macs", "  input gradients", t["backward_input_macs"],
         "activations' gradients"),
        ("backward_weight_macs", "  weight gradients", t["backward_weight_macs"],
         "parameters' gradients"),
        ("backward_macs", "backward MACs", t["backward_macs"], "what autograd runs"),
        ("training_macs", "training MACs", t["training_macs"], "forward + backward"),
        ("backward_elementwise", "backward element-wise ops", t["backward_elementwise"],
         "norm, activation, bias, pooling gradients: not in MACs"),
        ("optimizer_elementwise", f"optimizer step ({training.optimizer.optimizer})",
         t["optimizer_elementwise"], "element-wise ops on the trainable parameters"),
        ("trainable_params", "trainable params", t["trainable_params"],
         f"of {training.params:,}{frozen}"),
    ]
    columns = (Column("label", "training step"), Column("value", "exact", Unit.INT),
               Column("value", "", Unit.SI), Column("means", "counts"))
    notes = tuple(f"{key.replace('_', ' ')}: {text}" for key, text in
                  TRAINING_CONVENTIONS.items())
    if only_training:
        notes += (f"ran in train mode only (in the totals, not in the layer table): "
                  f"{', '.join(only_training)}",)
    return Section("training", "", columns,
                   tuple({"key": k, "label": label, "value": v, "means": means}
                         for k, label, v, means in rows),
                   notes, json_as="mapping", json_mapping=("key", "value"),
                   json_extra={"optimizer": str(training.optimizer.optimizer),
                               "frozen": list(training.frozen),
                               "params": training.params,
                               "conventions": dict(TRAINING_CONVENTIONS)})


TRAINING_LAYER_COLUMNS = (
    Column("backward_input_macs", "input grad", Unit.INT),
    Column("backward_weight_macs", "weight grad", Unit.INT),
    Column("backward_elementwise", "bwd element-wise", Unit.INT, priority=3),
)


def with_training_columns(rows: Sequence[dict[str, Any]], training: TrainingAnalysis
                          ) -> tuple[list[dict[str, Any]], list[str]]:
    """Layer-table rows with their backward MACs (0 for a module whose forward made no
    autograd node), and the layers with MACs that ran only in the training trace (a
    train-mode-only branch), which the totals hold but the table does not (dropout, which
    runs no op in eval mode, has element-wise ops only)."""
    by_path = {layer.path or "(root)": layer for layer in training.cost.layers}
    merged = []
    for row in rows:
        layer = by_path.pop(row["layer"], None)
        merged.append({**row, **{column.key: getattr(layer, column.key) if layer else 0
                                 for column in TRAINING_LAYER_COLUMNS}})
    return merged, [path for path, layer in by_path.items() if layer.training_macs]


def _rule_of_thumb(rule: RuleOfThumb) -> Section:
    rows: list[dict[str, Any]] = [
        {"key": "rule_macs", "label": f"3·N·T (N = {rule.params:,} params, T = {rule.tokens:,} "
         "tokens)", "macs": rule.rule_macs, "flops": rule.rule_flops},
        {"key": "training_macs", "label": "counted training MACs", "macs": rule.training_macs,
         "flops": 2 * rule.training_macs},
        {"key": "gap_macs", "label": "difference, counted - rule", "macs": rule.gap_macs,
         "flops": 2 * rule.gap_macs},
    ]
    rows += [{"key": key, "label": f"  {label}", "macs": value, "flops": 2 * value}
             for key, label, value in rule.terms]
    columns = (Column("label", "6·N·T rule of thumb"), Column("macs", "MACs", Unit.INT),
               Column("macs", "", Unit.SI), Column("flops", "FLOPs", Unit.INT, priority=1))
    share = rule.gap_macs / rule.rule_macs if rule.rule_macs else 0.0
    notes = (f"6·N·T FLOPs (Kaplan et al. 2020; Chinchilla's 6·N·D) = 3·N·T MACs: 3 per "
             f"parameter per token. The count differs by {share:+.1%} at {rule.tokens:,} "
             "tokens: attention grows with T x T, and parameters that do no MACs (embedding "
             "lookups, biases, norms) are in N.",)
    return Section("rule_of_thumb", "", columns, tuple(rows), notes, json_as="mapping",
                   json_mapping=("key", "macs"),
                   json_extra={"params": rule.params, "tokens": rule.tokens,
                               "rule_flops": rule.rule_flops})


def training_sections(training: TrainingAnalysis, only_training: Sequence[str] = ()
                      ) -> tuple[Section, ...]:
    """The training totals with the conventions, and 6·N·T for a decoder; `only_training`
    names layers that ran in the training trace alone (noted: the totals hold them)."""
    sections = [_totals(training, only_training)]
    if training.rule_of_thumb is not None:
        sections.append(_rule_of_thumb(training.rule_of_thumb))
    return tuple(sections)
