"""Models side by side: a measurement per model, ratios against the first (the baseline),
and the stages of one family lined up."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import costlab.analyses.latency  # noqa: F401 - registers the "latency" work of latency_ms
from costlab.analyses.measurement import Measurement, Stage, measure, select_metrics
from costlab.analyses.metrics import Metric
from costlab.choices import DType, ParamConvention, parse_choice
from costlab.errors import OptionError
from costlab.spec.variants import Variant
from costlab.trace.inputs import Input

__all__ = ["CostComparison", "compare", "line_up_stages"]


@dataclass(frozen=True)
class CostComparison:
    """Measurements in display order; ratios are against `baseline`, the first model named."""

    rows: tuple[Measurement, ...]
    baseline: Measurement
    params: ParamConvention
    dtype: DType
    metrics: tuple[Metric, ...]

    def __repr__(self) -> str:
        names = ", ".join(row.name for row in self.rows)
        return (f"<CostComparison of {len(self.rows)} models ({names}) against "
                f"{self.baseline.name}: {', '.join(m.key for m in self.metrics)}>")

    def ratio(self, row: Measurement, key: str) -> float | None:
        """row / baseline for one metric; None when the baseline's value is 0."""
        base = self.baseline.values[key]
        return row.values[key] / base if base else None

    def difference(self, row: Measurement, key: str) -> int | float:
        return row.values[key] - self.baseline.values[key]


def compare(variants: Sequence[Variant], *,
            params: ParamConvention | str = ParamConvention.TORCH,
            dtype: DType | str = DType.FP32, batch: int = 1,
            inputs: Sequence[Input] | None = None, sort: str | None = None,
            metrics: Sequence[str] | None = None,
            progress: Callable[[int, int, str], None] | None = None) -> CostComparison:
    """Measures every variant on `metrics` (catalog keys; the defaults when None); `sort`
    orders the rows by a metric (ascending) or by name. `progress(done, total, name)` is
    called before each variant."""
    if not variants:
        raise OptionError("name at least one model to compare")
    chosen = select_metrics(metrics)
    allowed = ("name", *(m.key for m in chosen))
    if sort is not None and sort not in allowed:
        raise OptionError(f"cannot sort by {sort!r}; one of {', '.join(allowed)}")
    convention, dtype = parse_choice(ParamConvention, params), parse_choice(DType, dtype)
    rows = []
    for done, variant in enumerate(variants):
        if progress is not None:
            progress(done, len(variants), variant.name)
        rows.append(measure(variant, params=convention, dtype=dtype, batch=batch,
                            inputs=inputs, metrics=chosen))
    ordered = rows if sort is None else sorted(
        rows, key=lambda r: r.name if sort == "name" else r.values[sort])
    return CostComparison(tuple(ordered), rows[0], convention, dtype, chosen)


def line_up_stages(rows: Sequence[Measurement]) -> list[tuple[str, tuple[Stage, ...]]]:
    """(stage path, that stage in every model), in execution order.

    Raises OptionError naming the first stage that differs: only variants of one family (the
    same layer table at other widths or resolutions) line up.
    """
    first = rows[0]
    for other in rows[1:]:
        paths, theirs = [s.path for s in first.stages], [s.path for s in other.stages]
        if paths == theirs:
            continue
        index = next((i for i, (a, b) in enumerate(zip(paths, theirs, strict=False)) if a != b),
                     min(len(paths), len(theirs)))
        mine = paths[index] if index < len(paths) else "nothing (it ends)"
        yours = theirs[index] if index < len(theirs) else "nothing (it ends)"
        raise OptionError(
            f"cannot line up the stages of {first.name} and {other.name}: stage {index + 1} is "
            f"{mine} in one and {yours} in the other; --per-stage compares variants of one "
            "family")
    return [(stage.path, tuple(row.stages[i] for row in rows))
            for i, stage in enumerate(first.stages)]
