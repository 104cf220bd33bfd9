"""One analysis of one model: what was analyzed, under which conventions, and the counts."""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from torch import nn

from costlab.analyses.memory import MemoryAnalysis, analyze_memory
from costlab.analyses.metrics import counted_metrics
from costlab.analyses.published import Comparison, compare_reported
from costlab.analyses.report_document import LAYER_COLUMNS, config_line, layer_rows, report_document
from costlab.analyses.training import Optimizer, TrainingAnalysis, analyze_training
from costlab.choices import TraceDevice, View, parse_choice
from costlab.count.engine import ModelCost, aggregate, count_costs, module_tree
from costlab.count.params import ParamConvention
from costlab.errors import OptionError, TraceError
from costlab.models.resolve import Target, resolve_model
from costlab.render import Document, write
from costlab.render.data import document_dict
from costlab.spec.schema import ArchSpec, Scalar
from costlab.trace.inputs import Inputs, InputSpec
from costlab.trace.recorder import Trace, trace_module

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["conventions_of", "Analysis", "analyze", "analyze_target", "given_settings"]

def conventions_of(param_convention: str, done: Collection[str] = ()) -> dict[str, str]:
    """What each figure counts: the meanings of the counted metrics (of those needing no extra
    work, or work `done`, such as "training"; measured ones, latency, count nothing) and the
    parameter convention used."""
    return {**{m.key: m.means for m in counted_metrics() if m.needs is None or m.needs in done},
            "params": param_convention}


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
    training: TrainingAnalysis | None = None   # with training=True: one training step

    @functools.cached_property
    def memory(self) -> MemoryAnalysis:
        """The report's memory summary (fp32, every tensor), worked out on first use: counting
        alone (`analyze(...).totals`) does not need it."""
        return analyze_memory(self.trace, self.full_cost, dtype="fp32", view="all")

    @property
    def input_shapes(self) -> tuple[tuple[int, ...], ...]:
        return tuple(i.shape for i in self.inputs)

    @property
    def trace_device(self) -> str:
        """Where the ops ran: "meta" (shapes only), or "cpu" (real tensors, random weights)."""
        return self.trace.device

    @property
    def trace_device_reason(self) -> str:
        """Why the trace ran on the CPU ("" on meta): the op that needed values, or the ask."""
        return self.trace.device_reason

    @property
    def totals(self) -> dict[str, int]:
        t = self.cost.totals
        step = self.training.totals if self.training is not None else {}
        return {"macs": t.macs, "flops": t.flops, "params": t.params,
                "elementwise": t.elementwise, **step}

    @property
    def conventions(self) -> dict[str, str]:
        return conventions_of(str(self.cost.param_convention),
                              ("training",) if self.training is not None else ())

    @property
    def unsupported(self) -> dict[str, int]:
        return dict(self.cost.unsupported)

    @property
    def layers(self) -> pd.DataFrame:
        """One row per layer, exact integers (pandas is imported on first use)."""
        import pandas as pd
        frame = pd.DataFrame.from_records(
            layer_rows(self.cost.layers, self.cost.totals.macs),
            columns=[c.key for c in LAYER_COLUMNS])
        frame["groups"] = frame["groups"].astype("Int64")
        return frame

    def document(self, *, top: int | None = None, summary: bool = False,
                 tree: bool = False) -> Document:
        """The report as a neutral document, for any writer (`top`: the N costliest layers
        only; `summary`: totals only; `tree`: every module down to the depth, nested)."""
        if tree and self.depth == 0:
            raise OptionError("--tree draws the modules down to --depth: give --depth 1 or "
                              "more, or none for every module")
        rows = module_tree(self.full_cost, self.trace, self.depth).layers if tree else None
        return report_document(self, top=top, summary=summary, tree=rows)

    def to_markdown(self) -> str:
        return write(self.document(), "markdown")

    def to_json(self) -> str:
        return write(self.document(), "json")

    def to_dict(self) -> dict[str, Any]:
        return document_dict(self.document())

    def __repr__(self) -> str:
        t = self.cost.totals
        return (f"<Analysis {config_line(self.name, self.config)}: {t.macs:,} MACs, "
                f"{t.params:,} params ({self.cost.param_convention}), {len(self.cost.layers)} "
                "layers>")

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def plot(self, top: int = 20, path: str | None = None) -> Any:
        """A bar chart of the `top` layers with the most MACs (matplotlib, imported now);
        saved to `path` when given. Returns the Figure."""
        import matplotlib
        if path is not None:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        rows = sorted(self.cost.layers, key=lambda r: -r.macs)[:top]
        fig, axes = plt.subplots(figsize=(8, 0.3 * len(rows) + 1.2))
        axes.barh([r.path or "(root)" for r in reversed(rows)], [r.macs for r in reversed(rows)])
        axes.set_xlabel("MACs")
        axes.set_title(f"{self.name}: the {len(rows)} costliest layers")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, metadata={"Software": None})
        return fig

    def _repr_html_(self) -> str:
        """The HTML report (sortable tables, the per-layer chart) for a notebook cell."""
        return write(self.document(), "html")


def analyze_target(target: Target, *, params: ParamConvention | str = ParamConvention.TORCH,
                   depth: int | None = None, strict: bool = False,
                   view: View | str = View.BLOCKS,
                   device: TraceDevice | str = TraceDevice.AUTO, training: bool = False,
                   freeze: Collection[str] = (),
                   optimizer: Optimizer | str = Optimizer.ADAM) -> Analysis:
    """Traces and counts an already resolved model; published memory figures are judged in
    `view` first. `device` is where the trace runs (see trace_module). With `training`, one
    training step is traced and counted too (`freeze`: globs of parameters left without
    gradients)."""
    if depth is not None and depth < 0:
        raise OptionError(f"depth must be at least 0, got {depth}")
    try:
        trace = trace_module(target.module, target.inputs, device=device,
                             vocab_size=target.vocab_size)
    except TraceError as exc:
        if not target.default_input:
            raise
        raise TraceError(f"{exc} ({target.name} was given the default image input "
                         f"{target.inputs[0]}; if it takes other inputs, give them: --input "
                         "SHAPE[:DTYPE] or --input NAME=SHAPE[:DTYPE])") from exc
    full = count_costs(trace, params=params, strict=strict)
    cost = full if depth is None else aggregate(full, trace, depth)
    published = tuple(compare_reported(target.spec, target.config, trace, full,
                                       prefer=f"{parse_choice(View, view)} view")) \
        if target.spec is not None else ()
    step = analyze_training(target.module, target.inputs, freeze=freeze, optimizer=optimizer,
                            strict=strict, depth=depth) if training else None
    return Analysis(target.name, dict(target.config), target.inputs, trace, cost, full,
                    depth, published, target.spec, step)


def given_settings(alpha: float | None, resolution: int | None, num_classes: int | None,
                   settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """The named options that were given, then the settings (where None is a value:
    `--set bias=None` reaches the callable)."""
    named = {"alpha": alpha, "resolution": resolution, "num_classes": num_classes}
    return {**{k: v for k, v in named.items() if v is not None}, **(settings or {})}


def analyze(model: str | nn.Module | ArchSpec, *, alpha: float | None = None,
            resolution: int | None = None, num_classes: int | None = None, batch: int = 1,
            inputs: Inputs | None = None,
            params: ParamConvention | str = ParamConvention.TORCH, depth: int | None = None,
            strict: bool = False, settings: Mapping[str, Any] | None = None,
            device: TraceDevice | str = TraceDevice.AUTO, training: bool = False,
            freeze: Sequence[str] = (), optimizer: Optimizer | str = Optimizer.ADAM) -> Analysis:
    """Builds (or imports), traces and counts a model.

    `model` is a spec name, a spec file, a zoo name (`torchvision:resnet50`, `timm:NAME`,
    `hf:DIR`), `package.module:callable`, an ArchSpec or any nn.Module; `settings` passes
    further spec parameters (or factory / callable keyword arguments, or hf config fields);
    `inputs` are shapes (float32), InputSpecs or example tensors (their shape and dtype), a
    dict of keyword inputs ({"input_ids": InputSpec((1, 128), torch.int64), ...}), or a
    callable returning (args, kwargs). `device` is where the trace runs: "auto" (meta, and real
    CPU tensors when the model needs values), "meta" or "cpu". With `training`,
    `result.training` holds one training step's cost (forward, backward and optimizer;
    `freeze` globs parameter names to leave without gradients) and `totals` gain
    forward_macs, backward_macs and training_macs.
    """
    target = resolve_model(model, settings=given_settings(alpha, resolution, num_classes,
                                                          settings),
                           batch=batch, inputs=inputs)
    return analyze_target(target, params=params, depth=depth, strict=strict, device=device,
                          training=training, freeze=freeze, optimizer=optimizer)
