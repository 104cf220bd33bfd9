"""Fold traced ops into per-layer cost rows and model totals, through the rule registry."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from costlab.choices import ParamConvention, parse_choice
from costlab.count.params import count_params
from costlab.count.rules import RULES, OpClass, OpCost, register_torchvision_rules
from costlab.errors import RuleError, UnsupportedOpsError, describe
from costlab.trace.recorder import ModuleCall, OpEvent, Trace
from costlab.units import Shape, numel

__all__ = ["LayerCost", "Totals", "ModelCost", "op_cost", "count_costs", "aggregate",
           "module_tree"]


@dataclass(frozen=True, slots=True)
class LayerCost:
    """One row of the layer table: a module that ran ops itself or owns parameters."""

    path: str
    kind: str
    input_shape: Shape | None
    output_shape: Shape | None
    kernel: Shape | None
    stride: Shape | None
    groups: int | None
    params: int
    macs: int
    elementwise: int
    output_elements: int
    macs_by_class: Mapping[str, int] = field(default_factory=dict)

    @property
    def feature_map_elements(self) -> int:
        """(C_in + C_out) x H x W at the input resolution, for a row with 4-d input and output
        (0 otherwise): the feature maps a layer holds at once (seed 001's Table A1)."""
        if self.input_shape is None or self.output_shape is None \
                or len(self.input_shape) != 4 or len(self.output_shape) != 4:
            return 0
        return (self.input_shape[1] + self.output_shape[1]) * self.input_shape[2] \
            * self.input_shape[3]


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums over the layer rows; FLOPs = 2 x MACs (element-wise ops are kept apart)."""

    macs: int
    params: int
    elementwise: int

    @property
    def flops(self) -> int:
        return 2 * self.macs

    @property
    def flops_with_elementwise(self) -> int:
        return 2 * self.macs + self.elementwise


@dataclass(frozen=True, slots=True)
class ModelCost:
    """The counted model: rows in execution order, totals, per-class breakdown, gaps."""

    layers: tuple[LayerCost, ...]
    totals: Totals
    by_class: Mapping[str, tuple[int, int]]   # op class -> (macs, element-wise ops)
    unsupported: Mapping[str, int]            # op name -> times seen without a rule
    param_convention: ParamConvention


def op_cost(event: OpEvent) -> OpCost | None:
    """The cost its rule gives one traced op; None for an op without a rule.

    Raises RuleError naming the op and module when the rule fails.
    """
    rule = RULES.get(event.op)
    if rule is None:
        return None
    try:
        return rule(event)
    except Exception as exc:  # noqa: BLE001 - a rule bug must name the op and where it ran
        raise RuleError(f"cost rule for {event.name} failed in module "
                        f"{event.module or '<root>'!r}: {describe(exc)}") from exc


def count_costs(trace: Trace, *, params: ParamConvention | str = ParamConvention.TORCH,
                strict: bool = False) -> ModelCost:
    """Applies the cost rule of every traced op and groups the results by module.

    Ops without a rule are collected by name in `unsupported`; with `strict` they raise
    UnsupportedOpsError instead.
    """
    register_torchvision_rules()   # the model may have brought torchvision's ops
    convention = parse_choice(ParamConvention, params)
    param_counts = count_params(trace, convention)
    unsupported: Counter[str] = Counter()
    where: dict[str, str] = {}
    per_path: dict[str, list[tuple[OpEvent, OpCost]]] = {}
    by_class: dict[str, tuple[int, int]] = {}   # op class -> (macs, element-wise ops)
    for event in trace.events:
        cost = op_cost(event)
        if cost is None:
            unsupported[event.name] += 1
            where.setdefault(event.name, event.module)
            continue
        per_path.setdefault(event.module, []).append((event, cost))
        macs, elementwise = by_class.get(str(cost.op_class), (0, 0))
        by_class[str(cost.op_class)] = (macs + cost.macs, elementwise + cost.elementwise)
    if strict and unsupported:
        listed = ", ".join(f"{name} x{count} (first in {where[name] or '<root>'!r})"
                           for name, count in sorted(unsupported.items()))
        raise UnsupportedOpsError(f"ops without a cost rule: {listed}")
    calls = _first_calls(trace.calls)
    paths = list(per_path) + [p for p in param_counts if p not in per_path]
    parents = {p.rsplit(".", 1)[0] if "." in p else "" for p in trace.module_types if p}
    rows = tuple(_row(path, per_path.get(path, []), calls.get(path), trace, param_counts[path],
                      path not in parents) for path in paths)
    totals = Totals(sum(r.macs for r in rows), sum(r.params for r in rows),
                    sum(r.elementwise for r in rows))
    ordered = {str(c): by_class[str(c)] for c in OpClass if str(c) in by_class}
    return ModelCost(rows, totals, ordered, dict(sorted(unsupported.items())), convention)


def _first_calls(calls: tuple[ModuleCall, ...]) -> dict[str, ModuleCall]:
    first: dict[str, ModuleCall] = {}
    for call in calls:
        first.setdefault(call.path, call)
    return first


def _row(path: str, costs: list[tuple[OpEvent, OpCost]], call: ModuleCall | None, trace: Trace,
         params: int, leaf: bool) -> LayerCost:
    kind = trace.module_types.get(path, "")
    if call is not None and leaf:
        inputs = [t for t in call.inputs]
        input_shape = inputs[0].shape if inputs else None
        output_shape = call.outputs[0].shape if call.outputs else None
    else:  # a container's own ops (a residual add): shapes of those ops
        activations = [t for e, _ in costs for t in e.inputs if t.kind not in ("param", "buffer")]
        input_shape = activations[0].shape if activations else None
        # an op's first output is its result; the others are side outputs (batch norm's
        # saved statistics, max pooling's indices), not what the module passes on
        outs = [e.outputs[0] for e, _ in costs if e.outputs]
        output_shape = outs[-1].shape if outs else None
    # The first op that knows its window (a conv or a pooling) gives the row's geometry.
    geometry = next((c.geometry for _, c in costs if c.geometry is not None), None)
    kernel, stride, groups = (geometry.kernel, geometry.stride, geometry.groups) if geometry \
        else (None, None, None)
    macs_by_class: Counter[str] = Counter()
    for _, cost in costs:
        if cost.macs:
            macs_by_class[str(cost.op_class)] += cost.macs
    return LayerCost(path, kind, input_shape, output_shape, kernel, stride, groups, params,
                     sum(c.macs for _, c in costs), sum(c.elementwise for _, c in costs),
                     numel(output_shape), dict(macs_by_class))


def aggregate(cost: ModelCost, trace: Trace, depth: int) -> ModelCost:
    """Rows summed up to module `depth` (1: the model's children); totals are unchanged."""
    if depth < 0:
        raise ValueError("depth must be at least 0")
    calls = _first_calls(trace.calls)
    groups: dict[str, list[LayerCost]] = {}
    for row in cost.layers:
        parts = row.path.split(".") if row.path else []
        groups.setdefault(".".join(parts[:depth]), []).append(row)
    rows = []
    for prefix, members in groups.items():
        if len(members) == 1 and members[0].path == prefix:
            rows.append(members[0])
            continue
        call = calls.get(prefix)
        macs_by_class: Counter[str] = Counter()
        for member in members:
            macs_by_class.update(member.macs_by_class)
        out_shape = call.outputs[0].shape if call and call.outputs else members[-1].output_shape
        rows.append(LayerCost(
            prefix, trace.module_types.get(prefix, ""),
            call.inputs[0].shape if call and call.inputs else members[0].input_shape,
            out_shape, None, None, None,
            sum(m.params for m in members), sum(m.macs for m in members),
            sum(m.elementwise for m in members),
            numel(out_shape), dict(macs_by_class)))
    return replace(cost, layers=tuple(rows))


def module_tree(cost: ModelCost, trace: Trace, depth: int | None = None) -> ModelCost:
    """Every module down to `depth` (all of them when None), parents before their children
    in execution order, each summed over the leaf rows under it: the rows of a tree view.
    Unlike `aggregate`, rows overlap (a parent holds its children), so they do not sum to
    the totals; the root is left out (the totals are the root)."""
    deepest = max((len(row.path.split(".")) for row in cost.layers if row.path), default=0)
    last = deepest if depth is None else min(depth, deepest)
    order: dict[str, int] = {}   # a module's place: its first leaf's
    for i, row in enumerate(cost.layers):
        parts = row.path.split(".")
        for n in range(1, len(parts) + 1):
            order.setdefault(".".join(parts[:n]), i)
    rows: dict[str, LayerCost] = {}
    for level in range(1, last + 1):
        for row in aggregate(cost, trace, level).layers:
            if row.path:
                rows.setdefault(row.path, row)
    if not rows:   # the model is one module (nn.Linear): its own row is the tree
        return cost
    ranked = sorted(rows.values(), key=lambda r: (order[r.path], r.path.count(".")))
    return replace(cost, layers=tuple(ranked))
