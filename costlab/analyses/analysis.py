"""One analysis of one model: what was analyzed, under which conventions, and the counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from costlab.analyses.memory import MemoryAnalysis, analyze_memory
from costlab.analyses.published import Comparison, compare_reported
from costlab.choices import View, parse_choice
from costlab.count.engine import ModelCost, aggregate, count_costs
from costlab.count.params import ParamConvention
from costlab.errors import OptionError
from costlab.models.resolve import Target
from costlab.spec.schema import ArchSpec, Scalar
from costlab.trace.inputs import InputSpec
from costlab.trace.recorder import Trace, trace_module

__all__ = ["CONVENTIONS", "Analysis", "analyze_target"]

CONVENTIONS = {
    "macs": "multiply-accumulates of convolution, linear and matmul ops: conv = output elements"
            " x C_in/groups x k_h x k_w, linear = output elements x in_features",
    "flops": "2 x MACs; bias adds, norms, activations, residual adds and pooling are counted "
             "apart as element-wise ops",
    "elementwise": "per output element: activation 1, add/mul 1, batch norm 2 (scale, shift), "
                   "softmax 4; pooling: 1 per window element",
}


@dataclass(frozen=True)
class Analysis:
    """The result of one analysis: what was analyzed, under which conventions, and the counts."""

    name: str
    config: Mapping[str, Scalar]
    inputs: tuple[InputSpec, ...]
    trace: Trace
    cost: ModelCost
    full_cost: ModelCost   # leaf rows, whatever the depth asked
    depth: int | None
    published: tuple[Comparison, ...]
    spec: ArchSpec | None
    memory: MemoryAnalysis | None = None   # fp32, every tensor: the report's summary

    @property
    def input_shapes(self) -> tuple[tuple[int, ...], ...]:
        return tuple(i.shape for i in self.inputs)

    @property
    def totals(self) -> dict[str, int]:
        t = self.cost.totals
        return {"macs": t.macs, "flops": t.flops, "params": t.params,
                "elementwise": t.elementwise}

    @property
    def conventions(self) -> dict[str, str]:
        return {**CONVENTIONS, "params": str(self.cost.param_convention)}

    @property
    def unsupported(self) -> dict[str, int]:
        return dict(self.cost.unsupported)

    @property
    def layers(self) -> pd.DataFrame:
        from costlab.render.report import layers_frame
        return layers_frame(self)

    def to_markdown(self) -> str:
        from costlab.render.report import render
        return render(self, "markdown")

    def to_json(self) -> str:
        from costlab.render.report import render
        return render(self, "json")

    def to_dict(self) -> dict[str, Any]:
        from costlab.render.report import to_dict
        return to_dict(self)


def analyze_target(target: Target, *, params: ParamConvention | str = ParamConvention.TORCH,
                   depth: int | None = None, strict: bool = False,
                   view: View | str = View.BLOCKS) -> Analysis:
    """Traces and counts an already resolved model; published memory figures are judged in
    `view` first."""
    if depth is not None and depth < 0:
        raise OptionError(f"depth must be at least 0, got {depth}")
    trace = trace_module(target.module, target.inputs)
    full = count_costs(trace, params=params, strict=strict)
    cost = full if depth is None else aggregate(full, trace, depth)
    published = tuple(compare_reported(target.spec, target.config, trace, full,
                                       prefer=f"{parse_choice(View, view)} view")) \
        if target.spec is not None else ()
    summary = analyze_memory(trace, full, dtype="fp32", view="all")
    return Analysis(target.name, dict(target.config), target.inputs, trace, cost, full,
                    depth, published, target.spec, summary)
