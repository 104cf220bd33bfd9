"""The metric catalog: every metric declared once, with its key, label, unit, meaning and
whether it is counted (deterministic: locked and budgeted) or measured (never locked).

report's summary, compare's columns, snapshot's lock entries, budgets and check all read this
table, so a new metric is one `register_metric` entry plus its computation. No torch here:
reading `[tool.costlab]` budgets needs the keys only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, Protocol

from costlab.render.section import Unit

__all__ = ["MetricKind", "MetricSources", "Metric", "CATALOG", "register_metric",
           "unregister_metric", "get_metric", "default_metrics", "counted_metrics",
           "stage_figures", "budget_keys", "sort_keys", "TRAINING_METRICS"]


class MetricKind(StrEnum):
    """Counted metrics are exact and repeatable, so they can be locked and budgeted;
    measured ones (latency) vary from run to run and machine to machine."""

    COUNTED = "counted"
    MEASURED = "measured"


class MetricSources(Protocol):
    """What a metric's value is read from (analyses.measurement.Sources): the analysis of the
    model, its memory at the dtype asked, and whatever extra work a metric `needs`."""

    @property
    def analysis(self) -> Any: ...

    @property
    def memory(self) -> Any: ...

    def extra(self, need: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric: a report summary row, a compare column, a lock-file value and, when
    counted, a budget key (`max_<key>`).

    `unit` is also how the value is formatted, wherever it is shown (render/cells.py: SI
    counts as 300.77M, BYTES in decimal units as 9.6 MB, MS with 3 decimals); the exact value
    stays in CSV, JSON, the lock file and check. `gloss` is what compare's heading says of
    the column, after its label: `= 2 x MACs`, or `under the '{params}' convention` with the
    comparison's `{params}` and `{dtype}` filled in; None says `= brief` (or `= means`), ""
    nothing (a label that explains itself, MACs).
    """

    key: str
    label: str
    unit: Literal[Unit.SI, Unit.BYTES, Unit.MS]
    kind: MetricKind
    means: str
    value: Callable[[MetricSources], int | float]
    where: Callable[[MetricSources], str] | None = None   # the module a figure comes from
    # the per-stage figure it grows in: a field of analyses.measurement.Stage, which has these
    stage_key: Literal["macs", "params"] | None = None
    derived: bool = False      # a fixed multiple of another metric: its ratio repeats that one's
    default: bool = True       # compared and snapshotted unless metrics are named
    needs: str | None = None   # extra work (e.g. "training") done only when the metric is asked
    brief: str = ""            # a few words for the report's summary (`means` when empty)
    gloss: str | None = None   # compare's heading, after the label (see above)
    # read only from the cost totals and the memory's peak and largest tensor, which a sweep
    # composes from per-block costs (analyses/sweep_cache.py); anything else runs the model
    composes: bool = False

    def glossed(self, **conventions: str) -> str:
        """`FLOPs = 2 x MACs`: the label and its gloss for a heading; "" when it needs none."""
        if self.gloss is None:   # brief and means are plain text: nothing filled in
            return f"{self.label} = {self.brief or self.means}"
        return f"{self.label} {self.gloss.format(**conventions)}" if self.gloss else ""


CATALOG: dict[str, Metric] = {}


def register_metric(metric: Metric) -> Metric:
    """Adds a metric to the catalog; a key registered twice is an error at import time."""
    if metric.key in CATALOG:
        raise ValueError(f"metric {metric.key!r} is registered twice")
    if not metric.key.isidentifier():
        raise ValueError(f"metric key {metric.key!r} is not an identifier")
    if metric.composes and metric.needs is not None:
        raise ValueError(f"metric {metric.key!r} needs {metric.needs!r}, which a sweep cannot "
                         "compose from blocks")
    CATALOG[metric.key] = metric
    return metric


def unregister_metric(key: str) -> None:
    """Removes a metric (for tests that register a toy one)."""
    CATALOG.pop(key, None)


def get_metric(key: str) -> Metric:
    """The metric of `key`; KeyError listing the catalog otherwise."""
    if key not in CATALOG:
        raise KeyError(f"unknown metric {key!r}; one of {', '.join(CATALOG)}")
    return CATALOG[key]


def default_metrics() -> tuple[Metric, ...]:
    """What compare shows and snapshot locks when no metric is named."""
    return tuple(m for m in CATALOG.values() if m.default)


def counted_metrics(metrics: Iterable[Metric] | None = None) -> tuple[Metric, ...]:
    """The lockable, budgetable ones."""
    return tuple(m for m in (CATALOG.values() if metrics is None else metrics)
                 if m.kind is MetricKind.COUNTED)


def stage_figures(metrics: Iterable[Metric] | None = None) -> tuple[Metric, ...]:
    """The per-stage figures `metrics` (default: the whole catalog) grow in, as the metrics
    of those keys (MACs, params), in catalog order: the lock file's stages, check's "grew
    most in" and compare --per-stage."""
    keys = {m.stage_key for m in (CATALOG.values() if metrics is None else metrics)}
    return tuple(m for m in CATALOG.values() if m.key in keys)


def budget_keys() -> tuple[str, ...]:
    """`max_macs`, `max_params`, ...: one per counted metric."""
    return tuple(f"max_{m.key}" for m in counted_metrics())


def sort_keys() -> tuple[str, ...]:
    return ("name", *CATALOG)


def _largest(sources: MetricSources) -> Any:
    return sources.memory.largest


register_metric(Metric(
    "macs", "MACs", Unit.SI, MetricKind.COUNTED,
    "multiply-accumulates of conv, linear and matmul ops: conv = output elements x "
    "C_in/groups x k_h x k_w, linear = output elements x in_features",
    lambda s: s.analysis.cost.totals.macs, stage_key="macs",
    brief="conv + linear/matmul multiply-accumulates", gloss="", composes=True))
register_metric(Metric(
    "flops", "FLOPs", Unit.SI, MetricKind.COUNTED, "2 x MACs",
    lambda s: s.analysis.cost.totals.flops, stage_key="macs", derived=True, composes=True))
register_metric(Metric(
    "params", "params", Unit.SI, MetricKind.COUNTED, "parameters under the convention named",
    lambda s: s.analysis.cost.totals.params, stage_key="params",
    brief="under the convention named above", gloss="under the '{params}' convention",
    composes=True))
register_metric(Metric(
    "elementwise", "element-wise ops", Unit.SI, MetricKind.COUNTED,
    "bias adds, norms (2 per element), activations (1), adds (1), softmax (4), pooling (1 per "
    "window element): apart from MACs",
    lambda s: s.analysis.cost.totals.elementwise, default=False,
    brief="bias, norm, activation, add, pooling: not in MACs", composes=True))
register_metric(Metric(
    "peak_bytes", "peak mem", Unit.BYTES, MetricKind.COUNTED,
    "peak live activations of one forward pass run in order, each freed after its last use",
    lambda s: s.memory.peak.bytes, where=lambda s: s.memory.peak.module,
    brief="activations live at once, freed after last use",
    gloss="= most activations live at once", composes=True))
register_metric(Metric(
    "largest_tensor_bytes", "max tensor", Unit.BYTES, MetricKind.COUNTED,
    "the largest activation any op produces",
    lambda s: 0 if _largest(s) is None else _largest(s).bytes,
    where=lambda s: "" if _largest(s) is None else _largest(s).tensor,
    brief="the largest single activation", gloss="= largest one", composes=True))
register_metric(Metric(
    "latency_ms", "median ms", Unit.MS, MetricKind.MEASURED,
    "median wall-clock time of one forward pass of the real model (random weights) on this "
    "machine: CPU, fp32, one thread, at least 1 s of runs (costlab latency for more); measured, "
    "so never locked or budgeted",
    lambda s: s.extra("latency").median_ms, default=False, needs="latency",
    brief="measured here, one forward pass"))


def _training_total(key: str) -> Callable[[MetricSources], int | float]:
    """A training step's total (analyses.training.TrainingAnalysis.totals), traced when asked."""
    return lambda s: int(s.extra("training").totals[key])


register_metric(Metric(
    "backward_macs", "backward MACs", Unit.SI, MetricKind.COUNTED,
    "MACs of the backward autograd runs on meta: an input gradient for every op input that "
    "requires one, a weight gradient for every trainable parameter (conv and linear: each "
    "the forward's MACs, groups handled)",
    _training_total("backward_macs"), default=False, needs="training",
    brief="input + weight gradients, as autograd runs them"))
register_metric(Metric(
    "training_macs", "training MACs", Unit.SI, MetricKind.COUNTED,
    "forward + backward MACs of one training step (the optimizer's element-wise work apart)",
    _training_total("training_macs"), default=False, needs="training",
    brief="forward + backward"))

# What `compare --training` adds to the columns: the built-in metrics of a training step.
TRAINING_METRICS = tuple(m.key for m in CATALOG.values() if m.needs == "training")
