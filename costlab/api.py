"""The Python API: `analyze(model_or_spec, **config)`, mirroring `costlab report`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from torch import nn

from costlab.count import ModelCost, aggregate, count_costs
from costlab.errors import OptionError
from costlab.memory import MemoryAnalysis, View, analyze_memory, parse_view
from costlab.models import Input, Target, resolve_model
from costlab.params import ParamConvention
from costlab.published import Comparison, compare_reported
from costlab.spec import ArchSpec, Scalar
from costlab.trace import InputSpec, Trace, trace_module

__all__ = ["Analysis", "analyze", "analyze_target", "memory", "CONVENTIONS"]

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
        from costlab.report import layers_frame
        return layers_frame(self)

    def to_markdown(self) -> str:
        from costlab.report import render
        return render(self, "markdown")

    def to_json(self) -> str:
        from costlab.report import render
        return render(self, "json")

    def to_dict(self) -> dict[str, Any]:
        from costlab.report import to_dict
        return to_dict(self)


def analyze(model: str | nn.Module | ArchSpec, *, alpha: float | None = None,
            resolution: int | None = None, num_classes: int | None = None, batch: int = 1,
            inputs: Sequence[Input] | None = None,
            params: ParamConvention | str = ParamConvention.TORCH, depth: int | None = None,
            strict: bool = False, settings: Mapping[str, Any] | None = None) -> Analysis:
    """Builds (or imports), traces and counts a model.

    `model` is a spec name, a spec file, `package.module:callable`, an ArchSpec or any
    nn.Module; `settings` passes further spec parameters (or the callable's keyword arguments);
    `inputs` are shapes (float32), InputSpecs or example tensors (their shape and dtype).
    """
    merged = {"alpha": alpha, "resolution": resolution, "num_classes": num_classes,
              **(settings or {})}
    target = resolve_model(model, settings=merged, batch=batch, inputs=inputs)
    return analyze_target(target, params=params, depth=depth, strict=strict)


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
                                       prefer=f"{parse_view(view)} view")) \
        if target.spec is not None else ()
    summary = analyze_memory(trace, full, dtype="fp32", view="all")
    return Analysis(target.name, dict(target.config), target.inputs, trace, cost, full,
                    depth, published, target.spec, summary)


def memory(model: str | nn.Module | ArchSpec, *, dtype: str | None = None,
           view: str = "blocks", training: bool = False, optimizer: str = "adam",
           measure: bool = False, alpha: float | None = None, resolution: int | None = None,
           num_classes: int | None = None, batch: int = 1,
           inputs: Sequence[Input] | None = None,
           settings: Mapping[str, Any] | None = None) -> tuple[Analysis, MemoryAnalysis]:
    """Memory analyses, mirroring `costlab memory`: feature maps, the largest tensor per
    resolution, peak, naive sum and bound; with `training`, training memory; with `measure`,
    the measured peak of the real model. dtype defaults to fp16 (Table 3), fp32 for training.
    """
    from costlab.measure import measure_peak
    from costlab.training import training_memory
    merged = {"alpha": alpha, "resolution": resolution, "num_classes": num_classes,
              **(settings or {})}
    target = resolve_model(model, settings=merged, batch=batch, inputs=inputs)
    analysis = analyze_target(target, view=view)   # Table 3 judged in the view asked for
    dtype = dtype or ("fp32" if training else "fp16")
    result = analyze_memory(analysis.trace, analysis.full_cost, dtype=dtype, view=view)
    trained = training_memory(target.module, target.inputs, analysis.full_cost,
                              optimizer=optimizer, dtype=dtype) if training else None
    measured = measure_peak(target.module, target.inputs) if measure else None
    measured_training = measure_peak(target.module, target.inputs, training=True) \
        if measure and training else None
    return analysis, replace(result, training=trained, measured=measured,
                             measured_training=measured_training)
